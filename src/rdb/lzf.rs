//! LZF, as Redis 7.0 bundles it (lzf_c.c / lzf_d.c, liblzf 3.6 built with
//! `HLOG` 16 and `VERY_FAST`), so strings compress to the same bytes Redis
//! writes and DUMP payloads match Redis's byte for byte.
//!
//! The compressed format is a sequence of:
//!
//! ```text
//! 000LLLLL <L+1 bytes>        literal run of 1..32 bytes
//! LLLooooo oooooooo           back reference: L+2 bytes (L = 1..6) at offset o+1
//! 111ooooo LLLLLLLL oooooooo  back reference: L+9 bytes at offset o+1
//! ```
//!
//! Compression follows Redis's algorithm step for step (the hash of three
//! bytes, the match search, the re-hashing of two positions after a match);
//! the `lzf` crate implements an older liblzf whose output differs. The
//! decompressor is written for untrusted input: it checks every run against
//! the input and the declared output size and never allocates more than the
//! input could possibly expand to.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// The most output one input byte can produce: a 3-byte back reference
/// expands to at most 264 bytes.
pub const MAX_EXPANSION: usize = 88;

#[inline]
fn first(p: &[u8], i: usize) -> u32 {
    (u32::from(p[i]) << 8) | u32::from(p[i + 1])
}

#[inline]
fn next(v: u32, p: &[u8], i: usize) -> u32 {
    (v << 8) | u32::from(p[i + 2])
}

#[inline]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Compresses `input` into at most `out_cap` bytes (`lzf_compress`); `None`
/// when it does not fit (or `input` is empty).
pub fn compress(input: &[u8], out_cap: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    if in_len == 0 || out_cap == 0 {
        return None;
    }
    // Positions of earlier 3-byte sequences by hash; 0 doubles as "none",
    // which costs nothing since Redis never matches position 0 either.
    let mut htab = vec![0u32; HSIZE];
    // A few bytes of slack past `out_cap`: the bound checks below are
    // Redis's, made against `out_cap`.
    let mut out = vec![0u8; out_cap + 4];
    let mut op = 1usize; // out[0] is the length of the first literal run
    let mut lit = 0usize;
    let mut ip = 0usize;
    let mut hval = if in_len >= 2 { first(input, 0) } else { 0 };

    while ip + 2 < in_len {
        hval = next(hval, input, ip);
        let slot = idx(hval);
        let r = htab[slot] as usize;
        htab[slot] = ip as u32;

        let off = ip.wrapping_sub(r).wrapping_sub(1);
        if off < MAX_OFF
            && r > 0
            && input[r + 2] == input[ip + 2]
            && input[r] == input[ip]
            && input[r + 1] == input[ip + 1]
        {
            let maxlen = (in_len - ip - 2).min(MAX_REF);
            if op + 3 + 1 >= out_cap && op - usize::from(lit == 0) + 3 + 1 >= out_cap {
                return None;
            }
            // Close the literal run (or take back its unused length byte).
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            op -= usize::from(lit == 0);

            // The match length, searched as lzf_c.c does: sixteen unchecked
            // steps when far from the end, then one at a time up to maxlen.
            let mut len = 2usize;
            let mut all_matched = maxlen > 16;
            if all_matched {
                for _ in 0..16 {
                    len += 1;
                    if input[r + len] != input[ip + len] {
                        all_matched = false;
                        break;
                    }
                }
            }
            if all_matched || maxlen <= 16 {
                len += 1;
                while len < maxlen && input[r + len] == input[ip + len] {
                    len += 1;
                }
            }

            // Stored as the match length minus 2.
            len -= 2;
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 2; // and start a new literal run
            lit = 0;

            ip += len + 1;
            if ip + 2 >= in_len {
                break;
            }
            // Hash the two positions before the new one (VERY_FAST).
            ip -= 2;
            hval = first(input, ip);
            hval = next(hval, input, ip);
            htab[idx(hval)] = ip as u32;
            ip += 1;
            hval = next(hval, input, ip);
            htab[idx(hval)] = ip as u32;
            ip += 1;
        } else {
            if op >= out_cap {
                return None;
            }
            push_literal(&mut out, &mut op, &mut lit, input[ip]);
            ip += 1;
        }
    }

    if op + 3 > out_cap {
        return None;
    }
    while ip < in_len {
        push_literal(&mut out, &mut op, &mut lit, input[ip]);
        ip += 1;
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= usize::from(lit == 0);
    if op > out_cap {
        return None;
    }
    out.truncate(op);
    Some(out)
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes
/// (`lzf_decompress(...) == len`, as rdbLoadLzfStringObject requires).
/// `None` on any inconsistency.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    // Like lzf_decompress with an empty output buffer: nothing can be
    // written, so the result is empty whatever the input.
    if out_len == 0 {
        return Some(Vec::new());
    }
    if out_len / MAX_EXPANSION > input.len() {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < (1 << 5) {
            let run = ctrl + 1;
            if out.len() + run > out_len {
                return None;
            }
            let lits = input.get(ip..ip + run)?;
            out.extend_from_slice(lits);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            let mut back = ((ctrl & 0x1f) << 8) + 1;
            if len == 7 {
                len += usize::from(*input.get(ip)?);
                ip += 1;
            }
            back += usize::from(*input.get(ip)?);
            ip += 1;
            let len = len + 2;
            if out.len() + len > out_len {
                return None;
            }
            let start = out.len().checked_sub(back)?;
            // Byte by byte: the reference may overlap what it produces.
            for k in 0..len {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

/// Appends one literal byte to the open literal run, closing the run (its length
/// byte stands before it) when it reaches `MAX_LIT`.
#[inline]
fn push_literal(out: &mut [u8], op: &mut usize, lit: &mut usize, byte: u8) {
    *lit += 1;
    out[*op] = byte;
    *op += 1;
    if *lit == MAX_LIT {
        out[*op - *lit - 1] = (*lit - 1) as u8;
        *lit = 0;
        *op += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_compressible_text() {
        let text =
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabcabcabcabcabcabc".repeat(9);
        let c = compress(&text, text.len() - 4).unwrap();
        assert!(c.len() < text.len() / 4);
        assert_eq!(decompress(&c, text.len()).unwrap(), text);
    }

    #[test]
    fn incompressible_input_does_not_fit() {
        let mut x = 0x1234_5678_9abc_def0u64;
        let data: Vec<u8> = (0..200)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert_eq!(compress(&data, data.len() - 4), None);
    }

    #[test]
    fn compresses_like_redis() {
        // `SET k <100 x 'a' + 10 x "bcdefgh">` DUMPed by Redis 7.0.15: the LZF
        // blob after the c3 14 40 aa header.
        let text = [&[b'a'; 100][..], &b"bcdefgh".repeat(10)].concat();
        let redis =
            b"\x01\x61\x61\xe0\x59\x00\x06\x62\x63\x64\x65\x66\x67\x68\xe0\x34\x06\x01\x67\x68";
        assert_eq!(compress(&text, text.len() - 4).unwrap(), redis);
    }

    #[test]
    fn decompress_rejects_bad_input() {
        // Back reference before the start of the output.
        assert_eq!(decompress(b"\x20\x05", 10), None);
        // Literal run longer than the input.
        assert_eq!(decompress(b"\x05ab", 6), None);
        // Output longer or shorter than declared.
        assert_eq!(decompress(b"\x01ab", 1), None);
        assert_eq!(decompress(b"\x01ab", 3), None);
        // A declared size the input cannot possibly produce.
        assert_eq!(decompress(b"\x00a", 1 << 40), None);
        // Truncated back reference.
        assert_eq!(decompress(b"\x00a\xe0", 20), None);
        assert_eq!(decompress(b"\x00a\x20", 4), None);
        assert_eq!(decompress(b"\x00a", 1).unwrap(), b"a");
    }
}
