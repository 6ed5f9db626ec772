//! Pipeline look-ahead: before a client's pipelined commands run, start loading
//! the parts of the keyspace they will touch, so that their cache misses
//! overlap instead of coming one after another, command after command.
//!
//! Two batches, each through `prefetch_lookups`:
//! - the keys (the second argument of each request), when the pipeline names
//!   more than one: a pipeline on one key keeps that key in cache anyway;
//! - the fields or members that commands such as HSET, SADD or ZADD name, when
//!   at least two in a row go to the same hashtable hash, hashtable set or
//!   skiplist sorted set: one big collection takes the misses a keyspace of
//!   small keys would (bucket, entry, member bytes). The key is looked up once
//!   for the run; a run of one would pay that lookup for a single prefetch.
//!
//! Everything here is a hint: nothing is changed, and a guess that is wrong
//! (the second argument of a keyless command, a ZADD flag where the member
//! usually is) costs a hash and a few loads.

use crate::db::keyspace::Keyspace;
use crate::protocol::request::{peek_requests, PeekedRequest};
use crate::util::prefetch::{prefetch_lookups, StagedLookup, LOOKUP_BATCH};

/// Prefetches for the next commands of a pipeline in `input` (the unparsed
/// query buffer) in database `db`; returns how far it looked. A lone command
/// gains nothing from it and is left alone.
pub fn prefetch_pipeline(ks: &Keyspace, db: usize, input: &[u8]) -> usize {
    let mut reqs = [PeekedRequest::default(); LOOKUP_BATCH];
    let (found, end) = peek_requests(input, &mut reqs);
    let Some(db) = ks.dbs.get(db) else {
        return end;
    };
    if found < 2 || db.dict.is_empty() {
        return end;
    }
    let reqs = &reqs[..found];
    let key = |r: &PeekedRequest| r.arg(input, 1).unwrap_or_default();

    let mut keys: [&[u8]; LOOKUP_BATCH] = [&[]; LOOKUP_BATCH];
    let mut distinct = 0;
    for r in reqs {
        if distinct == 0 || keys[distinct - 1] != key(r) {
            keys[distinct] = key(r);
            distinct += 1;
        }
    }
    if distinct > 1 {
        db.prefetch_keys(&keys[..distinct]);
    }

    let mut members: [(&dyn StagedLookup, &[u8]); LOOKUP_BATCH] = [(&NoIndex, &[]); LOOKUP_BATCH];
    let mut n = 0;
    let mut rest = reqs;
    while let Some((first, _)) = rest.split_first() {
        let run = rest.iter().take_while(|r| key(r) == key(first)).count();
        let in_run = rest[..run].iter().filter_map(|r| member_of(r, input));
        if run >= 2 && in_run.clone().nth(1).is_some() {
            if let Some(index) = db.dict.get(key(first)).and_then(|o| o.value.member_index()) {
                for m in in_run {
                    members[n] = (index, m);
                    n += 1;
                }
            }
        }
        rest = &rest[run..];
    }
    if n >= 2 {
        prefetch_lookups(&members[..n]);
    }
    end
}

/// The field or member a request names in its key's collection, for the
/// commands that look one up (the first one, for those that take several).
fn member_of<'b>(r: &PeekedRequest, input: &'b [u8]) -> Option<&'b [u8]> {
    r.arg(input, member_position(r.arg(input, 0)?)?)
}

/// Where the field or member is in the arguments of command `name` (0 being
/// the name), for the commands that look one up in a hash, set or sorted set.
fn member_position(name: &[u8]) -> Option<usize> {
    const LONGEST: usize = 12;
    if name.len() > LONGEST {
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
