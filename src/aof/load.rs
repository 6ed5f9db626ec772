//! Loading the append only file: the manifest's BASE file (an RDB snapshot, or
//! commands) and then its INCR files in order, each command replayed through the
//! real dispatch by a client without a connection, as Redis's
//! loadAppendOnlyFiles/loadSingleAppendOnlyFile do — with their log lines, the
//! `aof-load-truncated` handling of a cut-off last command (the file is truncated
//! to the last complete one), the revert of an unfinished MULTI, and the upgrade of
//! an old single `appendonly.aof` in `dir` into the multi-part layout.
//!
//! Nothing in the file is trusted: lengths are read as the bytes arrive (a forged
//! length costs no allocation), and any malformed input ends in Redis's error
//! path, never a panic.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::time::Instant;

use super::manifest::read_line_limited;
use super::{aof_path, lossy, AofState};
use crate::command::dispatch::execute;
use crate::command::OwnedArgv;
use crate::db::keyspace::Keyspace;
use crate::protocol::request::Span;
use crate::server::client::{flags, Client, ClientState};
use crate::server::reactor::EventLoop;
use crate::server::Server;
use crate::util::numbers::c_atoi;

/// The client id replayed commands run under (CLIENT_ID_AOF): dispatch lets it
/// through the checks only real clients get (OOM, MISCONF).
pub const CLIENT_ID_AOF: u64 = u64::MAX;
/// Longest line fgets reads while loading (AOF_ANNOTATION_LINE_MAX_LEN).
const LINE_MAX: usize = 1024;

/// Where a load runs: the server and dataset it fills, and a way to serve clients
/// meanwhile (the event loop at startup answers them with -LOADING; inside DEBUG
/// LOADAOF nobody else is served).
pub trait LoadHost {
    fn parts(&mut self) -> (&mut Server, &mut Keyspace);
    fn serve_clients(&mut self);
}

impl LoadHost for EventLoop {
    fn parts(&mut self) -> (&mut Server, &mut Keyspace) {
        (&mut self.srv, &mut self.ks)
    }

    fn serve_clients(&mut self) {
        self.process_events_while_blocked();
    }
}

/// Loading from inside a command: the caller's server and keyspace, no serving.
pub struct InPlace<'a> {
    pub srv: &'a mut Server,
    pub ks: &'a mut Keyspace,
}

impl LoadHost for InPlace<'_> {
    fn parts(&mut self) -> (&mut Server, &mut Keyspace) {
        (self.srv, self.ks)
    }

    fn serve_clients(&mut self) {}
}

/// Commands replayed between two rounds of serving clients (Redis: 1024).
const COMMANDS_PER_SERVE: u64 = 1024;

/// How loading a file, or the whole AOF, ended (AOF_OK, AOF_NOT_EXIST, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadStatus {
    Ok,
    NotExist,
    Empty,
    OpenErr,
    Failed,
    /// The last command was cut off and `aof-load-truncated` let it go.
    Truncated,
}

/// A reader that knows how many bytes were consumed (ftello).
struct Counting<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.pos += amt as u64;
    }
}

/// One step of reading commands.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Command(OwnedArgv),
    /// Clean end of file.
    Eof,
    /// The file ends inside a command.
    Truncated,
    /// Bytes that are not the AOF format.
    Format,
}

/// Reads the next command in RESP form, skipping `#` annotation lines, the way
/// Redis's loader does (an argument's trailing CRLF is skipped, not checked).
pub fn read_command<R: BufRead>(r: &mut R) -> io::Result<Step> {
    let header = loop {
        let Some(line) = read_line_limited(r, LINE_MAX - 1)? else {
            return Ok(Step::Eof);
        };
        if line[0] != b'#' {
            break line;
        }
    };
    if header[0] != b'*' {
        return Ok(Step::Format);
    }
    if header.len() == 1 {
        return Ok(Step::Truncated);
    }
    // atoi: the int part of strtol.
    let argc = c_atoi(&header[1..]) as i32;
    if argc < 1 {
        return Ok(Step::Format);
    }
    let mut argv = OwnedArgv::default();
    for _ in 0..argc {
        let Some(line) = read_line_limited(r, LINE_MAX - 1)? else {
            return Ok(Step::Truncated);
        };
        if line[0] != b'$' {
            return Ok(Step::Format);
        }
        let len = c_atoi(&line[1..]);
        if len < 0 {
            return Ok(Step::Format);
        }
        let start = argv.buf.len();
        if !read_exact_growing(r, &mut argv.buf, len as u64)? {
            return Ok(Step::Truncated);
        }
        argv.spans.push(Span {
            start,
            len: len as usize,
        });
        let mut crlf = [0u8; 2];
        if !read_exact_growing_into(r, &mut crlf)? {
            return Ok(Step::Truncated);
        }
    }
    Ok(Step::Command(argv))
}

/// Appends exactly `len` bytes to `out`, growing it only as data arrives; false
/// when the input ends first.
fn read_exact_growing<R: BufRead>(r: &mut R, out: &mut Vec<u8>, len: u64) -> io::Result<bool> {
    let mut left = len;
    while left > 0 {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(false);
        }
        let take = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        out.extend_from_slice(&chunk[..take]);
        r.consume(take);
        left -= take as u64;
    }
    Ok(true)
}

fn read_exact_growing_into<R: BufRead>(r: &mut R, out: &mut [u8]) -> io::Result<bool> {
    let mut v = Vec::with_capacity(out.len());
    if !read_exact_growing(r, &mut v, out.len() as u64)? {
        return Ok(false);
    }
    out.copy_from_slice(&v);
    Ok(true)
}

/// The connection-less client commands are replayed by (createAOFClient): it never
/// blocks and its replies are dropped.
fn aof_client() -> Client {
    let mut st = ClientState::new(CLIENT_ID_AOF, usize::MAX, crate::server::unix_ms());
    st.flags |= flags::DENY_BLOCKING | flags::REPLY_OFF;
    st.authenticated = true;
    Client::new(None, st)
}

/// True when the command is one this server runs.
fn runnable(srv: &Server, argv: &OwnedArgv) -> bool {
    match srv.registry.lookup(&argv.view()) {
        Ok(cmd) => cmd.handler.is_some() || !cmd.subcommands.is_empty(),
        Err(_) => false,
    }
}

/// Replays one file of the AOF (loadSingleAppendOnlyFile).
pub fn load_single_file(host: &mut dyn LoadHost, filename: &[u8]) -> LoadStatus {
    let (srv, _) = host.parts();
    let name = lossy(filename);
    let path = aof_path(&srv.config.appenddirname, filename);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            let exists = std::fs::metadata(&path).is_ok();
            if exists || e.kind() != io::ErrorKind::NotFound {
                log::warn!(
                    "Fatal error: can't open the append log file {name} for reading: {}",
                    crate::util::strerror(&e)
                );
                return LoadStatus::OpenErr;
            }
            log::warn!(
                "The append log file {name} doesn't exist: {}",
                crate::util::strerror(&e)
            );
            return LoadStatus::NotExist;
        }
    };
    if file.metadata().is_ok_and(|m| m.len() == 0) {
        return LoadStatus::Empty;
    }
    let mut r = Counting {
        inner: BufReader::with_capacity(64 * 1024, file),
        pos: 0,
    };
    let truncate_ok = srv.config.aof_load_truncated;
    let mut valid_up_to: u64 = 0;

    let is_rdb = match r.fill_buf() {
        Ok(b) => b.len() >= 5 && &b[..5] == b"REDIS",
        Err(e) => return unrecoverable(&name, &e),
    };
    if is_rdb {
        let old_style = filename == srv.config.appendfilename.as_bytes();
        if old_style {
            log::info!("Reading RDB preamble from AOF file...");
        } else {
            log::info!("Reading RDB base file on AOF loading...");
        }
        if let Err(e) = load_rdb_part(host, &mut r) {
            crate::persist::snapshot::report_corrupt(&e);
            if old_style {
                log::warn!(
                    "Error reading the RDB preamble of the AOF file {name}, AOF loading aborted"
                );
            } else {
                log::warn!("Error reading the RDB base file {name}, AOF loading aborted");
            }
            return LoadStatus::Failed;
        }
        // Redis starts counting valid bytes at 0 even after a preamble, which would
        // truncate the snapshot away with a cut-off first command; start after it.
        valid_up_to = r.pos;
        if old_style {
            log::info!("Reading the remaining AOF tail...");
        }
    }

    let mut client = aof_client();
    let mut valid_before_multi = valid_up_to;
    let key_load_delay = host.parts().0.config.key_load_delay;
    let mut loops = 0u64;
    let outcome = loop {
        loops += 1;
        if loops.is_multiple_of(COMMANDS_PER_SERVE) {
            host.serve_clients();
        }
        let argv = match read_command(&mut r) {
            Ok(Step::Command(a)) => a,
            Ok(Step::Eof) => break Step::Eof,
            Ok(other) => break other,
            Err(e) => return unrecoverable(&name, &e),
        };
        let (srv, ks) = host.parts();
        if !runnable(srv, &argv) {
            log::warn!(
                "Unknown command '{}' reading the append only file {name}",
                lossy(argv.view().get(0))
            );
            return LoadStatus::Failed;
        }
        if argv.view().get(0).eq_ignore_ascii_case(b"multi") {
            valid_before_multi = valid_up_to;
        }
        srv.refresh_clock();
        execute(srv, ks, &mut client, argv.view());
        client.reply.buf.clear();
        client.reply.sent = 0;
        if truncate_ok {
            valid_up_to = r.pos;
        }
        if key_load_delay != 0 {
            crate::rdb::debug_delay(key_load_delay);
        }
    };

    match outcome {
        Step::Eof if client.st.has(flags::MULTI) => {
            log::warn!("Revert incomplete MULTI/EXEC transaction in AOF file {name}");
            truncated_tail(&path, &name, valid_before_multi, truncate_ok)
        }
        Step::Eof => LoadStatus::Ok,
        Step::Truncated => truncated_tail(&path, &name, valid_up_to, truncate_ok),
        _ => {
            log::warn!("Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>");
            LoadStatus::Failed
        }
    }
}

fn unrecoverable(name: &str, e: &io::Error) -> LoadStatus {
    log::warn!(
        "Unrecoverable error reading the append only file {name}: {}",
        crate::util::strerror(e)
    );
    LoadStatus::Failed
}

/// The file ended inside a command (or an unfinished MULTI): with
/// `aof-load-truncated` it is cut back to the last complete command and loading
/// goes on; otherwise loading fails.
fn truncated_tail(
    path: &std::path::Path,
    name: &str,
    valid_up_to: u64,
    truncate_ok: bool,
) -> LoadStatus {
    if truncate_ok {
        log::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
        log::warn!("!!! Truncating the AOF {name} at offset {valid_up_to} !!!");
        let truncated = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(valid_up_to));
        match truncated {
            Err(e) => log::warn!(
                "Error truncating the AOF file {name}: {}",
                crate::util::strerror(&e)
            ),
            Ok(()) => {
                // The open INCR file is in append mode: its next write lands at
                // the new end by itself.
                log::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
                return LoadStatus::Truncated;
            }
        }
    }
    log::warn!("Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.");
    LoadStatus::Failed
}

/// Loads an RDB base or preamble into the databases, leaving the reader right
/// after its checksum; clients are served every few MB meanwhile.
fn load_rdb_part<R: BufRead>(
    host: &mut dyn LoadHost,
    r: &mut R,
) -> Result<(), crate::rdb::RdbError> {
    let params = {
        let (srv, ks) = host.parts();
        crate::persist::snapshot::LoadParams::of(srv, ks)
    };
    let mut dbs: Vec<crate::db::Db> = (0..params.databases).map(crate::db::Db::new).collect();
    let report = {
        let mut serve = |_bytes: u64| host.serve_clients();
        let mut opts = crate::rdb::LoadOptions {
            config: &params.config,
            deep_sanitize: params.config.sanitize_dump_payload
                == crate::config::SanitizeDumpPayload::Yes,
            // An AOF base keeps keys already expired: the commands after it
            // may still touch them, as when they were written.
            skip_expired_before: None,
            lru_clock: params.lru_clock,
            progress: Some(&mut serve),
            progress_interval: params.config.loading_process_events_interval_bytes.max(0) as u64,
            key_load_delay_us: params.config.key_load_delay,
        };
        crate::rdb::load_snapshot(r, &mut dbs, &mut opts)?
    };
    let (srv, ks) = host.parts();
    crate::persist::snapshot::install_loaded(srv, ks, dbs, &report);
    Ok(())
}

/// Size of a file of the AOF dir (getAppendOnlyFileSize), logging a failure.
pub fn file_size(dirname: &str, filename: &[u8]) -> Result<u64, LoadStatus> {
    match std::fs::metadata(aof_path(dirname, filename)) {
        Ok(m) => Ok(m.len()),
        Err(e) => {
            log::warn!(
                "Unable to obtain the AOF file {} length. stat: {}",
                lossy(filename),
                crate::util::strerror(&e)
            );
            Err(if e.kind() == io::ErrorKind::NotFound {
                LoadStatus::NotExist
            } else {
                LoadStatus::OpenErr
            })
        }
    }
}

/// Loads every BASE and INCR file of the manifest (loadAppendOnlyFiles). The
/// replay is invisible to the outside: nothing is propagated and the command
/// statistics are left as they were.
pub fn load_files(host: &mut dyn LoadHost) -> LoadStatus {
    let (srv, _) = host.parts();
    let aof_filename = srv.config.appendfilename.clone();
    let dirname = srv.config.appenddirname.clone();
    if super::file_exists(std::path::Path::new(&aof_filename)) {
        let am = &srv.persist.aof.manifest;
        let dir_missing = !super::dir_exists(&dirname);
        let nothing_listed = am.base.is_none() && am.incr.is_empty();
        let only_old_base = am.incr.is_empty()
            && am
                .base
                .as_ref()
                .is_some_and(|b| b.file_name == aof_filename.as_bytes())
            && !super::file_exists(&aof_path(&dirname, aof_filename.as_bytes()));
        if (dir_missing || nothing_listed || only_old_base) && !super::upgrade_prepare(srv) {
            std::process::exit(1);
        }
    }
    let am = srv.persist.aof.manifest.clone();
    if am.base.is_none() && am.incr.is_empty() {
        return LoadStatus::NotExist;
    }
    let total_num = am.live_files();
    let mut total_size = 0u64;
    for ai in am.base.iter().chain(am.incr.iter()) {
        match file_size(&dirname, &ai.file_name) {
            Ok(n) => total_size += n,
            Err(LoadStatus::NotExist) => return LoadStatus::Failed,
            Err(status) => return status,
        }
    }
    if total_size == 0 {
        return LoadStatus::Empty;
    }

    let saved = {
        let (srv, ks) = host.parts();
        Quiet::begin(srv, ks)
    };
    let mut ret = LoadStatus::Ok;
    let mut base_size = 0;
    let mut aof_num = 0;
    let files = am
        .base
        .iter()
        .map(|ai| (ai, "base"))
        .chain(am.incr.iter().map(|ai| (ai, "incr")));
    for (ai, kind) in files {
        if kind == "base" {
            base_size = file_size(&dirname, &ai.file_name).unwrap_or(0);
        }
        aof_num += 1;
        let last_file = aof_num == total_num;
        let start = Instant::now();
        ret = load_single_file(host, &ai.file_name);
        if ret == LoadStatus::Ok || (ret == LoadStatus::Truncated && last_file) {
            log::info!(
                "DB loaded from {kind} file {}: {:.3} seconds",
                lossy(&ai.file_name),
                start.elapsed().as_secs_f64()
            );
        }
        // At least one file has data, so an empty INCR file is no reason to
        // call the whole AOF empty.
        if ret == LoadStatus::Empty && kind == "incr" {
            ret = LoadStatus::Ok;
        }
        if ret == LoadStatus::Truncated && !last_file {
            ret = LoadStatus::Failed;
            log::warn!("Fatal error: the truncated file is not the last file");
        }
        if matches!(ret, LoadStatus::OpenErr | LoadStatus::Failed) {
            break;
        }
    }
    let (srv, ks) = host.parts();
    saved.end(srv, ks);
    if !matches!(ret, LoadStatus::OpenErr | LoadStatus::Failed) {
        srv.persist.aof.current_size = total_size;
        srv.persist.aof.rewrite_base_size = base_size;
    }
    ret
}

/// What loading must not disturb: propagation, statistics, the EXEC state.
struct Quiet {
    consumers: usize,
    stats: crate::server::Stats,
    command_stats: Vec<crate::server::CommandStats>,
    error_stats: std::collections::BTreeMap<String, u64>,
    in_exec: bool,
    exec_ops: Vec<crate::server::propagate::PendingOp>,
    loading: bool,
}

impl Quiet {
    fn begin(srv: &mut Server, ks: &mut Keyspace) -> Quiet {
        let q = Quiet {
            consumers: std::mem::take(&mut srv.propagator.consumers),
            stats: srv.stats.clone(),
            command_stats: srv.command_stats.clone(),
            error_stats: srv.error_stats.clone(),
            in_exec: std::mem::take(&mut srv.in_exec),
            exec_ops: std::mem::take(&mut srv.exec_ops),
            loading: srv.persist.loading,
        };
        srv.persist.loading = true;
        ks.loading = true;
        q
    }

    fn end(self, srv: &mut Server, ks: &mut Keyspace) {
        srv.propagator.consumers = self.consumers;
        srv.stats = self.stats;
        srv.command_stats = self.command_stats;
        srv.error_stats = self.error_stats;
        srv.in_exec = self.in_exec;
        srv.exec_ops = self.exec_ops;
        srv.persist.loading = self.loading;
        ks.loading = false;
        ks.expired_deletions.clear();
        ks.events.clear();
        ks.modified.clear();
    }
}

/// Loads the AOF at startup (loadDataFromDisk's AOF branch); false means exit(1).
pub fn load_at_startup(el: &mut EventLoop) -> bool {
    let start = Instant::now();
    let ret = load_files(el);
    match ret {
        LoadStatus::Failed | LoadStatus::OpenErr => false,
        LoadStatus::NotExist => true,
        _ => {
            log::info!(
                "DB loaded from append only file: {:.3} seconds",
                start.elapsed().as_secs_f64()
            );
            true
        }
    }
}

/// The state the loaded AOF leaves: on when `appendonly` says so.
pub fn initial_state(appendonly: bool) -> AofState {
    if appendonly {
        AofState::On
    } else {
        AofState::Off
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(parts: &[&[u8]]) -> Step {
        Step::Command(OwnedArgv::from_parts(parts.iter().copied()))
    }

    fn steps(bytes: &[u8]) -> Vec<Step> {
        let mut r = bytes;
        let mut out = Vec::new();
        loop {
            let s = read_command(&mut r).unwrap();
            let done = !matches!(s, Step::Command(_));
            out.push(s);
            if done {
                return out;
            }
        }
    }

    #[test]
    fn commands_and_annotations_are_read_in_order() {
        let s = steps(b"#TS:1628217470\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$3\r\nfoo\r\n$0\r\n\r\n");
        assert_eq!(
            s,
            vec![
                cmd(&[b"SELECT", b"0"]),
                cmd(&[b"set", b"foo", b""]),
                Step::Eof
            ]
        );
    }

    #[test]
    fn a_command_cut_anywhere_is_a_truncation() {
        let full = b"*2\r\n$4\r\nincr\r\n$3\r\nfoo\r\n";
        for cut in 1..full.len() {
            let s = steps(&full[..cut]);
            assert_eq!(s, vec![Step::Truncated], "cut at {cut}");
        }
        assert_eq!(steps(full).last(), Some(&Step::Eof));
    }

    #[test]
    fn bytes_that_are_not_resp_are_a_format_error() {
        assert_eq!(
            steps(b"*1\r\n$3\r\nfoo\r\n!!!"),
            vec![cmd(&[b"foo"]), Step::Format]
        );
        assert_eq!(steps(b"*0\r\n"), vec![Step::Format]);
        assert_eq!(steps(b"*1\r\n+foo\r\n"), vec![Step::Format]);
        assert_eq!(steps(b"*1\r\n$-1\r\n"), vec![Step::Format]);
    }

    #[test]
    fn a_forged_length_allocates_only_what_is_there() {
        let s = steps(b"*1\r\n$9223372036854775807\r\nabc");
        assert_eq!(s, vec![Step::Truncated]);
        let s = steps(b"*2147483647\r\n$1\r\na\r\n");
        assert_eq!(s, vec![Step::Truncated]);
    }

    #[test]
    fn the_trailing_crlf_of_an_argument_is_skipped_unchecked() {
        assert_eq!(steps(b"*1\r\n$3\r\nfooXY"), vec![cmd(&[b"foo"]), Step::Eof]);
    }
}
