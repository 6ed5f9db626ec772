//! Helpers shared by the RDB tests: values in a canonical text form (so two
//! values compare by content whatever their encoding or table order),
//! databases, loading from bytes, and a small PRNG for the corruption loops.

use super::{load_snapshot, LoadOptions, LoadReport, RdbError};
use crate::config::Config;
use crate::db::Db;
use crate::types::Value;

/// Content of a value as text: type, then elements in order (lists, zsets)
/// or sorted (hashes, sets); integers and strings alike as their bytes.
pub fn canon(v: &Value) -> String {
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match v {
        Value::Str(s) => format!("string {}", show(&s.bytes())),
        Value::List(l) => {
            let items: Vec<String> = l.iter().map(|e| show(&e.to_vec())).collect();
            format!("list {}", items.join(","))
        }
        Value::Hash(h) => {
            let mut items: Vec<String> = h
                .iter()
                .map(|(f, v)| format!("{}={}", show(&f.to_vec()), show(&v.to_vec())))
                .collect();
            items.sort();
            format!("hash {}", items.join(","))
        }
        Value::Set(s) => {
            let mut items: Vec<String> = s.iter().map(|m| show(&m.to_vec())).collect();
            items.sort();
            format!("set {}", items.join(","))
        }
        Value::ZSet(z) => {
            let items: Vec<String> = z
                .iter()
                .map(|(m, s)| format!("{}:{:?}", show(&m.to_vec()), s))
                .collect();
            format!("zset {}", items.join(","))
        }
    }
}

/// `n` empty databases.
pub fn dbs(n: usize) -> Vec<Db> {
    (0..n).map(Db::new).collect()
}

/// Loads `bytes` into 16 fresh databases.
pub fn load_bytes(
    bytes: &[u8],
    config: &Config,
    skip_expired_before: Option<i64>,
) -> Result<(Vec<Db>, LoadReport), RdbError> {
    let mut dbs = dbs(16);
    let mut src = bytes;
    let mut opts = LoadOptions {
        config,
        deep_sanitize: true,
        skip_expired_before,
        lru_clock: 1000,
        progress: None,
        progress_interval: 0,
        key_load_delay_us: 0,
    };
    let report = load_snapshot(&mut src, &mut dbs, &mut opts)?;
    Ok((dbs, report))
}

/// Every key of every database: (db, key, canonical value, encoding, expire).
pub fn contents(dbs: &[Db]) -> Vec<(usize, String, String, &'static str, Option<i64>)> {
    let mut out = Vec::new();
    for db in dbs {
        for (k, o) in db.dict.iter() {
            out.push((
                db.id,
                String::from_utf8_lossy(k).into_owned(),
                canon(&o.value),
                o.value.encoding(),
                db.expire_of(k),
            ));
        }
    }
    out.sort();
    out
}

/// xorshift64: the corruption loops' source of positions and bytes.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
