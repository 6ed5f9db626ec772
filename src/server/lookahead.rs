//! Pipeline look-ahead: before a client's pipelined commands run, start loading
//! the parts of the keyspace they will touch, so that their cache misses
//! overlap instead of coming one after another, command after command.
//!
//! Two batches, each through `prefetch_lookups`:
//! - the keys (the second argument of each request), when the pipeline names
//!   more than one: a pipeline on one key keeps that key in cache anyway;
//! - the fields or members that commands such as HSET, SADD or ZADD name, when
//!   at least two in a row go to the same hashtable hash, hashtable set or
//!   skiplist sorted set (a pipeline without such commands costs a glance at
//!   each command's name): one big collection takes the misses a keyspace of
//!   small keys would (bucket, entry, member bytes). The key is looked up once
//!   for the run; a run of one would pay that lookup for a single prefetch.
//!
//! A pipeline whose first `ONE_KEY_PROBE` requests all name one key and no
//! member (LPUSH, SPOP or PING, over and over) has nothing to gain, so the rest
//! of the input it came in is not read at all: walking it would cost about 100
//! instructions a request for no prefetch. If the rest names other keys after
//! all, their misses come one after another, as they would without any
//! look-ahead.
//!
//! Everything here is a hint: nothing is changed, and a guess that is wrong
//! (the second argument of a keyless command, a ZADD flag where the member
//! usually is) costs a hash and a few loads.

use crate::db::keyspace::Keyspace;
use crate::db::Db;
use crate::protocol::request::{peek_requests, PeekedRequest};
use crate::util::prefetch::{prefetch_lookups, StagedLookup, LOOKUP_BATCH};

/// How many requests, all on one key and naming no member, make the
/// look-ahead give up on the rest of the input.
const ONE_KEY_PROBE: usize = 4;

/// Prefetches for the next commands of a pipeline in `input` (the unparsed
/// query buffer) in database `db`; returns how far it looked. A lone command
/// gains nothing from it and is left alone. An empty database has nothing to
/// load: the whole input counts as looked at, without reading it (walking the
/// requests costs about 100 instructions each, a PING pipeline's own cost).
pub fn prefetch_pipeline(ks: &Keyspace, db: usize, input: &[u8]) -> usize {
    let Some(db) = ks.dbs.get(db).filter(|db| !db.dict.is_empty()) else {
        return input.len();
    };
    let mut peek = peek_requests(input);
    let mut found = 0;
    let mut keys: [&[u8]; LOOKUP_BATCH] = [&[]; LOOKUP_BATCH];
    let mut distinct = 0;
    let mut runs = MemberRuns::default();
    for r in peek.by_ref().take(LOOKUP_BATCH) {
        found += 1;
        let key = r.arg(input, 1).unwrap_or_default();
        if distinct == 0 || keys[distinct - 1] != key {
            keys[distinct] = key;
            distinct += 1;
        }
        if let Some(member) = member_of(&r, input) {
            runs.add(db, key, member);
        }
        if found == ONE_KEY_PROBE && distinct == 1 && runs.run_len == 0 {
            return input.len();
        }
    }
    if found < 2 {
        return peek.offset();
    }
    if distinct > 1 {
        db.prefetch_keys(&keys[..distinct]);
    }
    if let Some(batch) = &runs.batch {
        prefetch_lookups(runs.len, |i| batch[i]);
    }
    peek.offset()
}

/// The members to prefetch: those of runs of two or more commands naming a
/// member of the same key (commands in between that name none don't end a
/// run), in a collection with an index.
#[derive(Default)]
struct MemberRuns<'a> {
    /// Key of the current run, its first member, and its length so far.
    key: &'a [u8],
    first: &'a [u8],
    run_len: usize,
    /// The current run's index, once it is two long and has one.
    index: Option<&'a dyn StagedLookup>,
    /// The members taken, allocated (on the stack) at the first run of two.
    batch: Option<[(&'a dyn StagedLookup, &'a [u8]); LOOKUP_BATCH]>,
    len: usize,
}

impl<'a> MemberRuns<'a> {
    fn add(&mut self, db: &'a Db, key: &'a [u8], member: &'a [u8]) {
        if self.run_len == 0 || key != self.key {
            *self = MemberRuns {
                key,
                first: member,
                run_len: 1,
                index: None,
                batch: self.batch.take(),
                len: self.len,
            };
            return;
        }
        self.run_len += 1;
        if self.run_len == 2 {
            self.index = db.dict.get(key).and_then(|o| o.value.member_index());
            self.push(self.first);
        }
        self.push(member);
    }

    /// Takes `member` into the batch, if the current run has an index.
    fn push(&mut self, member: &'a [u8]) {
        let Some(index) = self.index else { return };
        let batch = self.batch.get_or_insert([(&NoIndex, &[]); LOOKUP_BATCH]);
        if let Some(slot) = batch.get_mut(self.len) {
            *slot = (index, member);
            self.len += 1;
        }
    }
}

/// The field or member a request names in its key's collection, for the
/// commands that look one up (the first one, for those that take several).
fn member_of<'b>(r: &PeekedRequest, input: &'b [u8]) -> Option<&'b [u8]> {
    r.arg(input, member_position(r.arg(input, 0)?)?)
}

/// Where the field or member is in the arguments of command `name` (0 being
/// the name), for the commands that look one up in a hash, set or sorted set.
fn member_position(name: &[u8]) -> Option<usize> {
    const SHORTEST: usize = 4;
    const LONGEST: usize = 12;
    // Every such command starts with H, S or Z: most others are turned away
    // before any copying.
    let initial = name.first()?.to_ascii_lowercase();
    if !(SHORTEST..=LONGEST).contains(&name.len()) || !matches!(initial, b'h' | b's' | b'z') {
        return None;
    }
    let mut lower = [0u8; LONGEST];
    let lower = &mut lower[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    match &*lower {
        b"hset" | b"hsetnx" | b"hget" | b"hmget" | b"hexists" | b"hdel" | b"hincrby"
        | b"hincrbyfloat" | b"hstrlen" | b"sadd" | b"srem" | b"sismember" | b"smismember"
        | b"zscore" | b"zmscore" | b"zrem" | b"zrank" | b"zrevrank" => Some(2),
        // ZADD key score member, without flags; ZINCRBY key increment member.
        b"zadd" | b"zincrby" => Some(3),
        _ => None,
    }
}

/// Fills the unused slots of a member batch.
struct NoIndex;

impl StagedLookup for NoIndex {
    fn stage_bucket(&self, _: &[u8]) -> u64 {
        0
    }
    fn stage_entry(&self, _: u64) {}
    fn stage_data(&self, _: u64) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Key;
    use crate::types::hash::{self, Hash};
    use crate::types::set::Set;
    use crate::types::string::RStr;
    use crate::types::zset::{self, AddFlags, ZSet};
    use crate::types::{RObj, Value};

    #[test]
    fn member_positions_follow_each_command_syntax() {
        for (name, pos) in [
            (&b"HSET"[..], Some(2)),
            (b"hget", Some(2)),
            (b"HincrbyFloat", Some(2)),
            (b"sismember", Some(2)),
            (b"ZSCORE", Some(2)),
            (b"zadd", Some(3)),
            (b"ZINCRBY", Some(3)),
            (b"GET", None),
            (b"LPUSH", None),
            (b"hincrbyfloatx", None),
            (b"", None),
        ] {
            assert_eq!(member_position(name), pos, "{name:?}");
        }
    }

    fn request(args: &[&[u8]]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// Prefetches pipelines on a hashtable hash, a hashtable set and a
    /// skiplist sorted set at every size from 1 to 300 members (so their
    /// indexes are caught rehashing, growing and, for the zset, with members
    /// deleted), and checks that the look-ahead stops where the complete
    /// requests end and that the data is what was written.
    #[test]
    fn prefetching_pipelines_changes_nothing_in_any_index_state() {
        let mut ks = Keyspace::new(1);
        let db = &mut ks.dbs[0];
        let obj = |v: Value| RObj::new(v, 0);
        db.insert(Key::new(b"h"), obj(Value::Hash(Hash::new_table(0))), None);
        db.insert(Key::new(b"s"), obj(Value::Set(Set::new_hashtable(0))), None);
        db.insert(Key::new(b"z"), obj(Value::ZSet(ZSet::new_skiplist())), None);
        db.insert(
            Key::new(b"str"),
            obj(Value::Str(RStr::from_bytes(b"v"))),
            None,
        );
        let hash_limits = hash::Limits {
            max_entries: 0,
            max_value: 0,
        };
        let zset_limits = zset::Limits {
            max_entries: 0,
            max_value: 0,
        };
        let member = |i: usize| format!("member:{i:04}").into_bytes();
        for i in 0..300 {
            let dict = &mut ks.dbs[0].dict;
            let m = member(i);
            let Some(Value::Hash(h)) = dict.get_mut(&b"h"[..]).map(|o| &mut o.value) else {
                panic!("not a hash")
            };
            h.set(&m, b"v", hash_limits);
            let Some(Value::Set(s)) = dict.get_mut(&b"s"[..]).map(|o| &mut o.value) else {
                panic!("not a set")
            };
            s.add(&m, 0);
            let Some(Value::ZSet(z)) = dict.get_mut(&b"z"[..]).map(|o| &mut o.value) else {
                panic!("not a zset")
            };
            let added = z.add(i as f64, &m, AddFlags::default(), zset_limits);
            assert!(added.is_ok());
            if i % 7 == 6 {
                assert!(z.remove(&member(i - 3)));
            }

            let mut input = Vec::new();
            for j in [i, i / 2, 9999] {
                let m = member(j);
                input.extend(request(&[b"HSET", b"h", &m, b"v"]));
                input.extend(request(&[b"SISMEMBER", b"s", &m]));
                input.extend(request(&[b"ZADD", b"z", b"1", &m]));
                input.extend(request(&[b"zscore", b"z", &m]));
                input.extend(request(&[b"GET", b"str"]));
            }
            let complete = input.len();
            input.extend_from_slice(b"*3\r\n$4\r\nHSET\r\n$1\r\nh");
            // 15 requests: one batch takes them all.
            assert_eq!(prefetch_pipeline(&ks, 0, &input), complete);
            // A pipeline that goes on naming one key and no member is left alone
            // after a few requests; one naming members of one key is not.
            let one_key: Vec<u8> = (0..20)
                .flat_map(|_| request(&[b"LPUSH", b"str", &m]))
                .collect();
            assert_eq!(prefetch_pipeline(&ks, 0, &one_key), one_key.len());
            let lpush = request(&[b"LPUSH", b"str", &m]).len();
            assert_eq!(
                prefetch_pipeline(&ks, 0, &one_key[..lpush * ONE_KEY_PROBE - 1]),
                lpush * (ONE_KEY_PROBE - 1)
            );
            let one_hash: Vec<u8> = (0..20)
                .flat_map(|_| request(&[b"HSET", b"h", &m, b"v"]))
                .collect();
            let hset = request(&[b"HSET", b"h", &m, b"v"]).len();
            assert_eq!(prefetch_pipeline(&ks, 0, &one_hash), hset * LOOKUP_BATCH);
            // Nothing to load from an empty database: all of it counts as seen.
            assert_eq!(prefetch_pipeline(&Keyspace::new(1), 0, &input), input.len());
        }
        let db = &ks.dbs[0];
        let value = |k: &[u8]| &db.dict.get(k).expect("stored").value;
        let (Value::Hash(h), Value::Set(s), Value::ZSet(z)) =
            (value(b"h"), value(b"s"), value(b"z"))
        else {
            panic!("types changed");
        };
        assert_eq!((h.len(), s.len(), z.len()), (300, 300, 300 - 300 / 7));
        for i in 0..300 {
            assert!(h.get(&member(i)).is_some() && s.contains(&member(i)));
            let deleted = i % 7 == 3 && i + 3 < 300;
            assert_eq!(z.score(&member(i)), (!deleted).then_some(i as f64));
        }
    }
}
