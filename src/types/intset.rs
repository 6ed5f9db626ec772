//! The intset: Redis's compact encoding of a small set of integers (`intset.c`),
//! byte for byte.
//!
//! # Format
//!
//! ```text
//! <encoding: u32 LE> <length: u32 LE> <value 0> <value 1> ... <value length-1>
//! ```
//!
//! `encoding` is the width of every value in bytes: 2, 4 or 8 (int16, int32,
//! int64, little endian). Values are sorted ascending and unique, so lookups are a
//! binary search. The whole set uses the narrowest width that holds all of its
//! values: inserting a value that does not fit *upgrades* every value to the wider
//! width (the new value is then necessarily the new minimum or maximum). Like
//! Redis, an intset never downgrades.
//!
//! The blob is kept exactly as Redis keeps it (header included), so RDB can write
//! [`IntSet::as_bytes`] as is and load one with [`IntSet::from_bytes`], which
//! validates untrusted input completely and never panics.
//!
//! Costs: lookup O(log n); insert and remove O(n) (a memmove of the tail), as in
//! Redis — intsets are bounded by `set-max-intset-entries`, so n stays small.

use std::fmt;

use crate::util::bytebuf::ByteBuf;

/// Size of the header: encoding and length, two u32.
const HEADER: usize = 8;
/// The largest intset kept: a set converts to a hashtable rather than let its
/// intset pass 1 GiB (as Redis 7.2 does), and RDB payloads bigger than that are
/// refused. The blob's 32-bit `ByteBuf` could not hold 4 GiB anyway.
pub const MAX_BYTES: usize = 1 << 30;
/// Value widths (the `encoding` field): int16, int32, int64.
pub const ENC_INT16: usize = 2;
pub const ENC_INT32: usize = 4;
pub const ENC_INT64: usize = 8;

/// The width a value needs (Redis `_intsetValueEncoding`).
fn width_for(v: i64) -> usize {
    if v < i64::from(i32::MIN) || v > i64::from(i32::MAX) {
        ENC_INT64
    } else if v < i64::from(i16::MIN) || v > i64::from(i16::MAX) {
        ENC_INT32
    } else {
        ENC_INT16
    }
}

/// The allocation size a blob of `n` bytes is given: jemalloc's size class, at
/// least 16 bytes, so an intset holds what it would in Redis and growing by one
/// value reallocates only now and then.
fn size_class(n: usize) -> usize {
    crate::alloc::size_class(n).max(16)
}

/// Reads a little-endian value of `width` bytes from the start of `b`.
#[inline]
fn read_value(b: &[u8], width: usize) -> i64 {
    match width {
        ENC_INT16 => i64::from(i16::from_le_bytes([b[0], b[1]])),
        ENC_INT32 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
    }
}

/// Writes `v` (which fits `width`) little endian at the start of `b`.
#[inline]
fn write_value(b: &mut [u8], width: usize, v: i64) {
    match width {
        ENC_INT16 => b[..2].copy_from_slice(&(v as i16).to_le_bytes()),
        ENC_INT32 => b[..4].copy_from_slice(&(v as i32).to_le_bytes()),
        _ => b[..8].copy_from_slice(&v.to_le_bytes()),
    }
}

/// Why a serialized intset was rejected by [`IntSet::from_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntSetError {
    /// Shorter than the 8-byte header.
    Truncated,
    /// The encoding field is not 2, 4 or 8.
    BadEncoding(u32),
    /// Header length times width does not match the blob size.
    LengthMismatch,
    /// Zero elements (Redis never stores an empty set).
    Empty,
    /// Values not strictly ascending (duplicates or disorder).
    Unsorted,
    /// Bigger than `MAX_BYTES`.
    TooBig,
}

impl fmt::Display for IntSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntSetError::Truncated => f.write_str("intset shorter than its header"),
            IntSetError::BadEncoding(e) => write!(f, "intset with invalid encoding {e}"),
            IntSetError::LengthMismatch => f.write_str("intset length does not match its size"),
            IntSetError::Empty => f.write_str("empty intset"),
            IntSetError::Unsorted => f.write_str("intset values out of order or duplicated"),
            IntSetError::TooBig => f.write_str("intset bigger than 1 GiB"),
        }
    }
}

impl std::error::Error for IntSetError {}

/// A sorted set of unique integers in Redis's intset layout.
#[derive(Clone, PartialEq, Eq)]
pub struct IntSet {
    /// Header plus `len * width` value bytes; always at least `HEADER` long.
    blob: ByteBuf,
}

impl Default for IntSet {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for IntSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl IntSet {
    /// An empty intset (int16 encoding, like `intsetNew`).
    pub fn new() -> IntSet {
        let mut blob = ByteBuf::with_capacity(HEADER);
        blob.extend_from_slice(&(ENC_INT16 as u32).to_le_bytes());
        blob.extend_from_slice(&0u32.to_le_bytes());
        IntSet { blob }
    }

    /// Width of each value in bytes (2, 4 or 8).
    #[inline]
    pub fn encoding(&self) -> usize {
        self.blob[0] as usize
    }

    /// Number of values.
    #[inline]
    pub fn len(&self) -> usize {
        u32::from_le_bytes([self.blob[4], self.blob[5], self.blob[6], self.blob[7]]) as usize
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn set_header(&mut self, width: usize, len: usize) {
        self.blob[..4].copy_from_slice(&(width as u32).to_le_bytes());
        self.blob[4..8].copy_from_slice(&(len as u32).to_le_bytes());
    }

    /// Value at `i` (in range).
    #[inline]
    fn at(&self, i: usize) -> i64 {
        let w = self.encoding();
        read_value(&self.blob[HEADER + i * w..], w)
    }

    /// The value at position `i` (ascending order), or `None` past the end.
    pub fn get(&self, i: usize) -> Option<i64> {
        (i < self.len()).then(|| self.at(i))
    }

    /// Smallest value.
    pub fn first(&self) -> Option<i64> {
        self.get(0)
    }

    /// Largest value.
    pub fn last(&self) -> Option<i64> {
        self.len().checked_sub(1).map(|i| self.at(i))
    }

    /// Binary search: `Ok(pos)` when found, `Err(insert position)` otherwise.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let len = self.len();
        if len == 0 {
            return Err(0);
        }
        // The common appends and prepends skip the search, as in Redis.
        if v > self.at(len - 1) {
            return Err(len);
        }
        if v < self.at(0) {
            return Err(0);
        }
        let (mut lo, mut hi) = (0, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let cur = self.at(mid);
            if cur < v {
                lo = mid + 1;
            } else if cur > v {
                hi = mid;
            } else {
                return Ok(mid);
            }
        }
        Err(lo)
    }

    /// True when `v` is a member (O(log n)).
    pub fn contains(&self, v: i64) -> bool {
        width_for(v) <= self.encoding() && self.search(v).is_ok()
    }

    /// Inserts `v`; false when it was already present. Upgrades the encoding when
    /// `v` needs a wider one.
    pub fn insert(&mut self, v: i64) -> bool {
        let width = self.encoding();
        let needed = width_for(v);
        if needed > width {
            self.upgrade_and_insert(v, needed);
            return true;
        }
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(pos) => pos,
        };
        let len = self.len();
        let at = HEADER + pos * width;
        // Grow by one slot, shift the tail up, write the value.
        self.grow_to(self.blob.len() + width);
        self.blob.resize(self.blob.len() + width, 0);
        self.blob.copy_within(at..HEADER + len * width, at + width);
        write_value(&mut self.blob[at..], width, v);
        self.set_header(width, len + 1);
        true
    }

    /// Rewrites every value with `new_width` bytes and adds `v`, which lies outside
    /// the current range: first when negative, last otherwise.
    fn upgrade_and_insert(&mut self, v: i64, new_width: usize) {
        let old_width = self.encoding();
        let len = self.len();
        let prepend = usize::from(v < 0);
        self.grow_to(HEADER + (len + 1) * new_width);
        self.blob.resize(HEADER + (len + 1) * new_width, 0);
        // Back to front so no value is overwritten before it is read.
        for i in (0..len).rev() {
            let x = read_value(&self.blob[HEADER + i * old_width..], old_width);
            write_value(
                &mut self.blob[HEADER + (i + prepend) * new_width..],
                new_width,
                x,
            );
        }
        let slot = if prepend == 1 { 0 } else { len };
        write_value(&mut self.blob[HEADER + slot * new_width..], new_width, v);
        self.set_header(new_width, len + 1);
    }

    /// Removes `v`; false when it was not present.
    pub fn remove(&mut self, v: i64) -> bool {
        let width = self.encoding();
        if width_for(v) > width {
            return false;
        }
        let Ok(pos) = self.search(v) else {
            return false;
        };
        self.remove_at(pos);
        true
    }

    /// Removes the value at `pos` (in range) and returns it.
    pub fn remove_at(&mut self, pos: usize) -> i64 {
        let width = self.encoding();
        let len = self.len();
        let v = self.at(pos);
        let at = HEADER + pos * width;
        self.blob.copy_within(at + width..HEADER + len * width, at);
        self.blob.truncate(HEADER + (len - 1) * width);
        self.set_header(width, len - 1);
        // Give memory back once half of it is unused (Redis reallocs every time).
        if self.blob.capacity() >= 2 * self.blob.len() + 64 {
            self.blob.shrink_to(size_class(self.blob.len()));
        }
        v
    }

    /// Makes room for a blob of `bytes`, growing to the next size class.
    fn grow_to(&mut self, bytes: usize) {
        if bytes > self.blob.capacity() {
            self.blob.reserve_exact(size_class(bytes) - self.blob.len());
        }
    }

    /// The value at `r % len` (callers pass a random number); `None` when empty.
    pub fn random(&self, r: u64) -> Option<i64> {
        let len = self.len() as u64;
        (len > 0).then(|| self.at((r % len) as usize))
    }

    /// The values in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            set: self,
            front: 0,
            back: self.len(),
        }
    }

    /// Reserves room for `n` more values at the current width.
    pub fn reserve(&mut self, n: usize) {
        self.grow_to(
            self.blob
                .len()
                .saturating_add(n.saturating_mul(self.encoding())),
        );
    }

    /// The serialized form (what RDB stores): header and values.
    pub fn as_bytes(&self) -> &[u8] {
        &self.blob
    }

    /// A copy of the serialized form.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.blob.to_vec()
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        self.blob.capacity()
    }

    /// Parses and fully validates a serialized intset (Redis
    /// `intsetValidateIntegrity` with `deep`): a known encoding, a size matching
    /// the length, at least one value, strictly ascending values. Never panics.
    pub fn from_bytes(b: &[u8]) -> Result<IntSet, IntSetError> {
        if b.len() < HEADER {
            return Err(IntSetError::Truncated);
        }
        let enc = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let width = match enc as usize {
            w @ (ENC_INT16 | ENC_INT32 | ENC_INT64) => w,
            _ => return Err(IntSetError::BadEncoding(enc)),
        };
        let len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
        if (len as u64) * (width as u64) + HEADER as u64 != b.len() as u64 {
            return Err(IntSetError::LengthMismatch);
        }
        if b.len() > MAX_BYTES {
            return Err(IntSetError::TooBig);
        }
        if len == 0 {
            return Err(IntSetError::Empty);
        }
        let mut prev: Option<i64> = None;
        for chunk in b[HEADER..].chunks_exact(width) {
            let v = read_value(chunk, width);
            if prev.is_some_and(|p| v <= p) {
                return Err(IntSetError::Unsorted);
            }
            prev = Some(v);
        }
        Ok(IntSet { blob: b.into() })
    }
}

/// Iterator over an intset's values, ascending (double ended).
#[derive(Clone)]
pub struct Iter<'a> {
    set: &'a IntSet,
    front: usize,
    back: usize,
}

impl Iterator for Iter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        if self.front >= self.back {
            return None;
        }
        let v = self.set.at(self.front);
        self.front += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<i64> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        Some(self.set.at(self.back))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[i64]) -> IntSet {
        let mut s = IntSet::new();
        for &v in values {
            s.insert(v);
        }
        s
    }

    #[test]
    fn new_intset_is_an_empty_int16_header() {
        let s = IntSet::new();
        assert_eq!(s.as_bytes(), &[2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(s.len(), 0);
        assert_eq!(s.encoding(), ENC_INT16);
        assert_eq!(s.get(0), None);
        assert_eq!(s.random(7), None);
    }

    #[test]
    fn values_are_kept_sorted_and_unique_with_exact_bytes() {
        let mut s = IntSet::new();
        assert!(s.insert(5));
        assert!(s.insert(-1));
        assert!(s.insert(3));
        assert!(!s.insert(3));
        assert_eq!(
            s.as_bytes(),
            &[2, 0, 0, 0, 3, 0, 0, 0, 0xff, 0xff, 3, 0, 5, 0]
        );
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-1, 3, 5]);
        assert_eq!(s.iter().rev().collect::<Vec<_>>(), vec![5, 3, -1]);
    }

    #[test]
    fn inserting_a_wide_positive_value_upgrades_and_appends() {
        let mut s = of(&[1, 2]);
        assert!(s.insert(70_000));
        assert_eq!(s.encoding(), ENC_INT32);
        assert_eq!(
            s.as_bytes(),
            &[4, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0x70, 0x11, 0x01, 0]
        );
    }

    #[test]
    fn inserting_a_wide_negative_value_upgrades_and_prepends() {
        let mut s = of(&[1, 2]);
        assert!(s.insert(-5_000_000_000));
        assert_eq!(s.encoding(), ENC_INT64);
        assert_eq!(s.len(), 3);
        let mut expected = vec![8, 0, 0, 0, 3, 0, 0, 0];
        expected.extend_from_slice(&(-5_000_000_000i64).to_le_bytes());
        expected.extend_from_slice(&1i64.to_le_bytes());
        expected.extend_from_slice(&2i64.to_le_bytes());
        assert_eq!(s.as_bytes(), &expected[..]);
    }

    #[test]
    fn upgrade_from_int16_straight_to_int64_keeps_every_value() {
        let mut s = of(&[-3, 0, 32767]);
        s.insert(i64::MAX);
        s.insert(i64::MIN);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![i64::MIN, -3, 0, 32767, i64::MAX]
        );
        assert_eq!(s.as_bytes().len(), 8 + 5 * 8);
    }

    #[test]
    fn allocation_follows_jemalloc_size_classes() {
        assert_eq!(size_class(8), 16);
        assert_eq!(size_class(17), 24);
        assert_eq!(size_class(128), 128);
        assert_eq!(size_class(129), 160);
        assert_eq!(size_class(208), 224);
        assert_eq!(size_class(256), 256);
        assert_eq!(size_class(257), 320);
        let s = of(&(0..100).collect::<Vec<_>>());
        assert_eq!(s.as_bytes().len(), 208);
        assert_eq!(s.heap_size(), 224);
    }

    #[test]
    fn encoding_boundaries_match_redis() {
        assert_eq!(width_for(32767), ENC_INT16);
        assert_eq!(width_for(-32768), ENC_INT16);
        assert_eq!(width_for(32768), ENC_INT32);
        assert_eq!(width_for(-32769), ENC_INT32);
        assert_eq!(width_for(i64::from(i32::MAX)), ENC_INT32);
        assert_eq!(width_for(i64::from(i32::MIN)), ENC_INT32);
        assert_eq!(width_for(i64::from(i32::MAX) + 1), ENC_INT64);
        assert_eq!(width_for(i64::from(i32::MIN) - 1), ENC_INT64);
    }

    #[test]
    fn contains_rejects_values_wider_than_the_encoding() {
        let s = of(&[1, 2, 3]);
        assert!(s.contains(2));
        assert!(!s.contains(4));
        assert!(!s.contains(1 << 40));
        assert!(!s.contains(-100_000));
    }

    #[test]
    fn remove_shifts_the_tail_and_never_downgrades() {
        let mut s = of(&[1, 2, 3, 100_000]);
        assert!(s.remove(2));
        assert!(!s.remove(2));
        assert!(!s.remove(1 << 40));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![1, 3, 100_000]);
        assert!(s.remove(100_000));
        assert_eq!(s.encoding(), ENC_INT32);
        assert_eq!(
            s.as_bytes(),
            &[4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0]
        );
        assert!(s.remove(1));
        assert!(s.remove(3));
        assert!(s.is_empty());
        assert_eq!(s.as_bytes(), &[4, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn get_and_random_index_the_sorted_values() {
        let s = of(&[30, 10, 20]);
        assert_eq!(s.get(0), Some(10));
        assert_eq!(s.get(2), Some(30));
        assert_eq!(s.get(3), None);
        assert_eq!(s.random(4), Some(20));
        assert_eq!(s.first(), Some(10));
        assert_eq!(s.last(), Some(30));
    }

    #[test]
    fn search_finds_every_member_and_no_gap() {
        let values: Vec<i64> = (0..300).map(|i| i * 7 - 1000).collect();
        let s = of(&values);
        for &v in &values {
            assert!(s.contains(v));
            assert!(!s.contains(v + 1));
        }
        assert!(!s.contains(-1001));
        assert!(!s.contains(2000));
    }

    #[test]
    fn bytes_round_trip_through_validation() {
        let s = of(&[-70_000, 5, 9]);
        let back = IntSet::from_bytes(&s.to_bytes()).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.iter().collect::<Vec<_>>(), vec![-70_000, 5, 9]);
    }

    #[test]
    fn corrupt_bytes_are_rejected() {
        assert_eq!(IntSet::from_bytes(&[2, 0, 0]), Err(IntSetError::Truncated));
        assert_eq!(
            IntSet::from_bytes(&[3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]),
            Err(IntSetError::BadEncoding(3))
        );
        assert_eq!(
            IntSet::from_bytes(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0]),
            Err(IntSetError::LengthMismatch)
        );
        assert_eq!(
            IntSet::from_bytes(&[2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
            Err(IntSetError::LengthMismatch)
        );
        assert_eq!(
            IntSet::from_bytes(&[2, 0, 0, 0, 0, 0, 0, 0]),
            Err(IntSetError::Empty)
        );
        assert_eq!(
            IntSet::from_bytes(&[2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 5, 0]),
            Err(IntSetError::Unsorted)
        );
        assert_eq!(
            IntSet::from_bytes(&[2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 4, 0]),
            Err(IntSetError::Unsorted)
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 40) as usize;
            let mut b: Vec<u8> = (0..len).map(|i| (x >> (i % 8 * 8)) as u8).collect();
            if len >= 8 {
                b[0] = [2, 4, 8, 3][(x >> 3) as usize % 4];
                b[1..4].fill(0);
                let n = ((len - 8) / b[0] as usize) as u32;
                b[4..8].copy_from_slice(&n.to_le_bytes());
            }
            if let Ok(s) = IntSet::from_bytes(&b) {
                let v: Vec<i64> = s.iter().collect();
                assert!(v.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }

    #[test]
    fn mixed_inserts_and_removes_agree_with_a_btreeset() {
        let mut model = std::collections::BTreeSet::new();
        let mut s = IntSet::new();
        let mut x: u64 = 42;
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = match x % 3 {
                0 => (x >> 8) as i64 % 100,
                1 => (x >> 8) as i64 % 100_000,
                _ => (x >> 2) as i64,
            };
            if x % 5 < 3 {
                assert_eq!(s.insert(v), model.insert(v));
            } else {
                assert_eq!(s.remove(v), model.remove(&v));
            }
        }
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            model.into_iter().collect::<Vec<_>>()
        );
    }
}
