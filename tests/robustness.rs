//! Every command this server runs, fed odd arguments: replies or errors, never a
//! crash. A panic on a client's bytes would take every client down with it.

mod common;

use common::TestServer;
use oxidis::protocol::resp::command as resp;
use std::io::{Read, Write};
use std::time::Duration;

#[test]
fn every_command_survives_odd_arguments() {
    let mut srv = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.client();
    let names: Vec<String> = redis::cmd("COMMAND").arg("LIST").query(&mut c).unwrap();
    assert!(names.len() > 100, "{}", names.len());
    // Commands that end the process, sleep, or change the connection for good are
    // exercised elsewhere.
    let skip = [
        "shutdown",
        "debug",
        "monitor",
        "quit",
        "reset",
        "client|kill",
    ];
    let values: [&[u8]; 7] = [
        b"0",
        b"-1",
        b"k",
        b"*",
        b"1.5",
        b"\xff\x00",
        b"99999999999999999999",
    ];
    for name in names.iter().filter(|n| !skip.contains(&n.as_str())) {
        let parts: Vec<&[u8]> = name.split('|').map(|p| p.as_bytes()).collect();
        let mut s = srv.raw();
        s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let mut batch = Vec::new();
        for n in 0..5 {
            let mut args = parts.clone();
            for i in 0..n {
                args.push(values[(i * 3 + n) % values.len()]);
            }
            batch.extend_from_slice(&resp(&args));
        }
        let _ = s.write_all(&batch);
        let mut buf = [0u8; 8192];
        let _ = s.read(&mut buf);
        drop(s);
        assert!(srv.is_alive(), "server died on {name}");
    }
    // DEBUG subcommands other than those that sleep or crash on purpose.
    for sub in [
        "object",
        "listpack",
        "quicklist",
        "htstats",
        "digest-value",
        "protocol",
        "populate",
        "stringmatch-len",
        "log",
        "change-repl-id",
        "quicklist-packed-threshold",
        "set-active-expire",
        "pause-cron",
        "bogus",
    ] {
        let mut s = srv.raw();
        s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        for n in 0..4 {
            let mut args: Vec<&[u8]> = vec![b"debug", sub.as_bytes()];
            for i in 0..n {
                args.push(values[(i + n) % values.len()]);
            }
            let _ = s.write_all(&resp(&args));
        }
        let mut buf = [0u8; 8192];
        let _ = s.read(&mut buf);
        assert!(srv.is_alive(), "server died on debug {sub}");
    }
    let _: () = redis::cmd("DEBUG")
        .arg("PAUSE-CRON")
        .arg(0)
        .query(&mut srv.client())
        .unwrap();
    let pong: String = redis::cmd("PING").query(&mut srv.client()).unwrap();
    assert_eq!(pong, "PONG");
}
