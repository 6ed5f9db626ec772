//! Hash shapes: one copy of a field list, shared by every small hash that has
//! exactly those fields in that order.
//!
//! Datasets tend to hold many hashes of one kind (`user:1`, `user:2`, ...)
//! with the same field names. A listpack repeats the names in every hash. A
//! *shaped* hash keeps only its values, each with a one-byte length, behind
//! the 4-byte id of its shape (the interned field list). For five short fields
//! that is about 80 bytes instead of the listpack's 128. Clients still see a
//! listpack hash: OBJECT ENCODING, DEBUG LISTPACK, RDB and DUMP get one built
//! on the fly. `hash.rs` decides when a hash takes or leaves this form.
//!
//! Who touches what:
//! - A field list is interned by the thread that settles the hash (the event
//!   loop; in unit tests, each test's thread), through that thread's
//!   [`Interner`]. A list becomes a shape only once it has been seen
//!   [`SHAPE_AFTER_SIGHTINGS`] times, so hashes whose fields are one-offs stay
//!   listpacks and do not fill the table.
//! - Shapes live in slots that never move and are never freed, so a shaped
//!   hash dropped on the lazyfree thread releases its shape with one atomic
//!   decrement and touches nothing else. When all [`MAX_SHAPES`] slots are
//!   taken, the interning thread reuses its slots no hash refers to any more.
//!
//! The table costs nothing until the first shape; at most 64 chunks of 1024
//! slots (32 KiB each) plus the field lists. Slots a finished thread made are
//! not reused (only unit tests' threads finish before the process does).

use std::alloc::{self, Layout};
use std::cell::{RefCell, UnsafeCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use crate::types::listpack::Listpack;

/// Hashes with more fields stay listpacks (each lookup walks the fields).
pub const MAX_FIELDS: usize = 32;
/// Fields and values are stored with a one-byte length.
const MAX_ENTRY_LEN: usize = u8::MAX as usize;
const CHUNK_SLOTS: usize = 1024;
const MAX_CHUNKS: usize = 64;
/// How many shapes may exist at once.
pub const MAX_SHAPES: u32 = (CHUNK_SLOTS * MAX_CHUNKS) as u32;
/// Sightings of a field list, in listpack hashes, before it becomes a shape.
pub const SHAPE_AFTER_SIGHTINGS: u32 = 8;
const SIGHTING_SLOTS: usize = 4096;
/// With the table full and nothing free, interning attempts between sweeps
/// for slots no hash uses.
const SWEEP_EVERY: u32 = 1024;
/// A shaped hash's allocation starts with its shape id; 4-byte alignment
/// also leaves the low bits of its address free for `hash.rs` to tag.
const ID_BYTES: usize = 4;
const BLOB_ALIGN: usize = 4;

// ---- the slot table ------------------------------------------------------------

/// One shape: the field list and how many shaped hashes use it.
#[derive(Default)]
struct Slot {
    refs: AtomicU32,
    /// `[len: u8][bytes]` per field, in hash order.
    fields: UnsafeCell<Box<[u8]>>,
    count: UnsafeCell<usize>,
}

// SAFETY: `fields` and `count` are written only by the slot's interning thread,
// and only while `refs` is 0 after an Acquire load (no hash refers to the slot);
// every other access is a read by a thread holding a reference, whose final
// decrement is a Release. So writes and reads never overlap.
unsafe impl Sync for Slot {}

impl Slot {
    /// The field list.
    ///
    /// # Safety
    /// The caller holds a reference to the shape, or is its interning thread.
    unsafe fn fields(&self) -> &[u8] {
        // SAFETY: per the contract, no write can be in progress.
        unsafe { &*self.fields.get() }
    }

    /// The number of fields.
    ///
    /// # Safety
    /// As for [`Slot::fields`].
    unsafe fn count(&self) -> usize {
        // SAFETY: as above.
        unsafe { *self.count.get() }
    }
}

static CHUNKS: [AtomicPtr<Slot>; MAX_CHUNKS] =
    [const { AtomicPtr::new(ptr::null_mut()) }; MAX_CHUNKS];
static NEXT_ID: AtomicU32 = AtomicU32::new(0);

fn slot(id: u32) -> &'static Slot {
    let chunk = CHUNKS[id as usize / CHUNK_SLOTS].load(Ordering::Acquire);
    assert!(!chunk.is_null(), "shape {id} has no slot");
    // SAFETY: the chunk holds CHUNK_SLOTS slots and is never freed.
    unsafe { &*chunk.add(id as usize % CHUNK_SLOTS) }
}

/// Makes sure chunk `i` exists (any thread may get there first).
fn install_chunk(i: usize) {
    if !CHUNKS[i].load(Ordering::Acquire).is_null() {
        return;
    }
    let chunk: Box<[Slot]> = (0..CHUNK_SLOTS).map(|_| Slot::default()).collect();
    let p = Box::into_raw(chunk).cast::<Slot>();
    if CHUNKS[i]
        .compare_exchange(ptr::null_mut(), p, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        // SAFETY: `p` came from Box::into_raw just above and was not published.
        drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, CHUNK_SLOTS)) });
    }
}

// ---- interning -----------------------------------------------------------------

/// A 64-bit hash of a field list (lengths and bytes).
struct ListHash(u64);

impl ListHash {
    fn add(&mut self, b: &[u8]) {
        self.word(b.len() as u64);
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        let mut w = [0u8; 8];
        w[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.word(u64::from_le_bytes(w));
    }

    fn word(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    /// Spreads the bits (murmur3's finalizer), as both ends are used.
    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}

/// Keys of `by_list` are already hashes.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// True when the encoded field list equals the fields of `lp`'s pairs.
fn fields_match(mut encoded: &[u8], lp: &Listpack) -> bool {
    let mut it = lp.iter();
    while let (Some(f), Some(_)) = (it.next(), it.next()) {
        let Some((&len, rest)) = encoded.split_first() else {
            return false;
        };
        let len = len as usize;
        if rest.len() < len || !f.with_bytes(|b| b == &rest[..len]) {
            return false;
        }
        encoded = &rest[len..];
    }
    encoded.is_empty()
}

/// The field list of `lp`'s pairs as a slot stores it.
fn encode_fields(lp: &Listpack) -> Box<[u8]> {
    let mut out = Vec::new();
    let mut it = lp.iter();
    while let (Some(f), Some(_)) = (it.next(), it.next()) {
        f.with_bytes(|b| {
            out.push(b.len() as u8);
            out.extend_from_slice(b);
        });
    }
    out.into_boxed_slice()
}

/// One thread's index of the shapes it made.
struct Interner {
    /// List hash → shape id. A second list with the same hash is not shaped.
    by_list: HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>,
    /// The ids this thread made, with their list hash.
    owned: Vec<(u32, u64)>,
    /// Ids swept free, for reuse.
    free: Vec<u32>,
    /// Recent field lists: `tag << 8 | count` per slot, the tag being the
    /// hash's top 24 bits. A different list sighted in a busy slot wears its
    /// count down before taking it over, so a list seen often keeps its count.
    sightings: Box<[u32]>,
    /// Attempts left before the next sweep of a full table.
    sweep_countdown: u32,
}

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner {
        by_list: HashMap::default(),
        owned: Vec::new(),
        free: Vec::new(),
        sightings: vec![0; SIGHTING_SLOTS].into_boxed_slice(),
        sweep_countdown: 0,
    });
}

impl Interner {
    /// A reference to the shape of `lp`'s fields (hash `list`, `count`
    /// fields), made if the list has been seen often enough; `None` when it
    /// should stay a listpack.
    fn acquire(&mut self, list: u64, lp: &Listpack, count: usize) -> Option<u32> {
        if let Some(&id) = self.by_list.get(&list) {
            let s = slot(id);
            // SAFETY: this thread interned `id`, so only it writes the slot.
            let same = unsafe { s.count() == count && fields_match(s.fields(), lp) };
            if !same {
                return None;
            }
            // Going from 0 to 1 is safe here: only this thread does that,
            // and only it would reuse the slot.
            s.refs.fetch_add(1, Ordering::Relaxed);
            return Some(id);
        }
        if !self.sighted_enough(list) {
            return None;
        }
        let id = self.allocate()?;
        let s = slot(id);
        // SAFETY: `id` is new or was swept with refs at 0 (Acquire) and out of
        // `by_list`: no hash can reach the slot, and this thread owns it.
        unsafe {
            *s.fields.get() = encode_fields(lp);
            *s.count.get() = count;
        }
        s.refs.store(1, Ordering::Release);
        self.by_list.insert(list, id);
        self.owned.push((id, list));
        Some(id)
    }

    /// Counts a sighting of `list`; true once it has been seen often enough.
    fn sighted_enough(&mut self, list: u64) -> bool {
        let i = list as usize % SIGHTING_SLOTS;
        let tag = (list >> 40) as u32;
        let entry = self.sightings[i];
        let (entry_tag, n) = (entry >> 8, entry & 0xff);
        let n = if entry_tag == tag {
            (n + 1).min(0xff)
        } else if n > 1 {
            self.sightings[i] = entry - 1;
            return false;
        } else {
            1
        };
        self.sightings[i] = tag << 8 | n;
        n >= SHAPE_AFTER_SIGHTINGS
    }

    /// A free id: reused, new, or found by a sweep (at most every
    /// SWEEP_EVERY attempts once the table is full).
    fn allocate(&mut self) -> Option<u32> {
        if let Some(id) = self.free.pop() {
            return Some(id);
        }
        let next = NEXT_ID.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (n < MAX_SHAPES).then_some(n + 1)
        });
        if let Ok(id) = next {
            install_chunk(id as usize / CHUNK_SLOTS);
            return Some(id);
        }
        if self.sweep_countdown > 0 {
            self.sweep_countdown -= 1;
            return None;
        }
        self.sweep_countdown = SWEEP_EVERY;
        self.sweep();
        self.free.pop()
    }

    /// Frees the slots of this thread's shapes that no hash uses.
    fn sweep(&mut self) {
        let (by_list, free) = (&mut self.by_list, &mut self.free);
        self.owned.retain(|&(id, list)| {
            let s = slot(id);
            if s.refs.load(Ordering::Acquire) != 0 {
                return true;
            }
            by_list.remove(&list);
            // SAFETY: refs is 0 (Acquire) and only this thread could raise it.
            unsafe { *s.fields.get() = Box::default() };
            free.push(id);
            false
        });
    }
}

// ---- shaped hashes ---------------------------------------------------------------

/// A hash's values behind its shape: one allocation of
/// `[shape id: u32][len: u8, value bytes]...`, 4-byte aligned.
pub struct Shaped {
    ptr: NonNull<u8>,
}

// SAFETY: a Shaped owns its allocation; its shape's slot is shared through
// atomics (see `Slot`).
unsafe impl Send for Shaped {}
// SAFETY: shared access only reads.
unsafe impl Sync for Shaped {}

/// A borrowed shaped hash.
#[derive(Clone, Copy)]
pub struct ShapedRef<'a> {
    ptr: NonNull<u8>,
    _owner: PhantomData<&'a Shaped>,
}

fn blob_layout(size: usize) -> Layout {
    Layout::from_size_align(size, BLOB_ALIGN).expect("a shaped hash is at most 8 KiB")
}

/// A new, uninitialized blob of `size` bytes (at least the id).
fn alloc_blob(size: usize) -> NonNull<u8> {
    let layout = blob_layout(size);
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { alloc::alloc(layout) };
    NonNull::new(p).unwrap_or_else(|| alloc::handle_alloc_error(layout))
}

impl Shaped {
    /// The shaped form of a listpack of field/value pairs, when every entry
    /// fits a one-byte length and the field list is (or now becomes) a shape.
    pub fn from_listpack(lp: &Listpack) -> Option<Shaped> {
        let count = lp.len() / 2;
        if count == 0 || count > MAX_FIELDS || !lp.len().is_multiple_of(2) {
            return None;
        }
        let mut list = ListHash(0);
        let mut size = ID_BYTES;
        let mut it = lp.iter();
        while let (Some(f), Some(v)) = (it.next(), it.next()) {
            if f.len() > MAX_ENTRY_LEN || v.len() > MAX_ENTRY_LEN {
                return None;
            }
            f.with_bytes(|b| list.add(b));
            size += 1 + v.len();
        }
        let id = INTERNER.with(|i| i.borrow_mut().acquire(list.finish(), lp, count))?;
        let ptr = alloc_blob(size);
        let mut at = 0;
        let mut put = |b: &[u8]| {
            assert!(at + b.len() <= size, "values changed size");
            // SAFETY: in bounds of the `size`-byte allocation (checked above).
            unsafe { ptr::copy_nonoverlapping(b.as_ptr(), ptr.as_ptr().add(at), b.len()) };
            at += b.len();
        };
        put(&id.to_ne_bytes());
        let mut it = lp.iter();
        while let (Some(_), Some(v)) = (it.next(), it.next()) {
            v.with_bytes(|b| {
                put(&[b.len() as u8]);
                put(b);
            });
        }
        Some(Shaped { ptr })
    }

    /// Sets an existing field's value in place (same shape), when the new
    /// value fits a one-byte length; false, changing nothing, otherwise.
    pub fn set_existing(&mut self, field: &[u8], value: &[u8]) -> bool {
        if value.len() > MAX_ENTRY_LEN {
            return false;
        }
        let r = self.as_ref();
        let Some(at) = r.value_offset(field) else {
            return false;
        };
        let blob = r.blob();
        let old_len = usize::from(blob[at]);
        if old_len == value.len() {
            // SAFETY: `at + 1 .. at + 1 + old_len` is inside this allocation,
            // which `&mut self` owns exclusively.
            unsafe {
                ptr::copy_nonoverlapping(value.as_ptr(), self.ptr.as_ptr().add(at + 1), old_len)
            };
            return true;
        }
        let size = blob.len() - old_len + value.len();
        let ptr = alloc_blob(size);
        let tail = &blob[at + 1 + old_len..];
        // SAFETY: the three pieces add up to `size` bytes of the fresh
        // allocation; the old blob keeps the shape reference's id.
        unsafe {
            let dst = ptr.as_ptr();
            ptr::copy_nonoverlapping(blob.as_ptr(), dst, at);
            *dst.add(at) = value.len() as u8;
            ptr::copy_nonoverlapping(value.as_ptr(), dst.add(at + 1), value.len());
            ptr::copy_nonoverlapping(tail.as_ptr(), dst.add(at + 1 + value.len()), tail.len());
        }
        let old_size = blob.len();
        // SAFETY: the old blob, allocated by `alloc_blob` with this layout;
        // the new one takes over its shape reference.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), blob_layout(old_size)) };
        self.ptr = ptr;
        true
    }

    pub fn as_ref(&self) -> ShapedRef<'_> {
        ShapedRef {
            ptr: self.ptr,
            _owner: PhantomData,
        }
    }

    /// Gives up the allocation, 4-byte aligned (for pointer tagging).
    pub fn into_raw(self) -> NonNull<u8> {
        let p = self.ptr;
        std::mem::forget(self);
        p
    }

    /// Takes back what [`Shaped::into_raw`] gave.
    ///
    /// # Safety
    /// `p` came from `into_raw` and is not used again.
    pub unsafe fn from_raw(p: NonNull<u8>) -> Shaped {
        Shaped { ptr: p }
    }
}

impl Clone for Shaped {
    fn clone(&self) -> Shaped {
        self.as_ref().to_shaped()
    }
}

impl Drop for Shaped {
    fn drop(&mut self) {
        let r = self.as_ref();
        let (id, size) = (r.id(), r.blob().len());
        // SAFETY: allocated by `alloc_blob` with this layout.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), blob_layout(size)) };
        // Last: the slot may be reused once this reaches 0.
        slot(id).refs.fetch_sub(1, Ordering::Release);
    }
}

impl std::fmt::Debug for Shaped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.as_ref().iter()).finish()
    }
}

impl<'a> ShapedRef<'a> {
    /// Borrows what [`Shaped::into_raw`] gave.
    ///
    /// # Safety
    /// `p` came from `into_raw`, and the `Shaped` it stands for outlives `'a`.
    pub unsafe fn from_raw(p: NonNull<u8>) -> ShapedRef<'a> {
        ShapedRef {
            ptr: p,
            _owner: PhantomData,
        }
    }

    /// A copy that owns its allocation and its own shape reference.
    pub fn to_shaped(self) -> Shaped {
        slot(self.id()).refs.fetch_add(1, Ordering::Relaxed);
        let blob = self.blob();
        let ptr = alloc_blob(blob.len());
        // SAFETY: a fresh allocation of `blob.len()` bytes.
        unsafe { ptr::copy_nonoverlapping(blob.as_ptr(), ptr.as_ptr(), blob.len()) };
        Shaped { ptr }
    }

    fn id(self) -> u32 {
        // SAFETY: every blob starts with its id, 4-byte aligned.
        unsafe { self.ptr.cast::<u32>().read() }
    }

    /// The field list this hash holds a reference to.
    fn fields(self) -> &'a [u8] {
        // SAFETY: the hash holds a reference to its shape for as long as 'a.
        unsafe { slot(self.id()).fields() }
    }

    /// Number of fields.
    pub fn len(self) -> usize {
        // SAFETY: as in `fields`.
        unsafe { slot(self.id()).count() }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The whole allocation.
    fn blob(self) -> &'a [u8] {
        let n = self.len();
        let base = self.ptr.as_ptr();
        let mut size = ID_BYTES;
        for _ in 0..n {
            // SAFETY: the blob holds `n` length-prefixed values after the id.
            size += 1 + usize::from(unsafe { *base.add(size) });
        }
        // SAFETY: `size` bytes from `base` are the allocation, alive for 'a.
        unsafe { std::slice::from_raw_parts(base, size) }
    }

    /// Bytes allocated (the shape is shared and not counted).
    pub fn heap_size(self) -> usize {
        self.blob().len()
    }

    /// Field/value pairs in hash order.
    pub fn iter(self) -> ShapedIter<'a> {
        ShapedIter {
            fields: self.fields(),
            values: &self.blob()[ID_BYTES..],
            left: self.len(),
        }
    }

    /// Where `field`'s value (its length byte) sits in the blob.
    fn value_offset(self, field: &[u8]) -> Option<usize> {
        let blob = self.blob();
        let mut at = ID_BYTES;
        let mut fields = self.fields();
        for _ in 0..self.len() {
            let (f, rest) = split_entry(fields);
            if f == field {
                return Some(at);
            }
            fields = rest;
            at += 1 + usize::from(blob[at]);
        }
        None
    }

    /// The value of `field`.
    pub fn get(self, field: &[u8]) -> Option<&'a [u8]> {
        self.iter().find(|&(f, _)| f == field).map(|(_, v)| v)
    }

    /// The listpack this hash stands for.
    pub fn to_listpack(self) -> Listpack {
        let mut lp = Listpack::new();
        for (f, v) in self.iter() {
            lp.push_back(f);
            lp.push_back(v);
        }
        lp
    }
}

/// Field/value pairs of a shaped hash.
pub struct ShapedIter<'a> {
    fields: &'a [u8],
    values: &'a [u8],
    left: usize,
}

/// Splits one `[len][bytes]` entry off the front.
fn split_entry(b: &[u8]) -> (&[u8], &[u8]) {
    let len = usize::from(b[0]);
    (&b[1..1 + len], &b[1 + len..])
}

impl<'a> Iterator for ShapedIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let (f, fields) = split_entry(self.fields);
        let (v, values) = split_entry(self.values);
        (self.fields, self.values) = (fields, values);
        Some((f, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for ShapedIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::listpack::LpValue;

    fn listpack(pairs: &[(&[u8], &[u8])]) -> Listpack {
        let mut lp = Listpack::new();
        for (f, v) in pairs {
            lp.push_back(f);
            lp.push_back(v);
        }
        lp
    }

    /// Sights `lp`'s field list until it becomes a shape.
    fn shaped(lp: &Listpack) -> Shaped {
        for _ in 0..SHAPE_AFTER_SIGHTINGS * 2 {
            if let Some(s) = Shaped::from_listpack(lp) {
                return s;
            }
        }
        panic!("never shaped")
    }

    fn refs(s: &Shaped) -> u32 {
        slot(s.as_ref().id()).refs.load(Ordering::Relaxed)
    }

    #[test]
    fn a_field_list_becomes_a_shape_only_after_repeated_sightings() {
        let lp = listpack(&[(b"sighted-a", b"1"), (b"sighted-b", b"2")]);
        for _ in 1..SHAPE_AFTER_SIGHTINGS {
            assert!(Shaped::from_listpack(&lp).is_none());
        }
        let s = Shaped::from_listpack(&lp).expect("shaped on the last sighting");
        assert_eq!(s.as_ref().len(), 2);
        // From then on every hash with those fields is shaped at once.
        let other = listpack(&[(b"sighted-a", b"x"), (b"sighted-b", b"y")]);
        let t = Shaped::from_listpack(&other).expect("existing shape");
        assert_eq!(s.as_ref().id(), t.as_ref().id());
        assert_eq!(refs(&s), 2);
        drop(t);
        assert_eq!(refs(&s), 1);
    }

    #[test]
    fn shaped_hash_reads_back_its_pairs_in_order_and_as_a_listpack() {
        let lp = listpack(&[
            (b"name", b"ann"),
            (b"age", b"42"),
            (b"empty", b""),
            (b"7", b"-3"),
        ]);
        let s = shaped(&lp);
        let r = s.as_ref();
        let pairs: Vec<(&[u8], &[u8])> = r.iter().collect();
        let want: Vec<(&[u8], &[u8])> = vec![
            (b"name", b"ann"),
            (b"age", b"42"),
            (b"empty", b""),
            (b"7", b"-3"),
        ];
        assert_eq!(pairs, want);
        assert_eq!(r.get(b"age"), Some(&b"42"[..]));
        assert_eq!(r.get(b"7"), Some(&b"-3"[..]));
        assert_eq!(r.get(b"ann"), None);
        assert_eq!(r.to_listpack().as_bytes(), lp.as_bytes());
        assert_eq!(r.heap_size(), 4 + 4 + 3 + 1 + 3);
    }

    #[test]
    fn order_matters_and_long_or_many_entries_stay_listpacks() {
        let ab = shaped(&listpack(&[(b"order-a", b"1"), (b"order-b", b"2")]));
        let ba = shaped(&listpack(&[(b"order-b", b"2"), (b"order-a", b"1")]));
        assert_ne!(ab.as_ref().id(), ba.as_ref().id());

        let long = [b'v'; 256];
        let lp = listpack(&[(b"long", &long)]);
        for _ in 0..SHAPE_AFTER_SIGHTINGS * 2 {
            assert!(Shaped::from_listpack(&lp).is_none());
        }
        let mut lp = Listpack::new();
        for i in 0..=MAX_FIELDS {
            lp.push_back(format!("many{i}").as_bytes());
            lp.push_back(b"v");
        }
        for _ in 0..SHAPE_AFTER_SIGHTINGS * 2 {
            assert!(Shaped::from_listpack(&lp).is_none());
        }
        assert!(Shaped::from_listpack(&Listpack::new()).is_none());
    }

    #[test]
    fn set_existing_replaces_a_value_in_any_size_and_nothing_else() {
        let mut s = shaped(&listpack(&[
            (b"se-a", b"1"),
            (b"se-b", b"22"),
            (b"se-c", b""),
        ]));
        let before = refs(&s);
        assert!(s.set_existing(b"se-b", b"33"));
        assert!(s.set_existing(b"se-a", b"longer"));
        assert!(s.set_existing(b"se-c", b"x"));
        assert!(s.set_existing(b"se-b", b""));
        assert!(!s.set_existing(b"se-d", b"v"));
        assert!(!s.set_existing(b"se-a", &[b'v'; 256]));
        let pairs: Vec<(&[u8], &[u8])> = s.as_ref().iter().collect();
        let want: Vec<(&[u8], &[u8])> = vec![(b"se-a", b"longer"), (b"se-b", b""), (b"se-c", b"x")];
        assert_eq!(pairs, want);
        assert_eq!(s.as_ref().heap_size(), 4 + 7 + 1 + 2);
        assert_eq!(refs(&s), before);
    }

    #[test]
    fn clone_takes_a_reference_and_copies_the_values() {
        let s = shaped(&listpack(&[(b"clone-f", b"v1")]));
        let c = s.clone();
        assert_eq!(refs(&s), 2);
        assert_eq!(c.as_ref().get(b"clone-f"), Some(&b"v1"[..]));
        assert_ne!(s.as_ref().ptr, c.as_ref().ptr);
        drop(s);
        assert_eq!(refs(&c), 1);
    }

    #[test]
    fn dropping_on_another_thread_releases_the_shape() {
        let s = shaped(&listpack(&[(b"thread-f", b"v")]));
        let id = s.as_ref().id();
        let keep = s.clone();
        std::thread::spawn(move || drop(s)).join().unwrap();
        assert_eq!(slot(id).refs.load(Ordering::Acquire), 1);
        drop(keep);
        assert_eq!(slot(id).refs.load(Ordering::Acquire), 0);
    }

    #[test]
    fn a_sweep_frees_unused_shapes_for_reuse_and_forgets_their_lists() {
        let lp = listpack(&[(b"sweep-f", b"v")]);
        let s = shaped(&lp);
        let id = s.as_ref().id();
        drop(s);
        INTERNER.with(|i| {
            let mut i = i.borrow_mut();
            i.sweep();
            assert!(i.free.contains(&id));
            assert!(!i.owned.iter().any(|&(o, _)| o == id));
            assert!(!i.by_list.values().any(|&o| o == id));
        });
        // The list is still sighted often, so it is shaped again, in the freed slot.
        let again = shaped(&lp);
        assert_eq!(again.as_ref().id(), id);
        assert_eq!(refs(&again), 1);
    }

    #[test]
    fn integer_entries_are_kept_as_their_decimal_text() {
        let mut lp = Listpack::new();
        lp.push_back(b"12");
        lp.push_back(b"-9000000000");
        assert!(matches!(lp.get(0), Some(LpValue::Int(12))));
        let s = shaped(&lp);
        assert_eq!(s.as_ref().get(b"12"), Some(&b"-9000000000"[..]));
    }

    #[test]
    fn a_busy_sighting_slot_is_worn_down_before_it_changes_hands() {
        let mut i = Interner {
            by_list: HashMap::default(),
            owned: Vec::new(),
            free: Vec::new(),
            sightings: vec![0; SIGHTING_SLOTS].into_boxed_slice(),
            sweep_countdown: 0,
        };
        let a = 5u64 | 1 << 40;
        let b = 5u64 | 2 << 40;
        for _ in 0..3 {
            assert!(!i.sighted_enough(a));
        }
        // b shares a's slot: it takes two sightings to wear a down to 1,
        // then takes the slot.
        assert!(!i.sighted_enough(b));
        assert!(!i.sighted_enough(b));
        assert_eq!(i.sightings[5] >> 8, 1);
        assert!(!i.sighted_enough(b));
        assert_eq!(i.sightings[5], 2 << 8 | 1);
    }
}
