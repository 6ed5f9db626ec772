//! Persistence: when and where the dataset reaches the disk and comes back.
//!
//! `child` forks the one background process Redis allows at a time; `snapshot` is
//! SAVE/BGSAVE/save points/loading of the RDB file; `restore` is DUMP and RESTORE,
//! `migrate` MIGRATE.
//! The byte format itself is `crate::rdb`; the append only file is `crate::aof`,
//! whose state lives here too. `Persistence` is the state INFO persistence
//! reports, held by the server; `load_data_from_disk` is the startup load.

pub mod child;
pub mod migrate;
pub mod restore;
pub mod snapshot;

use crate::db::keyspace::Keyspace;
use crate::server::Server;
use child::{Child, Purpose};

/// Persistence state of the server.
#[derive(Debug)]
pub struct Persistence {
    /// The running fork child, if any.
    pub child: Option<Child>,
    pub rdb: snapshot::RdbState,
    /// True while a dump is being loaded.
    pub loading: bool,
    /// Duration of the latest fork in microseconds (latest_fork_usec).
    pub latest_fork_usec: u64,
    pub total_forks: u64,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE accepts any CRC.
    pub skip_checksum_validation: bool,
    /// MIGRATE's cached connections.
    pub migrate: migrate::SocketCache,
    /// The append only file.
    pub aof: crate::aof::Aof,
}

impl Persistence {
    pub fn new(now_unix: i64) -> Persistence {
        Persistence {
            child: None,
            rdb: snapshot::RdbState::new(now_unix),
            loading: false,
            latest_fork_usec: 0,
            total_forks: 0,
            skip_checksum_validation: false,
            migrate: Default::default(),
            aof: crate::aof::Aof::new(now_unix),
        }
    }

    /// True when the running child was forked for `purpose`.
    pub fn child_is(&self, purpose: Purpose) -> bool {
        self.child.as_ref().is_some_and(|c| c.purpose == purpose)
    }

    /// Records a fork's cost for INFO stats.
    pub fn note_fork(&mut self, usec: u64) {
        self.latest_fork_usec = usec;
        self.total_forks += 1;
    }

    /// MISCONF: the last background save failed and `stop-writes-on-bgsave-error`
    /// asks for writes to be refused until one succeeds.
    pub fn writes_refused(&self, srv_config: &crate::config::Config) -> bool {
        srv_config.stop_writes_on_bgsave_error
            && !srv_config.save.is_empty()
            && !self.rdb.last_bgsave_ok
    }
}

/// The error a write (or PING) gets while the disk refuses writes: a failed
/// background save (`writes_refused`), or an AOF write error
/// (writeCommandsDeniedByDiskError).
pub fn disk_error(srv: &Server) -> Option<std::borrow::Cow<'static, str>> {
    if srv.persist.writes_refused(&srv.config) {
        return Some(MISCONF_ERROR.into());
    }
    crate::aof::write_error(srv).map(Into::into)
}

/// Loads the dataset at startup (loadDataFromDisk and what surrounds it): the AOF
/// manifest is read in any case; the AOF is loaded when `appendonly` is yes, the
/// RDB file otherwise; then the AOF is opened for appending. False means exit(1).
pub fn load_data_from_disk(el: &mut crate::server::reactor::EventLoop) -> bool {
    if !crate::aof::load_manifest_from_disk(&mut el.srv) {
        return false;
    }
    el.srv.persist.aof.state = crate::aof::load::initial_state(el.srv.config.appendonly);
    let loaded = if el.srv.config.appendonly {
        crate::aof::load::load_at_startup(el)
    } else {
        snapshot::load_at_startup(el)
    };
    if !loaded || !crate::aof::open_on_server_start(&mut el.srv, &el.ks) {
        return false;
    }
    let _ = crate::aof::del_history_files(&mut el.srv);
    true
}

/// The error a write gets while `writes_refused`.
pub const MISCONF_ERROR: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Cron's persistence step: reap a finished child, then start what is due.
pub fn cron(srv: &mut Server, ks: &mut Keyspace) {
    if let Some(c) = srv.persist.child.as_mut() {
        child::poll_progress(c);
    }
    if let Some(exit) = srv.persist.child.as_mut().and_then(child::reap) {
        srv.persist.child = None;
        on_child_exit(srv, ks, &exit);
    }
    crate::aof::cron(srv, ks);
    snapshot::cron(srv, ks);
    srv.persist.migrate.close_idle(ks.now_ms / 1000);
}

/// What the parent does when a child ends, by the child's purpose.
fn on_child_exit(srv: &mut Server, ks: &mut Keyspace, exit: &child::Exit) {
    match exit.purpose {
        Purpose::Rdb => {
            snapshot::bgsave_done(srv, ks, exit);
            crate::server::replication::on_rdb_child_done(srv, ks, exit.ok());
        }
        Purpose::Aof => {
            crate::aof::on_child_exit(srv, exit);
            // Replicas that asked for a sync while the rewrite ran get their
            // snapshot started now (there is no snapshot of theirs to hand over).
            crate::server::replication::on_rdb_child_done(srv, ks, false);
        }
    }
}

/// Kills a running child (FLUSHALL, SHUTDOWN, a full sync that must restart) and
/// does its parent-side bookkeeping.
pub fn kill_child(srv: &mut Server, ks: &mut Keyspace) {
    if let Some(mut c) = srv.persist.child.take() {
        let exit = child::kill_and_wait(&mut c);
        on_child_exit(srv, ks, &exit);
    }
}
