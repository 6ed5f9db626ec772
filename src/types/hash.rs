//! Hashes: the `listpack` and `hashtable` encodings and every hash command
//! (Redis's `t_hash.c`).
//!
//! A hash starts as a listpack of alternating fields and values, searched
//! linearly, while it has at most `hash-max-listpack-entries` fields and every
//! field and value is at most `hash-max-listpack-value` bytes. Past either
//! limit it becomes a `Dict` (hashtable) for good: like Redis, the conversion is
//! one-way, so OBJECT ENCODING answers as Redis does for the same history.
//!
//! A small listpack hash whose field list many hashes share is kept *shaped*
//! (see `hash_shape`): its values only, behind a shared field list. It is a
//! listpack to every client. A new value for an existing field is written
//! into the shaped values; any other write unshapes the hash first, and
//! [`Hash::settle`] shapes it again once the command is done.
//!
//! Values read from any encoding come out as [`LpValue`]: listpack entries
//! may be integers (canonical integer strings are stored that way), hashtable
//! and shaped values are always strings.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::ptr::NonNull;

use crate::command::{CmdError, CmdResult, Ctx, Handler};
use crate::config::Config;
use crate::db::dict::{self, Dict};
use crate::db::generic::parse_cursor;
use crate::db::key::Key;
use crate::db::keyspace::{notify, Keyspace};
use crate::protocol::reply::Reply;
use crate::server::client::ClientState;
use crate::server::Server;
use crate::types::hash_shape::{Shaped, ShapedIter, ShapedRef};
use crate::types::listpack::{Listpack, LpValue};
use crate::types::{RObj, Value};
use crate::util::glob::glob_match;
use crate::util::numbers::{parse_i64, LongDouble, MAX_I64_LEN};
use crate::util::prefetch::StagedLookup;
use crate::util::sha1::Sha1;

/// The encoding limits, from `hash-max-listpack-entries` / `-value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Limits {
    pub fn from_config(c: &Config) -> Limits {
        Limits {
            max_entries: c.hash_max_listpack_entries.max(0) as usize,
            max_value: c.hash_max_listpack_value.max(0) as usize,
        }
    }
}

/// The hashtable encoding: the dict plus the bytes its fields and values hold
/// (kept up to date so MEMORY USAGE is O(1)).
#[derive(Debug, Default)]
struct Table {
    dict: Dict<Key, Box<[u8]>>,
    data_bytes: usize,
}

impl Clone for Table {
    fn clone(&self) -> Table {
        let mut dict = Dict::with_capacity(self.dict.len());
        for (k, v) in self.dict.iter() {
            dict.insert_new(k.clone(), v.clone());
        }
        Table {
            dict,
            data_bytes: self.data_bytes,
        }
    }
}

impl Table {
    /// Inserts or overwrites; true when the field existed.
    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Some(v) = self.dict.get_mut(field) {
            self.data_bytes = self.data_bytes - v.len() + value.len();
            *v = value.into();
            return true;
        }
        self.data_bytes += field.len() + value.len();
        self.dict.insert_new(field.into(), value.into());
        false
    }

    fn delete(&mut self, field: &[u8]) -> bool {
        match self.dict.remove(field) {
            Some((k, v)) => {
                self.data_bytes -= k.len() + v.len();
                // Like Redis, give memory back right after a delete if the
                // table became sparse.
                self.dict.shrink_if_needed();
                true
            }
            None => false,
        }
    }
}

#[derive(Debug, Clone)]
enum Repr {
    Listpack(Listpack),
    /// A table or a shaped hash.
    OutOfLine(OutOfLine),
}

/// The forms kept out of line, behind one pointer whose low bit says which:
/// clear for a boxed [`Table`], set for a [`Shaped`] hash (both allocations
/// are at least 4-byte aligned). One pointer keeps `Hash` at 16 bytes: the
/// listpack's non-null pointer can tag only one other variant.
struct OutOfLine(NonNull<u8>);

const SHAPED_TAG: usize = 1;
const _: () = assert!(std::mem::align_of::<Table>() > SHAPED_TAG);

/// A shaped hash's pointer, tagged.
fn tag_shaped(s: Shaped) -> NonNull<u8> {
    s.into_raw().map_addr(|a| a | SHAPED_TAG)
}

/// What an `OutOfLine` holds.
enum Form<'a> {
    Table(&'a Table),
    Shaped(ShapedRef<'a>),
}

// SAFETY: an OutOfLine owns a Box<Table> or a Shaped, both Send and Sync.
unsafe impl Send for OutOfLine {}
// SAFETY: as above; shared access only reads.
unsafe impl Sync for OutOfLine {}

impl OutOfLine {
    fn table(t: Box<Table>) -> OutOfLine {
        OutOfLine(NonNull::from(Box::leak(t)).cast())
    }

    fn shaped(s: Shaped) -> OutOfLine {
        OutOfLine(tag_shaped(s))
    }

    fn is_shaped(&self) -> bool {
        self.0.addr().get() & SHAPED_TAG != 0
    }

    fn untagged(&self) -> NonNull<u8> {
        // The tag bit is clear in any real address (4-byte aligned): the
        // result is not null.
        self.0.map_addr(|a| {
            std::num::NonZeroUsize::new(a.get() & !SHAPED_TAG).expect("aligned address")
        })
    }

    fn form(&self) -> Form<'_> {
        if self.is_shaped() {
            // SAFETY: a tagged pointer came from Shaped::into_raw and lives
            // until this OutOfLine drops it.
            Form::Shaped(unsafe { ShapedRef::from_raw(self.untagged()) })
        } else {
            // SAFETY: an untagged pointer came from Box<Table>, owned by self.
            Form::Table(unsafe { self.untagged().cast::<Table>().as_ref() })
        }
    }

    /// Runs `f` on the shaped hash, if this is one.
    fn with_shaped_mut<R>(&mut self, f: impl FnOnce(&mut Shaped) -> R) -> Option<R> {
        if !self.is_shaped() {
            return None;
        }
        // SAFETY: the tagged pointer came from Shaped::into_raw. The Shaped
        // is lent to `f` and its (possibly new) pointer stored back; it is
        // never dropped here.
        let mut s = std::mem::ManuallyDrop::new(unsafe { Shaped::from_raw(self.untagged()) });
        let r = f(&mut s);
        // A field store, not an assignment to `*self`: the old pointer must
        // not be dropped (set_existing freed it if it moved).
        self.0 = tag_shaped(std::mem::ManuallyDrop::into_inner(s));
        Some(r)
    }

    fn table_mut(&mut self) -> Option<&mut Table> {
        if self.is_shaped() {
            return None;
        }
        // SAFETY: as in `form`, and `&mut self` makes the access unique.
        Some(unsafe { self.untagged().cast::<Table>().as_mut() })
    }
}

impl Drop for OutOfLine {
    fn drop(&mut self) {
        if self.is_shaped() {
            // SAFETY: from Shaped::into_raw; dropped once, here.
            drop(unsafe { Shaped::from_raw(self.untagged()) });
        } else {
            // SAFETY: from Box::leak of a Box<Table>; dropped once, here.
            drop(unsafe { Box::from_raw(self.untagged().cast::<Table>().as_ptr()) });
        }
    }
}

impl Clone for OutOfLine {
    fn clone(&self) -> OutOfLine {
        match self.form() {
            Form::Table(t) => OutOfLine::table(Box::new(t.clone())),
            Form::Shaped(s) => OutOfLine::shaped(s.to_shaped()),
        }
    }
}

impl std::fmt::Debug for OutOfLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.form() {
            Form::Table(t) => t.fmt(f),
            Form::Shaped(s) => f.debug_map().entries(s.iter()).finish(),
        }
    }
}

/// A hash value.
#[derive(Debug, Clone)]
pub struct Hash {
    repr: Repr,
}

impl Default for Hash {
    fn default() -> Hash {
        Hash::new()
    }
}

/// Field/value pairs of a hash, in storage order.
pub enum Iter<'a> {
    Listpack(crate::types::listpack::Iter<'a>),
    Table(dict::Iter<'a, Key, Box<[u8]>>),
    Shaped(ShapedIter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (LpValue<'a>, LpValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => {
                let f = it.next()?;
                let v = it.next()?;
                Some((f, v))
            }
            Iter::Table(it) => it.next().map(|(k, v)| (LpValue::Str(k), LpValue::Str(v))),
            Iter::Shaped(it) => it.next().map(|(f, v)| (LpValue::Str(f), LpValue::Str(v))),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            Iter::Listpack(it) => it.len() / 2,
            Iter::Table(it) => it.len(),
            Iter::Shaped(it) => it.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// A hash's encoding, borrowed.
enum View<'a> {
    Listpack(&'a Listpack),
    Table(&'a Table),
    Shaped(ShapedRef<'a>),
}

impl Hash {
    /// An empty listpack-encoded hash.
    pub fn new() -> Hash {
        Hash {
            repr: Repr::Listpack(Listpack::new()),
        }
    }

    /// An empty hashtable-encoded hash with room for `n` fields (RDB loading,
    /// where the encoding is decided before the fields arrive).
    pub fn new_table(n: usize) -> Hash {
        Hash {
            repr: Repr::OutOfLine(OutOfLine::table(Box::new(Table {
                dict: Dict::with_capacity(n),
                data_bytes: 0,
            }))),
        }
    }

    /// A hash over a listpack of alternating fields and values (as RDB stores
    /// it); `None` when it has an odd number of entries or a repeated field.
    pub fn from_listpack(lp: Listpack) -> Option<Hash> {
        if !lp.len().is_multiple_of(2) {
            return None;
        }
        let mut seen = HashSet::with_capacity(lp.len() / 2);
        let mut it = lp.iter();
        while let Some(f) = it.next() {
            it.next()?;
            if !seen.insert(f.to_vec()) {
                return None;
            }
        }
        Some(Hash {
            repr: Repr::Listpack(lp),
        })
    }

    fn view(&self) -> View<'_> {
        match &self.repr {
            Repr::Listpack(lp) => View::Listpack(lp),
            Repr::OutOfLine(o) => match o.form() {
                Form::Table(t) => View::Table(t),
                Form::Shaped(s) => View::Shaped(s),
            },
        }
    }

    /// The table, when hashtable-encoded.
    fn table_mut(&mut self) -> Option<&mut Table> {
        match &mut self.repr {
            Repr::Listpack(_) => None,
            Repr::OutOfLine(o) => o.table_mut(),
        }
    }

    /// The listpack, when listpack-encoded (RDB, DUMP, HRANDFIELD); built
    /// on the fly for a shaped hash.
    pub fn as_listpack(&self) -> Option<Cow<'_, Listpack>> {
        match self.view() {
            View::Listpack(lp) => Some(Cow::Borrowed(lp)),
            View::Shaped(s) => Some(Cow::Owned(s.to_listpack())),
            View::Table(_) => None,
        }
    }

    /// True when listpack-encoded, as clients see it (shaped included).
    pub fn is_listpack(&self) -> bool {
        !matches!(self.view(), View::Table(_))
    }

    /// The name OBJECT ENCODING reports (a shaped hash is a listpack to clients).
    pub fn encoding(&self) -> &'static str {
        match self.view() {
            View::Listpack(_) | View::Shaped(_) => "listpack",
            View::Table(_) => "hashtable",
        }
    }

    /// The table's dict, for prefetching field lookups (see `Value::member_index`).
    pub fn member_index(&self) -> Option<&dyn StagedLookup> {
        match self.view() {
            View::Table(t) => Some(&t.dict),
            View::Listpack(_) | View::Shaped(_) => None,
        }
    }

    /// Heap bytes held, for MEMORY USAGE: the listpack's or shaped values'
    /// allocation, or the dict's buckets and entries plus the bytes of every
    /// field and value.
    pub fn heap_size(&self) -> usize {
        match self.view() {
            View::Listpack(lp) => lp.heap_size(),
            View::Shaped(s) => s.heap_size(),
            View::Table(t) => std::mem::size_of::<Table>() + t.dict.mem_overhead() + t.data_bytes,
        }
    }

    /// Feeds DEBUG DIGEST: the XOR of one SHA-1 per field/value pair, so the
    /// same content digests the same whatever the encoding or order.
    pub fn digest(&self, h: &mut Sha1) {
        let mut acc = [0u8; 20];
        let mut buf = Vec::new();
        for (f, v) in self.iter() {
            let mut e = Sha1::new();
            buf.clear();
            f.write_to(&mut buf);
            e.update(&(buf.len() as u64).to_le_bytes());
            e.update(&buf);
            buf.clear();
            v.write_to(&mut buf);
            e.update(&buf);
            for (a, b) in acc.iter_mut().zip(e.finish()) {
                *a ^= b;
            }
        }
        h.update(b"hash");
        h.update(&acc);
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self.view() {
            View::Listpack(lp) => lp.len() / 2,
            View::Table(t) => t.dict.len(),
            View::Shaped(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Field/value pairs in storage order.
    pub fn iter(&self) -> Iter<'_> {
        match self.view() {
            View::Listpack(lp) => Iter::Listpack(lp.iter()),
            View::Table(t) => Iter::Table(t.dict.iter()),
            View::Shaped(s) => Iter::Shaped(s.iter()),
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<LpValue<'_>> {
        match self.view() {
            View::Listpack(lp) => {
                let f = lp.find_pos(field, lp.first_pos()?, 1)?;
                lp.next_pos(f).map(|v| lp.get_at(v))
            }
            View::Table(t) => t.dict.get(field).map(|v| LpValue::Str(v)),
            View::Shaped(s) => s.get(field).map(LpValue::Str),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Shapes a small listpack hash whose field list is common (see
    /// `hash_shape`). Called when a command is done writing to the hash, and
    /// on loading; the write methods below unshape it first, except `set`
    /// when it only replaces a value.
    pub fn settle(&mut self) {
        if let Repr::Listpack(lp) = &self.repr {
            if let Some(s) = Shaped::from_listpack(lp) {
                self.repr = Repr::OutOfLine(OutOfLine::shaped(s));
            }
        }
    }

    /// Back to a plain listpack before a write, if shaped.
    fn unshape(&mut self) {
        if let View::Shaped(s) = self.view() {
            self.repr = Repr::Listpack(s.to_listpack());
        }
    }

    /// `hashTypeTryConversion`: converts before a write whose arguments
    /// include a string over `max_value` bytes, or that would take the
    /// listpack past its 1 GiB safety limit.
    pub fn try_conversion<'b>(&mut self, args: impl IntoIterator<Item = &'b [u8]>, limits: Limits) {
        if matches!(self.view(), View::Table(_)) {
            return;
        }
        let mut sum = 0usize;
        for a in args {
            if a.len() > limits.max_value {
                self.convert_to_table();
                return;
            }
            sum += a.len();
        }
        // A shaped hash is at most a few KiB: only a huge write needs the
        // listpack's exact size.
        if sum > 1 << 20 {
            self.unshape();
        }
        if let Repr::Listpack(lp) = &self.repr {
            if !lp.safe_to_add(sum) {
                self.convert_to_table();
            }
        }
    }

    /// `hashTypeSet`: sets `field` to `value`, converting when a limit is
    /// crossed. True when the field existed (an update).
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if field.len() <= limits.max_value && value.len() <= limits.max_value {
            // An update that keeps the shape needs no listpack.
            if let Repr::OutOfLine(o) = &mut self.repr {
                let updated = o.with_shaped_mut(|s| {
                    // Past max_entries (lowered by CONFIG SET) any write converts.
                    s.as_ref().len() <= limits.max_entries && s.set_existing(field, value)
                });
                if updated == Some(true) {
                    return true;
                }
            }
        }
        self.unshape();
        if matches!(self.repr, Repr::Listpack(_))
            && (field.len() > limits.max_value || value.len() > limits.max_value)
        {
            self.convert_to_table();
        }
        let Repr::Listpack(lp) = &mut self.repr else {
            return self.table_mut().expect("a table").set(field, value);
        };
        let found = lp
            .first_pos()
            .and_then(|p| lp.find_pos(field, p, 1))
            .and_then(|f| lp.next_pos(f));
        let update = match found {
            Some(v) => {
                lp.replace_at(v, value);
                true
            }
            None => {
                lp.push_back(field);
                lp.push_back(value);
                false
            }
        };
        if lp.len() / 2 > limits.max_entries {
            self.convert_to_table();
        }
        update
    }

    /// `hashTypeDelete`: true when the field existed.
    pub fn delete(&mut self, field: &[u8]) -> bool {
        self.unshape();
        let Repr::Listpack(lp) = &mut self.repr else {
            return self.table_mut().expect("a table").delete(field);
        };
        match lp.first_pos().and_then(|p| lp.find_pos(field, p, 1)) {
            Some(f) => {
                lp.remove_at(f, 2);
                true
            }
            None => false,
        }
    }

    /// Converts a listpack-encoded hash to a hashtable (never the other way).
    pub fn convert_to_table(&mut self) {
        self.unshape();
        let Repr::Listpack(lp) = &self.repr else {
            return;
        };
        let mut t = Table {
            dict: Dict::with_capacity(lp.len() / 2),
            data_bytes: 0,
        };
        let mut f = Vec::new();
        let mut v = Vec::new();
        let mut it = lp.iter();
        while let (Some(a), Some(b)) = (it.next(), it.next()) {
            f.clear();
            v.clear();
            a.write_to(&mut f);
            b.write_to(&mut v);
            t.set(&f, &v);
        }
        self.repr = Repr::OutOfLine(OutOfLine::table(Box::new(t)));
    }
}

// ---- random numbers ----------------------------------------------------------

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// A xorshift64* generator seeded once per thread from std's random keys.
fn random_u64() -> u64 {
    RNG.with(|r| {
        let mut x = r.get();
        if x == 0 {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(0x9e37_79b9_7f4a_7c15);
            x = h.finish() | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        r.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

/// Uniform in `0..n` (0 when `n` is 0).
fn random_below(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    (random_u64() % n as u64) as usize
}

/// Uniform in `[0, 1]` (`rand() / RAND_MAX`).
fn random_unit() -> f64 {
    (random_u64() >> 11) as f64 / ((1u64 << 53) - 1) as f64
}

/// `lpRandomPairs`: `count` pairs picked with repetition, in random order.
fn listpack_random_pairs(lp: &Listpack, count: usize) -> Vec<(LpValue<'_>, LpValue<'_>)> {
    let total = lp.len() / 2;
    let mut picks: Vec<(usize, usize)> = (0..count).map(|i| (random_below(total), i)).collect();
    picks.sort_unstable();
    let mut out: Vec<Option<(LpValue, LpValue)>> = vec![None; count];
    let mut it = lp.iter();
    let mut pair = 0;
    let mut next = 0;
    while next < picks.len() {
        let (Some(f), Some(v)) = (it.next(), it.next()) else {
            break;
        };
        while next < picks.len() && picks[next].0 == pair {
            out[picks[next].1] = Some((f, v));
            next += 1;
        }
        pair += 1;
    }
    out.into_iter().flatten().collect()
}

/// `lpRandomPairsUnique`: up to `count` distinct pairs in listpack order,
/// each pair picked with probability (still wanted / still unvisited).
fn listpack_random_pairs_unique(lp: &Listpack, count: usize) -> Vec<(LpValue<'_>, LpValue<'_>)> {
    let total = lp.len() / 2;
    let count = count.min(total);
    let mut out = Vec::with_capacity(count);
    let mut it = lp.iter();
    let mut index = 0;
    while out.len() < count {
        let (Some(f), Some(v)) = (it.next(), it.next()) else {
            break;
        };
        let remaining = count - out.len();
        let threshold = remaining as f64 / (total - index) as f64;
        if random_unit() <= threshold {
            out.push((f, v));
        }
        index += 1;
    }
    out
}

// ---- command helpers ---------------------------------------------------------

/// The hash at `key` for reading (counts a hit or miss); WRONGTYPE for other types.
fn get_hash<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> Result<Option<&'a Hash>, CmdError> {
    ks.read::<Hash>(db, key)
}

/// The hash at `key` for writing; WRONGTYPE for other types.
fn get_hash_mut<'a>(
    ks: &'a mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut Hash>, CmdError> {
    ks.write::<Hash>(db, key)
}

/// `hashTypeLookupWriteOrCreate` + an operation: runs `op` on the hash at
/// `key`, or on a new empty hash that is added to the keyspace (raising `new`)
/// when `op` succeeds. One key lookup when the key exists.
fn with_hash_or_create<R>(
    ctx: &mut Ctx,
    key: &[u8],
    op: impl FnOnce(&mut Hash, Limits) -> Result<R, CmdError>,
) -> Result<R, CmdError> {
    let db = ctx.db();
    let limits = Limits::from_config(&ctx.srv.config);
    match ctx.ks.lookup_write(db, key) {
        Some(RObj {
            value: Value::Hash(h),
            ..
        }) => {
            let r = op(h, limits);
            h.settle();
            r
        }
        Some(_) => Err(CmdError::WrongType),
        None => {
            let mut h = Hash::new();
            let r = op(&mut h, limits)?;
            h.settle();
            ctx.ks.add(db, key, Value::Hash(h));
            Ok(r)
        }
    }
}

/// Replies with one field or value as a bulk string.
fn reply_value(reply: &mut Reply, v: LpValue) {
    match v {
        LpValue::Str(s) => reply.bulk(s),
        LpValue::Int(n) => reply.bulk_i64(n),
    }
}

/// Records a write: modified key, the hash event and the dirty count.
fn written(ctx: &mut Ctx, key: &[u8], event: &'static str, dirty: u64) {
    let db = ctx.db();
    ctx.ks.modified(db, key);
    ctx.ks.notify(notify::HASH, event, key, db);
    ctx.ks.dirty(dirty);
}

// ---- commands ----------------------------------------------------------------

/// HSET key field value [field value ...] (also HMSET, which replies OK)
pub fn hset(ctx: &mut Ctx) -> CmdResult {
    if ctx.argv.len() % 2 == 1 {
        return Err(CmdError::WrongArity(ctx.cmd.full_name.to_string()));
    }
    let argv = ctx.argv;
    let key = argv.get(1);
    let created = with_hash_or_create(ctx, key, |h, limits| {
        h.try_conversion(argv.iter().skip(2), limits);
        let mut created = 0;
        for i in (2..argv.len()).step_by(2) {
            if !h.set(argv.get(i), argv.get(i + 1), limits) {
                created += 1;
            }
        }
        Ok(created)
    })?;
    if ctx.cmd.full_name == "hmset" {
        ctx.reply.ok();
    } else {
        ctx.reply.int(created);
    }
    written(ctx, key, "hset", ((argv.len() - 2) / 2) as u64);
    Ok(())
}

/// HSETNX key field value
pub fn hsetnx(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let (key, field, value) = (argv.get(1), argv.get(2), argv.get(3));
    let set = with_hash_or_create(ctx, key, |h, limits| {
        if h.contains(field) {
            return Ok(false);
        }
        h.try_conversion([field, value], limits);
        h.set(field, value, limits);
        Ok(true)
    })?;
    ctx.reply.int(i64::from(set));
    if set {
        written(ctx, key, "hset", 1);
    }
    Ok(())
}

/// HGET key field
pub fn hget(ctx: &mut Ctx) -> CmdResult {
    let (key, field) = (ctx.argv.get(1), ctx.argv.get(2));
    let db = ctx.db();
    match get_hash(ctx.ks, db, key)?.and_then(|h| h.get(field)) {
        Some(v) => reply_value(ctx.reply, v),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// HMGET key field [field ...]
pub fn hmget(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let db = ctx.db();
    let h = get_hash(ctx.ks, db, argv.get(1))?;
    ctx.reply.array_len(argv.len() - 2);
    for field in argv.iter().skip(2) {
        match h.and_then(|h| h.get(field)) {
            Some(v) => reply_value(ctx.reply, v),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// HDEL key field [field ...]
pub fn hdel(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = argv.get(1);
    let db = ctx.db();
    let Some(h) = get_hash_mut(ctx.ks, db, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    let mut emptied = false;
    for field in argv.iter().skip(2) {
        if h.delete(field) {
            deleted += 1;
            if h.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if emptied {
        ctx.ks.delete(db, key);
    } else {
        h.settle();
    }
    if deleted > 0 {
        written(ctx, key, "hdel", deleted as u64);
        if emptied {
            ctx.ks.notify(notify::GENERIC, "del", key, db);
        }
    }
    ctx.reply.int(deleted);
    Ok(())
}

/// HLEN key
pub fn hlen(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let n = get_hash(ctx.ks, db, ctx.argv.get(1))?.map_or(0, Hash::len);
    ctx.reply.int(n as i64);
    Ok(())
}

/// HSTRLEN key field
pub fn hstrlen(ctx: &mut Ctx) -> CmdResult {
    let (key, field) = (ctx.argv.get(1), ctx.argv.get(2));
    let db = ctx.db();
    let n = get_hash(ctx.ks, db, key)?
        .and_then(|h| h.get(field))
        .map_or(0, |v| v.len());
    ctx.reply.int(n as i64);
    Ok(())
}

/// HEXISTS key field
pub fn hexists(ctx: &mut Ctx) -> CmdResult {
    let (key, field) = (ctx.argv.get(1), ctx.argv.get(2));
    let db = ctx.db();
    let found = get_hash(ctx.ks, db, key)?.is_some_and(|h| h.contains(field));
    ctx.reply.int(i64::from(found));
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    Fields,
    Values,
    Both,
}

/// HGETALL, HKEYS and HVALS.
fn getall_generic(ctx: &mut Ctx, parts: Parts) -> CmdResult {
    let db = ctx.db();
    let h = get_hash(ctx.ks, db, ctx.argv.get(1))?;
    let n = h.map_or(0, Hash::len);
    if parts == Parts::Both {
        ctx.reply.map_len(n);
    } else {
        ctx.reply.array_len(n);
    }
    let Some(h) = h else { return Ok(()) };
    for (f, v) in h.iter() {
        if parts != Parts::Values {
            reply_value(ctx.reply, f);
        }
        if parts != Parts::Fields {
            reply_value(ctx.reply, v);
        }
    }
    Ok(())
}

/// HGETALL key
pub fn hgetall(ctx: &mut Ctx) -> CmdResult {
    getall_generic(ctx, Parts::Both)
}

/// HKEYS key
pub fn hkeys(ctx: &mut Ctx) -> CmdResult {
    getall_generic(ctx, Parts::Fields)
}

/// HVALS key
pub fn hvals(ctx: &mut Ctx) -> CmdResult {
    getall_generic(ctx, Parts::Values)
}

/// HINCRBY key field increment
pub fn hincrby(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let (key, field) = (argv.get(1), argv.get(2));
    let incr = parse_i64(argv.get(3)).ok_or(CmdError::NotInteger)?;
    let value = with_hash_or_create(ctx, key, |h, limits| {
        let old = match h.get(field) {
            None => 0,
            Some(LpValue::Int(n)) => n,
            Some(LpValue::Str(s)) => {
                parse_i64(s).ok_or_else(|| CmdError::err("hash value is not an integer"))?
            }
        };
        let new = old.checked_add(incr).ok_or(CmdError::Overflow)?;
        let mut buf = [0u8; MAX_I64_LEN];
        h.set(
            field,
            crate::util::numbers::i64_to_bytes(new, &mut buf),
            limits,
        );
        Ok(new)
    })?;
    ctx.reply.int(value);
    written(ctx, key, "hincrby", 1);
    Ok(())
}

/// HINCRBYFLOAT key field increment
pub fn hincrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let (key, field) = (argv.get(1), argv.get(2));
    let incr = LongDouble::parse(argv.get(3)).ok_or(CmdError::NotFloat)?;
    if incr.is_nan() || incr.is_infinite() {
        return Err(CmdError::err("value is NaN or Infinity"));
    }
    let text = with_hash_or_create(ctx, key, |h, limits| {
        let old = match h.get(field) {
            None => LongDouble::ZERO,
            Some(LpValue::Int(n)) => LongDouble::from_i64(n),
            Some(LpValue::Str(s)) => {
                LongDouble::parse(s).ok_or_else(|| CmdError::err("hash value is not a float"))?
            }
        };
        let new = old + incr;
        if new.is_nan() || new.is_infinite() {
            return Err(CmdError::err("increment would produce NaN or Infinity"));
        }
        let text = new.to_human_bytes();
        h.set(field, &text, limits);
        Ok(text)
    })?;
    ctx.reply.bulk(&text);
    written(ctx, key, "hincrbyfloat", 1);
    // Float formatting may differ between builds: propagate the result.
    ctx.ks.propagate_as(&[b"HSET", key, field, &text]);
    Ok(())
}

/// HRANDFIELD key [count [WITHVALUES]]
pub fn hrandfield(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = argv.get(1);
    let db = ctx.db();
    if argv.len() >= 3 {
        let l = parse_i64(argv.get(2)).ok_or(CmdError::NotInteger)?;
        if l < -i64::MAX {
            return Err(CmdError::err(
                "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ));
        }
        let withvalues = match argv.len() {
            3 => false,
            4 if argv.get(3).eq_ignore_ascii_case(b"withvalues") => true,
            _ => return Err(CmdError::Syntax),
        };
        if withvalues && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
            return Err(CmdError::OutOfRange);
        }
        return hrandfield_with_count(ctx, l, withvalues);
    }
    let Some(h) = get_hash(ctx.ks, db, key)? else {
        ctx.reply.null();
        return Ok(());
    };
    if h.is_listpack() {
        // Walks to the pick without building a listpack for a shaped hash.
        if let Some((f, _)) = h.iter().nth(random_below(h.len())) {
            reply_value(ctx.reply, f);
        }
        return Ok(());
    }
    if let Some(t) = hash_table_mut(ctx.ks, db, key) {
        if let Some((k, _)) = t.dict.random_entry() {
            ctx.reply.bulk(k);
        }
    }
    Ok(())
}

/// Mutable access to an existing hashtable-encoded hash without counting a
/// lookup (random picks from a dict advance its generator and rehash).
fn hash_table_mut<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> Option<&'a mut Table> {
    match ks.dbs[db].dict.get_mut(key) {
        Some(RObj {
            value: Value::Hash(h),
            ..
        }) => h.table_mut(),
        _ => None,
    }
}

/// How many times bigger than the count a hash must be to pick at random
/// rather than copy and remove (HRANDFIELD_SUB_STRATEGY_MUL).
const SUB_STRATEGY_MUL: usize = 3;

/// Picks per batch for negative counts on a listpack (HRANDFIELD_RANDOM_SAMPLE_LIMIT).
const RANDOM_SAMPLE_LIMIT: usize = 1000;

/// Writes one picked pair: a 2-element array in RESP3 WITHVALUES.
fn reply_pair(reply: &mut Reply, f: LpValue, v: LpValue, withvalues: bool) {
    if withvalues && reply.is_resp3() {
        reply.array_len(2);
    }
    reply_value(reply, f);
    if withvalues {
        reply_value(reply, v);
    }
}

/// True once the reply outgrew the client's hard output limit (Redis stops
/// producing when the client is flagged CLOSE_ASAP).
fn reply_over_limit(srv: &Server, client: &ClientState, reply: &Reply) -> bool {
    let class = crate::server::client::obuf_class(client);
    let hard = srv.config.client_output_buffer_limit[class].hard_limit_bytes;
    hard > 0 && reply.pending() as u64 >= hard
}

fn hrandfield_with_count(ctx: &mut Ctx, l: i64, withvalues: bool) -> CmdResult {
    let key = ctx.argv.get(1);
    let db = ctx.db();
    let Some(h) = get_hash(ctx.ks, db, key)? else {
        ctx.reply.array_len(0);
        return Ok(());
    };
    let size = h.len();
    let uniq = l >= 0;
    let count = l.unsigned_abs() as usize;
    if count == 0 {
        ctx.reply.array_len(0);
        return Ok(());
    }
    let resp2_pairs = withvalues && !ctx.reply.is_resp3();

    // CASE 1: negative count (repetitions allowed, random order), or one pick.
    if !uniq || count == 1 {
        ctx.reply
            .array_len(if resp2_pairs { count * 2 } else { count });
        if let Some(lp) = h.as_listpack() {
            let mut left = count;
            while left > 0 {
                let n = left.min(RANDOM_SAMPLE_LIMIT);
                left -= n;
                for (f, v) in listpack_random_pairs(&lp, n) {
                    reply_pair(ctx.reply, f, v, withvalues);
                }
                if reply_over_limit(ctx.srv, ctx.client, ctx.reply) {
                    break;
                }
            }
            return Ok(());
        }
        let mut left = count;
        while left > 0 {
            let n = left.min(RANDOM_SAMPLE_LIMIT);
            left -= n;
            if let Some(t) = hash_table_mut(ctx.ks, db, key) {
                for _ in 0..n {
                    if let Some((k, v)) = t.dict.random_entry() {
                        reply_pair(ctx.reply, LpValue::Str(k), LpValue::Str(v), withvalues);
                    }
                }
            }
            if reply_over_limit(ctx.srv, ctx.client, ctx.reply) {
                break;
            }
        }
        return Ok(());
    }

    let n = count.min(size);
    ctx.reply.array_len(if resp2_pairs { n * 2 } else { n });

    // CASE 2: asked for at least the whole hash.
    if count >= size {
        for (f, v) in h.iter() {
            reply_pair(ctx.reply, f, v, withvalues);
        }
        return Ok(());
    }

    // CASE 3: asked for most of it: copy everything, drop random pairs.
    if count * SUB_STRATEGY_MUL > size {
        let mut all: Vec<(LpValue, LpValue)> = h.iter().collect();
        while all.len() > count {
            let i = random_below(all.len());
            all.swap_remove(i);
        }
        for (f, v) in all {
            reply_pair(ctx.reply, f, v, withvalues);
        }
        return Ok(());
    }

    // CASE 4: a few out of many.
    if let Some(lp) = h.as_listpack() {
        for (f, v) in listpack_random_pairs_unique(&lp, count) {
            reply_pair(ctx.reply, f, v, withvalues);
        }
        return Ok(());
    }
    let Some(t) = hash_table_mut(ctx.ks, db, key) else {
        return Ok(());
    };
    let mut seen: HashSet<Box<[u8]>> = HashSet::with_capacity(count);
    while seen.len() < count {
        let Some((k, v)) = t.dict.random_entry() else {
            break;
        };
        if seen.insert(k.as_bytes().into()) {
            reply_pair(ctx.reply, LpValue::Str(k), LpValue::Str(v), withvalues);
        }
    }
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub fn hscan(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = argv.get(1);
    let cursor = parse_cursor(argv.get(2))?;
    let db = ctx.db();
    let Some(h) = get_hash(ctx.ks, db, key)? else {
        ctx.reply.array_len(2);
        ctx.reply.bulk(b"0");
        ctx.reply.array_len(0);
        return Ok(());
    };
    // Options are parsed only once the key is known to be a hash, like Redis.
    let mut count = 10usize;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < argv.len() {
        let has_arg = argv.len() - i >= 2;
        let opt = argv.get(i);
        if has_arg && opt.eq_ignore_ascii_case(b"count") {
            let n = parse_i64(argv.get(i + 1)).ok_or(CmdError::NotInteger)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            count = n as usize;
        } else if has_arg && opt.eq_ignore_ascii_case(b"match") {
            pattern = Some(argv.get(i + 1)).filter(|p| *p != b"*");
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }

    // Dict::scan lends its entries only to the callback: copy what it gives.
    let mut owned: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut found: Vec<(LpValue, LpValue)> = Vec::new();
    let mut next = 0;
    match h.view() {
        // Small encodings are returned whole, with cursor 0.
        View::Listpack(_) | View::Shaped(_) => found.extend(h.iter()),
        View::Table(t) => {
            // Redis counts fields and values against COUNT.
            let mut iterations = count.saturating_mul(10);
            next = cursor;
            loop {
                next = t
                    .dict
                    .scan(next, |k, v| owned.push((k.to_vec(), v.to_vec())));
                if next == 0 || iterations == 0 || owned.len() * 2 >= count {
                    break;
                }
                iterations -= 1;
            }
            found.extend(
                owned
                    .iter()
                    .map(|(k, v)| (LpValue::Str(k), LpValue::Str(v))),
            );
        }
    }
    let mut numbuf = Vec::new();
    if let Some(p) = pattern {
        found.retain(|(f, _)| match f {
            LpValue::Str(s) => glob_match(p, s, false),
            LpValue::Int(_) => {
                numbuf.clear();
                f.write_to(&mut numbuf);
                glob_match(p, &numbuf, false)
            }
        });
    }
    ctx.reply.array_len(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array_len(found.len() * 2);
    for (f, v) in found {
        reply_value(ctx.reply, f);
        reply_value(ctx.reply, v);
    }
    Ok(())
}

/// The hash commands.
pub static COMMANDS: &[(&str, Handler)] = &[
    ("hdel", hdel),
    ("hexists", hexists),
    ("hget", hget),
    ("hgetall", hgetall),
    ("hincrby", hincrby),
    ("hincrbyfloat", hincrbyfloat),
    ("hkeys", hkeys),
    ("hlen", hlen),
    ("hmget", hmget),
    ("hmset", hset),
    ("hrandfield", hrandfield),
    ("hscan", hscan),
    ("hset", hset),
    ("hsetnx", hsetnx),
    ("hstrlen", hstrlen),
    ("hvals", hvals),
];

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        max_entries: 4,
        max_value: 8,
    };

    fn pairs(h: &Hash) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut v: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        v.sort();
        v
    }

    #[test]
    fn new_hash_is_an_empty_listpack() {
        let h = Hash::new();
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.len(), 0);
        assert_eq!(h.get(b"x"), None);
    }

    #[test]
    fn set_reports_update_and_get_reads_back_integers_as_integers() {
        let mut h = Hash::new();
        assert!(!h.set(b"a", b"1", SMALL));
        assert!(!h.set(b"b", b"hello", SMALL));
        assert!(h.set(b"a", b"-20", SMALL));
        assert_eq!(h.get(b"a"), Some(LpValue::Int(-20)));
        assert_eq!(h.get(b"b"), Some(LpValue::Str(b"hello")));
        assert_eq!(h.len(), 2);
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn field_names_that_look_like_values_are_not_confused() {
        // A value equal to a field name must not be found as a field.
        let mut h = Hash::new();
        h.set(b"a", b"b", SMALL);
        h.set(b"b", b"c", SMALL);
        assert_eq!(h.get(b"b"), Some(LpValue::Str(b"c")));
        assert!(h.delete(b"b"));
        assert_eq!(h.get(b"a"), Some(LpValue::Str(b"b")));
        assert_eq!(h.get(b"b"), None);
    }

    #[test]
    fn too_many_entries_convert_to_hashtable_for_good() {
        let mut h = Hash::new();
        for i in 0..4 {
            h.set(format!("f{i}").as_bytes(), b"v", SMALL);
        }
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f4", b"v", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 5);
        for i in 0..5 {
            h.delete(format!("f{i}").as_bytes());
        }
        h.set(b"x", b"1", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"x"), Some(LpValue::Str(b"1")));
    }

    #[test]
    fn long_field_or_value_converts() {
        let mut h = Hash::new();
        h.set(b"12345678", b"12345678", SMALL);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"k", b"123456789", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        let mut g = Hash::new();
        g.try_conversion([&b"f"[..], b"123456789"], SMALL);
        assert_eq!(g.encoding(), "hashtable");
    }

    #[test]
    fn conversion_keeps_every_pair() {
        let mut h = Hash::new();
        h.set(b"n", b"42", SMALL);
        h.set(b"s", b"str", SMALL);
        h.set(b"e", b"", SMALL);
        let before = pairs(&h);
        h.convert_to_table();
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(pairs(&h), before);
        assert_eq!(h.get(b"n"), Some(LpValue::Str(b"42")));
    }

    #[test]
    fn digest_ignores_encoding_and_order() {
        let mut a = Hash::new();
        a.set(b"x", b"1", SMALL);
        a.set(b"y", b"2", SMALL);
        let mut b = Hash::new();
        b.set(b"y", b"2", SMALL);
        b.set(b"x", b"1", SMALL);
        b.convert_to_table();
        let (mut ha, mut hb) = (Sha1::new(), Sha1::new());
        a.digest(&mut ha);
        b.digest(&mut hb);
        assert_eq!(ha.finish(), hb.finish());
        // Swapping a field and its value changes it.
        let mut c = Hash::new();
        c.set(b"1", b"x", SMALL);
        c.set(b"y", b"2", SMALL);
        let mut hc = Sha1::new();
        c.digest(&mut hc);
        let mut ha = Sha1::new();
        a.digest(&mut ha);
        assert_ne!(ha.finish(), hc.finish());
    }

    #[test]
    fn heap_size_tracks_table_contents() {
        let mut h = Hash::new();
        h.convert_to_table();
        let empty = h.heap_size();
        h.set(b"field", b"value", SMALL);
        assert!(h.heap_size() >= empty + 10);
        h.delete(b"field");
        let View::Table(t) = h.view() else {
            panic!("table")
        };
        assert_eq!(t.data_bytes, 0);
    }

    #[test]
    fn clone_is_deep_and_keeps_encoding() {
        let mut h = Hash::new();
        h.set(b"a", b"1", SMALL);
        h.convert_to_table();
        let c = h.clone();
        h.set(b"a", b"2", SMALL);
        assert_eq!(c.get(b"a"), Some(LpValue::Str(b"1")));
        assert_eq!(c.encoding(), "hashtable");
    }

    #[test]
    fn from_listpack_rejects_odd_counts_and_duplicate_fields() {
        let mut lp = Listpack::new();
        lp.push_back(b"a");
        lp.push_back(b"1");
        assert!(Hash::from_listpack(lp.clone()).is_some());
        lp.push_back(b"b");
        assert!(Hash::from_listpack(lp.clone()).is_none());
        lp.push_back(b"2");
        lp.push_back(b"a");
        lp.push_back(b"3");
        assert!(Hash::from_listpack(lp).is_none());
    }

    #[test]
    fn random_pairs_cover_every_pair_and_unique_picks_are_distinct() {
        let mut lp = Listpack::new();
        for i in 0..10 {
            lp.push_back(format!("f{i}").as_bytes());
            lp.push_back(format!("v{i}").as_bytes());
        }
        let picks = listpack_random_pairs(&lp, 1000);
        assert_eq!(picks.len(), 1000);
        let distinct: HashSet<Vec<u8>> = picks.iter().map(|(f, _)| f.to_vec()).collect();
        assert_eq!(distinct.len(), 10);
        for (f, v) in &picks {
            assert_eq!(f.to_vec()[1..], v.to_vec()[1..]);
        }
        for n in [1, 3, 9, 10, 20] {
            let u = listpack_random_pairs_unique(&lp, n);
            assert_eq!(u.len(), n.min(10));
            let d: HashSet<Vec<u8>> = u.iter().map(|(f, _)| f.to_vec()).collect();
            assert_eq!(d.len(), u.len());
        }
    }

    /// A hash of `pairs`, settled until its field list is a shape.
    fn shaped(pairs: &[(&[u8], &[u8])]) -> Hash {
        for _ in 0..crate::types::hash_shape::SHAPE_AFTER_SIGHTINGS {
            let mut h = Hash::new();
            for (f, v) in pairs {
                h.set(f, v, SMALL);
            }
            h.settle();
            if matches!(h.view(), View::Shaped(_)) {
                return h;
            }
        }
        panic!("never shaped")
    }

    #[test]
    fn shaped_hash_reads_like_its_listpack() {
        let h = shaped(&[(b"sh-name", b"ann"), (b"sh-n", b"42")]);
        assert_eq!(h.encoding(), "listpack");
        assert!(h.is_listpack());
        assert_eq!(h.len(), 2);
        assert_eq!(h.get(b"sh-n"), Some(LpValue::Str(b"42")));
        assert_eq!(h.get(b"ann"), None);
        let mut lp = Listpack::new();
        for e in [&b"sh-name"[..], b"ann", b"sh-n", b"42"] {
            lp.push_back(e);
        }
        assert_eq!(h.as_listpack().unwrap().as_bytes(), lp.as_bytes());
        assert!(h.heap_size() < lp.heap_size());
        let plain = Hash::from_listpack(lp).unwrap();
        assert_eq!(pairs(&h), pairs(&plain));
        let (mut a, mut b) = (Sha1::new(), Sha1::new());
        h.digest(&mut a);
        plain.digest(&mut b);
        assert_eq!(a.finish(), b.finish());
    }

    #[test]
    fn writes_to_a_shaped_hash_unshape_it_and_settle_shapes_it_again() {
        let mut h = shaped(&[(b"sw-a", b"1"), (b"sw-b", b"2")]);
        assert!(!h.set(b"sw-c", b"3", SMALL));
        assert!(matches!(h.view(), View::Listpack(_)));
        assert!(h.delete(b"sw-c"));
        h.settle();
        assert!(matches!(h.view(), View::Shaped(_)));
        // A new field list is a listpack until it too is common.
        assert!(!h.set(b"sw-c", b"3", SMALL));
        h.settle();
        assert!(matches!(h.view(), View::Listpack(_)));
        assert_eq!(h.len(), 3);
        let mut g = shaped(&[(b"sw-a", b"1"), (b"sw-b", b"2")]);
        assert!(g.delete(b"sw-b"));
        assert!(!g.delete(b"sw-b"));
        assert_eq!(pairs(&g), vec![(b"sw-a".to_vec(), b"1".to_vec())]);
        let mut t = shaped(&[(b"sw-a", b"1"), (b"sw-b", b"2")]);
        t.convert_to_table();
        assert_eq!(t.encoding(), "hashtable");
        assert_eq!(t.len(), 2);
        let mut short = shaped(&[(b"sw-a", b"1"), (b"sw-b", b"2")]);
        short.try_conversion([&b"12345678"[..]], SMALL);
        assert!(matches!(short.view(), View::Shaped(_)));
        let mut long = shaped(&[(b"sw-a", b"1"), (b"sw-b", b"2")]);
        long.try_conversion([&b"123456789"[..]], SMALL);
        assert_eq!(long.encoding(), "hashtable");
        assert_eq!(long.get(b"sw-b"), Some(LpValue::Str(b"2")));
    }

    #[test]
    fn updates_keep_a_hash_shaped_unless_a_limit_is_crossed() {
        let mut h = shaped(&[(b"su-a", b"1"), (b"su-b", b"2")]);
        assert!(h.set(b"su-b", b"a longer", SMALL));
        assert!(h.set(b"su-a", b"", SMALL));
        assert!(matches!(h.view(), View::Shaped(_)));
        assert_eq!(
            pairs(&h),
            vec![
                (b"su-a".to_vec(), b"".to_vec()),
                (b"su-b".to_vec(), b"a longer".to_vec())
            ]
        );
        // Over hash-max-listpack-value: a table, as for a listpack.
        assert!(h.set(b"su-a", b"123456789", SMALL));
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"su-a"), Some(LpValue::Str(b"123456789")));
        // Over hash-max-listpack-entries (lowered since): so does any write.
        let mut h = shaped(&[(b"su-a", b"1"), (b"su-b", b"2")]);
        let one_entry = Limits {
            max_entries: 1,
            ..SMALL
        };
        assert!(h.set(b"su-a", b"3", one_entry));
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn clone_of_a_shaped_hash_is_independent() {
        let mut h = shaped(&[(b"sc-a", b"1")]);
        let c = h.clone();
        h.set(b"sc-a", b"2", SMALL);
        drop(h);
        assert_eq!(c.get(b"sc-a"), Some(LpValue::Str(b"1")));
        assert!(matches!(c.view(), View::Shaped(_)));
    }

    #[test]
    fn hash_is_as_small_as_its_listpack() {
        assert_eq!(std::mem::size_of::<Hash>(), 16);
    }
}
