//! DUMP and RESTORE: one key's value as an RDB payload, and back.

use crate::command::{CmdError, CmdResult, Ctx};
use crate::config::SanitizeDumpPayload;
use crate::db::keyspace::notify;
use crate::rdb::{self, RestoreError};
use crate::util::numbers::parse_i64;

/// DUMP key
pub fn dump(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let Some(obj) = ctx.ks.lookup_read(db, ctx.argv.get(1)) else {
        ctx.reply.null();
        return Ok(());
    };
    let payload = rdb::dump_payload_with(&obj.value, ctx.srv.config.rdbcompression);
    ctx.reply.bulk(&payload);
    Ok(())
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
pub fn restore(ctx: &mut Ctx) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let argc = ctx.argv.len();
    let mut j = 4;
    while j < argc {
        let a = ctx.argv.get(j);
        let more = argc - j - 1;
        if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if a.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if a.eq_ignore_ascii_case(b"idletime") && more >= 1 && freq.is_none() {
            let v = parse_i64(ctx.argv.get(j + 1)).ok_or(CmdError::NotInteger)?;
            if v < 0 {
                return Err(CmdError::err("Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            j += 1;
        } else if a.eq_ignore_ascii_case(b"freq") && more >= 1 && idle.is_none() {
            let v = parse_i64(ctx.argv.get(j + 1)).ok_or(CmdError::NotInteger)?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::err("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let db = ctx.db();
    let key = ctx.argv.get(1);
    if !replace && ctx.ks.lookup_write(db, key).is_some() {
        return Err(CmdError::BusyKey);
    }
    let mut ttl = parse_i64(ctx.argv.get(2)).ok_or(CmdError::NotInteger)?;
    if ttl < 0 {
        return Err(CmdError::err("Invalid TTL value, must be >= 0"));
    }
    let deep = match ctx.srv.config.sanitize_dump_payload {
        SanitizeDumpPayload::Yes | SanitizeDumpPayload::Clients => true,
        SanitizeDumpPayload::No => false,
    };
    let decode = if ctx.srv.persist.skip_checksum_validation {
        rdb::restore_payload_unchecked
    } else {
        rdb::restore_payload
    };
    let value = match decode(ctx.argv.get(3), &ctx.srv.config, deep) {
        Ok(v) => v,
        Err(RestoreError::VersionOrChecksum) => {
            return Err(CmdError::err("DUMP payload version or checksum are wrong"))
        }
        Err(RestoreError::BadData) => return Err(CmdError::err("Bad data format")),
    };
    let deleted = replace && ctx.ks.delete(db, key);
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(ctx.ks.now_ms);
    }
    if ttl != 0 && ttl <= ctx.ks.now_ms && ctx.ks.deletes_already_expired() {
        if deleted {
            ctx.ks.propagate_as(&[b"DEL", key]);
            ctx.ks.notify(notify::GENERIC, "del", key, db);
            ctx.ks.dirty(1);
        }
        ctx.reply.ok();
        return Ok(());
    }
    ctx.ks.add(db, key, value);
    if ttl != 0 {
        ctx.ks.dbs[db].set_expire(key, ttl);
        if !absttl {
            let when = ttl.to_string();
            let mut parts: Vec<&[u8]> = ctx.argv.iter().collect();
            parts[2] = when.as_bytes();
            parts.push(b"ABSTTL");
            ctx.ks.propagate_as(&parts);
        }
    }
    if let Some(obj) = ctx.ks.dbs[db].dict.get_mut(key) {
        if let Some(idle) = idle {
            let clock = ctx.ks.lru_clock as i64;
            obj.lru = (clock - idle).rem_euclid(1 << 24) as u32;
        } else if let Some(f) = freq {
            obj.lru = f as u32;
        }
    }
    ctx.ks.notify(notify::GENERIC, "restore", key, db);
    ctx.ks.dirty(1);
    ctx.reply.ok();
    Ok(())
}
