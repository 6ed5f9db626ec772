//! The append only file keeps every acknowledged write: with `appendfsync always`
//! a reply leaves only after its write reached the disk, so a server killed with
//! SIGKILL at any moment comes back with at least everything it acknowledged.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::TestServer;

/// A few pseudo-random milliseconds in `lo..hi`, from the clock.
fn jitter_ms(lo: u64, hi: u64) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    lo + nanos.wrapping_mul(2654435761) % (hi - lo)
}

fn start(dir: &str) -> TestServer {
    TestServer::start(&[
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ])
}

/// Checks that `incrs` acknowledged INCRs and the SETs `k:0..sets` survived;
/// returns the counter's value.
fn assert_durable(srv: &TestServer, incrs: u64, sets: u64) -> u64 {
    let mut c = srv.client();
    let counter: Option<u64> = redis::cmd("GET").arg("counter").query(&mut c).unwrap();
    let counter = counter.unwrap_or(0);
    // At most one INCR was in flight when the server died: it may or may not
    // have made it, but every acknowledged one did.
    assert!(
        counter >= incrs && counter <= incrs + 1,
        "counter {counter}, acknowledged INCRs {incrs}"
    );
    for n in 0..sets {
        let v: Option<String> = redis::cmd("GET")
            .arg(format!("k:{n}"))
            .query(&mut c)
            .unwrap();
        assert_eq!(v.as_deref(), Some(format!("v:{n}").as_str()), "k:{n} lost");
    }
    counter
}

#[test]
fn acknowledged_writes_survive_kill_9_with_appendfsync_always() {
    let dir = std::env::temp_dir().join(format!("oxidis-aof-durability-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dir_s = dir.to_str().unwrap().to_string();

    let incrs = Arc::new(AtomicU64::new(0));
    let sets = Arc::new(AtomicU64::new(0));
    for _round in 0..5 {
        let mut srv = start(&dir_s);
        let counter = assert_durable(
            &srv,
            incrs.load(Ordering::SeqCst),
            sets.load(Ordering::SeqCst),
        );
        // An INCR that was in flight at the kill may have landed: count from
        // what is there.
        incrs.store(counter, Ordering::SeqCst);
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (incrs, sets, stop) = (incrs.clone(), sets.clone(), stop.clone());
            let mut c = srv.client();
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let r: redis::RedisResult<u64> =
                        redis::cmd("INCR").arg("counter").query(&mut c);
                    if r.is_err() {
                        return;
                    }
                    incrs.fetch_add(1, Ordering::SeqCst);
                    let n = sets.load(Ordering::SeqCst);
                    let r: redis::RedisResult<()> = redis::cmd("SET")
                        .arg(format!("k:{n}"))
                        .arg(format!("v:{n}"))
                        .query(&mut c);
                    if r.is_err() {
                        return;
                    }
                    sets.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        std::thread::sleep(Duration::from_millis(jitter_ms(150, 700)));
        srv.kill9();
        stop.store(true, Ordering::SeqCst);
        writer.join().unwrap();
    }
    let srv = start(&dir_s);
    let (i, s) = (incrs.load(Ordering::SeqCst), sets.load(Ordering::SeqCst));
    assert!(i > 0 && s > 0, "the writer made progress");
    assert_durable(&srv, i, s);
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}
