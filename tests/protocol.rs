//! The wire protocol against the real binary: pipelining, inline commands, RESP3, and
//! bad input that must get Redis's error without hurting the server.

mod common;

use common::{read_to_close, roundtrip, TestServer};
use std::io::Write;

#[test]
fn pipelined_commands_reply_in_order() {
    let srv = TestServer::start(&[]);
    let mut s = srv.raw();
    let req = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n";
    let out = roundtrip(&mut s, req, 5 + 7 + 7);
    assert_eq!(out, b"+OK\r\n$1\r\nv\r\n+PONG\r\n");
}

#[test]
fn inline_command_with_quotes_works() {
    let srv = TestServer::start(&[]);
    let mut s = srv.raw();
    let out = roundtrip(&mut s, b"SET \"a key\" 'v 1'\r\nGET \"a key\"\r\n", 5 + 9);
    assert_eq!(out, b"+OK\r\n$3\r\nv 1\r\n");
}

#[test]
fn invalid_multibulk_length_errors_and_closes() {
    let srv = TestServer::start(&[]);
    let mut s = srv.raw();
    s.write_all(b"*20000000000\r\n").unwrap();
    let out = read_to_close(&mut s);
    assert_eq!(out, b"-ERR Protocol error: invalid multibulk length\r\n");
}

#[test]
fn oversized_bulk_length_errors_and_closes() {
    let srv = TestServer::start(&[]);
    let mut s = srv.raw();
    s.write_all(b"*1\r\n$2000000000\r\n").unwrap();
    let out = read_to_close(&mut s);
    assert_eq!(out, b"-ERR Protocol error: invalid bulk length\r\n");
}

#[test]
fn wrong_prefix_errors_with_the_byte_seen() {
    let srv = TestServer::start(&[]);
    let mut s = srv.raw();
    s.write_all(b"*1\r\nfoo\r\n").unwrap();
    let out = read_to_close(&mut s);
    assert_eq!(out, b"-ERR Protocol error: expected '$', got 'f'\r\n");
}

#[test]
fn binary_junk_never_kills_the_server() {
    let mut srv = TestServer::start(&[]);
    let mut seed: u64 = 0x2545F4914F6CDD1D;
    for _ in 0..50 {
        let mut s = srv.raw();
        let mut junk = Vec::new();
        for _ in 0..512 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            junk.push((seed & 0xff) as u8);
        }
        let _ = s.write_all(&junk);
        drop(s);
    }
    assert!(srv.is_alive());
    let mut c = srv.client();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn resp3_hello_switches_map_encoding() {
    let srv = TestServer::start(&[]);
    let mut s = srv.raw();
    s.write_all(b"HELLO 3\r\n").unwrap();
    let mut buf = vec![0u8; 4096];
    std::thread::sleep(std::time::Duration::from_millis(100));
    let n = std::io::Read::read(&mut s, &mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("%7\r\n$6\r\nserver\r\n"), "{text}");
    assert!(text.contains("$5\r\nproto\r\n:3\r\n"), "{text}");
}

#[test]
fn unknown_command_reports_args() {
    let srv = TestServer::start(&[]);
    let mut s = srv.raw();
    let expected = b"-ERR unknown command 'foo', with args beginning with: 'bar' \r\n";
    let out = roundtrip(&mut s, b"foo bar\r\n", expected.len());
    assert_eq!(out, expected);
}
