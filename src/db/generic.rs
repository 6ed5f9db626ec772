//! Keyspace commands that work on keys of any type: DEL, UNLINK, EXISTS, TYPE, KEYS,
//! SCAN, RANDOMKEY, RENAME, RENAMENX, MOVE, COPY, TOUCH, DBSIZE, FLUSHDB, FLUSHALL,
//! SWAPDB and OBJECT.

use super::keyspace::notify;
use crate::command::args::is_token;
use crate::command::{CmdError, CmdResult, Ctx};
use crate::server::connection::help_reply;
use crate::util::glob::glob_match;
use crate::util::numbers::parse_i64;

/// DEL key [key ...]
pub fn del(ctx: &mut Ctx) -> CmdResult {
    let lazy = ctx.srv.config.lazyfree_lazy_user_del;
    del_generic(ctx, lazy)
}

/// UNLINK key [key ...]: like DEL, big values are freed in the background.
pub fn unlink(ctx: &mut Ctx) -> CmdResult {
    del_generic(ctx, true)
}

fn del_generic(ctx: &mut Ctx, lazy: bool) -> CmdResult {
    let db = ctx.db();
    let mut n = 0;
    for key in ctx.argv.iter().skip(1) {
        if ctx.ks.delete_lazy(db, key, lazy) {
            ctx.ks.notify(notify::GENERIC, "del", key, db);
            ctx.ks.dirty(1);
            n += 1;
        }
    }
    ctx.reply.int(n);
    Ok(())
}

/// EXISTS key [key ...]
pub fn exists(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let mut n = 0;
    for key in ctx.argv.iter().skip(1) {
        if ctx.ks.lookup_read_notouch(db, key).is_some() {
            n += 1;
        }
    }
    ctx.reply.int(n);
    Ok(())
}

/// TOUCH key [key ...]
pub fn touch(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let mut n = 0;
    for key in ctx.argv.iter().skip(1) {
        if ctx.ks.lookup_read(db, key).is_some() {
            n += 1;
        }
    }
    ctx.reply.int(n);
    Ok(())
}

/// TYPE key
pub fn type_(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let name = ctx
        .ks
        .lookup_read_notouch(db, ctx.argv.get(1))
        .map_or("none", |o| o.value.type_name());
    ctx.reply.simple(name);
    Ok(())
}

/// KEYS pattern
pub fn keys(ctx: &mut Ctx) -> CmdResult {
    let pattern = ctx.argv.get(1);
    let all = pattern == b"*";
    let now = ctx.ks.now_ms;
    let d = &ctx.ks.dbs[ctx.client.db];
    let deferred = ctx.reply.begin_deferred();
    let mut n = 0;
    for (k, _) in d.dict.iter() {
        if (all || glob_match(pattern, k, false)) && !d.is_expired(k, now) {
            ctx.reply.bulk(k);
            n += 1;
        }
    }
    ctx.reply.end_deferred_array(deferred, n);
    Ok(())
}

/// Parses a SCAN cursor as Redis does with strtoul: an optional sign, decimal
/// digits, no spaces, no overflow; a leading '-' wraps around ("-1" is the largest
/// cursor). Anything else is "ERR invalid cursor".
pub fn parse_cursor(b: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::err("invalid cursor");
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub fn scan(ctx: &mut Ctx) -> CmdResult {
    let cursor = parse_cursor(ctx.argv.get(1))?;
    let mut args = ctx.argv.cursor();
    args.next_bytes()?;
    let mut pattern: Option<&[u8]> = None;
    let mut count = 10i64;
    let mut typ: Option<Vec<u8>> = None;
    while !args.is_done() {
        if args.remaining() < 2 {
            return Err(CmdError::Syntax);
        }
        if args.eat("COUNT") {
            count = args.next_i64()?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
        } else if args.eat("MATCH") {
            pattern = Some(args.next_bytes()?);
        } else if args.eat("TYPE") {
            typ = Some(args.next_bytes()?.to_ascii_lowercase());
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let db = ctx.db();
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut next = cursor;
    let mut iterations = count * 10;
    loop {
        next = ctx.ks.dbs[db]
            .dict
            .scan(next, |k, _| found.push(k.to_vec()));
        iterations -= 1;
        if next == 0 || iterations <= 0 || found.len() as i64 >= count {
            break;
        }
    }
    let pattern = pattern.filter(|p| *p != b"*");
    ctx.reply.array_len(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    let deferred = ctx.reply.begin_deferred();
    let mut n = 0;
    for k in found {
        if let Some(p) = pattern {
            if !glob_match(p, &k, false) {
                continue;
            }
        }
        if ctx.ks.expire_if_needed(db, &k) {
            continue;
        }
        if let Some(t) = &typ {
            match ctx.ks.dbs[db].dict.get(k.as_slice()) {
                Some(o) if o.value.type_name().as_bytes() == t.as_slice() => {}
                _ => continue,
            }
        }
        ctx.reply.bulk(&k);
        n += 1;
    }
    ctx.reply.end_deferred_array(deferred, n);
    Ok(())
}

/// RANDOMKEY
pub fn randomkey(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let mut tries = 0;
    loop {
        let Some((k, _)) = ctx.ks.dbs[db].dict.random_entry() else {
            ctx.reply.null();
            return Ok(());
        };
        let k = k.to_vec();
        tries += 1;
        let expired = ctx.ks.dbs[db].is_expired(&k, ctx.ks.now_ms);
        if expired && ctx.ks.is_replica && tries >= 100 {
            // Every key is logically expired on a replica: return one anyway.
            ctx.reply.bulk(&k);
            return Ok(());
        }
        if expired {
            ctx.ks.expire_if_needed(db, &k);
            continue;
        }
        ctx.reply.bulk(&k);
        return Ok(());
    }
}

fn rename_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    let (src, dst) = (ctx.argv.get(1), ctx.argv.get(2));
    let db = ctx.db();
    if ctx.ks.lookup_write(db, src).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if src == dst {
        if nx {
            ctx.reply.int(0);
        } else {
            ctx.reply.ok();
        }
        return Ok(());
    }
    let dst_exists = ctx.ks.lookup_write(db, dst).is_some();
    if dst_exists && nx {
        ctx.reply.int(0);
        return Ok(());
    }
    let expire = ctx.ks.dbs[db].expire_of(src);
    let obj = ctx.ks.dbs[db].remove(src).ok_or(CmdError::NoSuchKey)?;
    if dst_exists {
        ctx.ks.dbs[db].remove(dst);
    }
    ctx.ks.dbs[db].insert(dst.into(), obj, expire);
    ctx.ks.signal_ready(db, dst);
    ctx.ks.modified(db, src);
    ctx.ks.modified(db, dst);
    ctx.ks.notify(notify::GENERIC, "rename_from", src, db);
    ctx.ks.notify(notify::GENERIC, "rename_to", dst, db);
    ctx.ks.dirty(1);
    if nx {
        ctx.reply.int(1);
    } else {
        ctx.reply.ok();
    }
    Ok(())
}

/// RENAME key newkey
pub fn rename(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, false)
}

/// RENAMENX key newkey
pub fn renamenx(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, true)
}

/// Parses a database index argument for MOVE/COPY.
fn parse_db_index(ctx: &Ctx, b: &[u8]) -> Result<usize, CmdError> {
    let id = parse_i64(b).ok_or(CmdError::NotInteger)?;
    if id < 0 || id >= ctx.ks.dbs.len() as i64 || id > i32::MAX as i64 {
        return Err(CmdError::err("DB index is out of range"));
    }
    Ok(id as usize)
}

/// MOVE key db
pub fn move_(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    let src = ctx.db();
    let dst = parse_db_index(ctx, ctx.argv.get(2))?;
    if src == dst {
        return Err(CmdError::SameObject);
    }
    if ctx.ks.lookup_write(src, key).is_none() || ctx.ks.lookup_write(dst, key).is_some() {
        ctx.reply.int(0);
        return Ok(());
    }
    let expire = ctx.ks.dbs[src].expire_of(key);
    let Some(obj) = ctx.ks.dbs[src].remove(key) else {
        ctx.reply.int(0);
        return Ok(());
    };
    ctx.ks.dbs[dst].insert(key.into(), obj, expire);
    ctx.ks.signal_ready(dst, key);
    ctx.ks.modified(src, key);
    ctx.ks.modified(dst, key);
    ctx.ks.notify(notify::GENERIC, "move_from", key, src);
    ctx.ks.notify(notify::GENERIC, "move_to", key, dst);
    ctx.ks.dirty(1);
    ctx.reply.int(1);
    Ok(())
}

/// COPY source destination [DB destination-db] [REPLACE]
pub fn copy(ctx: &mut Ctx) -> CmdResult {
    let (src_key, dst_key) = (ctx.argv.get(1), ctx.argv.get(2));
    let src_db = ctx.db();
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < ctx.argv.len() {
        let opt = ctx.argv.get(j);
        if is_token(opt, "REPLACE") {
            replace = true;
        } else if is_token(opt, "DB") && j + 1 < ctx.argv.len() {
            dst_db = parse_db_index(ctx, ctx.argv.get(j + 1))?;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if src_db == dst_db && src_key == dst_key {
        return Err(CmdError::SameObject);
    }
    let Some(obj) = ctx.ks.lookup_write(src_db, src_key).map(|o| o.clone()) else {
        ctx.reply.int(0);
        return Ok(());
    };
    let expire = ctx.ks.dbs[src_db].expire_of(src_key);
    if ctx.ks.lookup_write(dst_db, dst_key).is_some() {
        if !replace {
            ctx.reply.int(0);
            return Ok(());
        }
        ctx.ks.dbs[dst_db].remove(dst_key);
    }
    ctx.ks.dbs[dst_db].insert(dst_key.into(), obj, expire);
    ctx.ks.signal_ready(dst_db, dst_key);
    ctx.ks.modified(dst_db, dst_key);
    ctx.ks.notify(notify::GENERIC, "copy_to", dst_key, dst_db);
    ctx.ks.dirty(1);
    ctx.reply.int(1);
    Ok(())
}

/// DBSIZE
pub fn dbsize(ctx: &mut Ctx) -> CmdResult {
    ctx.reply.int(ctx.ks.dbs[ctx.client.db].len() as i64);
    Ok(())
}

/// Parses the optional ASYNC|SYNC argument of FLUSHDB/FLUSHALL; true for async
/// (the default follows `lazyfree-lazy-user-flush`).
fn parse_flush_mode(ctx: &Ctx) -> Result<bool, CmdError> {
    match ctx.argv.len() {
        1 => Ok(ctx.srv.config.lazyfree_lazy_user_flush),
        2 if is_token(ctx.argv.get(1), "ASYNC") => Ok(true),
        2 if is_token(ctx.argv.get(1), "SYNC") => Ok(false),
        _ => Err(CmdError::Syntax),
    }
}

/// FLUSHDB [ASYNC|SYNC]
pub fn flushdb(ctx: &mut Ctx) -> CmdResult {
    let lazy = parse_flush_mode(ctx)?;
    let db = ctx.db();
    crate::server::multi::touch_all_watched_in_db(
        ctx.srv,
        ctx.ks,
        Some(&mut *ctx.client),
        db,
        None,
    );
    let n = ctx.ks.dbs[db].clear(lazy);
    crate::server::tracking::invalidate_all(ctx.srv, Some((&mut *ctx.client, &mut *ctx.reply)));
    ctx.ks.dirty(n as u64 + 1);
    ctx.reply.ok();
    Ok(())
}

/// FLUSHALL [ASYNC|SYNC]
pub fn flushall(ctx: &mut Ctx) -> CmdResult {
    let lazy = parse_flush_mode(ctx)?;
    crate::server::multi::touch_all_watched(ctx.srv, ctx.ks, Some(&mut *ctx.client));
    let mut n = 0;
    for d in ctx.ks.dbs.iter_mut() {
        n += d.clear(lazy);
    }
    crate::server::tracking::invalidate_all(ctx.srv, Some((&mut *ctx.client, &mut *ctx.reply)));
    ctx.ks.dirty(n as u64);
    // As Redis: a running snapshot is stale now; with save points configured the
    // empty dataset is saved at once (which resets `dirty`), and the command is
    // propagated whatever the counter says.
    if ctx
        .srv
        .persist
        .child_is(crate::persist::child::Purpose::Rdb)
    {
        crate::persist::kill_child(ctx.srv, ctx.ks);
    }
    if !ctx.srv.config.save.is_empty() {
        let _ = crate::persist::snapshot::save_now(ctx.srv, ctx.ks);
    }
    ctx.ks.force_propagate = true;
    ctx.reply.ok();
    Ok(())
}

/// SWAPDB index1 index2
pub fn swapdb(ctx: &mut Ctx) -> CmdResult {
    let a = parse_i64(ctx.argv.get(1)).ok_or_else(|| CmdError::err("invalid first DB index"))?;
    let b = parse_i64(ctx.argv.get(2)).ok_or_else(|| CmdError::err("invalid second DB index"))?;
    let n = ctx.ks.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(CmdError::err("DB index is out of range"));
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        let multi = crate::server::multi::touch_all_watched_in_db;
        multi(ctx.srv, ctx.ks, Some(&mut *ctx.client), a, Some(b));
        multi(ctx.srv, ctx.ks, Some(&mut *ctx.client), b, Some(a));
        ctx.ks.dbs.swap(a, b);
        ctx.ks.dbs[a].id = a;
        ctx.ks.dbs[b].id = b;
        // Clients blocked on keys that now exist in either database may be served.
        let waiting: Vec<(usize, Vec<u8>)> = ctx
            .ks
            .blocking_keys
            .keys()
            .filter(|(d, _)| *d == a || *d == b)
            .cloned()
            .collect();
        for (d, k) in waiting {
            if ctx.ks.dbs[d].dict.contains_key(k.as_slice()) {
                ctx.ks.signal_ready(d, &k);
            }
        }
        ctx.ks.dirty(1);
    }
    ctx.reply.ok();
    Ok(())
}

/// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key, OBJECT HELP
pub fn object_help(ctx: &mut Ctx) -> CmdResult {
    help_reply(
        ctx,
        &[
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
            "HELP",
            "    Print this help.",
        ],
    );
    Ok(())
}

/// OBJECT ENCODING key
pub fn object_encoding(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    match ctx.ks.lookup_read_notouch(db, ctx.argv.get(2)) {
        Some(o) => ctx.reply.bulk(o.value.encoding().as_bytes()),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// OBJECT REFCOUNT key
pub fn object_refcount(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    match ctx.ks.lookup_read_notouch(db, ctx.argv.get(2)) {
        Some(o) => ctx.reply.int(crate::server::admin::object_refcount(o)),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// OBJECT IDLETIME key
pub fn object_idletime(ctx: &mut Ctx) -> CmdResult {
    if ctx.srv.config.maxmemory_policy.is_lfu() {
        return Err(CmdError::err("An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    }
    let db = ctx.db();
    let clock = ctx.ks.lru_clock;
    match ctx.ks.lookup_read_notouch(db, ctx.argv.get(2)) {
        Some(o) => {
            let idle = clock.wrapping_sub(o.lru) & super::keyspace::LRU_CLOCK_MAX;
            ctx.reply.int(idle as i64);
        }
        None => ctx.reply.null(),
    }
    Ok(())
}

/// OBJECT FREQ key
pub fn object_freq(ctx: &mut Ctx) -> CmdResult {
    if !ctx.srv.config.maxmemory_policy.is_lfu() {
        return Err(CmdError::err("An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    }
    let db = ctx.db();
    match ctx.ks.lookup_read_notouch(db, ctx.argv.get(2)) {
        Some(_) => ctx.reply.int(0),
        None => ctx.reply.null(),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_parses_like_strtoul() {
        assert_eq!(parse_cursor(b"0").unwrap(), 0);
        assert_eq!(parse_cursor(b"+12").unwrap(), 12);
        assert_eq!(parse_cursor(b"-1").unwrap(), u64::MAX);
        assert_eq!(parse_cursor(b"18446744073709551615").unwrap(), u64::MAX);
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"abc",
            b"18446744073709551616",
            b"-",
        ] {
            assert_eq!(parse_cursor(bad).unwrap_err().text(), "ERR invalid cursor");
        }
    }
}
