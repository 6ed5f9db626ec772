//! The RDB building blocks every record is made of (rdb.c's rdbSave*/rdbLoad*
//! helpers): lengths, strings (raw, integer-encoded, LZF-compressed), doubles
//! in binary and in the legacy text form, expire times; the reader that
//! counts, checksums and bounds what it reads, and the writer that checksums
//! what it writes.
//!
//! # Lengths
//!
//! ```text
//! 00xxxxxx                 6-bit length
//! 01xxxxxx xxxxxxxx        14-bit length, big endian
//! 10000000 <4 bytes>       32-bit length, big endian
//! 10000001 <8 bytes>       64-bit length, big endian
//! 11xxxxxx                 a special string encoding follows (RDB_ENC_*)
//! ```
//!
//! # Strings
//!
//! A length and the bytes; or `11000000`/`01`/`10` and an int8/16/32 (little
//! endian) for a canonical integer; or `11000011 <compressed len> <len>
//! <LZF data>`.

use std::io::{self, BufRead, Read, Write};

use crc::{Crc, Digest, Table, CRC_64_REDIS};

use super::lzf;
use super::RdbError;
use crate::util::numbers::{parse_f64, parse_i64, write_i64};

/// Redis's CRC-64 (Jones polynomial, reflected), over RDB files and DUMP
/// payloads.
pub static CRC64: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_REDIS);

pub const RDB_6BITLEN: u8 = 0;
pub const RDB_14BITLEN: u8 = 1;
pub const RDB_32BITLEN: u8 = 0x80;
pub const RDB_64BITLEN: u8 = 0x81;
pub const RDB_ENCVAL: u8 = 3;

pub const RDB_ENC_INT8: u8 = 0;
pub const RDB_ENC_INT16: u8 = 1;
pub const RDB_ENC_INT32: u8 = 2;
pub const RDB_ENC_LZF: u8 = 3;

/// How often (in bytes read) the loader reports progress
/// (`loading-process-events-interval-bytes`).
pub const PROGRESS_INTERVAL: u64 = 2 * 1024 * 1024;

/// The text of every short read.
pub const SHORT_READ: &str = "Unexpected EOF reading RDB file";

/// A `Corrupt` error with the given text.
pub fn corrupt(msg: impl Into<String>) -> RdbError {
    RdbError::Corrupt(msg.into())
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// A length as read: a count, or the number of a special string encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    Plain(u64),
    Encoded(u8),
}

/// Reads RDB primitives from a `BufRead`, never past what it is asked for:
/// counts the bytes, feeds them to the CRC when asked to, calls the progress
/// callback every [`PROGRESS_INTERVAL`] bytes, and turns a short read into
/// `Corrupt`.
pub struct RdbReader<'r, R: BufRead> {
    inner: &'r mut R,
    pos: u64,
    crc: Option<Digest<'static, u64, Table<16>>>,
    progress: Option<&'r mut dyn FnMut(u64)>,
    next_progress: u64,
    interval: u64,
}

impl<'r, R: BufRead> RdbReader<'r, R> {
    /// A reader; `checksum` feeds everything read to the CRC-64.
    pub fn new(
        inner: &'r mut R,
        checksum: bool,
        progress: Option<&'r mut dyn FnMut(u64)>,
    ) -> RdbReader<'r, R> {
        RdbReader {
            inner,
            pos: 0,
            crc: checksum.then(|| CRC64.digest()),
            progress,
            next_progress: PROGRESS_INTERVAL,
            interval: PROGRESS_INTERVAL,
        }
    }

    /// Reports progress every `bytes` instead of every [`PROGRESS_INTERVAL`].
    pub fn set_progress_interval(&mut self, bytes: u64) {
        self.interval = bytes.max(1);
        self.next_progress = self.interval;
    }

    /// Bytes read so far.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// The CRC-64 of everything read so far (0 when not computed).
    pub fn checksum(&self) -> u64 {
        self.crc.clone().map_or(0, |d| d.finalize())
    }

    /// True when nothing is left to read.
    pub fn at_end(&mut self) -> Result<bool, RdbError> {
        Ok(self.inner.fill_buf()?.is_empty())
    }

    fn account(&mut self, bytes: &[u8]) {
        if let Some(d) = &mut self.crc {
            d.update(bytes);
        }
        self.pos += bytes.len() as u64;
        if self.pos >= self.next_progress {
            self.next_progress = (self.pos / self.interval + 1) * self.interval;
            if let Some(f) = &mut self.progress {
                f(self.pos);
            }
        }
    }

    /// Fills `buf` completely.
    pub fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), RdbError> {
        match self.inner.read_exact(buf) {
            Ok(()) => {
                self.account(buf);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(corrupt(SHORT_READ)),
            Err(e) => Err(RdbError::Io(e)),
        }
    }

    /// Reads `n` bytes into a new vector that grows as the bytes arrive, so
    /// a forged length costs only what the input really holds.
    pub fn read_vec(&mut self, n: u64) -> Result<Vec<u8>, RdbError> {
        let mut v = Vec::with_capacity(n.min(64 * 1024) as usize);
        let got = (&mut *self.inner).take(n).read_to_end(&mut v)?;
        if got as u64 != n {
            return Err(corrupt(SHORT_READ));
        }
        self.account(&v);
        Ok(v)
    }

    pub fn read_u8(&mut self) -> Result<u8, RdbError> {
        let mut b = [0u8; 1];
        self.read_exact(&mut b)?;
        Ok(b[0])
    }

    fn read_array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut b = [0u8; N];
        self.read_exact(&mut b)?;
        Ok(b)
    }

    /// A length or special-encoding marker (`rdbLoadLenByRef`).
    pub fn read_len_enc(&mut self) -> Result<Len, RdbError> {
        let b = self.read_u8()?;
        match b >> 6 {
            RDB_ENCVAL => Ok(Len::Encoded(b & 0x3f)),
            RDB_6BITLEN => Ok(Len::Plain(u64::from(b & 0x3f))),
            RDB_14BITLEN => {
                let lo = self.read_u8()?;
                Ok(Len::Plain((u64::from(b & 0x3f) << 8) | u64::from(lo)))
            }
            _ => match b {
                RDB_32BITLEN => Ok(Len::Plain(u64::from(u32::from_be_bytes(
                    self.read_array()?,
                )))),
                RDB_64BITLEN => Ok(Len::Plain(u64::from_be_bytes(self.read_array()?))),
                _ => Err(corrupt(format!(
                    "Unknown length encoding {} in rdbLoadLen()",
                    b >> 6
                ))),
            },
        }
    }

    /// A length (`rdbLoadLen(rdb, NULL)`: an encoding marker reads as its
    /// 6-bit number, as in Redis).
    pub fn read_len(&mut self) -> Result<u64, RdbError> {
        Ok(match self.read_len_enc()? {
            Len::Plain(n) => n,
            Len::Encoded(e) => u64::from(e),
        })
    }

    /// A string in any of its encodings, as bytes (integers are formatted
    /// in decimal, as `rdbGenericLoadStringObject` with RDB_LOAD_PLAIN).
    pub fn read_string(&mut self) -> Result<Vec<u8>, RdbError> {
        match self.read_len_enc()? {
            Len::Plain(n) => self.read_vec(n),
            Len::Encoded(enc) => match enc {
                RDB_ENC_INT8 | RDB_ENC_INT16 | RDB_ENC_INT32 => {
                    let v = self.read_encoded_int(enc)?;
                    let mut out = Vec::with_capacity(11);
                    write_i64(&mut out, v);
                    Ok(out)
                }
                RDB_ENC_LZF => self.read_lzf_string(),
                _ => Err(corrupt(format!("Unknown RDB string encoding type {enc}"))),
            },
        }
    }

    fn read_encoded_int(&mut self, enc: u8) -> Result<i64, RdbError> {
        Ok(match enc {
            RDB_ENC_INT8 => i64::from(self.read_u8()? as i8),
            RDB_ENC_INT16 => i64::from(i16::from_le_bytes(self.read_array()?)),
            _ => i64::from(i32::from_le_bytes(self.read_array()?)),
        })
    }

    fn read_lzf_string(&mut self) -> Result<Vec<u8>, RdbError> {
        let clen = self.read_len()?;
        let len = self.read_len()?;
        // Checked before reading the data, so a forged length neither
        // allocates nor reads much.
        if len / (lzf::MAX_EXPANSION as u64) > clen {
            return Err(corrupt("Invalid LZF compressed string"));
        }
        let data = self.read_vec(clen)?;
        let len = usize::try_from(len).map_err(|_| corrupt("Invalid LZF compressed string"))?;
        lzf::decompress(&data, len).ok_or_else(|| corrupt("Invalid LZF compressed string"))
    }

    /// A double stored as IEEE 754 little endian (`rdbLoadBinaryDoubleValue`).
    pub fn read_binary_double(&mut self) -> Result<f64, RdbError> {
        Ok(f64::from_le_bytes(self.read_array()?))
    }

    /// A double in the pre-RDB-8 text form (`rdbLoadDoubleValue`): a length
    /// byte (253 NaN, 254 +inf, 255 -inf) and the `%.17g` text.
    pub fn read_legacy_double(&mut self) -> Result<f64, RdbError> {
        let len = self.read_u8()?;
        match len {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Ok(f64::NAN),
            _ => {
                let mut buf = vec![0u8; usize::from(len)];
                self.read_exact(&mut buf)?;
                scan_double(&buf).ok_or_else(|| corrupt("Invalid double value"))
            }
        }
    }

    /// An absolute time in milliseconds (EXPIRETIME_MS): 8 bytes little
    /// endian (before RDB 9 the host's order, little endian on every machine
    /// we run on).
    pub fn read_millis(&mut self) -> Result<i64, RdbError> {
        Ok(i64::from_le_bytes(self.read_array()?))
    }

    /// An absolute time in seconds (the old EXPIRETIME): 4 bytes.
    pub fn read_secs(&mut self) -> Result<i64, RdbError> {
        Ok(i64::from(i32::from_le_bytes(self.read_array()?)))
    }
}

/// A double as `sscanf("%lg")` reads one: leading blanks skipped, then the
/// longest prefix that is a number (Redis's own text is always a whole
/// `%.17g` number).
pub fn scan_double(b: &[u8]) -> Option<f64> {
    let b = &b[b.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
    if let Some(v) = parse_f64(b) {
        return Some(v);
    }
    let text = std::str::from_utf8(b).ok()?;
    (1..=text.len())
        .rev()
        .filter(|&n| text.is_char_boundary(n))
        .find_map(|n| text[..n].parse::<f64>().ok())
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Where encoded records go: a `Vec` (DUMP) or a checksumming writer (SAVE).
pub trait Sink {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()>;
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// Buffers, counts and checksums what is written to a `Write`.
pub struct RdbWriter<'w, W: Write> {
    inner: &'w mut W,
    buf: Vec<u8>,
    written: u64,
    crc: Option<Digest<'static, u64, Table<16>>>,
}

const WRITE_BUFFER: usize = 64 * 1024;

impl<'w, W: Write> RdbWriter<'w, W> {
    pub fn new(inner: &'w mut W, checksum: bool) -> RdbWriter<'w, W> {
        RdbWriter {
            inner,
            buf: Vec::with_capacity(WRITE_BUFFER),
            written: 0,
            crc: checksum.then(|| CRC64.digest()),
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The CRC-64 of everything written so far (0 when not computed).
    pub fn checksum(&self) -> u64 {
        self.crc.clone().map_or(0, |d| d.finalize())
    }

    /// Writes out the buffer and flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.inner.flush()
    }
}

impl<W: Write> Sink for RdbWriter<'_, W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Some(d) = &mut self.crc {
            d.update(bytes);
        }
        self.written += bytes.len() as u64;
        if self.buf.len() + bytes.len() > WRITE_BUFFER {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
            if bytes.len() > WRITE_BUFFER {
                return self.inner.write_all(bytes);
            }
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }
}

/// `rdbSaveLen`.
pub fn write_len<S: Sink>(out: &mut S, len: u64) -> io::Result<()> {
    if len < 1 << 6 {
        out.put(&[len as u8])
    } else if len < 1 << 14 {
        out.put(&[((len >> 8) as u8) | (RDB_14BITLEN << 6), len as u8])
    } else if len <= u64::from(u32::MAX) {
        out.put(&[RDB_32BITLEN])?;
        out.put(&(len as u32).to_be_bytes())
    } else {
        out.put(&[RDB_64BITLEN])?;
        out.put(&len.to_be_bytes())
    }
}

/// The int8/16/32 encoding of `v`, when it has one (`rdbEncodeInteger`).
fn encode_int(v: i64, buf: &mut [u8; 5]) -> Option<usize> {
    let enc = RDB_ENCVAL << 6;
    if let Ok(x) = i8::try_from(v) {
        buf[0] = enc | RDB_ENC_INT8;
        buf[1] = x as u8;
        Some(2)
    } else if let Ok(x) = i16::try_from(v) {
        buf[0] = enc | RDB_ENC_INT16;
        buf[1..3].copy_from_slice(&x.to_le_bytes());
        Some(3)
    } else if let Ok(x) = i32::try_from(v) {
        buf[0] = enc | RDB_ENC_INT32;
        buf[1..5].copy_from_slice(&x.to_le_bytes());
        Some(5)
    } else {
        None
    }
}

/// `rdbSaveRawString`: a canonical integer of at most 11 characters that fits
/// 32 bits as an integer; with `compress`, a string longer than 20 bytes as
/// LZF when that saves at least 4 bytes; else the length and the bytes.
pub fn write_string<S: Sink>(out: &mut S, s: &[u8], compress: bool) -> io::Result<()> {
    if s.len() <= 11 {
        let mut buf = [0u8; 5];
        if let Some(n) = parse_i64(s).and_then(|v| encode_int(v, &mut buf)) {
            return out.put(&buf[..n]);
        }
    }
    if compress && s.len() > 20 {
        if let Some(c) = lzf::compress(s, s.len() - 4) {
            out.put(&[(RDB_ENCVAL << 6) | RDB_ENC_LZF])?;
            write_len(out, c.len() as u64)?;
            write_len(out, s.len() as u64)?;
            return out.put(&c);
        }
    }
    write_len(out, s.len() as u64)?;
    out.put(s)
}

/// `rdbSaveBinaryDoubleValue`.
pub fn write_binary_double<S: Sink>(out: &mut S, v: f64) -> io::Result<()> {
    out.put(&v.to_le_bytes())
}

/// `rdbSaveMillisecondTime`.
pub fn write_millis<S: Sink>(out: &mut S, t: i64) -> io::Result<()> {
    out.put(&t.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all<T>(
        bytes: &[u8],
        f: impl FnOnce(&mut RdbReader<&[u8]>) -> Result<T, RdbError>,
    ) -> Result<T, RdbError> {
        let mut src = bytes;
        let mut r = RdbReader::new(&mut src, false, None);
        f(&mut r)
    }

    fn enc_len(n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        write_len(&mut v, n).unwrap();
        v
    }

    fn enc_str(s: &[u8], compress: bool) -> Vec<u8> {
        let mut v = Vec::new();
        write_string(&mut v, s, compress).unwrap();
        v
    }

    #[test]
    fn crc64_matches_redis_test_vector() {
        assert_eq!(CRC64.checksum(b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn lengths_use_the_smallest_form_and_read_back() {
        assert_eq!(enc_len(0), [0x00]);
        assert_eq!(enc_len(63), [0x3f]);
        assert_eq!(enc_len(64), [0x40, 0x40]);
        assert_eq!(enc_len(16383), [0x7f, 0xff]);
        assert_eq!(enc_len(16384), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(enc_len(u64::from(u32::MAX)), [0x80, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(enc_len(1 << 32), [0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
        for n in [
            0,
            1,
            63,
            64,
            300,
            16383,
            16384,
            1 << 20,
            u64::from(u32::MAX),
            1 << 40,
        ] {
            assert_eq!(read_all(&enc_len(n), |r| r.read_len()).unwrap(), n);
        }
    }

    #[test]
    fn unknown_length_encoding_is_corrupt() {
        let e = read_all(&[0x82], |r| r.read_len()).unwrap_err();
        assert_eq!(e.to_string(), "Unknown length encoding 2 in rdbLoadLen()");
    }

    #[test]
    fn integers_are_stored_in_the_smallest_encoding() {
        assert_eq!(enc_str(b"0", false), [0xc0, 0]);
        assert_eq!(enc_str(b"-128", false), [0xc0, 0x80]);
        assert_eq!(enc_str(b"12345", false), [0xc1, 0x39, 0x30]);
        assert_eq!(enc_str(b"-2147483648", false), [0xc2, 0, 0, 0, 0x80]);
        // Too wide, too long, or not canonical: raw.
        assert_eq!(enc_str(b"2147483648", false), b"\x0a2147483648");
        assert_eq!(enc_str(b"007", false), b"\x03007");
        assert_eq!(enc_str(b"+7", false), b"\x02+7");
        for s in [&b"0"[..], b"-128", b"12345", b"-2147483648", b"2147483647"] {
            assert_eq!(
                read_all(&enc_str(s, false), |r| r.read_string()).unwrap(),
                s
            );
        }
    }

    #[test]
    fn long_compressible_strings_use_lzf_when_enabled() {
        let s = vec![b'x'; 60];
        let c = enc_str(&s, true);
        assert_eq!(c[0], 0xc3);
        assert!(c.len() < 20);
        assert_eq!(enc_str(&s, false).len(), 61);
        assert_eq!(read_all(&c, |r| r.read_string()).unwrap(), s);
        // 20 bytes or fewer are never compressed.
        assert_eq!(enc_str(&[b'x'; 20], true)[0], 20);
    }

    #[test]
    fn short_reads_are_corrupt() {
        for bytes in [
            &b""[..],
            b"\x05abc",
            b"\x40",
            b"\x80\x00\x00",
            b"\xc1\x01",
            b"\xc3\x05\x10\x00",
        ] {
            let e = read_all(bytes, |r| r.read_string()).unwrap_err();
            assert_eq!(e.to_string(), SHORT_READ, "{bytes:?}");
        }
    }

    #[test]
    fn forged_huge_lengths_fail_without_allocating() {
        // 2^60 bytes of string, 2^60 bytes of LZF output from 5 bytes.
        let mut s = vec![0x81];
        s.extend_from_slice(&(1u64 << 60).to_be_bytes());
        s.extend_from_slice(b"abc");
        assert_eq!(
            read_all(&s, |r| r.read_string()).unwrap_err().to_string(),
            SHORT_READ
        );
        let mut z = vec![0xc3, 0x05, 0x81];
        z.extend_from_slice(&(1u64 << 60).to_be_bytes());
        z.extend_from_slice(b"\x00a\x00a\x00");
        assert_eq!(
            read_all(&z, |r| r.read_string()).unwrap_err().to_string(),
            "Invalid LZF compressed string"
        );
    }

    #[test]
    fn unknown_string_encoding_is_corrupt() {
        let e = read_all(&[0xc4], |r| r.read_string()).unwrap_err();
        assert_eq!(e.to_string(), "Unknown RDB string encoding type 4");
    }

    #[test]
    fn legacy_doubles_read_specials_and_text() {
        assert_eq!(
            read_all(&[255], |r| r.read_legacy_double()).unwrap(),
            f64::NEG_INFINITY
        );
        assert_eq!(
            read_all(&[254], |r| r.read_legacy_double()).unwrap(),
            f64::INFINITY
        );
        assert!(read_all(&[253], |r| r.read_legacy_double())
            .unwrap()
            .is_nan());
        assert_eq!(
            read_all(b"\x031.5", |r| r.read_legacy_double()).unwrap(),
            1.5
        );
        assert_eq!(
            read_all(b"\x04-2.5", |r| r.read_legacy_double()).unwrap(),
            -2.5
        );
        assert!(read_all(b"\x03abc", |r| r.read_legacy_double()).is_err());
    }

    #[test]
    fn reader_counts_checksums_and_reports_progress() {
        let data = vec![7u8; (PROGRESS_INTERVAL as usize) * 2 + 10];
        let mut calls = Vec::new();
        let mut cb = |n: u64| calls.push(n);
        {
            let mut src = &data[..];
            let mut r = RdbReader::new(&mut src, true, Some(&mut cb));
            r.read_vec(PROGRESS_INTERVAL - 1).unwrap();
            r.read_u8().unwrap();
            r.read_vec(PROGRESS_INTERVAL + 10).unwrap();
            assert_eq!(r.pos(), data.len() as u64);
            assert_eq!(r.checksum(), CRC64.checksum(&data));
            assert!(r.at_end().unwrap());
        }
        assert_eq!(calls, [PROGRESS_INTERVAL, 2 * PROGRESS_INTERVAL + 10]);
    }

    #[test]
    fn writer_checksums_what_it_writes() {
        let mut out = Vec::new();
        let mut w = RdbWriter::new(&mut out, true);
        w.put(b"12345").unwrap();
        w.put(&vec![b'6'; 100_000]).unwrap();
        w.put(b"789").unwrap();
        let crc = w.checksum();
        let n = w.written();
        w.flush().unwrap();
        assert_eq!(n, out.len() as u64);
        assert_eq!(crc, CRC64.checksum(&out));
    }
}
