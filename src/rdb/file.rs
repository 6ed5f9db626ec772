//! A whole RDB stream (rdbSaveRio and rdbLoadRioWithLoadingCtx): the
//! `REDIS0010` header, AUX fields, per database SELECTDB and RESIZEDB, the
//! keys with the opcodes that may precede one (EXPIRETIME_MS, EXPIRETIME,
//! IDLE, FREQ), functions and module aux data, EOF and the CRC-64 trailer.
//!
//! Loading logs what rdbLoadRio logs while it reads (the AUX fields it knows,
//! skipped empty keys, a disabled or wrong checksum, the closing "Done loading
//! RDB" line); everything that ends a load early is returned as an error for
//! the caller to log and act on.

use std::io::{self, BufRead, Write};

use super::primitives::{
    corrupt, write_len, write_millis, write_string, RdbReader, RdbWriter, Sink,
};
use super::value::{self, DecodeOptions};
use super::{LoadOptions, LoadReport, RdbError, SaveOptions, SaveReport, RDB_VERSION};
use crate::db::keyspace::LRU_CLOCK_MAX;
use crate::db::Db;
use crate::types::RObj;

pub const RDB_OPCODE_FUNCTION2: u8 = 245;
pub const RDB_OPCODE_FUNCTION: u8 = 246;
pub const RDB_OPCODE_MODULE_AUX: u8 = 247;
pub const RDB_OPCODE_IDLE: u8 = 248;
pub const RDB_OPCODE_FREQ: u8 = 249;
pub const RDB_OPCODE_AUX: u8 = 250;
pub const RDB_OPCODE_RESIZEDB: u8 = 251;
pub const RDB_OPCODE_EXPIRETIME_MS: u8 = 252;
pub const RDB_OPCODE_EXPIRETIME: u8 = 253;
pub const RDB_OPCODE_SELECTDB: u8 = 254;
pub const RDB_OPCODE_EOF: u8 = 255;

/// RDB_MODULE_OPCODE_UINT: the `when` of a MODULE_AUX record is announced by it.
const RDB_MODULE_OPCODE_UINT: u64 = 2;

/// RESIZEDB hints are followed up to this many keys: the dicts grow by
/// themselves past it, and a forged hint must not allocate gigabytes.
const RESIZE_HINT_CAP: u64 = 1 << 24;

/// Empty keys are logged one by one up to this many (then only counted).
const EMPTY_KEYS_LOGGED: u64 = 10;

/// Writes the whole stream.
pub fn save<W: Write>(w: &mut W, dbs: &[Db], opts: &SaveOptions) -> io::Result<SaveReport> {
    let mut out = RdbWriter::new(w, opts.checksum);
    out.put(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
    for (k, v) in opts.aux {
        out.put(&[RDB_OPCODE_AUX])?;
        write_string(&mut out, k, opts.compression)?;
        write_string(&mut out, v, opts.compression)?;
    }
    let mut keys = 0u64;
    for db in dbs {
        if db.dict.is_empty() {
            continue;
        }
        out.put(&[RDB_OPCODE_SELECTDB])?;
        write_len(&mut out, db.id as u64)?;
        out.put(&[RDB_OPCODE_RESIZEDB])?;
        write_len(&mut out, db.dict.len() as u64)?;
        write_len(&mut out, db.expires.len() as u64)?;
        for (key, obj) in db.dict.iter() {
            if let Some(&when) = db.expires.get(&key[..]) {
                out.put(&[RDB_OPCODE_EXPIRETIME_MS])?;
                write_millis(&mut out, when)?;
            }
            if let Some(clock) = opts.idle_clock {
                out.put(&[RDB_OPCODE_IDLE])?;
                write_len(&mut out, u64::from(idle_seconds(clock, obj.lru)))?;
            }
            out.put(&[value::type_of(&obj.value)])?;
            write_string(&mut out, key, opts.compression)?;
            value::write_value(&mut out, &obj.value, opts.compression)?;
            keys += 1;
        }
    }
    out.put(&[RDB_OPCODE_EOF])?;
    let crc = out.checksum();
    out.put(&crc.to_le_bytes())?;
    out.flush()?;
    Ok(SaveReport {
        keys,
        bytes: out.written(),
    })
}

/// Seconds since the access recorded in `lru` (`estimateObjectIdleTime`,
/// which handles the 24-bit clock wrapping around).
fn idle_seconds(clock: u32, lru: u32) -> u32 {
    if clock >= lru {
        clock - lru
    } else {
        clock + (LRU_CLOCK_MAX - lru)
    }
}

/// The LRU clock of a key idle for `idle` seconds (objectSetLRUOrLFU): when
/// that is before the clock's start, a time half-way round the clock, so the
/// key is not evicted first.
fn lru_from_idle(clock: u32, idle: u64) -> u32 {
    match u64::from(clock).checked_sub(idle) {
        Some(abs) => abs as u32,
        None => {
            ((u64::from(clock) + u64::from(LRU_CLOCK_MAX / 2)) % u64::from(LRU_CLOCK_MAX)) as u32
        }
    }
}

/// C `atoi`: optional blanks and sign, then the leading digits.
fn atoi(b: &[u8]) -> i64 {
    let b = &b[b.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
    let (neg, b) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0i64, |n, c| {
            n.saturating_mul(10).saturating_add(i64::from(c - b'0'))
        });
    if neg {
        -n
    } else {
        n
    }
}

/// Reads one stream into `dbs`.
pub fn load<R: BufRead>(
    input: &mut R,
    dbs: &mut [Db],
    opts: &mut LoadOptions,
) -> Result<LoadReport, RdbError> {
    let config = opts.config;
    let decode = DecodeOptions::new(config, opts.deep_sanitize);
    let lfu = config.maxmemory_policy.is_lfu();
    let lru_clock = opts.lru_clock;
    let mut report = LoadReport::default();
    let progress = opts
        .progress
        .as_mut()
        .map(|f| &mut **f as &mut dyn FnMut(u64));
    let mut r = RdbReader::new(input, true, progress);

    let mut magic = [0u8; 9];
    r.read_exact(&mut magic)?;
    if &magic[..5] != b"REDIS" {
        log::warn!("Wrong signature trying to load DB from file");
        return Err(corrupt("Wrong signature trying to load DB from file"));
    }
    let version = atoi(&magic[5..]);
    if !(1..=i64::from(RDB_VERSION)).contains(&version) {
        log::warn!("Can't handle RDB format version {version}");
        return Err(corrupt(format!(
            "Can't handle RDB format version {version}"
        )));
    }
    report.rdb_version = version as u32;

    let mut db_index = 0usize;
    let mut expire_at: Option<i64> = None;
    let mut idle: Option<u64> = None;
    loop {
        let t = r.read_u8()?;
        match t {
            RDB_OPCODE_EXPIRETIME => {
                expire_at = Some(r.read_secs()? * 1000);
                continue;
            }
            RDB_OPCODE_EXPIRETIME_MS => {
                expire_at = Some(r.read_millis()?);
                continue;
            }
            RDB_OPCODE_FREQ => {
                // LFU counters are not kept: the frequency is read and dropped.
                r.read_u8()?;
                continue;
            }
            RDB_OPCODE_IDLE => {
                idle = Some(r.read_len()?);
                continue;
            }
            RDB_OPCODE_EOF => break,
            RDB_OPCODE_SELECTDB => {
                let id = r.read_len()?;
                if id >= dbs.len() as u64 {
                    return Err(corrupt(format!(
                        "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting",
                        dbs.len()
                    )));
                }
                db_index = id as usize;
                continue;
            }
            RDB_OPCODE_RESIZEDB => {
                let db_size = r.read_len()?;
                let expires_size = r.read_len()?;
                if let Some(db) = dbs.get_mut(db_index) {
                    db.dict.expand(db_size.min(RESIZE_HINT_CAP) as usize);
                    db.expires
                        .expand(expires_size.min(RESIZE_HINT_CAP) as usize);
                }
                continue;
            }
            RDB_OPCODE_AUX => {
                let key = r.read_string()?;
                let val = r.read_string()?;
                log_aux(&key, &val);
                report.aux.push((key, val));
                continue;
            }
            RDB_OPCODE_MODULE_AUX => {
                let module_id = r.read_len()?;
                let when_opcode = r.read_len()?;
                let _when = r.read_len()?;
                if when_opcode != RDB_MODULE_OPCODE_UINT {
                    return Err(corrupt("bad when_opcode"));
                }
                return Err(corrupt(format!(
                    "The RDB file contains AUX module data I can't load: no matching module '{}'",
                    value::module_type_name(module_id)
                )));
            }
            RDB_OPCODE_FUNCTION2 => {
                report.functions.push(r.read_string()?);
                continue;
            }
            RDB_OPCODE_FUNCTION => {
                // The format of 7.0-rc1/rc2: name, engine, optional
                // description and code, turned into a FUNCTION2 payload.
                let name = r.read_string()?;
                let engine = r.read_string()?;
                if r.read_len()? != 0 {
                    r.read_string()?;
                }
                let code = r.read_string()?;
                let mut payload = b"#!".to_vec();
                payload.extend_from_slice(&engine);
                payload.extend_from_slice(b" name=");
                payload.extend_from_slice(&name);
                payload.push(b'\n');
                payload.extend_from_slice(&code);
                report.functions.push(payload);
                continue;
            }
            _ => {}
        }

        // A key and its value.
        let key = r.read_string()?;
        let value = value::read_value(&mut r, t, &decode)?;
        let when = expire_at.take();
        let key_idle = idle.take();
        let Some(value) = value else {
            if report.empty_keys_skipped < EMPTY_KEYS_LOGGED {
                log::warn!(
                    "rdbLoadObject skipping empty key: {}",
                    String::from_utf8_lossy(&key)
                );
            }
            report.empty_keys_skipped += 1;
            continue;
        };
        if let (Some(when), Some(now)) = (when, opts.skip_expired_before) {
            if when < now {
                report.expired_skipped += 1;
                continue;
            }
        }
        let db = &mut dbs[db_index];
        if db.dict.contains_key(&key[..]) {
            let msg = format!(
                "RDB has duplicated key '{}' in DB {}",
                String::from_utf8_lossy(&key),
                db.id
            );
            log::warn!("{msg}");
            return Err(corrupt(msg));
        }
        let lru = match key_idle {
            Some(secs) if !lfu => lru_from_idle(lru_clock, secs),
            _ => lru_clock,
        };
        let key: Box<[u8]> = key.into_boxed_slice();
        if let Some(when) = when {
            db.expires.insert_new(key.clone(), when);
        }
        db.dict.insert_new(key, RObj::new(value, lru));
        report.keys_loaded += 1;
    }

    if version >= 5 {
        let expected = r.checksum();
        let mut trailer = [0u8; 8];
        r.read_exact(&mut trailer)?;
        let stored = u64::from_le_bytes(trailer);
        if config.rdbchecksum {
            if stored == 0 {
                log::warn!("RDB file was saved with checksum disabled: no check performed.");
            } else if stored != expected {
                log::warn!(
                    "Wrong RDB checksum expected: ({expected:x}) but got ({stored:x}). Aborting now."
                );
                return Err(corrupt("RDB CRC error"));
            }
        }
    }
    report.bytes_read = r.pos();

    if report.empty_keys_skipped > 0 {
        log::warn!(
            "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
            report.keys_loaded,
            report.expired_skipped,
            report.empty_keys_skipped
        );
    } else {
        log::info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            report.keys_loaded,
            report.expired_skipped
        );
    }
    Ok(report)
}

/// The log lines rdbLoadRio writes for the AUX fields it knows.
fn log_aux(key: &[u8], val: &[u8]) {
    let k = String::from_utf8_lossy(key);
    let v = String::from_utf8_lossy(val);
    if key.first() == Some(&b'%') {
        log::info!("RDB '{k}': {v}");
        return;
    }
    match k.to_ascii_lowercase().as_str() {
        "redis-ver" => log::info!("Loading RDB produced by version {v}"),
        "ctime" => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let age = now.saturating_sub(atoi(val)).max(0);
            log::info!("RDB age {age} seconds");
        }
        "used-mem" => {
            let used = atoi(val);
            log::info!(
                "RDB memory usage when created {:.2} Mb",
                used as f64 / (1024.0 * 1024.0)
            );
        }
        "aof-preamble" => {
            if atoi(val) != 0 {
                log::info!("RDB has an AOF tail");
            }
        }
        "aof-base" => {
            if atoi(val) != 0 {
                log::info!("RDB is base AOF");
            }
        }
        "repl-stream-db" | "repl-id" | "repl-offset" | "lua" | "redis-bits" => {}
        _ => log::trace!("Unrecognized RDB AUX field: '{k}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_reads_leading_digits() {
        assert_eq!(atoi(b"0010"), 10);
        assert_eq!(atoi(b" -3x"), -3);
        assert_eq!(atoi(b"abcd"), 0);
    }

    #[test]
    fn idle_time_round_trips_through_the_lru_clock() {
        assert_eq!(idle_seconds(100, 40), 60);
        assert_eq!(lru_from_idle(100, 60), 40);
        // The clock wrapped since the access.
        assert_eq!(idle_seconds(5, LRU_CLOCK_MAX - 5), 10);
        // Idle longer than the clock has run: half-way round instead.
        assert_eq!(lru_from_idle(100, 1000), 100 + LRU_CLOCK_MAX / 2);
    }
}
