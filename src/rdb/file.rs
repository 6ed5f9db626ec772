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
use crate::util::numbers::c_atoi;

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
            if let Some(when) = db.expire_of_obj(obj) {
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
            if opts.key_save_delay_us != 0 {
                super::debug_delay(opts.key_save_delay_us);
            }
            if keys.is_multiple_of(1024) {
                if let Some(report) = opts.progress {
                    report(keys);
                }
            }
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
    if opts.progress_interval > 0 {
        r.set_progress_interval(opts.progress_interval);
    }

    let mut magic = [0u8; 9];
    r.read_exact(&mut magic)?;
    if &magic[..5] != b"REDIS" {
        log::warn!("Wrong signature trying to load DB from file");
        return Err(corrupt("Wrong signature trying to load DB from file"));
    }
    let version = c_atoi(&magic[5..]);
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
                // The TTL index grows in chunks and needs no size hint.
                let _expires_size = r.read_len()?;
                if let Some(db) = dbs.get_mut(db_index) {
                    db.dict.expand(db_size.min(RESIZE_HINT_CAP) as usize);
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
        let Some(db) = dbs.get_mut(db_index) else {
            return Err(corrupt("No database to load the keys into"));
        };
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
        db.insert_new(key.into(), RObj::new(value, lru), when);
        report.keys_loaded += 1;
        if opts.key_load_delay_us != 0 {
            super::debug_delay(opts.key_load_delay_us);
        }
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
            let age = now.saturating_sub(c_atoi(val)).max(0);
            log::info!("RDB age {age} seconds");
        }
        "used-mem" => {
            let used = c_atoi(val);
            log::info!(
                "RDB memory usage when created {:.2} Mb",
                used as f64 / (1024.0 * 1024.0)
            );
        }
        "aof-preamble" => {
            if c_atoi(val) != 0 {
                log::info!("RDB has an AOF tail");
            }
        }
        "aof-base" => {
            if c_atoi(val) != 0 {
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
    use crate::config::Config;
    use crate::rdb::testutil::{contents, dbs, load_bytes, XorShift};
    use crate::rdb::{crc64, save_snapshot};
    use crate::types::string::RStr;
    use crate::types::Value;

    /// `SAVE` of redis-server 7.0.15: one key per type and encoding in db 0
    /// (one with a TTL in 2100), and in db 2 a key and a key that had already
    /// expired.
    const REDIS7_SMALL: &[u8] = include_bytes!("testdata/redis7-small.rdb");
    const ENCODINGS: &[u8] = include_bytes!("testdata/encodings.rdb");
    const HASH_ZIPMAP: &[u8] = include_bytes!("testdata/hash-zipmap.rdb");
    const HASH_ZIPLIST: &[u8] = include_bytes!("testdata/hash-ziplist.rdb");
    const ZSET_ZIPLIST: &[u8] = include_bytes!("testdata/zset-ziplist.rdb");
    const LIST_QUICKLIST: &[u8] = include_bytes!("testdata/list-quicklist.rdb");
    const EMPTY_KEYS: &[u8] = include_bytes!("testdata/corrupt_empty_keys.rdb");
    const SCRIPT_BACKUP: &[u8] = include_bytes!("testdata/scriptbackup.rdb");
    const FUNCTION: &[u8] = include_bytes!("testdata/function.rdb");
    const PREAMBLE_AOF: &[u8] = include_bytes!("testdata/rdb-preamble.aof");

    const NOW: i64 = 1_800_000_000_000;

    fn config() -> Config {
        Config::default()
    }

    fn row(
        db: usize,
        key: &str,
        canon: &str,
        enc: &'static str,
        ttl: Option<i64>,
    ) -> (usize, String, String, &'static str, Option<i64>) {
        (db, key.into(), canon.into(), enc, ttl)
    }

    #[test]
    fn atoi_reads_leading_digits() {
        assert_eq!(c_atoi(b"0010"), 10);
        assert_eq!(c_atoi(b" -3x"), -3);
        assert_eq!(c_atoi(b"abcd"), 0);
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

    fn redis7_small_rows(
        with_gone: bool,
    ) -> Vec<(usize, String, String, &'static str, Option<i64>)> {
        let mut rows = vec![
            row(0, "hash_ht", "hash a=1,b=2,c=3", "listpack", None),
            row(0, "hash_lp", "hash f1=v1,f2=2", "listpack", None),
            row(0, "list", "list a,b,c,7", "quicklist", None),
            row(0, "lzf", &format!("string {}", "x".repeat(60)), "raw", None),
            row(0, "num", "string 42", "int", None),
            row(0, "set_int", "set 1,2,3", "intset", None),
            row(0, "set_str", "set x,y", "hashtable", None),
            row(0, "str", "string hello", "embstr", None),
            row(0, "ttl", "string later", "embstr", Some(4102444800000)),
            row(0, "zset_lp", "zset one:1.0,two:2.0", "listpack", None),
            row(0, "zset_sl", "zset b:-2.0,a:1.5", "listpack", None),
            row(2, "db2key", "string v", "embstr", None),
        ];
        if with_gone {
            let when = i64::from_le_bytes([0x42, 0x4a, 0xf6, 0xfd, 0xa1, 0x01, 0, 0]);
            rows.push(row(2, "gone", "string x", "embstr", Some(when)));
        }
        rows.sort();
        rows
    }

    #[test]
    fn loads_a_redis_7_snapshot() {
        let (dbs, report) = load_bytes(REDIS7_SMALL, &config(), Some(NOW)).unwrap();
        assert_eq!(contents(&dbs), redis7_small_rows(false));
        assert_eq!(report.rdb_version, 10);
        assert_eq!(report.keys_loaded, 12);
        assert_eq!(report.expired_skipped, 1);
        assert_eq!(report.empty_keys_skipped, 0);
        assert_eq!(report.bytes_read, REDIS7_SMALL.len() as u64);
        let aux: Vec<&[u8]> = report.aux.iter().map(|(k, _)| &k[..]).collect();
        assert_eq!(
            aux,
            [
                &b"redis-ver"[..],
                b"redis-bits",
                b"ctime",
                b"used-mem",
                b"aof-base"
            ]
        );
        assert_eq!(report.aux[0].1, b"7.0.15");
        assert_eq!(report.aux[1].1, b"64");
        // Without an expiry cut-off (a replica, an AOF preamble) the expired key loads.
        let (dbs, report) = load_bytes(REDIS7_SMALL, &config(), None).unwrap();
        assert_eq!(contents(&dbs), redis7_small_rows(true));
        assert_eq!((report.keys_loaded, report.expired_skipped), (13, 0));
    }

    #[test]
    fn loaded_keys_get_the_lru_clock() {
        let (dbs, _) = load_bytes(REDIS7_SMALL, &config(), None).unwrap();
        assert!(dbs[0].dict.values().all(|o| o.lru == 1000));
    }

    /// Saves `dbs` and loads the result back.
    fn save_and_reload(dbs: &[Db], compression: bool, checksum: bool) -> (Vec<u8>, Vec<Db>) {
        let aux = [
            (&b"redis-ver"[..], b"7.0.15".to_vec()),
            (&b"aof-base"[..], b"0".to_vec()),
        ];
        let opts = SaveOptions {
            compression,
            checksum,
            aux: &aux,
            idle_clock: None,
            key_save_delay_us: 0,
            progress: None,
        };
        let mut out = Vec::new();
        let report = save_snapshot(&mut out, dbs, &opts).unwrap();
        assert_eq!(report.bytes, out.len() as u64);
        assert_eq!(report.keys, dbs.iter().map(|d| d.len() as u64).sum::<u64>());
        let (back, _) = load_bytes(&out, &config(), None).unwrap();
        (out, back)
    }

    #[test]
    fn saved_snapshot_reloads_to_the_same_data() {
        let (dbs, _) = load_bytes(REDIS7_SMALL, &config(), None).unwrap();
        for (compression, checksum) in [(true, true), (false, false)] {
            let (out, back) = save_and_reload(&dbs, compression, checksum);
            assert_eq!(contents(&back), contents(&dbs));
            assert_eq!(&out[..9], b"REDIS0010");
            let trailer = u64::from_le_bytes(out[out.len() - 8..].try_into().unwrap());
            let want = if checksum {
                crc64(&out[..out.len() - 8])
            } else {
                0
            };
            assert_eq!(trailer, want);
            assert_eq!(out[out.len() - 9], RDB_OPCODE_EOF);
        }
    }

    #[test]
    fn saved_layout_is_redis_layout() {
        let mut dbs = dbs(4);
        dbs[3].insert_new(
            b"k".to_vec().into(),
            RObj::new(Value::Str(RStr::from_bytes(b"v")), 0),
            Some(0x0102030405),
        );
        let aux = [(&b"redis-ver"[..], b"7.0.15".to_vec())];
        let opts = SaveOptions {
            compression: true,
            checksum: true,
            aux: &aux,
            idle_clock: None,
            key_save_delay_us: 0,
            progress: None,
        };
        let mut out = Vec::new();
        save_snapshot(&mut out, &dbs, &opts).unwrap();
        let mut want = b"REDIS0010\xfa\x09redis-ver\x067.0.15\xfe\x03\xfb\x01\x01\xfc\x05\x04\x03\x02\x01\x00\x00\x00\x00\x01k\x01v\xff".to_vec();
        let crc = crc64(&want);
        want.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(out, want);
        // With an LRU policy, the idle time goes before the type.
        let opts = SaveOptions {
            idle_clock: Some(30),
            ..opts
        };
        dbs[3].dict.get_mut(&b"k"[..]).unwrap().lru = 20;
        let mut out = Vec::new();
        save_snapshot(&mut out, &dbs, &opts).unwrap();
        assert!(out.windows(4).any(|w| w == b"\x00\xf8\x0a\x00"));
        let (back, _) = load_bytes(&out, &config(), None).unwrap();
        assert_eq!(back[3].dict.get(&b"k"[..]).unwrap().lru, 1000 - 10);
    }

    #[test]
    fn loads_redis_encodings_rdb_version_4() {
        let (dbs, report) = load_bytes(ENCODINGS, &config(), None).unwrap();
        assert_eq!(report.rdb_version, 4);
        let got: Vec<(String, String)> = contents(&dbs).into_iter().map(|r| (r.1, r.2)).collect();
        let list = "1,2,3,a,b,c,100000,6000000000";
        let want: Vec<(String, String)> = [
            ("compressible", format!("string {}", "a".repeat(137))),
            ("hash", "hash a=1,aa=10,aaa=100,b=2,bb=20,bbb=200,c=3,cc=30,ccc=300,ddd=400,eee=5000000000".into()),
            ("hash_zipped", "hash a=1,b=2,c=3".into()),
            ("list", format!("list {list},{list},{list}")),
            ("list_zipped", format!("list {list}")),
            ("number", "string 10".into()),
            ("set", "set 1,100000,2,3,6000000000,a,b,c".into()),
            ("set_zipped_1", "set 1,2,3,4".into()),
            ("set_zipped_2", "set 100000,200000,300000,400000".into()),
            ("set_zipped_3", "set 1000000000,2000000000,3000000000,4000000000,5000000000,6000000000".into()),
            ("string", "string Hello World".into()),
            ("zset", "zset a:1.0,b:2.0,c:3.0,aa:10.0,bb:20.0,cc:30.0,aaa:100.0,bbb:200.0,ccc:300.0,aaaa:1000.0,cccc:123456789.0,bbbb:5000000000.0".into()),
            ("zset_zipped", "zset a:1.0,b:2.0,c:3.0".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn legacy_hashes_convert_to_listpack_or_hashtable() {
        for file in [HASH_ZIPMAP, HASH_ZIPLIST] {
            let (dbs, _) = load_bytes(file, &config(), None).unwrap();
            assert_eq!(
                contents(&dbs),
                [row(0, "hash", "hash f1=v1,f2=v2", "listpack", None)]
            );
            let mut c = config();
            c.hash_max_listpack_entries = 1;
            let (dbs, _) = load_bytes(file, &c, None).unwrap();
            assert_eq!(
                contents(&dbs),
                [row(0, "hash", "hash f1=v1,f2=v2", "hashtable", None)]
            );
        }
        let mut c = config();
        c.hash_max_listpack_value = 1;
        let (dbs, _) = load_bytes(HASH_ZIPMAP, &c, None).unwrap();
        assert_eq!(
            dbs[0].dict.get(&b"hash"[..]).unwrap().value.encoding(),
            "hashtable"
        );
    }

    #[test]
    fn legacy_zset_and_list_load() {
        let (dbs, _) = load_bytes(ZSET_ZIPLIST, &config(), None).unwrap();
        assert_eq!(
            contents(&dbs),
            [row(0, "zset", "zset one:1.0,two:2.0", "listpack", None)]
        );
        let mut c = config();
        c.zset_max_listpack_entries = 1;
        let (dbs, _) = load_bytes(ZSET_ZIPLIST, &c, None).unwrap();
        assert_eq!(
            contents(&dbs),
            [row(0, "zset", "zset one:1.0,two:2.0", "skiplist", None)]
        );
        let (dbs, report) = load_bytes(LIST_QUICKLIST, &config(), None).unwrap();
        assert_eq!(report.rdb_version, 8);
        assert_eq!(
            contents(&dbs),
            [
                row(0, "list", "list 7", "quicklist", None),
                row(0, "x", "string 7", "int", None)
            ]
        );
    }

    #[test]
    fn empty_keys_are_skipped_and_counted() {
        let (dbs, report) = load_bytes(EMPTY_KEYS, &config(), None).unwrap();
        assert!(dbs.iter().all(|d| d.is_empty()));
        assert_eq!(report.empty_keys_skipped, 9);
        assert_eq!(report.keys_loaded, 0);
    }

    #[test]
    fn aux_fields_and_functions_are_reported() {
        let (_, report) = load_bytes(SCRIPT_BACKUP, &config(), None).unwrap();
        let lua = report.aux.iter().find(|(k, _)| k == b"lua").unwrap();
        assert_eq!(lua.1, b"return redis.call('set', 'foo', 'bar')");
        assert!(report.functions.is_empty());
        let (dbs, report) = load_bytes(FUNCTION, &config(), None).unwrap();
        assert_eq!(
            report.functions,
            [b"#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 1 end)".to_vec()]
        );
        assert_eq!(contents(&dbs), [row(0, "k", "string v", "embstr", None)]);
    }

    /// A version-10 stream of `records` with a valid checksum.
    fn stream(records: &[u8]) -> Vec<u8> {
        let mut s = b"REDIS0010".to_vec();
        s.extend_from_slice(records);
        s.push(RDB_OPCODE_EOF);
        let crc = crc64(&s);
        s.extend_from_slice(&crc.to_le_bytes());
        s
    }

    fn load_err(bytes: &[u8]) -> String {
        match load_bytes(bytes, &config(), None) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn old_function_format_becomes_a_library_payload() {
        let s = stream(b"\xf6\x03lib\x03lua\x01\x04desc\x06return");
        let (_, report) = load_bytes(&s, &config(), None).unwrap();
        assert_eq!(report.functions, [b"#!lua name=lib\nreturn".to_vec()]);
    }

    #[test]
    fn stops_right_after_the_checksum() {
        let mut src = PREAMBLE_AOF;
        let mut dbs = dbs(16);
        let config = config();
        let mut opts = LoadOptions {
            config: &config,
            deep_sanitize: false,
            skip_expired_before: None,
            lru_clock: 0,
            progress: None,
            progress_interval: 0,
            key_load_delay_us: 0,
        };
        let report = crate::rdb::load_snapshot(&mut src, &mut dbs, &mut opts).unwrap();
        assert_eq!(report.keys_loaded, 2);
        assert!(src.starts_with(b"*2\r\n$6\r\nSELECT\r\n"));
        assert_eq!(report.bytes_read as usize, PREAMBLE_AOF.len() - src.len());
    }

    #[test]
    fn header_and_checksum_are_checked() {
        assert_eq!(
            load_err(b"REDIX0010\xff"),
            "Wrong signature trying to load DB from file"
        );
        let mut v11 = stream(b"");
        v11[8] = b'1';
        assert_eq!(load_err(&v11), "Can't handle RDB format version 11");
        assert_eq!(
            load_err(b"REDIS0000\xff"),
            "Can't handle RDB format version 0"
        );
        let mut bad = stream(b"\x00\x01k\x01v");
        let n = bad.len();
        bad[n - 1] ^= 0x55;
        assert_eq!(load_err(&bad), "RDB CRC error");
        // A zero trailer means "not computed"; rdbchecksum no skips the check.
        bad[n - 8..].fill(0);
        assert!(load_bytes(&bad, &config(), None).is_ok());
        let mut bad = stream(b"\x00\x01k\x01v");
        bad[n - 1] ^= 0x55;
        let mut c = config();
        c.rdbchecksum = false;
        assert!(load_bytes(&bad, &c, None).is_ok());
        // Before version 5 there is no trailer at all.
        let (dbs, _) = load_bytes(b"REDIS0004\xfe\x00\x00\x01k\x01v\xff", &config(), None).unwrap();
        assert_eq!(contents(&dbs), [row(0, "k", "string v", "embstr", None)]);
    }

    #[test]
    fn structural_errors_name_what_was_wrong() {
        assert_eq!(
            load_err(&stream(b"\x00\x01k\x01v\x00\x01k\x01w")),
            "RDB has duplicated key 'k' in DB 0"
        );
        assert_eq!(
            load_err(&stream(b"\xfe\x10")),
            "FATAL: Data file was created with a Redis server configured to handle more than 16 databases. Exiting"
        );
        assert_eq!(
            load_err(&stream(b"\x08\x01k\x00")),
            "Unknown RDB encoding type 8"
        );
        assert_eq!(
            load_err(&stream(b"\x0f\x01k\x00")),
            "Stream values (RDB type 15) are not supported"
        );
        assert_eq!(load_err(&stream(b"\xf7\x01\x01\x00")), "bad when_opcode");
        assert!(
            load_err(&stream(b"\xf7\x81\x00\x00\x00\x00\x00\x00\x04\x00\x02\x00")).starts_with(
                "The RDB file contains AUX module data I can't load: no matching module '"
            )
        );
        assert_eq!(load_err(b"REDIS0010"), "Unexpected EOF reading RDB file");
        assert_eq!(
            load_err(b"REDIS0010\x00\x01k"),
            "Unexpected EOF reading RDB file"
        );
    }

    #[test]
    fn a_failed_value_is_not_inserted() {
        // `a` loads, `b` is a set with a duplicate member.
        let s = stream(b"\x00\x01a\x01x\x02\x01b\x02\x01m\x01m");
        let mut dbs = dbs(1);
        let mut src = &s[..];
        let config = config();
        let mut opts = LoadOptions {
            config: &config,
            deep_sanitize: true,
            skip_expired_before: None,
            lru_clock: 0,
            progress: None,
            progress_interval: 0,
            key_load_delay_us: 0,
        };
        let e = crate::rdb::load_snapshot(&mut src, &mut dbs, &mut opts).unwrap_err();
        assert_eq!(e.to_string(), "Duplicate set members detected");
        assert_eq!(contents(&dbs), [row(0, "a", "string x", "embstr", None)]);
        // No database at all to load into.
        let mut none: Vec<Db> = Vec::new();
        let mut src = &s[..];
        assert!(crate::rdb::load_snapshot(&mut src, &mut none, &mut opts).is_err());
    }

    #[test]
    fn key_opcodes_apply_to_the_next_key_only() {
        // EXPIRETIME in seconds, IDLE, FREQ, then a key without any.
        let s = stream(b"\xfd\x10\x00\x00\x00\xf8\x05\xf9\x07\x00\x01a\x01x\x00\x01b\x01y");
        let (dbs, report) = load_bytes(&s, &config(), None).unwrap();
        assert_eq!(report.keys_loaded, 2);
        assert_eq!(dbs[0].expire_of(b"a"), Some(16_000));
        assert_eq!(dbs[0].expire_of(b"b"), None);
        assert_eq!(dbs[0].dict.get(&b"a"[..]).unwrap().lru, 995);
        assert_eq!(dbs[0].dict.get(&b"b"[..]).unwrap().lru, 1000);
    }

    #[test]
    fn resizedb_hints_are_bounded() {
        let s = stream(b"\xfb\x81\x10\x00\x00\x00\x00\x00\x00\x00\x81\x10\x00\x00\x00\x00\x00\x00\x00\x00\x01k\x01v");
        let (dbs, _) = load_bytes(&s, &config(), None).unwrap();
        assert_eq!(dbs[0].len(), 1);
    }

    #[test]
    fn progress_is_reported_every_two_megabytes() {
        let big = vec![b'z'; 5 << 20];
        let mut body = b"\x00\x01k".to_vec();
        crate::rdb::primitives::write_string(&mut body, &big, false).unwrap();
        let s = stream(&body);
        let mut calls = Vec::new();
        let mut cb = |n: u64| calls.push(n);
        let config = config();
        let mut dbs = dbs(1);
        {
            let mut src = &s[..];
            let mut opts = LoadOptions {
                config: &config,
                deep_sanitize: true,
                skip_expired_before: None,
                lru_clock: 0,
                progress: Some(&mut cb),
                progress_interval: 0,
                key_load_delay_us: 0,
            };
            crate::rdb::load_snapshot(&mut src, &mut dbs, &mut opts).unwrap();
        }
        assert_eq!(calls.len(), 1);
        assert!(calls[0] >= 4 << 20);
    }

    #[test]
    fn every_truncation_of_a_snapshot_is_an_error() {
        for file in [REDIS7_SMALL, ENCODINGS, LIST_QUICKLIST, FUNCTION] {
            for cut in 0..file.len() {
                assert!(
                    load_bytes(&file[..cut], &config(), None).is_err(),
                    "cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn random_corruption_of_a_snapshot_never_panics() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut c = config();
        // Checksum off, so the corrupted records themselves get parsed.
        c.rdbchecksum = false;
        for file in [REDIS7_SMALL, ENCODINGS] {
            for _ in 0..3000 {
                let mut bytes = file.to_vec();
                for _ in 0..1 + rng.below(3) {
                    let at = 9 + rng.below(bytes.len() - 9);
                    bytes[at] = rng.next() as u8;
                }
                let _ = load_bytes(&bytes, &c, None);
            }
        }
    }
}
