//! The keyspace hash table: [`Dict`], modelled on Redis's `dict.c`.
//!
//! This module owns the storage of every key/value pair of a database (and is
//! equally usable for the expires table or big hash/set values). It owns the
//! bucket arrays, the entries, the incremental rehashing state, the random
//! sampling used by `RANDOMKEY`/eviction, the stateless `SCAN` cursor and the
//! `DEBUG HTSTATS` text.
//!
//! Design and trade-offs:
//!
//! * **Chained buckets, power-of-two sizes.** Each bucket is one
//!   `Option<Box<Entry>>` (8 bytes, like a `dictEntry*`), each entry is just
//!   key, value and next pointer (no cached hash: rehashing recomputes it,
//!   which trades a little CPU during the resize for 8 bytes per key forever).
//!   Chaining keeps an entry at a stable heap address and makes the Redis
//!   `SCAN` guarantee possible: an element lives in exactly one bucket whose
//!   index is `hash & mask`, so the reverse-binary cursor can survive resizes.
//!   Open addressing would be denser but breaks that guarantee and needs
//!   tombstones on delete.
//! * **Incremental rehashing.** A resize allocates the new bucket array (the
//!   allocation is zero-filled lazily by the OS, so it costs O(1) in practice)
//!   and then moves one bucket per mutating operation (`rehash_step`), plus
//!   whatever the server's cron gives via [`Dict::rehash_for_micros`]. While
//!   rehashing both tables are searched and inserts go to the new one. So no
//!   single command ever pays for moving the whole keyspace, which is what
//!   keeps latency flat for a 10M-key table. The cost is a period during which
//!   lookups probe two tables and the memory of both arrays is held.
//! * **Freeing the old array off the hot path.** When a big rehash finishes,
//!   the (now empty) old bucket array is kept as a [`RetiredBuckets`] instead
//!   of being unmapped inside the unlucky command; the server can
//!   [`Dict::take_retired`] it and drop it on a background thread, otherwise
//!   it is freed at the next cron call (`rehash_for_micros`/`shrink_if_needed`).
//! * **Resize policy** is process wide, like `dict_can_resize`: see
//!   [`set_resize_policy`]. While a fork child is alive the server sets
//!   [`ResizePolicy::Avoid`]: tables only grow past 5 elements per bucket and
//!   rehashing pauses unless the two tables differ by 5x or more, to limit
//!   copy-on-write. (Under `cfg(test)` the policy is thread-local so that
//!   parallel unit tests don't interfere.)
//! * **Reads don't rehash.** [`Dict::get`] takes `&self` so callers can hold
//!   several values at once (e.g. `SUNION k1 k2`); [`Dict::find`],
//!   [`Dict::get_mut`], inserts and removes do the rehash step.
//! * **Hashing** is Redis's SipHash-1-2 with a per-process random key
//!   (`util::siphash`, created on first use and shared by every dict, as is the
//!   thread's sampling PRNG: a dict per small set or hash stays 72 bytes).

use crate::util::prefetch::{prefetch_read, HeapData, StagedLookup};
use crate::util::siphash::process_hasher;
use std::alloc::{self, Layout};
use std::borrow::Borrow;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::iter::{Chain, FusedIterator};
use std::mem;
use std::slice;
use std::time::{Duration, Instant};

/// Initial (and minimum) number of buckets of an allocated table.
const INITIAL_SIZE: usize = 4;
/// With resizing avoided, still grow past this many elements per bucket.
const FORCE_RESIZE_RATIO: usize = 5;
/// `shrink_if_needed` shrinks when fewer than this percent of buckets are used.
const MIN_FILL_PERCENT: usize = 10;
/// Length of the chain length histogram of `DEBUG HTSTATS`.
pub const STATS_VECTLEN: usize = 50;
/// How many entries `random_entry` samples (GETFAIR_NUM_ENTRIES).
const FAIR_SAMPLE: usize = 15;
/// Old bucket arrays at least this big are retired instead of freed inline.
const RETIRE_MIN_BUCKETS: usize = 1 << 15;

// ---------------------------------------------------------------------------
// Resize policy (process wide, like dict_can_resize).

/// Whether tables may be resized/rehashed (Redis `dictResizeEnable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResizePolicy {
    /// Normal operation: grow at load factor 1, shrink on request.
    Enable,
    /// A fork child is alive: only grow past 5 elements per bucket, rehash
    /// only when the tables differ 5x or more, never shrink.
    Avoid,
    /// Inside the fork child: never resize nor rehash.
    Forbid,
}

impl ResizePolicy {
    fn to_u8(self) -> u8 {
        match self {
            ResizePolicy::Enable => 0,
            ResizePolicy::Avoid => 1,
            ResizePolicy::Forbid => 2,
        }
    }

    fn from_u8(v: u8) -> Self {
        match v {
            0 => ResizePolicy::Enable,
            1 => ResizePolicy::Avoid,
            _ => ResizePolicy::Forbid,
        }
    }
}

#[cfg(not(test))]
static RESIZE_POLICY: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

#[cfg(test)]
thread_local! {
    static RESIZE_POLICY: std::cell::Cell<u8> = const { std::cell::Cell::new(0) };
}

/// Sets the process-wide resize policy (Redis `dictSetResizeEnabled`).
#[cfg(not(test))]
pub fn set_resize_policy(policy: ResizePolicy) {
    RESIZE_POLICY.store(policy.to_u8(), std::sync::atomic::Ordering::Relaxed);
}

/// Returns the current process-wide resize policy.
#[cfg(not(test))]
pub fn resize_policy() -> ResizePolicy {
    ResizePolicy::from_u8(RESIZE_POLICY.load(std::sync::atomic::Ordering::Relaxed))
}

/// Sets the resize policy (thread-local in unit tests).
#[cfg(test)]
pub fn set_resize_policy(policy: ResizePolicy) {
    RESIZE_POLICY.with(|p| p.set(policy.to_u8()));
}

/// Returns the current resize policy (thread-local in unit tests).
#[cfg(test)]
pub fn resize_policy() -> ResizePolicy {
    RESIZE_POLICY.with(|p| ResizePolicy::from_u8(p.get()))
}

/// `true` = [`ResizePolicy::Enable`], `false` = [`ResizePolicy::Avoid`]
/// (what the server uses while a fork child is alive).
pub fn set_resize_allowed(allowed: bool) {
    set_resize_policy(if allowed {
        ResizePolicy::Enable
    } else {
        ResizePolicy::Avoid
    });
}

thread_local! {
    /// State of the PRNG behind random sampling, shared by the thread's dicts
    /// (0 = not seeded yet).
    static SAMPLING_RNG: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

// ---------------------------------------------------------------------------
// Internal types.

struct Entry<K, V> {
    key: K,
    value: V,
    next: Link<K, V>,
}

type Link<K, V> = Option<Box<Entry<K, V>>>;

struct Table<K, V> {
    /// Length is 0 (unallocated) or a power of two.
    buckets: Vec<Link<K, V>>,
    used: usize,
}

impl<K, V> Table<K, V> {
    const fn empty() -> Self {
        Table {
            buckets: Vec::new(),
            used: 0,
        }
    }

    fn size(&self) -> usize {
        self.buckets.len()
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    fn head(&self, hash: u64) -> Option<&Entry<K, V>> {
        if self.buckets.is_empty() {
            return None;
        }
        self.buckets[hash as usize & self.mask()].as_deref()
    }

    fn head_mut(&mut self, hash: u64) -> Option<&mut Entry<K, V>> {
        if self.buckets.is_empty() {
            return None;
        }
        let idx = hash as usize & self.mask();
        self.buckets[idx].as_deref_mut()
    }

    /// Unlinks the entry for `key` from its chain and returns it with `next`
    /// cleared. Does not touch `used`.
    fn unlink<Q>(&mut self, hash: u64, key: &Q) -> Link<K, V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        if self.buckets.is_empty() {
            return None;
        }
        let idx = hash as usize & self.mask();
        let mut link = &mut self.buckets[idx];
        while link.as_ref().is_some_and(|e| e.key.borrow() != key) {
            match link {
                Some(e) => link = &mut e.next,
                None => return None,
            }
        }
        let mut entry = link.take()?;
        *link = entry.next.take();
        Some(entry)
    }

    /// Frees every entry (iteratively) and the bucket array.
    fn clear(&mut self) {
        if self.used > 0 {
            for bucket in self.buckets.iter_mut() {
                free_chain(bucket.take());
            }
        }
        release_buckets(mem::take(&mut self.buckets));
        self.used = 0;
    }
}

/// Drops a chain without recursion (a `Box` chain would recurse per node).
fn free_chain<K, V>(mut link: Link<K, V>) {
    while let Some(mut entry) = link {
        link = entry.next.take();
    }
}

/// Turns a bucket array whose slots are all `None` into an empty `Vec` that
/// still owns the allocation, so dropping it does not scan every slot.
fn empty_buckets<K, V>(mut buckets: Vec<Link<K, V>>) -> Vec<Link<K, V>> {
    debug_assert!(buckets.iter().all(Option::is_none));
    // SAFETY: `set_len(0)` is always within capacity and exposes no
    // uninitialized element. Elements are not dropped, but every slot is
    // `None` (the caller emptied the table), so nothing is leaked.
    unsafe { buckets.set_len(0) };
    buckets
}

/// Frees an all-`None` bucket array without the per-slot drop loop.
fn release_buckets<K, V>(buckets: Vec<Link<K, V>>) {
    drop(empty_buckets(buckets));
}

/// Allocates `n` empty buckets as zeroed memory, which the OS provides
/// lazily for large sizes: no O(n) initialisation pass. `None` on failure.
fn new_buckets<K, V>(n: usize) -> Option<Vec<Link<K, V>>> {
    let layout = Layout::array::<Link<K, V>>(n).ok()?;
    if layout.size() == 0 {
        return Some(Vec::new());
    }
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { alloc::alloc_zeroed(layout) }.cast::<Link<K, V>>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was allocated by the global allocator with the layout of
    // `[Link; n]`, which is exactly what a `Vec` of capacity `n` uses. All
    // `n` elements are initialised: `Option<Box<T>>` is guaranteed to have
    // the null pointer as its `None` representation, so zeroed memory is a
    // valid array of `None`.
    Some(unsafe { Vec::from_raw_parts(ptr, n, n) })
}

/// Table size for `n` elements: next power of two, at least `INITIAL_SIZE`.
fn table_size_for(n: usize) -> Option<usize> {
    let size = if n <= INITIAL_SIZE {
        INITIAL_SIZE
    } else {
        n.checked_next_power_of_two()?
    };
    if size > isize::MAX as usize / mem::size_of::<usize>() {
        return None;
    }
    Some(size)
}

/// Small, fast PRNG (splitmix64) for random sampling.
#[derive(Clone, Copy)]
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough value in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

// ---------------------------------------------------------------------------
// Public helper types.

/// An emptied bucket array left over by a finished rehash. Dropping it frees
/// (unmaps) the memory, which for big tables takes milliseconds: the server
/// may send it to a background thread. It holds no entries.
pub struct RetiredBuckets<K, V> {
    buckets: Vec<Link<K, V>>,
}

impl<K, V> RetiredBuckets<K, V> {
    /// Bytes that dropping this will free.
    pub fn bytes(&self) -> usize {
        self.buckets.capacity() * mem::size_of::<Link<K, V>>()
    }
}

impl<K, V> fmt::Debug for RetiredBuckets<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetiredBuckets")
            .field("bytes", &self.bytes())
            .finish()
    }
}

/// Statistics of one of the two tables, as printed by `DEBUG HTSTATS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableStats {
    /// 0 for the main table, 1 for the rehashing target.
    pub table_index: usize,
    /// Number of buckets.
    pub table_size: usize,
    /// Number of elements stored in this table.
    pub elements: usize,
    /// Number of non-empty buckets.
    pub different_slots: usize,
    /// Longest chain.
    pub max_chain_len: usize,
    /// Sum of chain lengths (counted while walking).
    pub total_chain_len: usize,
    /// `chain_len_distribution[n]` = buckets with a chain of length n (the
    /// last slot counts every longer chain).
    pub chain_len_distribution: [usize; STATS_VECTLEN],
}

/// Statistics of a dict: the main table and, while rehashing, the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DictStats {
    /// Table 0.
    pub main: TableStats,
    /// Table 1, present only while rehashing.
    pub rehashing_target: Option<TableStats>,
}

impl TableStats {
    /// Appends this table's text in the format of Redis's `dictGetStats`.
    pub fn write(&self, out: &mut String, full: bool) {
        use fmt::Write;
        let name = if self.table_index == 0 {
            "main hash table"
        } else {
            "rehashing target"
        };
        // Writing to a String cannot fail.
        let _ = writeln!(out, "Hash table {} stats ({}):", self.table_index, name);
        if self.elements == 0 {
            out.push_str("No stats available for empty dictionaries\n");
            return;
        }
        let _ = writeln!(out, " table size: {}", self.table_size);
        let _ = writeln!(out, " number of elements: {}", self.elements);
        if !full {
            return;
        }
        // Redis computes these in C `float` and prints them with "%.02f".
        let slots = self.different_slots as f32;
        let counted = self.total_chain_len as f32 / slots;
        let computed = self.elements as f32 / slots;
        let _ = writeln!(out, " different slots: {}", self.different_slots);
        let _ = writeln!(out, " max chain length: {}", self.max_chain_len);
        let _ = writeln!(
            out,
            " avg chain length (counted): {:.2}",
            f64::from(counted)
        );
        let _ = writeln!(
            out,
            " avg chain length (computed): {:.2}",
            f64::from(computed)
        );
        out.push_str(" Chain length distribution:\n");
        // Like Redis, the last (overflow) slot is not printed.
        for (len, &count) in self.chain_len_distribution[..STATS_VECTLEN - 1]
            .iter()
            .enumerate()
        {
            if count == 0 {
                continue;
            }
            let pct = (count as f32 / self.table_size as f32) * 100.0;
            let _ = writeln!(out, "   {}: {} ({:.2}%)", len, count, f64::from(pct));
        }
    }
}

impl DictStats {
    /// Appends the text of Redis's `dictGetStats` (`full == false`: only
    /// table size and number of elements per table).
    pub fn write(&self, out: &mut String, full: bool) {
        self.main.write(out, full);
        if let Some(target) = &self.rehashing_target {
            target.write(out, full);
        }
    }
}

// ---------------------------------------------------------------------------
// The dict.

/// Hash table with chained buckets and incremental rehashing (see module doc).
pub struct Dict<K, V> {
    tables: [Table<K, V>; 2],
    /// Next bucket of table 0 to move; `Some` iff rehashing.
    rehash_idx: Option<usize>,
    /// Boxed: rare, and a dict per small set or hash should stay small.
    retired: Option<Box<RetiredBuckets<K, V>>>,
    #[cfg(test)]
    stat_moved: usize,
    #[cfg(test)]
    stat_visited: usize,
}

impl<K, V> Default for Dict<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> Drop for Dict<K, V> {
    fn drop(&mut self) {
        self.tables[0].clear();
        self.tables[1].clear();
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Dict<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K, V> Dict<K, V> {
    /// Creates an empty dict; allocates nothing until the first insert.
    pub fn new() -> Self {
        Dict {
            tables: [Table::empty(), Table::empty()],
            rehash_idx: None,
            retired: None,
            #[cfg(test)]
            stat_moved: 0,
            #[cfg(test)]
            stat_visited: 0,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    /// `true` if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `true` while an incremental rehash is in progress.
    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    /// Total buckets of both tables (Redis `dictSlots`).
    pub fn bucket_count(&self) -> usize {
        self.tables[0].size() + self.tables[1].size()
    }

    /// Approximate bytes used by entries and bucket arrays (not counting
    /// what keys and values own on the heap), like the "overhead.hashtable"
    /// figure of `MEMORY STATS`.
    pub fn mem_overhead(&self) -> usize {
        let retired = self.retired.as_ref().map_or(0, |r| r.bytes());
        self.len() * mem::size_of::<Entry<K, V>>()
            + self.bucket_count() * mem::size_of::<Link<K, V>>()
            + retired
    }

    /// Removes every element and frees the tables (O(n), like `dictEmpty`).
    pub fn clear(&mut self) {
        self.tables[0].clear();
        self.tables[1].clear();
        self.rehash_idx = None;
        self.retired = None;
    }

    /// Takes the emptied bucket array of the last finished rehash, if any,
    /// so it can be freed off the event loop.
    pub fn take_retired(&mut self) -> Option<RetiredBuckets<K, V>> {
        self.retired.take().map(|r| *r)
    }

    /// Iterates over all `(key, value)` pairs of both tables.
    pub fn iter(&self) -> Iter<'_, K, V> {
        let [t0, t1] = &self.tables;
        Iter {
            buckets: t0.buckets.iter().chain(t1.buckets.iter()),
            cur: None,
            remaining: self.len(),
        }
    }

    /// Iterates over all pairs with mutable access to the values.
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        let remaining = self.len();
        let [t0, t1] = &mut self.tables;
        IterMut {
            buckets: t0.buckets.iter_mut().chain(t1.buckets.iter_mut()),
            cur: None,
            remaining,
        }
    }

    /// Iterates over the keys.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Iterates over the values.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Keeps only the pairs for which `f` returns true (O(n), no rehash
    /// work; counts stay consistent even if `f` panics).
    pub fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, mut f: F) {
        for table in self.tables.iter_mut() {
            if table.used == 0 {
                continue;
            }
            for bucket in table.buckets.iter_mut() {
                let mut link = bucket;
                loop {
                    let keep = match link.as_mut() {
                        None => break,
                        Some(e) => f(&e.key, &mut e.value),
                    };
                    if keep {
                        match link {
                            Some(e) => link = &mut e.next,
                            None => break,
                        }
                    } else if let Some(mut removed) = link.take() {
                        *link = removed.next.take();
                        table.used -= 1;
                    }
                }
            }
        }
    }

    /// Draws from the thread's sampling PRNG, seeding it on first use.
    fn next_random(&mut self) -> u64 {
        SAMPLING_RNG.with(|rng| {
            if rng.get() == 0 {
                rng.set(RandomState::new().hash_one(0x5eed_u64) | 1);
            }
            let mut r = SplitMix(rng.get());
            let v = r.next_u64();
            rng.set(r.0);
            v
        })
    }

    /// Redis `dictGetSomeKeys`: fills `out` with entries from a few random
    /// locations; returns how many were stored.
    fn sample_into<'a>(&'a self, out: &mut [Option<&'a Entry<K, V>>], rng: &mut SplitMix) -> usize {
        let count = out.len().min(self.len());
        if count == 0 {
            return 0;
        }
        let rehash_idx = self.rehash_idx;
        let ntables = if rehash_idx.is_some() { 2 } else { 1 };
        let [t0, t1] = &self.tables;
        let mut maxmask = t0.mask();
        if ntables == 2 {
            maxmask = maxmask.max(t1.mask());
        }
        let mut i = rng.next_u64() as usize & maxmask;
        let mut emptylen = 0usize;
        let mut stored = 0usize;
        let mut maxsteps = count * 10;
        while stored < count && maxsteps > 0 {
            maxsteps -= 1;
            for (j, table) in self.tables[..ntables].iter().enumerate() {
                if let (0, Some(ri)) = (j, rehash_idx) {
                    // Table 0 buckets below the rehash index are empty.
                    if i < ri {
                        if i >= t1.size() {
                            i = ri;
                        } else {
                            continue;
                        }
                    }
                }
                if i >= table.size() {
                    continue;
                }
                let mut he = table.buckets[i].as_deref();
                if he.is_none() {
                    emptylen += 1;
                    if emptylen >= 5 && emptylen > count {
                        i = rng.next_u64() as usize & maxmask;
                        emptylen = 0;
                    }
                    continue;
                }
                emptylen = 0;
                while let Some(e) = he {
                    // Reservoir sampling so long chains are sampled fairly.
                    if stored < count {
                        out[stored] = Some(e);
                    } else {
                        let r = rng.below(stored + 1);
                        if r < count {
                            out[r] = Some(e);
                        }
                    }
                    he = e.next.as_deref();
                    stored += 1;
                }
                if stored >= count {
                    return count;
                }
            }
            i = (i + 1) & maxmask;
        }
        stored.min(count)
    }

    /// Redis `dictGetRandomKey`: a random non-empty bucket, then a random
    /// element of its chain.
    fn random_bucket_entry_ref(&self, rng: &mut SplitMix) -> Option<&Entry<K, V>> {
        if self.is_empty() {
            return None;
        }
        let [t0, t1] = &self.tables;
        let head = match self.rehash_idx {
            Some(ri) => {
                let s0 = t0.size();
                let span = s0 + t1.size() - ri;
                loop {
                    let h = ri + rng.below(span);
                    let slot = if h >= s0 {
                        &t1.buckets[h - s0]
                    } else {
                        &t0.buckets[h]
                    };
                    if let Some(e) = slot.as_deref() {
                        break e;
                    }
                }
            }
            None => loop {
                let h = rng.next_u64() as usize & t0.mask();
                if let Some(e) = t0.buckets[h].as_deref() {
                    break e;
                }
            },
        };
        let mut len = 0usize;
        let mut cur = Some(head);
        while let Some(e) = cur {
            len += 1;
            cur = e.next.as_deref();
        }
        let mut pick = rng.below(len);
        let mut e = head;
        while pick > 0 {
            e = e.next.as_deref()?;
            pick -= 1;
        }
        Some(e)
    }

    /// Visits the buckets for `cursor` and returns the next cursor (0 when
    /// the scan is complete): Redis's reverse-binary `dictScan`. Every
    /// element present for the whole scan is reported at least once even if
    /// the table grows, shrinks or rehashes between calls; some may be
    /// reported more than once.
    pub fn scan<F: FnMut(&K, &V)>(&self, cursor: u64, mut f: F) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut emit = |table: &Table<K, V>, v: u64| {
            let mut cur = table.buckets[(v & table.mask() as u64) as usize].as_deref();
            while let Some(e) = cur {
                f(&e.key, &e.value);
                cur = e.next.as_deref();
            }
        };
        let mut v = cursor;
        let [t0, t1] = &self.tables;
        if self.rehash_idx.is_none() {
            let m0 = t0.mask() as u64;
            emit(t0, v);
            // Set the unmasked bits so the reversed increment carries
            // through the masked bits only.
            v |= !m0;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        } else {
            let (small, big) = if t0.size() <= t1.size() {
                (t0, t1)
            } else {
                (t1, t0)
            };
            let m0 = small.mask() as u64;
            let m1 = big.mask() as u64;
            emit(small, v);
            // Then every expansion of the cursor in the bigger table.
            loop {
                emit(big, v);
                v |= !m1;
                v = v.reverse_bits().wrapping_add(1).reverse_bits();
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    /// Computes the `DEBUG HTSTATS` statistics (O(buckets)).
    pub fn stats(&self) -> DictStats {
        let main = self.table_stats(0);
        let rehashing_target = self.rehash_idx.map(|_| self.table_stats(1));
        DictStats {
            main,
            rehashing_target,
        }
    }

    fn table_stats(&self, index: usize) -> TableStats {
        let table = &self.tables[index];
        let mut s = TableStats {
            table_index: index,
            table_size: table.size(),
            elements: table.used,
            different_slots: 0,
            max_chain_len: 0,
            total_chain_len: 0,
            chain_len_distribution: [0; STATS_VECTLEN],
        };
        if table.used == 0 {
            return s;
        }
        for bucket in &table.buckets {
            let mut len = 0usize;
            let mut cur = bucket.as_deref();
            while let Some(e) = cur {
                len += 1;
                cur = e.next.as_deref();
            }
            s.chain_len_distribution[len.min(STATS_VECTLEN - 1)] += 1;
            if len > 0 {
                s.different_slots += 1;
                s.max_chain_len = s.max_chain_len.max(len);
                s.total_chain_len += len;
            }
        }
        s
    }

    /// Appends the `DEBUG HTSTATS` text for this dict (Redis `dictGetStats`;
    /// with `full == false` only table size and number of elements).
    pub fn write_stats(&self, out: &mut String, full: bool) {
        self.stats().write(out, full);
    }
}

impl<K: Hash + Eq, V> Dict<K, V> {
    /// Creates a dict with room for `n` elements before the first resize.
    pub fn with_capacity(n: usize) -> Self {
        let mut d = Self::new();
        if n > 0 {
            d.expand(n);
        }
        d
    }

    /// Performs one rehash step (moves one bucket) if rehashing.
    pub fn rehash_step(&mut self) {
        if self.rehash_idx.is_some() {
            self.rehash(1);
        }
    }

    /// Performs up to `n` rehash steps (each moves one bucket and visits at
    /// most 10 empty ones). Returns `true` if there is more to rehash.
    pub fn rehash_steps(&mut self, n: usize) -> bool {
        self.rehash(n)
    }

    /// Active rehashing for cron: frees any retired bucket array, then
    /// rehashes in batches of 100 steps until `us` microseconds have passed
    /// or the rehash is complete. Returns `true` if still rehashing.
    pub fn rehash_for_micros(&mut self, us: u64) -> bool {
        self.retired = None;
        if self.rehash_idx.is_none() {
            return false;
        }
        let budget = Duration::from_micros(us);
        let start = Instant::now();
        while self.rehash(100) {
            if start.elapsed() > budget {
                break;
            }
        }
        self.is_rehashing()
    }

    /// Redis `dictRehash`: moves up to `n` buckets from table 0 to table 1.
    fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let [t0, t1] = &mut self.tables;
        let (s0, s1) = (t0.size(), t1.size());
        match resize_policy() {
            ResizePolicy::Enable => {}
            ResizePolicy::Forbid => return false,
            ResizePolicy::Avoid => {
                let ratio = if s1 > s0 {
                    s1 / s0.max(1)
                } else {
                    s0 / s1.max(1)
                };
                if ratio < FORCE_RESIZE_RATIO {
                    return false;
                }
            }
        }
        let mask1 = t1.mask();
        let mut empty_visits = n.saturating_mul(10);
        let mut steps = n;
        while steps > 0 && t0.used != 0 && idx < s0 {
            steps -= 1;
            while idx < s0 && t0.buckets[idx].is_none() {
                idx += 1;
                #[cfg(test)]
                {
                    self.stat_visited += 1;
                }
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let Some(bucket) = t0.buckets.get_mut(idx) else {
                break;
            };
            #[cfg(test)]
            {
                self.stat_visited += 1;
            }
            let mut chain = bucket.take();
            while let Some(mut entry) = chain {
                chain = entry.next.take();
                let h = process_hasher().hash_one(&entry.key) as usize & mask1;
                entry.next = t1.buckets[h].take();
                t1.buckets[h] = Some(entry);
                t0.used -= 1;
                t1.used += 1;
                #[cfg(test)]
                {
                    self.stat_moved += 1;
                }
            }
            idx += 1;
        }
        if t0.used != 0 {
            debug_assert!(idx < s0, "rehash index ran past a non-empty table");
            self.rehash_idx = Some(idx);
            return true;
        }
        // Done: table 1 becomes the main table.
        let old = mem::replace(t0, mem::replace(t1, Table::empty()));
        self.rehash_idx = None;
        let old = empty_buckets(old.buckets);
        if old.capacity() >= RETIRE_MIN_BUCKETS {
            // Replacing an untaken retired array frees it here; that only
            // happens if a whole rehash went by without a cron call.
            self.retired = Some(Box::new(RetiredBuckets { buckets: old }));
        }
        false
    }

    fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        process_hasher().hash_one(key)
    }

    /// The tables a lookup searches: the second one only while rehashing.
    fn live_tables(&self) -> &[Table<K, V>] {
        let ntables = if self.rehash_idx.is_some() { 2 } else { 1 };
        &self.tables[..ntables]
    }

    fn find_entry<Q>(&self, hash: u64, key: &Q) -> Option<&Entry<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        for table in self.live_tables() {
            let mut cur = table.head(hash);
            while let Some(e) = cur {
                if e.key.borrow() == key {
                    return Some(e);
                }
                cur = e.next.as_deref();
            }
        }
        None
    }

    fn find_entry_mut<Q>(&mut self, hash: u64, key: &Q) -> Option<&mut Entry<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        fn walk<'a, K: Borrow<Q>, Q: Eq + ?Sized, V>(
            mut cur: Option<&'a mut Entry<K, V>>,
            key: &Q,
        ) -> Option<&'a mut Entry<K, V>> {
            while let Some(e) = cur {
                if e.key.borrow() == key {
                    return Some(e);
                }
                cur = e.next.as_deref_mut();
            }
            None
        }
        let rehashing = self.rehash_idx.is_some();
        let [t0, t1] = &mut self.tables;
        if let Some(e) = walk(t0.head_mut(hash), key) {
            return Some(e);
        }
        if rehashing {
            walk(t1.head_mut(hash), key)
        } else {
            None
        }
    }

    /// Grows when the load factor is reached (Redis `_dictExpandIfNeeded`).
    fn expand_if_needed(&mut self) {
        if self.rehash_idx.is_some() {
            return;
        }
        let size = self.tables[0].size();
        if size == 0 {
            self.expand(INITIAL_SIZE);
            return;
        }
        let used = self.tables[0].used;
        let policy = resize_policy();
        if (policy == ResizePolicy::Enable && used >= size)
            || (policy != ResizePolicy::Forbid && used / size > FORCE_RESIZE_RATIO)
        {
            self.expand(used + 1);
        }
    }

    /// Links a new entry at the head of its bucket in the insert table.
    fn add_new(&mut self, hash: u64, key: K, value: V) -> &mut Entry<K, V> {
        self.expand_if_needed();
        let t = usize::from(self.rehash_idx.is_some());
        let table = &mut self.tables[t];
        let idx = hash as usize & table.mask();
        table.used += 1;
        let slot = &mut table.buckets[idx];
        let next = slot.take();
        slot.insert(Box::new(Entry { key, value, next }))
    }

    /// Resizes to the smallest power of two >= `n` (at least 4), starting an
    /// incremental rehash if the dict already has a table. Returns `false`
    /// if skipped: rehashing in progress, `n` below the element count, same
    /// size, or absurd size / allocation failure. (Redis `dictExpand`.)
    pub fn expand(&mut self, n: usize) -> bool {
        if self.rehash_idx.is_some() || self.tables[0].used > n {
            return false;
        }
        let Some(size) = table_size_for(n) else {
            return false;
        };
        if size == self.tables[0].size() {
            return false;
        }
        let Some(buckets) = new_buckets(size) else {
            return false;
        };
        let table = Table { buckets, used: 0 };
        if self.tables[0].size() == 0 {
            self.tables[0] = table;
        } else {
            self.tables[1] = table;
            self.rehash_idx = Some(0);
        }
        true
    }

    /// Shrinks when less than 10% of the buckets are used (Redis
    /// `htNeedsResize` + `dictResize`); call from cron. Also frees any
    /// retired bucket array. Returns `true` if a shrink was started.
    pub fn shrink_if_needed(&mut self) -> bool {
        self.retired = None;
        let size = self.bucket_count();
        let used = self.len();
        if size <= INITIAL_SIZE || used.saturating_mul(100) / size >= MIN_FILL_PERCENT {
            return false;
        }
        if resize_policy() != ResizePolicy::Enable || self.rehash_idx.is_some() {
            return false;
        }
        self.expand(self.tables[0].used.max(INITIAL_SIZE))
    }

    /// Returns the value for `key` without doing rehash work (`&self`).
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.find_entry(self.hash(key), key).map(|e| &e.value)
    }

    /// Like [`get`](Self::get) but performs a rehash step first (Redis
    /// `dictFind`); use on hot read paths that can take `&mut`.
    pub fn find<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        self.find_entry(self.hash(key), key).map(|e| &e.value)
    }

    /// Returns the stored key and value for `key`.
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.find_entry(self.hash(key), key)
            .map(|e| (&e.key, &e.value))
    }

    /// Mutable access to the value for `key` (does a rehash step).
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = self.hash(key);
        self.find_entry_mut(h, key).map(|e| &mut e.value)
    }

    /// `true` if `key` is present.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key).is_some()
    }

    /// Inserts or replaces. On replace the stored key is kept and the old
    /// value returned (Redis `dictReplace`). Does a rehash step.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.rehash_step();
        let h = self.hash(&key);
        if let Some(e) = self.find_entry_mut(h, &key) {
            return Some(mem::replace(&mut e.value, value));
        }
        self.add_new(h, key, value);
        None
    }

    /// Inserts a key the caller knows is absent, skipping the duplicate
    /// search (checked with `debug_assert!`). Does a rehash step.
    pub fn insert_new(&mut self, key: K, value: V) {
        debug_assert!(!self.contains_key(&key), "insert_new: key already present");
        self.rehash_step();
        let h = self.hash(&key);
        self.add_new(h, key, value);
    }

    /// Returns the value for `key`, inserting `f()` first if absent (Redis
    /// `dictAddOrFind`). Does a rehash step.
    pub fn get_or_insert_with<F: FnOnce() -> V>(&mut self, key: K, f: F) -> &mut V {
        self.rehash_step();
        let h = self.hash(&key);
        if self.find_entry(h, &key).is_some() {
            match self.find_entry_mut(h, &key) {
                Some(e) => &mut e.value,
                None => unreachable!("entry found by shared lookup vanished"),
            }
        } else {
            &mut self.add_new(h, key, f()).value
        }
    }

    /// Removes `key`, returning the stored key and value. Never shrinks
    /// (see [`shrink_if_needed`](Self::shrink_if_needed)). Does a rehash step.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = self.hash(key);
        let ntables = if self.rehash_idx.is_some() { 2 } else { 1 };
        for table in &mut self.tables[..ntables] {
            if let Some(entry) = table.unlink(h, key) {
                table.used -= 1;
                let Entry { key, value, .. } = *entry;
                return Some((key, value));
            }
        }
        None
    }

    /// A random element with a fair distribution across chain lengths
    /// (Redis `dictGetFairRandomKey`: sample ~15 entries from a random
    /// spot, pick one; fall back to a random bucket). Does rehash steps.
    pub fn random_entry(&mut self) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        for _ in 0..FAIR_SAMPLE {
            if self.rehash_idx.is_none() {
                break;
            }
            self.rehash_step();
        }
        let mut rng = SplitMix(self.next_random());
        let mut sample: [Option<&Entry<K, V>>; FAIR_SAMPLE] = [None; FAIR_SAMPLE];
        let n = self.sample_into(&mut sample, &mut rng);
        let picked = if n > 0 {
            sample[rng.below(n)]
        } else {
            self.random_bucket_entry_ref(&mut rng)
        };
        picked.map(|e| (&e.key, &e.value))
    }

    /// A random element, cheaper but biased towards short chains (Redis
    /// `dictGetRandomKey`, used by `allkeys-random` eviction).
    pub fn random_bucket_entry(&mut self) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let mut rng = SplitMix(self.next_random());
        self.random_bucket_entry_ref(&mut rng)
            .map(|e| (&e.key, &e.value))
    }

    /// Up to `count` entries from a few random locations, possibly with
    /// duplicates when rehashing (Redis `dictGetSomeKeys`, used by
    /// eviction sampling). Does rehash work proportional to `count`.
    pub fn sample(&mut self, count: usize) -> Vec<(&K, &V)> {
        for _ in 0..count {
            if self.rehash_idx.is_none() {
                break;
            }
            self.rehash_step();
        }
        let mut rng = SplitMix(self.next_random());
        let mut out = vec![None; count.min(self.len())];
        let n = self.sample_into(&mut out, &mut rng);
        out.into_iter()
            .take(n)
            .flatten()
            .map(|e| (&e.key, &e.value))
            .collect()
    }
}

impl<'a, K, V> IntoIterator for &'a Dict<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut Dict<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

// ---------------------------------------------------------------------------
// Iterators.

type BucketIter<'a, K, V> = Chain<slice::Iter<'a, Link<K, V>>, slice::Iter<'a, Link<K, V>>>;
type BucketIterMut<'a, K, V> =
    Chain<slice::IterMut<'a, Link<K, V>>, slice::IterMut<'a, Link<K, V>>>;

/// A lookup's steps (see `prefetch_lookups`): the bucket, the chain's first
/// entry, then the key and value bytes that entry keeps apart. The first entry
/// is usually the one sought: chains average under one entry.
impl<K, V> StagedLookup for Dict<K, V>
where
    K: Hash + Eq + Borrow<[u8]> + HeapData,
    V: HeapData,
{
    fn stage_bucket(&self, key: &[u8]) -> u64 {
        let hash = self.hash(key);
        for t in self.live_tables() {
            if !t.buckets.is_empty() {
                prefetch_read(&t.buckets[hash as usize & t.mask()]);
            }
        }
        hash
    }

    fn stage_entry(&self, hash: u64) {
        for t in self.live_tables() {
            if let Some(e) = t.head(hash) {
                prefetch_read(e);
            }
        }
    }

    fn stage_data(&self, hash: u64) {
        for t in self.live_tables() {
            if let Some(e) = t.head(hash) {
                for p in [e.key.heap_data(), e.value.heap_data()]
                    .into_iter()
                    .flatten()
                {
                    prefetch_read(p);
                }
            }
        }
    }
}

/// Iterator over `(&K, &V)` of both tables; see [`Dict::iter`].
pub struct Iter<'a, K, V> {
    buckets: BucketIter<'a, K, V>,
    cur: Option<&'a Entry<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.cur {
                self.cur = e.next.as_deref();
                self.remaining -= 1;
                return Some((&e.key, &e.value));
            }
            if self.remaining == 0 {
                return None;
            }
            self.cur = self.buckets.next()?.as_deref();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}
impl<K, V> FusedIterator for Iter<'_, K, V> {}

/// Iterator over `(&K, &mut V)` of both tables; see [`Dict::iter_mut`].
pub struct IterMut<'a, K, V> {
    buckets: BucketIterMut<'a, K, V>,
    cur: Option<&'a mut Entry<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.cur.take() {
                let Entry { key, value, next } = e;
                self.cur = next.as_deref_mut();
                self.remaining -= 1;
                return Some((&*key, value));
            }
            if self.remaining == 0 {
                return None;
            }
            self.cur = self.buckets.next()?.as_deref_mut();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}
impl<K, V> FusedIterator for IterMut<'_, K, V> {}

// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn finish_rehash<K: Hash + Eq, V>(d: &mut Dict<K, V>) {
        while d.rehash_steps(1000) {}
    }

    #[test]
    fn insert_get_remove_survive_many_rehashes() {
        let mut d: Dict<u64, u64> = Dict::new();
        for i in 0..50_000u64 {
            assert_eq!(d.insert(i, i * 2), None);
            if i % 997 == 0 {
                for j in (0..=i).step_by(101) {
                    assert_eq!(d.get(&j), Some(&(j * 2)), "key {j} after {i} inserts");
                }
            }
        }
        assert_eq!(d.len(), 50_000);
        for i in (0..50_000u64).step_by(2) {
            assert_eq!(d.remove(&i), Some((i, i * 2)));
            assert_eq!(d.remove(&i), None);
        }
        assert_eq!(d.len(), 25_000);
        for i in 0..50_000u64 {
            assert_eq!(d.get(&i).copied(), (i % 2 == 1).then_some(i * 2));
        }
        // Delete down to a handful and shrink through several rehashes.
        for i in (1..50_000u64).step_by(2).skip(10) {
            assert!(d.remove(&i).is_some());
            if i % 1001 == 0 {
                d.shrink_if_needed();
            }
        }
        assert_eq!(d.len(), 10);
        while d.shrink_if_needed() || d.is_rehashing() {
            finish_rehash(&mut d);
        }
        assert_eq!(d.bucket_count(), 16);
        for i in (1..20u64).step_by(2) {
            assert_eq!(d.get(&i), Some(&(i * 2)));
            assert_eq!(d.get_mut(&i).map(|v| *v), Some(i * 2));
        }
    }

    #[test]
    fn replace_keeps_original_key_and_returns_old_value() {
        #[derive(Debug)]
        struct Tagged(u32, &'static str);
        impl PartialEq for Tagged {
            fn eq(&self, o: &Self) -> bool {
                self.0 == o.0
            }
        }
        impl Eq for Tagged {}
        impl Hash for Tagged {
            fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
                self.0.hash(h)
            }
        }
        let mut d = Dict::new();
        assert_eq!(d.insert(Tagged(1, "first"), 10), None);
        assert_eq!(d.insert(Tagged(1, "second"), 20), Some(10));
        let (k, v) = d
            .get_key_value(&Tagged(1, "probe"))
            .map(|(k, v)| (k.1, *v))
            .unwrap();
        assert_eq!((k, v), ("first", 20));
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn lookups_work_by_borrowed_form() {
        let mut d: Dict<Box<[u8]>, u32> = Dict::new();
        d.insert(b"hello".to_vec().into_boxed_slice(), 1);
        d.insert_new(b"world".to_vec().into_boxed_slice(), 2);
        assert_eq!(d.get(&b"hello"[..]), Some(&1));
        assert!(d.contains_key(&b"world"[..]));
        assert!(!d.contains_key(&b"nope"[..]));
        assert_eq!(d.find(&b"world"[..]), Some(&2));
        let (k, v) = d.remove(&b"hello"[..]).unwrap();
        assert_eq!((&*k, v), (&b"hello"[..], 1));
        let mut s: Dict<String, u32> = Dict::new();
        s.insert("a".to_string(), 1);
        assert_eq!(s.get("a"), Some(&1));
    }

    #[test]
    fn get_or_insert_with_inserts_once_then_finds() {
        let mut d: Dict<String, Vec<u32>> = Dict::new();
        d.get_or_insert_with("k".into(), Vec::new).push(1);
        d.get_or_insert_with("k".into(), || panic!("must not be called"))
            .push(2);
        assert_eq!(d.get("k"), Some(&vec![1, 2]));
        assert_eq!(d.len(), 1);
    }

    /// Runs a full scan; between calls `mutate(call_no, dict)` runs.
    fn scan_with<F: FnMut(usize, &mut Dict<u64, ()>)>(
        d: &mut Dict<u64, ()>,
        mut mutate: F,
    ) -> HashSet<u64> {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(*k);
            });
            if cursor == 0 {
                break;
            }
            calls += 1;
            assert!(calls < 10_000_000, "scan does not terminate");
            mutate(calls, d);
        }
        seen
    }

    #[test]
    fn scan_sees_every_stable_element_while_table_grows_to_100k() {
        for round in 0..5u64 {
            let base = round * 1_000_000_000;
            let mut d: Dict<u64, ()> = Dict::new();
            let stable: Vec<u64> = (0..12).map(|i| base + i).collect();
            for &k in &stable {
                d.insert(k, ());
            }
            finish_rehash(&mut d);
            assert_eq!(d.bucket_count(), 16);
            let mut next = base + 1000;
            let mut volatile = Vec::new();
            let mut grew_through_rehash = false;
            let seen = scan_with(&mut d, |call, d| {
                if d.len() < 100_000 {
                    let n = 64 + call as u64 * 16;
                    for _ in 0..n {
                        d.insert(next, ());
                        volatile.push(next);
                        next += 1;
                    }
                    // Churn: delete some of the non-stable keys too.
                    for _ in 0..n / 4 {
                        if let Some(k) = volatile.pop() {
                            d.remove(&k);
                        }
                    }
                }
                grew_through_rehash |= d.is_rehashing();
            });
            assert!(grew_through_rehash);
            assert!(d.len() >= 100_000, "table only grew to {}", d.len());
            for k in &stable {
                assert!(seen.contains(k), "round {round}: stable key {k} missed");
            }
        }
    }

    #[test]
    fn scan_sees_every_stable_element_while_table_shrinks() {
        for round in 0..3u64 {
            let mut d: Dict<u64, ()> = Dict::new();
            let total = 100_000u64;
            for i in 0..total {
                d.insert(i * 7 + round, ());
            }
            let stable: Vec<u64> = (0..total).step_by(500).map(|i| i * 7 + round).collect();
            let stable_set: HashSet<u64> = stable.iter().copied().collect();
            let mut victims: Vec<u64> = (0..total)
                .map(|i| i * 7 + round)
                .filter(|k| !stable_set.contains(k))
                .collect();
            let start_buckets = d.bucket_count();
            let mut min_buckets = start_buckets;
            let seen = scan_with(&mut d, |_, d| {
                for _ in 0..3000 {
                    if let Some(k) = victims.pop() {
                        d.remove(&k);
                    }
                }
                d.shrink_if_needed();
                d.rehash_steps(50);
                min_buckets = min_buckets.min(d.bucket_count());
            });
            assert!(
                min_buckets * 64 <= start_buckets,
                "did not shrink: {min_buckets}"
            );
            for k in &stable {
                assert!(seen.contains(k), "round {round}: stable key {k} missed");
            }
        }
    }

    #[test]
    fn scan_of_idle_table_reports_each_element_exactly_once() {
        let mut d: Dict<u64, ()> = Dict::new();
        for i in 0..1000 {
            d.insert(i, ());
        }
        finish_rehash(&mut d);
        let mut count = std::collections::HashMap::new();
        let mut cursor = 0;
        loop {
            cursor = d.scan(cursor, |k, _| *count.entry(*k).or_insert(0) += 1);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(count.len(), 1000);
        assert!(count.values().all(|&c| c == 1));
        assert_eq!(Dict::<u64, ()>::new().scan(0, |_, _| panic!()), 0);
    }

    #[test]
    fn random_entry_returns_only_present_keys_and_eventually_every_key() {
        let mut d: Dict<u64, u64> = Dict::new();
        assert!(d.random_entry().is_none());
        for i in 0..40 {
            d.insert(i, i + 100);
        }
        for i in 0..40 {
            if i % 3 == 0 {
                d.remove(&i);
            }
        }
        let present: HashSet<u64> = d.keys().copied().collect();
        let mut seen = HashSet::new();
        for _ in 0..20_000 {
            let (k, v) = d.random_entry().unwrap();
            assert!(present.contains(k));
            assert_eq!(*v, *k + 100);
            seen.insert(*k);
            let (k2, _) = d.random_bucket_entry().unwrap();
            assert!(present.contains(k2));
        }
        assert_eq!(seen, present);

        // Also while both tables are populated.
        assert!(d.expand(1024));
        d.rehash_steps(8);
        assert!(d.is_rehashing());
        let mut seen = HashSet::new();
        for _ in 0..20_000 {
            let (k, _) = d.random_entry().unwrap();
            assert!(present.contains(k));
            seen.insert(*k);
        }
        assert_eq!(seen, present);
        let sample: Vec<u64> = d.sample(10).into_iter().map(|(k, _)| *k).collect();
        // Sampling a sparse table may come back short (like Redis).
        assert!(sample.len() <= 10);
        assert!(sample.iter().all(|k| present.contains(k)));
        let mut dense: Dict<u64, ()> = Dict::new();
        for i in 0..1000 {
            dense.insert(i, ());
        }
        for _ in 0..100 {
            let s = dense.sample(5);
            assert_eq!(s.len(), 5);
            assert!(s.iter().all(|(k, _)| **k < 1000));
        }
    }

    #[test]
    fn rehash_progresses_by_bounded_steps_and_completes() {
        let mut d: Dict<u64, u64> = Dict::new();
        for i in 0..1000 {
            d.insert(i, i);
        }
        finish_rehash(&mut d);
        assert_eq!(d.bucket_count(), 1024);
        assert!(d.expand(4000));
        assert!(d.is_rehashing());
        assert_eq!(d.bucket_count(), 1024 + 4096);
        let mut steps = 0;
        while d.is_rehashing() {
            let (moved, visited) = (d.stat_moved, d.stat_visited);
            d.rehash_step();
            steps += 1;
            assert!(d.stat_visited - visited <= 11, "visited too many buckets");
            assert!(d.stat_moved - moved <= 16, "moved a huge chain");
            assert_eq!(d.len(), 1000);
            if steps % 100 == 0 {
                for i in (0..1000).step_by(37) {
                    assert_eq!(d.get(&i), Some(&i));
                }
            }
        }
        assert!(steps <= 1024, "took {steps} steps");
        assert_eq!(d.bucket_count(), 4096);
        assert!(d.tables[1].buckets.is_empty());
        for i in 0..1000 {
            assert_eq!(d.get(&i), Some(&i));
        }
    }

    #[test]
    fn rehash_for_micros_finishes_a_big_rehash() {
        let mut d: Dict<u64, ()> = Dict::new();
        for i in 0..100_000 {
            d.insert(i, ());
        }
        finish_rehash(&mut d);
        assert!(d.expand(1 << 20));
        let mut calls = 0;
        while d.rehash_for_micros(1000) {
            calls += 1;
            assert!(calls < 100_000);
        }
        assert!(!d.is_rehashing());
        assert_eq!(d.bucket_count(), 1 << 20);
        assert!(d.get(&99_999).is_some());
    }

    #[test]
    fn inserting_1m_entries_moves_a_bounded_number_per_insert() {
        let mut d: Dict<u64, ()> = Dict::new();
        let mut max_moved = 0;
        let mut max_visited = 0;
        let mut total_moved = 0;
        for i in 0..1_000_000u64 {
            let (m, v) = (d.stat_moved, d.stat_visited);
            d.insert(i, ());
            max_moved = max_moved.max(d.stat_moved - m);
            max_visited = max_visited.max(d.stat_visited - v);
            total_moved += d.stat_moved - m;
        }
        // One bucket per insert: its chain (load factor <= 1), plus at most
        // 10 empty buckets skipped.
        assert!(max_moved <= 16, "an insert moved {max_moved} entries");
        assert!(max_visited <= 11, "an insert visited {max_visited} buckets");
        assert!(
            total_moved > 1_000_000,
            "rehashing did not happen incrementally"
        );
        assert_eq!(d.len(), 1_000_000);
    }

    #[test]
    fn avoid_policy_defers_growth_until_ratio_5_and_pauses_small_rehash() {
        let mut d: Dict<u64, ()> = Dict::new();
        for i in 0..16 {
            d.insert(i, ());
        }
        finish_rehash(&mut d);
        let buckets = d.bucket_count();
        assert_eq!(buckets, 16);
        set_resize_allowed(false);
        for i in 16..(16 * 6) {
            d.insert(i, ());
        }
        assert_eq!(d.bucket_count(), 16, "grew while resize avoided");
        d.insert(1000, ());
        d.insert(1001, ());
        // 97 / 16 > 5: forced growth, and a >=5x rehash proceeds.
        assert!(d.bucket_count() > 16);
        finish_rehash(&mut d);
        assert!(!d.is_rehashing());
        // A normal 2x rehash started before the fork pauses under Avoid.
        set_resize_allowed(true);
        let n = d.len();
        assert!(d.expand(d.bucket_count() * 2));
        set_resize_allowed(false);
        assert!(!d.rehash_steps(10));
        assert!(d.is_rehashing());
        assert!(!d.shrink_if_needed());
        set_resize_policy(ResizePolicy::Forbid);
        for i in 5000..5100 {
            d.insert(i, ());
        }
        assert!(d.is_rehashing());
        set_resize_allowed(true);
        finish_rehash(&mut d);
        assert_eq!(d.len(), n + 100);
    }

    #[test]
    fn shrink_if_needed_shrinks_below_10_percent_fill() {
        let mut d: Dict<u64, ()> = Dict::new();
        for i in 0..1000 {
            d.insert(i, ());
        }
        finish_rehash(&mut d);
        assert_eq!(d.bucket_count(), 1024);
        for i in 0..897 {
            d.remove(&i);
        }
        assert!(!d.shrink_if_needed(), "103/1024 is not below 10%");
        d.remove(&897);
        assert!(d.shrink_if_needed(), "102/1024 is below 10%");
        assert!(d.is_rehashing());
        finish_rehash(&mut d);
        assert_eq!(d.bucket_count(), 128);
        assert_eq!(d.len(), 102);
        assert!(!d.shrink_if_needed());
    }

    #[test]
    fn stats_text_matches_redis_format() {
        let mut dist = [0; STATS_VECTLEN];
        dist[0] = 2;
        dist[1] = 1;
        dist[2] = 1;
        let t = TableStats {
            table_index: 0,
            table_size: 4,
            elements: 3,
            different_slots: 2,
            max_chain_len: 2,
            total_chain_len: 3,
            chain_len_distribution: dist,
        };
        let mut target = t.clone();
        target.table_index = 1;
        target.table_size = 8;
        let stats = DictStats {
            main: t,
            rehashing_target: Some(target),
        };
        let mut s = String::new();
        stats.write(&mut s, true);
        let expected = "Hash table 0 stats (main hash table):\n table size: 4\n number of elements: 3\n different slots: 2\n max chain length: 2\n avg chain length (counted): 1.50\n avg chain length (computed): 1.50\n Chain length distribution:\n   0: 2 (50.00%)\n   1: 1 (25.00%)\n   2: 1 (25.00%)\nHash table 1 stats (rehashing target):\n table size: 8\n number of elements: 3\n different slots: 2\n max chain length: 2\n avg chain length (counted): 1.50\n avg chain length (computed): 1.50\n Chain length distribution:\n   0: 2 (25.00%)\n   1: 1 (12.50%)\n   2: 1 (12.50%)\n";
        assert_eq!(s, expected);
        let mut s = String::new();
        stats.write(&mut s, false);
        assert_eq!(
            s,
            "Hash table 0 stats (main hash table):\n table size: 4\n number of elements: 3\nHash table 1 stats (rehashing target):\n table size: 8\n number of elements: 3\n"
        );

        let mut s = String::new();
        Dict::<u64, ()>::new().write_stats(&mut s, true);
        assert_eq!(
            s,
            "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n"
        );

        // Real dict: the computed numbers are consistent.
        let mut d: Dict<u64, ()> = Dict::new();
        for i in 0..3 {
            d.insert(i, ());
        }
        let st = d.stats();
        assert_eq!((st.main.table_size, st.main.elements), (4, 3));
        assert_eq!(st.main.total_chain_len, 3);
        assert_eq!(st.main.chain_len_distribution.iter().sum::<usize>(), 4);
        assert!(st.rehashing_target.is_none());
        let mut s = String::new();
        d.write_stats(&mut s, true);
        assert!(s.starts_with(
            "Hash table 0 stats (main hash table):\n table size: 4\n number of elements: 3\n different slots: "
        ));
        assert!(s.contains(" avg chain length (computed): "));
    }

    #[test]
    fn iterators_visit_every_entry_once_even_while_rehashing() {
        let mut d: Dict<u64, u64> = Dict::new();
        for i in 0..5000 {
            d.insert(i, i);
        }
        d.rehash_steps(3);
        assert!(d.is_rehashing() || d.expand(1 << 14));
        let keys: Vec<u64> = d.keys().copied().collect();
        assert_eq!(keys.len(), 5000);
        assert_eq!(keys.iter().copied().collect::<HashSet<_>>().len(), 5000);
        assert_eq!(d.iter().len(), 5000);
        for (k, v) in d.iter_mut() {
            *v = *k * 3;
        }
        assert!((&d).into_iter().all(|(k, v)| *v == k * 3));
        assert_eq!(d.values().sum::<u64>(), (0..5000).map(|k| k * 3).sum());
    }

    #[test]
    fn retain_removes_rejected_entries_and_keeps_counts() {
        let mut d: Dict<u64, u64> = Dict::new();
        for i in 0..3000 {
            d.insert(i, i);
        }
        d.retain(|k, v| {
            *v += 1;
            k % 3 == 0
        });
        assert_eq!(d.len(), 1000);
        assert_eq!(d.iter().count(), 1000);
        assert_eq!(d.get(&3), Some(&4));
        assert!(d.get(&4).is_none());
        // A panicking predicate leaves the count consistent.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            d.retain(|k, _| {
                assert!(*k != 1500, "boom");
                k % 2 == 0
            })
        }));
        assert!(r.is_err());
        assert_eq!(d.len(), d.iter().count());
    }

    #[test]
    fn big_rehash_retires_old_array_for_off_thread_free() {
        let mut d: Dict<u64, ()> = Dict::new();
        let mut retired = None;
        for i in 0..70_000u64 {
            d.insert(i, ());
            if let Some(r) = d.take_retired() {
                retired = Some(r);
            }
        }
        let r = retired.expect("a 32k-bucket table was retired");
        assert!(r.bytes() >= RETIRE_MIN_BUCKETS * 8);
        std::thread::spawn(move || drop(r)).join().unwrap();
        // rehash_for_micros / shrink_if_needed free untaken ones.
        finish_rehash(&mut d);
        d.shrink_if_needed();
        assert!(d.take_retired().is_none());
    }

    #[test]
    fn dropping_or_clearing_very_long_chains_does_not_overflow_the_stack() {
        fn long_chain_dict(n: u64) -> Dict<u64, u64> {
            let mut d: Dict<u64, u64> = Dict::new();
            d.insert(0, 0);
            let mut head = d.tables[0].buckets[0].take();
            for i in 1..n {
                head = Some(Box::new(Entry {
                    key: i,
                    value: i,
                    next: head,
                }));
            }
            d.tables[0].buckets[0] = head;
            d.tables[0].used = n as usize;
            d
        }
        drop(long_chain_dict(1_000_000));
        let mut d = long_chain_dict(1_000_000);
        // Key 0 lands in bucket 0 or elsewhere depending on the random hash seed.
        assert!((999_999..=1_000_000).contains(&d.stats().main.max_chain_len));
        d.clear();
        assert!(d.is_empty());
        assert_eq!(d.bucket_count(), 0);
        d.insert(1, 1);
        assert_eq!(d.get(&1), Some(&1));
    }

    #[test]
    fn mem_overhead_tracks_entries_and_buckets() {
        let mut d: Dict<u64, u64> = Dict::new();
        assert_eq!(d.mem_overhead(), 0);
        for i in 0..100 {
            d.insert(i, i);
        }
        finish_rehash(&mut d);
        assert_eq!(
            d.mem_overhead(),
            100 * mem::size_of::<Entry<u64, u64>>() + 128 * 8
        );
        let w: Dict<u64, u64> = Dict::with_capacity(1000);
        assert_eq!(w.bucket_count(), 1024);
    }
}
