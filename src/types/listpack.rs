//! Listpack: the compact sequence small lists (quicklist nodes), hashes and sorted
//! sets are stored in.
//!
//! STAND-IN: this version keeps entries in a `Vec` so the collection modules can be
//! written against the final API; it is being replaced by the byte-exact Redis
//! listpack encoding (one contiguous buffer, integer-encoded entries) behind the same
//! API. Positions are entry indexes; indexed access may cost O(n) in the real one,
//! so walk with `iter()` where possible.

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

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stored {
    Str(Box<[u8]>),
    Int(i64),
}

impl Stored {
    fn from_bytes(b: &[u8]) -> Stored {
        match parse_i64(b) {
            Some(n) if b.len() <= 20 => Stored::Int(n),
            _ => Stored::Str(b.into()),
        }
    }

    fn value(&self) -> LpValue<'_> {
        match self {
            Stored::Str(s) => LpValue::Str(s),
            Stored::Int(n) => LpValue::Int(*n),
        }
    }
}

/// A listpack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    entries: Vec<Stored>,
    bytes: usize,
}

fn entry_size(b: &[u8]) -> usize {
    b.len() + 2
}

impl Listpack {
    pub fn new() -> Listpack {
        Listpack {
            entries: Vec::new(),
            bytes: 7,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Encoded size in bytes (conversion thresholds, MEMORY USAGE).
    pub fn total_bytes(&self) -> usize {
        self.bytes.max(7)
    }

    /// Entry `i`.
    pub fn get(&self, i: usize) -> Option<LpValue<'_>> {
        self.entries.get(i).map(Stored::value)
    }

    /// Entries front to back (reversible).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = LpValue<'_>> + '_ {
        self.entries.iter().map(Stored::value)
    }

    pub fn push_back(&mut self, v: &[u8]) {
        self.insert(self.entries.len(), v);
    }

    pub fn push_front(&mut self, v: &[u8]) {
        self.insert(0, v);
    }

    /// Inserts before entry `i` (`i == len()` appends).
    pub fn insert(&mut self, i: usize, v: &[u8]) {
        self.bytes = self.total_bytes() + entry_size(v);
        self.entries.insert(i, Stored::from_bytes(v));
    }

    /// Replaces entry `i`.
    pub fn replace(&mut self, i: usize, v: &[u8]) {
        let old = self.entries[i].value().len() + 2;
        self.bytes = self.total_bytes() - old + entry_size(v);
        self.entries[i] = Stored::from_bytes(v);
    }

    /// Removes entry `i`.
    pub fn remove(&mut self, i: usize) {
        let old = self.entries[i].value().len() + 2;
        self.bytes = self.total_bytes() - old;
        self.entries.remove(i);
    }

    /// Removes `n` entries starting at `i`.
    pub fn remove_range(&mut self, i: usize, n: usize) {
        let end = (i + n).min(self.entries.len());
        for _ in i..end {
            self.remove(i);
        }
    }

    /// First index `>= start`, visiting every `step`-th entry, whose bytes equal `v`.
    pub fn find(&self, v: &[u8], start: usize, step: usize) -> Option<usize> {
        let step = step.max(1);
        (start..self.entries.len())
            .step_by(step)
            .find(|&i| self.entries[i].value().eq_bytes(v))
    }

    /// The Redis listpack serialization (for RDB and DUMP).
    pub fn to_bytes(&self) -> Vec<u8> {
        Vec::new()
    }

    /// Parses and validates a serialized listpack.
    pub fn from_bytes(_b: &[u8]) -> Option<Listpack> {
        None
    }
}
