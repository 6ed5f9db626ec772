//! AOF rewrite: the new BASE file and BGREWRITEAOF's multi-part flow.
//!
//! The base is either an RDB snapshot (`aof-use-rdb-preamble`) or the commands that
//! rebuild the dataset, in the shapes Redis's rewriteAppendOnlyFileRio emits: SET
//! for strings, RPUSH/SADD/ZADD/HMSET with at most 64 items per command, PEXPIREAT
//! after a key with a TTL, a SELECT before each non-empty database.
//!
//! In the background (rewriteAppendOnlyFileBackground): the parent first opens a new
//! INCR file so that writes from now on land beside the new base, then forks; the
//! child writes the base to a temp file, fsyncs it and renames it; when it exits
//! successfully the parent renames it into the AOF dir as the next BASE, turns the
//! INCR files it covers into history, writes the manifest atomically, and deletes
//! the history unless `aof-disable-auto-gc`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::{aof_path, lossy, AofState, Failed};
use crate::db::Db;
use crate::persist::child::{self, Exit, Purpose};
use crate::server::Server;
use crate::types::Value;

/// Items per variadic command (AOF_REWRITE_ITEMS_PER_CMD).
pub const ITEMS_PER_CMD: usize = 64;
/// `aof-rewrite-incremental-fsync` syncs every this many bytes (REDIS_AUTOSYNC_BYTES).
const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;
/// Consecutive failures after which automatic rewrites back off
/// (AOF_REWRITE_LIMITE_THRESHOLD).
const LIMIT_THRESHOLD: u64 = 3;
/// Longest back-off, in minutes (AOF_REWRITE_LIMITE_MAX_MINUTES).
const LIMIT_MAX_MINUTES: i64 = 60;

/// How to write a base file.
pub struct BaseOptions<'a> {
    /// Write an RDB snapshot with these options instead of commands.
    pub rdb: Option<crate::rdb::SaveOptions<'a>>,
    /// `aof-timestamp-enabled`: a `#TS:` line first (commands only).
    pub timestamp: bool,
    /// `rdb-key-save-delay`, in microseconds per key (tests slow rewrites with it).
    pub key_save_delay: i64,
    /// `aof-rewrite-incremental-fsync`.
    pub incremental_fsync: bool,
}

fn bulk_count<W: Write>(w: &mut W, prefix: u8, n: usize) -> io::Result<()> {
    let mut b = Vec::with_capacity(24);
    crate::protocol::resp::write_header(&mut b, prefix, n as i64);
    w.write_all(&b)
}

fn bulk<W: Write>(w: &mut W, s: &[u8]) -> io::Result<()> {
    bulk_count(w, b'$', s.len())?;
    w.write_all(s)?;
    w.write_all(b"\r\n")
}

fn bulk_i64<W: Write>(w: &mut W, v: i64) -> io::Result<()> {
    let mut b = [0u8; crate::util::numbers::MAX_I64_LEN];
    bulk(w, crate::util::numbers::i64_to_bytes(v, &mut b))
}

/// Emits `items` (each `per_item` arguments) as `cmd key ...` commands of at most
/// ITEMS_PER_CMD items.
fn batched<W: Write, I, F>(
    w: &mut W,
    cmd: &[u8],
    key: &[u8],
    total: usize,
    per_item: usize,
    items: I,
    mut write_item: F,
) -> io::Result<()>
where
    I: Iterator,
    F: FnMut(&mut W, I::Item) -> io::Result<()>,
{
    let mut left = total;
    let mut count = 0;
    for item in items {
        if count == 0 {
            let cmd_items = left.min(ITEMS_PER_CMD);
            bulk_count(w, b'*', 2 + cmd_items * per_item)?;
            bulk(w, cmd)?;
            bulk(w, key)?;
        }
        write_item(w, item)?;
        count += 1;
        if count == ITEMS_PER_CMD {
            count = 0;
        }
        left = left.saturating_sub(1);
    }
    Ok(())
}

/// The commands that rebuild one key's value.
pub fn write_value<W: Write>(w: &mut W, key: &[u8], value: &Value) -> io::Result<()> {
    let mut scratch = Vec::new();
    match value {
        Value::Str(s) => {
            w.write_all(b"*3\r\n$3\r\nSET\r\n")?;
            bulk(w, key)?;
            bulk(w, &s.bytes())
        }
        Value::List(l) => batched(w, b"RPUSH", key, l.len(), 1, l.iter(), |w, v| {
            scratch.clear();
            v.write_to(&mut scratch);
            bulk(w, &scratch)
        }),
        Value::Set(s) => batched(w, b"SADD", key, s.len(), 1, s.iter(), |w, m| {
            m.with_bytes(|b| bulk(w, b))
        }),
        Value::ZSet(z) => batched(w, b"ZADD", key, z.len(), 2, z.iter(), |w, (m, score)| {
            scratch.clear();
            crate::util::numbers::write_double(&mut scratch, score);
            bulk(w, &scratch)?;
            scratch.clear();
            m.write_to(&mut scratch);
            bulk(w, &scratch)
        }),
        Value::Hash(h) => batched(w, b"HMSET", key, h.len(), 2, h.iter(), |w, (f, v)| {
            scratch.clear();
            f.write_to(&mut scratch);
            bulk(w, &scratch)?;
            scratch.clear();
            v.write_to(&mut scratch);
            bulk(w, &scratch)
        }),
    }
}

/// Writes the commands that rebuild `dbs` (rewriteAppendOnlyFileRio), calling
/// `progress` every 1024 keys with the keys written so far.
pub fn write_commands<W: Write>(
    w: &mut W,
    dbs: &[Db],
    opts: &BaseOptions,
    progress: Option<&dyn Fn(u64)>,
) -> io::Result<()> {
    let mut keys = 0u64;
    if opts.timestamp {
        write!(w, "#TS:{}\r\n", crate::server::unix_ms() / 1000)?;
    }
    for (j, db) in dbs.iter().enumerate() {
        if db.dict.is_empty() {
            continue;
        }
        w.write_all(b"*2\r\n$6\r\nSELECT\r\n")?;
        bulk_i64(w, j as i64)?;
        for (key, obj) in db.dict.iter() {
            write_value(w, key, &obj.value)?;
            if let Some(when) = db.expire_of(key) {
                w.write_all(b"*3\r\n$9\r\nPEXPIREAT\r\n")?;
                bulk(w, key)?;
                bulk_i64(w, when)?;
            }
            keys += 1;
            if let Some(report) = progress.filter(|_| keys.is_multiple_of(1024)) {
                report(keys);
            }
            if opts.key_save_delay != 0 {
                crate::rdb::debug_delay(opts.key_save_delay);
            }
        }
    }
    Ok(())
}

/// A file that fsyncs itself every AUTOSYNC_BYTES written (rioSetAutoSync).
struct AutoSync {
    file: File,
    every: u64,
    since_sync: u64,
}

impl Write for AutoSync {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.since_sync += n as u64;
        if self.every > 0 && self.since_sync >= self.every {
            self.file.sync_data()?;
            self.since_sync = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes a base file for `dbs` to `filename` through a temp file of this process,
/// fsynced and renamed into place (rewriteAppendOnlyFile); `progress` hears how
/// many keys were written now and then.
pub fn write_base_file(
    filename: &Path,
    dbs: &[Db],
    opts: &BaseOptions,
    progress: Option<&dyn Fn(u64)>,
) -> Result<(), Failed> {
    let tmp = format!("temp-rewriteaof-{}.aof", std::process::id());
    let file = match File::create(&tmp) {
        Ok(f) => f,
        Err(e) => {
            log::warn!(
                "Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {}",
                crate::util::strerror(&e)
            );
            return Err(Failed);
        }
    };
    let every = if opts.incremental_fsync {
        AUTOSYNC_BYTES
    } else {
        0
    };
    let mut w = BufWriter::with_capacity(
        64 * 1024,
        AutoSync {
            file,
            every,
            since_sync: 0,
        },
    );
    let written = match &opts.rdb {
        Some(rdb_opts) => {
            let rdb_opts = crate::rdb::SaveOptions {
                progress,
                ..*rdb_opts
            };
            crate::rdb::save_snapshot(&mut w, dbs, &rdb_opts).map(|_| ())
        }
        None => write_commands(&mut w, dbs, opts, progress),
    }
    .and_then(|_| w.flush())
    .and_then(|_| {
        w.get_ref().file.sync_all()?;
        Ok(())
    });
    drop(w);
    if let Err(e) = written {
        log::warn!(
            "Write error writing append only file on disk: {}",
            crate::util::strerror(&e)
        );
        let _ = std::fs::remove_file(&tmp);
        return Err(Failed);
    }
    if let Err(e) = std::fs::rename(&tmp, filename) {
        log::warn!(
            "Error moving temp append only file on the final destination: {}",
            crate::util::strerror(&e)
        );
        let _ = std::fs::remove_file(&tmp);
        return Err(Failed);
    }
    Ok(())
}

/// The temp file a rewrite child with `pid` writes its base to.
fn child_temp_file(pid: libc::pid_t) -> String {
    format!("temp-rewriteaof-bg-{pid}.aof")
}

/// Removes what a rewrite child may have left behind (aofRemoveTempFile).
pub fn remove_temp_files(srv: &mut Server, pid: libc::pid_t) {
    let bio = &mut srv.persist.aof.bio;
    bio.unlink(child_temp_file(pid).into());
    bio.unlink(format!("temp-rewriteaof-{pid}.aof").into());
}

/// Starts a rewrite in a child process (rewriteAppendOnlyFileBackground).
pub fn start_background(
    srv: &mut Server,
    ks: &crate::db::keyspace::Keyspace,
) -> Result<(), Failed> {
    if srv.persist.child.is_some() {
        return Err(Failed);
    }
    let dirname = srv.config.appenddirname.clone();
    if !super::create_aof_dir(&dirname) {
        srv.persist.aof.last_bgrewrite_ok = false;
        return Err(Failed);
    }
    // The next command fed starts with a SELECT, in whichever file it lands.
    srv.propagator.reset_selected_db();
    super::flush(srv, true);
    if super::open_new_incr_for_append(srv).is_err() {
        srv.persist.aof.last_bgrewrite_ok = false;
        return Err(Failed);
    }
    srv.persist.aof.rewrites += 1;

    let aux = crate::persist::snapshot::aux_fields(srv, true);
    let opts = super::base_options(srv, ks, &aux);
    let fds = crate::persist::snapshot::listener_fds(srv);
    let keys_total = ks.total_keys().0 as u64;
    let work = |reporter: &child::Reporter| {
        let tmp = child_temp_file(std::process::id() as libc::pid_t);
        let report = |keys: u64| reporter.report(keys);
        match write_base_file(Path::new(&tmp), &ks.dbs, &opts, Some(&report)) {
            Ok(()) => {
                log::info!("Successfully created the temporary AOF base file {tmp}");
                0
            }
            Err(Failed) => 1,
        }
    };
    match child::fork_child(Purpose::Aof, keys_total, &fds, work) {
        Ok((c, fork_us)) => {
            log::info!(
                "Background append only file rewriting started by pid {}",
                c.pid
            );
            srv.persist.note_fork(fork_us);
            srv.persist.child = Some(c);
            let aof = &mut srv.persist.aof;
            aof.rewrite_scheduled = false;
            aof.rewrite_time_start = crate::server::unix_ms() / 1000;
            super::sync_feed(srv);
            Ok(())
        }
        Err(e) => {
            srv.persist.aof.last_bgrewrite_ok = false;
            log::warn!(
                "Can't rewrite append only file in background: fork: {}",
                crate::util::strerror(&e)
            );
            Err(Failed)
        }
    }
}

/// The parent's side of a finished rewrite child (backgroundRewriteDoneHandler).
pub fn done(srv: &mut Server, exit: &Exit) {
    let started = std::time::Instant::now();
    if exit.ok() {
        log::info!("Background AOF rewrite terminated with success");
        if take_new_base(srv, exit).is_ok() {
            let aof = &mut srv.persist.aof;
            aof.last_bgrewrite_ok = true;
            aof.rewrites_consecutive_failures = 0;
            aof.last_cow_size = exit.cow_bytes;
            log::info!("Background AOF rewrite finished successfully");
            if aof.state == AofState::WaitRewrite {
                aof.state = AofState::On;
            }
            log::debug!(
                "Background AOF rewrite signal handler took {}us",
                started.elapsed().as_micros()
            );
        } else {
            srv.persist.aof.last_bgrewrite_ok = false;
            srv.persist.aof.rewrites_consecutive_failures += 1;
        }
    } else if exit.signal == 0 {
        srv.persist.aof.last_bgrewrite_ok = false;
        srv.persist.aof.rewrites_consecutive_failures += 1;
        log::warn!("Background AOF rewrite terminated with error");
    } else {
        // SIGUSR1 is how we kill a child on purpose: not an error.
        if exit.signal != libc::SIGUSR1 {
            srv.persist.aof.last_bgrewrite_ok = false;
            srv.persist.aof.rewrites_consecutive_failures += 1;
        }
        log::warn!(
            "Background AOF rewrite terminated by signal {}",
            exit.signal
        );
    }

    remove_temp_files(srv, exit.pid);
    if srv.persist.aof.state == AofState::WaitRewrite {
        // The writes gathered for the failed first rewrite are useless now.
        srv.propagator.aof.buf.clear();
        super::delete_temp_incr_file(srv);
    }
    let aof = &mut srv.persist.aof;
    aof.rewrite_time_last = crate::server::unix_ms() / 1000 - aof.rewrite_time_start;
    aof.rewrite_time_start = -1;
    if aof.state == AofState::WaitRewrite {
        aof.rewrite_scheduled = true;
    }
    super::sync_feed(srv);
}

/// Renames the child's file into the next BASE, turns what it covers into
/// history and writes the manifest; nothing changes when a step fails.
fn take_new_base(srv: &mut Server, exit: &Exit) -> Result<(), Failed> {
    let tmpfile = child_temp_file(exit.pid);
    let dirname = srv.config.appenddirname.clone();
    let aof_filename = srv.config.appendfilename.clone();
    let mut am = srv.persist.aof.manifest.clone();
    let base_name = am.new_base_file(&aof_filename, super::use_rdb_preamble(srv));
    let base_path = aof_path(&dirname, &base_name);
    if let Err(e) = std::fs::rename(&tmpfile, &base_path) {
        log::warn!(
            "Error trying to rename the temporary AOF base file {tmpfile} into {}: {}",
            base_path.display(),
            crate::util::strerror(&e)
        );
        return Err(Failed);
    }
    log::info!(
        "Successfully renamed the temporary AOF base file {tmpfile} into {}",
        lossy(&base_name)
    );
    let mut new_incr_path = None;
    if srv.persist.aof.state == AofState::WaitRewrite {
        let temp_incr_name = super::manifest::temp_incr_file_name(&aof_filename);
        let temp_incr_path = aof_path(&dirname, temp_incr_name.as_bytes());
        let incr_name = am.new_incr_file(&aof_filename);
        let incr_path = aof_path(&dirname, &incr_name);
        if let Err(e) = std::fs::rename(&temp_incr_path, &incr_path) {
            log::warn!(
                "Error trying to rename the temporary AOF incr file {} into {}: {}",
                temp_incr_path.display(),
                incr_path.display(),
                crate::util::strerror(&e)
            );
            srv.persist.aof.bio.unlink(base_path);
            return Err(Failed);
        }
        log::info!(
            "Successfully renamed the temporary AOF incr file {temp_incr_name} into {}",
            lossy(&incr_name)
        );
        new_incr_path = Some(incr_path);
    }
    am.mark_rewritten_incr_as_history(srv.persist.aof.file.is_some());
    if super::persist_manifest(&dirname, &aof_filename, &mut am).is_err() {
        srv.persist.aof.bio.unlink(base_path);
        if let Some(p) = new_incr_path {
            srv.persist.aof.bio.unlink(p);
        }
        return Err(Failed);
    }
    srv.persist.aof.manifest = am;
    let aof = &mut srv.persist.aof;
    if aof.state != AofState::Off {
        let base_size = std::fs::metadata(&base_path).map_or(0, |m| m.len());
        aof.current_size = base_size + aof.last_incr_size;
        aof.rewrite_base_size = aof.current_size;
    }
    let _ = super::del_history_files(srv);
    Ok(())
}

/// Kills a running rewrite child without taking its result (killAppendOnlyChild).
pub fn kill_child(srv: &mut Server) {
    if !srv.persist.child_is(Purpose::Aof) {
        return;
    }
    let Some(mut c) = srv.persist.child.take() else {
        return;
    };
    log::info!("Killing running AOF rewrite child: {}", c.pid);
    child::kill_and_wait(&mut c);
    remove_temp_files(srv, c.pid);
    srv.persist.aof.rewrite_time_start = -1;
    super::sync_feed(srv);
}

/// After repeated failures, automatic and scheduled rewrites wait 1, 2, 4... up to
/// 60 minutes between attempts (aofRewriteLimited); BGREWRITEAOF is not limited.
pub fn limited(srv: &mut Server) -> bool {
    let now = crate::server::unix_ms() / 1000;
    let aof = &mut srv.persist.aof;
    if aof.rewrites_consecutive_failures < LIMIT_THRESHOLD {
        aof.limit_next_delay_minutes = 0;
        aof.limit_next_rewrite_time = 0;
        return false;
    }
    if aof.limit_next_rewrite_time != 0 {
        if now < aof.limit_next_rewrite_time {
            return true;
        }
        aof.limit_next_rewrite_time = 0;
        return false;
    }
    aof.limit_next_delay_minutes = if aof.limit_next_delay_minutes == 0 {
        1
    } else {
        (aof.limit_next_delay_minutes * 2).min(LIMIT_MAX_MINUTES)
    };
    aof.limit_next_rewrite_time = now + aof.limit_next_delay_minutes * 60;
    log::warn!(
        "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes",
        aof.limit_next_delay_minutes
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::RObj;

    fn opts() -> BaseOptions<'static> {
        BaseOptions {
            rdb: None,
            timestamp: false,
            key_save_delay: 0,
            incremental_fsync: false,
        }
    }

    fn run(f: impl FnOnce(&mut Db)) -> String {
        let mut db = Db::new(0);
        f(&mut db);
        let mut out = Vec::new();
        write_commands(&mut out, std::slice::from_ref(&db), &opts(), None).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn list_of(n: usize) -> Value {
        let mut l = crate::types::list::List::default();
        for i in 0..n {
            l.push_back(i.to_string().as_bytes());
        }
        Value::List(l)
    }

    #[test]
    fn a_string_is_one_set_and_its_ttl_a_pexpireat_after_it() {
        let text = run(|db| {
            let v = Value::Str(crate::types::string::RStr::from_bytes(b"bar"));
            db.dict.insert(b"foo"[..].into(), RObj::new(v, 0));
            db.set_expire(b"foo", 1700000000123);
        });
        assert_eq!(
            text,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n*3\r\n$9\r\nPEXPIREAT\r\n$3\r\nfoo\r\n$13\r\n1700000000123\r\n"
        );
    }

    #[test]
    fn lists_are_rpushed_64_items_per_command() {
        let text = run(|db| {
            db.dict.insert(b"l"[..].into(), RObj::new(list_of(130), 0));
        });
        let headers: Vec<&str> = text.split("\r\n").filter(|l| l.starts_with('*')).collect();
        assert_eq!(headers, vec!["*2", "*66", "*66", "*4"]);
        assert!(text.contains("*66\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\n0\r\n$1\r\n1\r\n"));
        assert!(text.ends_with("*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$3\r\n128\r\n$3\r\n129\r\n"));
    }

    #[test]
    fn zset_scores_are_written_like_printf_17g_before_members() {
        let mut out = Vec::new();
        let cfg = crate::config::Config::default();
        let z = crate::types::zset::ZSet::from_sorted(
            vec![(b"a".to_vec(), 0.1)],
            crate::types::zset::Limits::of(&cfg),
        );
        write_value(&mut out, b"z", &Value::ZSet(z)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$19\r\n0.10000000000000001\r\n$1\r\na\r\n"
        );
    }

    #[test]
    fn hashes_are_hmset_field_value_pairs_and_sets_sadd() {
        let mut out = Vec::new();
        let mut h = crate::types::hash::Hash::default();
        h.set(
            b"f",
            b"v",
            crate::types::hash::Limits::from_config(&crate::config::Config::default()),
        );
        write_value(&mut out, b"h", &Value::Hash(h)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "*4\r\n$5\r\nHMSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n"
        );
        let mut out = Vec::new();
        let mut s = crate::types::set::Set::default();
        s.add(b"7", 512);
        write_value(&mut out, b"s", &Value::Set(s)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$1\r\n7\r\n"
        );
    }

    #[test]
    fn empty_databases_get_no_select_and_a_timestamp_comes_first() {
        let dbs = vec![Db::new(0), Db::new(1)];
        let mut out = Vec::new();
        let o = BaseOptions {
            timestamp: true,
            ..opts()
        };
        write_commands(&mut out, &dbs, &o, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("#TS:") && text.ends_with("\r\n") && text.lines().count() == 1);
    }
}
