//! RDB and DUMP/RESTORE interoperability with the real Redis 7.0 (Debian's
//! `redis-server`, which the README's test command installs): a dump.rdb written
//! by either server loads in the other with the same data, key by key, and a DUMP
//! payload from either restores in the other.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TestServer;
use redis::{Connection, Value};

const REDIS_SERVER: &str = "/usr/bin/redis-server";

/// Debian's redis-server on a free port in `dir`, killed on drop.
struct RealRedis {
    child: Child,
    port: u16,
}

impl RealRedis {
    fn start(dir: &Path) -> RealRedis {
        assert!(
            Path::new(REDIS_SERVER).exists(),
            "{REDIS_SERVER} is missing: the interop tests need Debian's redis-server (apt-get install redis-server; scripts/test.sh does it)"
        );
        for _ in 0..10 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("free port");
            let mut child = Command::new(REDIS_SERVER)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .args(["--enable-debug-command", "yes", "--daemonize", "no"])
                .arg("--dir")
                .arg(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if !matches!(child.try_wait(), Ok(None)) {
                    break;
                }
                if let Ok(mut c) = connect(port) {
                    let pid: Result<String, _> = redis::cmd("INFO").arg("server").query(&mut c);
                    if pid.is_ok_and(|t| t.contains(&format!("process_id:{}", child.id()))) {
                        return RealRedis { child, port };
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start");
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn connect(port: u16) -> redis::RedisResult<Connection> {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))?.get_connection()
}

fn tempdir(name: &str) -> PathBuf {
    common::fresh_dir(name)
}

fn run(c: &mut Connection, args: &[&[u8]]) -> Value {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c)
        .unwrap_or_else(|e| panic!("{:?} failed: {e}", String::from_utf8_lossy(args[0])))
}

/// One key of every type and encoding Redis 7.0 writes, in three databases.
fn populate(c: &mut Connection) {
    let long: Vec<u8> = (0..400).map(|i| b"abcdefgh"[i % 8]).collect();
    let binary: Vec<u8> = (0..=255u8).collect();
    run(c, &[b"SET", b"str:raw", b"hello world"]);
    run(c, &[b"SET", b"str:int", b"12345"]);
    run(c, &[b"SET", b"str:neg", b"-9876543210"]);
    run(c, &[b"SET", b"str:big", b"123456789012345678901234567890"]);
    run(c, &[b"SET", b"str:lzf", &long]);
    run(c, &[b"SET", b"str:bin", &binary]);
    run(c, &[b"SET", b"str:empty", b""]);
    run(c, &[b"SET", b"str:ttl", b"v", b"PX", b"100000000"]);
    run(
        c,
        &[
            b"RPUSH",
            b"list:small",
            b"a",
            b"1",
            b"-7",
            b"bb",
            b"4294967296",
        ],
    );
    for i in 0..2000 {
        let v = if i % 3 == 0 {
            i.to_string()
        } else {
            format!("element-{i}")
        };
        run(c, &[b"RPUSH", b"list:big", v.as_bytes()]);
    }
    run(
        c,
        &[b"HSET", b"hash:lp", b"f1", b"v1", b"f2", b"2", b"f3", b""],
    );
    for i in 0..300 {
        run(
            c,
            &[
                b"HSET",
                b"hash:ht",
                format!("field{i}").as_bytes(),
                format!("value{i}").as_bytes(),
            ],
        );
    }
    run(
        c,
        &[b"SADD", b"set:int", b"1", b"-5", b"70000", b"5000000000"],
    );
    for i in 0..100 {
        run(c, &[b"SADD", b"set:ht", format!("member{i}").as_bytes()]);
    }
    for i in 0..600 {
        run(c, &[b"SADD", b"set:manyints", i.to_string().as_bytes()]);
    }
    run(
        c,
        &[
            b"ZADD", b"zset:lp", b"1.5", b"a", b"-2", b"b", b"inf", b"c", b"3", b"d",
        ],
    );
    for i in 0..300 {
        run(
            c,
            &[
                b"ZADD",
                b"zset:sl",
                format!("{}.25", i * 7 % 301).as_bytes(),
                format!("m{i}").as_bytes(),
            ],
        );
    }
    run(c, &[b"ZADD", b"zset:sl", b"-inf", b"lowest"]);
    run(c, &[b"SELECT", b"3"]);
    run(c, &[b"SET", b"db3:key", b"in db 3"]);
    run(c, &[b"HSET", b"db3:hash", b"x", b"y"]);
    run(c, &[b"SELECT", b"15"]);
    run(c, &[b"RPUSH", b"db15:list", b"z"]);
    run(c, &[b"SELECT", b"0"]);
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Int(n) => n.to_string(),
        Value::Nil => "(nil)".into(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(text).collect();
            format!("[{}]", parts.join(","))
        }
        other => format!("{other:?}"),
    }
}

fn sorted(v: Value) -> Vec<String> {
    let Value::Array(items) = v else {
        panic!("expected an array, got {v:?}")
    };
    let mut out: Vec<String> = items.iter().map(text).collect();
    out.sort();
    out
}

/// Every key of every database with its type, encoding, contents and TTL bucket,
/// as lines that can be compared between two servers.
fn snapshot(c: &mut Connection) -> Vec<String> {
    let mut lines = Vec::new();
    for db in 0..16 {
        run(c, &[b"SELECT", db.to_string().as_bytes()]);
        for key in sorted(run(c, &[b"KEYS", b"*"])) {
            let k = key.as_bytes();
            let ty = text(&run(c, &[b"TYPE", k]));
            let enc = text(&run(c, &[b"OBJECT", b"ENCODING", k]));
            let content = match ty.as_str() {
                "string" => text(&run(c, &[b"GET", k])),
                "list" => text(&run(c, &[b"LRANGE", k, b"0", b"-1"])),
                "hash" => sorted(run(c, &[b"HGETALL", k])).join(","),
                "set" => sorted(run(c, &[b"SMEMBERS", k])).join(","),
                "zset" => text(&run(c, &[b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"])),
                other => panic!("unexpected type {other}"),
            };
            let ttl = match run(c, &[b"PTTL", k]) {
                Value::Int(-1) => "no ttl".to_string(),
                Value::Int(ms) if ms > 90_000_000 => "ttl ~1d".to_string(),
                other => format!("ttl {other:?}"),
            };
            lines.push(format!("db{db} {key} {ty} {enc} {ttl} {content}"));
        }
    }
    run(c, &[b"SELECT", b"0"]);
    lines
}

fn save(c: &mut Connection) {
    let ok: String = redis::cmd("SAVE").query(c).expect("SAVE");
    assert_eq!(ok, "OK");
}

#[test]
fn a_dump_written_by_redis_loads_in_oxidis_with_the_same_data() {
    let dir = tempdir("from-redis");
    let expected = {
        let redis = RealRedis::start(&dir);
        let mut c = connect(redis.port).unwrap();
        populate(&mut c);
        save(&mut c);
        snapshot(&mut c)
    };
    assert_eq!(expected.len(), 20, "every key of the data set was created");
    let dir_arg = dir.to_str().unwrap();
    let ox = TestServer::start(&["--dir", dir_arg]);
    let mut c = ox.client();
    assert_eq!(snapshot(&mut c), expected);
}

#[test]
fn a_dump_written_by_oxidis_loads_in_redis_with_the_same_data() {
    let dir = tempdir("from-oxidis");
    let dir_arg = dir.to_str().unwrap();
    let expected = {
        let ox = TestServer::start(&["--dir", dir_arg]);
        let mut c = ox.client();
        populate(&mut c);
        save(&mut c);
        snapshot(&mut c)
    };
    let redis = RealRedis::start(&dir);
    let mut c = connect(redis.port).unwrap();
    assert_eq!(snapshot(&mut c), expected);
}

/// DUMPs every key of db 0 on `from` and RESTOREs it on `to` under the same name.
fn transfer_by_dump(from: &mut Connection, to: &mut Connection) {
    for key in sorted(run(from, &[b"KEYS", b"*"])) {
        let payload: Vec<u8> = redis::cmd("DUMP").arg(&key).query(from).expect("DUMP");
        let ok: String = redis::cmd("RESTORE")
            .arg(&key)
            .arg(0)
            .arg(&payload)
            .arg("REPLACE")
            .query(to)
            .unwrap_or_else(|e| panic!("RESTORE of {key} failed: {e}"));
        assert_eq!(ok, "OK");
    }
}

/// db 0 of a snapshot, without TTLs (RESTORE with ttl 0 drops them).
fn db0_without_ttl(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .filter(|l| l.starts_with("db0 "))
        .map(|l| l.replace(" ttl ~1d ", " no ttl "))
        .collect()
}

#[test]
fn dump_payloads_restore_across_both_servers() {
    let dir = tempdir("dump");
    let redis = RealRedis::start(&dir);
    let ox = TestServer::start(&[]);
    let mut r = connect(redis.port).unwrap();
    let mut o = ox.client();

    populate(&mut r);
    let expected = db0_without_ttl(snapshot(&mut r));
    transfer_by_dump(&mut r, &mut o);
    assert_eq!(
        db0_without_ttl(snapshot(&mut o)),
        expected,
        "redis -> oxidis"
    );

    run(&mut r, &[b"FLUSHALL"]);
    transfer_by_dump(&mut o, &mut r);
    assert_eq!(
        db0_without_ttl(snapshot(&mut r)),
        expected,
        "oxidis -> redis"
    );
}
