//! Pub/Sub and keyspace notifications through real connections, in RESP2 (the
//! `redis` crate's PubSub) and RESP3 (raw socket, HELLO 3 push messages).

mod common;

use common::TestServer;
use std::io::{Read, Write};
use std::time::Duration;

#[test]
fn resp2_subscriber_receives_messages_and_keyspace_events() {
    let srv = TestServer::start(&["--notify-keyspace-events", "KEA"]);
    let mut sub_conn = srv.client();
    let mut ps = sub_conn.as_pubsub();
    ps.subscribe("news").unwrap();
    ps.psubscribe("__keyevent@0__:*").unwrap();
    ps.set_read_timeout(Some(Duration::from_secs(5))).unwrap();

    let mut c = srv.client();
    let n: i64 = redis::cmd("PUBLISH")
        .arg("news")
        .arg("hello")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 1);
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let _: i64 = redis::cmd("DEL").arg("k").query(&mut c).unwrap();

    let m = ps.get_message().unwrap();
    assert_eq!(m.get_channel_name(), "news");
    assert_eq!(m.get_payload::<String>().unwrap(), "hello");
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_pattern::<String>().unwrap(), "__keyevent@0__:*");
    assert_eq!(m.get_channel_name(), "__keyevent@0__:set");
    assert_eq!(m.get_payload::<String>().unwrap(), "k");
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_channel_name(), "__keyevent@0__:del");
    assert_eq!(m.get_payload::<String>().unwrap(), "k");
}

/// Reads from `s` until `want` appears or the timeout passes.
fn read_until(s: &mut std::net::TcpStream, want: &str) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if String::from_utf8_lossy(&out).contains(want) {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn resp3_client_gets_push_messages_after_its_own_replies() {
    let srv = TestServer::start(&["--notify-keyspace-events", "Kg$"]);
    let mut s = srv.raw();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    s.write_all(b"HELLO 3\r\n").unwrap();
    read_until(&mut s, "modules");
    s.write_all(b"SUBSCRIBE __keyspace@0__:k\r\n").unwrap();
    let confirm = read_until(&mut s, ":1\r\n");
    assert_eq!(
        confirm,
        ">3\r\n$9\r\nsubscribe\r\n$16\r\n__keyspace@0__:k\r\n:1\r\n"
    );
    // A RESP3 subscriber may still run commands; the event follows the reply.
    s.write_all(b"SET k v\r\n").unwrap();
    let got = read_until(&mut s, "$3\r\nset\r\n");
    assert_eq!(
        got,
        "+OK\r\n>3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n"
    );
}

#[test]
fn resp2_subscribed_client_cannot_run_other_commands() {
    let srv = TestServer::start(&[]);
    let mut s = srv.raw();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    s.write_all(b"SUBSCRIBE ch\r\n").unwrap();
    read_until(&mut s, ":1\r\n");
    s.write_all(b"GET k\r\n").unwrap();
    let got = read_until(&mut s, "context\r\n");
    assert_eq!(
        got,
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
}

#[test]
fn big_payload_reaches_every_subscriber_intact() {
    let srv = TestServer::start(&[]);
    let mut subs: Vec<std::net::TcpStream> = (0..20)
        .map(|_| {
            let mut s = srv.raw();
            s.set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            s.write_all(b"SUBSCRIBE big\r\n").unwrap();
            read_until(&mut s, ":1\r\n");
            s
        })
        .collect();
    let payload: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let mut c = srv.client();
    let n: i64 = redis::cmd("PUBLISH")
        .arg("big")
        .arg(&payload)
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 20);
    let mut expected = b"*3\r\n$7\r\nmessage\r\n$3\r\nbig\r\n$200000\r\n".to_vec();
    expected.extend_from_slice(&payload);
    expected.extend_from_slice(b"\r\n");
    for s in subs.iter_mut() {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 65536];
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while got.len() < expected.len() && std::time::Instant::now() < deadline {
            if let Ok(n) = s.read(&mut buf) {
                got.extend_from_slice(&buf[..n]);
            }
        }
        assert!(got == expected, "subscriber got {} bytes", got.len());
    }
}
