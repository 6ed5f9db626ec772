//! Sorted sets (Redis `t_zset.c`): the ZSet value, its two encodings and every
//! sorted set command of Redis 7.0.
//!
//! # Encodings
//!
//! - `listpack`: member, score, member, score... sorted by score then member. Used
//!   while the set has at most `zset-max-listpack-entries` elements and no member is
//!   longer than `zset-max-listpack-value` bytes. Scores are stored as Redis's
//!   `d2string` text, so integral scores become listpack integers. Every operation
//!   is a linear walk, as in Redis: the thresholds keep it small.
//! - `skiplist`: Redis's skiplist with spans plus member → score dict, built as one
//!   structure in `skiplist.rs`: O(log N) rank, element at a rank and range ends;
//!   O(1) ZSCORE through a member index chained through the nodes themselves (so
//!   each member is stored once), rehashed incrementally and scanned with Redis's
//!   reverse-binary cursor like any dict.
//!
//! Conversion is one way, like Redis: a listpack becomes a skiplist when it grows
//! past a threshold and never goes back, except that results built by
//! ZUNIONSTORE & co. start in whichever encoding fits them.
//!
//! # Ranges
//!
//! Every range command (ZRANGE in all its forms, ZRANGESTORE, ZCOUNT, ZLEXCOUNT,
//! ZREMRANGEBY*) first turns its range into forward ranks `lo..=hi` (O(log N) on a
//! skiplist), then walks from a rank in either direction. So the reply length is
//! known before the first element is written and LIMIT offsets cost O(log N), not
//! O(offset).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use super::listpack::{Listpack, LpValue};
use super::skiplist::{LexBound, LexRange, ScoreRange, SkipList, NIL};
use crate::command::args::is_token;
use crate::command::{CmdError, CmdResult, Ctx, Handler};
use crate::db::keyspace::{notify, Keyspace};
use crate::protocol::reply::Reply;
use crate::server::blocking::{block_for_keys, parse_timeout, BlockRequest, TimeoutReply};
use crate::types::{RObj, Value};
use crate::util::glob::glob_match;
use crate::util::numbers::{
    i64_to_bytes, parse_f64, parse_i64, write_d2string, write_double, MAX_I64_LEN,
};
use crate::util::prefetch::StagedLookup;
use crate::util::sha1::Sha1;

/// Listpacks never grow past 1 GB (Redis `LISTPACK_MAX_SAFETY_SIZE`).
const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;

/// The listpack → skiplist thresholds, read from the config once per command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `zset-max-listpack-entries`
    pub max_entries: usize,
    /// `zset-max-listpack-value`
    pub max_value: usize,
}

impl Limits {
    pub fn of(config: &crate::config::Config) -> Limits {
        Limits {
            max_entries: config.zset_max_listpack_entries.max(0) as usize,
            max_value: config.zset_max_listpack_value.max(0) as usize,
        }
    }
}

/// ZADD's options, as `zsetAdd` takes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddFlags {
    pub incr: bool,
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// What `ZSet::add` did; every variant but `Nop` carries the member's score now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AddOutcome {
    Added(f64),
    Updated(f64),
    /// Processed, but the score stayed the same.
    Unchanged(f64),
    /// Skipped because of NX, XX, GT or LT.
    Nop,
}

/// The score would be NaN (an increment of +inf by -inf).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NanScore;

/// Elements from a rank onwards, in one direction: (member, score).
pub type ZIter<'a> = Box<dyn Iterator<Item = (LpValue<'a>, f64)> + 'a>;

/// A sorted set value.
#[derive(Debug, Clone)]
pub struct ZSet {
    enc: Enc,
}

#[derive(Debug, Clone)]
enum Enc {
    Listpack(Listpack),
    Skiplist(Box<SkipList>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::new_listpack()
    }
}

// ---------------------------------------------------------------------------
// Listpack helpers
// ---------------------------------------------------------------------------

/// A score as stored in a listpack entry, read as `zzlGetScore` does: an
/// integer, or text as `strtod` reads it (0 when it is not a number at all).
pub fn lp_score(v: LpValue) -> f64 {
    match v {
        LpValue::Int(n) => n as f64,
        LpValue::Str(s) => parse_f64(s).or_else(|| strtod_full(s)).unwrap_or(0.0),
    }
}

/// Compares a listpack member with `b` in memcmp order.
fn lp_cmp(v: LpValue, b: &[u8]) -> Ordering {
    match v {
        LpValue::Str(s) => s.cmp(b),
        LpValue::Int(n) => {
            let mut buf = [0u8; MAX_I64_LEN];
            i64_to_bytes(n, &mut buf).cmp(b)
        }
    }
}

/// (member, score) pairs of a zset listpack, front to back or back to front.
struct Pairs<I> {
    entries: I,
    rev: bool,
}

impl<'a, I: DoubleEndedIterator<Item = LpValue<'a>>> Iterator for Pairs<I> {
    type Item = (LpValue<'a>, f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rev {
            let s = self.entries.next_back()?;
            let m = self.entries.next_back()?;
            Some((m, lp_score(s)))
        } else {
            let m = self.entries.next()?;
            let s = self.entries.next()?;
            Some((m, lp_score(s)))
        }
    }
}

fn pairs(lp: &Listpack, rev: bool) -> Pairs<impl DoubleEndedIterator<Item = LpValue<'_>> + '_> {
    Pairs {
        entries: lp.iter(),
        rev,
    }
}

/// Position (byte offset) of member `m` and its score (Redis `zzlFind`).
fn lp_find(lp: &Listpack, m: &[u8]) -> Option<(usize, f64)> {
    let p = lp.find_pos(m, lp.first_pos()?, 1)?;
    let sp = lp.next_pos(p)?;
    Some((p, lp_score(lp.get_at(sp))))
}

/// A score as a listpack entry (Redis `zzlInsertAt`): integral values within
/// ±2^62 as integers (so -0 is stored as 0), others as `d2string` text.
fn write_lp_score(buf: &mut Vec<u8>, score: f64) {
    if score == 0.0 {
        buf.push(b'0');
    } else {
        write_d2string(buf, score);
    }
}

/// Inserts (`m`, `score`) at its place (Redis `zzlInsert`).
fn lp_insert(lp: &mut Listpack, m: &[u8], score: f64) {
    let mut text = Vec::with_capacity(24);
    write_lp_score(&mut text, score);
    let mut next = lp.first_pos();
    while let Some(e) = next {
        let Some(sp) = lp.next_pos(e) else {
            break;
        };
        let s = lp_score(lp.get_at(sp));
        if s > score || (s == score && lp_cmp(lp.get_at(e), m) == Ordering::Greater) {
            // The new member takes `e`; the element that was there follows it.
            lp.insert_at(e, m);
            let after = lp.next_pos(e).unwrap_or(lp.total_bytes() - 1);
            lp.insert_at(after, &text);
            return;
        }
        next = lp.next_pos(sp);
    }
    lp.push_back(m);
    lp.push_back(&text);
}

/// Appends (`m`, `score`) at the end (input known to be sorted).
fn lp_push(lp: &mut Listpack, m: &[u8], score: f64) {
    let mut text = Vec::with_capacity(24);
    write_lp_score(&mut text, score);
    lp.push_back(m);
    lp.push_back(&text);
}

// ---------------------------------------------------------------------------
// The type
// ---------------------------------------------------------------------------

impl ZSet {
    /// An empty listpack-encoded zset.
    pub fn new_listpack() -> ZSet {
        ZSet {
            enc: Enc::Listpack(Listpack::new()),
        }
    }

    /// An empty skiplist-encoded zset.
    pub fn new_skiplist() -> ZSet {
        ZSet {
            enc: Enc::Skiplist(Box::default()),
        }
    }

    /// Builds a zset from distinct members sorted by (score, member), in the
    /// encoding that fits them (Redis `zsetConvertToListpackIfNeeded`).
    pub fn from_sorted(items: Vec<(Vec<u8>, f64)>, limits: Limits) -> ZSet {
        let maxlen = items.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        let total: usize = items.iter().map(|(m, _)| m.len()).sum();
        if items.len() <= limits.max_entries
            && maxlen <= limits.max_value
            && total <= LISTPACK_MAX_SAFETY_SIZE
        {
            let mut lp = Listpack::new();
            for (m, s) in &items {
                lp_push(&mut lp, m, *s);
            }
            ZSet {
                enc: Enc::Listpack(lp),
            }
        } else {
            let mut zsl = SkipList::with_capacity(items.len());
            for (m, s) in items {
                zsl.insert(s, &m);
            }
            ZSet {
                enc: Enc::Skiplist(Box::new(zsl)),
            }
        }
    }

    /// A listpack-encoded zset over a listpack of alternating members and
    /// scores (as RDB stores it); `None` when it has an odd number of entries.
    /// The caller has checked the rest (no repeated member, no NaN score); like
    /// Redis, the order is taken as it comes.
    pub fn from_listpack(lp: Listpack) -> Option<ZSet> {
        if !lp.len().is_multiple_of(2) {
            return None;
        }
        Some(ZSet {
            enc: Enc::Listpack(lp),
        })
    }

    /// The listpack, when listpack-encoded (RDB, DUMP).
    pub fn as_listpack(&self) -> Option<&Listpack> {
        match &self.enc {
            Enc::Listpack(lp) => Some(lp),
            Enc::Skiplist(_) => None,
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self.enc {
            Enc::Listpack(_) => "listpack",
            Enc::Skiplist(_) => "skiplist",
        }
    }

    /// The skiplist's member index, for prefetching member lookups (see
    /// `Value::member_index`).
    pub fn member_index(&self) -> Option<&dyn StagedLookup> {
        match &self.enc {
            Enc::Skiplist(sl) => Some(&**sl),
            Enc::Listpack(_) => None,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Listpack(lp) => lp.len() / 2,
            Enc::Skiplist(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held, for MEMORY USAGE: the listpack's allocation; or the
    /// skiplist's arena, members, upper levels and index buckets. O(1).
    pub fn heap_size(&self) -> usize {
        match &self.enc {
            Enc::Listpack(lp) => lp.heap_size(),
            Enc::Skiplist(s) => std::mem::size_of::<SkipList>() + s.heap_size(),
        }
    }

    /// Feeds DEBUG DIGEST: XOR of one SHA-1 per (member, score), so the result
    /// depends neither on the encoding nor on the order.
    pub fn digest(&self, h: &mut Sha1) {
        let mut acc = [0u8; 20];
        let mut buf = Vec::with_capacity(64);
        for (m, s) in self.iter() {
            buf.clear();
            m.write_to(&mut buf);
            let mut e = Sha1::new();
            e.update(&(buf.len() as u64).to_le_bytes());
            e.update(&buf);
            buf.clear();
            write_double(&mut buf, s);
            e.update(&buf);
            for (a, b) in acc.iter_mut().zip(e.finish()) {
                *a ^= b;
            }
        }
        h.update(b"zset");
        h.update(&acc);
    }

    /// The score of member `m`.
    pub fn score(&self, m: &[u8]) -> Option<f64> {
        match &self.enc {
            Enc::Listpack(lp) => lp_find(lp, m).map(|(_, s)| s),
            Enc::Skiplist(s) => s.get(m),
        }
    }

    /// Converts a listpack to a skiplist (never the other way).
    pub fn convert_to_skiplist(&mut self) {
        if let Enc::Listpack(lp) = &self.enc {
            // No size hint: the set keeps growing past the listpack limit.
            let mut zsl = SkipList::new();
            for (m, s) in pairs(lp, false) {
                m.with_bytes(|b| zsl.insert(s, b));
            }
            self.enc = Enc::Skiplist(Box::new(zsl));
        }
    }

    /// Adds or updates member `m` (Redis `zsetAdd`), converting the encoding when
    /// the new member would break the listpack limits.
    pub fn add(
        &mut self,
        score: f64,
        m: &[u8],
        f: AddFlags,
        limits: Limits,
    ) -> Result<AddOutcome, NanScore> {
        if score.is_nan() {
            return Err(NanScore);
        }
        if let Enc::Listpack(lp) = &mut self.enc {
            match lp_find(lp, m) {
                Some((at, cur)) => {
                    let Some(new) = update_target(cur, score, f)? else {
                        return Ok(AddOutcome::Nop);
                    };
                    if new == cur {
                        return Ok(AddOutcome::Unchanged(new));
                    }
                    lp.remove_at(at, 2);
                    lp_insert(lp, m, new);
                    return Ok(AddOutcome::Updated(new));
                }
                None if f.xx => return Ok(AddOutcome::Nop),
                None => {
                    if lp.len() / 2 + 1 > limits.max_entries
                        || m.len() > limits.max_value
                        || !lp.safe_to_add(m.len())
                    {
                        self.convert_to_skiplist();
                    } else {
                        lp_insert(lp, m, score);
                        return Ok(AddOutcome::Added(score));
                    }
                }
            }
        }
        let Enc::Skiplist(s) = &mut self.enc else {
            return Ok(AddOutcome::Nop);
        };
        match s.find(m) {
            NIL if f.xx => Ok(AddOutcome::Nop),
            NIL => {
                s.insert(score, m);
                Ok(AddOutcome::Added(score))
            }
            x => {
                let cur = s.score(x);
                let Some(new) = update_target(cur, score, f)? else {
                    return Ok(AddOutcome::Nop);
                };
                if new == cur {
                    return Ok(AddOutcome::Unchanged(new));
                }
                s.set_score(x, new);
                Ok(AddOutcome::Updated(new))
            }
        }
    }

    /// Removes member `m`; true when it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Listpack(lp) => match lp_find(lp, m) {
                Some((at, _)) => {
                    lp.remove_at(at, 2);
                    true
                }
                None => false,
            },
            Enc::Skiplist(s) => s.remove(m).is_some(),
        }
    }

    /// 0-based rank of member `m`, from the top when `rev`.
    pub fn rank(&self, m: &[u8], rev: bool) -> Option<usize> {
        let r = match &self.enc {
            Enc::Listpack(lp) => pairs(lp, false).position(|(v, _)| v.eq_bytes(m))?,
            Enc::Skiplist(s) => {
                let score = s.get(m)?;
                s.rank(score, m).checked_sub(1)?
            }
        };
        Some(if rev { self.len() - 1 - r } else { r })
    }

    /// Elements starting at forward rank `rank` (which must exist), going up, or
    /// down when `rev`.
    pub fn iter_from(&self, rank: usize, rev: bool) -> ZIter<'_> {
        match &self.enc {
            Enc::Listpack(lp) => {
                let skip = if rev {
                    (lp.len() / 2).saturating_sub(rank + 1)
                } else {
                    rank
                };
                Box::new(pairs(lp, rev).skip(skip))
            }
            Enc::Skiplist(zsl) => {
                let zsl = &**zsl;
                let mut node = zsl.by_rank(rank + 1);
                Box::new(std::iter::from_fn(move || {
                    if node == NIL {
                        return None;
                    }
                    let out = (LpValue::Str(zsl.ele(node)), zsl.score(node));
                    node = if rev { zsl.prev(node) } else { zsl.next(node) };
                    Some(out)
                }))
            }
        }
    }

    /// All elements in order.
    pub fn iter(&self) -> ZIter<'_> {
        self.iter_from(0, false)
    }

    /// Forward ranks of the first and last elements whose score is in `r`.
    pub fn score_ranks(&self, r: &ScoreRange) -> Option<(usize, usize)> {
        if r.is_empty() {
            return None;
        }
        match &self.enc {
            Enc::Listpack(lp) => {
                let mut it = pairs(lp, false)
                    .enumerate()
                    .skip_while(|(_, (_, s))| !r.gte_min(*s));
                let (lo, _) = it.next().filter(|(_, (_, s))| r.lte_max(*s))?;
                let hi = it
                    .take_while(|(_, (_, s))| r.lte_max(*s))
                    .last()
                    .map_or(lo, |(i, _)| i);
                Some((lo, hi))
            }
            Enc::Skiplist(s) => {
                let (_, lo) = s.first_in_range(r)?;
                let (_, hi) = s.last_in_range(r)?;
                Some((lo - 1, hi - 1))
            }
        }
    }

    /// Forward ranks of the first and last elements whose member is in `r`.
    pub fn lex_ranks(&self, r: &LexRange) -> Option<(usize, usize)> {
        if r.is_empty() {
            return None;
        }
        match &self.enc {
            Enc::Listpack(lp) => {
                let gte = |v: LpValue| v.with_bytes(|b| r.gte_min(b));
                let lte = |v: LpValue| v.with_bytes(|b| r.lte_max(b));
                // Redis's zzlIsInLexRange first looks at both ends (which only
                // matters when the scores differ and the lex order is undefined).
                let (first, last) = (pairs(lp, false).next()?, pairs(lp, true).next()?);
                if !gte(last.0) || !lte(first.0) {
                    return None;
                }
                let mut it = pairs(lp, false)
                    .enumerate()
                    .skip_while(|(_, (m, _))| !gte(*m));
                let (lo, _) = it.next().filter(|(_, (m, _))| lte(*m))?;
                let hi = it
                    .take_while(|(_, (m, _))| lte(*m))
                    .last()
                    .map_or(lo, |(i, _)| i);
                Some((lo, hi))
            }
            Enc::Skiplist(s) => {
                let (_, lo) = s.first_in_lex_range(r)?;
                let (_, hi) = s.last_in_lex_range(r)?;
                Some((lo - 1, hi - 1))
            }
        }
    }

    /// Removes the elements with forward ranks `lo..=hi`; returns how many.
    pub fn remove_ranks(&mut self, lo: usize, hi: usize) -> usize {
        let len = self.len();
        if lo > hi || lo >= len {
            return 0;
        }
        let hi = hi.min(len - 1);
        match &mut self.enc {
            Enc::Listpack(lp) => {
                lp.remove_range(2 * lo, 2 * (hi - lo + 1));
                hi - lo + 1
            }
            Enc::Skiplist(s) => s.delete_range_by_rank(lo + 1, hi + 1),
        }
    }

    /// Removes and returns the lowest (or, with `max`, the highest) element.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        match &mut self.enc {
            Enc::Listpack(lp) => {
                let (m, s) = pairs(lp, max).next()?;
                let m = m.to_vec();
                let at = if max { lp.len() - 2 } else { 0 };
                lp.remove_range(at, 2);
                Some((m, s))
            }
            Enc::Skiplist(s) => {
                let n = if max { s.last() } else { s.first() };
                if n == NIL {
                    return None;
                }
                let (m, score) = (s.ele(n).to_vec(), s.score(n));
                s.remove(&m);
                Some((m, score))
            }
        }
    }

    /// Random access by rank for ZRANDMEMBER: O(log N) on a skiplist; a listpack is
    /// unpacked once.
    fn sampler(&self) -> Sampler<'_> {
        match &self.enc {
            Enc::Listpack(lp) => Sampler::All(pairs(lp, false).collect()),
            Enc::Skiplist(s) => Sampler::Skip(s),
        }
    }
}

/// The score an update leads to, `None` when NX/GT/LT skip it (Redis `zsetAdd`).
fn update_target(cur: f64, score: f64, f: AddFlags) -> Result<Option<f64>, NanScore> {
    if f.nx {
        return Ok(None);
    }
    let new = if f.incr { score + cur } else { score };
    if new.is_nan() {
        return Err(NanScore);
    }
    if (f.lt && new >= cur) || (f.gt && new <= cur) {
        return Ok(None);
    }
    Ok(Some(new))
}

enum Sampler<'a> {
    All(Vec<(LpValue<'a>, f64)>),
    Skip(&'a SkipList),
}

impl<'a> Sampler<'a> {
    fn get(&self, rank: usize) -> (LpValue<'a>, f64) {
        match self {
            Sampler::All(v) => v[rank],
            Sampler::Skip(zsl) => {
                let n = zsl.by_rank(rank + 1);
                (LpValue::Str(zsl.ele(n)), zsl.score(n))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// C `strtod` as `zslParseRange` uses it: leading white space allowed, the rest
/// must be consumed (up to a NUL, as C strings end there), overflow gives ±inf.
/// An empty string reads as 0. NaN is returned as is (callers reject it).
fn strtod_full(s: &[u8]) -> Option<f64> {
    let s = match s.iter().position(|&c| c == 0) {
        Some(nul) => &s[..nul],
        None => s,
    };
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let rest = &s[start..];
    if let Some(v) = parse_f64(rest) {
        return Some(v);
    }
    // What string2d refuses but strtod takes: out-of-range values, NaN.
    let text = std::str::from_utf8(rest).ok()?;
    if !text
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        return None;
    }
    text.parse::<f64>().ok()
}

/// One end of a score range: `(1.5` (exclusive) or `1.5`.
fn parse_score_bound(b: &[u8]) -> Option<(f64, bool)> {
    let (text, ex) = match b.first() {
        Some(b'(') => (&b[1..], true),
        _ => (b, false),
    };
    strtod_full(text).filter(|v| !v.is_nan()).map(|v| (v, ex))
}

/// A score range (Redis `zslParseRange`).
fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    let err = || CmdError::err("min or max is not a float");
    let (min, minex) = parse_score_bound(min).ok_or_else(err)?;
    let (max, maxex) = parse_score_bound(max).ok_or_else(err)?;
    Ok(ScoreRange {
        min,
        max,
        minex,
        maxex,
    })
}

/// One end of a lex range: `-`, `+`, `(member` or `[member`.
fn parse_lex_bound(b: &[u8]) -> Option<(LexBound, bool)> {
    let alone = b.get(1).is_none_or(|&c| c == 0);
    match b.first()? {
        b'+' if alone => Some((LexBound::Max, true)),
        b'-' if alone => Some((LexBound::Min, true)),
        b'(' => Some((LexBound::Value(b[1..].to_vec()), true)),
        b'[' => Some((LexBound::Value(b[1..].to_vec()), false)),
        _ => None,
    }
}

/// A lex range (Redis `zslParseLexRange`).
fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, CmdError> {
    let err = || CmdError::err("min or max not valid string range item");
    let (min, minex) = parse_lex_bound(min).ok_or_else(err)?;
    let (max, maxex) = parse_lex_bound(max).ok_or_else(err)?;
    Ok(LexRange {
        min,
        max,
        minex,
        maxex,
    })
}

/// An integer argument ("value is not an integer or out of range").
fn arg_i64(b: &[u8]) -> Result<i64, CmdError> {
    parse_i64(b).ok_or(CmdError::NotInteger)
}

/// A range or count argument in `min..=i64::MAX`, with `msg` as the error for
/// both a bad integer and a value out of range (Redis
/// `getRangeLongFromObjectOrReply` with a message).
fn arg_at_least(b: &[u8], min: i64, msg: &'static str) -> Result<i64, CmdError> {
    parse_i64(b)
        .filter(|&v| v >= min)
        .ok_or_else(|| CmdError::err(msg))
}

// ---------------------------------------------------------------------------
// Key access
// ---------------------------------------------------------------------------

/// The zset at `key` for reading; WRONGTYPE for other types.
fn zset_read<'a>(
    ks: &'a mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a ZSet>, CmdError> {
    ks.read::<ZSet>(db, key)
}

/// The zset at `key` for writing; WRONGTYPE for other types.
fn zset_write<'a>(
    ks: &'a mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut ZSet>, CmdError> {
    ks.write::<ZSet>(db, key)
}

/// Writes a member as a bulk string.
fn reply_member(r: &mut Reply, m: LpValue) {
    match m {
        LpValue::Str(s) => r.bulk(s),
        LpValue::Int(n) => r.bulk_i64(n),
    }
}

/// Writes `n` (member, score) results: a flat array in RESP2, pairs in RESP3.
fn reply_elements<'a>(
    r: &mut Reply,
    n: usize,
    withscores: bool,
    items: impl Iterator<Item = (LpValue<'a>, f64)>,
) {
    let pairs = withscores && r.is_resp3();
    r.array_len(if withscores && !pairs { 2 * n } else { n });
    for (m, s) in items.take(n) {
        if pairs {
            r.array_len(2);
        }
        reply_member(r, m);
        if withscores {
            r.double(s);
        }
    }
}

/// Stores a computed zset at `dst` (deleting `dst` when it is empty) and replies
/// with its size: the end of every *STORE command.
fn store_result(ctx: &mut Ctx, dst: &[u8], z: ZSet, event: &'static str) {
    let db = ctx.db();
    let n = z.len();
    if n > 0 {
        ctx.ks.set_or_add(db, dst, Value::ZSet(z), false);
        ctx.reply.int(n as i64);
        ctx.ks.notify(notify::ZSET, event, dst, db);
        ctx.ks.dirty(1);
        ctx.ks.signal_ready(db, dst);
    } else {
        ctx.reply.int(0);
        if ctx.ks.delete(db, dst) {
            ctx.ks.notify(notify::GENERIC, "del", dst, db);
            ctx.ks.dirty(1);
        }
    }
}

// ---------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM, ZREMRANGEBY*
// ---------------------------------------------------------------------------

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
pub fn zadd(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(ctx, false)
}

/// ZINCRBY key increment member
pub fn zincrby(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(ctx, true)
}

fn zadd_generic(ctx: &mut Ctx, incr_cmd: bool) -> CmdResult {
    let argv = ctx.argv;
    let key = argv.get(1);
    let mut f = AddFlags {
        incr: incr_cmd,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut idx = 2;
    while idx < argv.len() {
        let opt = argv.get(idx);
        if is_token(opt, "nx") {
            f.nx = true;
        } else if is_token(opt, "xx") {
            f.xx = true;
        } else if is_token(opt, "ch") {
            ch = true;
        } else if is_token(opt, "incr") {
            f.incr = true;
        } else if is_token(opt, "gt") {
            f.gt = true;
        } else if is_token(opt, "lt") {
            f.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let n = argv.len() - idx;
    if n == 0 || !n.is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    if f.nx && f.xx {
        return Err(CmdError::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && n > 2 {
        return Err(CmdError::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    // Every score is checked before anything changes. A few pairs, the usual
    // case, are parsed onto the stack rather than into an allocation.
    const ON_STACK: usize = 8;
    let mut stack = [0.0f64; ON_STACK];
    let mut heap = Vec::new();
    let scores: &mut [f64] = if n / 2 <= ON_STACK {
        &mut stack[..n / 2]
    } else {
        heap.resize(n / 2, 0.0);
        &mut heap
    };
    for (j, s) in scores.iter_mut().enumerate() {
        *s = parse_f64(argv.get(idx + 2 * j)).ok_or(CmdError::NotFloat)?;
    }

    let db = ctx.db();
    let limits = Limits::of(&ctx.srv.config);
    let mut fresh = None;
    let z = match zset_write(ctx.ks, db, key)? {
        Some(z) => z,
        None if f.xx => {
            if f.incr {
                ctx.reply.null();
            } else {
                ctx.reply.int(0);
            }
            return Ok(());
        }
        None => {
            let first = argv.get(idx + 1);
            fresh.insert(
                if limits.max_entries == 0 || limits.max_value < first.len() {
                    ZSet::new_skiplist()
                } else {
                    ZSet::new_listpack()
                },
            )
        }
    };
    let (mut added, mut updated, mut processed) = (0u64, 0u64, 0u64);
    let mut score = 0.0;
    let mut nan = false;
    for (j, &s) in scores.iter().enumerate() {
        match z.add(s, argv.get(idx + 1 + 2 * j), f, limits) {
            Err(NanScore) => {
                nan = true;
                break;
            }
            Ok(AddOutcome::Added(v)) => {
                added += 1;
                processed += 1;
                score = v;
            }
            Ok(AddOutcome::Updated(v)) => {
                updated += 1;
                processed += 1;
                score = v;
            }
            Ok(AddOutcome::Unchanged(v)) => {
                processed += 1;
                score = v;
            }
            Ok(AddOutcome::Nop) => {}
        }
    }
    match fresh {
        Some(z) if !z.is_empty() => ctx.ks.add(db, key, Value::ZSet(z)),
        Some(_) => {}
        None if added + updated > 0 => ctx.ks.modified(db, key),
        None => {}
    }
    if added + updated > 0 {
        let event = if f.incr { "zincr" } else { "zadd" };
        ctx.ks.notify(notify::ZSET, event, key, db);
        ctx.ks.signal_ready(db, key);
    }
    if nan {
        return Err(CmdError::err("resulting score is not a number (NaN)"));
    }
    ctx.ks.dirty(added + updated);
    if f.incr {
        if processed > 0 {
            ctx.reply.double(score);
        } else {
            ctx.reply.null();
        }
    } else {
        ctx.reply
            .int((if ch { added + updated } else { added }) as i64);
    }
    Ok(())
}

/// ZREM key member [member ...]
pub fn zrem(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = argv.get(1);
    let db = ctx.db();
    let (deleted, emptied) = {
        let Some(z) = zset_write(ctx.ks, db, key)? else {
            ctx.reply.int(0);
            return Ok(());
        };
        let mut deleted = 0u64;
        let mut emptied = false;
        for m in argv.iter().skip(2) {
            if z.remove(m) {
                deleted += 1;
            }
            if z.is_empty() {
                emptied = true;
                break;
            }
        }
        (deleted, emptied)
    };
    if emptied {
        ctx.ks.delete(db, key);
    }
    if deleted > 0 {
        ctx.ks.notify(notify::ZSET, "zrem", key, db);
        if emptied {
            ctx.ks.notify(notify::GENERIC, "del", key, db);
        }
        ctx.ks.modified(db, key);
        ctx.ks.dirty(deleted);
    }
    ctx.reply.int(deleted as i64);
    Ok(())
}

/// A parsed range, of any of the three kinds.
enum Range {
    /// Start and stop indexes, negative counting from the end.
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// Clamps Redis start/stop indexes to forward ranks `lo..=hi` of a set of `len`.
fn rank_bounds(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let start = if start < 0 { llen + start } else { start }.max(0);
    let end = if end < 0 { llen + end } else { end };
    if start > end || start >= llen {
        return None;
    }
    Some((start as usize, end.min(llen - 1) as usize))
}

/// ZREMRANGEBYRANK key start stop
pub fn zremrangebyrank(ctx: &mut Ctx) -> CmdResult {
    let (start, end) = (arg_i64(ctx.argv.get(2))?, arg_i64(ctx.argv.get(3))?);
    zremrange_generic(ctx, Range::Rank(start, end), "zremrangebyrank")
}

/// ZREMRANGEBYSCORE key min max
pub fn zremrangebyscore(ctx: &mut Ctx) -> CmdResult {
    let r = parse_score_range(ctx.argv.get(2), ctx.argv.get(3))?;
    zremrange_generic(ctx, Range::Score(r), "zremrangebyscore")
}

/// ZREMRANGEBYLEX key min max
pub fn zremrangebylex(ctx: &mut Ctx) -> CmdResult {
    let r = parse_lex_range(ctx.argv.get(2), ctx.argv.get(3))?;
    zremrange_generic(ctx, Range::Lex(r), "zremrangebylex")
}

fn zremrange_generic(ctx: &mut Ctx, range: Range, event: &'static str) -> CmdResult {
    let key = ctx.argv.get(1);
    let db = ctx.db();
    let (deleted, emptied) = {
        let Some(z) = zset_write(ctx.ks, db, key)? else {
            ctx.reply.int(0);
            return Ok(());
        };
        let bounds = match &range {
            Range::Rank(start, end) => rank_bounds(*start, *end, z.len()),
            Range::Score(r) => z.score_ranks(r),
            Range::Lex(r) => z.lex_ranks(r),
        };
        let deleted = bounds.map_or(0, |(lo, hi)| z.remove_ranks(lo, hi));
        (deleted as u64, z.is_empty())
    };
    if deleted > 0 {
        if emptied {
            ctx.ks.delete(db, key);
        }
        ctx.ks.modified(db, key);
        ctx.ks.notify(notify::ZSET, event, key, db);
        if emptied {
            ctx.ks.notify(notify::GENERIC, "del", key, db);
        }
        ctx.ks.dirty(deleted);
    }
    ctx.reply.int(deleted as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// Reads: ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT
// ---------------------------------------------------------------------------

/// ZCARD key
pub fn zcard(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let n = zset_read(ctx.ks, db, ctx.argv.get(1))?.map_or(0, ZSet::len);
    ctx.reply.int(n as i64);
    Ok(())
}

/// ZSCORE key member
pub fn zscore(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    match zset_read(ctx.ks, db, ctx.argv.get(1))?.and_then(|z| z.score(ctx.argv.get(2))) {
        Some(s) => ctx.reply.double(s),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// ZMSCORE key member [member ...]
pub fn zmscore(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let argv = ctx.argv;
    let z = zset_read(ctx.ks, db, argv.get(1))?;
    ctx.reply.array_len(argv.len() - 2);
    for m in argv.iter().skip(2) {
        match z.and_then(|z| z.score(m)) {
            Some(s) => ctx.reply.double(s),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// ZRANK key member
pub fn zrank(ctx: &mut Ctx) -> CmdResult {
    zrank_generic(ctx, false)
}

/// ZREVRANK key member
pub fn zrevrank(ctx: &mut Ctx) -> CmdResult {
    zrank_generic(ctx, true)
}

fn zrank_generic(ctx: &mut Ctx, rev: bool) -> CmdResult {
    let db = ctx.db();
    match zset_read(ctx.ks, db, ctx.argv.get(1))?.and_then(|z| z.rank(ctx.argv.get(2), rev)) {
        Some(r) => ctx.reply.int(r as i64),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// ZCOUNT key min max
pub fn zcount(ctx: &mut Ctx) -> CmdResult {
    let r = parse_score_range(ctx.argv.get(2), ctx.argv.get(3))?;
    let db = ctx.db();
    let n = zset_read(ctx.ks, db, ctx.argv.get(1))?
        .and_then(|z| z.score_ranks(&r))
        .map_or(0, |(lo, hi)| hi - lo + 1);
    ctx.reply.int(n as i64);
    Ok(())
}

/// ZLEXCOUNT key min max
pub fn zlexcount(ctx: &mut Ctx) -> CmdResult {
    let r = parse_lex_range(ctx.argv.get(2), ctx.argv.get(3))?;
    let db = ctx.db();
    let n = zset_read(ctx.ks, db, ctx.argv.get(1))?
        .and_then(|z| z.lex_ranks(&r))
        .map_or(0, |(lo, hi)| hi - lo + 1);
    ctx.reply.int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// ZRANGE and friends
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeKind {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub fn zrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeKind::Auto, Direction::Auto)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
pub fn zrangestore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 2, true, RangeKind::Auto, Direction::Auto)
}

/// ZREVRANGE key start stop [WITHSCORES]
pub fn zrevrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeKind::Rank, Direction::Reverse)
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub fn zrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeKind::Score, Direction::Forward)
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub fn zrevrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeKind::Score, Direction::Reverse)
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub fn zrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeKind::Lex, Direction::Forward)
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub fn zrevrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeKind::Lex, Direction::Reverse)
}

/// The part of `z` a range selects: forward rank of the first element to emit and
/// how many, walking down when `rev` (Redis's genericZrangeby*Command).
fn select(z: &ZSet, range: &Range, offset: i64, limit: i64, rev: bool) -> (usize, usize) {
    let len = z.len();
    let bounds = match range {
        Range::Rank(start, end) => {
            // Indexes count from the end when reversed.
            let Some((lo, hi)) = rank_bounds(*start, *end, len) else {
                return (0, 0);
            };
            return (if rev { len - 1 - lo } else { lo }, hi - lo + 1);
        }
        _ if offset > 0 && offset as u64 >= len as u64 => return (0, 0),
        Range::Score(r) => z.score_ranks(r),
        Range::Lex(r) => z.lex_ranks(r),
    };
    let Some((lo, hi)) = bounds else {
        return (0, 0);
    };
    // A negative offset walks past the end: nothing (as in Redis).
    if offset < 0 || offset as u64 >= (hi - lo + 1) as u64 {
        return (0, 0);
    }
    let offset = offset as usize;
    let avail = hi - lo + 1 - offset;
    let n = if limit < 0 {
        avail
    } else {
        avail.min(limit as u64 as usize)
    };
    (if rev { hi - offset } else { lo + offset }, n)
}

fn zrange_generic(
    ctx: &mut Ctx,
    src: usize,
    store: bool,
    mut kind: RangeKind,
    mut dir: Direction,
) -> CmdResult {
    let argv = ctx.argv;
    let key = argv.get(src);
    let (mut minidx, mut maxidx) = (src + 1, src + 2);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = src + 3;
    while j < argv.len() {
        let a = argv.get(j);
        let left = argv.len() - j - 1;
        if !store && is_token(a, "withscores") {
            withscores = true;
        } else if is_token(a, "limit") && left >= 2 {
            offset = arg_i64(argv.get(j + 1))?;
            limit = arg_i64(argv.get(j + 2))?;
            j += 2;
        } else if dir == Direction::Auto && is_token(a, "rev") {
            dir = Direction::Reverse;
        } else if kind == RangeKind::Auto && is_token(a, "bylex") {
            kind = RangeKind::Lex;
        } else if kind == RangeKind::Auto && is_token(a, "byscore") {
            kind = RangeKind::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if kind == RangeKind::Auto {
        kind = RangeKind::Rank;
    }
    let rev = dir == Direction::Reverse;
    if limit != -1 && kind == RangeKind::Rank {
        return Err(CmdError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && kind == RangeKind::Lex {
        return Err(CmdError::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    if rev && kind != RangeKind::Rank {
        // The range is given as max, min.
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let range = match kind {
        RangeKind::Score => Range::Score(parse_score_range(argv.get(minidx), argv.get(maxidx))?),
        RangeKind::Lex => Range::Lex(parse_lex_range(argv.get(minidx), argv.get(maxidx))?),
        _ => Range::Rank(arg_i64(argv.get(minidx))?, arg_i64(argv.get(maxidx))?),
    };

    let db = ctx.db();
    let limits = Limits::of(&ctx.srv.config);
    let Some(z) = zset_read(ctx.ks, db, key)? else {
        if store {
            store_result(ctx, argv.get(1), ZSet::new_listpack(), "zrangestore");
        } else {
            ctx.reply.array_len(0);
        }
        return Ok(());
    };
    let (first, n) = select(z, &range, offset, limit, rev);
    if !store {
        reply_elements(ctx.reply, n, withscores, z.iter_from(first, rev));
        return Ok(());
    }
    // Redis starts the destination as a skiplist when the result is already too
    // long for a listpack; members too long convert it on the way.
    let mut dst = if n > limits.max_entries {
        ZSet::new_skiplist()
    } else {
        ZSet::new_listpack()
    };
    if n > 0 {
        for (m, s) in z.iter_from(first, rev).take(n) {
            m.with_bytes(|b| dst.add(s, b, AddFlags::default(), limits))
                .ok();
        }
    }
    store_result(ctx, argv.get(1), dst, "zrangestore");
    Ok(())
}

// ---------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis `zunionInterAggregate`.
    fn apply(self, target: &mut f64, v: f64) {
        match self {
            Aggregate::Sum => {
                *target += v;
                // The sum of +inf and -inf is NaN: Redis makes it 0.
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if v < *target {
                    *target = v;
                }
            }
            Aggregate::Max => {
                if v > *target {
                    *target = v;
                }
            }
        }
    }
}

/// An input of a set operation: a sorted set, a plain set (every member scores 1),
/// or a missing key (empty).
#[derive(Clone, Copy)]
enum Src<'a> {
    Missing,
    Z(&'a ZSet),
    Set(&'a super::set::Set),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::Z(z) => z.len(),
            Src::Set(s) => s.len(),
        }
    }

    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::Z(z) => z.score(m),
            Src::Set(s) => s.contains(m).then_some(1.0),
        }
    }

    /// Calls `f` with every (member, score).
    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Src::Missing => {}
            Src::Z(z) => {
                for (m, s) in z.iter() {
                    m.with_bytes(|b| f(b, s));
                }
            }
            Src::Set(s) => {
                for m in s.iter() {
                    m.with_bytes(|b| f(b, 1.0));
                }
            }
        }
    }
}

/// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zunion(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Union, false)
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zinter(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Inter, false)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub fn zdiff(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Diff, false)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn zintercard(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Inter, true)
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
pub fn zunionstore(ctx: &mut Ctx) -> CmdResult {
    let dst = ctx.argv.get(1);
    zsetop_generic(ctx, Some(dst), 2, SetOp::Union, false)
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
pub fn zinterstore(ctx: &mut Ctx) -> CmdResult {
    let dst = ctx.argv.get(1);
    zsetop_generic(ctx, Some(dst), 2, SetOp::Inter, false)
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub fn zdiffstore(ctx: &mut Ctx) -> CmdResult {
    let dst = ctx.argv.get(1);
    zsetop_generic(ctx, Some(dst), 2, SetOp::Diff, false)
}

/// Redis `zunionInterDiffGenericCommand`.
fn zsetop_generic(
    ctx: &mut Ctx,
    dst: Option<&[u8]>,
    numkeys_idx: usize,
    op: SetOp,
    card_only: bool,
) -> CmdResult {
    let argv = ctx.argv;
    let setnum = arg_i64(argv.get(numkeys_idx))?;
    if setnum < 1 {
        return Err(CmdError::err(format!(
            "at least 1 input key is needed for '{}' command",
            ctx.cmd.full_name
        )));
    }
    if setnum > (argv.len() - numkeys_idx - 1) as i64 {
        return Err(CmdError::Syntax);
    }
    let setnum = setnum as usize;
    let keys: Vec<&[u8]> = (0..setnum).map(|i| argv.get(numkeys_idx + 1 + i)).collect();

    // Look every input up first (lazy expiry, hit/miss stats, type check).
    let db = ctx.db();
    let mut present = Vec::with_capacity(setnum);
    for &k in &keys {
        match ctx.ks.lookup_read(db, k) {
            None => present.push(false),
            Some(RObj {
                value: Value::ZSet(_) | Value::Set(_),
                ..
            }) => present.push(true),
            Some(_) => return Err(CmdError::WrongType),
        }
    }

    let mut weights = vec![1.0f64; setnum];
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0i64;
    let mut j = numkeys_idx + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = argv.get(j);
        if op != SetOp::Diff && !card_only && remaining > setnum && is_token(a, "weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w = parse_f64(argv.get(j))
                    .ok_or_else(|| CmdError::err("weight value is not a float"))?;
                j += 1;
            }
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && is_token(a, "aggregate") {
            let v = argv.get(j + 1);
            aggregate = if is_token(v, "sum") {
                Aggregate::Sum
            } else if is_token(v, "min") {
                Aggregate::Min
            } else if is_token(v, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if dst.is_none() && !card_only && is_token(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is_token(a, "limit") {
            limit = arg_at_least(argv.get(j + 1), 0, "LIMIT can't be negative")?;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }

    let limits = Limits::of(&ctx.srv.config);
    let dict = &ctx.ks.dbs[db].dict;
    let mut srcs: Vec<(Src, f64)> = keys
        .iter()
        .zip(&present)
        .zip(&weights)
        .map(|((&k, &here), &w)| {
            let src = match dict.get(k).filter(|_| here) {
                Some(RObj {
                    value: Value::ZSet(z),
                    ..
                }) => Src::Z(z),
                Some(RObj {
                    value: Value::Set(s),
                    ..
                }) => Src::Set(s),
                _ => Src::Missing,
            };
            (src, w)
        })
        .collect();
    if op != SetOp::Diff {
        // Smallest first: the intersection walks the smallest input.
        srcs.sort_by_key(|(s, _)| s.len());
    }

    let mut out: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut cardinality = 0u64;
    match op {
        SetOp::Inter => {
            let (first, w0) = srcs[0];
            if first.len() > 0 {
                let mut done = false;
                first.for_each(|m, s| {
                    if done {
                        return;
                    }
                    let mut score = w0 * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    for (other, w) in &srcs[1..] {
                        match other.find(m) {
                            Some(v) => aggregate.apply(&mut score, v * w),
                            None => return,
                        }
                    }
                    if card_only {
                        cardinality += 1;
                        if limit > 0 && cardinality >= limit as u64 {
                            done = true;
                        }
                    } else {
                        out.push((m.to_vec(), score));
                    }
                });
            }
        }
        SetOp::Union => {
            let biggest = srcs.last().map_or(0, |(s, _)| s.len());
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::with_capacity(biggest);
            for (src, w) in &srcs {
                src.for_each(|m, s| {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(cur) => aggregate.apply(cur, score),
                        None => {
                            acc.insert(m.to_vec(), score);
                        }
                    }
                });
            }
            out = acc.into_iter().collect();
        }
        SetOp::Diff => {
            let (first, _) = srcs[0];
            first.for_each(|m, s| {
                if srcs[1..].iter().all(|(other, _)| other.find(m).is_none()) {
                    out.push((m.to_vec(), s));
                }
            });
        }
    }

    if card_only {
        ctx.reply.int(cardinality as i64);
        return Ok(());
    }
    out.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    match dst {
        Some(dst) => {
            let event = match op {
                SetOp::Union => "zunionstore",
                SetOp::Inter => "zinterstore",
                SetOp::Diff => "zdiffstore",
            };
            store_result(ctx, dst, ZSet::from_sorted(out, limits), event);
        }
        None => {
            let n = out.len();
            reply_elements(
                ctx.reply,
                n,
                withscores,
                out.iter().map(|(m, s)| (LpValue::Str(m), *s)),
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Pops: ZPOPMIN, ZPOPMAX, ZMPOP, BZPOPMIN, BZPOPMAX, BZMPOP
// ---------------------------------------------------------------------------

/// How a pop replies (the flags of Redis `genericZpopCommand`).
#[derive(Debug, Clone, Copy)]
struct PopShape {
    /// Name the key the elements came from (BZPOP*, ZMPOP, BZMPOP).
    emit_key: bool,
    /// One [member, score] array per element instead of a flat list.
    nested: bool,
    /// Null (rather than an empty array) when no key has elements.
    nil_when_empty: bool,
}

/// Pops up to `count` elements (-1: a single one, flat) from the first existing
/// key of `keys`. Returns the key and how many were popped.
fn generic_zpop<'k>(
    ctx: &mut Ctx,
    keys: &[&'k [u8]],
    max: bool,
    count: i64,
    shape: PopShape,
) -> Result<Option<(&'k [u8], usize)>, CmdError> {
    let db = ctx.db();
    for &key in keys {
        let Some(z) = zset_write(ctx.ks, db, key)? else {
            continue;
        };
        if count == 0 {
            ctx.reply.array_len(0);
            return Ok(None);
        }
        let want = if count < 0 { 1 } else { count as u64 };
        let n = want.min(z.len() as u64) as usize;
        let r = &mut *ctx.reply;
        match (shape.emit_key, shape.nested) {
            (false, false) => r.array_len(2 * n),
            (false, true) => r.array_len(n),
            (true, false) => {
                r.array_len(2 * n + 1);
                r.bulk(key);
            }
            (true, true) => {
                r.array_len(2);
                r.bulk(key);
                r.array_len(n);
            }
        }
        for _ in 0..n {
            let Some((m, s)) = z.pop(max) else {
                break;
            };
            if shape.nested {
                r.array_len(2);
            }
            r.bulk(&m);
            r.double(s);
        }
        let emptied = z.is_empty();
        ctx.ks.dirty(n as u64);
        ctx.ks.notify(
            notify::ZSET,
            if max { "zpopmax" } else { "zpopmin" },
            key,
            db,
        );
        ctx.ks.modified(db, key);
        if emptied {
            ctx.ks.delete(db, key);
            ctx.ks.notify(notify::GENERIC, "del", key, db);
        }
        return Ok(Some((key, n)));
    }
    if shape.nil_when_empty {
        ctx.reply.null_array();
    } else {
        ctx.reply.array_len(0);
    }
    Ok(None)
}

/// The command pops are propagated as.
fn pop_name(max: bool) -> &'static [u8] {
    if max {
        b"ZPOPMAX"
    } else {
        b"ZPOPMIN"
    }
}

/// ZPOPMIN key [count]
pub fn zpopmin(ctx: &mut Ctx) -> CmdResult {
    zpop_minmax(ctx, false)
}

/// ZPOPMAX key [count]
pub fn zpopmax(ctx: &mut Ctx) -> CmdResult {
    zpop_minmax(ctx, true)
}

fn zpop_minmax(ctx: &mut Ctx, max: bool) -> CmdResult {
    let argv = ctx.argv;
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = match argv.try_get(2) {
        Some(b) => arg_at_least(b, 0, "value is out of range, must be positive")?,
        None => -1,
    };
    let shape = PopShape {
        emit_key: false,
        nested: ctx.reply.is_resp3() && count != -1,
        nil_when_empty: false,
    };
    generic_zpop(ctx, &[argv.get(1)], max, count, shape)?;
    Ok(())
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub fn zmpop(ctx: &mut Ctx) -> CmdResult {
    zmpop_generic(ctx, 1, false)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub fn bzmpop(ctx: &mut Ctx) -> CmdResult {
    zmpop_generic(ctx, 2, true)
}

fn zmpop_generic(ctx: &mut Ctx, numkeys_idx: usize, blocking: bool) -> CmdResult {
    let argv = ctx.argv;
    let numkeys = arg_at_least(argv.get(numkeys_idx), 1, "numkeys should be greater than 0")?;
    let where_idx = numkeys_idx as u64 + numkeys as u64 + 1;
    if where_idx >= argv.len() as u64 {
        return Err(CmdError::Syntax);
    }
    let where_idx = where_idx as usize;
    let w = argv.get(where_idx);
    let max = if is_token(w, "min") {
        false
    } else if is_token(w, "max") {
        true
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count = -1i64;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if count == -1 && is_token(argv.get(j), "count") && more > 0 {
            count = arg_at_least(argv.get(j + 1), 1, "count should be greater than 0")?;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if count == -1 {
        count = 1;
    }
    let keys: Vec<&[u8]> = (numkeys_idx + 1..where_idx).map(|i| argv.get(i)).collect();
    let shape = PopShape {
        emit_key: true,
        nested: true,
        nil_when_empty: true,
    };
    if blocking {
        return blocking_zpop(ctx, &keys, max, 1, count, shape);
    }
    if let Some((key, n)) = generic_zpop(ctx, &keys, max, count, shape)? {
        let n = n.to_string();
        ctx.ks.propagate_as(&[pop_name(max), key, n.as_bytes()]);
    }
    Ok(())
}

/// BZPOPMIN key [key ...] timeout
pub fn bzpopmin(ctx: &mut Ctx) -> CmdResult {
    bzpop_minmax(ctx, false)
}

/// BZPOPMAX key [key ...] timeout
pub fn bzpopmax(ctx: &mut Ctx) -> CmdResult {
    bzpop_minmax(ctx, true)
}

fn bzpop_minmax(ctx: &mut Ctx, max: bool) -> CmdResult {
    let argv = ctx.argv;
    let last = argv.len() - 1;
    let keys: Vec<&[u8]> = (1..last).map(|i| argv.get(i)).collect();
    let shape = PopShape {
        emit_key: true,
        nested: false,
        nil_when_empty: false,
    };
    blocking_zpop(ctx, &keys, max, last, -1, shape)
}

/// Pops from the first key that has elements, or blocks on all of them (Redis
/// `blockingGenericZpopCommand`). Served pops propagate as ZPOPMIN/ZPOPMAX.
fn blocking_zpop(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    max: bool,
    timeout_idx: usize,
    count: i64,
    shape: PopShape,
) -> CmdResult {
    let deadline_ms = parse_timeout(ctx.argv.get(timeout_idx), ctx.now_ms())?;
    let db = ctx.db();
    for &key in keys {
        let len = match zset_write(ctx.ks, db, key)? {
            Some(z) => z.len(),
            None => continue,
        };
        if len == 0 {
            continue;
        }
        if let Some((key, n)) = generic_zpop(ctx, &[key], max, count, shape)? {
            if count == -1 {
                ctx.ks.propagate_as(&[pop_name(max), key]);
            } else {
                let n = n.to_string();
                ctx.ks.propagate_as(&[pop_name(max), key, n.as_bytes()]);
            }
        }
        return Ok(());
    }
    let mut unique: Vec<Vec<u8>> = Vec::with_capacity(keys.len());
    for &k in keys {
        if !unique.iter().any(|u| u.as_slice() == k) {
            unique.push(k.to_vec());
        }
    }
    block_for_keys(
        ctx,
        BlockRequest {
            keys: unique,
            deadline_ms,
            on_timeout: TimeoutReply::NullArray,
            wanted_type: "zset",
        },
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN
// ---------------------------------------------------------------------------

/// A small per-thread xorshift64* generator for ZRANDMEMBER.
fn random_below(n: usize) -> usize {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            use std::hash::BuildHasher;
            std::collections::hash_map::RandomState::new().hash_one(0x7a_u64) | 1
        });
    }
    let x = STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    });
    (x % n.max(1) as u64) as usize
}

/// True when the reply already breaks the client's hard output buffer limit: a
/// huge ZRANDMEMBER stops early, the client is about to be closed anyway.
fn reply_over_limit(
    srv: &crate::server::Server,
    client: &crate::server::client::ClientState,
    reply: &Reply,
) -> bool {
    let limit = srv.config.client_output_buffer_limit[crate::server::client::obuf_class(client)];
    limit.hard_limit_bytes > 0 && reply.pending() as u64 >= limit.hard_limit_bytes
}

/// ZRANDMEMBER key [count [WITHSCORES]]
pub fn zrandmember(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    if argv.len() >= 3 {
        let l = arg_i64(argv.get(2))?;
        if l == i64::MIN {
            return Err(CmdError::err(
                "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ));
        }
        let withscores = match argv.len() {
            3 => false,
            4 if is_token(argv.get(3), "withscores") => true,
            _ => return Err(CmdError::Syntax),
        };
        if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(CmdError::OutOfRange);
        }
        return zrandmember_count(ctx, l, withscores);
    }
    let db = ctx.db();
    match zset_read(ctx.ks, db, argv.get(1))? {
        Some(z) if !z.is_empty() => {
            let (m, _) = z.sampler().get(random_below(z.len()));
            reply_member(ctx.reply, m);
        }
        _ => ctx.reply.null(),
    }
    Ok(())
}

fn zrandmember_count(ctx: &mut Ctx, l: i64, withscores: bool) -> CmdResult {
    let db = ctx.db();
    let Some(z) = zset_read(ctx.ks, db, ctx.argv.get(1))? else {
        ctx.reply.array_len(0);
        return Ok(());
    };
    let size = z.len();
    let (count, uniq) = (l.unsigned_abs() as usize, l >= 0);
    let r = &mut *ctx.reply;
    if count == 0 || size == 0 {
        r.array_len(0);
        return Ok(());
    }
    let pairs = withscores && r.is_resp3();
    let emit = |r: &mut Reply, (m, s): (LpValue, f64)| {
        if pairs {
            r.array_len(2);
        }
        reply_member(r, m);
        if withscores {
            r.double(s);
        }
    };
    let sampler = z.sampler();
    // Negative count: `count` independent draws, repetitions allowed.
    if !uniq || count == 1 {
        r.array_len(if withscores && !pairs {
            2 * count
        } else {
            count
        });
        for i in 0..count {
            emit(r, sampler.get(random_below(size)));
            if i % 1024 == 1023 && reply_over_limit(ctx.srv, ctx.client, r) {
                break;
            }
        }
        return Ok(());
    }
    let n = count.min(size);
    r.array_len(if withscores && !pairs { 2 * n } else { n });
    if count >= size {
        for item in z.iter() {
            emit(r, item);
        }
    } else if count * 3 > size {
        // Close to the whole set: shuffle the ranks and keep the first `count`.
        let mut ranks: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = i + random_below(size - i);
            ranks.swap(i, j);
        }
        for &rank in &ranks[..count] {
            emit(r, sampler.get(rank));
        }
    } else {
        // Much smaller than the set: draw until `count` distinct ranks came up.
        let mut seen = HashSet::with_capacity(count);
        while seen.len() < count {
            let rank = random_below(size);
            if seen.insert(rank) {
                emit(r, sampler.get(rank));
            }
        }
    }
    Ok(())
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
pub fn zscan(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let cursor = crate::db::generic::parse_cursor(argv.get(2))?;
    let db = ctx.db();
    let Some(z) = zset_read(ctx.ks, db, argv.get(1))? else {
        ctx.reply.array_len(2);
        ctx.reply.bulk(b"0");
        ctx.reply.array_len(0);
        return Ok(());
    };
    let mut count = 10i64;
    let mut pattern: Option<&[u8]> = None;
    let mut j = 3;
    while j < argv.len() {
        let left = argv.len() - j;
        if is_token(argv.get(j), "count") && left >= 2 {
            count = arg_i64(argv.get(j + 1))?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
        } else if is_token(argv.get(j), "match") && left >= 2 {
            let p = argv.get(j + 1);
            pattern = (p != b"*").then_some(p);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 2;
    }
    // (member, score text) pairs.
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut next = 0u64;
    match &z.enc {
        Enc::Listpack(lp) => {
            let mut it = lp.iter();
            while let (Some(m), Some(s)) = (it.next(), it.next()) {
                found.push((m.to_vec(), s.to_vec()));
            }
        }
        Enc::Skiplist(s) => {
            // Members and scores count separately, as in Redis.
            let want = count.saturating_mul(2);
            let mut iterations = want.saturating_mul(10);
            next = cursor;
            loop {
                next = s.scan(next, |m, score| {
                    let mut text = Vec::with_capacity(24);
                    write_double(&mut text, score);
                    found.push((m.to_vec(), text));
                });
                iterations -= 1;
                if next == 0 || iterations < 0 || (found.len() as i64) * 2 >= want {
                    break;
                }
            }
        }
    }
    if let Some(p) = pattern {
        found.retain(|(m, _)| glob_match(p, m, false));
    }
    let r = &mut *ctx.reply;
    r.array_len(2);
    r.bulk(next.to_string().as_bytes());
    r.array_len(2 * found.len());
    for (m, s) in &found {
        r.bulk(m);
        r.bulk(s);
    }
    Ok(())
}

/// The zset commands.
pub static COMMANDS: &[(&str, Handler)] = &[
    ("bzmpop", bzmpop),
    ("bzpopmax", bzpopmax),
    ("bzpopmin", bzpopmin),
    ("zadd", zadd),
    ("zcard", zcard),
    ("zcount", zcount),
    ("zdiff", zdiff),
    ("zdiffstore", zdiffstore),
    ("zincrby", zincrby),
    ("zinter", zinter),
    ("zintercard", zintercard),
    ("zinterstore", zinterstore),
    ("zlexcount", zlexcount),
    ("zmpop", zmpop),
    ("zmscore", zmscore),
    ("zpopmax", zpopmax),
    ("zpopmin", zpopmin),
    ("zrandmember", zrandmember),
    ("zrange", zrange),
    ("zrangebylex", zrangebylex),
    ("zrangebyscore", zrangebyscore),
    ("zrangestore", zrangestore),
    ("zrank", zrank),
    ("zrem", zrem),
    ("zremrangebylex", zremrangebylex),
    ("zremrangebyrank", zremrangebyrank),
    ("zremrangebyscore", zremrangebyscore),
    ("zrevrange", zrevrange),
    ("zrevrangebylex", zrevrangebylex),
    ("zrevrangebyscore", zrevrangebyscore),
    ("zrevrank", zrevrank),
    ("zscan", zscan),
    ("zscore", zscore),
    ("zunion", zunion),
    ("zunionstore", zunionstore),
];

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        max_entries: 128,
        max_value: 64,
    };
    const NONE: Limits = Limits {
        max_entries: 0,
        max_value: 0,
    };

    /// The same content in both encodings.
    fn both(items: &[(f64, &str)]) -> [ZSet; 2] {
        let mut lp = ZSet::new_listpack();
        let mut sl = ZSet::new_skiplist();
        for (s, m) in items {
            lp.add(*s, m.as_bytes(), AddFlags::default(), SMALL)
                .unwrap();
            sl.add(*s, m.as_bytes(), AddFlags::default(), NONE).unwrap();
        }
        assert_eq!(lp.encoding(), "listpack");
        assert_eq!(sl.encoding(), "skiplist");
        [lp, sl]
    }

    fn dump(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        z.iter().map(|(m, s)| (m.to_vec(), s)).collect()
    }

    fn members<'a>(it: impl Iterator<Item = (LpValue<'a>, f64)>) -> Vec<String> {
        it.map(|(m, _)| String::from_utf8(m.to_vec()).unwrap())
            .collect()
    }

    fn score_range(min: &str, max: &str) -> ScoreRange {
        parse_score_range(min.as_bytes(), max.as_bytes()).unwrap()
    }

    fn lex_range(min: &str, max: &str) -> LexRange {
        parse_lex_range(min.as_bytes(), max.as_bytes()).unwrap()
    }

    #[test]
    fn orders_by_score_then_member_in_both_encodings() {
        for z in both(&[(2.0, "b"), (1.0, "z"), (2.0, "a"), (10.0, "1"), (-1.5, "m")]) {
            assert_eq!(
                dump(&z),
                vec![
                    (b"m".to_vec(), -1.5),
                    (b"z".to_vec(), 1.0),
                    (b"a".to_vec(), 2.0),
                    (b"b".to_vec(), 2.0),
                    (b"1".to_vec(), 10.0),
                ]
            );
        }
    }

    #[test]
    fn listpack_becomes_skiplist_past_either_limit() {
        let limits = Limits {
            max_entries: 3,
            max_value: 5,
        };
        let mut z = ZSet::new_listpack();
        for m in ["a", "b", "c"] {
            z.add(1.0, m.as_bytes(), AddFlags::default(), limits)
                .unwrap();
        }
        assert_eq!(z.encoding(), "listpack");
        z.add(1.0, b"d", AddFlags::default(), limits).unwrap();
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.len(), 4);

        let mut z = ZSet::new_listpack();
        z.add(1.0, b"short", AddFlags::default(), limits).unwrap();
        assert_eq!(z.encoding(), "listpack");
        z.add(2.0, b"longer", AddFlags::default(), limits).unwrap();
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.score(b"short"), Some(1.0));
        assert_eq!(z.score(b"longer"), Some(2.0));
        // One way: removing elements keeps the skiplist.
        z.remove(b"longer");
        assert_eq!(z.encoding(), "skiplist");
    }

    #[test]
    fn add_follows_nx_xx_gt_lt_incr() {
        for mut z in both(&[(10.0, "x")]) {
            let limits = if z.encoding() == "listpack" {
                SMALL
            } else {
                NONE
            };
            let nx = AddFlags {
                nx: true,
                ..AddFlags::default()
            };
            let xx = AddFlags {
                xx: true,
                ..AddFlags::default()
            };
            let gt = AddFlags {
                gt: true,
                ..AddFlags::default()
            };
            let lt_incr = AddFlags {
                lt: true,
                incr: true,
                ..AddFlags::default()
            };
            assert_eq!(z.add(1.0, b"x", nx, limits), Ok(AddOutcome::Nop));
            assert_eq!(z.add(1.0, b"y", xx, limits), Ok(AddOutcome::Nop));
            assert_eq!(z.add(5.0, b"x", gt, limits), Ok(AddOutcome::Nop));
            assert_eq!(z.add(11.0, b"x", gt, limits), Ok(AddOutcome::Updated(11.0)));
            assert_eq!(z.add(1.0, b"x", lt_incr, limits), Ok(AddOutcome::Nop));
            assert_eq!(
                z.add(-1.0, b"x", lt_incr, limits),
                Ok(AddOutcome::Updated(10.0))
            );
            assert_eq!(
                z.add(10.0, b"x", AddFlags::default(), limits),
                Ok(AddOutcome::Unchanged(10.0))
            );
            assert_eq!(z.add(3.0, b"new", gt, limits), Ok(AddOutcome::Added(3.0)));
            assert_eq!(z.add(f64::NAN, b"x", xx, limits), Err(NanScore));
        }
    }

    #[test]
    fn incr_reaching_nan_is_refused_and_keeps_the_score() {
        for mut z in both(&[(f64::INFINITY, "x")]) {
            let incr = AddFlags {
                incr: true,
                ..AddFlags::default()
            };
            assert_eq!(z.add(f64::NEG_INFINITY, b"x", incr, SMALL), Err(NanScore));
            assert_eq!(z.score(b"x"), Some(f64::INFINITY));
        }
    }

    #[test]
    fn ranks_and_reverse_ranks() {
        for z in both(&[(1.0, "a"), (2.0, "b"), (3.0, "c")]) {
            assert_eq!(z.rank(b"a", false), Some(0));
            assert_eq!(z.rank(b"c", false), Some(2));
            assert_eq!(z.rank(b"a", true), Some(2));
            assert_eq!(z.rank(b"nope", false), None);
            assert_eq!(members(z.iter_from(1, false)), ["b", "c"]);
            assert_eq!(members(z.iter_from(1, true)), ["b", "a"]);
            assert_eq!(members(z.iter_from(2, true)), ["c", "b", "a"]);
        }
    }

    #[test]
    fn score_and_lex_ranges_map_to_ranks() {
        let items = [
            (f64::NEG_INFINITY, "a"),
            (1.0, "b"),
            (2.0, "c"),
            (3.0, "d"),
            (f64::INFINITY, "g"),
        ];
        for z in both(&items) {
            assert_eq!(z.score_ranks(&score_range("-inf", "2")), Some((0, 2)));
            assert_eq!(z.score_ranks(&score_range("(1", "(3")), Some((2, 2)));
            assert_eq!(z.score_ranks(&score_range("(-inf", "(+inf")), Some((1, 3)));
            assert_eq!(z.score_ranks(&score_range("2.4", "2.6")), None);
            assert_eq!(z.score_ranks(&score_range("3", "1")), None);
            assert_eq!(z.score_ranks(&score_range("2", "(2")), None);
        }
        let lex = [(0.0, "alpha"), (0.0, "bar"), (0.0, "cool"), (0.0, "down")];
        for z in both(&lex) {
            assert_eq!(z.lex_ranks(&lex_range("-", "+")), Some((0, 3)));
            assert_eq!(z.lex_ranks(&lex_range("(bar", "[down")), Some((2, 3)));
            assert_eq!(z.lex_ranks(&lex_range("[b", "(c")), Some((1, 1)));
            assert_eq!(z.lex_ranks(&lex_range("+", "-")), None);
            assert_eq!(z.lex_ranks(&lex_range("(az", "(b")), None);
        }
    }

    #[test]
    fn select_applies_offset_limit_and_direction() {
        let items: Vec<(f64, String)> = (0..10).map(|i| (i as f64, format!("m{i}"))).collect();
        let items: Vec<(f64, &str)> = items.iter().map(|(s, m)| (*s, m.as_str())).collect();
        for z in both(&items) {
            let r = Range::Score(score_range("2", "7"));
            assert_eq!(select(&z, &r, 0, -1, false), (2, 6));
            assert_eq!(select(&z, &r, 2, 3, false), (4, 3));
            assert_eq!(select(&z, &r, 2, 3, true), (5, 3));
            assert_eq!(select(&z, &r, 5, 10, false), (7, 1));
            assert_eq!(select(&z, &r, 6, 10, false), (0, 0));
            assert_eq!(select(&z, &r, -1, 10, false), (0, 0));
            assert_eq!(select(&z, &r, 0, 0, false), (2, 0));
            assert_eq!(select(&z, &Range::Rank(-3, -1), 0, -1, false), (7, 3));
            assert_eq!(select(&z, &Range::Rank(0, 1), 0, -1, true), (9, 2));
            assert_eq!(select(&z, &Range::Rank(5, 2), 0, -1, false), (0, 0));
        }
    }

    #[test]
    fn remove_ranks_and_pops() {
        for mut z in both(&[(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d"), (5.0, "e")]) {
            assert_eq!(z.remove_ranks(1, 2), 2);
            assert_eq!(members(z.iter()), ["a", "d", "e"]);
            assert_eq!(z.score(b"b"), None);
            assert_eq!(z.pop(true), Some((b"e".to_vec(), 5.0)));
            assert_eq!(z.pop(false), Some((b"a".to_vec(), 1.0)));
            assert_eq!(z.remove_ranks(0, 100), 1);
            assert!(z.is_empty());
            assert_eq!(z.pop(false), None);
        }
    }

    #[test]
    fn integer_members_and_scores_round_trip_through_listpack() {
        let mut z = ZSet::new_listpack();
        z.add(1e18, b"12345", AddFlags::default(), SMALL).unwrap();
        z.add(-0.0, b"-0", AddFlags::default(), SMALL).unwrap();
        z.add(0.1, b"x", AddFlags::default(), SMALL).unwrap();
        assert_eq!(z.score(b"12345"), Some(1e18));
        assert_eq!(z.score(b"x"), Some(0.1));
        // As in Redis 7.0: an integral score is stored as an integer, -0 as 0.
        assert!(z.score(b"-0").unwrap().is_sign_positive());
        assert_eq!(z.rank(b"12345", false), Some(2));
    }

    #[test]
    fn digest_ignores_encoding_and_clone_is_equal() {
        let [lp, sl] = both(&[(1.0, "a"), (2.5, "b"), (-3.0, "123")]);
        let digest = |z: &ZSet| {
            let mut h = Sha1::new();
            z.digest(&mut h);
            h.finish()
        };
        assert_eq!(digest(&lp), digest(&sl));
        let copy = sl.clone();
        assert_eq!(copy.encoding(), "skiplist");
        assert_eq!(dump(&copy), dump(&sl));
        assert_eq!(digest(&copy), digest(&sl));
    }

    #[test]
    fn from_sorted_picks_the_encoding_that_fits() {
        let items = vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)];
        let z = ZSet::from_sorted(items.clone(), SMALL);
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(dump(&z), items);
        let z = ZSet::from_sorted(
            items.clone(),
            Limits {
                max_entries: 1,
                max_value: 64,
            },
        );
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(dump(&z), items);
    }

    #[test]
    fn heap_size_counts_what_is_held() {
        let [lp, sl] = both(&[(1.0, "a"), (2.0, "b")]);
        let Enc::Listpack(raw) = &lp.enc else {
            unreachable!()
        };
        assert_eq!(lp.heap_size(), raw.heap_size());
        let mut big = ZSet::new_skiplist();
        for i in 0..1000 {
            big.add(
                i as f64,
                format!("member:{i}").as_bytes(),
                AddFlags::default(),
                NONE,
            )
            .unwrap();
        }
        assert!(big.heap_size() > sl.heap_size() + 1000 * 2 * "member:0".len());
    }

    #[test]
    fn score_bounds_parse_like_strtod() {
        assert_eq!(parse_score_bound(b"(1.5"), Some((1.5, true)));
        assert_eq!(parse_score_bound(b"-inf"), Some((f64::NEG_INFINITY, false)));
        assert_eq!(parse_score_bound(b""), Some((0.0, false)));
        assert_eq!(parse_score_bound(b"("), Some((0.0, true)));
        assert_eq!(parse_score_bound(b" 7"), Some((7.0, false)));
        assert_eq!(parse_score_bound(b"1e999"), Some((f64::INFINITY, false)));
        assert_eq!(parse_score_bound(b"0x10"), Some((16.0, false)));
        assert_eq!(parse_score_bound(b"nan"), None);
        assert_eq!(parse_score_bound(b"1x"), None);
        assert_eq!(parse_score_bound(b"  "), None);
        assert_eq!(
            parse_score_range(b"str", b"1").unwrap_err().text(),
            "ERR min or max is not a float"
        );
    }

    #[test]
    fn lex_bounds_parse_like_redis() {
        assert_eq!(parse_lex_bound(b"-"), Some((LexBound::Min, true)));
        assert_eq!(parse_lex_bound(b"+"), Some((LexBound::Max, true)));
        assert_eq!(
            parse_lex_bound(b"[a"),
            Some((LexBound::Value(b"a".to_vec()), false))
        );
        assert_eq!(
            parse_lex_bound(b"("),
            Some((LexBound::Value(Vec::new()), true))
        );
        assert_eq!(parse_lex_bound(b"+x"), None);
        assert_eq!(parse_lex_bound(b"foo"), None);
        assert_eq!(parse_lex_bound(b""), None);
        assert_eq!(
            parse_lex_range(b"foo", b"+").unwrap_err().text(),
            "ERR min or max not valid string range item"
        );
    }

    #[test]
    fn aggregate_sum_of_opposite_infinities_is_zero() {
        let mut t = f64::INFINITY;
        Aggregate::Sum.apply(&mut t, f64::NEG_INFINITY);
        assert_eq!(t, 0.0);
        let mut t = 1.0;
        Aggregate::Min.apply(&mut t, f64::NAN);
        assert_eq!(t, 1.0);
        Aggregate::Max.apply(&mut t, 3.0);
        assert_eq!(t, 3.0);
    }
}
