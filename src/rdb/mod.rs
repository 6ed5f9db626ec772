//! The RDB format: Redis's binary snapshot, version 10, read and written byte for
//! byte as Redis 7.0 does.
//!
//! This module is the codec only: it turns databases into an RDB stream and back,
//! and single values into DUMP payloads and back. When and where snapshots are taken
//! (SAVE, BGSAVE by fork, loading at startup, the SYNC transfer) is
//! `persist`'s business.
//!
//! - `primitives`: lengths, strings (integer and LZF encodings), doubles, times;
//!   the counting, checksumming reader and writer.
//! - `lzf`: Redis's LZF compressor (byte-exact) and a bounded decompressor.
//! - `value`: one value to its RDB type and body and back, with the conversions
//!   and sanitizing of rdbLoadObject.
//! - `legacy`: ziplist and zipmap decoding into listpack entries.
//! - `file`: whole snapshots: header, AUX, SELECTDB/RESIZEDB, key opcodes, EOF and
//!   the CRC-64 trailer.
//! - `dump`: DUMP/RESTORE payloads.

mod dump;
mod file;
mod legacy;
mod lzf;
pub mod primitives;
#[cfg(test)]
mod testutil;
pub mod value;

use std::io::{self, BufRead, Write};

use crate::config::Config;
use crate::db::Db;
use crate::types::Value;

/// Sleeps as Redis's debugDelay: `usec` microseconds, or for a negative value -N
/// one microsecond with probability 1/N (short delays without a syscall each time).
pub fn debug_delay(usec: i64) {
    let usec = if usec < 0 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static TICK: AtomicU64 = AtomicU64::new(0);
        let n = TICK.fetch_add(1, Ordering::Relaxed);
        u64::from(n.is_multiple_of(usec.unsigned_abs()))
    } else {
        usec as u64
    };
    if usec > 0 {
        std::thread::sleep(std::time::Duration::from_micros(usec));
    }
}

/// The RDB version we write (Redis 7.0).
pub const RDB_VERSION: u16 = 10;

/// Why a stream or payload could not be read.
#[derive(Debug)]
pub enum RdbError {
    /// The underlying reader failed (a short read of a file is `Corrupt`).
    Io(io::Error),
    /// The bytes are not a valid RDB stream; the text says what was wrong, for the
    /// log (Redis's "Short read or OOM loading DB", "Wrong RDB checksum", ...).
    Corrupt(String),
}

impl std::fmt::Display for RdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RdbError::Io(e) => write!(f, "{e}"),
            RdbError::Corrupt(s) => f.write_str(s),
        }
    }
}

impl From<io::Error> for RdbError {
    fn from(e: io::Error) -> Self {
        RdbError::Io(e)
    }
}

/// How to write a snapshot.
pub struct SaveOptions<'a> {
    /// `rdbcompression`: LZF-compress strings longer than 20 bytes when it pays.
    pub compression: bool,
    /// `rdbchecksum`: write the CRC-64 trailer (zero otherwise).
    pub checksum: bool,
    /// Aux fields in the order they are written, after the header; the caller
    /// supplies them all (redis-ver, redis-bits, ctime, used-mem, repl-stream-db,
    /// repl-id, repl-offset, aof-base).
    pub aux: &'a [(&'a [u8], Vec<u8>)],
    /// With an LRU `maxmemory-policy`, the current LRU clock: each key's idle
    /// time in seconds is then saved before it (the IDLE opcode), as Redis does
    /// for those policies. `None` otherwise.
    pub idle_clock: Option<u32>,
    /// `rdb-key-save-delay` (a test knob): microseconds to sleep after each key;
    /// a negative value -N sleeps 1 µs once every N keys on average.
    pub key_save_delay_us: i64,
    /// Called every 1024 keys with the keys written so far (a fork child reports
    /// its progress and copy-on-write size to the parent from it).
    pub progress: Option<&'a dyn Fn(u64)>,
}

/// What a save wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct SaveReport {
    pub keys: u64,
    pub bytes: u64,
}

/// Writes every database in `dbs` as a complete RDB stream: header, aux fields,
/// SELECTDB/RESIZEDB and the keys (with expire times) of each non-empty database,
/// EOF and the checksum.
pub fn save_snapshot<W: Write>(
    w: &mut W,
    dbs: &[Db],
    opts: &SaveOptions,
) -> io::Result<SaveReport> {
    file::save(w, dbs, opts)
}

/// How to read a snapshot.
pub struct LoadOptions<'a> {
    /// Encoding thresholds (hash-max-listpack-*, set-max-intset-entries, ...).
    pub config: &'a Config,
    /// Deep-check listpacks/intsets/ziplists as they are read
    /// (`sanitize-dump-payload yes`). Whatever our types need to be safe (valid
    /// entries, counts, no duplicate fields/members, no NaN score) is checked
    /// either way; this adds the checks on content only (zset listpack scores
    /// must be numbers).
    pub deep_sanitize: bool,
    /// Keys whose expire time is before this are skipped (counted in the report);
    /// `None` loads them all (a replica, or AOF preamble loading).
    pub skip_expired_before: Option<i64>,
    /// The LRU clock to stamp loaded keys with.
    pub lru_clock: u32,
    /// Called every few MB with the bytes read so far, so the caller can serve
    /// events while a large file loads.
    pub progress: Option<&'a mut dyn FnMut(u64)>,
    /// Bytes between `progress` calls (`loading-process-events-interval-bytes`);
    /// 0 means every 2 MB.
    pub progress_interval: u64,
    /// `key-load-delay` (a test knob): microseconds to sleep after each key,
    /// negative as for `key_save_delay_us`.
    pub key_load_delay_us: i64,
}

/// What a load read.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    pub rdb_version: u32,
    pub keys_loaded: u64,
    pub expired_skipped: u64,
    pub empty_keys_skipped: u64,
    pub bytes_read: u64,
    /// Every aux field as found in the file.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// The function libraries found (FUNCTION2 payloads, and the old FUNCTION
    /// records of 7.0-rc1/rc2 turned into the same `#!engine name=lib` form), in
    /// order: the caller creates them, or fails the load as Redis does when it
    /// cannot ("Failed loading library, ...").
    pub functions: Vec<Vec<u8>>,
}

/// Reads one complete RDB stream into `dbs` (which the caller has emptied), up to
/// and including its checksum, and no further: an AOF with an RDB preamble goes on
/// from where this stops.
///
/// Keys go straight into `Db.dict`/`Db.expires`; a value that fails to load is
/// never inserted (keys loaded before the error stay: the caller empties the dbs
/// again). Logs what rdbLoadRio logs along the way (known AUX fields, skipped
/// empty keys, checksum warnings, "Done loading RDB, keys loaded: ..."); the error
/// text is Redis's reason ("Unexpected EOF reading RDB file", "RDB CRC error",
/// "Hash listpack integrity check failed.", ...) for the caller to log.
pub fn load_snapshot<R: BufRead>(
    r: &mut R,
    dbs: &mut [Db],
    opts: &mut LoadOptions,
) -> Result<LoadReport, RdbError> {
    file::load(r, dbs, opts)
}

/// The DUMP payload of a value: its RDB type and encoding, the RDB version (2 bytes,
/// little endian) and the CRC-64 of all that (8 bytes, little endian). Strings are
/// LZF-compressed as with `rdbcompression yes` (the default).
pub fn dump_payload(v: &Value) -> Vec<u8> {
    dump::dump(v, true)
}

/// `dump_payload` with `rdbcompression` given.
pub fn dump_payload_with(v: &Value, compression: bool) -> Vec<u8> {
    dump::dump(v, compression)
}

/// Why RESTORE refused a payload; each maps to Redis's exact error reply.
#[derive(Debug, PartialEq, Eq)]
pub enum RestoreError {
    /// "ERR DUMP payload version or checksum are wrong"
    VersionOrChecksum,
    /// "ERR Bad data format"
    BadData,
}

/// Checks a DUMP payload's trailer and decodes its value, deep-checking it when
/// `deep_sanitize` (the caller resolves `sanitize-dump-payload` and the client's
/// trust).
pub fn restore_payload(
    payload: &[u8],
    config: &Config,
    deep_sanitize: bool,
) -> Result<Value, RestoreError> {
    dump::verify(payload, true)?;
    dump::decode(payload, config, deep_sanitize)
}

/// `restore_payload` without the CRC check (`DEBUG SET-SKIP-CHECKSUM-VALIDATION
/// 1`); the length and version are still checked.
pub fn restore_payload_unchecked(
    payload: &[u8],
    config: &Config,
    deep_sanitize: bool,
) -> Result<Value, RestoreError> {
    dump::verify(payload, false)?;
    dump::decode(payload, config, deep_sanitize)
}

/// The bytes `v`'s RDB body takes, type byte excluded (`rdbSavedObjectLen`, the
/// `serializedlength` of DEBUG OBJECT).
pub fn serialized_length(v: &Value, compression: bool) -> u64 {
    struct Counter(u64);
    impl primitives::Sink for Counter {
        fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.0 += bytes.len() as u64;
            Ok(())
        }
    }
    let mut c = Counter(0);
    // Counting cannot fail.
    let _ = value::write_value(&mut c, v, compression);
    c.0
}

/// The CRC-64 Redis uses for RDB files and DUMP payloads (Jones polynomial).
pub fn crc64(bytes: &[u8]) -> u64 {
    primitives::CRC64.checksum(bytes)
}
