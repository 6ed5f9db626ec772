//! The keyspace: numbered databases, each a dict of keys and a dict of expire times.
//!
//! `Db` holds data only; the policy around it (lazy expiry on access, keyspace
//! notifications, dirty counting, propagation) lives in `command::context`, which is
//! the one path every command takes to reach a key. Active expiry is in `expire`.

pub mod dict;
pub mod digest;
pub mod expire;
pub mod generic;
pub mod key;
pub mod keyspace;
pub mod lazyfree;

use crate::types::RObj;
use dict::Dict;

pub use key::Key;

/// One database.
pub struct Db {
    pub id: usize,
    /// Every key and its value.
    pub dict: Dict<Key, RObj>,
    /// Keys with a time to live: absolute unix time in milliseconds.
    pub expires: Dict<Key, i64>,
    /// Average TTL of the keys active expiry sampled, for INFO keyspace.
    pub avg_ttl: i64,
    /// Where active expiry resumes its scan of `expires`.
    pub expires_cursor: u64,
}

impl Db {
    pub fn new(id: usize) -> Db {
        Db {
            id,
            dict: Dict::new(),
            expires: Dict::new(),
            avg_ttl: 0,
            expires_cursor: 0,
        }
    }

    /// Number of keys, expired-but-not-yet-reclaimed ones included (like DBSIZE).
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// The absolute expire time of `key` in ms, if it has one.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        self.expires.get(key).copied()
    }

    /// True when `key` has a TTL that passed at `now_ms`.
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        // Most databases have no TTLs: skip hashing the key for nothing.
        if self.expires.is_empty() {
            return false;
        }
        matches!(self.expires.get(key), Some(&when) if when <= now_ms)
    }

    /// Sets the expire of an existing key.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) {
        if let Some(slot) = self.expires.get_mut(key) {
            *slot = when_ms;
        } else {
            self.expires.insert(key.into(), when_ms);
        }
    }

    /// Removes the TTL of `key`; true when it had one.
    pub fn remove_expire(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    /// Adds or overwrites `key` with one lookup; true when it existed. Overwriting
    /// drops the TTL unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], obj: RObj, keep_ttl: bool) -> bool {
        if let Some(slot) = self.dict.get_mut(key) {
            *slot = obj;
            if !keep_ttl && !self.expires.is_empty() {
                self.expires.remove(key);
            }
            true
        } else {
            self.dict.insert_new(key.into(), obj);
            false
        }
    }

    /// Removes `key` and its TTL; returns the old object.
    pub fn remove(&mut self, key: &[u8]) -> Option<RObj> {
        let (_, obj) = self.dict.remove(key)?;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        Some(obj)
    }

    /// Empties the database; returns how many keys it held. With `async_free` the
    /// old tables are dropped on the lazyfree thread (FLUSHDB ASYNC).
    pub fn clear(&mut self, async_free: bool) -> usize {
        let n = self.dict.len();
        let dict = std::mem::take(&mut self.dict);
        let expires = std::mem::take(&mut self.expires);
        if async_free && n > 1024 {
            lazyfree::free_in_background((dict, expires));
        }
        self.avg_ttl = 0;
        self.expires_cursor = 0;
        n
    }
}
