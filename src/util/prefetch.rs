//! Software prefetch: asking the CPU to start loading a cache line that a
//! pointer-chasing walk (a dict chain, a skiplist level) will need a little
//! later, so its miss overlaps other work instead of stalling it.

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
