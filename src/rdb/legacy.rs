//! The encodings Redis 7.0 no longer keeps in memory but still loads: the
//! ziplist (RDB types 10, 12, 13 and the nodes of 14) and the zipmap (type 9),
//! each validated completely (Redis always validates these deeply, since it
//! converts them entry by entry anyway) and handed over as entries for our
//! listpack-based types.
//!
//! # Ziplist
//!
//! ```text
//! <zlbytes u32> <zltail u32> <zllen u16> <entry>... <0xFF>
//! entry = <prevlen: 1 byte < 254, or 0xFE + u32> <encoding> <data>
//! ```
//!
//! Encodings: `00pppppp`, `01pppppp qqqqqqqq`, `10000000 <u32 BE>` strings;
//! `0xC0` int16, `0xD0` int32, `0xE0` int64, `0xF0` int24, `0xFE` int8,
//! `0xF1..0xFD` the immediates 0..12. All integers little endian.
//!
//! # Zipmap
//!
//! ```text
//! <zmlen u8> (<len> <key> <len> <free u8> <value> <free bytes>)... <0xFF>
//! len = 1 byte < 254, or 0xFE + u32 (host order, little endian)
//! ```

use std::collections::HashSet;

use crate::types::listpack::{Listpack, LpValue};

const ZIPLIST_HEADER: usize = 10;
const ZIP_END: u8 = 0xFF;
const ZIP_BIG_PREVLEN: u8 = 0xFE;

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Bytes of the length header a ziplist entry encoding byte announces
/// (`zipEncodingLenSize`); `None` for an invalid encoding.
fn zip_encoding_len_size(enc: u8) -> Option<usize> {
    match enc {
        0xC0 | 0xD0 | 0xE0 | 0xF0 | 0xFE | 0xF1..=0xFD => Some(1),
        _ => match enc & 0xC0 {
            0x00 => Some(1),
            0x40 => Some(2),
            0x80 if enc == 0x80 => Some(5),
            _ => None,
        },
    }
}

/// Walks a ziplist with every check of `ziplistValidateIntegrity(deep)`,
/// calling `f` with each entry; false as soon as a check or `f` fails.
pub fn walk_ziplist<'a>(zl: &'a [u8], mut f: impl FnMut(LpValue<'a>) -> bool) -> bool {
    let size = zl.len();
    if size < ZIPLIST_HEADER + 1 {
        return false;
    }
    if le_u32(&zl[0..4]) as usize != size || zl[size - 1] != ZIP_END {
        return false;
    }
    let tail = le_u32(&zl[4..8]) as usize;
    if tail > size - 1 {
        return false;
    }
    let header_count = u16::from_le_bytes([zl[8], zl[9]]);
    // Entries must lie within [first, last]: `last` is the terminator.
    let last = size - 1;
    let mut p = ZIPLIST_HEADER;
    let mut prev: Option<usize> = None;
    let mut prev_raw_size = 0usize;
    let mut count = 0usize;
    while zl[p] != ZIP_END {
        let prevlen_size = if zl[p] < ZIP_BIG_PREVLEN { 1 } else { 5 };
        if p + prevlen_size > last {
            return false;
        }
        let mut enc = zl[p + prevlen_size];
        if enc < 0xC0 {
            enc &= 0xC0;
        }
        let Some(len_size) = zip_encoding_len_size(enc) else {
            return false;
        };
        let h = p + prevlen_size;
        if h + len_size > last {
            return false;
        }
        let prevlen = if prevlen_size == 1 {
            usize::from(zl[p])
        } else {
            le_u32(&zl[p + 1..p + 5]) as usize
        };
        let data_len = match enc {
            0x00 => usize::from(zl[h] & 0x3f),
            0x40 => (usize::from(zl[h] & 0x3f) << 8) | usize::from(zl[h + 1]),
            0x80 => u32::from_be_bytes([zl[h + 1], zl[h + 2], zl[h + 3], zl[h + 4]]) as usize,
            0xFE => 1,
            0xC0 => 2,
            0xF0 => 3,
            0xD0 => 4,
            0xE0 => 8,
            _ => 0,
        };
        let header = prevlen_size + len_size;
        let Some(end) = p.checked_add(header).and_then(|x| x.checked_add(data_len)) else {
            return false;
        };
        if end > last || p - ZIPLIST_HEADER < prevlen || prevlen != prev_raw_size {
            return false;
        }
        let d = &zl[p + header..end];
        let v = match enc {
            0x00 | 0x40 | 0x80 => LpValue::Str(d),
            0xFE => LpValue::Int(i64::from(d[0] as i8)),
            0xC0 => LpValue::Int(i64::from(i16::from_le_bytes([d[0], d[1]]))),
            0xF0 => LpValue::Int(i64::from(i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8)),
            0xD0 => LpValue::Int(i64::from(i32::from_le_bytes([d[0], d[1], d[2], d[3]]))),
            0xE0 => LpValue::Int(i64::from_le_bytes([
                d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7],
            ])),
            imm => LpValue::Int(i64::from(imm & 0x0f) - 1),
        };
        if !f(v) {
            return false;
        }
        prev_raw_size = header + data_len;
        prev = Some(p);
        p = end;
        count += 1;
    }
    if p != last {
        return false;
    }
    if prev.is_some_and(|q| q != tail) {
        return false;
    }
    header_count == u16::MAX || usize::from(header_count) == count
}

/// Appends a ziplist entry to a listpack as Redis converts one: strings with
/// `lpAppend` (canonical integers become integers), integers as integers.
fn push_entry(lp: &mut Listpack, v: LpValue) {
    match v {
        LpValue::Str(s) => lp.push_back(s),
        LpValue::Int(n) => lp.push_back_int(n),
    }
}

/// A ziplist's entries as a listpack (a LIST_QUICKLIST node); `None` when the
/// ziplist is invalid.
pub fn ziplist_to_listpack(zl: &[u8]) -> Option<Listpack> {
    let mut lp = Listpack::new();
    walk_ziplist(zl, |v| {
        push_entry(&mut lp, v);
        lp.safe_to_add(0)
    })
    .then_some(lp)
}

/// A ziplist of field/value (or member/score) pairs as a listpack, rejecting
/// an odd number of entries and repeated fields
/// (`ziplistPairsConvertAndValidateIntegrity`).
pub fn ziplist_pairs_to_listpack(zl: &[u8]) -> Option<Listpack> {
    let mut lp = Listpack::new();
    let mut fields: HashSet<Vec<u8>> = HashSet::new();
    let mut even = true;
    let ok = walk_ziplist(zl, |v| {
        if even && !fields.insert(v.to_vec()) {
            return false;
        }
        even = !even;
        push_entry(&mut lp, v);
        lp.safe_to_add(0)
    });
    (ok && even).then_some(lp)
}

/// The entries of a ziplist (RDB_TYPE_LIST_ZIPLIST), each as bytes.
pub fn ziplist_values(zl: &[u8]) -> Option<Vec<LpValue<'_>>> {
    let mut out = Vec::new();
    walk_ziplist(zl, |v| {
        out.push(v);
        true
    })
    .then_some(out)
}

/// Length at `p` of a zipmap and the bytes it takes; `None` if it reaches
/// past `last` or is not in its shortest form (which Redis would read
/// inconsistently).
fn zipmap_len(zm: &[u8], p: usize, last: usize) -> Option<(usize, usize)> {
    if zm[p] < ZIP_BIG_PREVLEN {
        (p < last).then_some((usize::from(zm[p]), 1))
    } else {
        if p + 5 > last {
            return None;
        }
        let l = le_u32(&zm[p + 1..p + 5]) as usize;
        (l >= usize::from(ZIP_BIG_PREVLEN)).then_some((l, 5))
    }
}

/// The field/value pairs of a zipmap, validated as `zipmapValidateIntegrity`
/// with `deep` (non-empty, every entry inside, the count byte right).
pub fn zipmap_pairs(zm: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let size = zm.len();
    if size < 2 || zm[size - 1] != ZIP_END {
        return None;
    }
    let last = size - 1;
    let mut pairs = Vec::new();
    let mut p = 1usize;
    while zm[p] != ZIP_END {
        let (klen, s) = zipmap_len(zm, p, last)?;
        let key_at = p + s;
        p = key_at.checked_add(klen)?;
        if p > last {
            return None;
        }
        let (vlen, s) = zipmap_len(zm, p, last)?;
        let free = usize::from(zm[p + s]);
        let val_at = p + s + 1;
        p = val_at.checked_add(vlen)?.checked_add(free)?;
        if p > last {
            return None;
        }
        pairs.push((&zm[key_at..key_at + klen], &zm[val_at..val_at + vlen]));
    }
    if pairs.is_empty() {
        return None;
    }
    if zm[0] != ZIP_BIG_PREVLEN && usize::from(zm[0]) != pairs.len() {
        return None;
    }
    Some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ziplist built entry by entry the way ziplist.c lays them out.
    fn ziplist(entries: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev_len = 0usize;
        let mut tail = ZIPLIST_HEADER;
        for e in entries {
            let start = body.len();
            tail = ZIPLIST_HEADER + start;
            if prev_len < 254 {
                body.push(prev_len as u8);
            } else {
                body.push(0xFE);
                body.extend_from_slice(&(prev_len as u32).to_le_bytes());
            }
            body.extend_from_slice(e);
            prev_len = body.len() - start;
        }
        let total = ZIPLIST_HEADER + body.len() + 1;
        let mut zl = Vec::new();
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&(tail as u32).to_le_bytes());
        zl.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(ZIP_END);
        zl
    }

    #[test]
    fn ziplist_decodes_every_encoding() {
        let long = vec![b'x'; 300];
        let mut e14 = vec![0x41, 0x2c];
        e14.extend_from_slice(&long);
        let zl = ziplist(&[
            b"\x03abc",
            b"\xf1",
            b"\xfd",
            b"\xfe\x80",
            b"\xc0\x00\x80",
            b"\xf0\xff\xff\x7f",
            b"\xd0\x00\x00\x00\x80",
            b"\xe0\xff\xff\xff\xff\xff\xff\xff\x7f",
            &e14,
        ]);
        let vals = ziplist_values(&zl).unwrap();
        assert_eq!(
            vals,
            [
                LpValue::Str(b"abc"),
                LpValue::Int(0),
                LpValue::Int(12),
                LpValue::Int(-128),
                LpValue::Int(-32768),
                LpValue::Int(8388607),
                LpValue::Int(i64::from(i32::MIN)),
                LpValue::Int(i64::MAX),
                LpValue::Str(&long),
            ]
        );
    }

    #[test]
    fn ziplist_rejects_inconsistencies() {
        let good = ziplist(&[b"\x01a", b"\x01b"]);
        assert!(ziplist_values(&good).is_some());
        // Wrong zlbytes, missing terminator, tail out of range.
        let mut bad = good.clone();
        bad[0] += 1;
        assert!(ziplist_values(&bad).is_none());
        let mut bad = good.clone();
        *bad.last_mut().unwrap() = 0;
        assert!(ziplist_values(&bad).is_none());
        let mut bad = good.clone();
        bad[4] = 0xff;
        assert!(ziplist_values(&bad).is_none());
        // Wrong count, wrong prevlen, invalid encoding, tail not the last entry.
        let mut bad = good.clone();
        bad[8] = 3;
        assert!(ziplist_values(&bad).is_none());
        let mut bad = good.clone();
        bad[13] = 2;
        assert!(ziplist_values(&bad).is_none());
        let mut bad = good.clone();
        bad[11] = 0xc1;
        assert!(ziplist_values(&bad).is_none());
        let mut bad = good.clone();
        bad[4] = 10;
        assert!(ziplist_values(&bad).is_none());
        // Entry length reaching past the end.
        let mut bad = good.clone();
        bad[11] = 0x05;
        assert!(ziplist_values(&bad).is_none());
        // An unknown count (65535) is counted.
        let mut unknown = good.clone();
        unknown[8] = 0xff;
        unknown[9] = 0xff;
        assert_eq!(ziplist_values(&unknown).unwrap().len(), 2);
    }

    #[test]
    fn ziplist_pairs_reject_odd_counts_and_duplicate_fields() {
        let lp =
            ziplist_pairs_to_listpack(&ziplist(&[b"\x01a", b"\xf2", b"\x01b", b"\x01c"])).unwrap();
        assert_eq!(
            lp.iter().collect::<Vec<_>>(),
            [
                LpValue::Str(b"a"),
                LpValue::Int(1),
                LpValue::Str(b"b"),
                LpValue::Str(b"c")
            ]
        );
        assert!(ziplist_pairs_to_listpack(&ziplist(&[b"\x01a", b"\x01b", b"\x01c"])).is_none());
        assert!(
            ziplist_pairs_to_listpack(&ziplist(&[b"\x01a", b"\x01b", b"\x01a", b"\x01c"]))
                .is_none()
        );
        // Values may repeat.
        assert!(
            ziplist_pairs_to_listpack(&ziplist(&[b"\x01a", b"\x01b", b"\x01c", b"\x01b"]))
                .is_some()
        );
    }

    #[test]
    fn zipmap_reads_pairs_and_rejects_bad_ones() {
        let zm = b"\x02\x03foo\x03\x00bar\x05hello\x05\x02world!!\xff";
        assert_eq!(
            zipmap_pairs(zm).unwrap(),
            [(&b"foo"[..], &b"bar"[..]), (&b"hello"[..], &b"world"[..])]
        );
        // Empty, wrong count, value past the end, no terminator.
        assert!(zipmap_pairs(b"\x00\xff").is_none());
        assert!(zipmap_pairs(b"\x03\x03foo\x03\x00bar\xff").is_none());
        assert!(zipmap_pairs(b"\x01\x03foo\x09\x00bar\xff").is_none());
        assert!(zipmap_pairs(b"\x01\x03foo\x03\x00bar").is_none());
        // 254 means "count unknown".
        assert!(zipmap_pairs(b"\xfe\x03foo\x03\x00bar\xff").is_some());
        // A 5-byte length that would fit in one.
        assert!(zipmap_pairs(b"\x01\xfe\x03\x00\x00\x00foo\x03\x00bar\xff").is_none());
    }
}
