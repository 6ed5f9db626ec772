//! RDB snapshots on disk: SAVE, BGSAVE by fork, the `save` points cron checks,
//! loading the dump at startup and DEBUG RELOAD — with Redis's log lines and the
//! counters INFO persistence reports.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::os::fd::AsRawFd;

use super::child::{self, Exit, Purpose};
use crate::command::{CmdError, CmdResult, Ctx};
use crate::db::keyspace::Keyspace;
use crate::db::Db;
use crate::rdb::{self, LoadOptions, LoadReport, RdbError, SaveOptions, SaveReport};
use crate::server::reactor::EventLoop;
use crate::server::{unix_ms, Listener, Server, REDIS_VERSION};

/// Seconds a failed background save waits before a save point retries it
/// (CONFIG_BGSAVE_RETRY_DELAY).
const BGSAVE_RETRY_DELAY: i64 = 5;

/// A save failed; why has been logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveFailed;

/// The RDB side of INFO persistence.
#[derive(Debug, Clone)]
pub struct RdbState {
    /// Unix time of the last successful save (LASTSAVE).
    pub lastsave_unix: i64,
    /// Unix time of the last BGSAVE attempt.
    pub last_bgsave_try_unix: i64,
    pub last_bgsave_ok: bool,
    pub last_bgsave_time_sec: i64,
    /// `dirty` when the running BGSAVE forked: what a success subtracts.
    pub dirty_before_bgsave: u64,
    /// SAVE and BGSAVE count (rdb_saves).
    pub saves: u64,
    /// BGSAVE SCHEDULE waiting for the running child.
    pub bgsave_scheduled: bool,
    pub last_cow_size: u64,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
}

impl RdbState {
    pub fn new(now_unix: i64) -> RdbState {
        RdbState {
            lastsave_unix: now_unix,
            last_bgsave_try_unix: 0,
            last_bgsave_ok: true,
            last_bgsave_time_sec: -1,
            dirty_before_bgsave: 0,
            saves: 0,
            bgsave_scheduled: false,
            last_cow_size: 0,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
        }
    }
}

/// The aux fields Redis 7.0 writes, in its order.
pub fn aux_fields(srv: &Server, aof_base: bool) -> Vec<(&'static [u8], Vec<u8>)> {
    vec![
        (&b"redis-ver"[..], REDIS_VERSION.as_bytes().to_vec()),
        (b"redis-bits", b"64".to_vec()),
        (b"ctime", (unix_ms() / 1000).to_string().into_bytes()),
        (
            b"used-mem",
            crate::alloc::used_memory().to_string().into_bytes(),
        ),
        (b"repl-stream-db", b"0".to_vec()),
        (b"repl-id", srv.replid.as_bytes().to_vec()),
        (
            b"repl-offset",
            srv.propagator.offset.to_string().into_bytes(),
        ),
        (
            b"aof-base",
            if aof_base {
                b"1".to_vec()
            } else {
                b"0".to_vec()
            },
        ),
    ]
}

/// The descriptors a fork child closes: the listening sockets.
pub fn listener_fds(srv: &Server) -> Vec<i32> {
    srv.listeners
        .iter()
        .map(|l| match l {
            Listener::Tcp(t) => t.as_raw_fd(),
            Listener::Unix(u) => u.as_raw_fd(),
        })
        .collect()
}

/// Writes `dbs` to `filename` the safe way: a temp file named after this process,
/// flushed and fsynced, renamed over the target, the directory fsynced. Logs as
/// Redis does; the error text is for the caller's log.
pub fn write_rdb_file(
    filename: &str,
    dbs: &[Db],
    opts: &SaveOptions,
) -> Result<SaveReport, SaveFailed> {
    let tmp = format!("temp-{}.rdb", std::process::id());
    let cwd = || {
        std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "unknown".into())
    };
    let file = match File::create(&tmp) {
        Ok(f) => f,
        Err(e) => {
            log::warn!(
                "Failed opening the temp RDB file {tmp} (in server root dir {}) for saving: {}",
                cwd(),
                crate::util::strerror(&e)
            );
            return Err(SaveFailed);
        }
    };
    let mut w = BufWriter::with_capacity(64 * 1024, file);
    let werr = |op: &str, e: std::io::Error| {
        log::warn!(
            "Write error saving DB on disk({op}): {}",
            crate::util::strerror(&e)
        );
        let _ = std::fs::remove_file(&tmp);
    };
    let report = match rdb::save_snapshot(&mut w, dbs, opts) {
        Ok(r) => r,
        Err(e) => {
            werr("rdbSaveRio", e);
            return Err(SaveFailed);
        }
    };
    let file = match w.into_inner() {
        Ok(f) => f,
        Err(e) => {
            werr("fflush", e.into_error());
            return Err(SaveFailed);
        }
    };
    if let Err(e) = file.sync_all() {
        werr("fsync", e);
        return Err(SaveFailed);
    }
    drop(file);
    if let Err(e) = std::fs::rename(&tmp, filename) {
        log::warn!(
            "Error moving temp DB file {tmp} on the final destination {filename} (in server root dir {}): {}",
            cwd(),
            crate::util::strerror(&e)
        );
        let _ = std::fs::remove_file(&tmp);
        return Err(SaveFailed);
    }
    fsync_parent_dir(filename);
    log::info!("DB saved on disk");
    Ok(report)
}

/// fsyncs the directory holding `path`, so the rename itself is durable.
pub fn fsync_parent_dir(path: &str) {
    let dir = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The options every save in this server uses.
pub fn save_options<'a>(
    srv: &Server,
    ks: &Keyspace,
    aux: &'a [(&'a [u8], Vec<u8>)],
) -> SaveOptions<'a> {
    SaveOptions {
        compression: srv.config.rdbcompression,
        checksum: srv.config.rdbchecksum,
        aux,
        idle_clock: srv.config.maxmemory_policy.is_lru().then_some(ks.lru_clock),
        key_save_delay_us: srv.config.rdb_key_save_delay,
        progress: None,
    }
}

/// A synchronous save to `dbfilename` (SAVE, SHUTDOWN, FLUSHALL, DEBUG RELOAD).
pub fn save_now(srv: &mut Server, ks: &mut Keyspace) -> Result<SaveReport, SaveFailed> {
    let aux = aux_fields(srv, false);
    let opts = save_options(srv, ks, &aux);
    let report = write_rdb_file(&srv.config.dbfilename, &ks.dbs, &opts)?;
    ks.dirty = 0;
    srv.persist.rdb.lastsave_unix = unix_ms() / 1000;
    srv.persist.rdb.last_bgsave_ok = true;
    Ok(report)
}

/// Forks a child that saves to `dbfilename`; the parent returns at once.
pub fn bgsave_start(srv: &mut Server, ks: &Keyspace) -> Result<(), SaveFailed> {
    if srv.persist.child.is_some() {
        return Err(SaveFailed);
    }
    srv.persist.rdb.dirty_before_bgsave = ks.dirty;
    srv.persist.rdb.last_bgsave_try_unix = unix_ms() / 1000;
    let aux = aux_fields(srv, false);
    let opts = save_options(srv, ks, &aux);
    let filename = srv.config.dbfilename.clone();
    let fds = listener_fds(srv);
    let keys_total = ks.total_keys().0 as u64;
    let work = |reporter: &child::Reporter| {
        let report = |keys: u64| reporter.report(keys);
        let opts = SaveOptions {
            progress: Some(&report),
            ..opts
        };
        match write_rdb_file(&filename, &ks.dbs, &opts) {
            Ok(_) => 0,
            Err(SaveFailed) => 1,
        }
    };
    match child::fork_child(Purpose::Rdb, keys_total, &fds, work) {
        Ok((c, fork_us)) => {
            log::info!("Background saving started by pid {}", c.pid);
            srv.persist.note_fork(fork_us);
            srv.persist.child = Some(c);
            Ok(())
        }
        Err(e) => {
            srv.persist.rdb.last_bgsave_ok = false;
            log::warn!(
                "Can't save in background: fork: {}",
                crate::util::strerror(&e)
            );
            Err(SaveFailed)
        }
    }
}

/// Bookkeeping when a BGSAVE child ends (backgroundSaveDoneHandlerDisk).
pub fn bgsave_done(srv: &mut Server, ks: &mut Keyspace, exit: &Exit) {
    let st = &mut srv.persist.rdb;
    if exit.ok() {
        log::info!("Background saving terminated with success");
        ks.dirty = ks.dirty.saturating_sub(st.dirty_before_bgsave);
        st.lastsave_unix = unix_ms() / 1000;
        st.last_bgsave_ok = true;
    } else if exit.signal == 0 {
        log::warn!("Background saving error");
        st.last_bgsave_ok = false;
    } else {
        log::warn!("Background saving terminated by signal {}", exit.signal);
        let _ = std::fs::remove_file(format!("temp-{}.rdb", exit.pid));
        if exit.signal != libc::SIGUSR1 {
            st.last_bgsave_ok = false;
        }
    }
    st.last_bgsave_time_sec = (exit.elapsed_ms / 1000) as i64;
    st.last_cow_size = exit.cow_bytes;
}

/// The cron part of snapshots: a due `save` point or a scheduled BGSAVE starts one.
pub fn cron(srv: &mut Server, ks: &mut Keyspace) {
    if srv.persist.child.is_some() {
        return;
    }
    let now = unix_ms() / 1000;
    let st = &srv.persist.rdb;
    if st.bgsave_scheduled {
        srv.persist.rdb.bgsave_scheduled = false;
        let _ = bgsave_start(srv, ks);
        return;
    }
    let may_retry = now - st.last_bgsave_try_unix > BGSAVE_RETRY_DELAY || st.last_bgsave_ok;
    let due = srv.config.save.iter().find(|&&(secs, changes)| {
        ks.dirty >= changes.max(0) as u64 && now - st.lastsave_unix > secs
    });
    if let (Some(&(secs, changes)), true) = (due, may_retry) {
        let _ = changes;
        log::info!("{} changes in {} seconds. Saving...", ks.dirty, secs);
        let _ = bgsave_start(srv, ks);
    }
}

/// What loading needs to know besides the file: copied out of the server so the
/// server itself stays free to serve clients (with -LOADING) while it runs.
pub struct LoadParams {
    pub config: crate::config::Config,
    pub databases: usize,
    pub now_ms: i64,
    pub lru_clock: u32,
    /// Skip keys already expired (a master does; DEBUG RELOAD and startup alike).
    pub skip_expired: bool,
}

impl LoadParams {
    pub fn of(srv: &Server, ks: &Keyspace) -> LoadParams {
        LoadParams {
            config: srv.config.clone(),
            databases: ks.dbs.len(),
            now_ms: ks.now_ms,
            lru_clock: ks.lru_clock,
            skip_expired: true,
        }
    }
}

/// Reads `filename` into fresh databases, calling `progress` now and then.
pub fn read_rdb_file<'a>(
    filename: &str,
    params: &'a LoadParams,
    progress: Option<&'a mut dyn FnMut(u64)>,
) -> Result<(Vec<Db>, LoadReport), LoadFailure> {
    let file = match File::open(filename) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(LoadFailure::NotFound),
        Err(e) => return Err(LoadFailure::Io(e)),
    };
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut dbs: Vec<Db> = (0..params.databases).map(Db::new).collect();
    let mut opts = LoadOptions {
        config: &params.config,
        deep_sanitize: params.config.sanitize_dump_payload
            == crate::config::SanitizeDumpPayload::Yes,
        skip_expired_before: params.skip_expired.then_some(params.now_ms),
        lru_clock: params.lru_clock,
        progress,
        progress_interval: params.config.loading_process_events_interval_bytes.max(0) as u64,
        key_load_delay_us: params.config.key_load_delay,
    };
    let report = rdb::load_snapshot(&mut reader, &mut dbs, &mut opts).map_err(LoadFailure::Rdb)?;
    Ok((dbs, report))
}

/// Swaps freshly loaded databases in (the old ones are freed in the background).
pub fn install_loaded(srv: &mut Server, ks: &mut Keyspace, dbs: Vec<Db>, report: &LoadReport) {
    for (i, db) in dbs.into_iter().enumerate() {
        let old = std::mem::replace(&mut ks.dbs[i], db);
        crate::db::lazyfree::free_in_background(old);
    }
    srv.persist.rdb.last_load_keys_loaded = report.keys_loaded;
    srv.persist.rdb.last_load_keys_expired = report.expired_skipped;
}

/// Loads `filename` in place of the dataset (DEBUG RELOAD); the data is left
/// untouched on error.
pub fn load_file(
    srv: &mut Server,
    ks: &mut Keyspace,
    filename: &str,
) -> Result<LoadReport, LoadFailure> {
    let params = LoadParams::of(srv, ks);
    let (dbs, report) = read_rdb_file(filename, &params, None)?;
    install_loaded(srv, ks, dbs, &report);
    Ok(report)
}

/// Why loading a dump failed.
#[derive(Debug)]
pub enum LoadFailure {
    NotFound,
    Io(std::io::Error),
    Rdb(RdbError),
}

/// Loads the dump at startup (loadDataFromDisk's RDB branch), serving clients
/// with -LOADING meanwhile; false means exit(1).
pub fn load_at_startup(el: &mut EventLoop) -> bool {
    let started = std::time::Instant::now();
    let filename = el.srv.config.dbfilename.clone();
    let params = LoadParams::of(&el.srv, &el.ks);
    el.srv.persist.loading = true;
    let result = {
        let mut serve = |_bytes: u64| el.process_events_while_blocked();
        read_rdb_file(&filename, &params, Some(&mut serve))
    };
    el.srv.persist.loading = false;
    match result {
        Ok((dbs, report)) => {
            install_loaded(&mut el.srv, &mut el.ks, dbs, &report);
            log::info!(
                "DB loaded from disk: {:.3} seconds",
                started.elapsed().as_secs_f64()
            );
            true
        }
        Err(LoadFailure::NotFound) => true,
        Err(LoadFailure::Io(e)) => {
            log::warn!(
                "Fatal error loading the DB: {}. Exiting.",
                crate::util::strerror(&e)
            );
            false
        }
        Err(LoadFailure::Rdb(e)) => {
            report_corrupt(&e);
            false
        }
    }
}

/// Logs a load failure the way rdbReportError does, including the report the
/// RDB checker prints before Redis exits.
pub fn report_corrupt(e: &RdbError) {
    let reason = match e {
        RdbError::Io(io) => {
            log::warn!("Short read or OOM loading DB. Unrecoverable error, aborting now.");
            format!(
                "Unexpected EOF reading RDB file ({})",
                crate::util::strerror(io)
            )
        }
        RdbError::Corrupt(text) => text.clone(),
    };
    let msg = format!("Internal error in RDB reading offset 0, function at rdb.c:0 -> {reason}");
    log::warn!("{msg}");
    log::warn!("--- RDB ERROR DETECTED ---");
    log::warn!("[offset 0] {msg}");
    log::warn!("Terminating server after rdb file reading failure.");
}

/// SAVE
pub fn save(ctx: &mut Ctx) -> CmdResult {
    if ctx.srv.persist.child_is(Purpose::Rdb) {
        return Err(CmdError::err("Background save already in progress"));
    }
    ctx.srv.persist.rdb.saves += 1;
    match save_now(ctx.srv, ctx.ks) {
        Ok(_) => {
            ctx.reply.ok();
            Ok(())
        }
        Err(SaveFailed) => Err(CmdError::raw("ERR")),
    }
}

/// BGSAVE [SCHEDULE]
pub fn bgsave(ctx: &mut Ctx) -> CmdResult {
    let schedule = match ctx.argv.len() {
        1 => false,
        2 if ctx.argv.get(1).eq_ignore_ascii_case(b"schedule") => true,
        _ => return Err(CmdError::Syntax),
    };
    if ctx.srv.persist.child_is(Purpose::Rdb) {
        return Err(CmdError::err("Background save already in progress"));
    }
    if ctx.srv.persist.child.is_some() || ctx.srv.in_exec {
        if schedule || ctx.srv.in_exec {
            ctx.srv.persist.rdb.bgsave_scheduled = true;
            ctx.reply.simple("Background saving scheduled");
            return Ok(());
        }
        return Err(CmdError::err("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."));
    }
    ctx.srv.persist.rdb.saves += 1;
    match bgsave_start(ctx.srv, ctx.ks) {
        Ok(()) => {
            ctx.reply.simple("Background saving started");
            Ok(())
        }
        Err(SaveFailed) => Err(CmdError::raw("ERR")),
    }
}

/// LASTSAVE
pub fn lastsave(ctx: &mut Ctx) -> CmdResult {
    ctx.reply.int(ctx.srv.persist.rdb.lastsave_unix);
    Ok(())
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]
pub fn debug_reload(ctx: &mut Ctx) -> CmdResult {
    let mut save = true;
    let mut flush = true;
    for i in 2..ctx.argv.len() {
        let opt = ctx.argv.get(i);
        if opt.eq_ignore_ascii_case(b"MERGE") {
        } else if opt.eq_ignore_ascii_case(b"NOFLUSH") {
            flush = false;
        } else if opt.eq_ignore_ascii_case(b"NOSAVE") {
            save = false;
        } else {
            return Err(CmdError::err(
                "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    let _ = flush;
    if save && save_now(ctx.srv, ctx.ks).is_err() {
        return Err(CmdError::raw("ERR"));
    }
    let filename = ctx.srv.config.dbfilename.clone();
    match load_file(ctx.srv, ctx.ks, &filename) {
        Ok(_) => {
            log::warn!("DB reloaded by DEBUG RELOAD");
            ctx.reply.ok();
            Ok(())
        }
        Err(e) => {
            if let LoadFailure::Rdb(e) = &e {
                log::warn!("{e}");
            }
            Err(CmdError::err("Error trying to load the RDB dump"))
        }
    }
}
