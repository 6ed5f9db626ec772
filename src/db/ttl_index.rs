//! The TTL index: which keys of a database have an expire time, and that time.
//!
//! Redis keeps a second dict, `expires`, from key to time: a 24-byte entry plus a
//! bucket per volatile key, and a second hash lookup on every access to one. Here
//! the time lives in a dense array of `(key, when)` records, and the key's own
//! `RObj` remembers its record's position (`TtlSlot`, 4 bytes that were padding).
//! Reading a TTL is then the keyspace lookup the command did anyway plus one
//! indexed load; a volatile key costs 24 bytes beyond a plain one.
//!
//! Removal swaps the last record into the hole, so the moved record's owner must
//! learn its new slot: `swap_remove` returns that record's key and `Db` updates the
//! `RObj`. The array grows in fixed chunks, never by copying what it holds, so a
//! database growing to millions of TTLs never stalls on a reallocation; that is
//! what Redis's incremental rehash buys for its `expires` dict.
//!
//! Active expiry walks the array downwards from a cursor (`Db::expires_cursor`):
//! a removal only ever moves the last record, which is above the cursor and so
//! already visited, and every record present when a pass starts is seen in it.

use super::Key;

/// Records per chunk: 4096 × 24 bytes is one 96 KiB allocation.
const CHUNK_SHIFT: u32 = 12;
const CHUNK_LEN: usize = 1 << CHUNK_SHIFT;

/// Where a key's record sits in its database's `TtlIndex`, or `NONE`. Only the
/// index creates positions (the field is private); `Db` keeps each one with the
/// key whose record it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtlSlot(u32);

impl TtlSlot {
    /// The key has no TTL.
    pub const NONE: TtlSlot = TtlSlot(u32::MAX);

    pub fn is_none(self) -> bool {
        self == TtlSlot::NONE
    }

    /// The record's position in the index.
    pub fn position(self) -> Option<usize> {
        (!self.is_none()).then_some(self.0 as usize)
    }
}

/// One volatile key.
struct Record {
    key: Key,
    /// Absolute unix time in milliseconds.
    when: i64,
}

/// The volatile keys of one database; see the module doc.
#[derive(Default)]
pub struct TtlIndex {
    /// All chunks but the last two are full; the first grows like a `Vec` until it
    /// reaches `CHUNK_LEN`, so a database with a few TTLs holds a small array.
    chunks: Vec<Vec<Record>>,
    len: usize,
}

impl TtlIndex {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn record(&self, pos: usize) -> &Record {
        &self.chunks[pos >> CHUNK_SHIFT][pos & (CHUNK_LEN - 1)]
    }

    fn record_mut(&mut self, pos: usize) -> &mut Record {
        &mut self.chunks[pos >> CHUNK_SHIFT][pos & (CHUNK_LEN - 1)]
    }

    /// The expire time recorded at `slot`.
    pub fn when(&self, slot: TtlSlot) -> Option<i64> {
        slot.position().map(|p| self.record(p).when)
    }

    /// Changes the time of the record at `slot` (which must be a live slot).
    pub fn set_when(&mut self, slot: TtlSlot, when: i64) {
        if let Some(p) = slot.position() {
            self.record_mut(p).when = when;
        }
    }

    /// The key and time at position `pos` (below `len`), for active expiry.
    pub fn at(&self, pos: usize) -> (&Key, i64) {
        let r = self.record(pos);
        (&r.key, r.when)
    }

    /// Adds a record; the caller stores the returned slot in the key's `RObj`.
    ///
    /// # Panics
    /// Past 2^32 − 1 records in one database (96 GiB of index alone).
    pub fn push(&mut self, key: Key, when: i64) -> TtlSlot {
        let slot = u32::try_from(self.len)
            .ok()
            .filter(|&p| p != u32::MAX)
            .expect("TTL index: more than 2^32-1 volatile keys in one database");
        let ci = self.len >> CHUNK_SHIFT;
        if ci == self.chunks.len() {
            // The first chunk starts small; later ones are allocated whole, so
            // no push ever copies records.
            let cap = if ci == 0 { 0 } else { CHUNK_LEN };
            self.chunks.push(Vec::with_capacity(cap));
        }
        self.chunks[ci].push(Record { key, when });
        self.len += 1;
        TtlSlot(slot)
    }

    /// Removes the record at `slot` by moving the last record into its place.
    /// Returns the moved record's key, whose `RObj` must now hold `slot`; `None`
    /// when the removed record was the last one.
    pub fn swap_remove(&mut self, slot: TtlSlot) -> Option<&Key> {
        let pos = slot.position()?;
        debug_assert!(pos < self.len);
        let last_pos = self.len - 1;
        let last = self.chunks[last_pos >> CHUNK_SHIFT]
            .pop()
            .expect("TTL index: chunk holding the last record is empty");
        self.len = last_pos;
        // Keep one empty chunk past the one the next push uses, so a database
        // hovering at a chunk boundary does not allocate and free 96 KiB per write.
        if self.chunks.len() > (self.len >> CHUNK_SHIFT) + 2 {
            self.chunks.pop();
        }
        if pos == last_pos {
            return None;
        }
        let r = self.record_mut(pos);
        *r = last;
        Some(&r.key)
    }

    /// Gives memory back after the index shrank (from the cron, like
    /// `Dict::shrink_if_needed`): a small first chunk is trimmed to a quarter-full
    /// bound, an empty index frees everything.
    pub fn shrink_if_needed(&mut self) {
        if self.len == 0 {
            self.chunks = Vec::new();
        } else if self.len < CHUNK_LEN {
            self.chunks.truncate(1);
            let first = &mut self.chunks[0];
            if first.len() * 4 < first.capacity() {
                // A power of two, so doubling regrows it to exactly CHUNK_LEN.
                first.shrink_to(first.len().next_power_of_two());
            }
        }
    }

    /// Bytes the index holds (MEMORY STATS `overhead.hashtable.expires`).
    pub fn mem_usage(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Vec<Record>>()
            + self
                .chunks
                .iter()
                .map(|c| c.capacity() * std::mem::size_of::<Record>())
                .sum::<usize>()
    }

    /// The text DEBUG HTSTATS shows under `[Expires HT]`.
    pub fn write_stats(&self, out: &mut String) {
        use std::fmt::Write;
        if self.len == 0 {
            out.push_str("No stats available for empty dictionaries\n");
            return;
        }
        let slots: usize = self.chunks.iter().map(|c| c.capacity()).sum();
        let _ = writeln!(
            out,
            "TTL index (dense array, no hash table):\n number of elements: {}\n slots allocated: {}\n chunks: {}",
            self.len,
            slots,
            self.chunks.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: usize) -> Key {
        Key::new(format!("k{i}").as_bytes())
    }

    #[test]
    fn record_is_24_bytes_and_slot_fits_robj_padding() {
        assert_eq!(std::mem::size_of::<Record>(), 24);
        assert_eq!(std::mem::size_of::<crate::types::RObj>(), 32);
    }

    #[test]
    fn push_then_read_back_across_chunks() {
        let mut idx = TtlIndex::default();
        let n = CHUNK_LEN * 2 + 7;
        let slots: Vec<TtlSlot> = (0..n).map(|i| idx.push(key(i), i as i64)).collect();
        assert_eq!(idx.len(), n);
        assert_eq!(idx.chunks.len(), 3);
        for (i, s) in slots.iter().enumerate() {
            assert_eq!(idx.when(*s), Some(i as i64));
            assert_eq!(&idx.at(i).0[..], format!("k{i}").as_bytes());
        }
        assert_eq!(idx.when(TtlSlot::NONE), None);
        // Later chunks are allocated whole, never regrown.
        assert_eq!(idx.chunks[1].capacity(), CHUNK_LEN);
    }

    #[test]
    fn swap_remove_moves_the_last_record_and_reports_it() {
        let mut idx = TtlIndex::default();
        let a = idx.push(key(0), 10);
        idx.push(key(1), 11);
        idx.push(key(2), 12);
        assert_eq!(idx.swap_remove(a).map(|k| k.to_vec()), Some(b"k2".to_vec()));
        // The moved record now answers at the removed slot.
        assert_eq!(idx.when(a), Some(12));
        assert_eq!(idx.len(), 2);
        // Removing the last record moves nothing.
        assert!(idx.swap_remove(TtlSlot(1)).is_none());
        assert_eq!(idx.len(), 1);
    }

    #[test]
    fn shrinking_frees_chunks_with_one_spare() {
        let mut idx = TtlIndex::default();
        let n = CHUNK_LEN * 4;
        for i in 0..n {
            idx.push(key(i), 0);
        }
        while idx.len() > 10 {
            let last = TtlSlot((idx.len() - 1) as u32);
            idx.swap_remove(last);
        }
        assert!(idx.chunks.len() <= 2);
        idx.shrink_if_needed();
        while !idx.is_empty() {
            idx.swap_remove(TtlSlot(0));
        }
        idx.shrink_if_needed();
        assert_eq!(idx.mem_usage(), 0);
    }
}
