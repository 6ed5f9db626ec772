//! [`ByteBuf`]: a growable byte buffer in 16 bytes, for the compact encodings.
//!
//! A `Vec<u8>` is 24 bytes (pointer, length, capacity as `usize`). Listpacks and
//! intsets sit inside a key's value, and every value of every key is as big as
//! the biggest variant, so those 8 bytes are paid per key, twice over in the
//! keyspace's dict entries. Their own headers store sizes as u32 (a listpack or
//! an intset is at most 4 GiB by format), so a length and a capacity of 32 bits
//! each lose nothing: `ByteBuf` is pointer + u32 + u32, and its non-null
//! pointer leaves a niche, so an enum of a `ByteBuf` and a `Box` stays 16 bytes.
//!
//! Every growth and shrink is done by a real `Vec<u8>` rebuilt from the parts
//! for the duration of the call (`with_vec`), so the allocation logic is std's;
//! the only code of our own is the conversion, whose invariant is simple: the
//! parts always came out of a `Vec<u8>`.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// A byte buffer of at most `u32::MAX` bytes, stored in 16 bytes.
pub struct ByteBuf {
    /// `Vec::as_mut_ptr` of the vector the parts came from (dangling when the
    /// capacity is 0).
    ptr: NonNull<u8>,
    len: u32,
    cap: u32,
}

// SAFETY: a ByteBuf owns its allocation exclusively, like the Vec<u8> it stands
// for, which is Send and Sync.
unsafe impl Send for ByteBuf {}
// SAFETY: as above; shared access only reads.
unsafe impl Sync for ByteBuf {}

impl ByteBuf {
    /// An empty buffer, with no allocation.
    pub const fn new() -> ByteBuf {
        ByteBuf {
            ptr: NonNull::dangling(),
            len: 0,
            cap: 0,
        }
    }

    /// An empty buffer able to hold `cap` bytes without reallocating.
    pub fn with_capacity(cap: usize) -> ByteBuf {
        ByteBuf::from_vec(Vec::with_capacity(cap))
    }

    /// Takes over `v`'s allocation.
    ///
    /// # Panics
    /// If the capacity does not fit in 32 bits (the formats stored in a
    /// `ByteBuf` cannot be that big, so this is a bug, not bad input).
    pub fn from_vec(v: Vec<u8>) -> ByteBuf {
        let cap = u32::try_from(v.capacity()).expect("ByteBuf capacity overflow");
        let mut v = ManuallyDrop::new(v);
        ByteBuf {
            // SAFETY: a Vec's pointer is never null (dangling when unallocated).
            ptr: unsafe { NonNull::new_unchecked(v.as_mut_ptr()) },
            len: v.len() as u32,
            cap,
        }
    }

    /// Gives the allocation back as the `Vec<u8>` it was.
    pub fn into_vec(self) -> Vec<u8> {
        let me = ManuallyDrop::new(self);
        // SAFETY: the parts came out of a Vec<u8> (`from_vec`) and are no
        // longer owned by `me`, which is not dropped.
        unsafe { Vec::from_raw_parts(me.ptr.as_ptr(), me.len as usize, me.cap as usize) }
    }

    /// Runs `f` on the buffer as a `Vec<u8>`, for anything that may reallocate.
    /// If `f` panics the vector is freed and `self` is left empty, never
    /// pointing at freed memory.
    fn with_vec<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let mut v = std::mem::take(self).into_vec();
        let r = f(&mut v);
        *self = ByteBuf::from_vec(v);
        r
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    pub fn capacity(&self) -> usize {
        self.cap as usize
    }

    pub fn extend_from_slice(&mut self, b: &[u8]) {
        if self.len() + b.len() <= self.capacity() {
            let at = self.len();
            // SAFETY: capacity covers at..at + b.len(); the bytes are written
            // before the length says they exist.
            unsafe {
                std::ptr::copy_nonoverlapping(b.as_ptr(), self.ptr.as_ptr().add(at), b.len());
            }
            self.len += b.len() as u32;
        } else {
            self.with_vec(|v| v.extend_from_slice(b));
        }
    }

    pub fn push(&mut self, byte: u8) {
        self.extend_from_slice(&[byte]);
    }

    pub fn reserve_exact(&mut self, additional: usize) {
        if self.len() + additional > self.capacity() {
            self.with_vec(|v| v.reserve_exact(additional));
        }
    }

    pub fn resize(&mut self, new_len: usize, value: u8) {
        if new_len <= self.len() {
            self.truncate(new_len);
        } else if new_len <= self.capacity() {
            let at = self.len();
            // SAFETY: capacity covers at..new_len; filled before the length
            // says the bytes exist.
            unsafe { std::ptr::write_bytes(self.ptr.as_ptr().add(at), value, new_len - at) };
            self.len = new_len as u32;
        } else {
            self.with_vec(|v| v.resize(new_len, value));
        }
    }

    pub fn truncate(&mut self, len: usize) {
        if len < self.len() {
            self.len = len as u32;
        }
    }

    pub fn shrink_to(&mut self, min_capacity: usize) {
        if self.capacity() > min_capacity.max(self.len()) {
            self.with_vec(|v| v.shrink_to(min_capacity));
        }
    }
}

impl Default for ByteBuf {
    fn default() -> ByteBuf {
        ByteBuf::new()
    }
}

impl Drop for ByteBuf {
    fn drop(&mut self) {
        // SAFETY: the parts came out of a Vec<u8> and are dropped once.
        drop(unsafe {
            Vec::from_raw_parts(self.ptr.as_ptr(), self.len as usize, self.cap as usize)
        });
    }
}

impl Deref for ByteBuf {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: the first `len` bytes of the allocation are initialized.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len as usize) }
    }
}

impl DerefMut for ByteBuf {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in deref, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len as usize) }
    }
}

impl Clone for ByteBuf {
    fn clone(&self) -> ByteBuf {
        ByteBuf::from(&self[..])
    }
}

impl From<&[u8]> for ByteBuf {
    fn from(b: &[u8]) -> ByteBuf {
        ByteBuf::from_vec(b.to_vec())
    }
}

impl From<Vec<u8>> for ByteBuf {
    fn from(v: Vec<u8>) -> ByteBuf {
        ByteBuf::from_vec(v)
    }
}

impl PartialEq for ByteBuf {
    fn eq(&self, other: &ByteBuf) -> bool {
        self[..] == other[..]
    }
}

impl Eq for ByteBuf {}

impl fmt::Debug for ByteBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self[..], f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_16_bytes_and_leaves_a_niche() {
        assert_eq!(std::mem::size_of::<ByteBuf>(), 16);
        assert_eq!(std::mem::size_of::<Option<ByteBuf>>(), 16);
    }

    #[test]
    fn behaves_like_a_vec() {
        let mut b = ByteBuf::new();
        let mut v: Vec<u8> = Vec::new();
        for i in 0..2000u32 {
            let byte = (i * 7) as u8;
            match i % 7 {
                0 => {
                    b.push(byte);
                    v.push(byte);
                }
                1 => {
                    b.extend_from_slice(&[byte; 13]);
                    v.extend_from_slice(&[byte; 13]);
                }
                2 => {
                    let n = v.len() / 2;
                    b.truncate(n);
                    v.truncate(n);
                }
                3 => {
                    let n = v.len() + (i as usize % 50);
                    b.resize(n, byte);
                    v.resize(n, byte);
                }
                4 => {
                    b.reserve_exact(100);
                    assert!(b.capacity() >= b.len() + 100);
                }
                5 => {
                    b.shrink_to(0);
                    assert_eq!(b.capacity(), b.len());
                }
                _ => {
                    if b.len() > 4 {
                        b.copy_within(0..2, 2);
                        v.copy_within(0..2, 2);
                    }
                }
            }
            assert_eq!(&b[..], &v[..]);
        }
        let c = b.clone();
        assert_eq!(c, b);
        assert_eq!(b.into_vec(), v);
    }

    #[test]
    fn empty_buffers_do_not_allocate_and_drop_cleanly() {
        let b = ByteBuf::with_capacity(0);
        assert_eq!(b.capacity(), 0);
        assert!(b.is_empty());
        let mut b = ByteBuf::from(&b"abc"[..]);
        b.truncate(0);
        b.shrink_to(0);
        assert_eq!(b.capacity(), 0);
        drop(b);
    }
}
