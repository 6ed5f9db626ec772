//! String and keyspace commands through a real client.

mod common;

use common::TestServer;

#[test]
fn set_with_get_returns_old_value() {
    let srv = TestServer::start(&[]);
    let mut c = srv.client();
    let _: () = redis::cmd("SET").arg("k").arg("v1").query(&mut c).unwrap();
    let old: String = redis::cmd("SET")
        .arg("k")
        .arg("v2")
        .arg("GET")
        .query(&mut c)
        .unwrap();
    assert_eq!(old, "v1");
    let now: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(now, "v2");
}

#[test]
fn incr_on_non_integer_is_redis_error() {
    let srv = TestServer::start(&[]);
    let mut c = srv.client();
    let _: () = redis::cmd("SET").arg("k").arg("abc").query(&mut c).unwrap();
    let err = redis::cmd("INCR")
        .arg("k")
        .query::<i64>(&mut c)
        .unwrap_err();
    assert_eq!(err.code(), Some("ERR"));
    assert!(
        err.to_string()
            .contains("value is not an integer or out of range"),
        "{err}"
    );
}

#[test]
fn expire_then_ttl_and_persist() {
    let srv = TestServer::start(&[]);
    let mut c = srv.client();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let set: i64 = redis::cmd("EXPIRE")
        .arg("k")
        .arg(100)
        .query(&mut c)
        .unwrap();
    assert_eq!(set, 1);
    let ttl: i64 = redis::cmd("TTL").arg("k").query(&mut c).unwrap();
    assert!((99..=100).contains(&ttl), "{ttl}");
    let p: i64 = redis::cmd("PERSIST").arg("k").query(&mut c).unwrap();
    assert_eq!(p, 1);
    let ttl: i64 = redis::cmd("TTL").arg("k").query(&mut c).unwrap();
    assert_eq!(ttl, -1);
}

#[test]
fn expired_key_disappears() {
    let srv = TestServer::start(&[]);
    let mut c = srv.client();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .arg("PX")
        .arg(30)
        .query(&mut c)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(80));
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, None);
}

#[test]
fn object_encoding_follows_value_shape() {
    let srv = TestServer::start(&[]);
    let mut c = srv.client();
    let _: () = redis::cmd("MSET")
        .arg("i")
        .arg("123")
        .arg("e")
        .arg("abc")
        .arg("r")
        .arg("x".repeat(60))
        .query(&mut c)
        .unwrap();
    for (k, enc) in [("i", "int"), ("e", "embstr"), ("r", "raw")] {
        let got: String = redis::cmd("OBJECT")
            .arg("ENCODING")
            .arg(k)
            .query(&mut c)
            .unwrap();
        assert_eq!(got, enc, "key {k}");
    }
}

#[test]
fn scan_returns_every_key_once_full_iteration() {
    let srv = TestServer::start(&[]);
    let mut c = srv.client();
    for i in 0..1000 {
        let _: () = redis::cmd("SET")
            .arg(format!("key:{i}"))
            .arg(i)
            .query(&mut c)
            .unwrap();
    }
    let mut cursor = "0".to_string();
    let mut seen = std::collections::HashSet::new();
    loop {
        let (next, keys): (String, Vec<String>) = redis::cmd("SCAN")
            .arg(&cursor)
            .arg("COUNT")
            .arg(100)
            .query(&mut c)
            .unwrap();
        seen.extend(keys);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert_eq!(seen.len(), 1000);
}

#[test]
fn append_returns_new_length_and_makes_raw() {
    let srv = TestServer::start(&[]);
    let mut c = srv.client();
    let _: () = redis::cmd("SET").arg("k").arg("12").query(&mut c).unwrap();
    let n: i64 = redis::cmd("APPEND")
        .arg("k")
        .arg("w")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 3);
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "12w");
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("k")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "raw");
}
