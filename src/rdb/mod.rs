//! The RDB format: Redis's binary snapshot, version 10, read and written byte for
//! byte as Redis 7.0 does.
//!
//! This module is the codec only: it turns databases into an RDB stream and back,
//! and single values into DUMP payloads and back. When and where snapshots are taken
//! (SAVE, BGSAVE by fork, loading at startup, the SYNC transfer) is
//! `persist`'s business.

use std::io::{self, BufRead, Write};

use crate::config::Config;
use crate::db::Db;
use crate::types::Value;

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
    _w: &mut W,
    _dbs: &[Db],
    _opts: &SaveOptions,
) -> io::Result<SaveReport> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "RDB writer not yet implemented",
    ))
}

/// How to read a snapshot.
pub struct LoadOptions<'a> {
    /// Encoding thresholds (hash-max-listpack-*, set-max-intset-entries, ...).
    pub config: &'a Config,
    /// Deep-check listpacks/intsets/ziplists as they are read
    /// (`sanitize-dump-payload yes`).
    pub deep_sanitize: bool,
    /// Keys whose expire time is before this are skipped (counted in the report);
    /// `None` loads them all (a replica, or AOF preamble loading).
    pub skip_expired_before: Option<i64>,
    /// The LRU clock to stamp loaded keys with.
    pub lru_clock: u32,
    /// Called every few MB with the bytes read so far, so the caller can serve
    /// events while a large file loads.
    pub progress: Option<&'a mut dyn FnMut(u64)>,
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
}

/// Reads one complete RDB stream into `dbs` (which the caller has emptied), up to
/// and including its checksum, and no further: an AOF with an RDB preamble goes on
/// from where this stops.
pub fn load_snapshot<R: BufRead>(
    _r: &mut R,
    _dbs: &mut [Db],
    _opts: &mut LoadOptions,
) -> Result<LoadReport, RdbError> {
    Err(RdbError::Corrupt("RDB reader not yet implemented".into()))
}

/// The DUMP payload of a value: its RDB type and encoding, the RDB version (2 bytes,
/// little endian) and the CRC-64 of all that (8 bytes, little endian).
pub fn dump_payload(_v: &Value) -> Vec<u8> {
    Vec::new()
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
    _payload: &[u8],
    _config: &Config,
    _deep_sanitize: bool,
) -> Result<Value, RestoreError> {
    Err(RestoreError::BadData)
}
