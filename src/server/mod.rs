//! The server: listeners, the client table, configuration, statistics and the event
//! loop that ties them to the keyspace.
//!
//! One thread runs everything. `reactor` owns the mio poll loop (accept, read, parse,
//! run, write); `timer` is the wheel that wakes it for cron and timeouts; `cron` is
//! Redis's serverCron; the remaining modules are the connection and server commands.

pub mod admin;
pub mod blocking;
pub mod client;
pub mod coalesce;
pub mod connection;
pub mod cron;
pub mod info;
pub mod latency;
pub mod lookahead;
pub mod memory;
pub mod multi;
pub mod proctitle;
pub mod propagate;
pub mod pubsub;
pub mod reactor;
pub mod replication;
pub mod timer;
pub mod tracking;

use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use mio::Poll;

use crate::command::Registry;
use crate::config::Config;
use client::Client;
use timer::TimerWheel;

/// The version we report as `redis_version`: clients choose features by it.
pub const REDIS_VERSION: &str = "7.0.15";
/// Our own version, reported beside it.
pub const OXIDIS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Unix time in milliseconds.
pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The monotonic clock in nanoseconds: two reads subtract with no `Duration`
/// arithmetic, which matters at a few per command.
#[inline]
pub fn mono_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec we own; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Unix time in microseconds.
pub fn unix_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// What the timer wheel wakes the loop for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// serverCron, every 1000/hz ms.
    Cron,
    /// A blocked client's timeout (by client id).
    BlockTimeout(u64),
}

/// Per-command counters for INFO commandstats.
#[derive(Debug, Default, Clone)]
pub struct CommandStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

/// Server-wide counters for INFO stats.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub total_net_input_bytes: u64,
    pub total_net_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    pub client_qbuf_limit_disconnections: u64,
    pub client_outbuf_limit_disconnections: u64,
    /// Samples for the instantaneous_* fields: (time ms, value) of the last cron runs.
    pub ops_samples: InstantaneousMetric,
    pub net_input_samples: InstantaneousMetric,
    pub net_output_samples: InstantaneousMetric,
}

/// A ring of samples giving a per-second rate, like Redis's STATS_METRIC_*.
#[derive(Debug, Default, Clone)]
pub struct InstantaneousMetric {
    last_time_ms: i64,
    last_value: u64,
    samples: [u64; 16],
    idx: usize,
}

impl InstantaneousMetric {
    /// Records the counter's value at `now_ms` (called every 100 ms by cron).
    pub fn track(&mut self, now_ms: i64, value: u64) {
        let dt = now_ms - self.last_time_ms;
        let dv = value.saturating_sub(self.last_value);
        let rate = if dt > 0 { dv * 1000 / dt as u64 } else { 0 };
        self.samples[self.idx] = rate;
        self.idx = (self.idx + 1) % self.samples.len();
        self.last_time_ms = now_ms;
        self.last_value = value;
    }

    /// The mean rate over the samples.
    pub fn per_second(&self) -> u64 {
        self.samples.iter().sum::<u64>() / self.samples.len() as u64
    }
}

/// A listening socket.
pub enum Listener {
    Tcp(mio::net::TcpListener),
    Unix(mio::net::UnixListener),
}

/// Server state other than the data: config, clients, listeners, counters.
pub struct Server {
    pub config: Config,
    /// Absolute path of the config file, if started with one (CONFIG REWRITE).
    pub config_file: Option<PathBuf>,
    pub executable: PathBuf,
    pub poll: Poll,
    pub listeners: Vec<Listener>,
    /// The client table: a slot per connection; the slot of the running client is
    /// empty while its command runs.
    pub clients: Vec<Option<Box<Client>>>,
    pub free_slots: Vec<usize>,
    pub client_count: usize,
    /// Clients that sent something in the last second (counted by cron).
    pub active_clients: usize,
    pub next_client_id: u64,
    /// Clients with replies to flush before sleeping.
    pub pending_writes: Vec<usize>,
    /// Clients that still have unread input (read budget exhausted).
    pub pending_reads: Vec<usize>,
    /// Clients to close before sleeping.
    pub to_close: Vec<usize>,
    /// MONITOR clients (slots).
    pub monitors: Vec<usize>,
    pub registry: &'static Registry,
    pub command_stats: Vec<CommandStats>,
    /// Per-command latency histograms (INFO latencystats), by command id.
    pub latency: Vec<latency::LatencyHistogram>,
    pub error_stats: std::collections::BTreeMap<String, u64>,
    pub stats: Stats,
    pub timers: TimerWheel<Timer>,
    /// Clients blocked on keys.
    pub blocking: blocking::BlockingState,
    /// Client-side caching state.
    pub tracking: tracking::Tracking,
    /// Client id → slot, for messages addressed by id (tracking redirection).
    pub client_slots: std::collections::HashMap<u64, usize>,
    /// Pub/Sub subscriptions.
    pub pubsub: pubsub::PubSub,
    /// WATCHed keys and their watchers.
    pub watch: multi::WatchState,
    /// True while EXEC runs its queue.
    pub in_exec: bool,
    /// What the commands of the running EXEC propagate, by database; EXEC wraps them.
    pub exec_ops: Vec<propagate::PendingOp>,
    /// The write stream to the AOF and replicas.
    pub propagator: propagate::Propagator,
    pub start_time: Instant,
    /// A monotonic instant and the unix time (ms) it corresponds to, re-read by
    /// cron: commands derive the time from the one clock read they make anyway.
    pub clock_base: (u64, i64),
    /// The latest monotonic clock reading (ns). It is taken when a client's
    /// input has been read and after each command, so that one reading serves
    /// as a command's start, the previous command's end and the client's last
    /// interaction. A read costs about 20 ns on our 2-core VM: the five a
    /// pipelined GET used to make were 16% of the server's cycles under perf.
    pub now_ns: u64,
    pub start_unix_ms: i64,
    pub run_id: String,
    pub replid: String,
    pub cronloops: u64,
    pub hz: i64,
    pub active_expire_enabled: bool,
    /// DEBUG PAUSE-CRON: serverCron does nothing while set.
    pub cron_paused: bool,
    /// Snapshots, the fork child, loading state.
    pub persist: crate::persist::Persistence,
    /// Attached replicas (SYNC clients).
    pub replication: replication::Replication,
    /// Set by SHUTDOWN or SIGTERM: the loop exits after this turn.
    pub shutdown_asap: bool,
    /// SHUTDOWN already ran the shutdown sequence: exit without repeating it.
    pub shutdown_prepared: bool,
    /// Peak `used_memory`.
    pub stat_peak_memory: usize,
    /// `used_memory` right after start-up (INFO `used_memory_startup`).
    pub stats_startup_memory: usize,
    /// A DEBUG SLEEP-style pause in progress is not needed: DEBUG SLEEP blocks inline.
    pub pid: u32,
}

/// 40 random hex characters (run ids, replication ids).
pub fn random_hex_id() -> String {
    let mut bytes = [0u8; 20];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut bytes);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Server {
    /// Takes the running client's box out of its slot.
    pub fn take_client(&mut self, slot: usize) -> Option<Box<Client>> {
        self.clients.get_mut(slot).and_then(|c| c.take())
    }

    /// Puts a client back in its slot.
    pub fn put_client(&mut self, slot: usize, c: Box<Client>) {
        self.clients[slot] = Some(c);
    }

    /// Queues `slot` for a flush before the loop sleeps.
    pub fn queue_write(&mut self, c: &mut Client) {
        if !c.pending_write {
            c.pending_write = true;
            self.pending_writes.push(c.st.slot);
        }
    }

    /// Iterates over connected clients (not the one whose command is running).
    pub fn clients_iter(&self) -> impl Iterator<Item = &Client> {
        self.clients.iter().filter_map(|c| c.as_deref())
    }

    /// Records an error reply in INFO errorstats.
    pub fn count_error(&mut self, text: &str) {
        self.stats.total_error_replies += 1;
        let code = crate::command::error::error_code(text);
        if let Some(n) = self.error_stats.get_mut(code) {
            *n += 1;
        } else if self.error_stats.len() < 128 {
            self.error_stats.insert(code.to_string(), 1);
        }
    }

    /// Reads the clock into `now_ns`; returns the unix time (ms) it means.
    #[inline]
    pub fn refresh_clock(&mut self) -> i64 {
        self.now_ns = mono_ns();
        self.unix_ms_at(self.now_ns)
    }

    /// The unix time (ms) of the latest clock reading (`now_ns`).
    #[inline]
    pub fn cached_unix_ms(&self) -> i64 {
        self.unix_ms_at(self.now_ns)
    }

    /// Unix time (ms) at monotonic time `mono_ns` (from `mono_ns()`).
    #[inline]
    pub fn unix_ms_at(&self, mono: u64) -> i64 {
        let (base, base_ms) = self.clock_base;
        base_ms + (mono.saturating_sub(base) / 1_000_000) as i64
    }

    /// Seconds since start.
    pub fn uptime_secs(&self) -> u64 {
        self.start_time.elapsed().as_secs()
    }
}
