//! MEMORY: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP. Figures come from the
//! counting allocator and from the sizes of our own structures.

use crate::command::args::is_token;
use crate::command::{CmdError, CmdResult, Ctx};
use crate::db::key::Key;
use crate::server::connection::help_reply;
use crate::types::RObj;

/// Bytes one key costs: its dict entry (key handle, object, chain pointer), the
/// key's bytes when they do not fit in the handle, the value's heap bytes, and
/// the expires entry (key handle, time, chain pointer) when it has a TTL.
pub fn key_usage(key: &[u8], obj: &RObj, has_ttl: bool) -> usize {
    let handle = std::mem::size_of::<Key>();
    let key_bytes = Key::heap_size_for(key.len());
    let entry = handle + std::mem::size_of::<RObj>() + 8 + key_bytes;
    let expire_entry = if has_ttl {
        handle + 8 + 8 + key_bytes
    } else {
        0
    };
    entry + obj.value.heap_size() + expire_entry
}

/// MEMORY USAGE key [SAMPLES count]
pub fn memory_usage(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(2);
    let mut j = 3;
    while j < ctx.argv.len() {
        if is_token(ctx.argv.get(j), "SAMPLES") && j + 1 < ctx.argv.len() {
            let n =
                crate::util::numbers::parse_i64(ctx.argv.get(j + 1)).ok_or(CmdError::NotInteger)?;
            if n < 0 {
                return Err(CmdError::Syntax);
            }
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let db = ctx.db();
    let has_ttl = ctx.ks.dbs[db].expire_of(key).is_some();
    match ctx.ks.lookup_read_notouch(db, key) {
        Some(o) => {
            let n = key_usage(key, o, has_ttl);
            ctx.reply.int(n as i64);
        }
        None => ctx.reply.null(),
    }
    Ok(())
}

/// MEMORY STATS
pub fn memory_stats(ctx: &mut Ctx) -> CmdResult {
    let used = crate::alloc::used_memory() as i64;
    let rss = crate::alloc::rss_bytes() as i64;
    let startup = ctx.srv.stats_startup_memory as i64;
    let peak = (ctx.srv.stat_peak_memory as i64).max(used);
    let clients: i64 = ctx
        .srv
        .clients_iter()
        .map(|c| (c.reply.buf.capacity() + c.querybuf.capacity()) as i64)
        .sum();
    let dbs: Vec<(usize, i64, i64)> = ctx
        .ks
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.dict.is_empty() || !d.expires.is_empty())
        .map(|(i, d)| {
            (
                i,
                d.dict.mem_overhead() as i64,
                d.expires.mem_usage() as i64,
            )
        })
        .collect();
    let overhead = startup + clients + dbs.iter().map(|(_, a, b)| a + b).sum::<i64>();
    let (keys, _) = ctx.ks.total_keys();
    let dataset = (used - overhead).max(0);
    let net = (used - startup).max(1);
    let r = &mut *ctx.reply;
    r.map_len(27 + dbs.len());
    let int = |r: &mut crate::protocol::reply::Reply, k: &str, v: i64| {
        r.bulk(k.as_bytes());
        r.int(v);
    };
    int(r, "peak.allocated", peak);
    int(r, "total.allocated", used);
    int(r, "startup.allocated", startup);
    int(r, "replication.backlog", 0);
    int(r, "clients.slaves", 0);
    int(r, "clients.normal", clients);
    int(r, "cluster.links", 0);
    int(r, "aof.buffer", 0);
    int(r, "lua.caches", 0);
    int(r, "functions.caches", 0);
    for (i, main, expires) in &dbs {
        r.bulk(format!("db.{i}").as_bytes());
        r.map_len(3);
        int(r, "overhead.hashtable.main", *main);
        int(r, "overhead.hashtable.expires", *expires);
        int(r, "overhead.hashtable.slot-to-keys", 0);
    }
    int(r, "overhead.total", overhead);
    int(r, "keys.count", keys as i64);
    int(
        r,
        "keys.bytes-per-key",
        if keys > 0 { net / keys as i64 } else { 0 },
    );
    int(r, "dataset.bytes", dataset);
    r.bulk(b"dataset.percentage");
    r.double(dataset as f64 * 100.0 / net as f64);
    r.bulk(b"peak.percentage");
    r.double(used as f64 * 100.0 / peak.max(1) as f64);
    int(r, "allocator.allocated", used);
    int(r, "allocator.active", used);
    int(r, "allocator.resident", rss);
    r.bulk(b"allocator-fragmentation.ratio");
    r.double(1.0);
    int(r, "allocator-fragmentation.bytes", 0);
    r.bulk(b"allocator-rss.ratio");
    r.double(1.0);
    int(r, "allocator-rss.bytes", 0);
    r.bulk(b"rss-overhead.ratio");
    r.double(1.0);
    int(r, "rss-overhead.bytes", 0);
    r.bulk(b"fragmentation");
    r.double(rss as f64 / used.max(1) as f64);
    int(r, "fragmentation.bytes", rss - used);
    Ok(())
}

/// MEMORY DOCTOR
pub fn memory_doctor(ctx: &mut Ctx) -> CmdResult {
    let text = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.";
    ctx.reply.verbatim(text.as_bytes(), "txt");
    Ok(())
}

/// MEMORY MALLOC-STATS
pub fn memory_malloc_stats(ctx: &mut Ctx) -> CmdResult {
    ctx.reply
        .verbatim(b"Stats not supported for the current allocator", "txt");
    Ok(())
}

/// MEMORY PURGE
pub fn memory_purge(ctx: &mut Ctx) -> CmdResult {
    crate::alloc::purge();
    ctx.reply.ok();
    Ok(())
}

/// MEMORY HELP
pub fn memory_help(ctx: &mut Ctx) -> CmdResult {
    help_reply(
        ctx,
        &[
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "HELP",
            "    Print this help.",
        ],
    );
    Ok(())
}
