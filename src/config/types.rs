//! Typed values of enum-like and compound configs, plus flag constants.

/// Generates a fieldless enum with a fixed i32 code per variant (the code
/// Redis uses internally) and a name table (first matching name is the one
/// CONFIG GET / REWRITE print, exactly like Redis's `configEnum` arrays).
macro_rules! config_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $names:ident, default $def:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:expr ),* $(,)?
        }
        names [ $( $sname:literal => $scode:expr ),* $(,)? ]
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),*
        }

        /// Accepted names and their codes, in Redis's order.
        pub(crate) const $names: &[(&str, i32)] = &[ $( ($sname, $scode) ),* ];

        impl $name {
            /// Redis's internal numeric code for this value.
            pub const fn code(self) -> i32 {
                match self { $( Self::$variant => $code ),* }
            }
            /// Value for a Redis internal code.
            pub fn from_code(code: i32) -> Option<Self> {
                $( if code == $code { return Some(Self::$variant); } )*
                None
            }
            /// The name CONFIG GET reports ("unknown" if not nameable).
            pub fn name(self) -> &'static str {
                $names
                    .iter()
                    .find(|(_, c)| *c == self.code())
                    .map(|(n, _)| *n)
                    .unwrap_or("unknown")
            }
            /// Same as [`Self::name`].
            pub fn as_str(self) -> &'static str {
                self.name()
            }
            /// Parse a name (case-insensitive), as the config file would.
            pub fn from_name(s: &str) -> Option<Self> {
                $names
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(s))
                    .and_then(|(_, c)| Self::from_code(*c))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::$def
            }
        }
    };
}

config_enum! {
    /// `loglevel`. Redis 7.0 accepts debug/verbose/notice/warning only;
    /// `Nothing` exists for the server's internal use (7.2's "nothing") and is
    /// not accepted by the config parser of 7.0.
    LogLevel, LOGLEVEL_NAMES, default Notice {
        Debug = 0, Verbose = 1, Notice = 2, Warning = 3,
        /// Not settable in 7.0 (renders as "unknown").
        Nothing = 4,
    }
    names ["debug" => 0, "verbose" => 1, "notice" => 2, "warning" => 3]
}

config_enum! {
    /// `maxmemory-policy`.
    MaxmemoryPolicy, MAXMEMORY_POLICY_NAMES, default NoEviction {
        VolatileLru = 1, VolatileLfu = 2, VolatileTtl = 3, VolatileRandom = 4,
        AllkeysLru = 5, AllkeysLfu = 6, AllkeysRandom = 7, NoEviction = 8,
    }
    names [
        "volatile-lru" => 1, "volatile-lfu" => 2, "volatile-random" => 4,
        "volatile-ttl" => 3, "allkeys-lru" => 5, "allkeys-lfu" => 6,
        "allkeys-random" => 7, "noeviction" => 8,
    ]
}

impl MaxmemoryPolicy {
    /// True for the allkeys-* policies.
    pub fn is_allkeys(self) -> bool {
        matches!(
            self,
            Self::AllkeysLru | Self::AllkeysLfu | Self::AllkeysRandom
        )
    }
    /// True for the LFU policies.
    pub fn is_lfu(self) -> bool {
        matches!(self, Self::VolatileLfu | Self::AllkeysLfu)
    }
    /// True for the LRU policies.
    pub fn is_lru(self) -> bool {
        matches!(self, Self::VolatileLru | Self::AllkeysLru)
    }
}

config_enum! {
    /// `syslog-facility`.
    SyslogFacility, SYSLOG_FACILITY_NAMES, default Local0 {
        User = 8, Local0 = 128, Local1 = 136, Local2 = 144, Local3 = 152,
        Local4 = 160, Local5 = 168, Local6 = 176, Local7 = 184,
    }
    names [
        "user" => 8, "local0" => 128, "local1" => 136, "local2" => 144,
        "local3" => 152, "local4" => 160, "local5" => 168, "local6" => 176,
        "local7" => 184,
    ]
}

config_enum! {
    /// `supervised`.
    SupervisedMode, SUPERVISED_NAMES, default No {
        No = 0, Auto = 1, Systemd = 2, Upstart = 3,
    }
    names ["upstart" => 3, "systemd" => 2, "auto" => 1, "no" => 0]
}

config_enum! {
    /// `appendfsync`.
    AppendFsync, APPENDFSYNC_NAMES, default Everysec {
        No = 0, Always = 1, Everysec = 2,
    }
    names ["everysec" => 2, "always" => 1, "no" => 0]
}

config_enum! {
    /// `repl-diskless-load`.
    ReplDisklessLoad, REPL_DISKLESS_LOAD_NAMES, default Disabled {
        Disabled = 0, OnEmptyDb = 1, Swapdb = 2,
    }
    names ["disabled" => 0, "on-empty-db" => 1, "swapdb" => 2]
}

config_enum! {
    /// `tls-auth-clients`.
    TlsAuthClients, TLS_AUTH_CLIENTS_NAMES, default Yes {
        No = 0, Yes = 1, Optional = 2,
    }
    names ["no" => 0, "yes" => 1, "optional" => 2]
}

config_enum! {
    /// `oom-score-adj` ("yes" is a synonym of "relative"; GET prints "yes").
    OomScoreAdj, OOM_SCORE_ADJ_NAMES, default No {
        No = 0, Relative = 1, Absolute = 2,
    }
    names ["no" => 0, "yes" => 1, "relative" => 1, "absolute" => 2]
}

config_enum! {
    /// `acl-pubsub-default`.
    AclPubsubDefault, ACL_PUBSUB_DEFAULT_NAMES, default ResetChannels {
        AllChannels = 8, ResetChannels = 0,
    }
    names ["allchannels" => 8, "resetchannels" => 0]
}

config_enum! {
    /// `sanitize-dump-payload`.
    SanitizeDumpPayload, SANITIZE_DUMP_PAYLOAD_NAMES, default No {
        No = 0, Yes = 1, Clients = 2,
    }
    names ["no" => 0, "yes" => 1, "clients" => 2]
}

config_enum! {
    /// `enable-protected-configs`, `enable-debug-command`,
    /// `enable-module-command`.
    ProtectedAction, PROTECTED_ACTION_NAMES, default No {
        No = 0, Yes = 1, Local = 2,
    }
    names ["no" => 0, "yes" => 1, "local" => 2]
}

impl ProtectedAction {
    /// Redis `allowProtectedAction`: allowed for everyone with `yes`, only
    /// for local (loopback / unix socket) clients with `local`.
    pub fn allows(self, client_is_local: bool) -> bool {
        self == Self::Yes || (self == Self::Local && client_is_local)
    }
}

config_enum! {
    /// `cluster-preferred-endpoint-type`.
    ClusterPreferredEndpointType, CLUSTER_ENDPOINT_NAMES, default Ip {
        Ip = 0, Hostname = 1, UnknownEndpoint = 2,
    }
    names ["ip" => 0, "hostname" => 1, "unknown-endpoint" => 2]
}

config_enum! {
    /// `propagation-error-behavior`.
    PropagationErrorBehavior, PROPAGATION_ERROR_NAMES, default Ignore {
        Ignore = 0, Panic = 1, PanicOnReplicas = 2,
    }
    names ["ignore" => 0, "panic" => 1, "panic-on-replicas" => 2]
}

/// Bits of `shutdown-on-sigint` / `shutdown-on-sigterm` (Redis SHUTDOWN_*).
pub mod shutdown {
    /// "default": no flags.
    pub const DEFAULT: u32 = 0;
    /// "save": force a save.
    pub const SAVE: u32 = 1;
    /// "nosave": skip saving.
    pub const NOSAVE: u32 = 2;
    /// "now": don't wait for replicas.
    pub const NOW: u32 = 4;
    /// "force": ignore errors.
    pub const FORCE: u32 = 8;
}

pub(crate) const SHUTDOWN_NAMES: &[(&str, i32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

/// Keyspace notification class bits (Redis NOTIFY_*), plus string helpers.
pub mod notify {
    /// K
    pub const KEYSPACE: u32 = 1 << 0;
    /// E
    pub const KEYEVENT: u32 = 1 << 1;
    /// g
    pub const GENERIC: u32 = 1 << 2;
    /// $
    pub const STRING: u32 = 1 << 3;
    /// l
    pub const LIST: u32 = 1 << 4;
    /// s
    pub const SET: u32 = 1 << 5;
    /// h
    pub const HASH: u32 = 1 << 6;
    /// z
    pub const ZSET: u32 = 1 << 7;
    /// x
    pub const EXPIRED: u32 = 1 << 8;
    /// e
    pub const EVICTED: u32 = 1 << 9;
    /// t
    pub const STREAM: u32 = 1 << 10;
    /// m (excluded from ALL on purpose)
    pub const KEY_MISS: u32 = 1 << 11;
    /// module-only "loaded" event
    pub const LOADED: u32 = 1 << 12;
    /// d
    pub const MODULE: u32 = 1 << 13;
    /// n (excluded from ALL)
    pub const NEW: u32 = 1 << 14;
    /// A = g$lshzxetd
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

    /// Parse a class string like "KEA"; `None` on an unknown character
    /// (Redis `keyspaceEventsStringToFlags`).
    pub fn flags_from_str(classes: &[u8]) -> Option<u32> {
        let mut flags = 0;
        for &c in super::super::parse::cstr(classes) {
            flags |= match c {
                b'A' => ALL,
                b'g' => GENERIC,
                b'$' => STRING,
                b'l' => LIST,
                b's' => SET,
                b'h' => HASH,
                b'z' => ZSET,
                b'x' => EXPIRED,
                b'e' => EVICTED,
                b'K' => KEYSPACE,
                b'E' => KEYEVENT,
                b't' => STREAM,
                b'm' => KEY_MISS,
                b'd' => MODULE,
                b'n' => NEW,
                _ => return None,
            };
        }
        Some(flags)
    }

    /// Render flags as Redis `keyspaceEventsFlagsToString` does.
    pub fn flags_to_string(flags: u32) -> String {
        let mut s = String::new();
        if flags & ALL == ALL {
            s.push('A');
        } else {
            for (bit, c) in [
                (GENERIC, 'g'),
                (STRING, '$'),
                (LIST, 'l'),
                (SET, 's'),
                (HASH, 'h'),
                (ZSET, 'z'),
                (EXPIRED, 'x'),
                (EVICTED, 'e'),
                (STREAM, 't'),
                (MODULE, 'd'),
                (NEW, 'n'),
            ] {
                if flags & bit != 0 {
                    s.push(c);
                }
            }
        }
        for (bit, c) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
        s
    }
}

/// Per-class output buffer limits (`client-output-buffer-limit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ClientBufferLimit {
    /// Hard limit in bytes (0 = none).
    pub hard_limit_bytes: u64,
    /// Soft limit in bytes (0 = none).
    pub soft_limit_bytes: u64,
    /// Seconds the soft limit may be exceeded.
    pub soft_limit_seconds: i64,
}

/// Index of the normal clients' limits in `client_output_buffer_limit`.
pub const OBUF_NORMAL: usize = 0;
/// Index of the replicas' limits in `client_output_buffer_limit`.
pub const OBUF_REPLICA: usize = 1;
/// Index of the pub/sub clients' limits in `client_output_buffer_limit`.
pub const OBUF_PUBSUB: usize = 2;

/// Redis's default output buffer limits (normal, replica, pubsub).
pub const CLIENT_BUFFER_LIMIT_DEFAULTS: [ClientBufferLimit; 3] = [
    ClientBufferLimit {
        hard_limit_bytes: 0,
        soft_limit_bytes: 0,
        soft_limit_seconds: 0,
    },
    ClientBufferLimit {
        hard_limit_bytes: 256 * 1024 * 1024,
        soft_limit_bytes: 64 * 1024 * 1024,
        soft_limit_seconds: 60,
    },
    ClientBufferLimit {
        hard_limit_bytes: 32 * 1024 * 1024,
        soft_limit_bytes: 8 * 1024 * 1024,
        soft_limit_seconds: 60,
    },
];

/// Default `oom-score-adj-values` (master, replica, bgchild).
pub const OOM_SCORE_ADJ_VALUES_DEFAULTS: [i64; 3] = [0, 200, 800];

/// Default `bind` addresses.
pub const DEFAULT_BIND: [&str; 2] = ["*", "-::*"];

/// Default `save` points.
pub const DEFAULT_SAVE: [(i64, i64); 3] = [(3600, 1), (300, 100), (60, 10000)];

/// `replicaof <host> <port>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaOf {
    /// Master host as written.
    pub host: String,
    /// Master port (0..=65535).
    pub port: i64,
}

/// A `rename-command <from> <to>` line, kept for the server to apply against
/// its command table (errors: "No such command in rename-command",
/// "Target command name already exists").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenameCommand {
    /// Existing command name.
    pub from: String,
    /// New name; empty means "remove the command".
    pub to: String,
    /// Line number inside the file/text it came from (1-based).
    pub line_no: usize,
    /// The trimmed line, for error reports.
    pub line: String,
}

/// A `user ...` line (argv after "user"), for the ACL module to validate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserDirective {
    /// Arguments after `user` (name first), raw bytes.
    pub args: Vec<Vec<u8>>,
    /// Line number inside the file/text it came from (1-based).
    pub line_no: usize,
    /// The trimmed line, for error reports.
    pub line: String,
}

/// A `loadmodule <path> [args...]` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadModule {
    /// Module path.
    pub path: String,
    /// Module arguments.
    pub args: Vec<Vec<u8>>,
}
