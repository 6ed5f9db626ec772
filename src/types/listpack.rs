//! Listpack: the compact sequence small lists (quicklist nodes), hashes and sorted
//! sets are stored in, byte for byte Redis 7.0's `listpack.c` format.
//!
//! # Layout
//!
//! ```text
//! <total-bytes u32 LE> <num-elements u16 LE> <entry> ... <entry> <0xFF>
//! entry = <encoding + data> <backlen>
//! ```
//!
//! `num-elements` is 65535 when the count does not fit (then it must be counted);
//! `backlen` is the size of `<encoding + data>` written in 1 to 5 bytes, 7 bits
//! each, most significant first, every byte but the first (leftmost) with its high
//! bit set — so it can be read from its last byte backwards, which is how the
//! listpack is walked from the tail.
//!
//! Encodings (first byte):
//!
//! | first byte  | entry                         |
//! |-------------|-------------------------------|
//! | `0xxxxxxx`  | 7-bit unsigned integer        |
//! | `10xxxxxx`  | string, 6-bit length          |
//! | `110xxxxx`  | 13-bit signed integer (+1 B)  |
//! | `1110xxxx`  | string, 12-bit length (+1 B)  |
//! | `0xF0`      | string, 32-bit length (+4 B)  |
//! | `0xF1..F4`  | 16/24/32/64-bit signed integer|
//! | `0xFF`      | end of listpack               |
//!
//! Like `lpAppend`, a string that is a canonical integer (`string2ll`) is stored
//! as an integer, in the smallest encoding that holds it.
//!
//! # Positions
//!
//! The index-based API (`get`, `insert`, `replace`, `remove`, `remove_range`,
//! `find`) seeks from the nearer end, O(n) like `lpSeek`. Loops that walk the
//! listpack and change it as they go should use the byte-offset API (`first_pos`,
//! `next_pos`, `get_at`, `find_pos`, `replace_at`, `remove_at`) instead, which
//! costs what the matching `listpack.c` call costs. A position is the offset of
//! an entry's first byte in the buffer; it stays valid until the next change.
//!
//! The buffer's capacity follows jemalloc's size classes (as `lp_realloc` gets
//! from Redis's allocator), so MEMORY USAGE reads as Redis's and growing one
//! entry at a time stays amortized.

use crate::util::bytebuf::ByteBuf;
use crate::util::numbers::parse_i64;

/// One entry: Redis stores canonical integers as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LpValue<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl LpValue<'_> {
    /// The entry as bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_to(&mut v);
        v
    }

    /// Appends the entry's bytes to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            LpValue::Str(s) => out.extend_from_slice(s),
            LpValue::Int(n) => crate::util::numbers::write_i64(out, *n),
        }
    }

    /// Runs `f` on the entry's bytes (integers formatted on the stack).
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            LpValue::Str(s) => f(s),
            LpValue::Int(n) => {
                let mut buf = [0u8; crate::util::numbers::MAX_I64_LEN];
                f(crate::util::numbers::i64_to_bytes(*n, &mut buf))
            }
        }
    }

    /// True when the entry's bytes equal `b`.
    pub fn eq_bytes(&self, b: &[u8]) -> bool {
        match self {
            LpValue::Str(s) => *s == b,
            LpValue::Int(n) => parse_i64(b) == Some(*n),
        }
    }

    /// The entry as an integer, if it is one (or a string holding one).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            LpValue::Str(s) => parse_i64(s),
            LpValue::Int(n) => Some(*n),
        }
    }

    /// Length of the entry's bytes.
    pub fn len(&self) -> usize {
        match self {
            LpValue::Str(s) => s.len(),
            LpValue::Int(n) => crate::util::numbers::i64_len(*n),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const HDR_SIZE: usize = 6;
const EOF: u8 = 0xFF;
const NUMELE_UNKNOWN: usize = u16::MAX as usize;
const EMPTY_BYTES: usize = HDR_SIZE + 1;

/// Redis `LISTPACK_MAX_SAFETY_SIZE`: listpacks never grow past 1 GiB.
pub const MAX_SAFETY_SIZE: usize = 1 << 30;

const ENC_6BIT_STR: u8 = 0x80;
const ENC_13BIT_INT: u8 = 0xC0;
const ENC_12BIT_STR: u8 = 0xE0;
const ENC_32BIT_STR: u8 = 0xF0;
const ENC_16BIT_INT: u8 = 0xF1;
const ENC_24BIT_INT: u8 = 0xF2;
const ENC_32BIT_INT: u8 = 0xF3;
const ENC_64BIT_INT: u8 = 0xF4;

/// Bytes the backlen of an entry whose `<encoding + data>` is `l` bytes takes
/// (`lpEncodeBacklen(NULL, l)`).
fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2097151 {
        3
    } else if l < 268435455 {
        4
    } else {
        5
    }
}

/// Writes the backlen of `l` into `out` (exactly `backlen_size(l)` bytes).
fn write_backlen(out: &mut [u8], l: usize) {
    let n = backlen_size(l);
    for (i, b) in out[..n].iter_mut().enumerate() {
        let shift = 7 * (n - 1 - i);
        let bits = ((l >> shift) & 127) as u8;
        *b = if i == 0 {
            (l >> shift) as u8
        } else {
            bits | 128
        };
    }
}

/// Reads a backlen whose last byte is `buf[last]`, walking backwards
/// (`lpDecodeBacklen`). `None` when it runs off the buffer or over 5 bytes.
fn decode_backlen(buf: &[u8], last: usize) -> Option<usize> {
    let mut val = 0usize;
    let mut shift = 0;
    let mut p = last;
    loop {
        let b = *buf.get(p)?;
        val |= usize::from(b & 127) << shift;
        if b & 128 == 0 {
            return Some(val);
        }
        shift += 7;
        if shift > 28 || p == 0 {
            return None;
        }
        p -= 1;
    }
}

/// Bytes of `<encoding + length>` of the entry starting with `b`, before its data
/// (`lpCurrentEncodedSizeBytes`); 0 for an invalid encoding byte.
fn header_size(b: u8) -> usize {
    match b {
        0x00..=0xDF => 1,
        0xE0..=0xEF => 2,
        0xF0 => 5,
        0xF1..=0xF4 | EOF => 1,
        _ => 0,
    }
}

/// Size of `<encoding + data>` of the entry at `p` (`lpCurrentEncodedSizeUnsafe`).
/// The caller guarantees `header_size(buf[p])` bytes are readable.
fn encoded_size(buf: &[u8], p: usize) -> usize {
    let b = buf[p];
    match b {
        0x00..=0x7F => 1,
        0x80..=0xBF => 1 + usize::from(b & 0x3F),
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 2 + (usize::from(b & 0x0F) << 8 | usize::from(buf[p + 1])),
        ENC_32BIT_STR => 5 + le_uint(&buf[p + 1..p + 5]) as usize,
        ENC_16BIT_INT => 3,
        ENC_24BIT_INT => 4,
        ENC_32BIT_INT => 5,
        ENC_64BIT_INT => 9,
        _ => 1,
    }
}

/// Full size of the entry at `p`, backlen included (what `lpSkip` advances).
fn entry_size(buf: &[u8], p: usize) -> usize {
    let l = encoded_size(buf, p);
    l + backlen_size(l)
}

fn le_uint(b: &[u8]) -> u64 {
    b.iter()
        .rev()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

/// Sign-extends the low `bits` bits of `v`.
fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// Decodes the (valid) entry at `p`.
fn decode(buf: &[u8], p: usize) -> LpValue<'_> {
    let b = buf[p];
    match b {
        0x00..=0x7F => LpValue::Int(i64::from(b)),
        0x80..=0xBF => {
            let n = usize::from(b & 0x3F);
            LpValue::Str(&buf[p + 1..p + 1 + n])
        }
        0xC0..=0xDF => {
            let v = u64::from(b & 0x1F) << 8 | u64::from(buf[p + 1]);
            LpValue::Int(sign_extend(v, 13))
        }
        0xE0..=0xEF => {
            let n = usize::from(b & 0x0F) << 8 | usize::from(buf[p + 1]);
            LpValue::Str(&buf[p + 2..p + 2 + n])
        }
        ENC_32BIT_STR => {
            let n = le_uint(&buf[p + 1..p + 5]) as usize;
            LpValue::Str(&buf[p + 5..p + 5 + n])
        }
        ENC_16BIT_INT => LpValue::Int(sign_extend(le_uint(&buf[p + 1..p + 3]), 16)),
        ENC_24BIT_INT => LpValue::Int(sign_extend(le_uint(&buf[p + 1..p + 4]), 24)),
        ENC_32BIT_INT => LpValue::Int(sign_extend(le_uint(&buf[p + 1..p + 5]), 32)),
        ENC_64BIT_INT => LpValue::Int(le_uint(&buf[p + 1..p + 9]) as i64),
        // Never reached on a validated buffer; what lpGet returns for garbage.
        _ => LpValue::Int(12345678900000000 + i64::from(b)),
    }
}

/// An element ready to be written: an integer in its smallest encoding, or a
/// string with its length header.
enum Encoded<'a> {
    Int { bytes: [u8; 9], len: usize },
    Str(&'a [u8]),
}

impl<'a> Encoded<'a> {
    /// `lpEncodeGetType`: canonical integers become integers.
    fn of(v: &'a [u8]) -> Encoded<'a> {
        match parse_i64(v) {
            Some(n) => Encoded::int(n),
            None => Encoded::Str(v),
        }
    }

    /// `lpEncodeIntegerGetType`.
    fn int(v: i64) -> Encoded<'static> {
        let mut bytes = [0u8; 9];
        let u = v as u64;
        let len = if (0..=127).contains(&v) {
            bytes[0] = v as u8;
            1
        } else if (-4096..=4095).contains(&v) {
            let t = u & 0x1FFF;
            bytes[0] = (t >> 8) as u8 | ENC_13BIT_INT;
            bytes[1] = t as u8;
            2
        } else {
            let (tag, n) = if (-32768..=32767).contains(&v) {
                (ENC_16BIT_INT, 2)
            } else if (-8388608..=8388607).contains(&v) {
                (ENC_24BIT_INT, 3)
            } else if (-2147483648..=2147483647).contains(&v) {
                (ENC_32BIT_INT, 4)
            } else {
                (ENC_64BIT_INT, 8)
            };
            bytes[0] = tag;
            bytes[1..=n].copy_from_slice(&u.to_le_bytes()[..n]);
            n + 1
        };
        Encoded::Int { bytes, len }
    }

    /// Size of `<encoding + data>`.
    fn size(&self) -> usize {
        match self {
            Encoded::Int { len, .. } => *len,
            Encoded::Str(s) if s.len() < 64 => 1 + s.len(),
            Encoded::Str(s) if s.len() < 4096 => 2 + s.len(),
            Encoded::Str(s) => 5 + s.len(),
        }
    }

    /// Size of the whole entry, backlen included.
    fn entry_size(&self) -> usize {
        let l = self.size();
        l + backlen_size(l)
    }

    /// Writes the entry into `out` (exactly `entry_size()` bytes).
    fn write(&self, out: &mut [u8]) {
        let l = self.size();
        match self {
            Encoded::Int { bytes, len } => out[..*len].copy_from_slice(&bytes[..*len]),
            Encoded::Str(s) => {
                let n = s.len();
                let h = if n < 64 {
                    out[0] = ENC_6BIT_STR | n as u8;
                    1
                } else if n < 4096 {
                    out[0] = ENC_12BIT_STR | (n >> 8) as u8;
                    out[1] = n as u8;
                    2
                } else {
                    out[0] = ENC_32BIT_STR;
                    out[1..5].copy_from_slice(&(n as u32).to_le_bytes());
                    5
                };
                out[h..h + n].copy_from_slice(s);
            }
        }
        write_backlen(&mut out[l..], l);
    }
}

/// A listpack: nothing but the serialized bytes, so it costs a `Vec` (24
/// bytes) inline. The entry count lives in the header; it is always exact
/// below 65535 (normalized on load and after every change), and only above
/// that does `len()` walk the entries, like `lpLength`.
#[derive(Debug, PartialEq, Eq)]
pub struct Listpack {
    /// The serialized listpack, header to terminator.
    buf: ByteBuf,
}

impl Default for Listpack {
    fn default() -> Listpack {
        Listpack::new()
    }
}

impl Clone for Listpack {
    /// Like `lpDup`: a fresh allocation of the listpack's size class.
    fn clone(&self) -> Listpack {
        let mut buf = ByteBuf::with_capacity(crate::alloc::size_class(self.buf.len()));
        buf.extend_from_slice(&self.buf);
        Listpack { buf }
    }
}

/// Entries front to back (or back to front), read in place.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    /// Offset of the next entry from the front.
    front: usize,
    /// Offset just past the next entry from the back.
    back: usize,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpValue<'a>;

    fn next(&mut self) -> Option<LpValue<'a>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let p = self.front;
        self.front += entry_size(self.buf, p);
        Some(decode(self.buf, p))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let l = decode_backlen(self.buf, self.back - 1).unwrap_or(0);
        self.back -= l + backlen_size(l);
        Some(decode(self.buf, self.back))
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl std::iter::FusedIterator for Iter<'_> {}

impl Listpack {
    pub fn new() -> Listpack {
        let mut buf = ByteBuf::with_capacity(crate::alloc::size_class(EMPTY_BYTES));
        buf.extend_from_slice(&[EMPTY_BYTES as u8, 0, 0, 0, 0, 0, EOF]);
        Listpack { buf }
    }

    /// Number of entries: O(1) below 65535 entries, a walk above (`lpLength`).
    pub fn len(&self) -> usize {
        match le_uint(&self.buf[4..6]) as usize {
            NUMELE_UNKNOWN => self.count_entries(),
            n => n,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.len() == EMPTY_BYTES
    }

    /// Counts the entries by walking them.
    fn count_entries(&self) -> usize {
        let end = self.buf.len() - 1;
        let mut p = HDR_SIZE;
        let mut n = 0;
        while p < end {
            p += entry_size(&self.buf, p);
            n += 1;
        }
        n
    }

    /// Stores the entry count in the header (65535 meaning "count them").
    fn set_count(&mut self, n: usize) {
        let h = n.min(NUMELE_UNKNOWN) as u16;
        self.buf[4..6].copy_from_slice(&h.to_le_bytes());
    }

    /// Encoded size in bytes (conversion thresholds, MEMORY USAGE).
    pub fn total_bytes(&self) -> usize {
        self.buf.len()
    }

    /// Bytes allocated for the listpack (its allocator size class).
    pub fn heap_size(&self) -> usize {
        self.buf.capacity()
    }

    /// `lpSafeToAdd`: whether `add` more bytes keep the listpack under 1 GiB.
    pub fn safe_to_add(&self, add: usize) -> bool {
        self.buf.len().saturating_add(add) <= MAX_SAFETY_SIZE
    }

    /// Entry `i`.
    pub fn get(&self, i: usize) -> Option<LpValue<'_>> {
        self.pos_of(i).map(|p| decode(&self.buf, p))
    }

    /// Entries front to back (reversible), decoded in place without allocating.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            front: HDR_SIZE,
            back: self.buf.len() - 1,
            remaining: self.len(),
        }
    }

    pub fn push_back(&mut self, v: &[u8]) {
        let eof = self.buf.len() - 1;
        self.write_entry(eof, 0, Some(&Encoded::of(v)), 0);
    }

    pub fn push_front(&mut self, v: &[u8]) {
        self.write_entry(HDR_SIZE, 0, Some(&Encoded::of(v)), 0);
    }

    /// Appends an integer entry (`lpAppendInteger`).
    pub fn push_back_int(&mut self, v: i64) {
        let eof = self.buf.len() - 1;
        self.write_entry(eof, 0, Some(&Encoded::int(v)), 0);
    }

    /// Inserts before entry `i` (`i >= len()` appends).
    pub fn insert(&mut self, i: usize, v: &[u8]) {
        let p = self.pos_of(i).unwrap_or(self.buf.len() - 1);
        self.write_entry(p, 0, Some(&Encoded::of(v)), 0);
    }

    /// Replaces entry `i` (no-op when out of range).
    pub fn replace(&mut self, i: usize, v: &[u8]) {
        if let Some(p) = self.pos_of(i) {
            self.replace_at(p, v);
        }
    }

    /// Removes entry `i` (no-op when out of range).
    pub fn remove(&mut self, i: usize) {
        if let Some(p) = self.pos_of(i) {
            self.remove_at(p, 1);
        }
    }

    /// Removes `n` entries starting at `i` (fewer when the end comes first).
    pub fn remove_range(&mut self, i: usize, n: usize) {
        if n == 0 {
            return;
        }
        let len = self.len();
        if i.checked_add(n).is_some_and(|end| end >= len) {
            // Everything from `i` on goes: move the terminator (like lpDeleteRange).
            if let Some(p) = self.pos_of(i) {
                self.truncate_at(p, i);
            }
        } else if let Some(p) = self.pos_of(i) {
            self.remove_at(p, n);
        }
    }

    /// First index `>= start`, visiting every `step`-th entry, whose bytes equal `v`.
    pub fn find(&self, v: &[u8], start: usize, step: usize) -> Option<usize> {
        let step = step.max(1);
        let mut p = self.pos_of(start)?;
        let needle = Needle::new(v);
        let len = self.len();
        let mut i = start;
        loop {
            if needle.matches(&self.buf, p) {
                return Some(i);
            }
            i = i.checked_add(step)?;
            if i >= len {
                return None;
            }
            for _ in 0..step {
                p += entry_size(&self.buf, p);
            }
        }
    }

    // ---- byte-offset API -------------------------------------------------------

    /// Position of the first entry (`lpFirst`).
    pub fn first_pos(&self) -> Option<usize> {
        (!self.is_empty()).then_some(HDR_SIZE)
    }

    /// Position of the last entry (`lpLast`).
    pub fn last_pos(&self) -> Option<usize> {
        self.prev_pos(self.buf.len() - 1)
    }

    /// Position of the entry after the one at `p` (`lpNext`).
    pub fn next_pos(&self, p: usize) -> Option<usize> {
        let n = p + entry_size(&self.buf, p);
        (n < self.buf.len() - 1).then_some(n)
    }

    /// Position of the entry before the one at `p` (`lpPrev`); `p` may be the
    /// terminator's position (`total_bytes() - 1`).
    pub fn prev_pos(&self, p: usize) -> Option<usize> {
        if p <= HDR_SIZE {
            return None;
        }
        let l = decode_backlen(&self.buf, p - 1)?;
        Some(p - l - backlen_size(l))
    }

    /// Position of entry `i` (`lpSeek`), walking from the nearer end.
    pub fn pos_of(&self, i: usize) -> Option<usize> {
        let len = self.len();
        if i >= len {
            return None;
        }
        if i <= len / 2 {
            let mut p = HDR_SIZE;
            for _ in 0..i {
                p += entry_size(&self.buf, p);
            }
            Some(p)
        } else {
            let mut p = self.buf.len() - 1;
            for _ in i..len {
                p = self.prev_pos(p)?;
            }
            Some(p)
        }
    }

    /// The entry at position `p`.
    pub fn get_at(&self, p: usize) -> LpValue<'_> {
        decode(&self.buf, p)
    }

    /// Position of the first entry at or after `p`, comparing one entry then
    /// skipping `skip` (`lpFind`), whose bytes equal `v`.
    pub fn find_pos(&self, v: &[u8], p: usize, skip: usize) -> Option<usize> {
        let needle = Needle::new(v);
        let end = self.buf.len() - 1;
        let mut p = p;
        while p < end {
            if needle.matches(&self.buf, p) {
                return Some(p);
            }
            for _ in 0..=skip {
                if p >= end {
                    break;
                }
                p += entry_size(&self.buf, p);
            }
        }
        None
    }

    /// Replaces the entry at `p` (`lpReplace`); the new entry starts at `p` too.
    pub fn replace_at(&mut self, p: usize, v: &[u8]) {
        let old = entry_size(&self.buf, p);
        self.write_entry(p, old, Some(&Encoded::of(v)), 1);
    }

    /// Replaces the entry at `p` with an integer (`lpReplaceInteger`).
    pub fn replace_int_at(&mut self, p: usize, v: i64) {
        let old = entry_size(&self.buf, p);
        self.write_entry(p, old, Some(&Encoded::int(v)), 1);
    }

    /// Inserts before the entry at `p` (`p == total_bytes() - 1` appends).
    pub fn insert_at(&mut self, p: usize, v: &[u8]) {
        self.write_entry(p, 0, Some(&Encoded::of(v)), 0);
    }

    /// Removes `n` entries starting at `p` (`lpDeleteRangeWithEntry`); what
    /// followed them is at `p` afterwards (or the terminator).
    pub fn remove_at(&mut self, p: usize, n: usize) {
        let end = self.buf.len() - 1;
        let mut q = p;
        let mut removed = 0;
        while removed < n && q < end {
            q += entry_size(&self.buf, q);
            removed += 1;
        }
        self.write_entry(p, q - p, None, removed);
    }

    /// Drops entry `index` (at `p`) and everything after it.
    fn truncate_at(&mut self, p: usize, index: usize) {
        self.buf.truncate(p);
        self.buf.push(EOF);
        self.shrink();
        self.set_count(index);
        self.write_total();
    }

    /// Replaces `old` bytes at `p` (holding `removed` entries) by `new` (one
    /// entry, or none), keeping the header up to date. `old == 0` inserts.
    fn write_entry(&mut self, p: usize, old: usize, new: Option<&Encoded>, removed: usize) {
        let count = match le_uint(&self.buf[4..6]) as usize {
            NUMELE_UNKNOWN => None,
            n => Some(n),
        };
        let new_size = new.map_or(0, Encoded::entry_size);
        let total = self.buf.len();
        if new_size > old {
            let target = total + (new_size - old);
            let class = crate::alloc::size_class(target);
            if class > self.buf.capacity() {
                self.buf.reserve_exact(class - total);
            }
            self.buf.resize(target, 0);
            self.buf.copy_within(p + old..total, p + new_size);
        } else if new_size < old {
            self.buf.copy_within(p + old..total, p + new_size);
            self.buf.truncate(total - (old - new_size));
            self.shrink();
        }
        let added = match new {
            Some(e) => {
                e.write(&mut self.buf[p..p + new_size]);
                1
            }
            None => 0,
        };
        match count {
            Some(n) => self.set_count(n + added - removed),
            // Only a net removal can bring an uncounted listpack back in range.
            None if removed > added => self.set_count(self.count_entries()),
            None => {}
        }
        self.write_total();
    }

    /// Gives memory back when the size class went down (`lp_realloc` to smaller).
    fn shrink(&mut self) {
        let class = crate::alloc::size_class(self.buf.len());
        if self.buf.capacity() > class {
            self.buf.shrink_to(class);
        }
    }

    fn write_total(&mut self) {
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
    }

    /// The Redis listpack serialization (for RDB and DUMP).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.buf.to_vec()
    }

    /// The serialization, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Parses and validates a serialized listpack, every entry included
    /// (`lpValidateIntegrity` with `deep`). `None` on any inconsistency.
    pub fn from_bytes(b: &[u8]) -> Option<Listpack> {
        let count = validate(b)?;
        let mut buf = ByteBuf::with_capacity(crate::alloc::size_class(b.len()));
        buf.extend_from_slice(b);
        let mut lp = Listpack { buf };
        // An "unknown" count that fits is written down, as lpLength would.
        lp.set_count(count);
        Some(lp)
    }
}

/// Deep validation; the entry count when valid.
fn validate(b: &[u8]) -> Option<usize> {
    let size = b.len();
    if size < EMPTY_BYTES || le_uint(&b[0..4]) as usize != size || b[size - 1] != EOF {
        return None;
    }
    let numele = le_uint(&b[4..6]) as usize;
    let last = size - 1;
    let mut count = 0usize;
    let mut p = HDR_SIZE;
    while b[p] != EOF {
        // lpValidateNext: the length header, the entry and its backlen all
        // inside the listpack, and the backlen matching the entry.
        let hdr = header_size(b[p]);
        if hdr == 0 || p + hdr > last {
            return None;
        }
        let enc = encoded_size(b, p);
        let entry = enc.checked_add(backlen_size(enc))?;
        let next = p.checked_add(entry)?;
        if next > last {
            return None;
        }
        if decode_backlen(b, next - 1)? != enc {
            return None;
        }
        p = next;
        count += 1;
    }
    if p != last {
        return None;
    }
    if numele != NUMELE_UNKNOWN && numele != count {
        return None;
    }
    Some(count)
}

/// A value to look for, with its integer form computed once (`lpFind`).
struct Needle<'a> {
    bytes: &'a [u8],
    int: Option<i64>,
}

impl<'a> Needle<'a> {
    fn new(bytes: &'a [u8]) -> Needle<'a> {
        Needle {
            bytes,
            int: parse_i64(bytes),
        }
    }

    fn matches(&self, buf: &[u8], p: usize) -> bool {
        match decode(buf, p) {
            LpValue::Str(s) => s == self.bytes,
            LpValue::Int(n) => self.int == Some(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(|v| v.to_vec()).collect()
    }

    fn sample_values() -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = Vec::new();
        for n in [
            0i64,
            1,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            -32769,
            8388607,
            -8388608,
            8388608,
            -8388609,
            2147483647,
            -2147483648,
            2147483648,
            -2147483649,
            i64::MAX,
            i64::MIN,
        ] {
            v.push(n.to_string().into_bytes());
        }
        for n in [0usize, 1, 63, 64, 127, 128, 4095, 4096, 16383, 100_000] {
            v.push(vec![b'x'; n]);
        }
        for s in ["-0", "01", "+1", " 1", "1 ", "9223372036854775808", "abc"] {
            v.push(s.as_bytes().to_vec());
        }
        v
    }

    #[test]
    fn listpack_is_just_its_buffer() {
        assert_eq!(std::mem::size_of::<Listpack>(), 16);
    }

    #[test]
    fn empty_listpack_is_seven_bytes() {
        let lp = Listpack::new();
        assert_eq!(lp.to_bytes(), vec![7, 0, 0, 0, 0, 0, 0xFF]);
        assert_eq!(lp.len(), 0);
        assert_eq!(lp.iter().next(), None);
        assert_eq!(Listpack::from_bytes(&lp.to_bytes()), Some(lp));
    }

    #[test]
    fn round_trip_of_every_encoding() {
        let vals = sample_values();
        let mut lp = Listpack::new();
        for v in &vals {
            lp.push_back(v);
        }
        assert_eq!(lp.len(), vals.len());
        assert_eq!(values(&lp), vals);
        let back = Listpack::from_bytes(&lp.to_bytes()).expect("valid");
        assert_eq!(values(&back), vals);
        assert_eq!(back.len(), vals.len());
        assert_eq!(lp.total_bytes(), lp.to_bytes().len());
        for (i, v) in vals.iter().enumerate() {
            assert_eq!(lp.get(i).map(|x| x.to_vec()), Some(v.clone()));
        }
    }

    #[test]
    fn integers_use_the_smallest_encoding() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00]),
            (127, &[0x7F]),
            (128, &[0xC0, 0x80]),
            (-1, &[0xDF, 0xFF]),
            (-4096, &[0xD0, 0x00]),
            (4095, &[0xCF, 0xFF]),
            (4096, &[0xF1, 0x00, 0x10]),
            (-32768, &[0xF1, 0x00, 0x80]),
            (32768, &[0xF2, 0x00, 0x80, 0x00]),
            (-8388609, &[0xF3, 0xFF, 0xFF, 0x7F, 0xFF]),
            (2147483648, &[0xF4, 0x00, 0x00, 0x00, 0x80, 0, 0, 0, 0]),
        ];
        for &(n, enc) in cases {
            let mut lp = Listpack::new();
            lp.push_back(n.to_string().as_bytes());
            let b = lp.to_bytes();
            assert_eq!(&b[6..6 + enc.len()], enc, "encoding of {n}");
            assert_eq!(b[6 + enc.len()] as usize, enc.len(), "backlen of {n}");
            assert_eq!(lp.get(0), Some(LpValue::Int(n)));
        }
    }

    #[test]
    fn string_headers_switch_at_64_and_4096() {
        for (n, hdr) in [(0usize, 1usize), (63, 1), (64, 2), (4095, 2), (4096, 5)] {
            let mut lp = Listpack::new();
            lp.push_back(&vec![b'a'; n]);
            let enc = hdr + n;
            assert_eq!(lp.total_bytes(), 7 + enc + backlen_size(enc), "len {n}");
            assert_eq!(lp.get(0).map(|v| v.len()), Some(n));
        }
    }

    #[test]
    fn backlen_encoding_matches_redis() {
        let mut b = [0u8; 5];
        write_backlen(&mut b, 127);
        assert_eq!(b[0], 127);
        write_backlen(&mut b, 128);
        assert_eq!(&b[..2], &[1, 128]);
        write_backlen(&mut b, 16383);
        assert_eq!(&b[..3], &[0, 128 | 127, 128 | 127]);
        for l in [
            1usize, 127, 128, 300, 16382, 16383, 2097150, 2097151, 268435455,
        ] {
            write_backlen(&mut b, l);
            let n = backlen_size(l);
            assert_eq!(decode_backlen(&b, n - 1), Some(l), "backlen {l}");
        }
    }

    #[test]
    fn walks_backwards_with_backlen() {
        let vals = sample_values();
        let mut lp = Listpack::new();
        for v in &vals {
            lp.push_back(v);
        }
        let rev: Vec<Vec<u8>> = lp.iter().rev().map(|v| v.to_vec()).collect();
        let mut want = vals.clone();
        want.reverse();
        assert_eq!(rev, want);
        // prev_pos from the terminator reaches every entry.
        let mut p = lp.last_pos();
        let mut n = 0;
        while let Some(q) = p {
            n += 1;
            p = lp.prev_pos(q);
        }
        assert_eq!(n, vals.len());
        // Meeting in the middle yields each entry once.
        let mut it = lp.iter();
        let mut seen = 0;
        while it.next().is_some() {
            seen += 1;
            if it.next_back().is_some() {
                seen += 1;
            }
        }
        assert_eq!(seen, vals.len());
    }

    #[test]
    fn insert_replace_remove_in_the_middle() {
        let mut lp = Listpack::new();
        for v in ["a", "b", "c", "d", "e"] {
            lp.push_back(v.as_bytes());
        }
        lp.insert(2, b"12345");
        assert_eq!(values(&lp), [&b"a"[..], b"b", b"12345", b"c", b"d", b"e"]);
        lp.replace(3, &[b'z'; 200]);
        assert_eq!(lp.get(3).map(|v| v.len()), Some(200));
        lp.replace(3, b"-7");
        assert_eq!(lp.get(3), Some(LpValue::Int(-7)));
        lp.remove(1);
        assert_eq!(values(&lp), [&b"a"[..], b"12345", b"-7", b"d", b"e"]);
        lp.remove_range(1, 2);
        assert_eq!(values(&lp), [&b"a"[..], b"d", b"e"]);
        lp.push_front(b"first");
        assert_eq!(lp.get(0), Some(LpValue::Str(b"first")));
        lp.remove_range(2, 100);
        assert_eq!(values(&lp), [&b"first"[..], b"a"]);
        lp.remove(5);
        lp.replace(5, b"x");
        assert_eq!(lp.len(), 2);
        assert_eq!(Listpack::from_bytes(&lp.to_bytes()), Some(lp.clone()));
        lp.remove_range(0, 2);
        assert_eq!(lp.to_bytes(), Listpack::new().to_bytes());
    }

    #[test]
    fn find_compares_integers_and_strings() {
        let mut lp = Listpack::new();
        for v in ["f1", "10", "f2", "v2", "20", "-5"] {
            lp.push_back(v.as_bytes());
        }
        assert_eq!(lp.find(b"f2", 0, 2), Some(2));
        assert_eq!(lp.find(b"v2", 0, 2), None);
        assert_eq!(lp.find(b"v2", 1, 2), Some(3));
        assert_eq!(lp.find(b"20", 0, 1), Some(4));
        assert_eq!(lp.find(b"-5", 0, 1), Some(5));
        assert_eq!(lp.find(b"010", 0, 1), None);
        assert_eq!(lp.find(b"f1", 1, 1), None);
        assert_eq!(lp.find(b"f1", 9, 1), None);
        let p = lp.find_pos(b"f2", HDR_SIZE, 1).expect("found");
        assert_eq!(lp.get_at(p), LpValue::Str(b"f2"));
        let v = lp.next_pos(p).expect("value");
        assert_eq!(lp.get_at(v), LpValue::Str(b"v2"));
        assert_eq!(lp.find_pos(b"v2", HDR_SIZE, 1), None);
    }

    #[test]
    fn count_above_65535_is_kept_outside_the_header() {
        let mut lp = Listpack::new();
        for i in 0..70000 {
            lp.push_back_int(i % 100);
        }
        assert_eq!(lp.len(), 70000);
        assert_eq!(&lp.to_bytes()[4..6], &[0xFF, 0xFF]);
        let back = Listpack::from_bytes(&lp.to_bytes()).expect("valid");
        assert_eq!(back.len(), 70000);
        lp.replace(5, b"x");
        assert_eq!(lp.len(), 70000);
        lp.remove(0);
        assert_eq!(lp.len(), 69999);
        assert_eq!(&lp.to_bytes()[4..6], &[0xFF, 0xFF]);
        lp.remove_range(0, 68999);
        assert_eq!(lp.len(), 1000);
        assert_eq!(&lp.to_bytes()[4..6], &1000u16.to_le_bytes());
        lp.remove_range(10, 10_000);
        assert_eq!(lp.len(), 10);
        assert_eq!(&lp.to_bytes()[4..6], &10u16.to_le_bytes());
    }

    /// `redis-cli DUMP` of `HSET h a 1 bb 300 c hello` on redis-server 7.0.15:
    /// type 16 (hash listpack), length 0x1d, then the listpack verbatim.
    #[test]
    fn bytes_match_redis_for_a_small_hash() {
        let mut lp = Listpack::new();
        for v in ["a", "1", "bb", "300", "c", "hello"] {
            lp.push_back(v.as_bytes());
        }
        let redis: &[u8] = &[
            0x1d, 0, 0, 0, 6, 0, //
            0x81, b'a', 2, //
            0x01, 1, //
            0x82, b'b', b'b', 3, //
            0xC1, 0x2C, 2, //
            0x81, b'c', 2, //
            0x85, b'h', b'e', b'l', b'l', b'o', 6, //
            0xFF,
        ];
        assert_eq!(lp.to_bytes(), redis);
    }

    /// `HSET h3 n1 -1 n2 4096 n3 -8388609 n4 2147483648 n5 <70 x> n6 INT64_MIN
    /// n7 -32768` with hash-max-listpack-value 5000, from the DUMP payload
    /// (LZF-decompressed) of redis-server 7.0.15.
    #[test]
    fn bytes_match_redis_for_every_integer_width() {
        let long = vec![b'x'; 70];
        let mut lp = Listpack::new();
        for v in [
            &b"n1"[..],
            b"-1",
            b"n2",
            b"4096",
            b"n3",
            b"-8388609",
            b"n4",
            b"2147483648",
            b"n5",
            &long,
            b"n6",
            b"-9223372036854775808",
            b"n7",
            b"-32768",
        ] {
            lp.push_back(v);
        }
        let mut redis: Vec<u8> = vec![145, 0, 0, 0, 14, 0];
        redis.extend_from_slice(&[130, 110, 49, 3, 223, 255, 2]);
        redis.extend_from_slice(&[130, 110, 50, 3, 241, 0, 16, 3]);
        redis.extend_from_slice(&[130, 110, 51, 3, 243, 255, 255, 127, 255, 5]);
        redis.extend_from_slice(&[130, 110, 52, 3, 244, 0, 0, 0, 128, 0, 0, 0, 0, 9]);
        redis.extend_from_slice(&[130, 110, 53, 3, 224, 70]);
        redis.extend_from_slice(&long);
        redis.push(72);
        redis.extend_from_slice(&[130, 110, 54, 3, 244, 0, 0, 0, 0, 0, 0, 0, 128, 9]);
        redis.extend_from_slice(&[130, 110, 55, 3, 241, 0, 128, 3, 255]);
        assert_eq!(lp.to_bytes(), redis);
        assert_eq!(lp.get(11), Some(LpValue::Int(i64::MIN)));
    }

    #[test]
    fn rejects_truncated_and_corrupted_buffers() {
        let mut lp = Listpack::new();
        for v in sample_values() {
            lp.push_back(&v);
        }
        let good = lp.to_bytes();
        assert!(Listpack::from_bytes(&good).is_some());
        // Every truncation fails (the header's size no longer matches).
        for cut in [0, 1, 5, 6, 7, 100, good.len() - 1] {
            assert_eq!(Listpack::from_bytes(&good[..cut]), None, "cut {cut}");
        }
        // Truncated but with a patched header and terminator.
        let mut t = good[..50].to_vec();
        t[49] = EOF;
        t[0..4].copy_from_slice(&50u32.to_le_bytes());
        assert_eq!(Listpack::from_bytes(&t), None);
        // Wrong count in the header.
        let mut c = good.clone();
        c[4] = c[4].wrapping_add(1);
        assert_eq!(Listpack::from_bytes(&c), None);
        // Unknown count is accepted, counted and written down.
        let mut u = good.clone();
        u[4] = 0xFF;
        u[5] = 0xFF;
        assert_eq!(Listpack::from_bytes(&u).map(|l| l.len()), Some(lp.len()));
        assert_eq!(
            Listpack::from_bytes(&u).map(|l| l.to_bytes()),
            Some(good.clone())
        );
        // Invalid encoding byte.
        let mut e = good.clone();
        e[6] = 0xF7;
        assert_eq!(Listpack::from_bytes(&e), None);
        // Broken backlen.
        let mut bl = good.clone();
        bl[7] ^= 0x01;
        assert_eq!(Listpack::from_bytes(&bl), None);
        // No terminator.
        let mut nt = good.clone();
        let last = nt.len() - 1;
        nt[last] = 0;
        assert_eq!(Listpack::from_bytes(&nt), None);
        // Flipping any single byte never panics.
        for i in 0..good.len().min(3000) {
            for bit in [0x01u8, 0x40, 0x80] {
                let mut x = good.clone();
                x[i] ^= bit;
                if let Some(l) = Listpack::from_bytes(&x) {
                    let _ = l.iter().count();
                    let _ = l.iter().rev().count();
                }
            }
        }
        // A string length pointing past the end.
        let bad = [12u8, 0, 0, 0, 1, 0, 0xF0, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF];
        assert_eq!(Listpack::from_bytes(&bad), None);
    }

    #[test]
    fn capacity_follows_allocator_size_classes() {
        assert_eq!(crate::alloc::size_class(7), 8);
        assert_eq!(crate::alloc::size_class(17), 24);
        assert_eq!(crate::alloc::size_class(128), 128);
        assert_eq!(crate::alloc::size_class(129), 160);
        assert_eq!(crate::alloc::size_class(257), 320);
        assert_eq!(crate::alloc::size_class(4097), 5120);
        let mut lp = Listpack::new();
        for i in 0..100 {
            lp.push_back(format!("field{i}").as_bytes());
            assert_eq!(lp.heap_size(), crate::alloc::size_class(lp.total_bytes()));
        }
        for _ in 0..100 {
            lp.remove(0);
            assert_eq!(lp.heap_size(), crate::alloc::size_class(lp.total_bytes()));
        }
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        fn element() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string().into_bytes()),
                (-5000i64..5000).prop_map(|n| n.to_string().into_bytes()),
                proptest::collection::vec(any::<u8>(), 0..80),
                (0usize..5000).prop_map(|n| vec![b'q'; n]),
            ]
        }

        #[derive(Debug, Clone)]
        enum Op {
            PushBack(Vec<u8>),
            PushFront(Vec<u8>),
            Insert(usize, Vec<u8>),
            Replace(usize, Vec<u8>),
            Remove(usize),
            RemoveRange(usize, usize),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                element().prop_map(Op::PushBack),
                element().prop_map(Op::PushFront),
                (0usize..40, element()).prop_map(|(i, v)| Op::Insert(i, v)),
                (0usize..40, element()).prop_map(|(i, v)| Op::Replace(i, v)),
                (0usize..40).prop_map(Op::Remove),
                (0usize..40, 0usize..10).prop_map(|(i, n)| Op::RemoveRange(i, n)),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            #[test]
            fn behaves_like_a_vec(ops in proptest::collection::vec(op(), 0..60)) {
                let mut lp = Listpack::new();
                let mut model: Vec<Vec<u8>> = Vec::new();
                for op in ops {
                    match op {
                        Op::PushBack(v) => { lp.push_back(&v); model.push(v); }
                        Op::PushFront(v) => { lp.push_front(&v); model.insert(0, v); }
                        Op::Insert(i, v) => {
                            lp.insert(i, &v);
                            model.insert(i.min(model.len()), v);
                        }
                        Op::Replace(i, v) => {
                            lp.replace(i, &v);
                            if i < model.len() { model[i] = v; }
                        }
                        Op::Remove(i) => {
                            lp.remove(i);
                            if i < model.len() { model.remove(i); }
                        }
                        Op::RemoveRange(i, n) => {
                            lp.remove_range(i, n);
                            if i < model.len() {
                                let end = (i + n).min(model.len());
                                model.drain(i..end);
                            }
                        }
                    }
                    prop_assert_eq!(lp.len(), model.len());
                }
                let fwd: Vec<Vec<u8>> = lp.iter().map(|v| v.to_vec()).collect();
                prop_assert_eq!(&fwd, &model);
                let mut rev: Vec<Vec<u8>> = lp.iter().rev().map(|v| v.to_vec()).collect();
                rev.reverse();
                prop_assert_eq!(&rev, &model);
                for (i, v) in model.iter().enumerate() {
                    prop_assert_eq!(lp.find(v, 0, 1).map(|j| model[j].clone()), Some(v.clone()));
                    prop_assert_eq!(lp.get(i).map(|x| x.to_vec()), Some(v.clone()));
                }
                let back = Listpack::from_bytes(&lp.to_bytes());
                prop_assert_eq!(back.as_ref(), Some(&lp));
            }

            #[test]
            fn from_bytes_never_panics(mut b in proptest::collection::vec(any::<u8>(), 0..200)) {
                // Make the cheap header checks pass so the entry walk is exercised.
                if b.len() >= 7 {
                    let n = b.len() as u32;
                    b[0..4].copy_from_slice(&n.to_le_bytes());
                    let last = b.len() - 1;
                    b[last] = 0xFF;
                }
                if let Some(lp) = Listpack::from_bytes(&b) {
                    prop_assert_eq!(lp.iter().count(), lp.len());
                    prop_assert_eq!(lp.iter().rev().count(), lp.len());
                }
            }
        }
    }
}
