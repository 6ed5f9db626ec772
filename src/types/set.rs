//! The Set type and its commands (Redis `t_set.c`).
//!
//! # Encodings
//!
//! - `intset` ([`IntSet`]): while every member is a canonical integer (exactly the
//!   strings `string2ll` accepts, so formatting gives the member back) and there
//!   are at most `set-max-intset-entries` members (capped at 2^30, like Redis).
//! - `hashtable`: a [`Dict`] of member bytes, with incremental rehashing, fair random
//!   sampling and the reverse-binary SCAN cursor.
//!
//! Conversion is one way, as in Redis: adding a non-integer member or going over
//! the entry limit turns an intset into a hashtable for good, even after the
//! members that caused it are removed. A set is created as an intset when its
//! first member is an integer, and the result sets of SINTERSTORE, SUNIONSTORE and
//! SDIFFSTORE start as intsets and convert as members are added, so OBJECT
//! ENCODING answers what Redis answers.
//!
//! # Commands
//!
//! SADD, SCARD, SDIFF, SDIFFSTORE, SINTER, SINTERCARD, SINTERSTORE, SISMEMBER,
//! SMEMBERS, SMISMEMBER, SMOVE, SPOP, SRANDMEMBER, SREM, SSCAN, SUNION, SUNIONSTORE,
//! with Redis 7.0's replies, errors, keyspace events and dirty counts. One
//! difference: SPOP with a count is propagated as a single `SREM key m1 m2 ...`
//! (or `DEL key` when it took the whole set) where Redis propagates one
//! `SREM key m` per popped member; the effect on a replica or the AOF is the same.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};

use super::intset::{self, IntSet};
use super::{RObj, Value};
use crate::command::{CmdError, CmdResult, Ctx, Handler};
use crate::db::dict::Dict;
use crate::db::generic::parse_cursor;
use crate::db::key::Key;
use crate::db::keyspace::{notify, Keyspace};
use crate::protocol::reply::Reply;
use crate::util::glob::glob_match;
use crate::util::numbers::{i64_to_bytes, parse_i64, MAX_I64_LEN};
use crate::util::prefetch::StagedLookup;
use crate::util::sha1::Sha1;

// ---------------------------------------------------------------------------
// Members.

/// A member as a set yields it: an intset gives integers, a hashtable bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Member<'_> {
    /// Calls `f` with the member's bytes (integers formatted on the stack).
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Member::Str(b) => f(b),
            Member::Int(v) => {
                let mut buf = [0u8; MAX_I64_LEN];
                f(i64_to_bytes(v, &mut buf))
            }
        }
    }

    /// The member's bytes, owned.
    pub fn to_vec(self) -> Vec<u8> {
        self.with_bytes(<[u8]>::to_vec)
    }

    /// Writes the member as a bulk string.
    fn reply(self, r: &mut Reply) {
        match self {
            Member::Int(v) => r.bulk_i64(v),
            Member::Str(b) => r.bulk(b),
        }
    }
}

/// A member taken out of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedMember {
    Int(i64),
    Str(Box<[u8]>),
}

impl OwnedMember {
    pub fn as_member(&self) -> Member<'_> {
        match self {
            OwnedMember::Int(v) => Member::Int(*v),
            OwnedMember::Str(b) => Member::Str(b),
        }
    }
}

// ---------------------------------------------------------------------------
// The set value.

/// The members of a hashtable-encoded set.
#[derive(Debug, Default)]
pub struct Table {
    /// Members of up to 15 bytes live inside the entry (`Key`'s inline form).
    dict: Dict<Key, ()>,
    /// Sum of the members' lengths, so MEMORY USAGE is O(1).
    bytes: usize,
}

impl Table {
    fn with_capacity(n: usize) -> Table {
        let mut dict = Dict::new();
        if n > 0 {
            dict.expand(n);
        }
        Table { dict, bytes: 0 }
    }

    fn insert(&mut self, m: &[u8]) -> bool {
        // `find` (not `contains_key`) so that re-adding members also moves a rehash
        // along, as dictAddRaw does.
        if self.dict.find(m).is_some() {
            return false;
        }
        self.dict.insert_new(m.into(), ());
        self.bytes += m.len();
        true
    }

    fn insert_owned(&mut self, m: Box<[u8]>) -> bool {
        if self.dict.contains_key(&m[..]) {
            return false;
        }
        self.bytes += m.len();
        self.dict.insert_new(m.into(), ());
        true
    }

    fn remove(&mut self, m: &[u8]) -> Option<Key> {
        let (k, ()) = self.dict.remove(m)?;
        self.bytes -= k.len();
        // Redis resizes a set's table as soon as it gets sparse (htNeedsResize).
        self.dict.shrink_if_needed();
        Some(k)
    }
}

/// A set value: see the module documentation for the encodings.
#[derive(Debug)]
pub enum Set {
    Intset(IntSet),
    /// Boxed so that a `Value` stays small for every other key.
    Hashtable(Box<Table>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Intset(IntSet::new())
    }
}

impl Clone for Set {
    /// Same members, same encoding (Redis `setTypeDup`, for COPY).
    fn clone(&self) -> Set {
        match self {
            Set::Intset(is) => Set::Intset(is.clone()),
            Set::Hashtable(t) => {
                let mut copy = Table::with_capacity(t.dict.len());
                for (k, ()) in t.dict.iter() {
                    copy.insert(k);
                }
                Set::Hashtable(Box::new(copy))
            }
        }
    }
}

impl Set {
    /// An empty intset-encoded set.
    pub fn new() -> Set {
        Set::default()
    }

    /// An empty hashtable-encoded set with room for `n` members (RDB loading).
    pub fn new_hashtable(n: usize) -> Set {
        Set::Hashtable(Box::new(Table::with_capacity(n)))
    }

    /// An empty set of the encoding a set whose first member is `first` starts
    /// with (Redis `setTypeCreate`).
    pub fn new_for(first: &[u8]) -> Set {
        if parse_i64(first).is_some() {
            Set::new()
        } else {
            Set::Hashtable(Box::default())
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            Set::Intset(is) => is.len(),
            Set::Hashtable(t) => t.dict.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Hashtable(_) => "hashtable",
        }
    }

    /// The table's dict, for prefetching member lookups (see `Value::member_index`).
    pub fn member_index(&self) -> Option<&dyn StagedLookup> {
        match self {
            Set::Hashtable(t) => Some(&t.dict),
            Set::Intset(_) => None,
        }
    }

    /// Heap bytes held, for MEMORY USAGE: the intset blob; or the table, its
    /// entries (24 bytes each), its bucket arrays and the members' bytes.
    pub fn heap_size(&self) -> usize {
        match self {
            Set::Intset(is) => is.heap_size(),
            Set::Hashtable(t) => std::mem::size_of::<Table>() + t.dict.mem_overhead() + t.bytes,
        }
    }

    /// Feeds DEBUG DIGEST: the XOR of every member's SHA-1, so neither the
    /// encoding nor the iteration order matters.
    pub fn digest(&self, h: &mut Sha1) {
        let mut acc = [0u8; 20];
        for m in self.iter() {
            let d = m.with_bytes(|b| {
                let mut e = Sha1::new();
                e.update(b);
                e.finish()
            });
            for (a, x) in acc.iter_mut().zip(d) {
                *a ^= x;
            }
        }
        h.update(b"set");
        h.update(&acc);
    }

    /// True when `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Intset(is) => parse_i64(m).is_some_and(|v| is.contains(v)),
            Set::Hashtable(t) => t.dict.contains_key(m),
        }
    }

    /// True when `m` (as yielded by another set) is a member.
    pub fn contains_member(&self, m: Member) -> bool {
        match (self, m) {
            (Set::Intset(is), Member::Int(v)) => is.contains(v),
            (_, m) => m.with_bytes(|b| self.contains(b)),
        }
    }

    /// Adds `m`; false when already a member. Converts to a hashtable when `m` is
    /// not an integer or the intset outgrows `max_intset` entries.
    pub fn add(&mut self, m: &[u8], max_intset: usize) -> bool {
        match self {
            Set::Intset(_) => match parse_i64(m) {
                Some(v) => self.add_int(v, max_intset),
                None => {
                    self.convert_to_hashtable();
                    self.add(m, max_intset)
                }
            },
            Set::Hashtable(t) => t.insert(m),
        }
    }

    /// Adds a member yielded by another set (no formatting for intset to intset).
    pub fn add_member(&mut self, m: Member, max_intset: usize) -> bool {
        match m {
            Member::Int(v) => self.add_int(v, max_intset),
            Member::Str(b) => self.add(b, max_intset),
        }
    }

    fn add_owned(&mut self, m: OwnedMember, max_intset: usize) -> bool {
        match (self, m) {
            (set, OwnedMember::Int(v)) => set.add_int(v, max_intset),
            (Set::Hashtable(t), OwnedMember::Str(b)) => t.insert_owned(b),
            (set, OwnedMember::Str(b)) => set.add(&b, max_intset),
        }
    }

    fn add_int(&mut self, v: i64, max_intset: usize) -> bool {
        match self {
            Set::Intset(is) => {
                if !is.insert(v) {
                    return false;
                }
                if is.len() > max_intset || is.as_bytes().len() > intset::MAX_BYTES {
                    self.convert_to_hashtable();
                }
                true
            }
            Set::Hashtable(t) => Member::Int(v).with_bytes(|b| t.insert(b)),
        }
    }

    /// Turns an intset into a hashtable, presized (Redis `setTypeConvert`).
    pub fn convert_to_hashtable(&mut self) {
        if let Set::Intset(is) = self {
            let mut t = Table::with_capacity(is.len());
            for v in is.iter() {
                Member::Int(v).with_bytes(|b| t.insert(b));
            }
            *self = Set::Hashtable(Box::new(t));
        }
    }

    /// Removes `m`; false when it was not a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Intset(is) => parse_i64(m).is_some_and(|v| is.remove(v)),
            Set::Hashtable(t) => t.remove(m).is_some(),
        }
    }

    /// Removes a member yielded by another set.
    pub fn remove_member(&mut self, m: Member) -> bool {
        match (&mut *self, m) {
            (Set::Intset(is), Member::Int(v)) => is.remove(v),
            (_, m) => m.with_bytes(|b| self.remove(b)),
        }
    }

    /// The members: ascending for an intset, table order for a hashtable.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Intset(is) => Iter::Ints(is.iter()),
            Set::Hashtable(t) => Iter::Table(t.dict.iter()),
        }
    }

    /// A random member, fairly chosen (Redis `setTypeRandomElement`); `None` when
    /// empty. Takes `&mut` because sampling the table does rehash steps.
    pub fn random(&mut self) -> Option<Member<'_>> {
        match self {
            Set::Intset(is) => is.random(rand_u64()).map(Member::Int),
            Set::Hashtable(t) => t.dict.random_entry().map(|(k, ())| Member::Str(k)),
        }
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self) -> Option<OwnedMember> {
        match self {
            Set::Intset(is) => {
                let len = is.len();
                (len > 0).then(|| OwnedMember::Int(is.remove_at(rand_below(len))))
            }
            Set::Hashtable(t) => {
                let key = t.dict.random_entry()?.0.to_vec();
                t.remove(&key)
                    .map(|k| OwnedMember::Str(k.as_bytes().into()))
            }
        }
    }

    /// The intset, when that is the encoding (for RDB).
    pub fn as_intset(&self) -> Option<&IntSet> {
        match self {
            Set::Intset(is) => Some(is),
            Set::Hashtable(_) => None,
        }
    }

    /// A set loaded from a validated intset blob (for RDB).
    pub fn from_intset(is: IntSet) -> Set {
        Set::Intset(is)
    }
}

/// Iterator over a set's members.
pub enum Iter<'a> {
    Ints(intset::Iter<'a>),
    Table(crate::db::dict::Iter<'a, Key, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::Ints(it) => it.next().map(Member::Int),
            Iter::Table(it) => it.next().map(|(k, ())| Member::Str(k)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Ints(it) => it.size_hint(),
            Iter::Table(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

// ---------------------------------------------------------------------------
// Randomness: a per-thread xorshift64* seeded from the process's random hasher
// keys (the role of Redis's `rand()` for intsets and SRANDMEMBER).

thread_local! {
    static RNG: Cell<u64> = Cell::new({
        let mut h = RandomState::new().build_hasher();
        h.write_u64(0x5e7);
        h.finish() | 1
    });
}

fn rand_u64() -> u64 {
    RNG.with(|r| {
        let mut x = r.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        r.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// A random index below `n` (`n > 0`).
fn rand_below(n: usize) -> usize {
    (rand_u64() % n as u64) as usize
}

// ---------------------------------------------------------------------------
// Keyspace access.

/// The set at `key` for reading (hit/miss counted); WRONGTYPE for other types.
fn read_set<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> Result<Option<&'a Set>, CmdError> {
    ks.read::<Set>(db, key)
}

/// The set at `key` for writing; WRONGTYPE for other types.
fn write_set<'a>(
    ks: &'a mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut Set>, CmdError> {
    ks.write::<Set>(db, key)
}

/// A set already looked up, without any access bookkeeping.
fn set_at<'a>(ks: &'a Keyspace, db: usize, key: &[u8]) -> Option<&'a Set> {
    match ks.dbs[db].dict.get(key) {
        Some(RObj {
            value: Value::Set(s),
            ..
        }) => Some(s),
        _ => None,
    }
}

/// A set already looked up, mutably (random sampling from read commands).
fn set_at_mut<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> Option<&'a mut Set> {
    match ks.dbs[db].dict.get_mut(key) {
        Some(RObj {
            value: Value::Set(s),
            ..
        }) => Some(s),
        _ => None,
    }
}

/// Looks every key up for reading, in order, stopping at the first one of another
/// type (WRONGTYPE). Returns true when some key does not exist.
fn lookup_all(ks: &mut Keyspace, db: usize, keys: &[&[u8]]) -> Result<bool, CmdError> {
    let mut missing = false;
    for key in keys {
        missing |= read_set(ks, db, key)?.is_none();
    }
    Ok(missing)
}

/// `set-max-intset-entries`, capped at 2^30 like Redis.
fn max_intset(ctx: &Ctx) -> usize {
    ctx.srv.config.set_max_intset_entries.clamp(0, 1 << 30) as usize
}

/// Writes every member of `set` as a RESP3 set (array in RESP2).
fn reply_members(r: &mut Reply, set: &Set) {
    r.set_len(set.len());
    for m in set.iter() {
        m.reply(r);
    }
}

/// Stores a *STORE result at `dst` (overwriting whatever was there, TTL dropped)
/// and replies with its size; an empty result deletes `dst` instead.
fn store_result(ctx: &mut Ctx, dst: &[u8], result: Set, event: &'static str) {
    let db = ctx.db();
    let n = result.len();
    if n > 0 {
        ctx.ks.set_or_add(db, dst, Value::Set(result), false);
        ctx.reply.int(n as i64);
        ctx.ks.notify(notify::SET, event, dst, db);
        ctx.ks.dirty(1);
    } else {
        ctx.reply.int(0);
        let lazy = ctx.srv.config.lazyfree_lazy_server_del;
        if ctx.ks.delete_lazy(db, dst, lazy) {
            ctx.ks.dirty(1);
            ctx.ks.notify(notify::GENERIC, "del", dst, db);
        }
    }
}

/// Deletes `key` (emptied, or wholly popped) with the `del` event; a big value
/// is freed in the background under `lazyfree-lazy-server-del`, like dbDelete.
fn delete_emptied(ctx: &mut Ctx, key: &[u8]) {
    let db = ctx.db();
    let lazy = ctx.srv.config.lazyfree_lazy_server_del;
    ctx.ks.delete_lazy(db, key, lazy);
    ctx.ks.notify(notify::GENERIC, "del", key, db);
}

// ---------------------------------------------------------------------------
// Commands.

/// SADD key member [member ...]
pub fn sadd(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    let members = (2..ctx.argv.len()).map(|i| ctx.argv.get(i));
    let (db, max) = (ctx.db(), max_intset(ctx));
    let added = match write_set(ctx.ks, db, key)? {
        Some(set) => members.filter(|m| set.add(m, max)).count(),
        None => {
            let mut set = Set::new_for(ctx.argv.get(2));
            let n = members.filter(|m| set.add(m, max)).count();
            ctx.ks.add(db, key, Value::Set(set));
            n
        }
    };
    if added > 0 {
        ctx.ks.modified(db, key);
        ctx.ks.notify(notify::SET, "sadd", key, db);
    }
    ctx.ks.dirty(added as u64);
    ctx.reply.int(added as i64);
    Ok(())
}

/// SREM key member [member ...]
pub fn srem(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    let db = ctx.db();
    let Some(set) = write_set(ctx.ks, db, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let mut removed = 0;
    for i in 2..ctx.argv.len() {
        if set.remove(ctx.argv.get(i)) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let emptied = set.is_empty();
    if removed > 0 {
        ctx.ks.modified(db, key);
        ctx.ks.notify(notify::SET, "srem", key, db);
        if emptied {
            delete_emptied(ctx, key);
        }
        ctx.ks.dirty(removed);
    }
    ctx.reply.int(removed as i64);
    Ok(())
}

/// SMOVE source destination member
pub fn smove(ctx: &mut Ctx) -> CmdResult {
    let (src, dst, member) = (ctx.argv.get(1), ctx.argv.get(2), ctx.argv.get(3));
    let (db, max) = (ctx.db(), max_intset(ctx));
    let is_set = |o: &mut RObj| matches!(o.value, Value::Set(_));
    let src_is_set = ctx.ks.lookup_write(db, src).map(is_set);
    let dst_is_set = ctx.ks.lookup_write(db, dst).map(is_set);
    let Some(src_is_set) = src_is_set else {
        ctx.reply.int(0);
        return Ok(());
    };
    if !src_is_set || dst_is_set == Some(false) {
        return Err(CmdError::WrongType);
    }
    let Some(source) = set_at_mut(ctx.ks, db, src) else {
        return Err(CmdError::WrongType);
    };
    if src == dst {
        let found = source.contains(member);
        ctx.reply.int(found as i64);
        return Ok(());
    }
    if !source.remove(member) {
        ctx.reply.int(0);
        return Ok(());
    }
    let emptied = source.is_empty();
    ctx.ks.notify(notify::SET, "srem", src, db);
    if emptied {
        delete_emptied(ctx, src);
    }
    ctx.ks.modified(db, src);
    ctx.ks.dirty(1);
    let added = match set_at_mut(ctx.ks, db, dst) {
        Some(target) => target.add(member, max),
        None => {
            let mut target = Set::new_for(member);
            target.add(member, max);
            ctx.ks.add(db, dst, Value::Set(target));
            true
        }
    };
    if added {
        ctx.ks.dirty(1);
        ctx.ks.modified(db, dst);
        ctx.ks.notify(notify::SET, "sadd", dst, db);
    }
    ctx.reply.int(1);
    Ok(())
}

/// SISMEMBER key member
pub fn sismember(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let found = read_set(ctx.ks, db, ctx.argv.get(1))?.is_some_and(|s| s.contains(ctx.argv.get(2)));
    ctx.reply.int(found as i64);
    Ok(())
}

/// SMISMEMBER key member [member ...]
pub fn smismember(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let set = read_set(ctx.ks, db, ctx.argv.get(1))?;
    ctx.reply.array_len(ctx.argv.len() - 2);
    for i in 2..ctx.argv.len() {
        let found = set.is_some_and(|s| s.contains(ctx.argv.get(i)));
        ctx.reply.int(found as i64);
    }
    Ok(())
}

/// SCARD key
pub fn scard(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let n = read_set(ctx.ks, db, ctx.argv.get(1))?.map_or(0, Set::len);
    ctx.reply.int(n as i64);
    Ok(())
}

/// SPOP key [count]
pub fn spop(ctx: &mut Ctx) -> CmdResult {
    match ctx.argv.len() {
        2 => {}
        3 => return spop_count(ctx),
        _ => return Err(CmdError::Syntax),
    }
    let key = ctx.argv.get(1);
    let db = ctx.db();
    let Some(set) = write_set(ctx.ks, db, key)? else {
        ctx.reply.null();
        return Ok(());
    };
    let Some(popped) = set.pop_random() else {
        ctx.reply.null();
        return Ok(());
    };
    let emptied = set.is_empty();
    ctx.ks.notify(notify::SET, "spop", key, db);
    popped.as_member().with_bytes(|b| {
        ctx.ks.propagate_as(&[b"SREM", key, b]);
        ctx.reply.bulk(b);
    });
    if emptied {
        delete_emptied(ctx, key);
    }
    ctx.ks.modified(db, key);
    ctx.ks.dirty(1);
    Ok(())
}

/// SPOP's count is popped by random extraction while the set keeps at least this
/// many times more members than it loses; otherwise the members to *keep* are
/// extracted into a new set (Redis `SPOP_MOVE_STRATEGY_MUL`).
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

/// SPOP key count: Redis's three cases. Propagated as one `SREM key m1 m2 ...`
/// (Redis sends one SREM per member), or as `DEL key` when the whole set went.
fn spop_count(ctx: &mut Ctx) -> CmdResult {
    let count = parse_i64(ctx.argv.get(2))
        .filter(|&n| n >= 0)
        .ok_or_else(|| CmdError::err("value is out of range, must be positive"))?
        as usize;
    let key = ctx.argv.get(1);
    let (db, max) = (ctx.db(), max_intset(ctx));
    let Some(set) = write_set(ctx.ks, db, key)? else {
        ctx.reply.set_len(0);
        return Ok(());
    };
    if count == 0 {
        ctx.reply.set_len(0);
        return Ok(());
    }
    let size = set.len();
    ctx.ks.notify(notify::SET, "spop", key, db);
    ctx.ks.dirty(count.min(size) as u64);

    // Case 1: the whole set. Redis serves it through SUNION, which looks the key
    // up (and counts a hit) once more.
    if count >= size {
        if let Some(set) = read_set(ctx.ks, db, key)? {
            reply_members(ctx.reply, set);
        }
        delete_emptied(ctx, key);
        ctx.ks.propagate_as(&[b"DEL", key]);
        return Ok(());
    }

    let Some(set) = set_at_mut(ctx.ks, db, key) else {
        return Ok(());
    };
    let mut popped: Vec<Vec<u8>> = Vec::with_capacity(count);
    ctx.reply.set_len(count);
    let remaining = size - count;
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        // Case 2: few members requested: extract them one by one.
        for _ in 0..count {
            let Some(m) = set.pop_random() else { break };
            m.as_member().reply(ctx.reply);
            popped.push(m.as_member().to_vec());
        }
    } else {
        // Case 3: most of the set requested: move the members that stay into a
        // new set (encoded afresh, as Redis does), then hand out the rest.
        let mut kept: Option<Set> = None;
        for _ in 0..remaining {
            let Some(m) = set.pop_random() else { break };
            let kept = kept.get_or_insert_with(|| m.as_member().with_bytes(Set::new_for));
            kept.add_owned(m, max);
        }
        for m in set.iter() {
            m.reply(ctx.reply);
            popped.push(m.to_vec());
        }
        if let Some(kept) = kept {
            *set = kept;
        }
    }
    let mut parts: Vec<&[u8]> = Vec::with_capacity(popped.len() + 2);
    parts.push(b"SREM");
    parts.push(key);
    parts.extend(popped.iter().map(Vec::as_slice));
    ctx.ks.propagate_as(&parts);
    ctx.ks.modified(db, key);
    Ok(())
}

/// SRANDMEMBER key [count]
pub fn srandmember(ctx: &mut Ctx) -> CmdResult {
    match ctx.argv.len() {
        2 => {}
        3 => return srandmember_count(ctx),
        _ => return Err(CmdError::Syntax),
    }
    let key = ctx.argv.get(1);
    let db = ctx.db();
    if read_set(ctx.ks, db, key)?.is_none() {
        ctx.reply.null();
        return Ok(());
    }
    match set_at_mut(ctx.ks, db, key).and_then(Set::random) {
        Some(m) => m.reply(ctx.reply),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// Up to this many times more members than requested, SRANDMEMBER copies the set
/// and removes random members; beyond, it picks random members until it has
/// enough distinct ones (Redis `SRANDMEMBER_SUB_STRATEGY_MUL`).
const SRANDMEMBER_SUB_STRATEGY_MUL: usize = 3;

/// SRANDMEMBER key count: distinct members for a positive count, possibly
/// repeated ones for a negative count.
fn srandmember_count(ctx: &mut Ctx) -> CmdResult {
    let l = parse_i64(ctx.argv.get(2)).ok_or(CmdError::NotInteger)?;
    if l == i64::MIN {
        return Err(CmdError::err(format!(
            "value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        )));
    }
    let (count, unique) = (l.unsigned_abs() as usize, l >= 0);
    let key = ctx.argv.get(1);
    let db = ctx.db();
    if read_set(ctx.ks, db, key)?.is_none() || count == 0 {
        ctx.reply.array_len(0);
        return Ok(());
    }
    let hard_limit = {
        let class = crate::server::client::obuf_class(ctx.client);
        ctx.srv.config.client_output_buffer_limit[class].hard_limit_bytes as usize
    };
    let Some(set) = set_at_mut(ctx.ks, db, key) else {
        ctx.reply.array_len(0);
        return Ok(());
    };
    let size = set.len();

    // Case 1: repetitions allowed (or a single member): sample every time.
    if !unique || count == 1 {
        ctx.reply.array_len(count);
        for i in 0..count {
            match set.random() {
                Some(m) => m.reply(ctx.reply),
                None => break,
            }
            // Like Redis stopping once the client is to be closed for its output
            // buffer: the reactor closes it after the command.
            if i % 1024 == 1023 && hard_limit > 0 && ctx.reply.pending() >= hard_limit {
                break;
            }
        }
        return Ok(());
    }

    // Case 2: at least the whole set requested.
    if count >= size {
        ctx.reply.array_len(size);
        for m in set.iter() {
            m.reply(ctx.reply);
        }
        return Ok(());
    }

    ctx.reply.array_len(count);
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        // Case 3: close to the whole set: take all, drop random ones.
        let mut all: Vec<Member> = set.iter().collect();
        while all.len() > count {
            let i = rand_below(all.len());
            all.swap_remove(i);
        }
        for m in all {
            m.reply(ctx.reply);
        }
    } else {
        // Case 4: a small part of a big set: pick until enough distinct ones.
        let mut picked: HashSet<OwnedMember> = HashSet::with_capacity(count);
        while picked.len() < count {
            let Some(m) = set.random() else { break };
            picked.insert(match m {
                Member::Int(v) => OwnedMember::Int(v),
                Member::Str(b) => OwnedMember::Str(b.into()),
            });
        }
        for m in &picked {
            m.as_member().reply(ctx.reply);
        }
    }
    Ok(())
}

impl std::hash::Hash for OwnedMember {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            OwnedMember::Int(v) => v.hash(state),
            OwnedMember::Str(b) => b.hash(state),
        }
    }
}

/// What SINTER's generic path produces.
enum InterOutput<'a> {
    /// Reply with the members (SINTER, SMEMBERS).
    Members,
    /// Reply with the count, stopping at the limit when non-zero (SINTERCARD).
    Cardinality(usize),
    /// Store at the destination (SINTERSTORE).
    Store(&'a [u8]),
}

/// SINTER key [key ...]; also SMEMBERS key
pub fn sinter(ctx: &mut Ctx) -> CmdResult {
    let keys: Vec<&[u8]> = ctx.argv.iter().skip(1).collect();
    sinter_generic(ctx, &keys, InterOutput::Members)
}

/// SINTERSTORE destination key [key ...]
pub fn sinterstore(ctx: &mut Ctx) -> CmdResult {
    let keys: Vec<&[u8]> = ctx.argv.iter().skip(2).collect();
    sinter_generic(ctx, &keys, InterOutput::Store(ctx.argv.get(1)))
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn sintercard(ctx: &mut Ctx) -> CmdResult {
    let numkeys = parse_i64(ctx.argv.get(1))
        .filter(|&n| n >= 1)
        .ok_or_else(|| CmdError::err("numkeys should be greater than 0"))?;
    let argc = ctx.argv.len();
    if numkeys > (argc - 2) as i64 {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let numkeys = numkeys as usize;
    let mut limit = 0usize;
    let mut j = 2 + numkeys;
    while j < argc {
        if ctx.argv.get(j).eq_ignore_ascii_case(b"LIMIT") && j + 1 < argc {
            limit = parse_i64(ctx.argv.get(j + 1))
                .filter(|&n| n >= 0)
                .ok_or_else(|| CmdError::err("LIMIT can't be negative"))?
                as usize;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let keys: Vec<&[u8]> = (2..2 + numkeys).map(|i| ctx.argv.get(i)).collect();
    sinter_generic(ctx, &keys, InterOutput::Cardinality(limit))
}

/// Intersection: walk the smallest set and keep the members every other set has.
fn sinter_generic(ctx: &mut Ctx, keys: &[&[u8]], out: InterOutput) -> CmdResult {
    let (db, max) = (ctx.db(), max_intset(ctx));
    if lookup_all(ctx.ks, db, keys)? {
        // An intersection with an empty set is empty.
        match out {
            InterOutput::Members => ctx.reply.set_len(0),
            InterOutput::Cardinality(_) => ctx.reply.int(0),
            InterOutput::Store(dst) => store_result(ctx, dst, Set::new(), "sinterstore"),
        }
        return Ok(());
    }
    let mut sets: Vec<&Set> = keys.iter().filter_map(|k| set_at(ctx.ks, db, k)).collect();
    sets.sort_by_key(|s| s.len());
    let Some((&first, rest)) = sets.split_first() else {
        return Ok(());
    };
    // The same key given twice is one set: no need to test against itself.
    let others: Vec<&Set> = rest
        .iter()
        .copied()
        .filter(|s| !std::ptr::eq(*s, first))
        .collect();
    let mut common = first
        .iter()
        .filter(|m| others.iter().all(|s| s.contains_member(*m)));
    match out {
        InterOutput::Cardinality(limit) => {
            let n = if limit > 0 {
                common.take(limit).count()
            } else {
                common.count()
            };
            ctx.reply.int(n as i64);
        }
        InterOutput::Members => {
            let members: Vec<Member> = common.collect();
            ctx.reply.set_len(members.len());
            for m in members {
                m.reply(ctx.reply);
            }
        }
        InterOutput::Store(dst) => {
            let mut result = Set::new();
            for m in &mut common {
                result.add_member(m, max);
            }
            store_result(ctx, dst, result, "sinterstore");
        }
    }
    Ok(())
}

/// SUNION key [key ...]
pub fn sunion(ctx: &mut Ctx) -> CmdResult {
    let keys: Vec<&[u8]> = ctx.argv.iter().skip(1).collect();
    sunion_diff_generic(ctx, &keys, None, SetOp::Union)
}

/// SUNIONSTORE destination key [key ...]
pub fn sunionstore(ctx: &mut Ctx) -> CmdResult {
    let keys: Vec<&[u8]> = ctx.argv.iter().skip(2).collect();
    sunion_diff_generic(ctx, &keys, Some(ctx.argv.get(1)), SetOp::Union)
}

/// SDIFF key [key ...]
pub fn sdiff(ctx: &mut Ctx) -> CmdResult {
    let keys: Vec<&[u8]> = ctx.argv.iter().skip(1).collect();
    sunion_diff_generic(ctx, &keys, None, SetOp::Diff)
}

/// SDIFFSTORE destination key [key ...]
pub fn sdiffstore(ctx: &mut Ctx) -> CmdResult {
    let keys: Vec<&[u8]> = ctx.argv.iter().skip(2).collect();
    sunion_diff_generic(ctx, &keys, Some(ctx.argv.get(1)), SetOp::Diff)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

/// Union and difference: the result is built as a new set (starting as an intset,
/// like Redis), then replied or stored.
fn sunion_diff_generic(ctx: &mut Ctx, keys: &[&[u8]], dst: Option<&[u8]>, op: SetOp) -> CmdResult {
    let (db, max) = (ctx.db(), max_intset(ctx));
    lookup_all(ctx.ks, db, keys)?;
    let mut sets: Vec<Option<&Set>> = keys.iter().map(|k| set_at(ctx.ks, db, k)).collect();
    let mut result = Set::new();
    match op {
        SetOp::Union => {
            for set in sets.iter().flatten() {
                for m in set.iter() {
                    result.add_member(m, max);
                }
            }
        }
        SetOp::Diff => {
            if let Some(first) = sets[0] {
                let rest = &mut sets[1..];
                let same_set = rest.iter().flatten().any(|s| std::ptr::eq(*s, first));
                if !same_set {
                    diff_into(&mut result, first, rest, max);
                }
            }
        }
    }
    match dst {
        None => reply_members(ctx.reply, &result),
        Some(dst) => {
            let event = match op {
                SetOp::Union => "sunionstore",
                SetOp::Diff => "sdiffstore",
            };
            store_result(ctx, dst, result, event);
        }
    }
    Ok(())
}

/// `first` minus every set of `rest`, into `result`. Redis's choice of algorithm:
/// (1) test each member of `first` against the others, O(|first| * sets), or
/// (2) copy `first` and remove everything the others hold, O(total members);
/// (1) is preferred with a 2x handicap for its better constants.
fn diff_into(result: &mut Set, first: &Set, rest: &mut [Option<&Set>], max: usize) {
    let present = rest.iter().flatten().count() + 1;
    let algo_one_work = first.len() * present / 2;
    let algo_two_work = first.len() + rest.iter().flatten().map(|s| s.len()).sum::<usize>();
    if algo_one_work <= algo_two_work {
        // Bigger sets first: a member is more likely found early.
        rest.sort_by_key(|s| std::cmp::Reverse(s.map_or(0, Set::len)));
        for m in first.iter() {
            if !rest.iter().flatten().any(|s| s.contains_member(m)) {
                result.add_member(m, max);
            }
        }
    } else {
        for m in first.iter() {
            result.add_member(m, max);
        }
        for set in rest.iter().flatten() {
            for m in set.iter() {
                result.remove_member(m);
            }
            if result.is_empty() {
                break;
            }
        }
    }
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
pub fn sscan(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    let mut cursor = parse_cursor(ctx.argv.get(2))?;
    let db = ctx.db();
    if read_set(ctx.ks, db, key)?.is_none() {
        ctx.reply.array_len(2);
        ctx.reply.bulk(b"0");
        ctx.reply.array_len(0);
        return Ok(());
    }
    let mut count = 10i64;
    let mut pattern: Option<&[u8]> = None;
    let mut j = 3;
    let argc = ctx.argv.len();
    while j < argc {
        let opt = ctx.argv.get(j);
        if opt.eq_ignore_ascii_case(b"COUNT") && j + 1 < argc {
            count = parse_i64(ctx.argv.get(j + 1)).ok_or(CmdError::NotInteger)?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
        } else if opt.eq_ignore_ascii_case(b"MATCH") && j + 1 < argc {
            let p = ctx.argv.get(j + 1);
            pattern = (p != b"*").then_some(p);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 2;
    }
    let Some(set) = set_at(ctx.ks, db, key) else {
        return Ok(());
    };
    let mut found: Vec<OwnedMember> = Vec::new();
    match set {
        // Small encodings are returned whole, with cursor 0.
        Set::Intset(is) => {
            found.extend(is.iter().map(OwnedMember::Int));
            cursor = 0;
        }
        Set::Hashtable(t) => {
            let mut iterations = count.saturating_mul(10);
            loop {
                cursor = t.dict.scan(cursor, |k, ()| {
                    found.push(OwnedMember::Str(k.as_bytes().into()))
                });
                if cursor == 0 || iterations == 0 || found.len() as i64 >= count {
                    break;
                }
                iterations -= 1;
            }
        }
    }
    if let Some(p) = pattern {
        found.retain(|m| m.as_member().with_bytes(|b| glob_match(p, b, false)));
    }
    ctx.reply.array_len(2);
    ctx.reply.bulk(cursor.to_string().as_bytes());
    ctx.reply.array_len(found.len());
    for m in &found {
        m.as_member().reply(ctx.reply);
    }
    Ok(())
}

/// The set commands.
pub static COMMANDS: &[(&str, Handler)] = &[
    ("sadd", sadd),
    ("scard", scard),
    ("sdiff", sdiff),
    ("sdiffstore", sdiffstore),
    ("sinter", sinter),
    ("sintercard", sintercard),
    ("sinterstore", sinterstore),
    ("sismember", sismember),
    ("smembers", sinter),
    ("smismember", smismember),
    ("smove", smove),
    ("spop", spop),
    ("srandmember", srandmember),
    ("srem", srem),
    ("sscan", sscan),
    ("sunion", sunion),
    ("sunionstore", sunionstore),
];

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 512;

    fn members(s: &Set) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = s.iter().map(Member::to_vec).collect();
        v.sort();
        v
    }

    fn set_of(items: &[&str]) -> Set {
        let mut s = Set::new_for(items[0].as_bytes());
        for i in items {
            s.add(i.as_bytes(), MAX);
        }
        s
    }

    #[test]
    fn integer_members_make_an_intset() {
        let s = set_of(&["3", "-1", "2"]);
        assert_eq!(s.encoding(), "intset");
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![Member::Int(-1), Member::Int(2), Member::Int(3)]
        );
        assert!(s.contains(b"2"));
        assert!(!s.contains(b"02"));
        assert!(!s.contains(b"x"));
    }

    #[test]
    fn non_canonical_integers_convert_to_hashtable() {
        for m in ["01", "+1", " 1", "-0", "1.0", "99999999999999999999"] {
            let mut s = set_of(&["1"]);
            assert!(s.add(m.as_bytes(), MAX), "{m}");
            assert_eq!(s.encoding(), "hashtable", "{m}");
            assert!(s.contains(b"1"));
            assert!(s.contains(m.as_bytes()));
            assert_eq!(s.len(), 2);
        }
    }

    #[test]
    fn a_string_first_member_makes_a_hashtable() {
        let s = set_of(&["a", "1"]);
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(members(&s), vec![b"1".to_vec(), b"a".to_vec()]);
    }

    #[test]
    fn going_over_the_entry_limit_converts_for_good() {
        let mut s = Set::new();
        for i in 0..4 {
            s.add(i.to_string().as_bytes(), 4);
        }
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"4", 4));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.remove(b"4"));
        assert!(s.remove(b"3"));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"0"));
        assert!(!s.contains(b"3"));
    }

    #[test]
    fn zero_entry_limit_never_keeps_an_intset() {
        let mut s = Set::new_for(b"1");
        s.add(b"1", 0);
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn members_from_other_sets_compare_across_encodings() {
        let ints = set_of(&["1", "2"]);
        let strs = set_of(&["a", "2"]);
        assert!(strs.contains_member(Member::Int(2)));
        assert!(!strs.contains_member(Member::Int(1)));
        assert!(ints.contains_member(Member::Str(b"2")));
        assert!(!ints.contains_member(Member::Str(b"a")));
    }

    #[test]
    fn pop_random_empties_the_set_without_repeats() {
        for items in [&["1", "2", "3"][..], &["a", "b", "c"][..]] {
            let mut s = set_of(items);
            let mut seen: Vec<Vec<u8>> = (0..3)
                .map(|_| s.pop_random().unwrap().as_member().to_vec())
                .collect();
            seen.sort();
            let expected: Vec<Vec<u8>> = items.iter().map(|m| m.as_bytes().to_vec()).collect();
            assert_eq!(seen, expected);
            assert!(s.is_empty());
            assert_eq!(s.pop_random(), None);
        }
    }

    #[test]
    fn random_reaches_every_member() {
        let mut s = set_of(&["a", "b", "c", "d"]);
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            seen.insert(s.random().unwrap().to_vec());
        }
        assert_eq!(seen.len(), 4);
    }

    #[test]
    fn clone_keeps_encoding_and_members() {
        for s in [set_of(&["1", "5"]), set_of(&["x", "5"])] {
            let c = s.clone();
            assert_eq!(c.encoding(), s.encoding());
            assert_eq!(members(&c), members(&s));
        }
    }

    #[test]
    fn digest_ignores_encoding_and_order() {
        let digest = |s: &Set| {
            let mut h = Sha1::new();
            s.digest(&mut h);
            h.finish()
        };
        let ints = set_of(&["1", "2", "3"]);
        let mut table = set_of(&["3", "2", "1"]);
        table.convert_to_hashtable();
        assert_eq!(digest(&ints), digest(&table));
        assert_ne!(digest(&ints), digest(&set_of(&["1", "2"])));
    }

    #[test]
    fn heap_size_counts_entries_buckets_and_member_bytes() {
        let ints = set_of(&["1", "2", "3"]);
        assert!(ints.heap_size() >= 8 + 3 * 2);
        let table = set_of(&["aa", "bbb"]);
        let Set::Hashtable(t) = &table else {
            panic!("hashtable expected")
        };
        assert_eq!(t.bytes, 5);
        assert_eq!(
            table.heap_size(),
            std::mem::size_of::<Table>() + t.dict.mem_overhead() + 5
        );
    }

    #[test]
    fn removing_members_keeps_the_byte_count() {
        let mut s = set_of(&["aa", "bbb", "c"]);
        assert!(s.remove(b"bbb"));
        assert!(!s.remove(b"bbb"));
        let Set::Hashtable(t) = &s else {
            panic!("hashtable expected")
        };
        assert_eq!(t.bytes, 3);
    }

    #[test]
    fn a_set_keeps_values_small() {
        assert_eq!(std::mem::size_of::<Set>(), 16);
    }

    #[test]
    fn diff_algorithms_agree() {
        let a = set_of(&["1", "2", "3", "4", "x"]);
        let b = set_of(&["2", "x"]);
        let c = set_of(&["4"]);
        let mut one = Set::new();
        diff_into(&mut one, &a, &mut [Some(&b), None, Some(&c)], MAX);
        assert_eq!(members(&one), vec![b"1".to_vec(), b"3".to_vec()]);
        // Many small sets against a big first one picks algorithm 2.
        let big: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let big_refs: Vec<&str> = big.iter().map(String::as_str).collect();
        let big = set_of(&big_refs);
        let small: Vec<Set> = (0..10).map(|i| set_of(&[&(i * 10).to_string()])).collect();
        let mut rest: Vec<Option<&Set>> = small.iter().map(Some).collect();
        let mut two = Set::new();
        diff_into(&mut two, &big, &mut rest, MAX);
        assert_eq!(two.len(), 90);
        assert!(!two.contains(b"50"));
        assert!(two.contains(b"51"));
    }
}
