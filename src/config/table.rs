//! The static config table: one entry per Redis 7.0 config (TLS ones
//! included), with aliases, flags, defaults, bounds and typed accessors.

use super::flags::*;
use super::special;
use super::types::*;
use super::Config;

pub(crate) type ValidStr = fn(&Config, &str) -> Result<(), String>;
pub(crate) type ValidInt = fn(i32) -> Result<(), String>;
pub(crate) type ValidBool = fn(bool) -> Result<(), String>;

/// How one config is typed and accessed.
pub(crate) enum Kind {
    /// yes/no.
    Bool {
        get: fn(&Config) -> bool,
        set: fn(&mut Config, bool),
        default: bool,
        validate: Option<ValidBool>,
    },
    /// C string; `nullable` = EMPTY_STRING_IS_NULL (empty stored as None).
    Str {
        get: fn(&Config) -> Option<&str>,
        set: fn(&mut Config, Option<String>),
        default: Option<&'static str>,
        nullable: bool,
        validate: Option<ValidStr>,
    },
    /// Binary-safe sds string (always EMPTY_STRING_IS_NULL here).
    Bytes {
        get: fn(&Config) -> Option<&[u8]>,
        set: fn(&mut Config, Option<Vec<u8>>),
    },
    /// Enumerated value (bit flags when the entry is MULTI_ARG).
    Enum {
        names: &'static [(&'static str, i32)],
        get: fn(&Config) -> i32,
        set: fn(&mut Config, i32),
        default: i32,
        validate: Option<ValidInt>,
    },
    /// Integer. `unsigned` selects Redis's unsigned bound check (uint,
    /// size_t, unsigned long long).
    Num {
        get: fn(&Config) -> i64,
        set: fn(&mut Config, i64),
        lower: i128,
        upper: i128,
        default: i64,
        unsigned: bool,
    },
    /// Hand-written parsing/rendering (`save`, `bind`, `dir`, ...).
    Special(&'static special::SpecialOps),
}

/// One row of the config table.
pub struct Entry {
    /// Canonical name.
    pub name: &'static str,
    /// Old name also accepted (e.g. "slaveof" for "replicaof").
    pub alias: Option<&'static str>,
    /// `flags::*` bits.
    pub flags: u32,
    pub(crate) kind: Kind,
}

macro_rules! b {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $def:expr) => {
        b!($name, $alias, $flags, $field, $def, None)
    };
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $def:expr, $valid:expr) => {
        Entry {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Bool {
                get: |c| c.$field,
                set: |c, v| c.$field = v,
                default: $def,
                validate: $valid,
            },
        }
    };
}

/// String config stored as `Option<String>` (EMPTY_STRING_IS_NULL).
macro_rules! s_null {
    ($name:literal, $alias:expr, $flags:expr, $field:ident) => {
        s_null!($name, $alias, $flags, $field, None)
    };
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $valid:expr) => {
        Entry {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Str {
                get: |c| c.$field.as_deref(),
                set: |c, v| c.$field = v,
                default: None,
                nullable: true,
                validate: $valid,
            },
        }
    };
}

/// String config stored as `String` (ALLOW_EMPTY_STRING).
macro_rules! s_plain {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $def:expr) => {
        s_plain!($name, $alias, $flags, $field, $def, None)
    };
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $def:expr, $valid:expr) => {
        Entry {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Str {
                get: |c| Some(c.$field.as_str()),
                set: |c, v| c.$field = v.unwrap_or_default(),
                default: Some($def),
                nullable: false,
                validate: $valid,
            },
        }
    };
}

macro_rules! e {
    ($name:literal, $alias:expr, $flags:expr, $names:expr, $field:ident, $ty:ident, $def:ident) => {
        Entry {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Enum {
                names: $names,
                get: |c| c.$field.code(),
                set: |c, v| {
                    if let Some(x) = $ty::from_code(v) {
                        c.$field = x;
                    }
                },
                default: $ty::$def.code(),
                validate: None,
            },
        }
    };
}

/// Signed integer (int, long, long long, ssize_t, time_t, off_t, and
/// unsigned long, which Redis bound-checks as signed).
macro_rules! n {
    ($name:literal, $alias:expr, $flags:expr, $lo:expr, $hi:expr, $field:ident, $def:expr) => {
        Entry {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Num {
                get: |c| c.$field,
                set: |c, v| c.$field = v,
                lower: $lo as i128,
                upper: $hi as i128,
                default: $def,
                unsigned: false,
            },
        }
    };
}

/// Unsigned integer stored in an i64 field (unsigned int, size_t).
macro_rules! u {
    ($name:literal, $alias:expr, $flags:expr, $lo:expr, $hi:expr, $field:ident, $def:expr) => {
        Entry {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Num {
                get: |c| c.$field,
                set: |c, v| c.$field = v,
                lower: $lo as i128,
                upper: $hi as i128,
                default: $def,
                unsigned: true,
            },
        }
    };
}

/// unsigned long long stored in a u64 field.
macro_rules! ull {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $def:expr) => {
        Entry {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Num {
                get: |c| c.$field as i64,
                set: |c, v| c.$field = v as u64,
                lower: 0,
                upper: u64::MAX as i128,
                default: $def,
                unsigned: true,
            },
        }
    };
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
const MB: i64 = 1024 * 1024;
const NO: Option<&str> = None;
const M: u32 = 0; // MODIFIABLE_CONFIG

fn valid_active_defrag(v: bool) -> Result<(), String> {
    if v {
        return Err(
            "Active defragmentation cannot be enabled: it requires a Redis server \
                    compiled with a modified Jemalloc like the one shipped by default with \
                    the Redis source distribution"
                .into(),
        );
    }
    Ok(())
}

fn is_base_name(v: &str) -> bool {
    !v.contains('/') && !v.contains('\\')
}

fn valid_dbfilename(_: &Config, v: &str) -> Result<(), String> {
    if !is_base_name(v) {
        return Err("dbfilename can't be a path, just a filename".into());
    }
    Ok(())
}

fn valid_aof_filename(_: &Config, v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("appendfilename can't be empty".into());
    }
    if !is_base_name(v) {
        return Err("appendfilename can't be a path, just a filename".into());
    }
    Ok(())
}

fn valid_aof_dirname(_: &Config, v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("appenddirname can't be empty".into());
    }
    if !is_base_name(v) {
        return Err("appenddirname can't be a path, just a dirname".into());
    }
    Ok(())
}

fn valid_hostname(_: &Config, v: &str) -> Result<(), String> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters".into());
    }
    if !v
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots".into());
    }
    Ok(())
}

fn valid_proc_title(c: &Config, v: &str) -> Result<(), String> {
    match special::expand_proc_title(c, v, "", None) {
        Some(s) if !s.is_empty() => Ok(()),
        _ => Err("template format is invalid or contains unknown variables".into()),
    }
}

fn valid_shutdown_flags(v: i32) -> Result<(), String> {
    let v = v as u32;
    if v & shutdown::NOSAVE != 0 && v & shutdown::SAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    Ok(())
}

/// Every config, in config.c's table order (TLS block included).
pub static TABLE: &[Entry] = &[
    // ---- bool ----
    b!("rdbchecksum", NO, IMMUTABLE, rdbchecksum, true),
    b!("daemonize", NO, IMMUTABLE, daemonize, false),
    b!(
        "io-threads-do-reads",
        NO,
        DEBUG | IMMUTABLE,
        io_threads_do_reads,
        false
    ),
    b!("always-show-logo", NO, IMMUTABLE, always_show_logo, false),
    b!("protected-mode", NO, M, protected_mode, true),
    b!("rdbcompression", NO, M, rdbcompression, true),
    b!("rdb-del-sync-files", NO, M, rdb_del_sync_files, false),
    b!("activerehashing", NO, M, activerehashing, true),
    b!(
        "stop-writes-on-bgsave-error",
        NO,
        M,
        stop_writes_on_bgsave_error,
        true
    ),
    b!("set-proc-title", NO, IMMUTABLE, set_proc_title, true),
    b!("dynamic-hz", NO, M, dynamic_hz, true),
    b!(
        "lazyfree-lazy-eviction",
        NO,
        DEBUG,
        lazyfree_lazy_eviction,
        false
    ),
    b!(
        "lazyfree-lazy-expire",
        NO,
        DEBUG,
        lazyfree_lazy_expire,
        false
    ),
    b!(
        "lazyfree-lazy-server-del",
        NO,
        DEBUG,
        lazyfree_lazy_server_del,
        false
    ),
    b!(
        "lazyfree-lazy-user-del",
        NO,
        DEBUG,
        lazyfree_lazy_user_del,
        false
    ),
    b!(
        "lazyfree-lazy-user-flush",
        NO,
        DEBUG,
        lazyfree_lazy_user_flush,
        false
    ),
    b!(
        "repl-disable-tcp-nodelay",
        NO,
        M,
        repl_disable_tcp_nodelay,
        false
    ),
    b!("repl-diskless-sync", NO, DEBUG, repl_diskless_sync, true),
    b!(
        "aof-rewrite-incremental-fsync",
        NO,
        M,
        aof_rewrite_incremental_fsync,
        true
    ),
    b!(
        "no-appendfsync-on-rewrite",
        NO,
        M,
        no_appendfsync_on_rewrite,
        false
    ),
    b!(
        "cluster-require-full-coverage",
        NO,
        M,
        cluster_require_full_coverage,
        true
    ),
    b!(
        "rdb-save-incremental-fsync",
        NO,
        M,
        rdb_save_incremental_fsync,
        true
    ),
    b!("aof-load-truncated", NO, M, aof_load_truncated, true),
    b!("aof-use-rdb-preamble", NO, M, aof_use_rdb_preamble, true),
    b!("aof-timestamp-enabled", NO, M, aof_timestamp_enabled, false),
    b!(
        "cluster-replica-no-failover",
        Some("cluster-slave-no-failover"),
        M,
        cluster_replica_no_failover,
        false
    ),
    b!(
        "replica-lazy-flush",
        Some("slave-lazy-flush"),
        M,
        replica_lazy_flush,
        false
    ),
    b!(
        "replica-serve-stale-data",
        Some("slave-serve-stale-data"),
        M,
        replica_serve_stale_data,
        true
    ),
    b!(
        "replica-read-only",
        Some("slave-read-only"),
        DEBUG,
        replica_read_only,
        true
    ),
    b!(
        "replica-ignore-maxmemory",
        Some("slave-ignore-maxmemory"),
        M,
        replica_ignore_maxmemory,
        true
    ),
    b!("jemalloc-bg-thread", NO, M, jemalloc_bg_thread, true),
    b!(
        "activedefrag",
        NO,
        DEBUG,
        activedefrag,
        false,
        Some(valid_active_defrag)
    ),
    b!("syslog-enabled", NO, IMMUTABLE, syslog_enabled, false),
    b!("cluster-enabled", NO, IMMUTABLE, cluster_enabled, false),
    b!("appendonly", NO, DENY_LOADING, appendonly, false),
    b!(
        "cluster-allow-reads-when-down",
        NO,
        M,
        cluster_allow_reads_when_down,
        false
    ),
    b!(
        "cluster-allow-pubsubshard-when-down",
        NO,
        M,
        cluster_allow_pubsubshard_when_down,
        true
    ),
    b!("crash-log-enabled", NO, M, crash_log_enabled, true),
    b!(
        "crash-memcheck-enabled",
        NO,
        M,
        crash_memcheck_enabled,
        true
    ),
    b!("use-exit-on-panic", NO, HIDDEN, use_exit_on_panic, false),
    b!("disable-thp", NO, IMMUTABLE, disable_thp, true),
    b!(
        "cluster-allow-replica-migration",
        NO,
        M,
        cluster_allow_replica_migration,
        true
    ),
    b!("replica-announced", NO, M, replica_announced, true),
    b!("latency-tracking", NO, M, latency_tracking, true),
    b!("aof-disable-auto-gc", NO, M, aof_disable_auto_gc, false),
    b!(
        "replica-ignore-disk-write-errors",
        NO,
        M,
        replica_ignore_disk_write_errors,
        false
    ),
    // ---- string ----
    s_plain!("aclfile", NO, IMMUTABLE, aclfile, ""),
    s_null!("unixsocket", NO, IMMUTABLE, unixsocket),
    s_null!("pidfile", NO, IMMUTABLE, pidfile),
    s_null!(
        "replica-announce-ip",
        Some("slave-announce-ip"),
        M,
        replica_announce_ip
    ),
    s_null!("masteruser", NO, SENSITIVE, masteruser),
    s_null!("cluster-announce-ip", NO, M, cluster_announce_ip),
    s_plain!(
        "cluster-config-file",
        NO,
        IMMUTABLE,
        cluster_config_file,
        "nodes.conf"
    ),
    s_null!(
        "cluster-announce-hostname",
        NO,
        M,
        cluster_announce_hostname,
        Some(valid_hostname)
    ),
    s_plain!("syslog-ident", NO, IMMUTABLE, syslog_ident, "redis"),
    s_plain!(
        "dbfilename",
        NO,
        PROTECTED,
        dbfilename,
        "dump.rdb",
        Some(valid_dbfilename)
    ),
    s_plain!(
        "appendfilename",
        NO,
        IMMUTABLE,
        appendfilename,
        "appendonly.aof",
        Some(valid_aof_filename)
    ),
    s_plain!(
        "appenddirname",
        NO,
        IMMUTABLE,
        appenddirname,
        "appendonlydir",
        Some(valid_aof_dirname)
    ),
    s_null!("server_cpulist", NO, IMMUTABLE, server_cpulist),
    s_null!("bio_cpulist", NO, IMMUTABLE, bio_cpulist),
    s_null!("aof_rewrite_cpulist", NO, IMMUTABLE, aof_rewrite_cpulist),
    s_null!("bgsave_cpulist", NO, IMMUTABLE, bgsave_cpulist),
    s_plain!("ignore-warnings", NO, M, ignore_warnings, ""),
    s_plain!(
        "proc-title-template",
        NO,
        M,
        proc_title_template,
        DEFAULT_PROC_TITLE_TEMPLATE,
        Some(valid_proc_title)
    ),
    s_null!("bind-source-addr", NO, M, bind_source_addr),
    s_plain!("logfile", NO, IMMUTABLE, logfile, ""),
    // ---- sds ----
    Entry {
        name: "masterauth",
        alias: NO,
        flags: SENSITIVE,
        kind: Kind::Bytes {
            get: |c| c.masterauth.as_deref(),
            set: |c, v| c.masterauth = v,
        },
    },
    Entry {
        name: "requirepass",
        alias: NO,
        flags: SENSITIVE,
        kind: Kind::Bytes {
            get: |c| c.requirepass.as_deref(),
            set: |c, v| c.requirepass = v,
        },
    },
    // ---- enum ----
    e!(
        "supervised",
        NO,
        IMMUTABLE,
        SUPERVISED_NAMES,
        supervised,
        SupervisedMode,
        No
    ),
    e!(
        "syslog-facility",
        NO,
        IMMUTABLE,
        SYSLOG_FACILITY_NAMES,
        syslog_facility,
        SyslogFacility,
        Local0
    ),
    e!(
        "repl-diskless-load",
        NO,
        DEBUG | DENY_LOADING,
        REPL_DISKLESS_LOAD_NAMES,
        repl_diskless_load,
        ReplDisklessLoad,
        Disabled
    ),
    e!(
        "loglevel",
        NO,
        M,
        LOGLEVEL_NAMES,
        loglevel,
        LogLevel,
        Notice
    ),
    e!(
        "maxmemory-policy",
        NO,
        M,
        MAXMEMORY_POLICY_NAMES,
        maxmemory_policy,
        MaxmemoryPolicy,
        NoEviction
    ),
    e!(
        "appendfsync",
        NO,
        M,
        APPENDFSYNC_NAMES,
        appendfsync,
        AppendFsync,
        Everysec
    ),
    e!(
        "oom-score-adj",
        NO,
        M,
        OOM_SCORE_ADJ_NAMES,
        oom_score_adj,
        OomScoreAdj,
        No
    ),
    e!(
        "acl-pubsub-default",
        NO,
        M,
        ACL_PUBSUB_DEFAULT_NAMES,
        acl_pubsub_default,
        AclPubsubDefault,
        ResetChannels
    ),
    e!(
        "sanitize-dump-payload",
        NO,
        DEBUG,
        SANITIZE_DUMP_PAYLOAD_NAMES,
        sanitize_dump_payload,
        SanitizeDumpPayload,
        No
    ),
    e!(
        "enable-protected-configs",
        NO,
        IMMUTABLE,
        PROTECTED_ACTION_NAMES,
        enable_protected_configs,
        ProtectedAction,
        No
    ),
    e!(
        "enable-debug-command",
        NO,
        IMMUTABLE,
        PROTECTED_ACTION_NAMES,
        enable_debug_command,
        ProtectedAction,
        No
    ),
    e!(
        "enable-module-command",
        NO,
        IMMUTABLE,
        PROTECTED_ACTION_NAMES,
        enable_module_command,
        ProtectedAction,
        No
    ),
    e!(
        "cluster-preferred-endpoint-type",
        NO,
        M,
        CLUSTER_ENDPOINT_NAMES,
        cluster_preferred_endpoint_type,
        ClusterPreferredEndpointType,
        Ip
    ),
    e!(
        "propagation-error-behavior",
        NO,
        M,
        PROPAGATION_ERROR_NAMES,
        propagation_error_behavior,
        PropagationErrorBehavior,
        Ignore
    ),
    Entry {
        name: "shutdown-on-sigint",
        alias: NO,
        flags: MULTI_ARG,
        kind: Kind::Enum {
            names: SHUTDOWN_NAMES,
            get: |c| c.shutdown_on_sigint as i32,
            set: |c, v| c.shutdown_on_sigint = v as u32,
            default: 0,
            validate: Some(valid_shutdown_flags),
        },
    },
    Entry {
        name: "shutdown-on-sigterm",
        alias: NO,
        flags: MULTI_ARG,
        kind: Kind::Enum {
            names: SHUTDOWN_NAMES,
            get: |c| c.shutdown_on_sigterm as i32,
            set: |c, v| c.shutdown_on_sigterm = v as u32,
            default: 0,
            validate: Some(valid_shutdown_flags),
        },
    },
    // ---- int ----
    n!("databases", NO, IMMUTABLE, 1, INT_MAX, databases, 16),
    n!("port", NO, M, 0, 65535, port, 6379),
    n!("io-threads", NO, DEBUG | IMMUTABLE, 1, 128, io_threads, 1),
    n!(
        "auto-aof-rewrite-percentage",
        NO,
        M,
        0,
        INT_MAX,
        auto_aof_rewrite_percentage,
        100
    ),
    n!(
        "cluster-replica-validity-factor",
        Some("cluster-slave-validity-factor"),
        M,
        0,
        INT_MAX,
        cluster_replica_validity_factor,
        10
    ),
    n!(
        "list-max-listpack-size",
        Some("list-max-ziplist-size"),
        M,
        INT_MIN,
        INT_MAX,
        list_max_listpack_size,
        -2
    ),
    n!("tcp-keepalive", NO, M, 0, INT_MAX, tcp_keepalive, 300),
    n!(
        "cluster-migration-barrier",
        NO,
        M,
        0,
        INT_MAX,
        cluster_migration_barrier,
        1
    ),
    n!(
        "active-defrag-cycle-min",
        NO,
        M,
        1,
        99,
        active_defrag_cycle_min,
        1
    ),
    n!(
        "active-defrag-cycle-max",
        NO,
        M,
        1,
        99,
        active_defrag_cycle_max,
        25
    ),
    n!(
        "active-defrag-threshold-lower",
        NO,
        M,
        0,
        1000,
        active_defrag_threshold_lower,
        10
    ),
    n!(
        "active-defrag-threshold-upper",
        NO,
        M,
        0,
        1000,
        active_defrag_threshold_upper,
        100
    ),
    n!("lfu-log-factor", NO, M, 0, INT_MAX, lfu_log_factor, 10),
    n!("lfu-decay-time", NO, M, 0, INT_MAX, lfu_decay_time, 1),
    n!(
        "replica-priority",
        Some("slave-priority"),
        M,
        0,
        INT_MAX,
        replica_priority,
        100
    ),
    n!(
        "repl-diskless-sync-delay",
        NO,
        M,
        0,
        INT_MAX,
        repl_diskless_sync_delay,
        5
    ),
    n!("maxmemory-samples", NO, M, 1, INT_MAX, maxmemory_samples, 5),
    n!(
        "maxmemory-eviction-tenacity",
        NO,
        M,
        0,
        100,
        maxmemory_eviction_tenacity,
        10
    ),
    n!("timeout", NO, M, 0, INT_MAX, timeout, 0),
    n!(
        "replica-announce-port",
        Some("slave-announce-port"),
        M,
        0,
        65535,
        replica_announce_port,
        0
    ),
    n!("tcp-backlog", NO, IMMUTABLE, 0, INT_MAX, tcp_backlog, 511),
    n!("cluster-port", NO, IMMUTABLE, 0, 65535, cluster_port, 0),
    n!(
        "cluster-announce-bus-port",
        NO,
        M,
        0,
        65535,
        cluster_announce_bus_port,
        0
    ),
    n!(
        "cluster-announce-port",
        NO,
        M,
        0,
        65535,
        cluster_announce_port,
        0
    ),
    n!(
        "cluster-announce-tls-port",
        NO,
        M,
        0,
        65535,
        cluster_announce_tls_port,
        0
    ),
    n!("repl-timeout", NO, M, 1, INT_MAX, repl_timeout, 60),
    n!(
        "repl-ping-replica-period",
        Some("repl-ping-slave-period"),
        M,
        1,
        INT_MAX,
        repl_ping_replica_period,
        10
    ),
    n!(
        "list-compress-depth",
        NO,
        DEBUG,
        0,
        INT_MAX,
        list_compress_depth,
        0
    ),
    n!(
        "rdb-key-save-delay",
        NO,
        HIDDEN,
        INT_MIN,
        INT_MAX,
        rdb_key_save_delay,
        0
    ),
    n!(
        "key-load-delay",
        NO,
        HIDDEN,
        INT_MIN,
        INT_MAX,
        key_load_delay,
        0
    ),
    n!(
        "active-expire-effort",
        NO,
        M,
        1,
        10,
        active_expire_effort,
        1
    ),
    n!("hz", NO, M, 0, INT_MAX, hz, 10),
    n!(
        "wakeup-coalesce-us",
        NO,
        HIDDEN,
        0,
        1000,
        wakeup_coalesce_us,
        20
    ),
    n!(
        "min-replicas-to-write",
        Some("min-slaves-to-write"),
        M,
        0,
        INT_MAX,
        min_replicas_to_write,
        0
    ),
    n!(
        "min-replicas-max-lag",
        Some("min-slaves-max-lag"),
        M,
        0,
        INT_MAX,
        min_replicas_max_lag,
        10
    ),
    n!(
        "watchdog-period",
        NO,
        HIDDEN,
        0,
        INT_MAX,
        watchdog_period,
        0
    ),
    n!("shutdown-timeout", NO, M, 0, INT_MAX, shutdown_timeout, 10),
    n!(
        "repl-diskless-sync-max-replicas",
        NO,
        M,
        0,
        INT_MAX,
        repl_diskless_sync_max_replicas,
        0
    ),
    // ---- unsigned int ----
    u!("maxclients", NO, M, 1, UINT_MAX, maxclients, 10000),
    u!(
        "unixsocketperm",
        NO,
        IMMUTABLE | OCTAL,
        0,
        0o777,
        unixsocketperm,
        0
    ),
    u!(
        "socket-mark-id",
        NO,
        IMMUTABLE,
        0,
        UINT_MAX,
        socket_mark_id,
        0
    ),
    // ---- unsigned long (checked as signed by Redis) ----
    n!(
        "active-defrag-max-scan-fields",
        NO,
        M,
        1,
        LONG_MAX,
        active_defrag_max_scan_fields,
        1000
    ),
    n!("slowlog-max-len", NO, M, 0, LONG_MAX, slowlog_max_len, 128),
    n!("acllog-max-len", NO, M, 0, LONG_MAX, acllog_max_len, 128),
    // ---- long long ----
    n!(
        "busy-reply-threshold",
        Some("lua-time-limit"),
        M,
        0,
        LONG_MAX,
        busy_reply_threshold,
        5000
    ),
    n!(
        "cluster-node-timeout",
        NO,
        M,
        0,
        LONG_MAX,
        cluster_node_timeout,
        15000
    ),
    n!(
        "slowlog-log-slower-than",
        NO,
        M,
        -1,
        LONG_MAX,
        slowlog_log_slower_than,
        10000
    ),
    n!(
        "latency-monitor-threshold",
        NO,
        M,
        0,
        LONG_MAX,
        latency_monitor_threshold,
        0
    ),
    n!(
        "proto-max-bulk-len",
        NO,
        DEBUG | MEMORY,
        MB,
        LONG_MAX,
        proto_max_bulk_len,
        512 * MB
    ),
    n!(
        "stream-node-max-entries",
        NO,
        M,
        0,
        LONG_MAX,
        stream_node_max_entries,
        100
    ),
    n!(
        "repl-backlog-size",
        NO,
        MEMORY,
        1,
        LONG_MAX,
        repl_backlog_size,
        MB
    ),
    // ---- unsigned long long ----
    ull!("maxmemory", NO, MEMORY, maxmemory, 0),
    ull!(
        "cluster-link-sendbuf-limit",
        NO,
        MEMORY,
        cluster_link_sendbuf_limit,
        0
    ),
    // ---- size_t ----
    u!(
        "hash-max-listpack-entries",
        Some("hash-max-ziplist-entries"),
        M,
        0,
        LONG_MAX,
        hash_max_listpack_entries,
        512
    ),
    u!(
        "set-max-intset-entries",
        NO,
        M,
        0,
        LONG_MAX,
        set_max_intset_entries,
        512
    ),
    u!(
        "zset-max-listpack-entries",
        Some("zset-max-ziplist-entries"),
        M,
        0,
        LONG_MAX,
        zset_max_listpack_entries,
        128
    ),
    u!(
        "active-defrag-ignore-bytes",
        NO,
        MEMORY,
        1,
        LONG_MAX,
        active_defrag_ignore_bytes,
        100 * MB
    ),
    u!(
        "hash-max-listpack-value",
        Some("hash-max-ziplist-value"),
        MEMORY,
        0,
        LONG_MAX,
        hash_max_listpack_value,
        64
    ),
    u!(
        "stream-node-max-bytes",
        NO,
        MEMORY,
        0,
        LONG_MAX,
        stream_node_max_bytes,
        4096
    ),
    u!(
        "zset-max-listpack-value",
        Some("zset-max-ziplist-value"),
        MEMORY,
        0,
        LONG_MAX,
        zset_max_listpack_value,
        64
    ),
    u!(
        "hll-sparse-max-bytes",
        NO,
        MEMORY,
        0,
        LONG_MAX,
        hll_sparse_max_bytes,
        3000
    ),
    u!(
        "tracking-table-max-keys",
        NO,
        M,
        0,
        LONG_MAX,
        tracking_table_max_keys,
        1_000_000
    ),
    u!(
        "client-query-buffer-limit",
        NO,
        DEBUG | MEMORY,
        MB,
        LONG_MAX,
        client_query_buffer_limit,
        1024 * MB
    ),
    // ---- ssize_t ----
    n!(
        "maxmemory-clients",
        NO,
        MEMORY | PERCENT,
        -100,
        LONG_MAX,
        maxmemory_clients,
        0
    ),
    // ---- time_t / off_t ----
    n!(
        "repl-backlog-ttl",
        NO,
        M,
        0,
        LONG_MAX,
        repl_backlog_ttl,
        3600
    ),
    n!(
        "auto-aof-rewrite-min-size",
        NO,
        MEMORY,
        0,
        LONG_MAX,
        auto_aof_rewrite_min_size,
        64 * MB
    ),
    n!(
        "loading-process-events-interval-bytes",
        NO,
        HIDDEN,
        1024,
        INT_MAX,
        loading_process_events_interval_bytes,
        2 * MB
    ),
    // ---- TLS (present as in a BUILD_TLS=yes build) ----
    n!("tls-port", NO, M, 0, 65535, tls_port, 0),
    n!(
        "tls-session-cache-size",
        NO,
        M,
        0,
        INT_MAX,
        tls_session_cache_size,
        20 * 1024
    ),
    n!(
        "tls-session-cache-timeout",
        NO,
        M,
        0,
        INT_MAX,
        tls_session_cache_timeout,
        300
    ),
    b!("tls-cluster", NO, M, tls_cluster, false),
    b!("tls-replication", NO, M, tls_replication, false),
    e!(
        "tls-auth-clients",
        NO,
        M,
        TLS_AUTH_CLIENTS_NAMES,
        tls_auth_clients,
        TlsAuthClients,
        Yes
    ),
    b!(
        "tls-prefer-server-ciphers",
        NO,
        M,
        tls_prefer_server_ciphers,
        false
    ),
    b!("tls-session-caching", NO, M, tls_session_caching, true),
    s_null!("tls-cert-file", NO, VOLATILE, tls_cert_file),
    s_null!("tls-key-file", NO, VOLATILE, tls_key_file),
    s_null!("tls-key-file-pass", NO, M, tls_key_file_pass),
    s_null!("tls-client-cert-file", NO, VOLATILE, tls_client_cert_file),
    s_null!("tls-client-key-file", NO, VOLATILE, tls_client_key_file),
    s_null!("tls-client-key-file-pass", NO, M, tls_client_key_file_pass),
    s_null!("tls-dh-params-file", NO, VOLATILE, tls_dh_params_file),
    s_null!("tls-ca-cert-file", NO, VOLATILE, tls_ca_cert_file),
    s_null!("tls-ca-cert-dir", NO, VOLATILE, tls_ca_cert_dir),
    s_null!("tls-protocols", NO, M, tls_protocols),
    s_null!("tls-ciphers", NO, M, tls_ciphers),
    s_null!("tls-ciphersuites", NO, M, tls_ciphersuites),
    // ---- special ----
    Entry {
        name: "dir",
        alias: NO,
        flags: PROTECTED | DENY_LOADING,
        kind: Kind::Special(&special::DIR),
    },
    Entry {
        name: "save",
        alias: NO,
        flags: MULTI_ARG,
        kind: Kind::Special(&special::SAVE),
    },
    Entry {
        name: "client-output-buffer-limit",
        alias: NO,
        flags: MULTI_ARG,
        kind: Kind::Special(&special::CLIENT_OUTPUT_BUFFER_LIMIT),
    },
    Entry {
        name: "oom-score-adj-values",
        alias: NO,
        flags: MULTI_ARG,
        kind: Kind::Special(&special::OOM_SCORE_ADJ_VALUES),
    },
    Entry {
        name: "notify-keyspace-events",
        alias: NO,
        flags: M,
        kind: Kind::Special(&special::NOTIFY_KEYSPACE_EVENTS),
    },
    Entry {
        name: "bind",
        alias: NO,
        flags: MULTI_ARG,
        kind: Kind::Special(&special::BIND),
    },
    Entry {
        name: "replicaof",
        alias: Some("slaveof"),
        flags: IMMUTABLE | MULTI_ARG,
        kind: Kind::Special(&special::REPLICAOF),
    },
    Entry {
        name: "latency-tracking-info-percentiles",
        alias: NO,
        flags: MULTI_ARG,
        kind: Kind::Special(&special::LATENCY_TRACKING_INFO_PERCENTILES),
    },
];

/// Default `proc-title-template`.
pub const DEFAULT_PROC_TITLE_TEMPLATE: &str = "{title} {listen-addr} {server-mode}";

/// A table hit: which entry, and whether it was found through its alias.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Hit {
    pub idx: usize,
    pub via_alias: bool,
}

impl Hit {
    pub fn entry(self) -> &'static Entry {
        &TABLE[self.idx]
    }
    /// The name under which Redis registered this hit (alias or primary).
    pub fn registered_name(self) -> &'static str {
        let e = self.entry();
        match (self.via_alias, e.alias) {
            (true, Some(a)) => a,
            _ => e.name,
        }
    }
}

/// Case-insensitive lookup by name or alias.
pub(crate) fn lookup(name: &[u8]) -> Option<Hit> {
    TABLE.iter().enumerate().find_map(|(idx, e)| {
        if e.name.as_bytes().eq_ignore_ascii_case(name) {
            Some(Hit {
                idx,
                via_alias: false,
            })
        } else if e
            .alias
            .is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(name))
        {
            Some(Hit {
                idx,
                via_alias: true,
            })
        } else {
            None
        }
    })
}
