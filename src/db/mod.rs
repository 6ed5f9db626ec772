//! The keyspace: numbered databases, each a dict of keys and an index of their
//! expire times.
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
pub mod ttl_index;

use crate::types::RObj;
use crate::util::prefetch::prefetch_lookups;
use dict::Dict;
use ttl_index::{TtlIndex, TtlSlot};

pub use key::Key;

/// One database.
pub struct Db {
    pub id: usize,
    /// Every key and its value. Read it freely; add and remove keys through `Db`'s
    /// methods, which keep `expires` in step with each `RObj::ttl_slot`.
    pub dict: Dict<Key, RObj>,
    /// Keys with a time to live: absolute unix time in milliseconds.
    pub expires: TtlIndex,
    /// Average TTL of the keys active expiry sampled, for INFO keyspace.
    pub avg_ttl: i64,
    /// Where active expiry resumes its downward walk of `expires`.
    pub expires_cursor: usize,
}

impl Db {
    pub fn new(id: usize) -> Db {
        Db {
            id,
            dict: Dict::new(),
            expires: TtlIndex::default(),
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

    /// Starts loading what looking up `keys` will touch (see
    /// `prefetch_lookups`): bucket, entry, key bytes and a string value's
    /// bytes. Only hints: what the dict holds is unchanged. Keys past the first
    /// `LOOKUP_BATCH` are left out.
    pub fn prefetch_keys(&self, keys: &[&[u8]]) {
        if self.dict.is_empty() {
            return;
        }
        prefetch_lookups(keys.len(), |i| (&self.dict, keys[i]));
    }

    /// The absolute expire time of `key` in ms, if it has one.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        // Most databases have no TTLs: skip hashing the key for nothing.
        if self.expires.is_empty() {
            return None;
        }
        self.expire_of_obj(self.dict.get(key)?)
    }

    /// The expire time of an object stored in this database.
    pub fn expire_of_obj(&self, obj: &RObj) -> Option<i64> {
        self.expires.when(obj.ttl_slot)
    }

    /// True when `key` has a TTL that passed at `now_ms`.
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        matches!(self.expire_of(key), Some(when) if when <= now_ms)
    }

    /// Sets the expire of an existing key (nothing happens to a missing one).
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) {
        let Some(obj) = self.dict.get_mut(key) else {
            debug_assert!(false, "set_expire on a missing key");
            return;
        };
        if obj.ttl_slot.is_none() {
            obj.ttl_slot = self.expires.push(key.into(), when_ms);
        } else {
            self.expires.set_when(obj.ttl_slot, when_ms);
        }
    }

    /// Removes the TTL of `key`; true when it had one.
    pub fn remove_expire(&mut self, key: &[u8]) -> bool {
        let Some(obj) = self.dict.get_mut(key) else {
            return false;
        };
        let slot = std::mem::replace(&mut obj.ttl_slot, TtlSlot::NONE);
        self.forget_ttl(slot);
        !slot.is_none()
    }

    /// Drops the index record at `slot` and tells the key moved into it.
    /// Inlined, so a key without a TTL (most writes) costs one compare here.
    #[inline]
    fn forget_ttl(&mut self, slot: TtlSlot) {
        if slot.is_none() {
            return;
        }
        if let Some(moved) = self.expires.swap_remove(slot) {
            match self.dict.get_mut(&moved[..]) {
                Some(obj) => obj.ttl_slot = slot,
                None => debug_assert!(false, "TTL index names a missing key"),
            }
        }
    }

    /// Adds or overwrites `key` with one lookup; true when it existed. Overwriting
    /// drops the TTL unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], mut obj: RObj, keep_ttl: bool) -> bool {
        obj.ttl_slot = TtlSlot::NONE;
        if let Some(slot) = self.dict.get_mut(key) {
            let old_ttl = slot.ttl_slot;
            *slot = obj;
            if keep_ttl {
                slot.ttl_slot = old_ttl;
            } else {
                self.forget_ttl(old_ttl);
            }
            true
        } else {
            self.dict.insert_new(key.into(), obj);
            false
        }
    }

    /// Stores `key` with one dict walk and `expire` as its TTL, dropping any TTL
    /// an existing key had (RENAME, MOVE, COPY, new keys).
    pub fn insert(&mut self, key: Key, mut obj: RObj, expire: Option<i64>) {
        obj.ttl_slot = self.index_ttl(&key, expire);
        if let Some(old) = self.dict.insert(key, obj) {
            // If the record just pushed is the last one, it moves into the old
            // slot, and the new object (already in the dict) learns it.
            self.forget_ttl(old.ttl_slot);
        }
    }

    /// Adds a key known to be absent, with its expire time if any (RDB loading,
    /// DEBUG POPULATE): one dict walk, no lookup first.
    pub fn insert_new(&mut self, key: Key, mut obj: RObj, expire: Option<i64>) {
        obj.ttl_slot = self.index_ttl(&key, expire);
        self.dict.insert_new(key, obj);
    }

    /// Records `expire` for `key`, about to be stored: the slot its `RObj` holds.
    fn index_ttl(&mut self, key: &Key, expire: Option<i64>) -> TtlSlot {
        match expire {
            Some(when) => self.expires.push(key.clone(), when),
            None => TtlSlot::NONE,
        }
    }

    /// Removes `key` and its TTL; returns the old object, no longer indexed.
    pub fn remove(&mut self, key: &[u8]) -> Option<RObj> {
        let (_, mut obj) = self.dict.remove(key)?;
        let slot = std::mem::replace(&mut obj.ttl_slot, TtlSlot::NONE);
        self.forget_ttl(slot);
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

    /// Checks that every TTL record and every `RObj::ttl_slot` name each other.
    #[cfg(test)]
    pub fn check_ttl_index(&self) {
        let indexed = self
            .dict
            .iter()
            .filter(|(_, o)| !o.ttl_slot.is_none())
            .count();
        assert_eq!(indexed, self.expires.len());
        for pos in 0..self.expires.len() {
            let (key, _) = self.expires.at(pos);
            let obj = self.dict.get(&key[..]).expect("indexed key is in the dict");
            assert_eq!(obj.ttl_slot.position(), Some(pos));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::string::RStr;
    use crate::types::Value;

    fn obj(v: &[u8]) -> RObj {
        RObj::new(Value::Str(RStr::from_bytes(v)), 0)
    }

    #[test]
    fn prefetching_keys_in_any_dict_state_changes_nothing() {
        let mut db = Db::new(0);
        let absent: Vec<Vec<u8>> = (0..40)
            .map(|i| format!("absent:{i:020}").into_bytes())
            .collect();
        let keys: Vec<&[u8]> = absent.iter().map(|k| &k[..]).collect();
        // An empty database: nothing to look at.
        db.prefetch_keys(&keys);
        // Inline and heap keys; integer, inline, embstr and raw values; more keys
        // than one batch; while the dict rehashes into a bigger table.
        let mut stored = Vec::new();
        let mut prefetched_while_rehashing = false;
        for i in 0..200 {
            let key = if i % 2 == 0 {
                format!("k{i}").into_bytes()
            } else {
                format!("a-key-too-long-to-be-inline:{i}").into_bytes()
            };
            let value = match i % 4 {
                0 => i.to_string().into_bytes(),
                1 => b"short".to_vec(),
                2 => vec![b'e'; 40],
                _ => vec![b'r'; 1024],
            };
            db.insert(Key::new(&key), obj(&value), None);
            stored.push((key, value));
            let batch: Vec<&[u8]> = stored.iter().rev().take(20).map(|(k, _)| &k[..]).collect();
            prefetched_while_rehashing |= db.dict.is_rehashing();
            db.prefetch_keys(&batch);
            db.prefetch_keys(&keys);
        }
        assert!(prefetched_while_rehashing);
        assert_eq!(db.len(), 200);
        for (k, v) in &stored {
            let Value::Str(s) = &db.dict.get(&k[..]).expect("still there").value else {
                panic!("not a string");
            };
            assert_eq!(&s.bytes()[..], &v[..]);
        }
    }

    #[test]
    fn ttl_follows_its_key_through_every_write_path() {
        let mut db = Db::new(0);
        db.set(b"a", obj(b"1"), false);
        db.set(b"b", obj(b"2"), false);
        db.set_expire(b"a", 100);
        db.set_expire(b"b", 200);
        assert_eq!(db.expire_of(b"a"), Some(100));
        // KEEPTTL keeps it, a plain overwrite drops it.
        db.set(b"a", obj(b"x"), true);
        assert_eq!(db.expire_of(b"a"), Some(100));
        db.set(b"a", obj(b"y"), false);
        assert_eq!(db.expire_of(b"a"), None);
        assert_eq!(db.expire_of(b"b"), Some(200));
        db.check_ttl_index();
        // A removed object carries no slot into its next home.
        let moved = db.remove(b"b").unwrap();
        assert!(moved.ttl_slot.is_none());
        db.insert(b"c"[..].into(), moved, None);
        assert_eq!(db.expire_of(b"c"), None);
        // A clone (COPY) is not indexed either.
        db.set_expire(b"c", 300);
        let copy = db.dict.get(&b"c"[..]).unwrap().clone();
        assert!(copy.ttl_slot.is_none());
        db.insert(b"a"[..].into(), copy, None);
        assert!(db.is_expired(b"c", 300) && !db.is_expired(b"c", 299));
        assert!(!db.is_expired(b"a", i64::MAX));
        assert!(db.remove_expire(b"c") && !db.remove_expire(b"c"));
        db.check_ttl_index();
        assert!(db.expires.is_empty());
    }

    #[test]
    fn ttl_index_stays_consistent_under_random_churn() {
        let mut db = Db::new(0);
        let mut model = std::collections::HashMap::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for step in 0..20_000i64 {
            let key = format!("key:{}", rand(500));
            let k = key.as_bytes();
            match rand(7) {
                0 => {
                    db.set(k, obj(b"v"), false);
                    model.insert(key, None);
                }
                1 if model.contains_key(&key) => {
                    db.set_expire(k, step);
                    model.insert(key, Some(step));
                }
                2 => {
                    assert_eq!(db.remove(k).is_some(), model.remove(&key).is_some());
                }
                3 => {
                    let had = model.get(&key).copied().flatten().is_some();
                    assert_eq!(db.remove_expire(k), had);
                    if let Some(v) = model.get_mut(&key) {
                        *v = None;
                    }
                }
                4 if model.contains_key(&key) => {
                    db.set(k, obj(b"w"), true);
                }
                5 => {
                    db.insert(key.as_bytes().into(), obj(b"z"), None);
                    model.insert(key, None);
                }
                _ => {
                    // Replacing a key that may have a TTL with one that has its own.
                    db.insert(key.as_bytes().into(), obj(b"t"), Some(-step));
                    model.insert(key, Some(-step));
                }
            }
            if step % 997 == 0 {
                db.check_ttl_index();
            }
        }
        db.check_ttl_index();
        for (key, when) in &model {
            assert_eq!(db.expire_of(key.as_bytes()), *when, "{key}");
        }
    }
}
