//! Hash commands through a real client, on hashes that share their field
//! names (kept in the shaped form once the field list is common).

mod common;

use common::TestServer;
use redis::Connection;

fn pairs(c: &mut Connection, key: &str) -> Vec<(String, String)> {
    redis::cmd("HGETALL").arg(key).query(c).unwrap()
}

fn memory_usage(c: &mut Connection, key: &str) -> i64 {
    redis::cmd("MEMORY").arg("USAGE").arg(key).query(c).unwrap()
}

fn owned(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect()
}

/// Twenty `user:NN` hashes with the same three fields, values of equal length.
fn fill_users(c: &mut Connection) {
    for i in 0..20 {
        let _: i64 = redis::cmd("HSET")
            .arg(format!("user:{i:02}"))
            .arg("name")
            .arg(format!("n{i:02}"))
            .arg("email")
            .arg(format!("u{i:02}@x.org"))
            .arg("age")
            .arg(format!("{}", 20 + i))
            .query(c)
            .unwrap();
    }
}

#[test]
fn hashes_sharing_fields_are_smaller_and_read_back_the_same() {
    let srv = TestServer::start(&[]);
    let mut c = srv.client();
    fill_users(&mut c);
    // The first hashes stay plain listpacks; later ones share the field list.
    assert!(memory_usage(&mut c, "user:19") < memory_usage(&mut c, "user:00"));
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("user:19")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "listpack");
    assert_eq!(
        pairs(&mut c, "user:19"),
        owned(&[("name", "n19"), ("email", "u19@x.org"), ("age", "39")])
    );
    let got: Option<String> = redis::cmd("HGET")
        .arg("user:19")
        .arg("email")
        .query(&mut c)
        .unwrap();
    assert_eq!(got.as_deref(), Some("u19@x.org"));
    let n: i64 = redis::cmd("HLEN").arg("user:19").query(&mut c).unwrap();
    assert_eq!(n, 3);
}

#[test]
fn writes_to_hashes_sharing_fields_behave_as_on_any_hash() {
    let srv = TestServer::start(&[]);
    let mut c = srv.client();
    fill_users(&mut c);
    let age: i64 = redis::cmd("HINCRBY")
        .arg("user:19")
        .arg("age")
        .arg(5)
        .query(&mut c)
        .unwrap();
    assert_eq!(age, 44);
    let updated: i64 = redis::cmd("HSET")
        .arg("user:19")
        .arg("name")
        .arg("a much longer name")
        .query(&mut c)
        .unwrap();
    assert_eq!(updated, 0);
    let added: i64 = redis::cmd("HSET")
        .arg("user:18")
        .arg("city")
        .arg("Oslo")
        .query(&mut c)
        .unwrap();
    assert_eq!(added, 1);
    let deleted: i64 = redis::cmd("HDEL")
        .arg("user:17")
        .arg("email")
        .query(&mut c)
        .unwrap();
    assert_eq!(deleted, 1);
    // Past hash-max-listpack-value, a hashtable as usual.
    let long = "v".repeat(65);
    let _: i64 = redis::cmd("HSET")
        .arg("user:16")
        .arg("name")
        .arg(&long)
        .query(&mut c)
        .unwrap();
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("user:16")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "hashtable");

    assert_eq!(
        pairs(&mut c, "user:19"),
        owned(&[
            ("name", "a much longer name"),
            ("email", "u19@x.org"),
            ("age", "44")
        ])
    );
    assert_eq!(
        pairs(&mut c, "user:18"),
        owned(&[
            ("name", "n18"),
            ("email", "u18@x.org"),
            ("age", "38"),
            ("city", "Oslo")
        ])
    );
    assert_eq!(
        pairs(&mut c, "user:17"),
        owned(&[("name", "n17"), ("age", "37")])
    );
    let name: String = redis::cmd("HGET")
        .arg("user:16")
        .arg("name")
        .query(&mut c)
        .unwrap();
    assert_eq!(name, long);
}

#[test]
fn hashes_sharing_fields_survive_dump_restore_and_reload() {
    let srv = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.client();
    fill_users(&mut c);
    let payload: Vec<u8> = redis::cmd("DUMP").arg("user:19").query(&mut c).unwrap();
    let _: () = redis::cmd("RESTORE")
        .arg("copy")
        .arg(0)
        .arg(payload)
        .query(&mut c)
        .unwrap();
    assert_eq!(pairs(&mut c, "copy"), pairs(&mut c, "user:19"));
    let before: Vec<Vec<(String, String)>> = (0..20)
        .map(|i| pairs(&mut c, &format!("user:{i:02}")))
        .collect();
    let digest: String = redis::cmd("DEBUG").arg("DIGEST").query(&mut c).unwrap();
    let _: () = redis::cmd("DEBUG").arg("RELOAD").query(&mut c).unwrap();
    let after: Vec<Vec<(String, String)>> = (0..20)
        .map(|i| pairs(&mut c, &format!("user:{i:02}")))
        .collect();
    assert_eq!(after, before);
    let digest_after: String = redis::cmd("DEBUG").arg("DIGEST").query(&mut c).unwrap();
    assert_eq!(digest_after, digest);
    // The field list is known by now: every loaded hash shares it.
    assert_eq!(
        memory_usage(&mut c, "user:00"),
        memory_usage(&mut c, "user:19")
    );
}
