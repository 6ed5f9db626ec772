//! Server administration commands: CONFIG, DEBUG, SHUTDOWN, MONITOR, TIME, LASTSAVE,
//! and the shutdown sequence itself.

use super::client::flags;
use super::{unix_us, Server};
use crate::command::args::is_token;
use crate::command::{CmdError, CmdResult, Ctx};
use crate::config::SetContext;
use crate::db::keyspace::Keyspace;
use crate::server::connection::help_reply;
use crate::types::string::RStr;
use crate::types::{RObj, Value};

/// CONFIG GET parameter [parameter ...]
pub fn config_get(ctx: &mut Ctx) -> CmdResult {
    let patterns: Vec<&[u8]> = ctx.args().rest().collect();
    let pairs = ctx.srv.config.get(&patterns);
    ctx.reply.map_len(pairs.len());
    for (name, value) in pairs {
        ctx.reply.bulk(name.as_bytes());
        ctx.reply.bulk(value.as_bytes());
    }
    Ok(())
}

/// CONFIG SET parameter value [parameter value ...]
pub fn config_set(ctx: &mut Ctx) -> CmdResult {
    let mut args = ctx.args();
    if !args.remaining().is_multiple_of(2) || args.is_done() {
        return Err(CmdError::WrongArity("config|set".into()));
    }
    let mut pairs = Vec::new();
    while !args.is_done() {
        let name = args.next_bytes()?;
        let value = args.next_bytes()?;
        pairs.push((name, value));
    }
    let backup = ctx.srv.config.clone();
    let set_ctx = SetContext {
        loading: false,
        client_is_local: ctx.client.is_local(),
    };
    let changed = ctx
        .srv
        .config
        .set_ex(&pairs, set_ctx)
        .map_err(CmdError::raw)?;
    if let Err(e) = apply_config_changes(ctx.srv, ctx.ks, &changed) {
        ctx.srv.config = backup;
        let _ = apply_config_changes(ctx.srv, ctx.ks, &changed);
        if changed.contains(&"dir") {
            let _ = ctx.srv.config.apply_dir();
        }
        return Err(CmdError::raw(e));
    }
    ctx.reply.ok();
    Ok(())
}

/// Runs the side effects of changed configs (the config table's apply hooks).
pub fn apply_config_changes(
    srv: &mut Server,
    ks: &mut Keyspace,
    changed: &[&str],
) -> Result<(), String> {
    if let Some(name) = changed
        .iter()
        .find(|n| matches!(**n, "port" | "bind" | "unixsocket"))
    {
        if let Err(e) = super::reactor::rebind_listeners(srv) {
            log::warn!("{e}");
            return Err(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - Unable to listen on this port"
            ));
        }
    }
    for name in changed {
        match *name {
            "loglevel" => crate::logging::set_level(srv.config.loglevel),
            "jemalloc-bg-thread" => {
                crate::alloc::set_background_thread(srv.config.jemalloc_bg_thread);
            }
            "hz" => srv.hz = srv.config.hz.clamp(1, 500),
            "notify-keyspace-events" => ks.notify_flags = srv.config.notify_keyspace_events,
            "proc-title-template" | "set-proc-title" | "port" | "bind" | "unixsocket" => {
                let file = srv.config_file.as_ref().map(|p| p.display().to_string());
                super::proctitle::apply(&srv.config, None, file.as_deref());
            }
            "appendonly" | "aof-disable-auto-gc" | "aof-timestamp-enabled" => {
                crate::aof::apply_config(srv, ks, name)?
            }
            _ => {}
        }
    }
    Ok(())
}

/// CONFIG RESETSTAT
pub fn config_resetstat(ctx: &mut Ctx) -> CmdResult {
    reset_stats(ctx.srv, ctx.ks);
    ctx.reply.ok();
    Ok(())
}

/// Zeroes the counters INFO reports (CONFIG RESETSTAT).
pub fn reset_stats(srv: &mut Server, ks: &mut Keyspace) {
    srv.stats = Default::default();
    for s in srv.command_stats.iter_mut() {
        *s = Default::default();
    }
    for h in srv.latency.iter_mut() {
        *h = Default::default();
    }
    srv.error_stats.clear();
    crate::db::lazyfree::reset_stats();
    ks.stats = Default::default();
    srv.stat_peak_memory = crate::alloc::used_memory();
}

/// CONFIG REWRITE
pub fn config_rewrite(ctx: &mut Ctx) -> CmdResult {
    let Some(path) = ctx.srv.config_file.clone() else {
        return Err(CmdError::err("The server is running without a config file"));
    };
    match ctx.srv.config.rewrite(&path) {
        Ok(()) => {
            log::info!("CONFIG REWRITE executed with success.");
            ctx.reply.ok();
            Ok(())
        }
        Err(e) => {
            log::warn!("CONFIG REWRITE failed: {e}");
            Err(CmdError::err(format!("Rewriting config file: {e}")))
        }
    }
}

/// CONFIG HELP
pub fn config_help(ctx: &mut Ctx) -> CmdResult {
    help_reply(
        ctx,
        &[
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Print this help.",
        ],
    );
    Ok(())
}

/// TIME
pub fn time(ctx: &mut Ctx) -> CmdResult {
    let us = unix_us();
    ctx.reply.array_len(2);
    ctx.reply.bulk_i64(us / 1_000_000);
    ctx.reply.bulk_i64(us % 1_000_000);
    Ok(())
}

/// MONITOR
pub fn monitor(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.has(flags::MONITOR) {
        return Ok(());
    }
    ctx.client.flags |= flags::MONITOR | flags::SLAVE;
    ctx.srv.monitors.push(ctx.client.slot);
    ctx.reply.ok();
    Ok(())
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
pub fn shutdown(ctx: &mut Ctx) -> CmdResult {
    let mut args = ctx.args();
    let mut how = ShutdownFlags::default();
    let mut abort = false;
    while let Some(a) = args.peek() {
        args.next_bytes()?;
        if is_token(a, "NOSAVE") {
            how.nosave = true;
        } else if is_token(a, "SAVE") {
            how.save = true;
        } else if is_token(a, "NOW") {
        } else if is_token(a, "FORCE") {
            how.force = true;
        } else if is_token(a, "ABORT") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if (abort && ctx.argv.len() != 2) || (how.nosave && how.save) {
        return Err(CmdError::Syntax);
    }
    if abort {
        if !ctx.srv.shutdown_asap || ctx.srv.shutdown_prepared {
            return Err(CmdError::err("No shutdown in progress."));
        }
        ctx.srv.shutdown_asap = false;
        super::reactor::cancel_signalled_shutdown();
        log::warn!("Shutdown manually aborted.");
        ctx.reply.ok();
        return Ok(());
    }
    log::warn!("User requested shutdown...");
    if !prepare_shutdown(ctx.srv, ctx.ks, how) {
        return Err(CmdError::err("Errors trying to SHUTDOWN. Check logs."));
    }
    // Ready to exit: the loop leaves after this turn, without a reply (as Redis
    // exits from inside the command).
    ctx.srv.shutdown_asap = true;
    ctx.srv.shutdown_prepared = true;
    ctx.reply.mute = true;
    Ok(())
}

/// SHUTDOWN's options (SIGTERM uses the defaults).
#[derive(Debug, Default, Clone, Copy)]
pub struct ShutdownFlags {
    pub save: bool,
    pub nosave: bool,
    pub force: bool,
}

/// The shutdown sequence (finishShutdown); true when the process may exit, false
/// when the final save failed and the server must go on serving.
pub fn prepare_shutdown(srv: &mut Server, ks: &mut Keyspace, mut how: ShutdownFlags) -> bool {
    // While a dump loads, saving would overwrite it with a half-read dataset.
    if srv.persist.loading {
        how.save = false;
        how.nosave = true;
    }
    if srv.persist.child_is(crate::persist::child::Purpose::Rdb) {
        log::warn!("There is a child saving an .rdb. Killing it!");
        let pid = srv.persist.child.as_ref().map(|c| c.pid).unwrap_or(0);
        if let Some(mut c) = srv.persist.child.take() {
            crate::persist::child::kill_and_wait(&mut c);
        }
        let _ = std::fs::remove_file(format!("temp-{pid}.rdb"));
    }
    if !crate::aof::prepare_shutdown(srv, how.force) {
        log::warn!("Errors trying to shut down the server. Check the logs for more information.");
        return false;
    }
    if (!srv.config.save.is_empty() && !how.nosave) || how.save {
        log::info!("Saving the final RDB snapshot before exiting.");
        if crate::persist::snapshot::save_now(srv, ks).is_err() {
            if how.force {
                log::warn!("Error trying to save the DB. Exit anyway.");
            } else {
                log::warn!("Error trying to save the DB, can't exit.");
                log::warn!(
                    "Errors trying to shut down the server. Check the logs for more information."
                );
                return false;
            }
        }
    }
    if let Some(pidfile) = &srv.config.pidfile {
        log::info!("Removing the pid file.");
        let _ = std::fs::remove_file(pidfile);
    }
    if let Some(sock) = &srv.config.unixsocket {
        let _ = std::fs::remove_file(sock);
    }
    log::warn!("Redis is now ready to exit, bye bye...");
    true
}

/// DEBUG subcommand [args...]
pub fn debug(ctx: &mut Ctx) -> CmdResult {
    let sub = ctx.argv.get(1).to_ascii_lowercase();
    let argc = ctx.argv.len();
    if let Some(r) = crate::types::list::debug_list(ctx, &sub) {
        return r;
    }
    match sub.as_slice() {
        b"help" => {
            help_reply(
                ctx,
                &[
                    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "DIGEST",
                    "    Output a hex signature representing the current DB content.",
                    "DIGEST-VALUE <key> [<key> ...]",
                    "    Output a hex signature of the values of all the specified keys.",
                    "LOG <message>",
                    "    Write <message> to the server log.",
                    "OBJECT <key>",
                    "    Show low level info about the `key` and associated value.",
                    "POPULATE <count> [<prefix>] [<size>]",
                    "    Create <count> string keys named key:<num>.",
                    "PROTOCOL <type>",
                    "    Reply with a test value of the specified type.",
                    "SET-ACTIVE-EXPIRE <0|1>",
                    "    Setting it to 0 disables expiring keys in background.",
                    "SLEEP <seconds>",
                    "    Stop the server for <seconds>. Decimals allowed.",
                    "CHANGE-REPL-ID",
                    "    Change the replication IDs of the instance.",
                    "HELP",
                    "    Print this help.",
                ],
            );
            Ok(())
        }
        b"sleep" if argc == 3 => {
            let secs = crate::util::numbers::parse_f64(ctx.argv.get(2)).unwrap_or(0.0);
            if secs > 0.0 {
                std::thread::sleep(std::time::Duration::from_micros((secs * 1e6) as u64));
            }
            ctx.reply.ok();
            Ok(())
        }
        b"pause-cron" if argc == 3 => {
            ctx.srv.cron_paused = ctx.argv.get(2) != b"0";
            ctx.reply.ok();
            Ok(())
        }
        b"set-active-expire" if argc == 3 => {
            ctx.srv.active_expire_enabled = ctx.argv.get(2) != b"0";
            ctx.reply.ok();
            Ok(())
        }
        b"log" if argc == 3 => {
            log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(ctx.argv.get(2)));
            ctx.reply.ok();
            Ok(())
        }
        b"change-repl-id" if argc == 2 => {
            ctx.srv.replid = super::random_hex_id();
            ctx.reply.ok();
            Ok(())
        }
        b"object" if argc == 3 => debug_object(ctx),
        b"reload" => crate::persist::snapshot::debug_reload(ctx),
        b"loadaof" => crate::aof::debug_loadaof(ctx),
        b"aof-flush-sleep" if argc == 3 => crate::aof::debug_flush_sleep(ctx),
        b"set-skip-checksum-validation" if argc == 3 => {
            ctx.srv.persist.skip_checksum_validation = ctx.argv.get(2) != b"0";
            ctx.reply.ok();
            Ok(())
        }
        b"htstats" if argc == 3 => {
            let dbid =
                crate::util::numbers::parse_i64(ctx.argv.get(2)).ok_or(CmdError::NotInteger)?;
            if dbid < 0 || dbid >= ctx.ks.dbs.len() as i64 {
                return Err(CmdError::err("Out of range database"));
            }
            let d = &ctx.ks.dbs[dbid as usize];
            let mut text = String::from("[Dictionary HT]\n");
            d.dict.write_stats(&mut text, true);
            text.push_str("[Expires HT]\n");
            d.expires.write_stats(&mut text);
            ctx.reply.verbatim(text.as_bytes(), "txt");
            Ok(())
        }
        b"protocol" if argc == 3 => debug_protocol(ctx),
        b"populate" if (3..=5).contains(&argc) => debug_populate(ctx),
        b"digest" if argc == 2 => {
            let d = crate::db::digest::dataset_digest(ctx.ks);
            ctx.reply.simple(&d);
            Ok(())
        }
        b"digest-value" => {
            let keys: Vec<&[u8]> = ctx.argv.iter().skip(2).collect();
            ctx.reply.array_len(keys.len());
            let db = ctx.client.db;
            for k in keys {
                let d = crate::db::digest::key_digest(ctx.ks, db, k);
                ctx.reply.simple(&d);
            }
            Ok(())
        }
        b"stringmatch-len" => {
            let p = ctx.argv.try_get(2).unwrap_or(b"");
            let s = ctx.argv.try_get(3).unwrap_or(b"");
            let m = crate::util::glob::glob_match(p, s, false);
            ctx.reply.int(m as i64);
            Ok(())
        }
        b"listpack" if argc == 3 => {
            let db = ctx.client.db;
            match ctx.ks.lookup_read_notouch(db, ctx.argv.get(2)) {
                None => Err(CmdError::NoSuchKey),
                Some(o) if o.value.encoding() != "listpack" => {
                    Err(CmdError::err("Not a listpack encoded object."))
                }
                Some(_) => {
                    ctx.reply.simple("Listpack structure printed on stdout");
                    Ok(())
                }
            }
        }
        b"jmap" | b"replybuffer" => {
            ctx.reply.ok();
            Ok(())
        }
        _ => Err(CmdError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(ctx.argv.get(1))
        ))),
    }
}

fn debug_object(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let key = ctx.argv.get(2);
    let lru_clock = ctx.ks.lru_clock;
    let Some(o) = ctx.ks.lookup_read_notouch(db, key) else {
        return Err(CmdError::NoSuchKey);
    };
    let refcount = object_refcount(o);
    let serlen = o.value.heap_size().max(1);
    let idle = lru_clock.wrapping_sub(o.lru) & crate::db::keyspace::LRU_CLOCK_MAX;
    let text = format!(
        "Value at:0x{:x} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        o as *const RObj as usize,
        refcount,
        o.value.encoding(),
        serlen,
        o.lru,
        idle
    );
    ctx.reply.simple(&text);
    Ok(())
}

/// What OBJECT REFCOUNT reports: Redis shares the integers 0..9999.
pub fn object_refcount(o: &RObj) -> i64 {
    match &o.value {
        Value::Str(RStr::Int(n)) if (0..10_000).contains(n) => i32::MAX as i64,
        _ => 1,
    }
}

fn debug_protocol(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.argv.get(2).to_ascii_lowercase();
    let r = &mut *ctx.reply;
    match name.as_slice() {
        b"string" => r.bulk(b"Hello World"),
        b"integer" => r.int(12345),
        // Redis's fixed sample value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => r.double(3.141),
        b"bignum" => r.big_number(b"1234567999999999999999999999999999999"),
        b"null" => r.null(),
        b"array" => {
            r.array_len(3);
            (0..3).for_each(|j| r.int(j));
        }
        b"set" => {
            r.set_len(3);
            (0..3).for_each(|j| r.int(j));
        }
        b"map" => {
            r.map_len(3);
            for j in 0..3 {
                r.int(j);
                r.boolean(j == 1);
            }
        }
        b"attrib" => {
            if r.is_resp3() {
                r.attribute_len(1);
                r.bulk(b"key-popularity");
                r.array_len(2);
                r.bulk(b"key:123");
                r.int(90);
            }
            r.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !r.is_resp3() {
                return Err(CmdError::err("RESP2 is not supported by this command"));
            }
            r.push_len(2);
            r.bulk(b"server-cpu-usage");
            r.int(42);
            r.bulk(b"Some real reply following the push reply");
        }
        b"true" => r.boolean(true),
        b"false" => r.boolean(false),
        b"verbatim" => r.verbatim(b"This is a verbatim\nstring", "txt"),
        _ => return Err(CmdError::err("Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")),
    }
    Ok(())
}

/// DEBUG POPULATE count [prefix] [size]: creates `prefix:N` keys holding `value:N`.
fn debug_populate(ctx: &mut Ctx) -> CmdResult {
    let count = crate::util::numbers::parse_i64(ctx.argv.get(2))
        .filter(|&n| n >= 0)
        .ok_or(CmdError::OutOfRange)?;
    let prefix = ctx.argv.try_get(3).unwrap_or(b"key");
    let size = match ctx.argv.try_get(4) {
        Some(s) => Some(
            crate::util::numbers::parse_i64(s)
                .filter(|&n| n >= 0)
                .ok_or(CmdError::OutOfRange)? as usize,
        ),
        None => None,
    };
    let db = ctx.client.db;
    // Sized for every key up front, as Redis does: no rehash while loading.
    ctx.ks.dbs[db].dict.expand(count as usize);
    let mut key = Vec::with_capacity(prefix.len() + 21);
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        crate::util::numbers::write_i64(&mut key, j);
        if ctx.ks.dbs[db].dict.contains_key(key.as_slice()) {
            continue;
        }
        let mut val = format!("value:{j}").into_bytes();
        if let Some(size) = size {
            val.resize(size, 0);
        }
        let obj = RObj::new(Value::Str(RStr::from_bytes(&val)), ctx.ks.lru_clock);
        ctx.ks.dbs[db].insert_new(key.as_slice().into(), obj, None);
    }
    ctx.reply.ok();
    Ok(())
}
