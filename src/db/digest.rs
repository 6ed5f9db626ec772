//! DEBUG DIGEST and DEBUG DIGEST-VALUE: an order-independent fingerprint of the data,
//! so tests can check that two datasets (before and after a reload, master and
//! replica) hold the same keys, values and TTLs.
//!
//! Like Redis: each key's digest is SHA-1 over its name, value and expire, and the
//! dataset digest XORs the key digests so the iteration order does not matter.
//! An empty dataset digests to forty zeros.

use super::keyspace::Keyspace;
use crate::types::Value;
use crate::util::sha1::{hex, Sha1};

fn value_digest(h: &mut Sha1, v: &Value) {
    v.digest(h);
}

/// Digest of one key (name, value, expire); `None` when absent.
fn key_digest_bytes(ks: &Keyspace, db: usize, key: &[u8]) -> Option<[u8; 20]> {
    let d = &ks.dbs[db];
    let o = d.dict.get(key)?;
    let mut h = Sha1::new();
    h.update(key);
    value_digest(&mut h, &o.value);
    if let Some(when) = d.expire_of(key) {
        h.update(b"!!expire!!");
        h.update(&when.to_le_bytes());
    }
    Some(h.finish())
}

/// DEBUG DIGEST-VALUE: the value's digest (without the key name), or zeros if absent.
pub fn key_digest(ks: &Keyspace, db: usize, key: &[u8]) -> String {
    match ks.dbs[db].dict.get(key) {
        Some(o) => {
            let mut h = Sha1::new();
            value_digest(&mut h, &o.value);
            hex(&h.finish())
        }
        None => "0".repeat(40),
    }
}

/// DEBUG DIGEST: XOR of every key's digest, mixed with its database number.
pub fn dataset_digest(ks: &Keyspace) -> String {
    let mut acc = [0u8; 20];
    let mut any = false;
    for (dbi, d) in ks.dbs.iter().enumerate() {
        if d.dict.is_empty() {
            continue;
        }
        for (k, _) in d.dict.iter() {
            if let Some(kd) = key_digest_bytes(ks, dbi, k) {
                let mut h = Sha1::new();
                h.update(&(dbi as u64).to_le_bytes());
                h.update(&kd);
                let mixed = h.finish();
                for (a, b) in acc.iter_mut().zip(mixed) {
                    *a ^= b;
                }
                any = true;
            }
        }
    }
    if any {
        hex(&acc)
    } else {
        "0".repeat(40)
    }
}
