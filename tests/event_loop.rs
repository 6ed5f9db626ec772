//! The event loop's `wakeup-coalesce-us` directive: 20 by default and hidden
//! like Redis's debugging configs; while it makes the loop wait, many busy
//! pipelining clients still get every reply, in order.

mod common;

use std::time::Duration;

use common::TestServer;

#[test]
fn wakeup_coalescing_is_20_us_by_default_and_hidden_from_config_get_star() {
    let srv = TestServer::start(&[]);
    let mut c = srv.client();
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("wakeup-coalesce-us")
        .query(&mut c)
        .unwrap();
    assert_eq!(got, vec!["wakeup-coalesce-us", "20"]);
    let all: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("*")
        .query(&mut c)
        .unwrap();
    assert!(!all.iter().any(|name| name == "wakeup-coalesce-us"));

    let ok: String = redis::cmd("CONFIG")
        .arg("SET")
        .arg("wakeup-coalesce-us")
        .arg("0")
        .query(&mut c)
        .unwrap();
    assert_eq!(ok, "OK");
    let err = redis::cmd("CONFIG")
        .arg("SET")
        .arg("wakeup-coalesce-us")
        .arg("1001")
        .query::<String>(&mut c)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("argument must be between 0 and 1000 inclusive"),
        "{err}"
    );
}

#[test]
fn many_busy_pipelining_clients_get_every_reply_with_coalescing_on() {
    const CLIENTS: usize = 48;
    const ROUNDS: usize = 800;
    // Pipelines of 8 commands: enough per read for the loop to coalesce.
    const PAIRS: usize = 4;
    // The default wait; a poll that lost its events would show as a stuck client.
    let srv = TestServer::start(&[]);
    let threads: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let mut c = srv.client();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            std::thread::spawn(move || {
                let mut last = 0i64;
                for _ in 0..ROUNDS {
                    // Clients that pause between pipelines leave the loop
                    // idle with a few of them ready: the load it waits for.
                    std::thread::sleep(Duration::from_micros(500));
                    let mut pipe = redis::pipe();
                    for _ in 0..PAIRS {
                        pipe.cmd("INCR").arg("shared");
                        pipe.cmd("INCR").arg(format!("own:{i}"));
                    }
                    let replies: Vec<i64> = pipe.query(&mut c).unwrap();
                    assert_eq!(replies.len(), 2 * PAIRS);
                    for pair in replies.chunks(2) {
                        assert!(pair[0] > last, "INCR went from {last} to {}", pair[0]);
                        last = pair[0];
                        assert!(pair[1] >= 1);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = srv.client();
    let shared: i64 = redis::cmd("GET").arg("shared").query(&mut c).unwrap();
    assert_eq!(shared, (CLIENTS * ROUNDS * PAIRS) as i64);
    for i in 0..CLIENTS {
        let own: i64 = redis::cmd("GET")
            .arg(format!("own:{i}"))
            .query(&mut c)
            .unwrap();
        assert_eq!(own, (ROUNDS * PAIRS) as i64);
    }
}
