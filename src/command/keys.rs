//! Finding the key arguments of a command line, as Redis 7.0 does.
//!
//! * [`get_keys`] is `COMMAND GETKEYS` / `COMMAND GETKEYSANDFLAGS`: the
//!   checks and errors of `getKeysSubcommandImpl`, then [`keys_with_specs`].
//! * [`keys_with_specs`] (`getKeysFromCommandWithSpecs`, what ACL key checks
//!   use) prefers the key specs and falls back on the command's native key
//!   finder ([`GetKeysProc`]) when a spec cannot be resolved (unknown or
//!   incomplete specs, bad `numkeys`) or when flags vary with the arguments.
//! * [`keys_from_specs`] (`getKeysUsingKeySpecs`) walks the key specs only.
//! * [`keys_legacy`] (`getKeysFromCommand`, what cluster routing and client
//!   tracking use) runs the native key finder, else the legacy
//!   `(first, last, step)` range, and reports no flags for range keys.
//!
//! `argv` is the whole command line, `argv[0]` being the command name (for
//! a subcommand, `argv[1]` is its name); `spec` is the entry it resolves to
//! (see `spec::lookup_argv`). Results are `(argv index, KSPEC_* flags)` in
//! Redis' order, duplicates kept. Nothing here panics on short or odd argv:
//! where Redis relies on its arity check, out-of-range positions yield no
//! keys.

use std::fmt;

use super::spec::{
    BeginSearch, CommandSpec, FindKeys, GetKeysProc, CMD_NO_MANDATORY_KEYS, KSPEC_ACCESS,
    KSPEC_DELETE, KSPEC_INCOMPLETE, KSPEC_NOT_KEY, KSPEC_OW, KSPEC_RO, KSPEC_RW, KSPEC_UPDATE,
    KSPEC_VARIABLE_FLAGS,
};

/// A key position: `(argv index, KSPEC_* flags)`.
pub type KeyRef = (usize, u64);

/// Why `COMMAND GETKEYS` refuses a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysError {
    /// No key spec (other than `not_key` ones) and no key finder.
    NoKeyArguments,
    /// The argument count does not satisfy the arity.
    InvalidNumberOfArguments,
    /// No key found in a command whose keys are mandatory.
    InvalidArguments,
}

impl KeysError {
    /// The error line Redis 7.0 replies with (send it as `-<message>`).
    pub fn message(self) -> &'static str {
        match self {
            KeysError::NoKeyArguments => "ERR The command has no key arguments",
            KeysError::InvalidNumberOfArguments => {
                "ERR Invalid number of arguments specified for command"
            }
            KeysError::InvalidArguments => "ERR Invalid arguments specified for command",
        }
    }
}

impl fmt::Display for KeysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for KeysError {}

/// Options of [`keys_from_specs`] (Redis' `GET_KEYSPEC_*` search flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeySearch {
    /// Also report `not_key` specs (the shard channels of `SPUBLISH`, ...).
    pub include_not_keys: bool,
    /// Skip specs that cannot be resolved (and keep what incomplete specs
    /// found) instead of failing the whole search.
    pub return_partial: bool,
}

/// `COMMAND GETKEYS` / `GETKEYSANDFLAGS` on the command line `argv` whose
/// entry is `spec`. An empty `Ok` is only possible for commands flagged
/// `no_mandatory_keys` (`EVAL script 0`, ...).
pub fn get_keys(spec: &CommandSpec, argv: &[&[u8]]) -> Result<Vec<KeyRef>, KeysError> {
    if !has_keys(spec) {
        return Err(KeysError::NoKeyArguments);
    }
    if !spec.arity_ok(argv.len()) {
        return Err(KeysError::InvalidNumberOfArguments);
    }
    let keys = keys_with_specs(spec, argv);
    if keys.is_empty() && spec.flags & CMD_NO_MANDATORY_KEYS == 0 {
        return Err(KeysError::InvalidArguments);
    }
    Ok(keys)
}

/// Whether the command may have keys at all (`doesCommandHaveKeys`): a
/// native key finder, or a key spec not flagged `not_key`.
pub fn has_keys(spec: &CommandSpec) -> bool {
    spec.getkeys.is_some() || spec.key_specs.iter().any(|k| k.flags & KSPEC_NOT_KEY == 0)
}

/// The keys of `argv` with their flags (`getKeysFromCommandWithSpecs` with
/// default search flags): key specs when they are usable, else the native
/// key finder, else nothing.
pub fn keys_with_specs(spec: &CommandSpec, argv: &[&[u8]]) -> Vec<KeyRef> {
    let has_keyspec = spec.key_specs.iter().any(|k| k.flags & KSPEC_NOT_KEY == 0);
    let has_varflags = spec
        .key_specs
        .iter()
        .any(|k| k.flags & KSPEC_VARIABLE_FLAGS != 0);
    if has_keyspec && !has_varflags {
        if let Some(keys) = keys_from_specs(spec, argv, KeySearch::default()) {
            return keys;
        }
    }
    match spec.getkeys {
        Some(proc_) => run_getkeys_proc(proc_, argv),
        None => Vec::new(),
    }
}

/// The keys the key specs alone designate (`getKeysUsingKeySpecs`). `None`
/// when a spec is unknown, incomplete or does not fit `argv` (a missing
/// begin-search keyword is not an error: that spec just finds nothing),
/// unless `search.return_partial`.
pub fn keys_from_specs(
    spec: &CommandSpec,
    argv: &[&[u8]],
    search: KeySearch,
) -> Option<Vec<KeyRef>> {
    let argc = i64::try_from(argv.len()).unwrap_or(i64::MAX);
    let mut keys = Vec::new();
    for ks in spec.key_specs {
        if ks.flags & KSPEC_NOT_KEY != 0 && !search.include_not_keys {
            continue;
        }
        let resolved = resolve_spec(ks.begin_search, ks.find_keys, argv, argc);
        let (first, last, step) = match resolved {
            Resolved::NoKeyword => continue,
            Resolved::Invalid => {
                if search.return_partial {
                    continue;
                }
                return None;
            }
            Resolved::Keys { first, last, step } => (first, last, step),
        };
        let mut i = first;
        while i <= last {
            // `resolve_spec` guarantees 0 < first <= i <= last < argc.
            keys.push((i as usize, ks.flags));
            i += step;
        }
        if ks.flags & KSPEC_INCOMPLETE != 0 && !search.return_partial {
            return None;
        }
    }
    Some(keys)
}

enum Resolved {
    /// A keyword begin-search whose keyword is absent.
    NoKeyword,
    /// Unknown spec or positions that do not fit argv.
    Invalid,
    Keys {
        first: i64,
        last: i64,
        step: i64,
    },
}

fn resolve_spec(bs: BeginSearch, fk: FindKeys, argv: &[&[u8]], argc: i64) -> Resolved {
    let mut first = match bs {
        BeginSearch::Index(pos) => i64::from(pos),
        BeginSearch::Keyword {
            keyword,
            start_from,
        } => match find_keyword(argv, argc, keyword, i64::from(start_from)) {
            Some(i) => i + 1,
            None => return Resolved::NoKeyword,
        },
        BeginSearch::Unknown => return Resolved::Invalid,
    };
    let (last, step) = match fk {
        FindKeys::Range {
            last_key,
            key_step,
            limit,
        } => {
            let (last_key, limit) = (i64::from(last_key), i64::from(limit));
            let last = if last_key >= 0 {
                first + last_key
            } else if limit == 0 {
                argc + last_key
            } else {
                // Only `last_key == -1` is meaningful with a limit: keys
                // take 1/limit of the remaining arguments.
                first + ((argc - first) / limit + last_key)
            };
            (last, i64::from(key_step))
        }
        FindKeys::Keynum {
            keynum_idx,
            first_key,
            key_step,
        } => {
            let idx = first + i64::from(keynum_idx);
            if i64::from(keynum_idx) >= argc || idx < 0 || idx >= argc {
                return Resolved::Invalid;
            }
            let numkeys = match string_to_i64(argv[idx as usize]) {
                Some(n) if n >= 0 => n,
                _ => return Resolved::Invalid,
            };
            first += i64::from(first_key);
            // Redis keeps the count in a C int.
            (first + i64::from(numkeys as i32) - 1, i64::from(key_step))
        }
        FindKeys::Unknown => return Resolved::Invalid,
    };
    if last >= argc || last < first || first >= argc || first < 1 {
        return Resolved::Invalid;
    }
    Resolved::Keys {
        first,
        last,
        step: step.max(1),
    }
}

/// The index of `keyword` searched from `start_from` towards the end (or,
/// when negative, from `argc + start_from` towards the start). Like Redis,
/// the search stops before the last argument (resp. before argv[1]).
fn find_keyword(argv: &[&[u8]], argc: i64, keyword: &str, start_from: i64) -> Option<i64> {
    let (start, end) = if start_from > 0 {
        (start_from, argc - 1)
    } else {
        (argc + start_from, 1)
    };
    let dir = if start <= end { 1 } else { -1 };
    let mut i = start;
    while i != end {
        if i >= argc || i < 1 {
            break;
        }
        if eq_ci(argv[i as usize], keyword) {
            return Some(i);
        }
        i += dir;
    }
    None
}

/// The keys of `argv` as cluster routing and client tracking find them
/// (`getKeysFromCommand`): the native key finder if any, else the legacy
/// `(first, last, step)` range, whose keys carry no flags.
pub fn keys_legacy(spec: &CommandSpec, argv: &[&[u8]]) -> Vec<KeyRef> {
    if let Some(proc_) = spec.getkeys {
        return run_getkeys_proc(proc_, argv);
    }
    let (first, last, step) = spec.legacy_range();
    if first == 0 {
        return Vec::new();
    }
    let argc = argv.len() as i64;
    let (first, step) = (i64::from(first), i64::from(step.max(1)));
    let last = if last < 0 {
        argc + i64::from(last)
    } else {
        i64::from(last)
    };
    let mut keys = Vec::new();
    let mut j = first;
    while j <= last {
        if j >= argc {
            // Too few arguments: Redis leaves the error to the command.
            return Vec::new();
        }
        keys.push((j as usize, 0));
        j += step;
    }
    keys
}

/// Runs one of Redis' native key finders. Like Redis, those that only
/// locate keys report flags 0; `SORT`, `SORT_RO`, `MIGRATE`, `SET` and
/// `BITFIELD` report real flags.
pub fn run_getkeys_proc(proc_: GetKeysProc, argv: &[&[u8]]) -> Vec<KeyRef> {
    use GetKeysProc as P;
    match proc_ {
        // COMMAND numkeys key... / COMMAND dest numkeys key...
        P::Sintercard | P::ZunionInterDiff | P::Lmpop | P::Zmpop => numkeys_keys(0, 1, 2, argv),
        P::ZunionInterDiffStore => numkeys_keys(1, 2, 3, argv),
        P::Eval | P::Function | P::Blmpop => numkeys_keys(0, 2, 3, argv),
        P::SortRo => first_key(argv, KSPEC_RO | KSPEC_ACCESS),
        P::Sort => sort_keys(argv),
        P::Migrate => migrate_keys(argv),
        P::Georadius => georadius_keys(argv),
        P::Xread => xread_keys(argv),
        P::Set => {
            let get = argv.iter().skip(3).any(|a| eq_ci(a, "get"));
            let flags = if get {
                KSPEC_RW | KSPEC_ACCESS | KSPEC_UPDATE
            } else {
                KSPEC_OW | KSPEC_UPDATE
            };
            first_key(argv, flags)
        }
        P::Bitfield => bitfield_keys(argv),
    }
}

fn first_key(argv: &[&[u8]], flags: u64) -> Vec<KeyRef> {
    if argv.len() < 2 {
        return Vec::new();
    }
    vec![(1, flags)]
}

/// `genericGetKeys`: `num` keys (C `atoi` of argv[count_at]) from
/// `first_at`, then the destination key at `store_at` (0: none). No keys
/// when the count is below 1 or exceeds the arguments left.
fn numkeys_keys(store_at: usize, count_at: usize, first_at: usize, argv: &[&[u8]]) -> Vec<KeyRef> {
    let Some(count) = argv.get(count_at) else {
        return Vec::new();
    };
    let num = c_atoi(count);
    let room = argv.len() as i64 - first_at as i64;
    if num < 1 || i64::from(num) > room {
        return Vec::new();
    }
    let mut keys: Vec<KeyRef> = (0..num as usize).map(|i| (first_at + i, 0)).collect();
    if store_at != 0 {
        keys.push((store_at, 0));
    }
    keys
}

/// `SORT key [BY p] [LIMIT o c] [GET p]... [STORE dest]`: the sort key and
/// the last STORE destination.
fn sort_keys(argv: &[&[u8]]) -> Vec<KeyRef> {
    if argv.len() < 2 {
        return Vec::new();
    }
    let mut keys = vec![(1, KSPEC_RO | KSPEC_ACCESS)];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let arg = argv[i];
        if eq_ci(arg, "limit") {
            i += 2;
        } else if eq_ci(arg, "store") && i + 1 < argv.len() {
            // The argument after STORE is not skipped, as in Redis.
            store = Some(i + 1);
        } else if eq_ci(arg, "get") || eq_ci(arg, "by") {
            i += 1;
        }
        i += 1;
    }
    if let Some(pos) = store {
        keys.push((pos, KSPEC_OW | KSPEC_UPDATE));
    }
    keys
}

/// `MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw]
/// [AUTH2 user pw] [KEYS key...]`.
fn migrate_keys(argv: &[&[u8]]) -> Vec<KeyRef> {
    const FLAGS: u64 = KSPEC_RW | KSPEC_ACCESS | KSPEC_DELETE;
    if argv.len() < 4 {
        return Vec::new();
    }
    let (mut first, mut num) = (3, 1);
    let mut i = 6;
    while i < argv.len() {
        let arg = argv[i];
        if eq_ci(arg, "keys") {
            if argv[3].is_empty() {
                first = i + 1;
                num = argv.len() - first;
            } else {
                // A key and KEYS together: a syntax error for MIGRATE itself.
                num = 0;
            }
            break;
        }
        if eq_ci(arg, "auth") {
            i += 1;
        } else if eq_ci(arg, "auth2") {
            i += 2;
        }
        i += 1;
    }
    (first..first + num).map(|p| (p, FLAGS)).collect()
}

/// `GEORADIUS[BYMEMBER] key ... [STORE k] [STOREDIST k]`: the key and the
/// last store destination.
fn georadius_keys(argv: &[&[u8]]) -> Vec<KeyRef> {
    if argv.len() < 2 {
        return Vec::new();
    }
    let mut stored = None;
    let mut i = 5;
    while i < argv.len() {
        let arg = argv[i];
        if (eq_ci(arg, "store") || eq_ci(arg, "storedist")) && i + 1 < argv.len() {
            stored = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    let mut keys = vec![(1, 0)];
    keys.extend(stored.map(|p| (p, 0)));
    keys
}

/// `XREAD[GROUP] [BLOCK ms] [COUNT n] [GROUP g c] [NOACK] STREAMS k... id...`.
fn xread_keys(argv: &[&[u8]]) -> Vec<KeyRef> {
    let mut streams = None;
    let mut i = 1;
    while i < argv.len() {
        let arg = argv[i];
        if eq_ci(arg, "block") || eq_ci(arg, "count") {
            i += 1;
        } else if eq_ci(arg, "group") {
            i += 2;
        } else if eq_ci(arg, "streams") {
            streams = Some(i);
            break;
        } else if !eq_ci(arg, "noack") {
            break;
        }
        i += 1;
    }
    let Some(streams) = streams else {
        return Vec::new();
    };
    let rest = argv.len() - streams - 1;
    if rest == 0 || !rest.is_multiple_of(2) {
        return Vec::new();
    }
    (streams + 1..=streams + rest / 2).map(|p| (p, 0)).collect()
}

/// `BITFIELD key [GET t o] [SET t o v] [INCRBY t o i] [OVERFLOW m]`: read-only
/// when only GET (and OVERFLOW) subcommands are well-formed.
fn bitfield_keys(argv: &[&[u8]]) -> Vec<KeyRef> {
    if argv.len() < 2 {
        return Vec::new();
    }
    let mut readonly = true;
    let mut i = 2;
    while i < argv.len() {
        let remaining = argv.len() - i - 1;
        let arg = argv[i];
        if eq_ci(arg, "get") && remaining >= 2 {
            i += 2;
        } else if (eq_ci(arg, "set") || eq_ci(arg, "incrby")) && remaining >= 3 {
            readonly = false;
            break;
        } else if eq_ci(arg, "overflow") && remaining >= 1 {
            i += 1;
        } else {
            // Syntax error: safer to assume a write.
            readonly = false;
            break;
        }
        i += 1;
    }
    let flags = if readonly {
        KSPEC_RO | KSPEC_ACCESS
    } else {
        KSPEC_RW | KSPEC_ACCESS | KSPEC_UPDATE
    };
    vec![(1, flags)]
}

// ---------------------------------------------------------------------------
// C string semantics Redis relies on.
// ---------------------------------------------------------------------------

/// The bytes C sees: up to the first NUL.
fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    }
}

/// `strcasecmp(arg, word) == 0`.
fn eq_ci(arg: &[u8], word: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(word.as_bytes())
}

/// Redis' strict `string2ll`: optional `-`, no leading zeros, no spaces or
/// `+`, at most 20 bytes, within `i64`.
fn string_to_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        if v > i64::MAX as u64 + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// glibc `atoi`: `(int) strtol(s, NULL, 10)`, i.e. leading white space, a
/// sign, digits up to the first other byte, saturating at the `long` range
/// and then truncated to 32 bits; 0 when there are no digits.
fn c_atoi(s: &[u8]) -> i32 {
    let s = c_str(s);
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        let d = i64::from(s[i] - b'0');
        v = if negative {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
        i += 1;
    }
    v as i32
}

#[cfg(test)]
mod tests {
    use super::super::spec::{
        lookup_argv, KSPEC_ACCESS, KSPEC_DELETE, KSPEC_INSERT, KSPEC_OW, KSPEC_RO, KSPEC_RW,
        KSPEC_UPDATE,
    };
    use super::super::table::COMMAND_TABLE;
    use super::*;

    fn split(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    fn getkeys(line: &str) -> Result<Vec<KeyRef>, KeysError> {
        let argv = split(line);
        let spec = lookup_argv(COMMAND_TABLE, &argv).expect("known command");
        get_keys(spec, &argv)
    }

    /// Positions only, as `COMMAND GETKEYS` shows them.
    fn pos(line: &str) -> Result<Vec<usize>, KeysError> {
        getkeys(line).map(|k| k.into_iter().map(|(p, _)| p).collect())
    }

    fn legacy(line: &str) -> Vec<usize> {
        let argv = split(line);
        let spec = lookup_argv(COMMAND_TABLE, &argv).unwrap();
        keys_legacy(spec, &argv)
            .into_iter()
            .map(|(p, _)| p)
            .collect()
    }

    #[test]
    fn brief_examples() {
        assert_eq!(pos("GET key"), Ok(vec![1]));
        assert_eq!(pos("MSET k v k v"), Ok(vec![1, 3]));
        assert_eq!(pos("ZUNIONSTORE dst 2 a b WEIGHTS 1 2"), Ok(vec![1, 3, 4]));
        assert_eq!(pos("EVAL script 2 a b c"), Ok(vec![3, 4]));
        // argv: SORT(0) k(1) STORE(2) d(3).
        assert_eq!(pos("SORT k STORE d"), Ok(vec![1, 3]));
        assert_eq!(pos("XREAD COUNT 2 STREAMS s1 s2 0 0"), Ok(vec![4, 5]));
    }

    // Every expectation below is what redis-server 7.0.15 answers to
    // `COMMAND GETKEYS` / `COMMAND GETKEYSANDFLAGS` for the same line.
    #[test]
    fn matches_redis_getkeys() {
        let ok = |line: &str, want: &[usize]| assert_eq!(pos(line), Ok(want.to_vec()), "{line}");
        let err = |line: &str, want: KeysError| assert_eq!(pos(line), Err(want), "{line}");
        ok("DEL a b c", &[1, 2, 3]);
        ok("BLPOP a b 0", &[1, 2]);
        ok("LMOVE a b LEFT RIGHT", &[1, 2]);
        ok("ZUNIONSTORE dst 2 a b", &[1, 3, 4]);
        ok("ZINTER 2 a b", &[2, 3]);
        ok("ZDIFFSTORE d 1 a", &[1, 3]);
        ok("SINTERCARD 2 a b LIMIT 1", &[2, 3]);
        ok("ZINTERCARD 1 a", &[2]);
        ok("LMPOP 2 a b LEFT", &[2, 3]);
        ok("BLMPOP 0 2 a b LEFT", &[3, 4]);
        ok("ZMPOP 1 a MIN", &[2]);
        ok("BZMPOP 0 1 a MIN", &[3]);
        ok("EVAL_RO s 1 a", &[3]);
        ok("EVALSHA sha 1 a", &[3]);
        ok("FCALL f 2 a b", &[3, 4]);
        ok("FCALL_RO f 1 a x", &[3]);
        ok("EVAL s 0", &[]);
        ok("FCALL f 0 x", &[]);
        // EVAL is no_mandatory_keys: a bad numkeys gives no keys, not an error.
        ok("EVAL s 3 a b", &[]);
        ok("EVAL s x", &[]);
        ok("EVAL s 01 a", &[3]);
        ok("ZUNION 2x a b", &[2, 3]);
        ok("LMPOP 3 a b LEFT", &[2, 3, 4]);
        ok("XREAD COUNT 1 BLOCK 1 STREAMS STREAMS 0", &[6]);
        ok("MIGRATE h p  0 10 KEYS", &[3]);
        ok("GEORADIUS k 1 2 3 m STOREDIST d STORE e", &[1, 9, 7]);
        ok("SORT k LIMIT store x STORE y", &[1, 6]);
        ok("BITFIELD k get u8", &[1]);
        err("SINTERCARD 3 a b", KeysError::InvalidArguments);
        err("ZUNIONSTORE d 0 a", KeysError::InvalidArguments);
        err("ZUNIONSTORE d 3 a b", KeysError::InvalidArguments);
        ok("SORT k", &[1]);
        ok("SORT k BY p LIMIT 0 1 GET g STORE d", &[1, 10]);
        ok("SORT k STORE a STORE b", &[1, 5]);
        ok("SORT k GET store x", &[1]);
        ok("SORT_RO k BY x", &[1]);
        ok("MIGRATE h p k 0 10", &[3]);
        ok("MIGRATE h p  0 10 COPY AUTH pw KEYS a b", &[10, 11]);
        ok("MIGRATE h p  0 10 AUTH2 u keys KEYS a", &[10]);
        err("MIGRATE h p k 0 10 KEYS a b", KeysError::InvalidArguments);
        ok("GEORADIUS k 1 2 3 m STORE d", &[1, 7]);
        ok("GEORADIUS k 1 2 3 m STOREDIST d", &[1, 7]);
        ok("GEORADIUS k 1 2 3 m STORE d STOREDIST e", &[1, 7, 9]);
        ok("GEORADIUSBYMEMBER k m 3 km STORE d", &[1, 6]);
        ok("GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 km", &[1, 2]);
        ok("XREAD STREAMS a b c 0 0 0", &[2, 3, 4]);
        ok("XREAD BLOCK 0 STREAMS s 0", &[4]);
        ok("XREADGROUP GROUP g c STREAMS s1 s2 > >", &[5, 6]);
        ok("XREADGROUP GROUP g c COUNT 1 NOACK STREAMS s >", &[8]);
        err("XREAD STREAMS", KeysError::InvalidNumberOfArguments);
        err("XREAD COUNT 1 s 0", KeysError::InvalidArguments);
        ok("XREAD STREAMS a b c", &[2]);
        ok("OBJECT ENCODING k", &[2]);
        ok("MEMORY USAGE k SAMPLES 5", &[2]);
        ok("XINFO STREAM s FULL", &[2]);
        ok("XGROUP CREATE s g $", &[2]);
        ok("SET k v GET", &[1]);
        ok("BITFIELD k GET u8 0", &[1]);
        ok("BITFIELD_RO k GET u8 0", &[1]);
        ok("RENAME a b", &[1, 2]);
        ok("MSETNX a 1 b 2", &[1, 3]);
        ok("PFMERGE d a b", &[1, 2, 3]);
        ok("BITOP AND d a b", &[2, 3, 4]);
        ok("SMOVE a b m", &[1, 2]);
        ok("WATCH a b", &[1, 2]);
        ok("TOUCH a", &[1]);
        err("PING", KeysError::NoKeyArguments);
        err("SPUBLISH ch msg", KeysError::NoKeyArguments);
        err("CONFIG GET x", KeysError::NoKeyArguments);
        err("GET", KeysError::InvalidNumberOfArguments);
        err("GET a b", KeysError::InvalidNumberOfArguments);
        err("MSET a", KeysError::InvalidNumberOfArguments);
    }

    #[test]
    fn flags_match_redis_getkeysandflags() {
        assert_eq!(getkeys("GET k"), Ok(vec![(1, KSPEC_RO | KSPEC_ACCESS)]));
        assert_eq!(getkeys("SET k v"), Ok(vec![(1, KSPEC_OW | KSPEC_UPDATE)]));
        assert_eq!(
            getkeys("SET k v NX get"),
            Ok(vec![(1, KSPEC_RW | KSPEC_ACCESS | KSPEC_UPDATE)])
        );
        assert_eq!(
            getkeys("BITFIELD k GET u8 0"),
            Ok(vec![(1, KSPEC_RO | KSPEC_ACCESS)])
        );
        assert_eq!(
            getkeys("BITFIELD k GET u8 0 SET u8 0 1"),
            Ok(vec![(1, KSPEC_RW | KSPEC_ACCESS | KSPEC_UPDATE)])
        );
        assert_eq!(
            getkeys("LMOVE a b LEFT RIGHT"),
            Ok(vec![
                (1, KSPEC_RW | KSPEC_ACCESS | KSPEC_DELETE),
                (2, KSPEC_RW | KSPEC_INSERT)
            ])
        );
        assert_eq!(
            getkeys("SORT k STORE d"),
            Ok(vec![
                (1, KSPEC_RO | KSPEC_ACCESS),
                (3, KSPEC_OW | KSPEC_UPDATE)
            ])
        );
        assert_eq!(
            getkeys("ZUNIONSTORE d 1 a"),
            Ok(vec![
                (1, KSPEC_OW | KSPEC_UPDATE),
                (3, KSPEC_RO | KSPEC_ACCESS)
            ])
        );
        // Fallback (bad numkeys in the spec path) gives the finder's 0 flags
        // and the destination last.
        let argv = split("ZUNIONSTORE d 1 a");
        let spec = lookup_argv(COMMAND_TABLE, &argv).unwrap();
        assert_eq!(
            run_getkeys_proc(spec.getkeys.unwrap(), &argv),
            vec![(3, 0), (1, 0)]
        );
        // A numkeys string2ll rejects but atoi accepts: the key finder runs.
        assert_eq!(getkeys("ZUNION 01 a"), Ok(vec![(2, 0)]));
        assert_eq!(
            getkeys("MIGRATE h p  0 10 KEYS a"),
            Ok(vec![(7, KSPEC_RW | KSPEC_ACCESS | KSPEC_DELETE)])
        );
        assert_eq!(
            getkeys("EVAL s 1 a"),
            Ok(vec![(3, KSPEC_RW | KSPEC_ACCESS | KSPEC_UPDATE)])
        );
    }

    #[test]
    fn legacy_keys_for_cluster_routing() {
        assert_eq!(legacy("GET k"), [1]);
        assert_eq!(legacy("MSET a 1 b 2"), [1, 3]);
        assert_eq!(legacy("BLPOP a b 0"), [1, 2]);
        assert_eq!(legacy("ZUNIONSTORE d 2 a b"), [3, 4, 1]);
        assert_eq!(legacy("EVAL s 1 a"), [3]);
        assert_eq!(legacy("XREAD STREAMS a 0"), [2]);
        assert_eq!(legacy("PING"), Vec::<usize>::new());
        assert_eq!(legacy("SPUBLISH ch m"), [1]);
    }

    #[test]
    fn partial_and_not_key_search() {
        let argv = split("SPUBLISH ch msg");
        let spec = lookup_argv(COMMAND_TABLE, &argv).unwrap();
        assert_eq!(
            keys_from_specs(spec, &argv, KeySearch::default()),
            Some(vec![])
        );
        let with = KeySearch {
            include_not_keys: true,
            ..KeySearch::default()
        };
        assert_eq!(
            keys_from_specs(spec, &argv, with),
            Some(vec![(1, KSPEC_NOT_KEY)])
        );
        let argv = split("SORT k STORE d");
        let spec = lookup_argv(COMMAND_TABLE, &argv).unwrap();
        assert_eq!(keys_from_specs(spec, &argv, KeySearch::default()), None);
        let partial = KeySearch {
            return_partial: true,
            ..KeySearch::default()
        };
        assert_eq!(
            keys_from_specs(spec, &argv, partial),
            Some(vec![(1, KSPEC_RO | KSPEC_ACCESS)])
        );
    }

    #[test]
    fn short_argv_never_panics() {
        for cmd in COMMAND_TABLE {
            let subs: Vec<&CommandSpec> = if cmd.subcommands.is_empty() {
                vec![cmd]
            } else {
                cmd.subcommands.iter().collect()
            };
            for spec in subs {
                let mut argv: Vec<&[u8]> = Vec::new();
                for n in 0..8 {
                    let _ = get_keys(spec, &argv);
                    let _ = keys_legacy(spec, &argv);
                    if let Some(p) = spec.getkeys {
                        let _ = run_getkeys_proc(p, &argv);
                    }
                    argv.push(if n % 2 == 0 { b"1" } else { b"keys" });
                }
            }
        }
    }

    #[test]
    fn c_number_parsing() {
        assert_eq!(string_to_i64(b"0"), Some(0));
        assert_eq!(string_to_i64(b"-12"), Some(-12));
        assert_eq!(string_to_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string_to_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"01",
            b"-0",
            b"+1",
            b" 1",
            b"1 ",
            b"-",
            b"9223372036854775808",
        ] {
            assert_eq!(string_to_i64(bad), None, "{bad:?}");
        }
        assert_eq!(c_atoi(b"  +12abc"), 12);
        assert_eq!(c_atoi(b"-3"), -3);
        assert_eq!(c_atoi(b"x"), 0);
        assert_eq!(c_atoi(b"4294967297"), 1);
        assert_eq!(c_atoi(b"99999999999999999999"), -1);
    }
}
