//! The keyspace and the one path commands take to reach a key.
//!
//! `Keyspace` owns every database and the policy around a key access: lazy expiry
//! (a key found past its TTL is deleted, counted and reported as `expired`), hit/miss
//! counters, the access clock, and the side effects of a write (the `dirty` counter,
//! keyspace events, the modified-keys list WATCH and tracking read). Events are queued
//! here and delivered by the server after the command, so data never needs to reach
//! into the client table.

use super::Db;
use crate::command::error::CmdError;
use crate::types::string::RStr;
use crate::types::{RObj, Value, ValueType};

/// Keyspace event classes (`notify-keyspace-events` letters), Redis's bit values.
pub mod notify {
    pub const KEYSPACE: u32 = 1 << 0; // K
    pub const KEYEVENT: u32 = 1 << 1; // E
    pub const GENERIC: u32 = 1 << 2; // g
    pub const STRING: u32 = 1 << 3; // $
    pub const LIST: u32 = 1 << 4; // l
    pub const SET: u32 = 1 << 5; // s
    pub const HASH: u32 = 1 << 6; // h
    pub const ZSET: u32 = 1 << 7; // z
    pub const EXPIRED: u32 = 1 << 8; // x
    pub const EVICTED: u32 = 1 << 9; // e
    pub const STREAM: u32 = 1 << 10; // t
    pub const KEY_MISS: u32 = 1 << 11; // m
    pub const LOADED: u32 = 1 << 12; // module only
    pub const MODULE: u32 = 1 << 13; // d
    pub const NEW: u32 = 1 << 14; // n
}

/// A keyspace event waiting to be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyspaceEvent {
    pub class: u32,
    pub event: &'static str,
    pub key: Vec<u8>,
    pub db: usize,
}

/// Counters INFO stats reports about key access.
#[derive(Debug, Default, Clone)]
pub struct KeyspaceStats {
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub expire_cycle_time_used_us: u64,
    pub evicted_keys: u64,
}

/// All databases plus the access and write policy.
pub struct Keyspace {
    pub dbs: Vec<Db>,
    /// Changes since the last save (INFO `rdb_changes_since_last_save`).
    pub dirty: u64,
    pub stats: KeyspaceStats,
    /// The time commands see, fixed for the duration of one command (ms).
    pub now_ms: i64,
    /// Redis's LRU clock: seconds, 24 bits.
    pub lru_clock: u32,
    /// Replicas never delete expired keys themselves; they only hide them.
    pub is_replica: bool,
    /// Loading the AOF: nothing expires, and a TTL in the past is kept rather
    /// than deleting the key (Redis's `server.loading` checks).
    pub loading: bool,
    /// `notify-keyspace-events` flags.
    pub notify_flags: u32,
    /// Events raised by the running command, published after it.
    pub events: Vec<KeyspaceEvent>,
    /// Keys written by the running command (WATCH, client-side caching).
    pub modified: Vec<(usize, Vec<u8>)>,
    /// Record `modified` keys: set while some client WATCHes keys or tracks them,
    /// so plain writes copy no key.
    pub track_modified: bool,
    /// Deletions caused by lazy expiry, to propagate as DEL.
    pub expired_deletions: Vec<(usize, Vec<u8>)>,
    /// How the running command is to be propagated, when not as received.
    pub rewritten: Option<crate::command::OwnedArgv>,
    /// Keys some client is blocked on, with the number of waiters.
    pub blocking_keys: std::collections::HashMap<(usize, Vec<u8>), usize>,
    /// Keys that received data while somebody waits on them, to serve after the
    /// command.
    pub ready_keys: Vec<(usize, Vec<u8>)>,
    /// Set by a command that must be propagated even though `dirty` may not show
    /// it (FLUSHALL, whose save resets the counter).
    pub force_propagate: bool,
    /// With `force_propagate`: to the replicas only, not the AOF (PUBLISH).
    pub replicas_only: bool,
}

/// 24-bit LRU clock resolution, as in Redis.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// Queues a keyspace event when `flags` (notify-keyspace-events) ask for its class.
fn push_event(
    events: &mut Vec<KeyspaceEvent>,
    flags: u32,
    class: u32,
    event: &'static str,
    key: &[u8],
    db: usize,
) {
    if flags & class == 0 || flags & (notify::KEYSPACE | notify::KEYEVENT) == 0 {
        return;
    }
    events.push(KeyspaceEvent {
        class,
        event,
        key: key.to_vec(),
        db,
    });
}

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases).map(Db::new).collect(),
            dirty: 0,
            stats: KeyspaceStats::default(),
            now_ms: 0,
            lru_clock: 0,
            is_replica: false,
            loading: false,
            notify_flags: 0,
            events: Vec::new(),
            modified: Vec::new(),
            track_modified: false,
            expired_deletions: Vec::new(),
            rewritten: None,
            blocking_keys: std::collections::HashMap::new(),
            ready_keys: Vec::new(),
            force_propagate: false,
            replicas_only: false,
        }
    }

    /// Updates the command time and the LRU clock.
    pub fn set_time(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        self.lru_clock = ((now_ms / 1000) as u32) & LRU_CLOCK_MAX;
    }

    /// Deletes `key` if its TTL passed; true when the key is (logically) gone.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        let d = &mut self.dbs[db];
        if self.loading || !d.is_expired(key, self.now_ms) {
            return false;
        }
        if self.is_replica {
            return true;
        }
        d.remove(key);
        self.stats.expired_keys += 1;
        self.notify(notify::EXPIRED, "expired", key, db);
        self.modified(db, key);
        self.expired_deletions.push((db, key.to_vec()));
        true
    }

    /// True when a command setting a TTL already in the past deletes the key at
    /// once (checkAlreadyExpired): not on a replica, which waits for its master's
    /// DEL, nor while loading, which keeps the key with its past TTL.
    pub fn deletes_already_expired(&self) -> bool {
        !self.is_replica && !self.loading
    }

    /// Looks a key up for reading: lazy expiry, hit/miss counting, access clock.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&RObj> {
        self.lookup(db, key, true)
    }

    /// Looks a key up for reading without touching the access clock (OBJECT, TTL...).
    pub fn lookup_read_notouch(&mut self, db: usize, key: &[u8]) -> Option<&RObj> {
        self.lookup(db, key, false)
    }

    fn lookup(&mut self, db: usize, key: &[u8], touch: bool) -> Option<&RObj> {
        if self.expire_if_needed(db, key) {
            self.stats.keyspace_misses += 1;
            self.notify(notify::KEY_MISS, "keymiss", key, db);
            return None;
        }
        let clock = self.lru_clock;
        // Split borrows: one dict walk serves both the touch and the result.
        let Keyspace {
            dbs,
            stats,
            events,
            notify_flags,
            ..
        } = self;
        match dbs[db].dict.get_mut(key) {
            Some(o) => {
                if touch {
                    o.lru = clock;
                }
                stats.keyspace_hits += 1;
                Some(o)
            }
            None => {
                stats.keyspace_misses += 1;
                push_event(events, *notify_flags, notify::KEY_MISS, "keymiss", key, db);
                None
            }
        }
    }

    /// Looks a key up for writing (lazy expiry, access clock; no hit/miss counting).
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut RObj> {
        self.expire_if_needed(db, key);
        let clock = self.lru_clock;
        let o = self.dbs[db].dict.get_mut(key)?;
        o.lru = clock;
        Some(o)
    }

    /// True when `key` exists (after lazy expiry), without counting a hit.
    pub fn exists(&mut self, db: usize, key: &[u8]) -> bool {
        self.expire_if_needed(db, key);
        self.dbs[db].dict.contains_key(key)
    }

    /// The value of type `T` at `key` for reading (lazy expiry, hit/miss counted);
    /// WRONGTYPE when the key holds another type.
    pub fn read<T: ValueType>(&mut self, db: usize, key: &[u8]) -> Result<Option<&T>, CmdError> {
        match self.lookup_read(db, key) {
            None => Ok(None),
            Some(o) => T::of(&o.value).map(Some).ok_or(CmdError::WrongType),
        }
    }

    /// The value of type `T` at `key` for writing; WRONGTYPE for other types.
    pub fn write<T: ValueType>(
        &mut self,
        db: usize,
        key: &[u8],
    ) -> Result<Option<&mut T>, CmdError> {
        match self.lookup_write(db, key) {
            None => Ok(None),
            Some(o) => T::of_mut(&mut o.value).map(Some).ok_or(CmdError::WrongType),
        }
    }

    /// The string at `key` for reading; WRONGTYPE for other types.
    pub fn get_str(&mut self, db: usize, key: &[u8]) -> Result<Option<&RStr>, CmdError> {
        self.read(db, key)
    }

    /// The string at `key` for writing; WRONGTYPE for other types.
    pub fn get_str_mut(&mut self, db: usize, key: &[u8]) -> Result<Option<&mut RStr>, CmdError> {
        self.write(db, key)
    }

    /// Stores `value` at `key` (overwriting; the TTL survives only with `keep_ttl`) and
    /// signals the modification. The caller raises the command's own event.
    pub fn set(&mut self, db: usize, key: &[u8], value: Value, keep_ttl: bool) {
        let obj = RObj::new(value, self.lru_clock);
        self.dbs[db].set(key, obj, keep_ttl);
        self.modified(db, key);
    }

    /// Adds a key known to be absent and raises the `new` event.
    pub fn add(&mut self, db: usize, key: &[u8], value: Value) {
        let obj = RObj::new(value, self.lru_clock);
        self.dbs[db].insert(key.into(), obj, None);
        self.notify(notify::NEW, "new", key, db);
        self.modified(db, key);
    }

    /// Stores `value`, raising `new` when the key did not exist.
    pub fn set_or_add(&mut self, db: usize, key: &[u8], value: Value, keep_ttl: bool) {
        let obj = RObj::new(value, self.lru_clock);
        if !self.dbs[db].set(key, obj, keep_ttl) {
            self.notify(notify::NEW, "new", key, db);
        }
        self.modified(db, key);
    }

    /// Deletes `key`; true when it existed (expired keys count as absent).
    pub fn delete(&mut self, db: usize, key: &[u8]) -> bool {
        self.delete_lazy(db, key, false)
    }

    /// Deletes `key`, freeing a big value in the background when `lazy` (UNLINK,
    /// lazyfree-lazy-* configs).
    pub fn delete_lazy(&mut self, db: usize, key: &[u8], lazy: bool) -> bool {
        if self.expire_if_needed(db, key) {
            return false;
        }
        match self.dbs[db].remove(key) {
            Some(obj) => {
                if lazy {
                    super::lazyfree::free_value(obj);
                }
                self.modified(db, key);
                true
            }
            None => false,
        }
    }

    /// Records that `key` changed (WATCH, tracking).
    pub fn modified(&mut self, db: usize, key: &[u8]) {
        if self.track_modified && self.modified.len() < 1024 {
            self.modified.push((db, key.to_vec()));
        }
    }

    /// Propagates the running command as `parts` instead of as received (to make it
    /// deterministic: relative TTLs become absolute, floats become SET).
    pub fn propagate_as(&mut self, parts: &[&[u8]]) {
        self.rewritten = Some(crate::command::OwnedArgv::from_parts(parts.iter().copied()));
    }

    /// Notes that `key` received data: blocked clients waiting on it will be served
    /// after the command. Costs nothing while nobody is blocked.
    pub fn signal_ready(&mut self, db: usize, key: &[u8]) {
        if self.blocking_keys.is_empty() {
            return;
        }
        let k = (db, key.to_vec());
        if self.blocking_keys.contains_key(&k) && !self.ready_keys.contains(&k) {
            self.ready_keys.push(k);
        }
    }

    /// Counts one more client blocked on `key`.
    pub fn add_blocking_key(&mut self, db: usize, key: &[u8]) {
        *self.blocking_keys.entry((db, key.to_vec())).or_insert(0) += 1;
    }

    /// Counts one client less blocked on `key`.
    pub fn remove_blocking_key(&mut self, db: usize, key: &[u8]) {
        let k = (db, key.to_vec());
        if let Some(n) = self.blocking_keys.get_mut(&k) {
            *n -= 1;
            if *n == 0 {
                self.blocking_keys.remove(&k);
            }
        }
    }

    /// Adds `n` to the dirty counter.
    #[inline]
    pub fn dirty(&mut self, n: u64) {
        self.dirty += n;
    }

    /// Queues a keyspace event if `notify-keyspace-events` asks for its class.
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8], db: usize) {
        push_event(&mut self.events, self.notify_flags, class, event, key, db);
    }

    /// Total keys and keys with a TTL over all databases.
    pub fn total_keys(&self) -> (usize, usize) {
        self.dbs
            .iter()
            .fold((0, 0), |(k, e), d| (k + d.dict.len(), e + d.expires.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn str_val(s: &[u8]) -> Value {
        Value::Str(RStr::from_bytes(s))
    }

    #[test]
    fn expired_key_reads_as_missing_and_is_deleted() {
        let mut ks = Keyspace::new(2);
        ks.set_time(1_000);
        ks.set(0, b"k", str_val(b"v"), false);
        ks.dbs[0].set_expire(b"k", 1_500);
        assert!(ks.lookup_read(0, b"k").is_some());
        ks.set_time(1_500);
        assert!(ks.lookup_read(0, b"k").is_none());
        assert_eq!(ks.dbs[0].len(), 0);
        assert_eq!(ks.stats.expired_keys, 1);
        assert_eq!(ks.expired_deletions, vec![(0, b"k".to_vec())]);
    }

    #[test]
    fn replica_hides_but_keeps_expired_keys() {
        let mut ks = Keyspace::new(1);
        ks.is_replica = true;
        ks.set_time(10);
        ks.set(0, b"k", str_val(b"v"), false);
        ks.dbs[0].set_expire(b"k", 5);
        assert!(ks.lookup_read(0, b"k").is_none());
        assert_eq!(ks.dbs[0].len(), 1);
    }

    #[test]
    fn overwrite_drops_ttl_unless_kept() {
        let mut ks = Keyspace::new(1);
        ks.set(0, b"k", str_val(b"v"), false);
        ks.dbs[0].set_expire(b"k", i64::MAX);
        ks.set(0, b"k", str_val(b"w"), true);
        assert!(ks.dbs[0].expire_of(b"k").is_some());
        ks.set(0, b"k", str_val(b"x"), false);
        assert!(ks.dbs[0].expire_of(b"k").is_none());
    }

    #[test]
    fn events_are_queued_only_for_enabled_classes() {
        let mut ks = Keyspace::new(1);
        ks.notify(notify::GENERIC, "del", b"k", 0);
        assert!(ks.events.is_empty());
        ks.notify_flags = notify::KEYEVENT | notify::GENERIC;
        ks.notify(notify::GENERIC, "del", b"k", 0);
        ks.notify(notify::STRING, "set", b"k", 0);
        assert_eq!(ks.events.len(), 1);
        assert_eq!(ks.events[0].event, "del");
    }

    #[test]
    fn wrong_type_is_never_returned_for_strings() {
        let mut ks = Keyspace::new(1);
        ks.set(0, b"k", str_val(b"5"), false);
        assert_eq!(ks.get_str(0, b"k").unwrap().unwrap().as_i64(), Some(5));
    }
}
