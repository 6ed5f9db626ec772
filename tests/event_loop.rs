//! The event loop's `wakeup-coalesce-us` directive: off by default and hidden
//! like Redis's debugging configs, and with it on, many busy clients still get
//! every reply, in order.

mod common;

use std::time::Duration;

use common::TestServer;

#[test]
fn wakeup_coalescing_is_off_by_default_and_hidden_from_config_get_star() {
    let srv = TestServer::start(&[]);
    let mut c = srv.client();
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("wakeup-coalesce-us")
        .query(&mut c)
        .unwrap();
    assert_eq!(got, vec!["wakeup-coalesce-us", "0"]);
    let all: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("*")
        .query(&mut c)
        .unwrap();
    assert!(!all.iter().any(|name| name == "wakeup-coalesce-us"));

    let ok: String = redis::cmd("CONFIG")
        .arg("SET")
        .arg("wakeup-coalesce-us")
        .arg("20")
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
fn many_busy_clients_get_every_reply_with_coalescing_on() {
    const CLIENTS: usize = 24;
    const INCRS: usize = 1500;
    // A long wait, so a poll that lost its events would show as a stuck client.
    let srv = TestServer::start(&["--wakeup-coalesce-us", "500"]);
    let threads: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let mut c = srv.client();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            std::thread::spawn(move || {
                let mut last = 0i64;
                for _ in 0..INCRS {
                    let shared: i64 = redis::cmd("INCR").arg("shared").query(&mut c).unwrap();
                    assert!(shared > last, "INCR went from {last} to {shared}");
                    last = shared;
                    let own: i64 = redis::cmd("INCR")
                        .arg(format!("own:{i}"))
                        .query(&mut c)
                        .unwrap();
                    assert!(own >= 1);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = srv.client();
    let shared: i64 = redis::cmd("GET").arg("shared").query(&mut c).unwrap();
    assert_eq!(shared, (CLIENTS * INCRS) as i64);
    for i in 0..CLIENTS {
        let own: i64 = redis::cmd("GET")
            .arg(format!("own:{i}"))
            .query(&mut c)
            .unwrap();
        assert_eq!(own, INCRS as i64);
    }
}
