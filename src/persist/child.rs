//! The fork child: one at a time, as in Redis. BGSAVE and BGREWRITEAOF call
//! `fork_child` with the work the child does on its copy-on-write image of the
//! keyspace; cron reaps it with `reap` and the caller's purpose decides what the
//! parent does next. Through a pipe the child reports, about once a second, how
//! many keys it wrote and how much memory copy-on-write has cost so far (INFO's
//! current_cow_size, current_save_keys_processed), and the final cost when done.

use std::cell::Cell;
use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use crate::db::dict::{set_resize_policy, ResizePolicy};

/// What a child was forked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// BGSAVE, a save point, or a full sync for replicas.
    Rdb,
    /// BGREWRITEAOF.
    Aof,
}

/// A running child.
#[derive(Debug)]
pub struct Child {
    pub pid: libc::pid_t,
    pub purpose: Purpose,
    pub started: Instant,
    /// Keys in the dataset when it forked (current_save_keys_total).
    pub keys_total: u64,
    /// What the child last reported.
    pub progress: Progress,
    /// Read end of the pipe the child reports on (non-blocking).
    info_fd: RawFd,
}

/// A child's latest progress report.
#[derive(Debug, Default, Clone, Copy)]
pub struct Progress {
    pub keys: u64,
    pub cow_bytes: u64,
    pub cow_peak: u64,
    /// When `cow_bytes` was last reported.
    pub cow_updated: Option<Instant>,
    /// The copy-on-write size the child reported as it finished.
    pub final_cow: Option<u64>,
}

/// A record on the info pipe: kind, keys, copy-on-write bytes.
const RECORD: usize = 24;
const KIND_PROGRESS: u64 = 0;
const KIND_DONE: u64 = 1;

fn write_record(fd: RawFd, kind: u64, keys: u64, cow: u64) {
    let mut rec = [0u8; RECORD];
    rec[..8].copy_from_slice(&kind.to_le_bytes());
    rec[8..16].copy_from_slice(&keys.to_le_bytes());
    rec[16..].copy_from_slice(&cow.to_le_bytes());
    // SAFETY: writing our own buffer to a pipe we own; a full pipe drops the record.
    unsafe { libc::write(fd, rec.as_ptr().cast(), RECORD) };
}

/// The child's side of the info pipe: `report` at most once a second.
pub struct Reporter {
    fd: RawFd,
    last: Cell<Option<Instant>>,
}

impl Reporter {
    /// Reports `keys` written so far with the current copy-on-write size, unless
    /// it reported less than a second ago.
    pub fn report(&self, keys: u64) {
        if self
            .last
            .get()
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return;
        }
        self.last.set(Some(Instant::now()));
        write_record(self.fd, KIND_PROGRESS, keys, private_dirty_bytes());
    }
}

/// How a reaped child ended.
#[derive(Debug, Clone, Copy)]
pub struct Exit {
    pub pid: libc::pid_t,
    pub purpose: Purpose,
    /// Exit code (0 = success) when it exited by itself.
    pub code: i32,
    /// The signal that killed it, or 0.
    pub signal: i32,
    /// Bytes of private memory the child dirtied (copy-on-write), as it reported.
    pub cow_bytes: u64,
    /// How long it ran.
    pub elapsed_ms: u64,
}

impl Exit {
    pub fn ok(&self) -> bool {
        self.signal == 0 && self.code == 0
    }
}

/// Forks; the child runs `work` and exits with the status it returns (0 = success),
/// without ever returning into the event loop. `close_in_child` are descriptors the
/// child must not keep (the listening sockets), so that a killed parent frees its
/// port. Returns the child and how long the fork took, in microseconds.
pub fn fork_child<F: FnOnce(&Reporter) -> i32>(
    purpose: Purpose,
    keys_total: u64,
    close_in_child: &[RawFd],
    work: F,
) -> io::Result<(Child, u64)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: pipe writes two descriptors into the array we own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let started = Instant::now();
    // SAFETY: the child only runs `work` on its private copy of memory and then
    // `_exit`s; it never returns into code that assumes other threads exist.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let e = io::Error::last_os_error();
        // SAFETY: closing the descriptors pipe2 gave us.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        return Err(e);
    }
    if pid == 0 {
        crate::logging::set_role(b'C');
        set_resize_policy(ResizePolicy::Forbid);
        // SAFETY: descriptors the child inherited and will not use.
        unsafe {
            libc::close(fds[0]);
            for &fd in close_in_child {
                libc::close(fd);
            }
        }
        let reporter = Reporter {
            fd: fds[1],
            last: Cell::new(None),
        };
        let code =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&reporter))).unwrap_or(1);
        write_record(fds[1], KIND_DONE, 0, private_dirty_bytes());
        // SAFETY: leaving without running the parent's atexit handlers or destructors.
        unsafe { libc::_exit(code) };
    }
    // SAFETY: the parent does not write to the pipe; its read end never blocks.
    unsafe {
        libc::close(fds[1]);
        libc::fcntl(fds[0], libc::F_SETFL, libc::O_NONBLOCK);
    }
    let fork_us = started.elapsed().as_micros() as u64;
    set_resize_policy(ResizePolicy::Avoid);
    Ok((
        Child {
            pid,
            purpose,
            started,
            keys_total,
            progress: Progress::default(),
            info_fd: fds[0],
        },
        fork_us,
    ))
}

/// Reads the reports waiting on the pipe.
fn read_reports(child: &mut Child) {
    loop {
        let mut rec = [0u8; RECORD];
        // SAFETY: a non-blocking read into our buffer from the pipe we own.
        let n = unsafe { libc::read(child.info_fd, rec.as_mut_ptr().cast(), RECORD) };
        if n != RECORD as isize {
            return;
        }
        let field = |i: usize| u64::from_le_bytes(rec[i * 8..i * 8 + 8].try_into().unwrap());
        let p = &mut child.progress;
        match field(0) {
            KIND_PROGRESS => {
                p.keys = field(1);
                p.cow_bytes = field(2);
                p.cow_peak = p.cow_peak.max(p.cow_bytes);
                p.cow_updated = Some(Instant::now());
            }
            KIND_DONE => p.final_cow = Some(field(2)),
            _ => {}
        }
    }
}

/// Takes in the child's latest progress report (cron).
pub fn poll_progress(child: &mut Child) {
    read_reports(child);
}

/// Reaps `child` if it has exited; `None` while it still runs.
pub fn reap(child: &mut Child) -> Option<Exit> {
    let mut status = 0;
    // SAFETY: waitpid on our own child with a status out-parameter we own.
    let r = unsafe { libc::waitpid(child.pid, &mut status, libc::WNOHANG) };
    if r == 0 {
        return None;
    }
    let (code, signal) = if r < 0 {
        // Already reaped elsewhere, or not our child: treat as a failure.
        (1, 0)
    } else if libc::WIFSIGNALED(status) {
        (0, libc::WTERMSIG(status))
    } else {
        (libc::WEXITSTATUS(status), 0)
    };
    Some(finish(child, code, signal))
}

/// Kills `child` (SIGUSR1, the signal Redis uses so the kill is not taken for an
/// error) and waits for it.
pub fn kill_and_wait(child: &mut Child) -> Exit {
    // SAFETY: signalling and waiting for our own child.
    unsafe {
        libc::kill(child.pid, libc::SIGUSR1);
        let mut status = 0;
        libc::waitpid(child.pid, &mut status, 0);
    }
    finish(child, 0, libc::SIGUSR1)
}

fn finish(child: &mut Child, code: i32, signal: i32) -> Exit {
    read_reports(child);
    let cow = child.progress.final_cow.unwrap_or(0);
    // SAFETY: the pipe is ours and read to the end.
    unsafe { libc::close(child.info_fd) };
    set_resize_policy(ResizePolicy::Enable);
    Exit {
        pid: child.pid,
        purpose: child.purpose,
        code,
        signal,
        cow_bytes: cow,
        elapsed_ms: child.started.elapsed().as_millis() as u64,
    }
}

/// The private memory this process has dirtied (Private_Dirty in smaps_rollup):
/// in a fork child, what copy-on-write cost.
pub fn private_dirty_bytes() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return 0;
    };
    text.lines()
        .filter(|l| l.starts_with("Private_Dirty:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_reports_its_exit_code() {
        let (mut child, _) = fork_child(Purpose::Rdb, 0, &[], |_| 3).unwrap();
        let exit = loop {
            if let Some(e) = reap(&mut child) {
                break e;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert_eq!(exit.code, 3);
        assert_eq!(exit.signal, 0);
        assert!(!exit.ok());
        assert!(exit.cow_bytes > 0, "the child reported its private memory");
    }

    #[test]
    fn a_child_reports_progress_while_it_runs() {
        let (mut child, _) = fork_child(Purpose::Rdb, 10, &[], |r| {
            r.report(5);
            std::thread::sleep(std::time::Duration::from_millis(300));
            0
        })
        .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(150));
        poll_progress(&mut child);
        assert_eq!(child.progress.keys, 5);
        assert!(child.progress.cow_bytes > 0);
        assert!(child.progress.cow_updated.is_some());
        let exit = loop {
            if let Some(e) = reap(&mut child) {
                break e;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert!(exit.ok());
    }

    #[test]
    fn a_killed_child_reports_the_signal() {
        let (mut child, _) = fork_child(Purpose::Aof, 0, &[], |_| {
            std::thread::sleep(std::time::Duration::from_secs(30));
            0
        })
        .unwrap();
        let exit = kill_and_wait(&mut child);
        assert_eq!(exit.signal, libc::SIGUSR1);
        assert_eq!(exit.purpose, Purpose::Aof);
    }
}
