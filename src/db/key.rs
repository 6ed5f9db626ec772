//! `Key`: a key as the keyspace stores it, in a 16-byte handle that holds keys of
//! up to 15 bytes inline and points to a heap copy of longer ones. Most keys
//! ("user:1000", "session:ab12") then cost no allocation of their own: on a
//! million keys that is 16 MB less than a boxed slice per key.
//!
//! It behaves as a `[u8]` everywhere that matters: it derefs to one, borrows as
//! one (so dicts keyed by `Key` are looked up by `&[u8]`), and hashes, compares
//! and orders exactly like one.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Longest key stored inline.
pub const INLINE_CAP: usize = 15;
/// Marks an inline key in the last byte (whose low bits hold the length). A heap
/// key keeps its length there instead, little endian, whose top byte never has
/// this bit set (lengths are below 2^63).
const INLINE_TAG: u8 = 0x80;

/// A stored key. Layout: inline, bytes 0..len are the key and byte 15 is
/// `INLINE_TAG | len`; on the heap, bytes 0..8 are the pointer and 8..16 the
/// length, both little endian, of a leaked `Box<[u8]>`.
pub struct Key {
    repr: [u8; 16],
}

// SAFETY: a `Key` owns its heap copy exclusively, like the `Box<[u8]>` it was made
// from; nothing is shared between threads through it.
unsafe impl Send for Key {}
unsafe impl Sync for Key {}

impl Key {
    /// A key holding a copy of `b`.
    pub fn new(b: &[u8]) -> Key {
        if b.len() <= INLINE_CAP {
            let mut repr = [0u8; 16];
            repr[..b.len()].copy_from_slice(b);
            repr[15] = INLINE_TAG | b.len() as u8;
            Key { repr }
        } else {
            Key::from_box(b.into())
        }
    }

    fn from_box(b: Box<[u8]>) -> Key {
        if b.len() <= INLINE_CAP {
            return Key::new(&b);
        }
        let len = b.len() as u64;
        let ptr = Box::into_raw(b) as *mut u8 as usize as u64;
        let mut repr = [0u8; 16];
        repr[..8].copy_from_slice(&ptr.to_le_bytes());
        repr[8..].copy_from_slice(&len.to_le_bytes());
        Key { repr }
    }

    #[inline]
    fn is_inline(&self) -> bool {
        self.repr[15] & INLINE_TAG != 0
    }

    /// The heap pointer and length of a key that is not inline.
    #[inline]
    fn heap_parts(&self) -> (*mut u8, usize) {
        let ptr = u64::from_le_bytes(self.repr[..8].try_into().expect("8 bytes"));
        let len = u64::from_le_bytes(self.repr[8..].try_into().expect("8 bytes"));
        (ptr as usize as *mut u8, len as usize)
    }

    /// The key's bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        if self.is_inline() {
            &self.repr[..(self.repr[15] & !INLINE_TAG) as usize]
        } else {
            let (ptr, len) = self.heap_parts();
            // SAFETY: ptr/len describe the live allocation this key owns.
            unsafe { std::slice::from_raw_parts(ptr, len) }
        }
    }

    /// Where a key too long to be inline keeps its bytes (for prefetching).
    #[inline]
    pub fn heap_ptr(&self) -> Option<*const u8> {
        (!self.is_inline()).then(|| self.heap_parts().0 as *const u8)
    }

    /// Bytes allocated apart from the handle (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        if self.is_inline() {
            0
        } else {
            crate::alloc::size_class(self.heap_parts().1)
        }
    }

    /// What `heap_size` is for a key of `len` bytes, without building it.
    pub fn heap_size_for(len: usize) -> usize {
        if len > INLINE_CAP {
            crate::alloc::size_class(len)
        } else {
            0
        }
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        if !self.is_inline() {
            let (ptr, len) = self.heap_parts();
            // SAFETY: rebuilds the Box<[u8]> leaked in `from_box`, exactly once.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
        }
    }
}

impl Clone for Key {
    fn clone(&self) -> Key {
        Key::new(self.as_bytes())
    }
}

impl Deref for Key {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl crate::util::prefetch::HeapData for Key {
    fn heap_data(&self) -> Option<*const u8> {
        self.heap_ptr()
    }
}

impl Borrow<[u8]> for Key {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Key {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Hashes as the `[u8]` it borrows as, so lookups by slice find it.
impl Hash for Key {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl PartialEq for Key {
    #[inline]
    fn eq(&self, other: &Key) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({:?})", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl From<&[u8]> for Key {
    fn from(b: &[u8]) -> Key {
        Key::new(b)
    }
}

impl From<Vec<u8>> for Key {
    fn from(v: Vec<u8>) -> Key {
        Key::from_box(v.into_boxed_slice())
    }
}

impl From<Box<[u8]>> for Key {
    fn from(b: Box<[u8]>) -> Key {
        Key::from_box(b)
    }
}

impl<const N: usize> From<&[u8; N]> for Key {
    fn from(b: &[u8; N]) -> Key {
        Key::new(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    #[test]
    fn keys_up_to_fifteen_bytes_are_inline() {
        for n in 0..=40 {
            let bytes: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
            let k = Key::new(&bytes);
            assert_eq!(k.as_bytes(), &bytes[..]);
            assert_eq!(k.is_inline(), n <= INLINE_CAP, "length {n}");
            assert_eq!(k.heap_size() == 0, n <= INLINE_CAP);
            assert_eq!(k.heap_size(), Key::heap_size_for(n), "length {n}");
            let c = k.clone();
            assert_eq!(c, k);
            assert_eq!(Key::from(bytes.clone()), k);
            assert_eq!(Key::from(bytes.clone().into_boxed_slice()), k);
        }
        assert_eq!(std::mem::size_of::<Key>(), 16);
    }

    #[test]
    fn a_key_hashes_and_orders_like_its_bytes() {
        for s in [
            &b""[..],
            b"k",
            b"exactly15bytes!",
            b"sixteen bytes!!!",
            b"a much longer key than that",
        ] {
            let k = Key::new(s);
            assert_eq!(hash_of(&k), hash_of(s));
            assert_eq!(k.cmp(&Key::new(b"m")), s.cmp(&b"m"[..]));
        }
    }

    #[test]
    fn binary_keys_with_the_tag_bit_survive() {
        let b = [0xffu8; 15];
        assert_eq!(Key::new(&b).as_bytes(), &b);
        let b = [0x80u8; 16];
        assert_eq!(Key::new(&b).as_bytes(), &b);
    }

    #[test]
    fn dict_lookups_by_slice_find_keys() {
        let mut d = crate::db::dict::Dict::<Key, u32>::new();
        for i in 0..1000u32 {
            d.insert(
                format!("key:{i:0>width$}", width = (i % 30) as usize)
                    .into_bytes()
                    .into(),
                i,
            );
        }
        for i in 0..1000u32 {
            let k = format!("key:{i:0>width$}", width = (i % 30) as usize);
            assert_eq!(d.get(k.as_bytes()), Some(&i));
        }
        assert_eq!(d.remove(&b"key:0"[..]).map(|(_, v)| v), Some(0));
    }
}
