//! Server configuration: owns every redis.conf directive of Redis 7.0.15.
//!
//! One static table ([`table::TABLE`]) drives the config file and command
//! line parser ([`Config::load_config_text`], [`cmdline_to_config_text`]),
//! CONFIG GET ([`Config::get`]), CONFIG SET ([`Config::set`]) and CONFIG
//! REWRITE ([`Config::rewrite`]). Values live in plain typed fields of
//! [`Config`] so the server reads them without any lookup. Behaviour (error
//! texts, renderings, quoting, rewrite layout) mirrors Redis's `config.c`.
//!
//! What this module does *not* do: apply side effects of changes (rebinding,
//! resizing, ACL updates...). [`Config::set`] returns the canonical names of
//! changed configs so the server runs its apply hooks. The one exception is
//! `dir`, which `chdir`s immediately as Redis does.

mod parse;
mod rewrite;
mod special;
pub mod table;
mod types;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;

pub use parse::{absolute_path, read_config_file, repr, split_args};
pub use rewrite::REWRITE_SIGNATURE;
pub use special::BIND_MAX;
pub use table::{Entry, DEFAULT_PROC_TITLE_TEMPLATE};
pub use types::*;

use parse::{cstr, memtoull, string2ll, strtoll};
use rewrite::{format_memory, RewriteState};
use table::{lookup, Hit, Kind, TABLE};

/// The Redis version reported in fatal config errors.
pub const REDIS_VERSION: &str = "7.0.15";

/// Lowest / highest effective `hz` (values outside are clamped).
pub const HZ_MIN: i64 = 1;
/// See [`HZ_MIN`].
pub const HZ_MAX: i64 = 500;

/// Flag bits of table entries (Redis `*_CONFIG` flags plus numeric kinds).
pub mod flags {
    /// Settable at runtime (no bit; documentation only).
    pub const MODIFIABLE: u32 = 0;
    /// Only settable at startup.
    pub const IMMUTABLE: u32 = 1 << 0;
    /// Value must be redacted from logs / slowlog / monitor.
    pub const SENSITIVE: u32 = 1 << 1;
    /// Shown in DEBUG CONFIG-style debug info.
    pub const DEBUG: u32 = 1 << 2;
    /// Takes several arguments.
    pub const MULTI_ARG: u32 = 1 << 3;
    /// Not matched by CONFIG GET patterns (exact name only).
    pub const HIDDEN: u32 = 1 << 4;
    /// Immutable unless `enable-protected-configs` allows it.
    pub const PROTECTED: u32 = 1 << 5;
    /// CONFIG SET refused while loading data.
    pub const DENY_LOADING: u32 = 1 << 6;
    /// Every CONFIG SET counts as a change (file reference configs).
    pub const VOLATILE: u32 = 1 << 9;
    /// Numeric: accepts memory units ("1gb").
    pub const MEMORY: u32 = 1 << 16;
    /// Numeric: accepts "N%" (stored as -N).
    pub const PERCENT: u32 = 1 << 17;
    /// Numeric: octal.
    pub const OCTAL: u32 = 1 << 18;
}

use flags::*;

macro_rules! config_struct {
    ( $( $(#[$doc:meta])* $field:ident : $ty:ty ),* $(,)? ) => {
        /// All configuration values, as plain typed fields named after the
        /// directive (snake_case). `Default` gives Redis 7.0.15's defaults.
        #[derive(Clone)]
        pub struct Config {
            $( $(#[$doc])* pub $field: $ty, )*
            /// `save` seen in the config file already (first one resets).
            save_loaded: bool,
            /// Redis's `reading_config_file` global.
            reading_file: bool,
        }

        impl Config {
            fn blank() -> Self {
                Config {
                    $( $field: <$ty>::default(), )*
                    save_loaded: false,
                    reading_file: false,
                }
            }
        }
    };
}

config_struct! {
    // ---- bool ----
    /// `rdbchecksum`
    rdbchecksum: bool,
    /// `daemonize`
    daemonize: bool,
    /// `io-threads-do-reads`
    io_threads_do_reads: bool,
    /// `always-show-logo`
    always_show_logo: bool,
    /// `protected-mode`
    protected_mode: bool,
    /// `rdbcompression`
    rdbcompression: bool,
    /// `rdb-del-sync-files`
    rdb_del_sync_files: bool,
    /// `activerehashing`
    activerehashing: bool,
    /// `stop-writes-on-bgsave-error`
    stop_writes_on_bgsave_error: bool,
    /// `set-proc-title`
    set_proc_title: bool,
    /// `dynamic-hz`
    dynamic_hz: bool,
    /// `lazyfree-lazy-eviction`
    lazyfree_lazy_eviction: bool,
    /// `lazyfree-lazy-expire`
    lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-server-del`
    lazyfree_lazy_server_del: bool,
    /// `lazyfree-lazy-user-del`
    lazyfree_lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush`
    lazyfree_lazy_user_flush: bool,
    /// `repl-disable-tcp-nodelay`
    repl_disable_tcp_nodelay: bool,
    /// `repl-diskless-sync`
    repl_diskless_sync: bool,
    /// `aof-rewrite-incremental-fsync`
    aof_rewrite_incremental_fsync: bool,
    /// `no-appendfsync-on-rewrite`
    no_appendfsync_on_rewrite: bool,
    /// `cluster-require-full-coverage`
    cluster_require_full_coverage: bool,
    /// `rdb-save-incremental-fsync`
    rdb_save_incremental_fsync: bool,
    /// `aof-load-truncated`
    aof_load_truncated: bool,
    /// `aof-use-rdb-preamble`
    aof_use_rdb_preamble: bool,
    /// `aof-timestamp-enabled`
    aof_timestamp_enabled: bool,
    /// `cluster-replica-no-failover` (alias `cluster-slave-no-failover`)
    cluster_replica_no_failover: bool,
    /// `replica-lazy-flush` (alias `slave-lazy-flush`)
    replica_lazy_flush: bool,
    /// `replica-serve-stale-data` (alias `slave-serve-stale-data`)
    replica_serve_stale_data: bool,
    /// `replica-read-only` (alias `slave-read-only`)
    replica_read_only: bool,
    /// `replica-ignore-maxmemory` (alias `slave-ignore-maxmemory`)
    replica_ignore_maxmemory: bool,
    /// `jemalloc-bg-thread`
    jemalloc_bg_thread: bool,
    /// `activedefrag` (can't be enabled: no defrag-capable allocator)
    activedefrag: bool,
    /// `syslog-enabled`
    syslog_enabled: bool,
    /// `cluster-enabled`
    cluster_enabled: bool,
    /// `appendonly`
    appendonly: bool,
    /// `cluster-allow-reads-when-down`
    cluster_allow_reads_when_down: bool,
    /// `cluster-allow-pubsubshard-when-down`
    cluster_allow_pubsubshard_when_down: bool,
    /// `crash-log-enabled`
    crash_log_enabled: bool,
    /// `crash-memcheck-enabled`
    crash_memcheck_enabled: bool,
    /// `use-exit-on-panic` (hidden)
    use_exit_on_panic: bool,
    /// `disable-thp`
    disable_thp: bool,
    /// `cluster-allow-replica-migration`
    cluster_allow_replica_migration: bool,
    /// `replica-announced`
    replica_announced: bool,
    /// `latency-tracking`
    latency_tracking: bool,
    /// `aof-disable-auto-gc`
    aof_disable_auto_gc: bool,
    /// `replica-ignore-disk-write-errors`
    replica_ignore_disk_write_errors: bool,
    /// `tls-cluster`
    tls_cluster: bool,
    /// `tls-replication`
    tls_replication: bool,
    /// `tls-prefer-server-ciphers`
    tls_prefer_server_ciphers: bool,
    /// `tls-session-caching`
    tls_session_caching: bool,

    // ---- strings (None = NULL; "" is stored as None for these) ----
    /// `aclfile` ("" = none)
    aclfile: String,
    /// `unixsocket`
    unixsocket: Option<String>,
    /// `pidfile`
    pidfile: Option<String>,
    /// `replica-announce-ip` (alias `slave-announce-ip`)
    replica_announce_ip: Option<String>,
    /// `masteruser` (sensitive)
    masteruser: Option<String>,
    /// `cluster-announce-ip`
    cluster_announce_ip: Option<String>,
    /// `cluster-config-file`
    cluster_config_file: String,
    /// `cluster-announce-hostname`
    cluster_announce_hostname: Option<String>,
    /// `syslog-ident`
    syslog_ident: String,
    /// `dbfilename` (protected)
    dbfilename: String,
    /// `appendfilename`
    appendfilename: String,
    /// `appenddirname`
    appenddirname: String,
    /// `server_cpulist`
    server_cpulist: Option<String>,
    /// `bio_cpulist`
    bio_cpulist: Option<String>,
    /// `aof_rewrite_cpulist`
    aof_rewrite_cpulist: Option<String>,
    /// `bgsave_cpulist`
    bgsave_cpulist: Option<String>,
    /// `ignore-warnings`
    ignore_warnings: String,
    /// `proc-title-template`
    proc_title_template: String,
    /// `bind-source-addr`
    bind_source_addr: Option<String>,
    /// `logfile` ("" = stdout)
    logfile: String,
    /// `tls-cert-file`
    tls_cert_file: Option<String>,
    /// `tls-key-file`
    tls_key_file: Option<String>,
    /// `tls-key-file-pass`
    tls_key_file_pass: Option<String>,
    /// `tls-client-cert-file`
    tls_client_cert_file: Option<String>,
    /// `tls-client-key-file`
    tls_client_key_file: Option<String>,
    /// `tls-client-key-file-pass`
    tls_client_key_file_pass: Option<String>,
    /// `tls-dh-params-file`
    tls_dh_params_file: Option<String>,
    /// `tls-ca-cert-file`
    tls_ca_cert_file: Option<String>,
    /// `tls-ca-cert-dir`
    tls_ca_cert_dir: Option<String>,
    /// `tls-protocols`
    tls_protocols: Option<String>,
    /// `tls-ciphers`
    tls_ciphers: Option<String>,
    /// `tls-ciphersuites`
    tls_ciphersuites: Option<String>,

    // ---- binary-safe strings ----
    /// `masterauth` (sensitive)
    masterauth: Option<Vec<u8>>,
    /// `requirepass` (sensitive; the server mirrors it into the default user)
    requirepass: Option<Vec<u8>>,

    // ---- enums ----
    /// `supervised`
    supervised: SupervisedMode,
    /// `syslog-facility`
    syslog_facility: SyslogFacility,
    /// `repl-diskless-load`
    repl_diskless_load: ReplDisklessLoad,
    /// `loglevel`
    loglevel: LogLevel,
    /// `maxmemory-policy`
    maxmemory_policy: MaxmemoryPolicy,
    /// `appendfsync`
    appendfsync: AppendFsync,
    /// `oom-score-adj`
    oom_score_adj: OomScoreAdj,
    /// `acl-pubsub-default`
    acl_pubsub_default: AclPubsubDefault,
    /// `sanitize-dump-payload`
    sanitize_dump_payload: SanitizeDumpPayload,
    /// `enable-protected-configs`
    enable_protected_configs: ProtectedAction,
    /// `enable-debug-command`
    enable_debug_command: ProtectedAction,
    /// `enable-module-command`
    enable_module_command: ProtectedAction,
    /// `cluster-preferred-endpoint-type`
    cluster_preferred_endpoint_type: ClusterPreferredEndpointType,
    /// `propagation-error-behavior`
    propagation_error_behavior: PropagationErrorBehavior,
    /// `shutdown-on-sigint` ([`shutdown`] bits)
    shutdown_on_sigint: u32,
    /// `shutdown-on-sigterm` ([`shutdown`] bits)
    shutdown_on_sigterm: u32,
    /// `tls-auth-clients`
    tls_auth_clients: TlsAuthClients,

    // ---- integers ----
    /// `databases`
    databases: i64,
    /// `port`
    port: i64,
    /// `io-threads`
    io_threads: i64,
    /// `auto-aof-rewrite-percentage`
    auto_aof_rewrite_percentage: i64,
    /// `cluster-replica-validity-factor` (alias `cluster-slave-validity-factor`)
    cluster_replica_validity_factor: i64,
    /// `list-max-listpack-size` (alias `list-max-ziplist-size`)
    list_max_listpack_size: i64,
    /// `tcp-keepalive`
    tcp_keepalive: i64,
    /// `cluster-migration-barrier`
    cluster_migration_barrier: i64,
    /// `active-defrag-cycle-min`
    active_defrag_cycle_min: i64,
    /// `active-defrag-cycle-max`
    active_defrag_cycle_max: i64,
    /// `active-defrag-threshold-lower`
    active_defrag_threshold_lower: i64,
    /// `active-defrag-threshold-upper`
    active_defrag_threshold_upper: i64,
    /// `lfu-log-factor`
    lfu_log_factor: i64,
    /// `lfu-decay-time`
    lfu_decay_time: i64,
    /// `replica-priority` (alias `slave-priority`)
    replica_priority: i64,
    /// `repl-diskless-sync-delay`
    repl_diskless_sync_delay: i64,
    /// `maxmemory-samples`
    maxmemory_samples: i64,
    /// `maxmemory-eviction-tenacity`
    maxmemory_eviction_tenacity: i64,
    /// `timeout` (seconds, 0 = never)
    timeout: i64,
    /// `replica-announce-port` (alias `slave-announce-port`)
    replica_announce_port: i64,
    /// `tcp-backlog`
    tcp_backlog: i64,
    /// `cluster-port`
    cluster_port: i64,
    /// `cluster-announce-bus-port`
    cluster_announce_bus_port: i64,
    /// `cluster-announce-port`
    cluster_announce_port: i64,
    /// `cluster-announce-tls-port`
    cluster_announce_tls_port: i64,
    /// `repl-timeout`
    repl_timeout: i64,
    /// `repl-ping-replica-period` (alias `repl-ping-slave-period`)
    repl_ping_replica_period: i64,
    /// `list-compress-depth`
    list_compress_depth: i64,
    /// `rdb-key-save-delay` (hidden)
    rdb_key_save_delay: i64,
    /// `key-load-delay` (hidden)
    key_load_delay: i64,
    /// `active-expire-effort`
    active_expire_effort: i64,
    /// `hz` (clamped to 1..=500 after load / set, like Redis)
    hz: i64,
    /// `wakeup-coalesce-us` (hidden, oxidis's own: see server::coalesce)
    wakeup_coalesce_us: i64,
    /// `min-replicas-to-write` (alias `min-slaves-to-write`)
    min_replicas_to_write: i64,
    /// `min-replicas-max-lag` (alias `min-slaves-max-lag`)
    min_replicas_max_lag: i64,
    /// `watchdog-period` (hidden)
    watchdog_period: i64,
    /// `shutdown-timeout`
    shutdown_timeout: i64,
    /// `repl-diskless-sync-max-replicas`
    repl_diskless_sync_max_replicas: i64,
    /// `maxclients`
    maxclients: i64,
    /// `unixsocketperm` (octal in the file, e.g. 700 → 0o700)
    unixsocketperm: i64,
    /// `socket-mark-id`
    socket_mark_id: i64,
    /// `active-defrag-max-scan-fields`
    active_defrag_max_scan_fields: i64,
    /// `slowlog-max-len`
    slowlog_max_len: i64,
    /// `acllog-max-len`
    acllog_max_len: i64,
    /// `busy-reply-threshold` (alias `lua-time-limit`), milliseconds
    busy_reply_threshold: i64,
    /// `cluster-node-timeout`
    cluster_node_timeout: i64,
    /// `slowlog-log-slower-than` (microseconds, -1 disables)
    slowlog_log_slower_than: i64,
    /// `latency-monitor-threshold`
    latency_monitor_threshold: i64,
    /// `proto-max-bulk-len` (bytes)
    proto_max_bulk_len: i64,
    /// `stream-node-max-entries`
    stream_node_max_entries: i64,
    /// `repl-backlog-size` (bytes)
    repl_backlog_size: i64,
    /// `hash-max-listpack-entries` (alias `hash-max-ziplist-entries`)
    hash_max_listpack_entries: i64,
    /// `set-max-intset-entries`
    set_max_intset_entries: i64,
    /// `zset-max-listpack-entries` (alias `zset-max-ziplist-entries`)
    zset_max_listpack_entries: i64,
    /// `active-defrag-ignore-bytes`
    active_defrag_ignore_bytes: i64,
    /// `hash-max-listpack-value` (alias `hash-max-ziplist-value`)
    hash_max_listpack_value: i64,
    /// `stream-node-max-bytes`
    stream_node_max_bytes: i64,
    /// `zset-max-listpack-value` (alias `zset-max-ziplist-value`)
    zset_max_listpack_value: i64,
    /// `hll-sparse-max-bytes`
    hll_sparse_max_bytes: i64,
    /// `tracking-table-max-keys`
    tracking_table_max_keys: i64,
    /// `client-query-buffer-limit` (bytes)
    client_query_buffer_limit: i64,
    /// `maxmemory-clients`: bytes when >= 0, a percentage of maxmemory
    /// stored as `-N` when negative (see [`Config::maxmemory_clients_bytes`]).
    maxmemory_clients: i64,
    /// `repl-backlog-ttl` (seconds)
    repl_backlog_ttl: i64,
    /// `auto-aof-rewrite-min-size` (bytes)
    auto_aof_rewrite_min_size: i64,
    /// `loading-process-events-interval-bytes` (hidden)
    loading_process_events_interval_bytes: i64,
    /// `tls-port`
    tls_port: i64,
    /// `tls-session-cache-size`
    tls_session_cache_size: i64,
    /// `tls-session-cache-timeout`
    tls_session_cache_timeout: i64,
    /// `maxmemory` (bytes, 0 = no limit)
    maxmemory: u64,
    /// `cluster-link-sendbuf-limit` (bytes)
    cluster_link_sendbuf_limit: u64,

    // ---- special ----
    /// `dir`: absolute working directory (the process `chdir`s on set).
    dir: String,
    /// `save`: `(seconds, changes)` points; empty = RDB snapshots disabled.
    save: Vec<(i64, i64)>,
    /// `client-output-buffer-limit`, indexed by [`OBUF_NORMAL`],
    /// [`OBUF_REPLICA`], [`OBUF_PUBSUB`].
    client_output_buffer_limit: [ClientBufferLimit; 3],
    /// `oom-score-adj-values` (master, replica, bgchild).
    oom_score_adj_values: [i64; 3],
    /// `notify-keyspace-events` as [`notify`] bits; string form via
    /// [`Config::notify_keyspace_events_string`].
    notify_keyspace_events: u32,
    /// `bind` addresses (`-` prefix = optional address).
    bind: Vec<String>,
    /// `replicaof` / `slaveof`.
    replicaof: Option<ReplicaOf>,
    /// `latency-tracking-info-percentiles`.
    latency_tracking_info_percentiles: Vec<f64>,

    // ---- file-level directives kept for the server ----
    /// `rename-command` lines, in file order (server validates/applies).
    rename_commands: Vec<RenameCommand>,
    /// `user` lines, in file order (ACL module validates/applies).
    users: Vec<UserDirective>,
    /// `loadmodule` lines, in file order.
    loadmodules: Vec<LoadModule>,
    /// Module configs (`<module>.<name> <value...>`), last value wins.
    module_configs: Vec<(String, String)>,
}

impl Default for Config {
    fn default() -> Self {
        let mut c = Config::blank();
        for e in TABLE {
            match &e.kind {
                Kind::Bool { set, default, .. } => set(&mut c, *default),
                Kind::Str { set, default, .. } => set(&mut c, default.map(str::to_string)),
                Kind::Bytes { set, .. } => set(&mut c, None),
                Kind::Enum { set, default, .. } => set(&mut c, *default),
                Kind::Num { set, default, .. } => set(&mut c, *default),
                Kind::Special(ops) => (ops.init)(&mut c),
            }
        }
        c
    }
}

/// A fatal config file error, rendered (via `Display`) exactly as Redis
/// prints it to stderr before exiting with status 1. `line_no == 0` means
/// the error is not tied to a line (e.g. "Can't open the log file: ...").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigFileError {
    /// 1-based line number in the text (or included file) being read.
    pub line_no: usize,
    /// The offending line, trimmed.
    pub line: String,
    /// Redis's error text.
    pub msg: String,
}

impl ConfigFileError {
    /// An error tied to a line.
    pub fn at(line_no: usize, line: &str, msg: &str) -> Self {
        ConfigFileError {
            line_no,
            line: line.to_string(),
            msg: msg.to_string(),
        }
    }

    /// An error not tied to a line.
    pub fn general(msg: &str) -> Self {
        Self::at(0, "", msg)
    }
}

impl fmt::Display for ConfigFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f)?;
        writeln!(
            f,
            "*** FATAL CONFIG FILE ERROR (Redis {}) ***",
            REDIS_VERSION
        )?;
        if self.line_no > 0 {
            writeln!(
                f,
                "Reading the configuration file, at line {}",
                self.line_no
            )?;
            writeln!(f, ">>> '{}'", self.line)?;
        }
        writeln!(f, "{}", self.msg)
    }
}

impl std::error::Error for ConfigFileError {}

/// Who is running CONFIG SET, for the checks that depend on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetContext {
    /// The server is loading a dataset (DENY_LOADING configs refused).
    pub loading: bool,
    /// The client is local (loopback / unix socket), for `local` in
    /// `enable-protected-configs`.
    pub client_is_local: bool,
}

/// Redis's reply for a DENY_LOADING config set while loading.
pub const LOADING_ERROR: &str = "LOADING Redis is loading the dataset in memory";

/// Deprecated directives still accepted (and ignored) in config files,
/// with their exact argc (including the name).
const DEPRECATED: [(&str, usize); 3] = [
    ("list-max-ziplist-entries", 2),
    ("list-max-ziplist-value", 2),
    ("lua-replicate-commands", 2),
];

/// Deepest `include` nesting accepted (Redis would overflow its stack).
const MAX_INCLUDE_DEPTH: usize = 64;

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(cstr(b)).into_owned()
}

/// addReplyErrorFormat turns CR/LF into spaces.
fn sanitize_error(s: String) -> String {
    s.replace(['\r', '\n'], " ")
}

fn enum_value(names: &[(&str, i32)], args: &[Vec<u8>], bitflags: bool) -> Option<i32> {
    if args.is_empty() || (!bitflags && args.len() != 1) {
        return None;
    }
    let mut v = 0;
    for a in args {
        let a = cstr(a);
        let mut matched = false;
        for (n, code) in names {
            if n.as_bytes().eq_ignore_ascii_case(a) {
                v |= *code;
                matched = true;
            }
        }
        if !matched {
            return None;
        }
    }
    Some(v)
}

fn enum_name(names: &[(&str, i32)], value: i32, bitflags: bool) -> String {
    let mut out: Option<String> = None;
    let mut unmatched = value;
    for (n, code) in names {
        if value == *code {
            return n.to_string();
        }
        if bitflags && *code != 0 && *code == (unmatched & *code) {
            out = Some(match out {
                Some(s) => format!("{} {}", s, n),
                None => n.to_string(),
            });
            unmatched &= !*code;
        }
    }
    match out {
        Some(s) if unmatched == 0 => s,
        _ => "unknown".to_string(),
    }
}

fn enum_error(names: &[(&str, i32)]) -> String {
    let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
    let mut s = format!(
        "argument(s) must be one of the following: {}",
        list.join(", ")
    );
    // Redis copies the message into a 256 byte buffer.
    if s.len() > 255 {
        let mut cut = 255;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

fn parse_numeric(flags: u32, value: &[u8]) -> Result<i64, String> {
    let v = cstr(value);
    let memory = (flags & MEMORY != 0).then(|| memtoull(v)).flatten();
    if let Some(n) = memory {
        return Ok(n as i64);
    }
    let percent = match v.split_last() {
        Some((b'%', digits)) if flags & PERCENT != 0 && !digits.is_empty() => {
            string2ll(digits).filter(|n| *n >= 0)
        }
        _ => None,
    };
    if let Some(n) = percent {
        return Ok(-n);
    }
    if flags & OCTAL != 0 {
        let r = strtoll(v, 8);
        if !r.overflow && r.full {
            return Ok(r.value);
        }
    }
    let plain = (flags & (MEMORY | PERCENT | OCTAL) == 0)
        .then(|| string2ll(value))
        .flatten();
    if let Some(n) = plain {
        return Ok(n);
    }
    Err(if flags & MEMORY != 0 && flags & PERCENT != 0 {
        "argument must be a memory or percent value"
    } else if flags & MEMORY != 0 {
        "argument must be a memory value"
    } else if flags & OCTAL != 0 {
        "argument couldn't be parsed as an octal number"
    } else {
        "argument couldn't be parsed into an integer"
    }
    .to_string())
}

fn check_bounds(
    flags: u32,
    unsigned: bool,
    lower: i128,
    upper: i128,
    v: i64,
) -> Result<(), String> {
    if unsigned {
        let u = i128::from(v as u64);
        if u > upper || u < lower {
            return Err(if flags & OCTAL != 0 {
                format!(
                    "argument must be between {:o} and {:o} inclusive",
                    lower, upper
                )
            } else {
                format!("argument must be between {} and {} inclusive", lower, upper)
            });
        }
    } else if flags & PERCENT != 0 && v < 0 {
        if i128::from(v) < lower {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -lower
            ));
        }
    } else if i128::from(v) > upper || i128::from(v) < lower {
        return Err(format!(
            "argument must be between {} and {} inclusive",
            lower, upper
        ));
    }
    Ok(())
}

/// Set one table entry from already split arguments. `Ok(true)` = changed
/// (Redis return 1), `Ok(false)` = same value (Redis return 2).
fn set_entry(c: &mut Config, e: &Entry, args: &[Vec<u8>], reading: bool) -> Result<bool, String> {
    let volatile = e.flags & VOLATILE != 0;
    let first: &[u8] = args.first().map(Vec::as_slice).unwrap_or(b"");
    match &e.kind {
        Kind::Bool {
            get, set, validate, ..
        } => {
            let a = cstr(first);
            let v = if a.eq_ignore_ascii_case(b"yes") {
                true
            } else if a.eq_ignore_ascii_case(b"no") {
                false
            } else {
                return Err("argument must be 'yes' or 'no'".into());
            };
            if let Some(f) = validate {
                f(v)?;
            }
            if get(c) != v {
                set(c, v);
                return Ok(true);
            }
            Ok(volatile)
        }
        Kind::Str {
            get,
            set,
            nullable,
            validate,
            ..
        } => {
            let s = lossy(first);
            if let Some(f) = validate {
                f(c, &s)?;
            }
            let new = if *nullable && s.is_empty() {
                None
            } else {
                Some(s)
            };
            if get(c) != new.as_deref() {
                set(c, new);
                return Ok(true);
            }
            Ok(volatile)
        }
        Kind::Bytes { get, set } => {
            let new = if first.is_empty() {
                None
            } else {
                Some(first.to_vec())
            };
            if get(c) != new.as_deref() {
                set(c, new);
                return Ok(true);
            }
            Ok(volatile)
        }
        Kind::Enum {
            names,
            get,
            set,
            validate,
            ..
        } => {
            let bitflags = e.flags & MULTI_ARG != 0;
            let v = enum_value(names, args, bitflags).ok_or_else(|| enum_error(names))?;
            if let Some(f) = validate {
                f(v)?;
            }
            if get(c) != v {
                set(c, v);
                return Ok(true);
            }
            Ok(volatile)
        }
        Kind::Num {
            get,
            set,
            lower,
            upper,
            unsigned,
            ..
        } => {
            let v = parse_numeric(e.flags, first)?;
            check_bounds(e.flags, *unsigned, *lower, *upper, v)?;
            if get(c) != v {
                set(c, v);
                return Ok(true);
            }
            Ok(volatile)
        }
        Kind::Special(ops) => (ops.set)(c, args, reading),
    }
}

/// Render one entry as CONFIG GET does.
fn render_entry(c: &Config, e: &Entry) -> Vec<u8> {
    match &e.kind {
        Kind::Bool { get, .. } => (if get(c) { "yes" } else { "no" }).as_bytes().to_vec(),
        Kind::Str { get, .. } => get(c).unwrap_or("").as_bytes().to_vec(),
        Kind::Bytes { get, .. } => get(c).unwrap_or(b"").to_vec(),
        Kind::Enum { names, get, .. } => {
            enum_name(names, get(c), e.flags & MULTI_ARG != 0).into_bytes()
        }
        Kind::Num { get, .. } => {
            let v = get(c);
            if e.flags & PERCENT != 0 && v < 0 {
                format!("{}%", v.unsigned_abs())
            } else if e.flags & MEMORY != 0 {
                (v as u64).to_string()
            } else if e.flags & OCTAL != 0 {
                format!("{:o}", v)
            } else {
                v.to_string()
            }
            .into_bytes()
        }
        Kind::Special(ops) => (ops.get)(c),
    }
}

/// Feed one entry to the rewrite state (Redis `interface.rewrite`).
fn rewrite_entry(c: &Config, e: &Entry, st: &mut RewriteState) {
    let name = e.name;
    match &e.kind {
        Kind::Bool { get, default, .. } => {
            let v = get(c);
            let line = format!("{} {}", name, if v { "yes" } else { "no" });
            st.rewrite_line(name, line, v != *default);
        }
        Kind::Str { get, default, .. } => match get(c) {
            None => st.mark_processed(name),
            Some(v) => {
                let force = *default != Some(v);
                st.rewrite_line(name, format!("{} {}", name, repr(v.as_bytes())), force);
            }
        },
        Kind::Bytes { get, .. } => match get(c) {
            None => st.mark_processed(name),
            Some(v) => st.rewrite_line(name, format!("{} {}", name, repr(v)), true),
        },
        Kind::Enum {
            names,
            get,
            default,
            ..
        } => {
            let v = get(c);
            let line = format!("{} {}", name, enum_name(names, v, e.flags & MULTI_ARG != 0));
            st.rewrite_line(name, line, v != *default);
        }
        Kind::Num { get, default, .. } => {
            let v = get(c);
            if e.flags & PERCENT != 0 && v < 0 {
                let pct = v.wrapping_neg();
                st.rewrite_line(name, format!("{} {}%", name, pct), pct != *default);
            } else if e.flags & MEMORY != 0 {
                st.rewrite_line(
                    name,
                    format!("{} {}", name, format_memory(v)),
                    v != *default,
                );
            } else if e.flags & OCTAL != 0 {
                st.rewrite_line(name, format!("{} {:o}", name, v), v != *default);
            } else {
                st.rewrite_line(name, format!("{} {}", name, v), v != *default);
            }
        }
        Kind::Special(ops) => (ops.rewrite)(c, name, st),
    }
}

/// Split a CONFIG SET value of a MULTI_ARG config on single spaces
/// (Redis `sdssplitlen(value, " ")`: empty value → no arguments).
fn split_on_spaces(v: &[u8]) -> Vec<Vec<u8>> {
    if v.is_empty() {
        return Vec::new();
    }
    v.split(|&c| c == b' ').map(<[u8]>::to_vec).collect()
}

/// The table, for callers that need names/aliases/flags.
pub fn entries() -> &'static [Entry] {
    TABLE
}

/// Flags of a config by name or alias (case-insensitive).
pub fn config_flags(name: &[u8]) -> Option<u32> {
    lookup(name).map(|h| h.entry().flags)
}

/// True if CONFIG SET of this config must be redacted (SENSITIVE).
pub fn is_sensitive(name: &[u8]) -> bool {
    config_flags(name).is_some_and(|f| f & SENSITIVE != 0)
}

/// Canonical name for a config name or alias (case-insensitive).
pub fn canonical_name(name: &[u8]) -> Option<&'static str> {
    lookup(name).map(|h| h.entry().name)
}

/// Parse keyspace notification classes ("KEA", "Ex"...); `None` on a bad
/// character.
pub fn notify_flags_from_str(classes: &[u8]) -> Option<u32> {
    notify::flags_from_str(classes)
}

/// Render keyspace notification flags as Redis does ("AKE", "gxE"...).
pub fn notify_flags_to_string(flags: u32) -> String {
    notify::flags_to_string(flags)
}

/// Build the directives text from redis-server's arguments, exactly like
/// Redis 7.0's `main()`. `args` excludes the program name (argv[1..]).
///
/// Returns `(config_file, read_stdin, directives)`: the config file (made
/// absolute like Redis's `getAbsolutePath`) when the first argument does not
/// start with '-', whether "-" asked to read config from stdin (only honoured
/// as the first or last argument), and the `--name value` options as config
/// lines with each value quoted `sdscatrepr`-style. A `--name` that stood
/// alone makes the next argument its value even if it starts with "--";
/// `--save` followed by another option (or last) becomes `save ""`.
/// Handle `-v`/`--version`/`-h`/`--help`/`--test-memory`/`--check-system`
/// before calling. Feed the result to [`assemble_config_text`].
pub fn cmdline_to_config_text(args: &[String]) -> Result<(Option<String>, bool, String), String> {
    let mut config_file = None;
    let mut stdin = false;
    let mut options = String::new();
    // Indexes below follow C's argv (argv[0] = program name).
    let argc = args.len() + 1;
    let arg = |j: usize| -> &str { args.get(j - 1).map(String::as_str).unwrap_or("") };
    let mut j = 1;
    if argc >= 2 && !arg(1).starts_with('-') {
        let abs = absolute_path(arg(1));
        if abs.is_empty() {
            return Err("Can't get the absolute path of the config file".into());
        }
        config_file = Some(abs);
        j = 2;
    }
    let mut handled_last = true;
    while j < argc {
        let a = arg(j);
        if a == "-" && (j == 1 || j == argc - 1) {
            stdin = true;
        } else if handled_last && a.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&a[2..]);
            options.push(' ');
            let ntok = split_args(a.as_bytes()).map(|v| v.len()).unwrap_or(0);
            if ntok == 1 {
                handled_last = false;
                let next_is_opt = j != argc - 1 && arg(j + 1).starts_with("--");
                if next_is_opt && a.eq_ignore_ascii_case("--save") {
                    options.push_str("\"\"");
                    handled_last = true;
                } else if j == argc - 1 && a.eq_ignore_ascii_case("--save") {
                    options.push_str("\"\"");
                } else if next_is_opt && a.eq_ignore_ascii_case("--sentinel") {
                    handled_last = true;
                }
            } else {
                handled_last = true;
            }
        } else {
            options.push_str(&repr(a.as_bytes()));
            options.push(' ');
            handled_last = true;
        }
        j += 1;
    }
    Ok((config_file, stdin, options))
}

/// Concatenate the sources in Redis's order: file, stdin, then "\n" and the
/// command-line directives (so line numbers in errors match Redis's).
pub fn assemble_config_text(file_text: &str, stdin_text: &str, directives: &str) -> String {
    let mut s = String::with_capacity(file_text.len() + stdin_text.len() + directives.len() + 1);
    s.push_str(file_text);
    s.push_str(stdin_text);
    s.push('\n');
    s.push_str(directives);
    s
}

impl Config {
    /// Apply config text (file + stdin + command line, already assembled).
    ///
    /// Follows Redis's `loadServerConfigFromString`: lines are trimmed, `#`
    /// comments and blank lines skipped, names are case-insensitive, values
    /// use `sdssplitargs` quoting. `include` reads (and globs) files relative
    /// to the current directory recursively; `rename-command`, `user`,
    /// `loadmodule` and module configs are stored for the server; `sentinel`
    /// with arguments is an error. The first error stops loading.
    pub fn load_config_text(&mut self, text: &str) -> Result<(), ConfigFileError> {
        self.load_text(text, 0)
    }

    fn load_text(&mut self, text: &str, depth: usize) -> Result<(), ConfigFileError> {
        self.reading_file = true;
        let lines: Vec<&str> = if text.is_empty() {
            Vec::new()
        } else {
            text.split('\n').collect()
        };
        for (i, raw) in lines.iter().enumerate() {
            let line_no = i + 1;
            let line = raw.trim_matches([' ', '\t', '\r', '\n']);
            let err = |msg: &str| ConfigFileError::at(line_no, line, msg);
            let bytes = cstr(line.as_bytes());
            if bytes.is_empty() || bytes[0] == b'#' {
                continue;
            }
            let Some(argv) = split_args(bytes) else {
                return Err(err("Unbalanced quotes in configuration line"));
            };
            let Some(first) = argv.first() else {
                continue;
            };
            let name = first.to_ascii_lowercase();
            let argc = argv.len();

            if let Some(hit) = lookup(&name) {
                let e = hit.entry();
                let multi = e.flags & MULTI_ARG != 0;
                if !multi && argc != 2 {
                    return Err(err("wrong number of arguments"));
                }
                let args: Vec<Vec<u8>> = if multi && argc == 2 && !argv[1].is_empty() {
                    split_args(&argv[1]).unwrap_or_default()
                } else {
                    argv[1..].to_vec()
                };
                let reading = self.reading_file;
                set_entry(self, e, &args, reading).map_err(|m| err(&m))?;
                continue;
            }
            if DEPRECATED
                .iter()
                .any(|(n, c)| n.as_bytes() == name.as_slice() && *c == argc)
            {
                continue;
            }

            match name.as_slice() {
                b"include" if argc == 2 => {
                    if depth >= MAX_INCLUDE_DEPTH {
                        return Err(err("Too many nested include directives"));
                    }
                    let path = lossy(&argv[1]);
                    let sub = read_config_file(&path).map_err(|m| ConfigFileError::general(&m))?;
                    self.load_text(&sub, depth + 1)?;
                }
                b"rename-command" if argc == 3 => {
                    self.rename_commands.push(RenameCommand {
                        from: lossy(&argv[1]),
                        to: lossy(&argv[2]),
                        line_no,
                        line: line.to_string(),
                    });
                }
                b"user" if argc >= 2 => {
                    self.users.push(UserDirective {
                        args: argv[1..].to_vec(),
                        line_no,
                        line: line.to_string(),
                    });
                }
                b"loadmodule" if argc >= 2 => {
                    self.loadmodules.push(LoadModule {
                        path: lossy(&argv[1]),
                        args: argv[2..].to_vec(),
                    });
                }
                n if n.contains(&b'.') => {
                    if argc < 2 {
                        return Err(err("Module config specified without value"));
                    }
                    let key = lossy(n);
                    let val = argv[1..]
                        .iter()
                        .map(|a| lossy(a))
                        .collect::<Vec<_>>()
                        .join(" ");
                    match self.module_configs.iter_mut().find(|(k, _)| *k == key) {
                        Some(slot) => slot.1 = val,
                        None => self.module_configs.push((key, val)),
                    }
                }
                b"sentinel" => {
                    // A bare "sentinel" (from --sentinel) is handled by main().
                    if argc != 1 {
                        return Err(err("sentinel directive while not in sentinel mode"));
                    }
                }
                _ => return Err(err("Bad directive or wrong number of arguments")),
            }
        }

        if !self.logfile.is_empty() {
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&self.logfile)
                .map_err(|e| {
                    ConfigFileError::general(&format!(
                        "Can't open the log file: {}",
                        parse::strerror(&e)
                    ))
                })?;
        }
        if self.cluster_enabled && self.replicaof.is_some() {
            return Err(ConfigFileError::general(
                "replicaof directive not allowed in cluster mode",
            ));
        }
        self.hz = self.hz.clamp(HZ_MIN, HZ_MAX);
        self.reading_file = false;
        Ok(())
    }

    /// CONFIG GET: values for every config matching any of the glob
    /// `patterns` (case-insensitive), each reported once. A pattern without
    /// `*`, `?` or `[` is an exact name lookup (which also finds HIDDEN
    /// configs); patterns match names and aliases alike, so `*` returns
    /// both "replicaof" and "slaveof". Names are the registered lowercase
    /// names (see [`Config::get_raw`] for Redis's exact key echoing).
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(&'static str, String)> {
        self.matches(patterns)
            .into_iter()
            .map(|(hit, _)| {
                (
                    hit.registered_name(),
                    String::from_utf8_lossy(&render_entry(self, hit.entry())).into_owned(),
                )
            })
            .collect()
    }

    /// CONFIG GET with byte-exact output: keys as Redis 7.0 replies them
    /// (an exact-name argument is echoed with the client's spelling, e.g.
    /// "MAXMEMORY") and binary-safe values.
    pub fn get_raw(&self, patterns: &[&[u8]]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.matches(patterns)
            .into_iter()
            .map(|(hit, key)| (key, render_entry(self, hit.entry())))
            .collect()
    }

    /// Value of one config by name or alias, rendered as CONFIG GET does.
    pub fn get_one(&self, name: &[u8]) -> Option<String> {
        lookup(name).map(|h| String::from_utf8_lossy(&render_entry(self, h.entry())).into_owned())
    }

    fn matches(&self, patterns: &[&[u8]]) -> Vec<(Hit, Vec<u8>)> {
        let mut out: Vec<(Hit, Vec<u8>)> = Vec::new();
        let seen = |out: &Vec<(Hit, Vec<u8>)>, k: &[u8]| {
            out.iter().any(|(_, o)| o.eq_ignore_ascii_case(k))
        };
        for pat in patterns {
            let is_pattern = cstr(pat).iter().any(|c| matches!(c, b'[' | b'*' | b'?'));
            if !is_pattern {
                if seen(&out, pat) {
                    continue;
                }
                if let Some(hit) = lookup(pat) {
                    out.push((hit, pat.to_vec()));
                }
                continue;
            }
            for (idx, e) in TABLE.iter().enumerate() {
                if e.flags & HIDDEN != 0 {
                    continue;
                }
                let names = [(e.name, false)]
                    .into_iter()
                    .chain(e.alias.map(|a| (a, true)));
                for (n, via_alias) in names {
                    if seen(&out, n.as_bytes()) {
                        continue;
                    }
                    if crate::util::glob::glob_match(pat, n.as_bytes(), true) {
                        out.push((Hit { idx, via_alias }, n.as_bytes().to_vec()));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET with default context (not loading, client not local).
    /// See [`Config::set_ex`].
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<Vec<&'static str>, String> {
        self.set_ex(pairs, SetContext::default())
    }

    /// CONFIG SET of several `(name, value)` pairs, all or nothing.
    ///
    /// On success returns the canonical names whose value changed (or that
    /// always count as changed, like `bind`, `save`, `dir` and the TLS file
    /// configs) so the server runs the matching apply hooks; if a hook fails
    /// the server restores its clone of the previous `Config` (and calls
    /// [`Config::apply_dir`] if `dir` was involved). On failure nothing is
    /// changed and the error is the wire text without the leading '-', e.g.
    /// `ERR CONFIG SET failed (possibly related to argument 'maxmemory') -
    /// argument must be a memory value`, or [`LOADING_ERROR`].
    pub fn set_ex(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        ctx: SetContext,
    ) -> Result<Vec<&'static str>, String> {
        let mut hits: Vec<Option<Hit>> = vec![None; pairs.len()];
        let mut invalid = false;
        let mut invalid_name: Option<&[u8]> = None;
        let mut errstr: Option<String> = None;
        let mut err_arg = String::new();
        let mut deny_loading = false;

        for (i, (name, _)) in pairs.iter().enumerate() {
            let Some(hit) = lookup(name) else {
                if !invalid {
                    invalid_name = Some(name);
                    invalid = true;
                }
                continue;
            };
            if invalid {
                continue;
            }
            let f = hit.entry().flags;
            let protected_denied =
                f & PROTECTED != 0 && !self.enable_protected_configs.allows(ctx.client_is_local);
            if f & IMMUTABLE != 0 || protected_denied {
                errstr = Some(
                    if f & IMMUTABLE != 0 {
                        "can't set immutable config"
                    } else {
                        "can't set protected config"
                    }
                    .to_string(),
                );
                err_arg = lossy(name);
                invalid = true;
                continue;
            }
            if ctx.loading && f & DENY_LOADING != 0 {
                deny_loading = true;
                invalid = true;
                continue;
            }
            if hits[..i].contains(&Some(hit)) {
                errstr = Some("duplicate parameter".to_string());
                err_arg = lossy(name);
                invalid = true;
            }
            hits[i] = Some(hit);
        }

        let fail = |errstr: Option<String>, err_arg: &str| -> String {
            sanitize_error(match errstr {
                Some(e) => format!(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
                    err_arg, e
                ),
                None => format!(
                    "ERR CONFIG SET failed (possibly related to argument '{}')",
                    err_arg
                ),
            })
        };

        if invalid {
            if deny_loading {
                return Err(LOADING_ERROR.to_string());
            }
            if let Some(n) = invalid_name {
                return Err(sanitize_error(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                    lossy(n)
                )));
            }
            return Err(fail(errstr, &err_arg));
        }

        let mut next = self.clone();
        let mut changed: Vec<&'static str> = Vec::new();
        let mut chdir_done = false;
        for ((_, value), hit) in pairs.iter().zip(&hits) {
            let Some(hit) = hit else { continue };
            let e = hit.entry();
            let args = if e.flags & MULTI_ARG != 0 {
                split_on_spaces(value)
            } else {
                vec![value.to_vec()]
            };
            match set_entry(&mut next, e, &args, false) {
                Ok(ch) => {
                    if e.name == "dir" {
                        chdir_done = true;
                    }
                    if ch && !changed.contains(&e.name) {
                        changed.push(e.name);
                    }
                }
                Err(m) => {
                    if chdir_done {
                        let _ = self.apply_dir();
                    }
                    return Err(fail(Some(m), hit.registered_name()));
                }
            }
        }
        if changed.contains(&"hz") {
            next.hz = next.hz.clamp(HZ_MIN, HZ_MAX);
        }
        *self = next;
        Ok(changed)
    }

    /// `chdir` to `self.dir` (used after restoring a previous `Config`).
    /// The error is the strerror text, e.g. "No such file or directory".
    pub fn apply_dir(&self) -> Result<(), String> {
        special::chdir(&self.dir)
    }

    /// CONFIG REWRITE of `path` without live ACL data: `user` lines are kept
    /// as they are unless `aclfile` is set (then they are removed).
    /// See [`Config::rewrite_with_acl`].
    pub fn rewrite(&self, path: &Path) -> Result<(), String> {
        self.rewrite_with_acl(path, None)
    }

    /// CONFIG REWRITE as Redis 7.0 does it: the old file's comments and line
    /// order are kept, each option's old lines are reused in place, options
    /// that differ from their default but had no line are appended after a
    /// `# Generated by CONFIG REWRITE` line, lines of processed options that
    /// were not reused (e.g. an option back at its default that Redis does
    /// not force, `bind` at default, extra `save` lines) are blanked, unknown
    /// lines become `# ??? <line>`, and runs of blank lines are folded. The
    /// file is replaced atomically. `acl_users`, when given, are the
    /// `<name> <rules>` descriptions of all ACL users (written as `user`
    /// lines). The error is the strerror text (e.g. "Permission denied"); the
    /// caller replies `ERR Rewriting config file: <err>` (and handles "ERR The
    /// server is running without a config file").
    pub fn rewrite_with_acl(
        &self,
        path: &Path,
        acl_users: Option<&[String]>,
    ) -> Result<(), String> {
        self.rewrite_ex(path, acl_users, false)
    }

    /// CONFIG REWRITE with Redis's `force_write` switch: with `force_all`
    /// every option is written even at its default (DEBUG
    /// CONFIG-REWRITE-FORCE-ALL). Otherwise as [`Config::rewrite_with_acl`].
    pub fn rewrite_ex(
        &self,
        path: &Path,
        acl_users: Option<&[String]>,
        force_all: bool,
    ) -> Result<(), String> {
        let mut st = rewrite::read_old_file(path).map_err(|e| parse::strerror(&e))?;
        if force_all {
            st.set_force_write();
        }
        for e in TABLE {
            rewrite_entry(self, e, &mut st);
        }
        if !self.aclfile.is_empty() {
            st.mark_processed("user");
        } else if let Some(users) = acl_users {
            for u in users {
                st.rewrite_line("user", format!("user {}", u), true);
            }
            st.mark_processed("user");
        }
        // oxidis loads no modules: Redis then drops every loadmodule line.
        st.mark_processed("loadmodule");
        st.remove_orphaned();
        let content = st.content();
        rewrite::overwrite_file(path, &content).map_err(|e| parse::strerror(&e))
    }

    /// The rewrite text of all DEBUG-flagged configs (Redis
    /// `getConfigDebugInfo`, used by DEBUG/INFO debug output).
    pub fn debug_info(&self) -> String {
        let mut st = RewriteState::for_debug();
        for e in TABLE.iter().filter(|e| e.flags & DEBUG != 0) {
            rewrite_entry(self, e, &mut st);
        }
        String::from_utf8_lossy(&st.content()).into_owned()
    }

    /// `save` rendered as CONFIG GET does: "3600 1 300 100 60 10000".
    pub fn save_params_string(&self) -> String {
        self.save
            .iter()
            .map(|(s, c)| format!("{} {}", s, c))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Redis `redisIsSupervised` for systemd: `supervised systemd`, or
    /// `auto` without UPSTART_JOB, and NOTIFY_SOCKET present.
    pub fn supervised_systemd(&self) -> bool {
        let notify = std::env::var_os("NOTIFY_SOCKET").is_some();
        match self.supervised {
            SupervisedMode::Systemd => notify,
            SupervisedMode::Auto => std::env::var_os("UPSTART_JOB").is_none() && notify,
            _ => false,
        }
    }

    /// Redis `redisIsSupervised` for upstart: `supervised upstart` (or
    /// `auto`) and UPSTART_JOB present.
    pub fn supervised_upstart(&self) -> bool {
        matches!(
            self.supervised,
            SupervisedMode::Upstart | SupervisedMode::Auto
        ) && std::env::var_os("UPSTART_JOB").is_some()
    }

    /// `notify-keyspace-events` in its string form ("" when disabled).
    pub fn notify_keyspace_events_string(&self) -> String {
        notify::flags_to_string(self.notify_keyspace_events)
    }

    /// `client-output-buffer-limit` rendered as CONFIG GET does.
    pub fn client_output_buffer_limit_string(&self) -> String {
        String::from_utf8_lossy(&(special::CLIENT_OUTPUT_BUFFER_LIMIT.get)(self)).into_owned()
    }

    /// `maxmemory-clients` in bytes: the absolute value, or the percentage
    /// of `maxmemory` when configured as "N%" (0 if maxmemory is 0).
    pub fn maxmemory_clients_bytes(&self) -> u64 {
        if self.maxmemory_clients < 0 {
            let pct = u128::from(self.maxmemory_clients.unsigned_abs());
            (u128::from(self.maxmemory) * pct / 100) as u64
        } else {
            self.maxmemory_clients as u64
        }
    }

    /// Expand a `proc-title-template` with this config's values; `None` if
    /// the template is malformed or names an unknown variable.
    pub fn expand_proc_title_template(
        &self,
        template: &str,
        title: &str,
        config_file: Option<&str>,
    ) -> Option<String> {
        special::expand_proc_title(self, template, title, config_file)
    }

    /// Default for a numeric config by name (tests and INFO helpers).
    pub fn numeric_default(name: &[u8]) -> Option<i64> {
        match lookup(name)?.entry().kind {
            Kind::Num { default, .. } => Some(default),
            _ => None,
        }
    }

    /// Memory-style rendering used by CONFIG REWRITE ("1gb", "64mb", "3000").
    pub fn format_memory(bytes: i64) -> String {
        format_memory(bytes)
    }
}
