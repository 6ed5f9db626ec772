//! The fork child: one at a time, as in Redis. BGSAVE and BGREWRITEAOF call
//! `fork_child` with the work the child does on its copy-on-write image of the
//! keyspace; cron reaps it with `reap` and the caller's purpose decides what the
//! parent does next. The child reports how much memory copy-on-write cost it through
//! a pipe, read when it is reaped.

use std::io;
use std::os::fd::RawFd;
use std::time::Instant;

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
    /// Read end of the pipe the child reports its copy-on-write size on.
    info_fd: RawFd,
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
pub fn fork_child<F: FnOnce() -> i32>(
    purpose: Purpose,
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
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or(1);
        let cow = private_dirty_bytes();
        let msg = cow.to_le_bytes();
        // SAFETY: writing our own buffer to our pipe, then leaving without running
        // the parent's atexit handlers or destructors.
        unsafe {
            libc::write(fds[1], msg.as_ptr().cast(), msg.len());
            libc::_exit(code);
        }
    }
    // SAFETY: the parent does not write to the pipe.
    unsafe { libc::close(fds[1]) };
    let fork_us = started.elapsed().as_micros() as u64;
    set_resize_policy(ResizePolicy::Avoid);
    Ok((
        Child {
            pid,
            purpose,
            started,
            info_fd: fds[0],
        },
        fork_us,
    ))
}

/// Reaps `child` if it has exited; `None` while it still runs.
pub fn reap(child: &Child) -> Option<Exit> {
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
pub fn kill_and_wait(child: &Child) -> Exit {
    // SAFETY: signalling and waiting for our own child.
    unsafe {
        libc::kill(child.pid, libc::SIGUSR1);
        let mut status = 0;
        libc::waitpid(child.pid, &mut status, 0);
    }
    finish(child, 0, libc::SIGUSR1)
}

fn finish(child: &Child, code: i32, signal: i32) -> Exit {
    let mut buf = [0u8; 8];
    // SAFETY: a read into our buffer from the pipe we own; closed right after.
    let n = unsafe { libc::read(child.info_fd, buf.as_mut_ptr().cast(), buf.len()) };
    unsafe { libc::close(child.info_fd) };
    set_resize_policy(ResizePolicy::Enable);
    Exit {
        pid: child.pid,
        purpose: child.purpose,
        code,
        signal,
        cow_bytes: if n == 8 { u64::from_le_bytes(buf) } else { 0 },
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
        let (child, _) = fork_child(Purpose::Rdb, &[], || 3).unwrap();
        let exit = loop {
            if let Some(e) = reap(&child) {
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
    fn a_killed_child_reports_the_signal() {
        let (child, _) = fork_child(Purpose::Aof, &[], || {
            std::thread::sleep(std::time::Duration::from_secs(30));
            0
        })
        .unwrap();
        let exit = kill_and_wait(&child);
        assert_eq!(exit.signal, libc::SIGUSR1);
        assert_eq!(exit.purpose, Purpose::Aof);
    }
}
