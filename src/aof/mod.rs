//! The append only file, as Redis 7.0 keeps it: several files in `appenddirname`
//! tied together by a manifest (`manifest`) — one BASE file written by the last
//! rewrite and the INCR files every write has been appended to since.
//!
//! The write path: the propagator copies every command it encodes into its AOF
//! buffer (`Propagator::aof`, Redis's `aof_buf`) while the AOF takes writes;
//! `flush` writes that buffer to the open INCR file in before_sleep, before any
//! reply goes out — fsyncing it there too with `appendfsync always`, or on the
//! background thread (`bio`) once a second with `everysec`. A write error refuses
//! further writes with MISCONF until a retry succeeds.
//!
//! `rewrite` is BGREWRITEAOF and the automatic rewrite; `load` replays the files at
//! startup and for DEBUG LOADAOF. Turning `appendonly` on at runtime starts a
//! rewrite (state `WaitRewrite`) whose writes gather in a temp INCR file until it
//! succeeds. Log lines, reply texts and file names are Redis's.

pub mod bio;
pub mod load;
pub mod manifest;
pub mod rewrite;

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::command::{CmdError, CmdResult, Ctx, Handler};
use crate::config::AppendFsync;
use crate::db::keyspace::Keyspace;
use crate::persist::child::Purpose;
use crate::server::Server;
use manifest::{AofInfo, FileType, Manifest};

pub use load::CLIENT_ID_AOF;

/// Seconds between two logs of the same AOF write error (AOF_WRITE_LOG_ERROR_RATE).
const WRITE_LOG_ERROR_RATE: i64 = 30;

/// An AOF operation failed; why has been logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

/// AOF_OFF / AOF_ON / AOF_WAIT_REWRITE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AofState {
    Off,
    On,
    /// Turned on at runtime: the first rewrite must succeed before the AOF is
    /// usable.
    WaitRewrite,
}

/// The AOF side of the server's persistence state.
#[derive(Debug)]
pub struct Aof {
    pub state: AofState,
    pub manifest: Manifest,
    /// The INCR file being appended to (aof_fd), or the temp INCR file while
    /// waiting for the first rewrite.
    pub file: Option<Arc<File>>,
    /// Bytes of the BASE and INCR files (aof_current_size).
    pub current_size: u64,
    /// `current_size` after the last rewrite (aof_rewrite_base_size).
    pub rewrite_base_size: u64,
    /// Bytes written to the current INCR file, and how many of them are fsynced.
    pub last_incr_size: u64,
    pub last_incr_fsync_offset: u64,
    pub last_fsync_unix: i64,
    /// When an everysec write was first put off behind a slow fsync (0: none).
    pub flush_postponed_start: i64,
    pub delayed_fsync: u64,
    pub rewrite_scheduled: bool,
    /// Unix time the running rewrite started (-1: none), and the last one's length.
    pub rewrite_time_start: i64,
    pub rewrite_time_last: i64,
    pub last_bgrewrite_ok: bool,
    /// Rewrites started (aof_rewrites).
    pub rewrites: u64,
    pub rewrites_consecutive_failures: u64,
    pub last_write_ok: bool,
    pub last_write_errno: i32,
    pub last_cow_size: u64,
    /// DEBUG AOF-FLUSH-SLEEP: microseconds to sleep before each write.
    pub flush_sleep_us: u64,
    last_write_error_log: i64,
    last_error_retry_sec: i64,
    limit_next_delay_minutes: i64,
    limit_next_rewrite_time: i64,
    pub bio: bio::Bio,
    /// True while counted among the propagator's consumers.
    consuming: bool,
}

impl Aof {
    pub fn new(now_unix: i64) -> Aof {
        Aof {
            state: AofState::Off,
            manifest: Manifest::default(),
            file: None,
            current_size: 0,
            rewrite_base_size: 0,
            last_incr_size: 0,
            last_incr_fsync_offset: 0,
            last_fsync_unix: now_unix,
            flush_postponed_start: 0,
            delayed_fsync: 0,
            rewrite_scheduled: false,
            rewrite_time_start: -1,
            rewrite_time_last: -1,
            last_bgrewrite_ok: true,
            rewrites: 0,
            rewrites_consecutive_failures: 0,
            last_write_ok: true,
            last_write_errno: 0,
            last_cow_size: 0,
            flush_sleep_us: 0,
            last_write_error_log: 0,
            last_error_retry_sec: 0,
            limit_next_delay_minutes: 0,
            limit_next_rewrite_time: 0,
            bio: bio::Bio::default(),
            consuming: false,
        }
    }
}

// ---------------------------------------------------------------- helpers

fn now_unix() -> i64 {
    crate::server::unix_ms() / 1000
}

/// A file name of the AOF dir as text for the logs.
pub fn lossy(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// `appenddirname/name` (makePath).
pub fn aof_path(dirname: &str, name: &[u8]) -> PathBuf {
    Path::new(dirname).join(OsStr::from_bytes(name))
}

/// A regular file exists at `path` (fileExist).
pub fn file_exists(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// A directory exists at `path` (dirExists).
pub fn dir_exists(path: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_dir())
}

/// mkdir unless it exists (dirCreateIfMissing).
/// Opens the incr file `name` in `dirname` for appending (`open_append`), logging
/// Redis's line when it cannot.
fn open_incr_logged(dirname: &str, name: &[u8], truncate: bool) -> Option<File> {
    match open_append(&aof_path(dirname, name), truncate) {
        Ok(f) => Some(f),
        Err(e) => {
            log::warn!(
                "Can't open the append-only file {}: {}",
                lossy(name),
                crate::util::strerror(&e)
            );
            None
        }
    }
}

/// Creates the AOF directory if missing; logs Redis's line and returns false when
/// it cannot.
pub fn create_aof_dir(dirname: &str) -> bool {
    match create_dir_if_missing(dirname) {
        Ok(()) => true,
        Err(e) => {
            log::warn!(
                "Can't open or create append-only dir {dirname}: {}",
                crate::util::strerror(&e)
            );
            false
        }
    }
}

pub fn create_dir_if_missing(path: &str) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new().mode(0o755).create(path) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// fsyncs the directory holding `path`, so a rename in it is durable
/// (fsyncFileDir).
fn fsync_dir_of(path: &Path) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let d = match File::open(dir) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    match d.sync_all() {
        Err(e) if !matches!(e.raw_os_error(), Some(libc::EBADF) | Some(libc::EINVAL)) => Err(e),
        _ => Ok(()),
    }
}

/// Whether a new base is an RDB snapshot (`aof-use-rdb-preamble`) rather than
/// commands.
pub fn use_rdb_preamble(srv: &Server) -> bool {
    srv.config.aof_use_rdb_preamble
}

/// Opens an INCR file for appending (O_APPEND, so a write after a truncation
/// lands at the new end), created 0644, emptied first when `truncate`.
fn open_append(path: &Path, truncate: bool) -> io::Result<File> {
    // std refuses append together with truncate; O_APPEND is set by hand.
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(truncate)
        .custom_flags(libc::O_APPEND)
        .mode(0o644)
        .open(path)
}

// ---------------------------------------------------------------- the feed

/// Keeps the propagator's AOF feed in step with the state: the AOF takes the
/// stream while it is on, or while the first rewrite of a freshly enabled AOF
/// runs (feedAppendOnlyFile's condition), and counts as a consumer meanwhile.
pub fn sync_feed(srv: &mut Server) {
    let aof = &mut srv.persist.aof;
    let child_is_aof = srv
        .persist
        .child
        .as_ref()
        .is_some_and(|c| c.purpose == Purpose::Aof);
    let on = aof.state == AofState::On || (aof.state == AofState::WaitRewrite && child_is_aof);
    let feed = &mut srv.propagator.aof;
    feed.enabled = on;
    feed.timestamps = srv.config.aof_timestamp_enabled;
    if on != aof.consuming {
        if on {
            srv.propagator.consumers += 1;
        } else {
            srv.propagator.consumers = srv.propagator.consumers.saturating_sub(1);
        }
        aof.consuming = on;
    }
}

// ---------------------------------------------------------------- writing

/// write(2) until done, retrying short writes and EINTR (aofWrite): the bytes
/// written and the error that stopped it early.
fn write_retry(mut file: &File, buf: &[u8]) -> (usize, Option<io::Error>) {
    let mut done = 0;
    while done < buf.len() {
        match file.write(&buf[done..]) {
            Ok(0) => return (done, Some(io::Error::from_raw_os_error(libc::ENOSPC))),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (done, Some(e)),
        }
    }
    (done, None)
}

/// Writes the AOF buffer to the INCR file and fsyncs per `appendfsync`
/// (flushAppendOnlyFile). Runs in before_sleep, before replies are written, so
/// nothing is acknowledged before it reached the file (and, with `always`, the
/// disk). `force` writes even while an everysec fsync is still running.
pub fn flush(srv: &mut Server, force: bool) {
    if srv.persist.aof.state == AofState::Off {
        return;
    }
    let Some(file) = srv.persist.aof.file.clone() else {
        return;
    };
    let policy = srv.config.appendfsync;
    let now = now_unix();
    let skip_fsync = srv.config.no_appendfsync_on_rewrite && srv.persist.child.is_some();
    let aof = &mut srv.persist.aof;
    let buf = &mut srv.propagator.aof.buf;
    let mut sync_in_progress = false;

    if buf.is_empty() {
        // Nothing new, but an everysec fsync may still be owed for what an
        // earlier write left in the page cache (or `always` was just set).
        let owed = aof.last_incr_fsync_offset != aof.last_incr_size;
        let due = match policy {
            AppendFsync::Everysec => {
                sync_in_progress = aof.bio.pending_fsync() > 0;
                owed && now > aof.last_fsync_unix && !sync_in_progress
            }
            AppendFsync::Always => owed,
            AppendFsync::No => false,
        };
        if !due {
            return;
        }
    } else {
        if policy == AppendFsync::Everysec {
            sync_in_progress = aof.bio.pending_fsync() > 0;
        }
        if policy == AppendFsync::Everysec && !force && sync_in_progress {
            // write(2) would block behind the running fsync anyway: wait for
            // it, up to two seconds.
            if aof.flush_postponed_start == 0 {
                aof.flush_postponed_start = now;
                return;
            } else if now - aof.flush_postponed_start < 2 {
                return;
            }
            aof.delayed_fsync += 1;
            log::info!("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
        }
        if aof.flush_sleep_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(aof.flush_sleep_us));
        }
        let (mut nwritten, err) = write_retry(&file, buf);
        aof.flush_postponed_start = 0;
        if nwritten != buf.len() {
            let can_log = now - aof.last_write_error_log > WRITE_LOG_ERROR_RATE;
            if can_log {
                aof.last_write_error_log = now;
            }
            if nwritten == 0 {
                let e = err.unwrap_or_else(|| io::Error::from_raw_os_error(libc::EIO));
                if can_log {
                    log::warn!(
                        "Error writing to the AOF file: {}",
                        crate::util::strerror(&e)
                    );
                }
                aof.last_write_errno = e.raw_os_error().unwrap_or(libc::EIO);
            } else {
                if can_log {
                    log::warn!(
                        "Short write while writing to the AOF file: (nwritten={nwritten}, expected={})",
                        buf.len()
                    );
                }
                match file.set_len(aof.last_incr_size) {
                    Err(e) => {
                        if can_log {
                            log::warn!("Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {}", crate::util::strerror(&e));
                        }
                    }
                    // No partial data left in the file: retry the whole buffer.
                    Ok(()) => nwritten = 0,
                }
                aof.last_write_errno = libc::ENOSPC;
            }
            if policy == AppendFsync::Always {
                // The replies already in the output buffers promise the data is
                // on disk and the dataset can't be rolled back: stop here.
                log::warn!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
                std::process::exit(1);
            }
            aof.last_write_ok = false;
            if nwritten > 0 {
                aof.current_size += nwritten as u64;
                aof.last_incr_size += nwritten as u64;
                buf.drain(..nwritten);
            }
            return;
        }
        if !aof.last_write_ok {
            log::warn!("AOF write error looks solved, Redis can write again.");
            aof.last_write_ok = true;
        }
        aof.current_size += nwritten as u64;
        aof.last_incr_size += nwritten as u64;
        if buf.capacity() <= 64 * 1024 {
            buf.clear();
        } else {
            *buf = Vec::new();
        }
    }

    if skip_fsync {
        return;
    }
    match policy {
        AppendFsync::Always => {
            if let Err(e) = file.sync_data() {
                log::warn!(
                    "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...",
                    crate::util::strerror(&e)
                );
                std::process::exit(1);
            }
            aof.last_incr_fsync_offset = aof.last_incr_size;
            aof.last_fsync_unix = now;
        }
        AppendFsync::Everysec if now > aof.last_fsync_unix => {
            if !sync_in_progress {
                aof.bio.fsync(&file);
                aof.last_incr_fsync_offset = aof.last_incr_size;
            }
            aof.last_fsync_unix = now;
        }
        _ => {}
    }
}

/// Writes `am` to disk if it changed: a temp file, fsynced, renamed over the
/// manifest, the directory fsynced (persistAofManifest).
pub fn persist_manifest(
    dirname: &str,
    aof_filename: &str,
    am: &mut Manifest,
) -> Result<(), Failed> {
    if !am.dirty {
        return Ok(());
    }
    let am_name = manifest::manifest_file_name(aof_filename);
    let am_path = aof_path(dirname, am_name.as_bytes());
    let tmp_name = manifest::temp_manifest_file_name(aof_filename);
    let tmp_path = aof_path(dirname, tmp_name.as_bytes());
    let mut file = match OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&tmp_path)
    {
        Ok(f) => f,
        Err(e) => {
            log::warn!(
                "Can't open the AOF manifest file {tmp_name}: {}",
                crate::util::strerror(&e)
            );
            return Err(Failed);
        }
    };
    if let Err(e) = file.write_all(&am.format()) {
        log::warn!(
            "Error trying to write the temporary AOF manifest file {tmp_name}: {}",
            crate::util::strerror(&e)
        );
        return Err(Failed);
    }
    if let Err(e) = file.sync_data() {
        log::warn!(
            "Fail to fsync the temp AOF file {tmp_name}: {}.",
            crate::util::strerror(&e)
        );
        return Err(Failed);
    }
    drop(file);
    if let Err(e) = std::fs::rename(&tmp_path, &am_path) {
        log::warn!(
            "Error trying to rename the temporary AOF manifest file {tmp_name} into {am_name}: {}",
            crate::util::strerror(&e)
        );
        return Err(Failed);
    }
    if let Err(e) = fsync_dir_of(&am_path) {
        log::warn!(
            "Fail to fsync AOF directory {}: {}.",
            am_path.display(),
            crate::util::strerror(&e)
        );
        return Err(Failed);
    }
    am.dirty = false;
    Ok(())
}

/// Opens the INCR file writes go to from now on, as a rewrite starts
/// (openNewIncrAofForAppend): a new numbered INCR file recorded in the manifest,
/// or, while waiting for the first rewrite, the temp INCR file. The old file is
/// fsynced and closed in the background. Nothing changes on failure.
fn open_new_incr_for_append(srv: &mut Server) -> Result<(), Failed> {
    if srv.persist.aof.state == AofState::Off {
        return Ok(());
    }
    let dirname = srv.config.appenddirname.clone();
    let aof_filename = srv.config.appendfilename.clone();
    let (name, mut temp_am) = if srv.persist.aof.state == AofState::WaitRewrite {
        (
            manifest::temp_incr_file_name(&aof_filename).into_bytes(),
            None,
        )
    } else {
        let mut am = srv.persist.aof.manifest.clone();
        (am.new_incr_file(&aof_filename), Some(am))
    };
    let Some(file) = open_incr_logged(&dirname, &name, true) else {
        return Err(Failed);
    };
    if let Some(am) = temp_am.as_mut() {
        persist_manifest(&dirname, &aof_filename, am)?;
    }
    log::info!(
        "Creating AOF incr file {} on background rewrite",
        lossy(&name)
    );
    let aof = &mut srv.persist.aof;
    if let Some(old) = aof.file.take() {
        aof.bio.fsync_and_close(old);
        aof.last_fsync_unix = now_unix();
    }
    aof.file = Some(Arc::new(file));
    aof.last_incr_size = 0;
    aof.last_incr_fsync_offset = 0;
    if let Some(am) = temp_am {
        aof.manifest = am;
    }
    Ok(())
}

/// Deletes the HISTORY files and drops them from the manifest, unless
/// `aof-disable-auto-gc` (aofDelHistoryFiles).
pub fn del_history_files(srv: &mut Server) -> Result<(), Failed> {
    if srv.config.aof_disable_auto_gc || srv.persist.aof.manifest.history.is_empty() {
        return Ok(());
    }
    let dirname = srv.config.appenddirname.clone();
    let aof = &mut srv.persist.aof;
    for ai in std::mem::take(&mut aof.manifest.history) {
        log::info!(
            "Removing the history file {} in the background",
            lossy(&ai.file_name)
        );
        aof.bio.unlink(aof_path(&dirname, &ai.file_name));
    }
    aof.manifest.dirty = true;
    persist_manifest(&dirname, &srv.config.appendfilename, &mut aof.manifest)
}

/// Deletes the temp INCR file of a failed first rewrite (aofDelTempIncrAofFile).
fn delete_temp_incr_file(srv: &mut Server) {
    let name = manifest::temp_incr_file_name(&srv.config.appendfilename);
    log::info!("Removing the temp incr aof file {name} in the background");
    let path = aof_path(&srv.config.appenddirname, name.as_bytes());
    srv.persist.aof.bio.unlink(path);
}

// ---------------------------------------------------------------- startup

/// Reads the manifest, if there is one (aofLoadManifestFromDisk); false when it
/// is unreadable or invalid, which is fatal, as in Redis.
pub fn load_manifest_from_disk(srv: &mut Server) -> bool {
    srv.persist.aof.manifest = Manifest::default();
    let dirname = srv.config.appenddirname.clone();
    if !dir_exists(&dirname) {
        log::trace!("The AOF directory {dirname} doesn't exist");
        return true;
    }
    let am_name = manifest::manifest_file_name(&srv.config.appendfilename);
    let am_path = aof_path(&dirname, am_name.as_bytes());
    if !file_exists(&am_path) {
        log::trace!("The AOF manifest file {am_name} doesn't exist");
        return true;
    }
    let file = match File::open(&am_path) {
        Ok(f) => f,
        Err(e) => {
            log::warn!(
                "Fatal error: can't open the AOF manifest file {} for reading: {}",
                am_path.display(),
                crate::util::strerror(&e)
            );
            return false;
        }
    };
    let parsed = Manifest::parse(&mut io::BufReader::new(file));
    let err = match parsed {
        Ok(Ok(am)) => {
            srv.persist.aof.manifest = am;
            return true;
        }
        Ok(Err(e)) => e,
        Err(_) => manifest::ManifestError {
            reason: "Read AOF manifest failed",
            line: None,
        },
    };
    log::warn!("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
    if let Some((n, line)) = &err.line {
        log::warn!("Reading the manifest file, at line {n}\n");
        log::warn!(">>> '{}'\n", lossy(line));
    }
    log::warn!("{}\n", err.reason);
    false
}

/// Moves an old single `appendonly.aof` from `dir` into the AOF dir as its BASE
/// (aofUpgradePrepare). Any step may fail or be interrupted: the next start
/// tries again.
fn upgrade_prepare(srv: &mut Server) -> bool {
    let dirname = srv.config.appenddirname.clone();
    let aof_filename = srv.config.appendfilename.clone();
    if !create_aof_dir(&dirname) {
        return false;
    }
    let am = &mut srv.persist.aof.manifest;
    am.base = Some(AofInfo {
        file_name: aof_filename.clone().into_bytes(),
        file_seq: 1,
        file_type: FileType::Base,
    });
    am.curr_base_file_seq = 1;
    am.dirty = true;
    if persist_manifest(&dirname, &aof_filename, am).is_err() {
        return false;
    }
    if let Err(e) = std::fs::rename(&aof_filename, aof_path(&dirname, aof_filename.as_bytes())) {
        log::warn!(
            "Error trying to move the old AOF file {aof_filename} into dir {dirname}: {}",
            crate::util::strerror(&e)
        );
        return false;
    }
    log::info!("Successfully migrated an old-style AOF file ({aof_filename}) into the AOF directory ({dirname}).");
    true
}

/// How a base file is written with the current config.
fn base_options<'a>(
    srv: &Server,
    ks: &Keyspace,
    aux: &'a [(&'a [u8], Vec<u8>)],
) -> rewrite::BaseOptions<'a> {
    rewrite::BaseOptions {
        rdb: use_rdb_preamble(srv).then(|| crate::persist::snapshot::save_options(srv, ks, aux)),
        timestamp: srv.config.aof_timestamp_enabled,
        key_save_delay: srv.config.rdb_key_save_delay,
        incremental_fsync: srv.config.aof_rewrite_incremental_fsync,
    }
}

/// With `appendonly yes`, after loading: a BASE file for an empty start, the last
/// INCR file opened for appending (or a new one), the manifest on disk
/// (aofOpenIfNeededOnServerStart). False means exit(1).
pub fn open_on_server_start(srv: &mut Server, ks: &Keyspace) -> bool {
    if srv.persist.aof.state != AofState::On {
        return true;
    }
    let dirname = srv.config.appenddirname.clone();
    let aof_filename = srv.config.appendfilename.clone();
    if !create_aof_dir(&dirname) {
        return false;
    }
    let had_incr = !srv.persist.aof.manifest.incr.is_empty();
    if srv.persist.aof.manifest.base.is_none() && !had_incr {
        let rdb = use_rdb_preamble(srv);
        let base_name = srv.persist.aof.manifest.new_base_file(&aof_filename, rdb);
        let aux = crate::persist::snapshot::aux_fields(srv, true);
        let opts = base_options(srv, ks, &aux);
        if rewrite::write_base_file(&aof_path(&dirname, &base_name), &ks.dbs, &opts, None).is_err()
        {
            return false;
        }
        log::info!(
            "Creating AOF base file {} on server start",
            lossy(&base_name)
        );
    }
    let name = srv.persist.aof.manifest.last_incr_file(&aof_filename);
    let Some(file) = open_incr_logged(&dirname, &name, false) else {
        return false;
    };
    if persist_manifest(&dirname, &aof_filename, &mut srv.persist.aof.manifest).is_err() {
        return false;
    }
    let size = file.metadata().map_or(0, |m| m.len());
    let aof = &mut srv.persist.aof;
    aof.file = Some(Arc::new(file));
    aof.last_incr_size = size;
    aof.last_incr_fsync_offset = size;
    if had_incr {
        log::info!("Opening AOF incr file {} on server start", lossy(&name));
    } else {
        log::info!("Creating AOF incr file {} on server start", lossy(&name));
    }
    sync_feed(srv);
    true
}

// ---------------------------------------------------------------- on and off

/// `appendonly` turned on at runtime (startAppendOnly): a rewrite starts now, or
/// as soon as the running child is done.
pub fn start(srv: &mut Server, ks: &Keyspace) -> Result<(), Failed> {
    srv.persist.aof.state = AofState::WaitRewrite;
    let other_child = srv.persist.child.is_some() && !srv.persist.child_is(Purpose::Aof);
    if other_child {
        srv.persist.aof.rewrite_scheduled = true;
        log::warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
    } else if srv.in_exec {
        srv.persist.aof.rewrite_scheduled = true;
        log::warn!("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
    } else {
        // A rewrite already running is not gathering the writes: start over.
        if srv.persist.child_is(Purpose::Aof) {
            log::warn!("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
            rewrite::kill_child(srv);
        }
        if rewrite::start_background(srv, ks).is_err() {
            srv.persist.aof.state = AofState::Off;
            log::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
            return Err(Failed);
        }
    }
    let aof = &mut srv.persist.aof;
    aof.last_fsync_unix = now_unix();
    if aof.bio.fsync_error().is_some() {
        log::warn!("AOF reopen, just ignore the AOF fsync error in bio job");
        aof.bio.clear_fsync_error();
    }
    if !aof.last_write_ok {
        log::warn!("AOF reopen, just ignore the last error.");
        aof.last_write_ok = true;
    }
    sync_feed(srv);
    Ok(())
}

/// `appendonly` turned off at runtime (stopAppendOnly): what is buffered is
/// written and fsynced, the file closed, a running rewrite killed.
pub fn stop(srv: &mut Server) {
    flush(srv, true);
    let aof = &mut srv.persist.aof;
    if let Some(file) = aof.file.take() {
        match file.sync_data() {
            Err(e) => log::warn!("Fail to fsync the AOF file: {}", crate::util::strerror(&e)),
            Ok(()) => aof.last_fsync_unix = now_unix(),
        }
    }
    aof.state = AofState::Off;
    aof.rewrite_scheduled = false;
    aof.last_incr_size = 0;
    aof.last_incr_fsync_offset = 0;
    srv.propagator.reset_selected_db();
    rewrite::kill_child(srv);
    srv.propagator.aof.buf = Vec::new();
    sync_feed(srv);
}

/// The apply hooks of the AOF's configs.
pub fn apply_config(srv: &mut Server, ks: &mut Keyspace, name: &str) -> Result<(), String> {
    match name {
        "appendonly" => {
            let state = srv.persist.aof.state;
            if !srv.config.appendonly && state != AofState::Off {
                stop(srv);
            } else if srv.config.appendonly && state == AofState::Off && start(srv, ks).is_err() {
                log::warn!("Failed applying new configuration. Possibly related to new appendonly setting. Restoring previous settings.");
                return Err("ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs.".into());
            }
        }
        "aof-disable-auto-gc" => {
            if !srv.config.aof_disable_auto_gc {
                let _ = del_history_files(srv);
            }
        }
        _ => sync_feed(srv),
    }
    Ok(())
}

// ---------------------------------------------------------------- cron

/// The AOF's part of serverCron: a scheduled or automatic rewrite, a write put
/// off behind a slow fsync, and once a second a retry after a write error.
pub fn cron(srv: &mut Server, ks: &mut Keyspace) {
    if srv.persist.child.is_none() && srv.persist.aof.rewrite_scheduled && !rewrite::limited(srv) {
        let _ = rewrite::start_background(srv, ks);
    }
    let aof = &srv.persist.aof;
    let perc = srv.config.auto_aof_rewrite_percentage;
    if aof.state == AofState::On
        && srv.persist.child.is_none()
        && perc > 0
        && aof.current_size as i64 > srv.config.auto_aof_rewrite_min_size
    {
        let base = aof.rewrite_base_size.max(1) as i64;
        let growth = (aof.current_size as i64).saturating_mul(100) / base - 100;
        if growth >= perc && !rewrite::limited(srv) {
            log::info!("Starting automatic rewriting of AOF on {growth}% growth");
            let _ = rewrite::start_background(srv, ks);
        }
    }
    let active = srv.persist.aof.state != AofState::Off;
    if active && srv.persist.aof.flush_postponed_start != 0 {
        flush(srv, false);
    }
    let sec = now_unix();
    if sec != srv.persist.aof.last_error_retry_sec {
        srv.persist.aof.last_error_retry_sec = sec;
        if active && !srv.persist.aof.last_write_ok {
            flush(srv, false);
        }
    }
}

/// What a finished child means for the AOF.
pub fn on_child_exit(srv: &mut Server, exit: &crate::persist::child::Exit) {
    rewrite::done(srv, exit);
}

// ---------------------------------------------------------------- errors, info, shutdown

/// Why writes are refused after an AOF write or fsync error, as the MISCONF reply
/// words it (writeCommandsDeniedByDiskError's AOF branch).
pub fn write_error(srv: &Server) -> Option<String> {
    let aof = &srv.persist.aof;
    if aof.state == AofState::Off {
        return None;
    }
    let errno = if !aof.last_write_ok {
        aof.last_write_errno
    } else {
        aof.bio.fsync_error()?
    };
    Some(format!(
        "MISCONF Errors writing to the AOF file: {}",
        crate::util::strerror(&io::Error::from_raw_os_error(errno))
    ))
}

/// The aof_* lines of INFO persistence, `aof_enabled` to `aof_last_cow_size`.
pub fn info_fields(srv: &Server) -> String {
    let aof = &srv.persist.aof;
    let child = srv.persist.child_is(Purpose::Aof);
    let current = if child && aof.rewrite_time_start >= 0 {
        now_unix() - aof.rewrite_time_start
    } else {
        -1
    };
    let write_ok = aof.last_write_ok && aof.bio.fsync_error().is_none();
    format!(
        "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\naof_last_cow_size:{}\r\n",
        i32::from(aof.state != AofState::Off),
        i32::from(child),
        i32::from(aof.rewrite_scheduled),
        aof.rewrite_time_last,
        current,
        if aof.last_bgrewrite_ok { "ok" } else { "err" },
        aof.rewrites,
        aof.rewrites_consecutive_failures,
        if write_ok { "ok" } else { "err" },
        aof.last_cow_size,
    )
}

/// The lines INFO persistence adds after the module ones when `appendonly` is yes.
pub fn info_extra(srv: &Server) -> String {
    if !srv.config.appendonly {
        return String::new();
    }
    let aof = &srv.persist.aof;
    format!(
        "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\naof_buffer_length:{}\r\naof_pending_bio_fsync:{}\r\naof_delayed_fsync:{}\r\n",
        aof.current_size,
        aof.rewrite_base_size,
        i32::from(aof.rewrite_scheduled),
        srv.propagator.aof.buf.len(),
        aof.bio.pending_fsync(),
        aof.delayed_fsync,
    )
}

/// `mem_aof_buffer` of INFO memory.
pub fn buffer_memory(srv: &Server) -> usize {
    srv.propagator.aof.buf.capacity()
}

/// The AOF's part of the shutdown sequence: a running rewrite is killed (unless it
/// is the first one, whose loss would lose the dataset, and `force` is not
/// given), and the AOF is written and fsynced. False means: do not exit.
pub fn prepare_shutdown(srv: &mut Server, force: bool) -> bool {
    if srv.persist.child_is(Purpose::Aof) {
        if srv.persist.aof.state == AofState::WaitRewrite {
            if force {
                log::warn!("Writing initial AOF. Exit anyway.");
            } else {
                log::warn!("Writing initial AOF, can't exit.");
                return false;
            }
        }
        log::warn!("There is a child rewriting the AOF. Killing it!");
        rewrite::kill_child(srv);
    }
    if srv.persist.aof.state != AofState::Off {
        log::info!("Calling fsync() on the AOF file.");
        flush(srv, true);
        if let Some(file) = &srv.persist.aof.file {
            if let Err(e) = file.sync_data() {
                log::warn!("Fail to fsync the AOF file: {}.", crate::util::strerror(&e));
            }
        }
    }
    true
}

/// True when replies must wait for the AOF to reach the disk (`appendfsync
/// always` with the AOF on): the reactor then writes to a client before reading
/// its next commands in the same turn (Redis's AE_BARRIER), so a reply never
/// leaves before before_sleep has fsynced the write it acknowledges.
pub fn replies_wait_for_fsync(srv: &Server) -> bool {
    srv.persist.aof.state == AofState::On && srv.config.appendfsync == AppendFsync::Always
}

// ---------------------------------------------------------------- commands

/// BGREWRITEAOF
pub fn bgrewriteaof(ctx: &mut Ctx) -> CmdResult {
    if ctx.srv.persist.child_is(Purpose::Aof) {
        return Err(CmdError::err(
            "Background append only file rewriting already in progress",
        ));
    }
    if ctx.srv.persist.child.is_some() || ctx.srv.in_exec {
        let aof = &mut ctx.srv.persist.aof;
        aof.rewrite_scheduled = true;
        // Asked for by hand: run it as soon as possible, whatever failed before.
        aof.rewrites_consecutive_failures = 0;
        ctx.reply
            .simple("Background append only file rewriting scheduled");
        return Ok(());
    }
    match rewrite::start_background(ctx.srv, ctx.ks) {
        Ok(()) => {
            ctx.reply.simple("Background append only file rewriting started");
            Ok(())
        }
        Err(Failed) => Err(CmdError::err("Can't execute an AOF background rewriting. Please check the server logs for more information.")),
    }
}

/// DEBUG LOADAOF: writes out the AOF buffer, empties the dataset and loads the
/// AOF again. As in Redis, a failure to load ends the process.
pub fn debug_loadaof(ctx: &mut Ctx) -> CmdResult {
    if ctx.srv.persist.aof.state != AofState::Off {
        flush(ctx.srv, true);
    }
    crate::server::multi::touch_all_watched(ctx.srv, ctx.ks, Some(&mut *ctx.client));
    for db in 0..ctx.ks.dbs.len() {
        let old = std::mem::replace(&mut ctx.ks.dbs[db], crate::db::Db::new(db));
        crate::db::lazyfree::free_in_background(old);
    }
    if !load_manifest_from_disk(ctx.srv) {
        std::process::exit(1);
    }
    let _ = del_history_files(ctx.srv);
    let ret = load::load_files(&mut load::InPlace {
        srv: ctx.srv,
        ks: ctx.ks,
    });
    if ret != load::LoadStatus::Ok && ret != load::LoadStatus::Empty {
        std::process::exit(1);
    }
    // Not a write to propagate.
    ctx.ks.dirty = 0;
    log::warn!("Append Only File loaded by DEBUG LOADAOF");
    ctx.reply.ok();
    Ok(())
}

/// DEBUG AOF-FLUSH-SLEEP microseconds
pub fn debug_flush_sleep(ctx: &mut Ctx) -> CmdResult {
    let v = crate::util::numbers::parse_i64(ctx.argv.get(2)).unwrap_or(0);
    ctx.srv.persist.aof.flush_sleep_us = v.max(0) as u64;
    ctx.reply.ok();
    Ok(())
}

/// The AOF's commands.
pub static COMMANDS: &[(&str, Handler)] = &[("bgrewriteaof", bgrewriteaof)];
