//! Types of the static command table (see `table.rs`, generated from Redis
//! 7.0.15's `src/commands/*.json` by `scripts/gen-command-table.py`) and the
//! pure helpers the `COMMAND` family needs: name lookup, the legacy
//! `(first, last, step)` key range and the flag-name lists in the order Redis
//! prints them.
//!
//! All bit values match Redis 7.0's `server.h`, so flag words can be compared
//! with what a real server reports, and every `*_names` function yields names
//! in the order of the corresponding `addReply*Flags` table of `server.c` /
//! `acl.c`.

use std::cmp::Ordering;

// ---------------------------------------------------------------------------
// Command flags (`CMD_*`).
// ---------------------------------------------------------------------------

pub const CMD_WRITE: u64 = 1 << 0;
pub const CMD_READONLY: u64 = 1 << 1;
pub const CMD_DENYOOM: u64 = 1 << 2;
pub const CMD_MODULE: u64 = 1 << 3;
pub const CMD_ADMIN: u64 = 1 << 4;
pub const CMD_PUBSUB: u64 = 1 << 5;
pub const CMD_NOSCRIPT: u64 = 1 << 6;
pub const CMD_BLOCKING: u64 = 1 << 8;
pub const CMD_LOADING: u64 = 1 << 9;
pub const CMD_STALE: u64 = 1 << 10;
pub const CMD_SKIP_MONITOR: u64 = 1 << 11;
pub const CMD_SKIP_SLOWLOG: u64 = 1 << 12;
pub const CMD_ASKING: u64 = 1 << 13;
pub const CMD_FAST: u64 = 1 << 14;
pub const CMD_NO_AUTH: u64 = 1 << 15;
pub const CMD_MAY_REPLICATE: u64 = 1 << 16;
pub const CMD_SENTINEL: u64 = 1 << 17;
pub const CMD_ONLY_SENTINEL: u64 = 1 << 18;
pub const CMD_NO_MANDATORY_KEYS: u64 = 1 << 19;
pub const CMD_PROTECTED: u64 = 1 << 20;
pub const CMD_MODULE_GETKEYS: u64 = 1 << 21;
pub const CMD_MODULE_NO_CLUSTER: u64 = 1 << 22;
pub const CMD_NO_ASYNC_LOADING: u64 = 1 << 23;
pub const CMD_NO_MULTI: u64 = 1 << 24;
/// Set by the generator where Redis' `populateCommandLegacyRangeSpec` sets it:
/// the legacy range does not cover every key.
pub const CMD_MOVABLE_KEYS: u64 = 1 << 25;
pub const CMD_ALLOW_BUSY: u64 = 1 << 26;
pub const CMD_MODULE_GETCHANNELS: u64 = 1 << 27;
pub const CMD_TOUCHES_ARBITRARY_KEYS: u64 = 1 << 28;

/// Flags `COMMAND INFO` shows, in its order. `may_replicate`, `sentinel`,
/// `only_sentinel`, `protected`, `module_getkeys`, `module_no_cluster`,
/// `module_getchannels` and `touches_arbitrary_keys` are hidden on purpose.
const CMD_FLAG_NAMES: &[(u64, &str)] = &[
    (CMD_WRITE, "write"),
    (CMD_READONLY, "readonly"),
    (CMD_DENYOOM, "denyoom"),
    (CMD_MODULE, "module"),
    (CMD_ADMIN, "admin"),
    (CMD_PUBSUB, "pubsub"),
    (CMD_NOSCRIPT, "noscript"),
    (CMD_BLOCKING, "blocking"),
    (CMD_LOADING, "loading"),
    (CMD_STALE, "stale"),
    (CMD_SKIP_MONITOR, "skip_monitor"),
    (CMD_SKIP_SLOWLOG, "skip_slowlog"),
    (CMD_ASKING, "asking"),
    (CMD_FAST, "fast"),
    (CMD_NO_AUTH, "no_auth"),
    (CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (CMD_NO_ASYNC_LOADING, "no_async_loading"),
    (CMD_NO_MULTI, "no_multi"),
    (CMD_MOVABLE_KEYS, "movablekeys"),
    (CMD_ALLOW_BUSY, "allow_busy"),
];

/// The flag names `COMMAND INFO` prints for `flags`, in Redis' order
/// (hidden flags such as `may_replicate` or `sentinel` are left out).
pub fn flag_names(flags: u64) -> Vec<&'static str> {
    names_of(flags, CMD_FLAG_NAMES)
}

// ---------------------------------------------------------------------------
// ACL categories (`ACL_CATEGORY_*`).
// ---------------------------------------------------------------------------

pub const ACL_KEYSPACE: u64 = 1 << 0;
pub const ACL_READ: u64 = 1 << 1;
pub const ACL_WRITE: u64 = 1 << 2;
pub const ACL_SET: u64 = 1 << 3;
pub const ACL_SORTEDSET: u64 = 1 << 4;
pub const ACL_LIST: u64 = 1 << 5;
pub const ACL_HASH: u64 = 1 << 6;
pub const ACL_STRING: u64 = 1 << 7;
pub const ACL_BITMAP: u64 = 1 << 8;
pub const ACL_HYPERLOGLOG: u64 = 1 << 9;
pub const ACL_GEO: u64 = 1 << 10;
pub const ACL_STREAM: u64 = 1 << 11;
pub const ACL_PUBSUB: u64 = 1 << 12;
pub const ACL_ADMIN: u64 = 1 << 13;
pub const ACL_FAST: u64 = 1 << 14;
pub const ACL_SLOW: u64 = 1 << 15;
pub const ACL_BLOCKING: u64 = 1 << 16;
pub const ACL_DANGEROUS: u64 = 1 << 17;
pub const ACL_CONNECTION: u64 = 1 << 18;
pub const ACL_TRANSACTION: u64 = 1 << 19;
pub const ACL_SCRIPTING: u64 = 1 << 20;

/// Every ACL category with its name (no `@`), in `acl.c`'s order, which is
/// also the order `COMMAND INFO` and `ACL CAT` use.
pub const ACL_CATEGORIES: &[(u64, &str)] = &[
    (ACL_KEYSPACE, "keyspace"),
    (ACL_READ, "read"),
    (ACL_WRITE, "write"),
    (ACL_SET, "set"),
    (ACL_SORTEDSET, "sortedset"),
    (ACL_LIST, "list"),
    (ACL_HASH, "hash"),
    (ACL_STRING, "string"),
    (ACL_BITMAP, "bitmap"),
    (ACL_HYPERLOGLOG, "hyperloglog"),
    (ACL_GEO, "geo"),
    (ACL_STREAM, "stream"),
    (ACL_PUBSUB, "pubsub"),
    (ACL_ADMIN, "admin"),
    (ACL_FAST, "fast"),
    (ACL_SLOW, "slow"),
    (ACL_BLOCKING, "blocking"),
    (ACL_DANGEROUS, "dangerous"),
    (ACL_CONNECTION, "connection"),
    (ACL_TRANSACTION, "transaction"),
    (ACL_SCRIPTING, "scripting"),
];

/// Category names (without the leading `@`) set in `cats`, in Redis' order.
pub fn acl_category_names(cats: u64) -> Vec<&'static str> {
    names_of(cats, ACL_CATEGORIES)
}

/// The category bit for a name such as `"string"` (case-insensitive, no `@`).
pub fn acl_category_by_name(name: &[u8]) -> Option<u64> {
    ACL_CATEGORIES
        .iter()
        .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|&(bit, _)| bit)
}

// ---------------------------------------------------------------------------
// Key-spec flags (`CMD_KEY_*`).
// ---------------------------------------------------------------------------

pub const KSPEC_RO: u64 = 1 << 0;
pub const KSPEC_RW: u64 = 1 << 1;
pub const KSPEC_OW: u64 = 1 << 2;
pub const KSPEC_RM: u64 = 1 << 3;
pub const KSPEC_ACCESS: u64 = 1 << 4;
pub const KSPEC_UPDATE: u64 = 1 << 5;
pub const KSPEC_INSERT: u64 = 1 << 6;
pub const KSPEC_DELETE: u64 = 1 << 7;
pub const KSPEC_NOT_KEY: u64 = 1 << 8;
pub const KSPEC_INCOMPLETE: u64 = 1 << 9;
pub const KSPEC_VARIABLE_FLAGS: u64 = 1 << 10;

const KSPEC_FLAG_NAMES: &[(u64, &str)] = &[
    (KSPEC_RO, "RO"),
    (KSPEC_RW, "RW"),
    (KSPEC_OW, "OW"),
    (KSPEC_RM, "RM"),
    (KSPEC_ACCESS, "access"),
    (KSPEC_UPDATE, "update"),
    (KSPEC_INSERT, "insert"),
    (KSPEC_DELETE, "delete"),
    (KSPEC_NOT_KEY, "not_key"),
    (KSPEC_INCOMPLETE, "incomplete"),
    (KSPEC_VARIABLE_FLAGS, "variable_flags"),
];

/// Key-spec flag names as `COMMAND INFO` and `COMMAND GETKEYSANDFLAGS` print
/// them (`RO`, `RW`, `OW`, `RM` upper case, the rest lower case).
pub fn key_spec_flag_names(flags: u64) -> Vec<&'static str> {
    names_of(flags, KSPEC_FLAG_NAMES)
}

// ---------------------------------------------------------------------------
// Doc and argument flags.
// ---------------------------------------------------------------------------

pub const DOC_DEPRECATED: u32 = 1 << 0;
pub const DOC_SYSCMD: u32 = 1 << 1;

/// `doc_flags` names as `COMMAND DOCS` prints them.
pub fn doc_flag_names(flags: u32) -> Vec<&'static str> {
    names_of(
        u64::from(flags),
        &[
            (DOC_DEPRECATED as u64, "deprecated"),
            (DOC_SYSCMD as u64, "syscmd"),
        ],
    )
}

pub const ARG_OPTIONAL: u32 = 1 << 0;
pub const ARG_MULTIPLE: u32 = 1 << 1;
pub const ARG_MULTIPLE_TOKEN: u32 = 1 << 2;

/// Argument flag names as `COMMAND DOCS` prints them.
pub fn arg_flag_names(flags: u32) -> Vec<&'static str> {
    names_of(
        u64::from(flags),
        &[
            (ARG_OPTIONAL as u64, "optional"),
            (ARG_MULTIPLE as u64, "multiple"),
            (ARG_MULTIPLE_TOKEN as u64, "multiple_token"),
        ],
    )
}

fn names_of(bits: u64, table: &[(u64, &'static str)]) -> Vec<&'static str> {
    table
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|&(_, name)| name)
        .collect()
}

// ---------------------------------------------------------------------------
// Table types.
// ---------------------------------------------------------------------------

/// One command or subcommand, as Redis 7.0 knows it once its command table
/// is populated: implicit ACL categories and `CMD_MOVABLE_KEYS` are already
/// applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommandSpec {
    /// Lower-case declared name: `"get"`, or `"get"` for `CONFIG GET`.
    pub name: &'static str,
    /// Lower-case container name for a subcommand (`Some("config")`).
    pub container: Option<&'static str>,
    /// Redis arity: `n` means exactly `n` arguments (the name included),
    /// `-n` at least `n`.
    pub arity: i32,
    /// `CMD_*` bits.
    pub flags: u64,
    /// `ACL_*` bits.
    pub acl_categories: u64,
    pub key_specs: &'static [KeySpec],
    /// Sorted by name; empty for plain commands.
    pub subcommands: &'static [CommandSpec],
    pub doc: CommandDoc,
    /// Lower-case command tips (`"request_policy:all_shards"`, ...).
    pub tips: &'static [&'static str],
    /// The hand-written key finder Redis falls back on (the JSON's
    /// `get_keys_function`); see `keys.rs`.
    pub getkeys: Option<GetKeysProc>,
}

/// Redis' native `getkeys_proc` functions, named after the C function
/// without its `GetKeys` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetKeysProc {
    Bitfield,
    Blmpop,
    Eval,
    Function,
    Georadius,
    Lmpop,
    Migrate,
    Set,
    Sintercard,
    Sort,
    SortRo,
    Xread,
    Zmpop,
    ZunionInterDiff,
    ZunionInterDiffStore,
}

/// A key specification (`COMMAND INFO`'s 9th field).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeySpec {
    pub notes: Option<&'static str>,
    /// `KSPEC_*` bits.
    pub flags: u64,
    pub begin_search: BeginSearch,
    pub find_keys: FindKeys,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// The first key is at this argv index.
    Index(i32),
    /// The first key follows `keyword`, searched from argv index
    /// `start_from` (backwards from the end when negative).
    Keyword {
        keyword: &'static str,
        start_from: i32,
    },
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// Keys run to `last_key` (relative to the first key; negative counts
    /// from the end of argv), every `key_step`. A non-zero `limit` with
    /// `last_key == -1` means "1/limit of the remaining arguments".
    Range {
        last_key: i32,
        key_step: i32,
        limit: i32,
    },
    /// The key count is at `keynum_idx` (relative to the begin-search
    /// result), the first key at `first_key` (same origin).
    Keynum {
        keynum_idx: i32,
        first_key: i32,
        key_step: i32,
    },
    Unknown,
}

/// What `COMMAND DOCS` reports for a command.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommandDoc {
    pub summary: &'static str,
    pub since: &'static str,
    /// As `COMMAND DOCS` prints it: `"generic"`, `"sorted-set"`, ...
    pub group: &'static str,
    pub complexity: Option<&'static str>,
    /// `DOC_*` bits.
    pub doc_flags: u32,
    pub deprecated_since: Option<&'static str>,
    pub replaced_by: Option<&'static str>,
    /// `(version, change)` pairs; empty means Redis shows no `history` field.
    pub history: &'static [(&'static str, &'static str)],
    /// Empty means Redis shows no `arguments` field.
    pub args: &'static [ArgDoc],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    String,
    Integer,
    Double,
    Key,
    Pattern,
    UnixTime,
    PureToken,
    OneOf,
    Block,
}

impl ArgType {
    /// The name `COMMAND DOCS` prints (`"unix-time"`, `"pure-token"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Key => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::OneOf => "oneof",
            ArgType::Block => "block",
        }
    }
}

/// One documented argument (`COMMAND DOCS` `arguments` entry).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArgDoc {
    /// Lower-case.
    pub name: &'static str,
    pub kind: ArgType,
    /// Index into the command's `key_specs`, `-1` when not a key.
    pub key_spec_index: i32,
    /// Upper-case token.
    pub token: Option<&'static str>,
    pub summary: Option<&'static str>,
    pub since: Option<&'static str>,
    /// `ARG_*` bits.
    pub flags: u32,
    pub deprecated_since: Option<&'static str>,
    /// `display_text` (absent from every 7.0 JSON file, kept for later data).
    pub display: Option<&'static str>,
    /// Members of a `OneOf` / `Block`.
    pub subargs: &'static [ArgDoc],
}

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

/// Compares a lower-case table name with a user-supplied name,
/// ASCII-case-insensitively (what Redis' `strcasecmp` dict does).
fn cmp_name(name: &str, query: &[u8]) -> Ordering {
    name.bytes()
        .cmp(query.iter().map(|b| b.to_ascii_lowercase()))
}

fn find_sorted<'a>(table: &'a [CommandSpec], name: &[u8]) -> Option<&'a CommandSpec> {
    table
        .binary_search_by(|c| cmp_name(c.name, name))
        .ok()
        .map(|i| &table[i])
}

/// Finds a command of `table` (sorted by name, as `COMMAND_TABLE` is) by its
/// name, ignoring ASCII case.
pub fn lookup<'a>(table: &'a [CommandSpec], name: &[u8]) -> Option<&'a CommandSpec> {
    find_sorted(table, name)
}

/// Resolves the command an argv runs, as Redis' `lookupCommand` does: the
/// container's subcommand named by `argv[1]` when the command has
/// subcommands and `argv.len() > 1` (an unknown subcommand gives `None`),
/// else the command itself.
pub fn lookup_argv<'a>(table: &'a [CommandSpec], argv: &[&[u8]]) -> Option<&'a CommandSpec> {
    let base = lookup(table, argv.first()?)?;
    match argv.get(1) {
        Some(sub) if !base.subcommands.is_empty() => base.lookup_subcommand(sub),
        _ => Some(base),
    }
}

/// Resolves a full name such as `"get"` or `"config|get"` (ASCII
/// case-insensitive) as `COMMAND INFO`, `COMMAND DOCS` and ACL rules do:
/// `"get|x"` (no such level) and `"a|b|c"` give `None`, and so does a bare
/// container name followed by `|` with nothing after it.
pub fn lookup_fullname<'a>(table: &'a [CommandSpec], fullname: &[u8]) -> Option<&'a CommandSpec> {
    let mut parts = fullname.split(|&b| b == b'|');
    let first = parts.next()?;
    let second = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let base = lookup(table, first)?;
    match second {
        None => Some(base),
        Some(sub) => base.lookup_subcommand(sub),
    }
}

/// Calls `f` on every command of `table` and on each of their subcommands
/// (container first, then its subcommands).
pub fn for_each_command(table: &'static [CommandSpec], f: &mut dyn FnMut(&'static CommandSpec)) {
    for cmd in table {
        f(cmd);
        for sub in cmd.subcommands {
            f(sub);
        }
    }
}

impl CommandSpec {
    /// `"get"`, or `"config|get"` for a subcommand.
    pub fn full_name(&self) -> String {
        match self.container {
            Some(parent) => format!("{}|{}", parent, self.name),
            None => self.name.to_string(),
        }
    }

    /// The subcommand `name` of this container (ASCII case-insensitive).
    pub fn lookup_subcommand(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        find_sorted(self.subcommands, name)
    }

    pub fn is_movablekeys(&self) -> bool {
        self.flags & CMD_MOVABLE_KEYS != 0
    }

    /// Whether `argc` arguments (the command name, and for a subcommand the
    /// container name, included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = i64::try_from(argc).unwrap_or(i64::MAX);
        let arity = i64::from(self.arity);
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// The legacy `(first, last, step)` key positions `COMMAND INFO` reports,
    /// derived from the key specs as Redis' `populateCommandLegacyRangeSpec`
    /// does: `last` is absolute, or negative (counted from the end of argv);
    /// `(0, 0, 0)` when no key spec qualifies.
    pub fn legacy_range(&self) -> (i32, i32, i32) {
        let abs_last = |pos: i32, last_key: i32| {
            if last_key >= 0 {
                pos + last_key
            } else {
                last_key
            }
        };
        if let [KeySpec {
            begin_search: BeginSearch::Index(pos),
            find_keys: FindKeys::Range {
                last_key, key_step, ..
            },
            ..
        }] = self.key_specs
        {
            return (*pos, abs_last(*pos, *last_key), *key_step);
        }
        let mut first = i32::MAX;
        // Redis compares `last` as unsigned, so any negative value (counted
        // from the end) beats any non-negative one.
        let mut last: i32 = 0;
        let mut prev_last: i32 = 0;
        for spec in self.key_specs {
            let (pos, last_key, key_step) = match (spec.begin_search, spec.find_keys) {
                (
                    BeginSearch::Index(pos),
                    FindKeys::Range {
                        last_key, key_step, ..
                    },
                ) => (pos, last_key, key_step),
                _ => continue,
            };
            if key_step != 1 || (prev_last != 0 && prev_last != pos - 1) {
                continue;
            }
            first = first.min(pos);
            let this_last = abs_last(pos, last_key);
            last = (last as u32).max(this_last as u32) as i32;
            prev_last = last;
        }
        if first == i32::MAX {
            (0, 0, 0)
        } else {
            (first, last, 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::COMMAND_TABLE;
    use super::*;

    fn cmd(name: &str) -> &'static CommandSpec {
        lookup(COMMAND_TABLE, name.as_bytes()).unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn table_has_all_7_0_15_commands_unique_lowercase_sorted() {
        // `redis-cli COMMAND COUNT` on redis-server 7.0.15.
        assert_eq!(COMMAND_TABLE.len(), 240);
        for w in COMMAND_TABLE.windows(2) {
            assert!(w[0].name < w[1].name, "{} !< {}", w[0].name, w[1].name);
        }
        let mut subs = 0;
        for c in COMMAND_TABLE {
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            assert!(c.container.is_none());
            for w in c.subcommands.windows(2) {
                assert!(w[0].name < w[1].name);
            }
            for s in c.subcommands {
                assert_eq!(s.name, s.name.to_ascii_lowercase());
                assert_eq!(s.container, Some(c.name));
                assert!(s.subcommands.is_empty());
                subs += 1;
            }
        }
        assert_eq!(subs, 126);
    }

    #[test]
    fn lookups() {
        assert_eq!(cmd("GeT").name, "get");
        assert!(lookup(COMMAND_TABLE, b"nosuch").is_none());
        assert!(lookup(COMMAND_TABLE, b"").is_none());
        let cfg = cmd("config");
        let get = cfg.lookup_subcommand(b"GET").unwrap();
        assert_eq!(get.full_name(), "config|get");
        assert_eq!(cmd("get").full_name(), "get");
        assert!(cfg.lookup_subcommand(b"nosuch").is_none());
        assert_eq!(lookup_fullname(COMMAND_TABLE, b"Config|Get"), Some(get));
        assert_eq!(lookup_fullname(COMMAND_TABLE, b"config"), Some(cfg));
        assert!(lookup_fullname(COMMAND_TABLE, b"get|x").is_none());
        assert!(lookup_fullname(COMMAND_TABLE, b"config|get|x").is_none());
        let argv: [&[u8]; 3] = [b"config", b"get", b"x"];
        assert_eq!(lookup_argv(COMMAND_TABLE, &argv), Some(get));
        let argv: [&[u8]; 1] = [b"config"];
        assert_eq!(lookup_argv(COMMAND_TABLE, &argv), Some(cfg));
        let argv: [&[u8]; 2] = [b"config", b"nosuch"];
        assert_eq!(lookup_argv(COMMAND_TABLE, &argv), None);
        let argv: [&[u8]; 2] = [b"get", b"k"];
        assert_eq!(lookup_argv(COMMAND_TABLE, &argv), Some(cmd("get")));
        let mut n = 0;
        for_each_command(COMMAND_TABLE, &mut |_| n += 1);
        assert_eq!(n, 240 + 126);
    }

    #[test]
    fn legacy_ranges_match_redis_7_0_15() {
        // Values from `COMMAND INFO` of redis-server 7.0.15.
        for (name, range) in [
            ("get", (1, 1, 1)),
            ("mset", (1, -1, 2)),
            ("mget", (1, -1, 1)),
            ("del", (1, -1, 1)),
            ("eval", (0, 0, 0)),
            ("xread", (0, 0, 0)),
            ("zunionstore", (1, 1, 1)),
            ("smove", (1, 2, 1)),
            ("sort", (1, 1, 1)),
            ("migrate", (3, 3, 1)),
            ("georadius", (1, 1, 1)),
            ("blpop", (1, -2, 1)),
            ("lmove", (1, 2, 1)),
            ("spublish", (1, 1, 1)),
            ("ping", (0, 0, 0)),
            ("config", (0, 0, 0)),
        ] {
            assert_eq!(cmd(name).legacy_range(), range, "{name}");
        }
        let usage = cmd("memory").lookup_subcommand(b"usage").unwrap();
        assert_eq!(usage.legacy_range(), (2, 2, 1));
    }

    #[test]
    fn movablekeys_agrees_with_legacy_range_rules() {
        // The generator sets CMD_MOVABLE_KEYS; recheck it independently.
        for_each_command(COMMAND_TABLE, &mut |c| {
            let movable = match c.key_specs {
                [] => false,
                [KeySpec {
                    begin_search: BeginSearch::Index(_),
                    find_keys: FindKeys::Range { .. },
                    flags,
                    ..
                }] => flags & KSPEC_INCOMPLETE != 0,
                specs => {
                    let (first, _, _) = c.legacy_range();
                    first == 0
                        || specs.iter().any(|s| {
                            s.flags & KSPEC_INCOMPLETE != 0
                                || !matches!(
                                    (s.begin_search, s.find_keys),
                                    (BeginSearch::Index(_), FindKeys::Range { key_step: 1, .. })
                                )
                        })
                        || specs.len() > 1 && !consecutive(specs)
                }
            };
            assert_eq!(c.is_movablekeys(), movable, "{}", c.full_name());
        });
    }

    fn consecutive(specs: &[KeySpec]) -> bool {
        let mut prev_last = 0i32;
        for s in specs {
            if let (BeginSearch::Index(pos), FindKeys::Range { last_key, .. }) =
                (s.begin_search, s.find_keys)
            {
                if prev_last != 0 && prev_last != pos - 1 {
                    return false;
                }
                let abs = if last_key >= 0 {
                    pos + last_key
                } else {
                    last_key
                };
                prev_last = (prev_last as u32).max(abs as u32) as i32;
            }
        }
        true
    }

    #[test]
    fn info_fields_match_redis_7_0_15() {
        let get = cmd("get");
        assert_eq!(flag_names(get.flags), ["readonly", "fast"]);
        assert_eq!(
            acl_category_names(get.acl_categories),
            ["read", "string", "fast"]
        );
        let set = cmd("set");
        assert_eq!(flag_names(set.flags), ["write", "denyoom"]);
        assert_eq!(
            acl_category_names(set.acl_categories),
            ["write", "string", "slow"]
        );
        assert_eq!(set.getkeys, Some(GetKeysProc::Set));
        assert_eq!(
            key_spec_flag_names(set.key_specs[0].flags),
            ["RW", "access", "update", "variable_flags"]
        );
        let eval = cmd("eval");
        assert_eq!(
            flag_names(eval.flags),
            [
                "noscript",
                "stale",
                "skip_monitor",
                "no_mandatory_keys",
                "movablekeys"
            ]
        );
        assert_eq!(
            acl_category_names(eval.acl_categories),
            ["slow", "scripting"]
        );
        let cfg = cmd("config");
        assert_eq!(cfg.arity, -2);
        assert!(flag_names(cfg.flags).is_empty());
        assert_eq!(acl_category_names(cfg.acl_categories), ["slow"]);
        let cfg_set = cfg.lookup_subcommand(b"set").unwrap();
        assert_eq!(
            acl_category_names(cfg_set.acl_categories),
            ["admin", "slow", "dangerous"]
        );
        assert_eq!(
            cmd("keys").tips,
            ["request_policy:all_shards", "nondeterministic_output_order"]
        );
        let blpop = cmd("blpop");
        assert_eq!(flag_names(blpop.flags), ["write", "noscript", "blocking"]);
        assert_eq!(
            acl_category_names(blpop.acl_categories),
            ["write", "list", "slow", "blocking"]
        );
        assert_eq!(acl_category_by_name(b"SortedSet"), Some(ACL_SORTEDSET));
        // Sentinel-only commands are not part of a plain server.
        assert!(lookup(COMMAND_TABLE, b"sentinel").is_none());
    }

    #[test]
    fn docs_match_redis_7_0_15() {
        let doc = cmd("set").doc;
        assert_eq!(doc.summary, "Set the string value of a key");
        assert_eq!(doc.group, "string");
        assert_eq!(doc.history.len(), 4);
        assert_eq!(
            doc.history[0],
            ("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options.")
        );
        let names: Vec<_> = doc.args.iter().map(|a| a.name).collect();
        assert_eq!(names, ["key", "value", "condition", "get", "expiration"]);
        let cond = doc.args[2];
        assert_eq!(cond.kind, ArgType::OneOf);
        assert_eq!(cond.since, Some("2.6.12"));
        assert_eq!(arg_flag_names(cond.flags), ["optional"]);
        assert_eq!(cond.subargs[0].token, Some("NX"));
        assert_eq!(cond.subargs[0].kind.as_str(), "pure-token");
        assert_eq!(doc.args[0].key_spec_index, 0);
        assert_eq!(doc.args[1].key_spec_index, -1);
        let zadd = cmd("zadd").doc;
        assert_eq!(zadd.group, "sorted-set");
        let ss = cmd("slaveof").doc;
        assert_eq!(doc_flag_names(ss.doc_flags), ["deprecated"]);
        assert_eq!(ss.deprecated_since, Some("5.0.0"));
        assert_eq!(ss.replaced_by, Some("`REPLICAOF`"));
        let migrate = cmd("migrate").doc;
        let key_or_empty = migrate.args[2];
        // Redis pastes the JSON token `""` into C quotes: an empty, present token.
        assert_eq!(key_or_empty.subargs[1].token, Some(""));
        assert!(cmd("ping").doc.complexity.is_some());
        assert!(cmd("config").doc.args.is_empty());
    }
}
