//! The global allocator: jemalloc (as Redis ships with), counting live bytes so INFO
//! memory's `used_memory` and MEMORY USAGE report real figures (Redis's zmalloc
//! accounting). jemalloc's size classes keep small-key overhead and fragmentation
//! far below glibc malloc's, which is most of the resident memory per key.
//!
//! jemalloc is built with an 8-byte quantum (`.cargo/config.toml` sets
//! `JEMALLOC_SYS_WITH_LG_QUANTUM=3`, what Redis's own build passes as
//! `--with-lg-quantum=3`): the small size classes are then 8, 16, 24, 32, 40, 48,
//! 56, 64 instead of 8, 16, 32, 48, 64, so a 24- or 56-byte dict entry is
//! allocated as such, not rounded up to 32 or 64. The price is that jemalloc
//! only guarantees 8-byte alignment for plain requests, so every layout with a
//! larger alignment passes it explicitly (`MALLOCX_ALIGN`).

use std::alloc::{GlobalAlloc, Layout};
use std::os::raw::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

use tikv_jemalloc_sys as jemalloc;

/// The alignment jemalloc guarantees without flags (its quantum).
const QUANTUM: usize = 8;

/// jemalloc, counting bytes currently allocated through it.
pub struct CountingAlloc;

static USED: AtomicUsize = AtomicUsize::new(0);

/// The bytes jemalloc really hands out for a layout (its size class), which is
/// what `used_memory` counts, as Redis's zmalloc does with `malloc_usable_size`.
#[inline]
fn usable_size(layout: &Layout) -> usize {
    if layout.align() <= QUANTUM {
        size_class(layout.size())
    } else {
        // SAFETY: nallocx only computes a size; the size is non-zero.
        unsafe { jemalloc::nallocx(layout.size(), flags(layout)) }
    }
}

/// jemalloc's largest small size class (with 4 KiB pages).
const SMALL_MAX_CLASS: usize = 14 * 1024;

/// The `mallocx` flags a layout needs: none when the quantum already aligns it.
#[inline]
fn flags(layout: &Layout) -> i32 {
    if layout.align() <= QUANTUM && layout.align() <= layout.size() {
        0
    } else {
        jemalloc::MALLOCX_ALIGN(layout.align())
    }
}

// SAFETY: every method forwards to jemalloc with the layout's size and the
// alignment flags it needs (GlobalAlloc guarantees a non-zero size), and only
// adjusts a counter besides; a pointer is freed or resized with the same flags
// and size it was allocated with, as sdallocx/rallocx require.
unsafe impl GlobalAlloc for CountingAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = jemalloc::mallocx(layout.size(), flags(&layout)) as *mut u8;
        if !p.is_null() {
            USED.fetch_add(usable_size(&layout), Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p =
            jemalloc::mallocx(layout.size(), flags(&layout) | jemalloc::MALLOCX_ZERO) as *mut u8;
        if !p.is_null() {
            USED.fetch_add(usable_size(&layout), Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        jemalloc::sdallocx(ptr as *mut c_void, layout.size(), flags(&layout));
        USED.fetch_sub(usable_size(&layout), Ordering::Relaxed);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let p = jemalloc::rallocx(ptr as *mut c_void, new_size, flags(&new_layout)) as *mut u8;
        if !p.is_null() {
            USED.fetch_add(usable_size(&new_layout), Ordering::Relaxed);
            USED.fetch_sub(usable_size(&layout), Ordering::Relaxed);
        }
        p
    }
}

/// The allocation jemalloc makes for `n` bytes with its 8-byte quantum: 8-byte
/// steps up to 64, 16-byte steps up to 128, then four size classes per
/// doubling (jemalloc's small classes, up to 14 KiB; bigger sizes are asked of
/// jemalloc, whose large classes are page-granular). Compact encodings size
/// their buffers by it, so their capacity (and MEMORY USAGE) matches what Redis
/// allocates.
#[inline]
pub fn size_class(n: usize) -> usize {
    if n > SMALL_MAX_CLASS {
        // SAFETY: nallocx only computes a size; n is non-zero.
        return unsafe { jemalloc::nallocx(n, 0) };
    }
    if n <= 64 {
        return ((n + 7) & !7).max(8);
    }
    if n <= 128 {
        return (n + 15) & !15;
    }
    let step = 1usize << ((usize::BITS - 1 - (n - 1).leading_zeros()) - 2);
    (n + step - 1) & !(step - 1)
}

/// Turns jemalloc's background purging thread on or off (`jemalloc-bg-thread`):
/// with it, pages freed by a finished rehash or a deleted value go back to the OS
/// within seconds instead of waiting for later allocator activity. Returns false
/// when jemalloc refused.
pub fn set_background_thread(enable: bool) -> bool {
    let mut value = enable;
    // SAFETY: the name is NUL-terminated and `background_thread` takes a bool,
    // which `value` is; no old value is read.
    let rc = unsafe {
        jemalloc::mallctl(
            c"background_thread".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            (&mut value as *mut bool).cast(),
            std::mem::size_of::<bool>(),
        )
    };
    rc == 0
}

/// Returns every arena's dirty pages to the OS now (MEMORY PURGE).
pub fn purge() {
    // 4096 is MALLCTL_ARENAS_ALL.
    // SAFETY: the name is NUL-terminated and `arena.<i>.purge` takes no value.
    unsafe {
        jemalloc::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
}

/// Bytes currently allocated.
pub fn used_memory() -> usize {
    USED.load(Ordering::Relaxed)
}

/// Resident set size of the process, from /proc/self/statm.
pub fn rss_bytes() -> usize {
    let Ok(s) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: usize = s
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(4096) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_class_is_what_jemalloc_allocates() {
        for n in (1..SMALL_MAX_CLASS + 1).chain([1 << 20, (1 << 20) + 1, 3 << 22]) {
            // SAFETY: nallocx only computes a size; n is non-zero.
            let real = unsafe { jemalloc::nallocx(n, 0) };
            assert_eq!(size_class(n), real, "size {n}");
        }
    }

    #[test]
    fn small_classes_step_by_the_8_byte_quantum() {
        assert_eq!(size_class(1), 8);
        assert_eq!(size_class(17), 24);
        assert_eq!(size_class(56), 56);
        assert_eq!(size_class(57), 64);
        assert_eq!(size_class(65), 80);
        assert_eq!(size_class(129), 160);
        assert_eq!(size_class(14 * 1024), 14 * 1024);
    }

    #[test]
    fn background_thread_can_be_switched() {
        assert!(set_background_thread(true));
        assert!(set_background_thread(false));
    }
}
