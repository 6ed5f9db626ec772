//! Expiry: the EXPIRE family of commands and the active expire cycle.
//!
//! Keys with a TTL are recorded in each database's `expires` index. Lazy expiry
//! happens on access (`Keyspace::expire_if_needed`); the active cycle here samples
//! `expires` incrementally (a cursor per database) so expired keys nobody reads are still
//! reclaimed, repeating while more than 10% of a sample was stale and stopping when
//! its time budget is spent — Redis's activeExpireCycle.

use std::time::Instant;

use crate::db::keyspace::{notify, Keyspace};

/// Keys sampled per database per loop (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_LOOP: usize = 20;
/// Keep going on a database while more than this percentage of a sample was expired.
const ACCEPTABLE_STALE: usize = 10;

/// Reclaims expired keys for at most `budget_us` microseconds.
pub fn active_expire_cycle(ks: &mut Keyspace, budget_us: u64) {
    let start = Instant::now();
    let now = ks.now_ms;
    let mut total_sampled = 0usize;
    let mut total_expired = 0usize;
    for db in 0..ks.dbs.len() {
        loop {
            if ks.dbs[db].expires.is_empty() {
                ks.dbs[db].avg_ttl = 0;
                break;
            }
            let mut sampled = 0usize;
            let mut expired: Vec<Vec<u8>> = Vec::new();
            let mut ttl_sum = 0i64;
            let mut ttl_count = 0i64;
            // Walk down from the cursor (see db::ttl_index); 0 starts a new pass
            // from the top.
            let d = &ks.dbs[db];
            let mut cursor = d.expires_cursor.min(d.expires.len());
            if cursor == 0 {
                cursor = d.expires.len();
            }
            let stop = cursor.saturating_sub(KEYS_PER_LOOP);
            for pos in (stop..cursor).rev() {
                let (k, when) = d.expires.at(pos);
                sampled += 1;
                if when <= now {
                    expired.push(k.to_vec());
                } else {
                    ttl_sum += when - now;
                    ttl_count += 1;
                }
            }
            ks.dbs[db].expires_cursor = stop;
            for key in &expired {
                if ks.dbs[db].remove(key).is_some() {
                    ks.stats.expired_keys += 1;
                    ks.notify(notify::EXPIRED, "expired", key, db);
                    ks.modified(db, key);
                    ks.expired_deletions.push((db, key.clone()));
                }
            }
            if ttl_count > 0 {
                let avg = ttl_sum / ttl_count;
                let d = &mut ks.dbs[db];
                d.avg_ttl = if d.avg_ttl == 0 {
                    avg
                } else {
                    (d.avg_ttl / 50) * 49 + avg / 50
                };
            }
            total_sampled += sampled;
            total_expired += expired.len();
            let over_budget = start.elapsed().as_micros() as u64 >= budget_us;
            if over_budget {
                ks.stats.expired_time_cap_reached_count += 1;
                break;
            }
            if sampled == 0 || expired.len() * 100 / sampled <= ACCEPTABLE_STALE {
                break;
            }
        }
        if start.elapsed().as_micros() as u64 >= budget_us {
            break;
        }
    }
    let elapsed = start.elapsed().as_micros() as u64;
    ks.stats.expire_cycle_time_used_us += elapsed;
    let perc = if total_sampled > 0 {
        total_expired as f64 / total_sampled as f64
    } else {
        0.0
    };
    ks.stats.expired_stale_perc = perc * 0.05 + ks.stats.expired_stale_perc * 0.95;
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

use crate::command::args::is_token;
use crate::command::{CmdError, CmdResult, Ctx};

const EXPIRE_NX: u8 = 1;
const EXPIRE_XX: u8 = 2;
const EXPIRE_GT: u8 = 4;
const EXPIRE_LT: u8 = 8;

fn parse_expire_flags(ctx: &Ctx) -> Result<u8, CmdError> {
    let mut f = 0;
    for opt in ctx.argv.iter().skip(3) {
        f |= if is_token(opt, "NX") {
            EXPIRE_NX
        } else if is_token(opt, "XX") {
            EXPIRE_XX
        } else if is_token(opt, "GT") {
            EXPIRE_GT
        } else if is_token(opt, "LT") {
            EXPIRE_LT
        } else {
            return Err(CmdError::err(format!(
                "Unsupported option {}",
                String::from_utf8_lossy(opt)
            )));
        };
    }
    if f & EXPIRE_NX != 0 && f & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT) != 0 {
        return Err(CmdError::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f & EXPIRE_GT != 0 && f & EXPIRE_LT != 0 {
        return Err(CmdError::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

/// The core of EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: `basetime` is added to the
/// argument (now for relative forms, 0 for absolute ones).
fn expire_generic(ctx: &mut Ctx, basetime: i64, seconds: bool) -> CmdResult {
    let key = ctx.argv.get(1);
    let flags = parse_expire_flags(ctx)?;
    let mut when = crate::util::numbers::parse_i64(ctx.argv.get(2)).ok_or(CmdError::NotInteger)?;
    let invalid = || {
        CmdError::err(format!(
            "invalid expire time in '{}' command",
            ctx.cmd.full_name
        ))
    };
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(invalid());
        }
        when *= 1000;
    }
    if when > i64::MAX - basetime {
        return Err(invalid());
    }
    when += basetime;
    let db = ctx.db();
    if ctx.ks.lookup_write(db, key).is_none() {
        ctx.reply.int(0);
        return Ok(());
    }
    if flags != 0 {
        let current = ctx.ks.dbs[db].expire_of(key);
        let refuse = (flags & EXPIRE_NX != 0 && current.is_some())
            || (flags & EXPIRE_XX != 0 && current.is_none())
            || (flags & EXPIRE_GT != 0 && current.is_none_or(|c| when <= c))
            || (flags & EXPIRE_LT != 0 && current.is_some_and(|c| when >= c));
        if refuse {
            ctx.reply.int(0);
            return Ok(());
        }
    }
    if when <= crate::server::unix_ms() && ctx.ks.deletes_already_expired() {
        ctx.ks.delete(db, key);
        ctx.ks.dirty(1);
        ctx.ks.notify(notify::GENERIC, "del", key, db);
        let del: &[u8] = if ctx.srv.config.lazyfree_lazy_expire {
            b"UNLINK"
        } else {
            b"DEL"
        };
        ctx.ks.propagate_as(&[del, key]);
    } else {
        ctx.ks.dbs[db].set_expire(key, when);
        ctx.ks.modified(db, key);
        ctx.ks.notify(notify::GENERIC, "expire", key, db);
        ctx.ks.dirty(1);
        // Relative and second-based forms propagate as an absolute time in ms.
        let at = when.to_string();
        ctx.ks.propagate_as(&[b"PEXPIREAT", key, at.as_bytes()]);
    }
    ctx.reply.int(1);
    Ok(())
}

/// EXPIRE key seconds [NX|XX|GT|LT]
pub fn expire(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, crate::server::unix_ms(), true)
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
pub fn pexpire(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, crate::server::unix_ms(), false)
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
pub fn expireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, true)
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
pub fn pexpireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, false)
}

/// What TTL-style commands report.
enum TtlOutput {
    Seconds,
    Millis,
    AbsSeconds,
    AbsMillis,
}

fn ttl_generic(ctx: &mut Ctx, out: TtlOutput) -> CmdResult {
    let key = ctx.argv.get(1);
    let db = ctx.db();
    if ctx.ks.lookup_read_notouch(db, key).is_none() {
        ctx.reply.int(-2);
        return Ok(());
    }
    let Some(when) = ctx.ks.dbs[db].expire_of(key) else {
        ctx.reply.int(-1);
        return Ok(());
    };
    let now = crate::server::unix_ms();
    let ttl = (when - now).max(0);
    let v = match out {
        TtlOutput::Seconds => (ttl + 500) / 1000,
        TtlOutput::Millis => ttl,
        TtlOutput::AbsSeconds => when / 1000,
        TtlOutput::AbsMillis => when,
    };
    ctx.reply.int(v);
    Ok(())
}

/// TTL key
pub fn ttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, TtlOutput::Seconds)
}

/// PTTL key
pub fn pttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, TtlOutput::Millis)
}

/// EXPIRETIME key
pub fn expiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, TtlOutput::AbsSeconds)
}

/// PEXPIRETIME key
pub fn pexpiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, TtlOutput::AbsMillis)
}

/// PERSIST key
pub fn persist(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    let db = ctx.db();
    if ctx.ks.lookup_write(db, key).is_some() && ctx.ks.dbs[db].remove_expire(key) {
        ctx.ks.modified(db, key);
        ctx.ks.notify(notify::GENERIC, "persist", key, db);
        ctx.ks.dirty(1);
        ctx.reply.int(1);
    } else {
        ctx.reply.int(0);
    }
    Ok(())
}
