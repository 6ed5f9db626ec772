//! Software prefetch: asking the CPU to start loading a cache line that a
//! pointer-chasing walk (a dict chain, a skiplist level) will need a little
//! later, so its miss overlaps other work instead of stalling it; and
//! `prefetch_lookups`, which does that for a batch of hash lookups at once.

/// Starts loading the cache line at `p` into every cache level. Only a hint: it
/// reads nothing the program sees and cannot fault, so any address will do.
#[inline(always)]
pub fn prefetch_read<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 never faults and has no architectural effect.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A hashed lookup structure (a dict, a sorted set's member index) whose
/// lookups can be prefetched a link at a time, for `prefetch_lookups`. Each
/// step only issues hints; none may change what the structure holds.
pub trait StagedLookup {
    /// Hashes `key` and starts loading the bucket(s) it falls in; returns the hash.
    fn stage_bucket(&self, key: &[u8]) -> u64;
    /// Starts loading the first entry of each chain `hash` falls in (its
    /// bucket was asked for by `stage_bucket`).
    fn stage_entry(&self, hash: u64);
    /// Starts loading what that first entry points to: the bytes of its key
    /// and value when they are kept apart from the entry.
    fn stage_data(&self, hash: u64);
}

/// Most lookups one `prefetch_lookups` call takes; the rest are left out.
pub const LOOKUP_BATCH: usize = 16;

/// Starts loading what a batch of lookups about to run will touch (the keys of
/// a client's pipeline, or the fields its commands name in one big hash). Each
/// lookup is a chain of dependent cache misses (bucket, entry, key bytes) that
/// would otherwise be paid one after another, lookup after lookup. Here the
/// batch goes through the chain one link at a time, asking for that link for
/// every lookup before reading it for any, so the misses of different lookups
/// overlap (Valkey 8 does the same for the keys of the commands its I/O
/// threads parsed). A key that is not there costs a hash and a few loads.
/// `lookup(i)` gives the structure and key of lookup `i`, for `i` below
/// `count` (at most `LOOKUP_BATCH` are taken).
pub fn prefetch_lookups<'a, T: StagedLookup + ?Sized + 'a>(
    count: usize,
    lookup: impl Fn(usize) -> (&'a T, &'a [u8]),
) {
    let count = count.min(LOOKUP_BATCH);
    let mut hashes = [0u64; LOOKUP_BATCH];
    for (i, h) in hashes[..count].iter_mut().enumerate() {
        let (t, key) = lookup(i);
        *h = t.stage_bucket(key);
    }
    for (i, h) in hashes[..count].iter().enumerate() {
        lookup(i).0.stage_entry(*h);
    }
    for (i, h) in hashes[..count].iter().enumerate() {
        lookup(i).0.stage_data(*h);
    }
}

/// Where a dict's key or value keeps bytes apart from the dict entry, for
/// `StagedLookup::stage_data`.
pub trait HeapData {
    /// The start of those bytes; `None` when everything is in the entry.
    fn heap_data(&self) -> Option<*const u8>;
}

impl HeapData for () {
    fn heap_data(&self) -> Option<*const u8> {
        None
    }
}

impl HeapData for Box<[u8]> {
    fn heap_data(&self) -> Option<*const u8> {
        (!self.is_empty()).then_some(self.as_ptr())
    }
}
