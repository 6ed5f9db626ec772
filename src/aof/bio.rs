//! The AOF's background thread (Redis's bio jobs for the AOF): `appendfsync
//! everysec`'s fsync, the fsync-and-close of an INCR file a rewrite replaced, and
//! freeing the blocks of deleted history and temp files (`bg_unlink`: the name is
//! removed at once, the last close happens here), all off the event loop, in
//! submission order.
//!
//! A file travels to the thread as an `Arc<File>`, so it is closed only once
//! both sides are done with it. The thread reports fsync failures through atomics
//! the event loop reads (`aof_last_write_status`, MISCONF).

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

enum Job {
    /// fdatasync the file (BIO_AOF_FSYNC).
    Fsync(Arc<File>),
    /// fdatasync, then drop our handle (BIO_CLOSE_FILE with need_fsync).
    FsyncAndClose(Arc<File>),
    /// Close an already unlinked file, freeing its blocks.
    Close(File),
}

#[derive(Debug, Default)]
struct Shared {
    /// Fsync jobs queued or running.
    pending_fsync: AtomicU64,
    /// The last background fsync failed (aof_bio_fsync_status == C_ERR).
    fsync_failed: AtomicBool,
    /// Its errno.
    fsync_errno: AtomicI32,
}

/// Handle to the thread; started on first use.
#[derive(Debug, Default)]
pub struct Bio {
    tx: Option<Sender<Job>>,
    shared: Arc<Shared>,
}

impl Bio {
    fn submit(&mut self, job: Job) {
        if self.tx.is_none() {
            let (tx, rx) = channel::<Job>();
            let shared = Arc::clone(&self.shared);
            let spawned = std::thread::Builder::new()
                .name("bio_aof".into())
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        run(job, &shared);
                    }
                });
            match spawned {
                Ok(_) => self.tx = Some(tx),
                Err(e) => {
                    log::warn!("Fatal: Can't initialize Background Jobs. Error message: {e}");
                    run(job, &self.shared);
                    return;
                }
            }
        }
        if let Some(tx) = &self.tx {
            if let Err(e) = tx.send(job) {
                // The thread is gone: do the work here rather than lose it.
                run(e.0, &self.shared);
            }
        }
    }

    /// Queues an fsync of `file` (aof_background_fsync).
    pub fn fsync(&mut self, file: &Arc<File>) {
        self.shared.pending_fsync.fetch_add(1, Ordering::SeqCst);
        self.submit(Job::Fsync(Arc::clone(file)));
    }

    /// Queues an fsync of `file` after which it is closed
    /// (aof_background_fsync_and_close).
    pub fn fsync_and_close(&mut self, file: Arc<File>) {
        self.submit(Job::FsyncAndClose(file));
    }

    /// Removes `path` now and leaves freeing its blocks to the thread (bg_unlink).
    pub fn unlink(&mut self, path: PathBuf) {
        use std::os::unix::fs::OpenOptionsExt;
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path);
        let _ = std::fs::remove_file(&path);
        if let Ok(f) = opened {
            self.submit(Job::Close(f));
        }
    }

    /// Fsyncs queued or running (aof_pending_bio_fsync; aofFsyncInProgress).
    pub fn pending_fsync(&self) -> u64 {
        self.shared.pending_fsync.load(Ordering::SeqCst)
    }

    /// The errno of the last background fsync when it failed.
    pub fn fsync_error(&self) -> Option<i32> {
        self.shared
            .fsync_failed
            .load(Ordering::SeqCst)
            .then(|| self.shared.fsync_errno.load(Ordering::SeqCst))
    }

    /// Forgets a background fsync failure (AOF turned on again).
    pub fn clear_fsync_error(&self) {
        self.shared.fsync_failed.store(false, Ordering::SeqCst);
    }
}

fn run(job: Job, shared: &Shared) {
    match job {
        Job::Fsync(file) => {
            match file.sync_data() {
                // A file closed under us is not a failed fsync (Redis ignores
                // EBADF and EINVAL for the same reason).
                Err(e) if !matches!(e.raw_os_error(), Some(libc::EBADF) | Some(libc::EINVAL)) => {
                    let was_failed = shared.fsync_failed.swap(true, Ordering::SeqCst);
                    shared
                        .fsync_errno
                        .store(e.raw_os_error().unwrap_or(libc::EIO), Ordering::SeqCst);
                    if !was_failed {
                        log::warn!("Fail to fsync the AOF file: {}", crate::util::strerror(&e));
                    }
                }
                _ => shared.fsync_failed.store(false, Ordering::SeqCst),
            }
            shared.pending_fsync.fetch_sub(1, Ordering::SeqCst);
        }
        Job::FsyncAndClose(file) => {
            let _ = file.sync_data();
        }
        Job::Close(file) => drop(file),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_in_order_and_pending_fsyncs_drain() {
        let dir = std::env::temp_dir().join(format!("oxidis-bio-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        let file = Arc::new(File::create(&path).unwrap());
        let mut bio = Bio::default();
        bio.fsync(&file);
        bio.fsync_and_close(file);
        bio.unlink(path.clone());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while (bio.pending_fsync() > 0 || path.exists()) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(bio.pending_fsync(), 0);
        assert!(!path.exists());
        assert_eq!(bio.fsync_error(), None);
        let _ = std::fs::remove_dir(&dir);
    }
}
