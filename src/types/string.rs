//! Strings: the `int`, `embstr` and `raw` encodings and every string command.
//!
//! Encodings follow Redis's rules so OBJECT ENCODING answers the same: a value that is
//! a canonical integer of at most 20 characters is stored as an `i64` (`int`); other
//! values of at most 44 bytes are `embstr`; longer ones, and anything modified in place
//! by APPEND or SETRANGE, are `raw`.
//!
//! An `RStr` is 24 bytes, so that a `Value` is too (every key pays for the largest
//! variant): an `embstr` of at most `INLINE_MAX` bytes is kept inside it with no
//! allocation of its own; other strings are one exact-sized allocation; only a
//! string edited in place owns a growable `Vec` (boxed, as a `Vec` is 24 bytes).

use std::ops::Deref;

use crate::util::numbers::{i64_to_bytes, parse_i64, MAX_I64_LEN};

/// Longest string stored as `embstr` (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_SIZE_LIMIT: usize = 44;

/// Longest `embstr` held inline in the value: 24 bytes less the variant tag and
/// the length byte.
pub const INLINE_MAX: usize = 22;

/// A string value in one of Redis's three encodings.
#[derive(Debug, Clone)]
pub enum RStr {
    Int(i64),
    /// A short `embstr`: its length and bytes, in place.
    Inline(u8, [u8; INLINE_MAX]),
    /// An `embstr` too long to be inline.
    Embstr(Box<[u8]>),
    /// A `raw` string as it was set: longer than an `embstr`, allocated exactly.
    Raw(Box<[u8]>),
    /// A `raw` string that APPEND, SETRANGE or SETBIT edit in place, with room
    /// to grow.
    Growable(Box<Vec<u8>>),
}

/// The bytes of a string, borrowed or formatted from an integer on the stack.
pub enum StrBytes<'a> {
    Borrowed(&'a [u8]),
    Digits([u8; 24], u8),
}

impl Deref for StrBytes<'_> {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            StrBytes::Borrowed(b) => b,
            StrBytes::Digits(buf, n) => &buf[..*n as usize],
        }
    }
}

/// Equal when the strings are, whatever their encodings.
impl PartialEq for RStr {
    fn eq(&self, other: &RStr) -> bool {
        match (self, other) {
            (RStr::Int(a), RStr::Int(b)) => a == b,
            _ => *self.bytes() == *other.bytes(),
        }
    }
}

impl Eq for RStr {}

impl RStr {
    /// Stores `b` with the encoding Redis would pick for a freshly set value.
    pub fn from_bytes(b: &[u8]) -> RStr {
        if b.len() <= 20 {
            if let Some(n) = parse_i64(b) {
                return RStr::Int(n);
            }
        }
        RStr::embstr(b)
    }

    /// `b` as an `embstr` (inline when short enough), or `raw` past the limit.
    pub fn embstr(b: &[u8]) -> RStr {
        if b.len() <= INLINE_MAX {
            let mut buf = [0u8; INLINE_MAX];
            buf[..b.len()].copy_from_slice(b);
            RStr::Inline(b.len() as u8, buf)
        } else if b.len() <= EMBSTR_SIZE_LIMIT {
            RStr::Embstr(b.into())
        } else {
            RStr::Raw(b.into())
        }
    }

    /// Stores `b` as-is, never as an integer, in the `raw` encoding.
    pub fn raw(b: Vec<u8>) -> RStr {
        RStr::Raw(b.into_boxed_slice())
    }

    /// The string's bytes.
    #[inline]
    pub fn bytes(&self) -> StrBytes<'_> {
        match self {
            RStr::Int(n) => {
                let mut tmp = [0u8; MAX_I64_LEN];
                let digits = i64_to_bytes(*n, &mut tmp);
                let mut buf = [0u8; 24];
                buf[..digits.len()].copy_from_slice(digits);
                StrBytes::Digits(buf, digits.len() as u8)
            }
            RStr::Inline(n, buf) => StrBytes::Borrowed(&buf[..*n as usize]),
            RStr::Embstr(b) | RStr::Raw(b) => StrBytes::Borrowed(b),
            RStr::Growable(v) => StrBytes::Borrowed(v),
        }
    }

    /// STRLEN.
    pub fn len(&self) -> usize {
        match self {
            RStr::Int(n) => crate::util::numbers::i64_len(*n),
            RStr::Inline(n, _) => *n as usize,
            RStr::Embstr(b) | RStr::Raw(b) => b.len(),
            RStr::Growable(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value as an integer, when it is one (INCR and friends).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            RStr::Int(n) => Some(*n),
            RStr::Inline(n, buf) => parse_i64(&buf[..*n as usize]),
            RStr::Embstr(b) | RStr::Raw(b) => parse_i64(b),
            RStr::Growable(v) => parse_i64(v),
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            RStr::Int(_) => "int",
            RStr::Inline(..) | RStr::Embstr(_) => "embstr",
            RStr::Raw(_) | RStr::Growable(_) => "raw",
        }
    }

    /// Where the bytes of a string kept apart from its object start (for
    /// prefetching); `None` for the ones held in place.
    #[inline]
    pub fn heap_ptr(&self) -> Option<*const u8> {
        match self {
            RStr::Int(_) | RStr::Inline(..) => None,
            RStr::Embstr(b) | RStr::Raw(b) => Some(b.as_ptr()),
            RStr::Growable(v) => Some(v.as_ptr()),
        }
    }

    /// Heap bytes held (for MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            RStr::Int(_) | RStr::Inline(..) => 0,
            RStr::Embstr(b) | RStr::Raw(b) => b.len(),
            RStr::Growable(v) => v.capacity(),
        }
    }

    /// Turns the value into an owned, growable buffer for in-place edits (APPEND,
    /// SETRANGE): the result is `raw`, as in Redis. A `raw` string keeps its
    /// allocation.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, RStr::Growable(_)) {
            let bytes = match std::mem::replace(self, RStr::Int(0)) {
                RStr::Raw(b) => b.into_vec(),
                other => other.bytes().to_vec(),
            };
            *self = RStr::Growable(Box::new(bytes));
        }
        match self {
            RStr::Growable(v) => v,
            _ => unreachable!("just converted to raw"),
        }
    }
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

use crate::command::args::is_token;
use crate::command::{CmdError, CmdResult, Ctx};
use crate::db::keyspace::notify;
use crate::types::Value;
use crate::util::numbers::LongDouble;

/// Largest string a command may build (`proto-max-bulk-len`).
fn check_string_length(ctx: &Ctx, size: u64) -> CmdResult {
    if size > ctx.srv.config.proto_max_bulk_len as u64 {
        return Err(CmdError::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

fn str_value(b: &[u8]) -> Value {
    Value::Str(RStr::from_bytes(b))
}

fn invalid_expire(ctx: &Ctx) -> CmdError {
    CmdError::err(format!(
        "invalid expire time in '{}' command",
        ctx.cmd.full_name
    ))
}

/// How SET/GETEX express a TTL.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ExpireArg {
    None,
    Ex,
    Px,
    ExAt,
    PxAt,
    KeepTtl,
    Persist,
}

/// Turns an EX/PX/EXAT/PXAT argument into an absolute unix time in ms.
fn expire_to_ms(ctx: &Ctx, kind: ExpireArg, raw: &[u8]) -> Result<i64, CmdError> {
    let v = crate::util::numbers::parse_i64(raw).ok_or(CmdError::NotInteger)?;
    let seconds = matches!(kind, ExpireArg::Ex | ExpireArg::ExAt);
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(invalid_expire(ctx));
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if matches!(kind, ExpireArg::Ex | ExpireArg::Px) {
        ms = ms.checked_add(crate::server::unix_ms()).unwrap_or(-1);
    }
    if ms <= 0 {
        return Err(invalid_expire(ctx));
    }
    Ok(ms)
}

/// Parsed SET options.
struct SetOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    expire: ExpireArg,
    expire_raw: Option<&'a [u8]>,
}

/// Parses SET/GETEX options from argument `start`, with Redis's exclusivity rules.
fn parse_set_options<'a>(
    ctx: &Ctx<'a>,
    start: usize,
    is_set: bool,
) -> Result<SetOptions<'a>, CmdError> {
    let mut o = SetOptions {
        nx: false,
        xx: false,
        get: false,
        expire: ExpireArg::None,
        expire_raw: None,
    };
    let argv = ctx.argv;
    let mut j = start;
    while j < argv.len() {
        let opt = argv.get(j);
        let next = argv.try_get(j + 1);
        let no_expire_yet = o.expire == ExpireArg::None;
        if is_set && is_token(opt, "NX") && !o.xx {
            o.nx = true;
        } else if is_set && is_token(opt, "XX") && !o.nx {
            o.xx = true;
        } else if is_set && is_token(opt, "GET") {
            o.get = true;
        } else if is_set
            && is_token(opt, "KEEPTTL")
            && (no_expire_yet || o.expire == ExpireArg::KeepTtl)
        {
            o.expire = ExpireArg::KeepTtl;
        } else if !is_set
            && is_token(opt, "PERSIST")
            && (no_expire_yet || o.expire == ExpireArg::Persist)
        {
            o.expire = ExpireArg::Persist;
        } else if let Some(kind) = [
            ("EX", ExpireArg::Ex),
            ("PX", ExpireArg::Px),
            ("EXAT", ExpireArg::ExAt),
            ("PXAT", ExpireArg::PxAt),
        ]
        .iter()
        .find(|(t, _)| is_token(opt, t))
        .map(|(_, k)| *k)
        .filter(|k| (no_expire_yet || o.expire == *k) && next.is_some())
        {
            o.expire = kind;
            o.expire_raw = next;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// Replies with the string at `key` (nil if absent); WRONGTYPE for other types.
fn reply_get(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let db = ctx.db();
    match ctx.ks.get_str(db, key)? {
        Some(s) => ctx.reply.bulk(&s.bytes()),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// The shared core of SET, SETNX, SETEX, PSETEX.
fn set_generic(
    ctx: &mut Ctx,
    key: &[u8],
    val: &[u8],
    opts: &SetOptions,
    ok_reply: Option<i64>,
) -> CmdResult {
    let expire_ms = match (opts.expire, opts.expire_raw) {
        (k, Some(raw)) if k != ExpireArg::KeepTtl => Some(expire_to_ms(ctx, k, raw)?),
        _ => None,
    };
    if opts.get {
        reply_get(ctx, key)?;
    }
    let db = ctx.db();
    if opts.nx || opts.xx {
        let found = ctx.ks.lookup_write(db, key).is_some();
        if (opts.nx && found) || (opts.xx && !found) {
            if !opts.get {
                match ok_reply {
                    Some(_) => ctx.reply.int(0),
                    None => ctx.reply.null(),
                }
            }
            return Ok(());
        }
    } else {
        // Still reclaim (and report) an expired key before overwriting it.
        ctx.ks.expire_if_needed(db, key);
    }
    let keep_ttl = opts.expire == ExpireArg::KeepTtl;
    ctx.ks.set_or_add(db, key, str_value(val), keep_ttl);
    ctx.ks.dirty(1);
    ctx.ks.notify(notify::STRING, "set", key, db);
    if let Some(ms) = expire_ms {
        ctx.ks.dbs[db].set_expire(key, ms);
        ctx.ks.notify(notify::GENERIC, "expire", key, db);
        // Propagate the TTL as an absolute time so replicas and the AOF agree.
        let when = ms.to_string();
        ctx.ks
            .propagate_as(&[b"SET", key, val, b"PXAT", when.as_bytes()]);
    } else if opts.get || ok_reply.is_some() {
        // SET ... GET, GETSET-like and SETNX propagate as a plain SET.
        let mut parts: Vec<&[u8]> = vec![b"SET", key, val];
        if keep_ttl {
            parts.push(b"KEEPTTL");
        }
        ctx.ks.propagate_as(&parts);
    }
    if !opts.get {
        match ok_reply {
            Some(n) => ctx.reply.int(n),
            None => ctx.reply.ok(),
        }
    }
    Ok(())
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]
pub fn set(ctx: &mut Ctx) -> CmdResult {
    let opts = parse_set_options(ctx, 3, true)?;
    set_generic(ctx, ctx.argv.get(1), ctx.argv.get(2), &opts, None)
}

/// SETNX key value
pub fn setnx(ctx: &mut Ctx) -> CmdResult {
    let opts = SetOptions {
        nx: true,
        xx: false,
        get: false,
        expire: ExpireArg::None,
        expire_raw: None,
    };
    set_generic(ctx, ctx.argv.get(1), ctx.argv.get(2), &opts, Some(1))
}

fn setex_generic(ctx: &mut Ctx, kind: ExpireArg) -> CmdResult {
    let opts = SetOptions {
        nx: false,
        xx: false,
        get: false,
        expire: kind,
        expire_raw: Some(ctx.argv.get(2)),
    };
    set_generic(ctx, ctx.argv.get(1), ctx.argv.get(3), &opts, None)
}

/// SETEX key seconds value
pub fn setex(ctx: &mut Ctx) -> CmdResult {
    setex_generic(ctx, ExpireArg::Ex)
}

/// PSETEX key milliseconds value
pub fn psetex(ctx: &mut Ctx) -> CmdResult {
    setex_generic(ctx, ExpireArg::Px)
}

/// GET key
pub fn get(ctx: &mut Ctx) -> CmdResult {
    reply_get(ctx, ctx.argv.get(1))
}

/// GETDEL key
pub fn getdel(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    reply_get(ctx, key)?;
    let db = ctx.db();
    if ctx.ks.delete(db, key) {
        ctx.ks.notify(notify::GENERIC, "del", key, db);
        ctx.ks.dirty(1);
        ctx.ks.propagate_as(&[b"DEL", key]);
    }
    Ok(())
}

/// GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]
pub fn getex(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    let opts = parse_set_options(ctx, 2, false)?;
    let expire_ms = match (opts.expire, opts.expire_raw) {
        (k, Some(raw)) => Some(expire_to_ms(ctx, k, raw)?),
        _ => None,
    };
    let db = ctx.db();
    let Some(s) = ctx.ks.get_str(db, key)? else {
        ctx.reply.null();
        return Ok(());
    };
    ctx.reply.bulk(&s.bytes());
    if let Some(ms) = expire_ms {
        if ms <= crate::server::unix_ms() && ctx.ks.deletes_already_expired() {
            ctx.ks.delete(db, key);
            ctx.ks.notify(notify::GENERIC, "del", key, db);
            let del: &[u8] = if ctx.srv.config.lazyfree_lazy_expire {
                b"UNLINK"
            } else {
                b"DEL"
            };
            ctx.ks.propagate_as(&[del, key]);
        } else {
            ctx.ks.dbs[db].set_expire(key, ms);
            ctx.ks.modified(db, key);
            ctx.ks.notify(notify::GENERIC, "expire", key, db);
            let when = ms.to_string();
            ctx.ks.propagate_as(&[b"PEXPIREAT", key, when.as_bytes()]);
        }
        ctx.ks.dirty(1);
    } else if opts.expire == ExpireArg::Persist && ctx.ks.dbs[db].remove_expire(key) {
        ctx.ks.modified(db, key);
        ctx.ks.notify(notify::GENERIC, "persist", key, db);
        ctx.ks.dirty(1);
        ctx.ks.propagate_as(&[b"PERSIST", key]);
    }
    Ok(())
}

/// GETSET key value
pub fn getset(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    reply_get(ctx, key)?;
    let db = ctx.db();
    let val = ctx.argv.get(2);
    ctx.ks.set_or_add(db, key, str_value(val), false);
    ctx.ks.notify(notify::STRING, "set", key, db);
    ctx.ks.dirty(1);
    ctx.ks.propagate_as(&[b"SET", key, val]);
    Ok(())
}

/// Resolves Redis's inclusive, negative-from-the-end range over `len` bytes.
pub fn redis_range(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if end < 0 {
        end = 0;
    }
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

/// GETRANGE key start end (also SUBSTR)
pub fn getrange(ctx: &mut Ctx) -> CmdResult {
    let mut args = ctx.args();
    let key = args.key()?;
    let (start, end) = (args.next_i64()?, args.next_i64()?);
    let db = ctx.db();
    let Some(s) = ctx.ks.get_str(db, key)? else {
        ctx.reply.bulk(b"");
        return Ok(());
    };
    let bytes = s.bytes();
    match redis_range(bytes.len(), start, end) {
        Some((a, b)) => ctx.reply.bulk(&bytes[a..=b]),
        None => ctx.reply.bulk(b""),
    }
    Ok(())
}

/// SETRANGE key offset value
pub fn setrange(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    let offset = crate::util::numbers::parse_i64(ctx.argv.get(2)).ok_or(CmdError::NotInteger)?;
    let val = ctx.argv.get(3);
    if offset < 0 {
        return Err(CmdError::err("offset is out of range"));
    }
    let db = ctx.db();
    let existing_len = ctx.ks.get_str_mut(db, key)?.map(|s| s.len());
    match existing_len {
        None => {
            if val.is_empty() {
                ctx.reply.int(0);
                return Ok(());
            }
            check_string_length(ctx, offset as u64 + val.len() as u64)?;
            let mut buf = vec![0u8; offset as usize];
            buf.extend_from_slice(val);
            let len = buf.len();
            ctx.ks.add(db, key, Value::Str(RStr::raw(buf)));
            ctx.ks.notify(notify::STRING, "setrange", key, db);
            ctx.ks.dirty(1);
            ctx.reply.int(len as i64);
        }
        Some(len) => {
            if val.is_empty() {
                ctx.reply.int(len as i64);
                return Ok(());
            }
            check_string_length(ctx, offset as u64 + val.len() as u64)?;
            let Some(s) = ctx.ks.get_str_mut(db, key)? else {
                return Ok(());
            };
            let buf = s.make_raw();
            let end = offset as usize + val.len();
            if buf.len() < end {
                buf.resize(end, 0);
            }
            buf[offset as usize..end].copy_from_slice(val);
            let newlen = buf.len();
            ctx.ks.modified(db, key);
            ctx.ks.notify(notify::STRING, "setrange", key, db);
            ctx.ks.dirty(1);
            ctx.reply.int(newlen as i64);
        }
    }
    Ok(())
}

/// APPEND key value
pub fn append(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    let val = ctx.argv.get(2);
    let db = ctx.db();
    let cur_len = ctx.ks.get_str_mut(db, key)?.map(|s| s.len());
    let newlen = match cur_len {
        None => {
            ctx.ks.add(db, key, str_value(val));
            val.len()
        }
        Some(len) => {
            check_string_length(ctx, len as u64 + val.len() as u64)?;
            let Some(s) = ctx.ks.get_str_mut(db, key)? else {
                return Ok(());
            };
            let buf = s.make_raw();
            buf.extend_from_slice(val);
            let n = buf.len();
            ctx.ks.modified(db, key);
            n
        }
    };
    ctx.ks.notify(notify::STRING, "append", key, db);
    ctx.ks.dirty(1);
    ctx.reply.int(newlen as i64);
    Ok(())
}

/// STRLEN key
pub fn strlen(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let n = ctx.ks.get_str(db, ctx.argv.get(1))?.map_or(0, |s| s.len());
    ctx.reply.int(n as i64);
    Ok(())
}

/// The core of INCR, DECR, INCRBY, DECRBY.
fn incr_by(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let db = ctx.db();
    let cur = match ctx.ks.get_str_mut(db, key)? {
        None => 0,
        Some(s) => s.as_i64().ok_or(CmdError::NotInteger)?,
    };
    let new = cur.checked_add(by).ok_or(CmdError::Overflow)?;
    match ctx.ks.get_str_mut(db, key)? {
        Some(s) => {
            *s = RStr::Int(new);
            ctx.ks.modified(db, key);
        }
        None => ctx.ks.add(db, key, Value::Str(RStr::Int(new))),
    }
    ctx.ks.notify(notify::STRING, "incrby", key, db);
    ctx.ks.dirty(1);
    ctx.reply.int(new);
    Ok(())
}

/// INCR key
pub fn incr(ctx: &mut Ctx) -> CmdResult {
    incr_by(ctx, ctx.argv.get(1), 1)
}

/// DECR key
pub fn decr(ctx: &mut Ctx) -> CmdResult {
    incr_by(ctx, ctx.argv.get(1), -1)
}

/// INCRBY key increment
pub fn incrby(ctx: &mut Ctx) -> CmdResult {
    let by = crate::util::numbers::parse_i64(ctx.argv.get(2)).ok_or(CmdError::NotInteger)?;
    incr_by(ctx, ctx.argv.get(1), by)
}

/// DECRBY key decrement
pub fn decrby(ctx: &mut Ctx) -> CmdResult {
    let by = crate::util::numbers::parse_i64(ctx.argv.get(2)).ok_or(CmdError::NotInteger)?;
    if by == i64::MIN {
        return Err(CmdError::err("decrement would overflow"));
    }
    incr_by(ctx, ctx.argv.get(1), -by)
}

/// INCRBYFLOAT key increment
pub fn incrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    // Redis computes in long double; LongDouble models it exactly, so results
    // (0.1 + 0.2 = "0.3", 1e400) match byte for byte.
    let by = LongDouble::parse(ctx.argv.get(2)).ok_or(CmdError::NotFloat)?;
    let db = ctx.db();
    let cur = match ctx.ks.get_str_mut(db, key)? {
        None => LongDouble::ZERO,
        Some(s) => LongDouble::parse(&s.bytes()).ok_or(CmdError::NotFloat)?,
    };
    let new = cur + by;
    if !new.is_finite() {
        return Err(CmdError::err("increment would produce NaN or Infinity"));
    }
    let text = new.to_human_bytes();
    let val = RStr::embstr(&text);
    ctx.ks.set_or_add(db, key, Value::Str(val), true);
    ctx.ks.notify(notify::STRING, "incrbyfloat", key, db);
    ctx.ks.dirty(1);
    // Float formatting may differ between builds: propagate the result, not the sum.
    ctx.ks.propagate_as(&[b"SET", key, &text, b"KEEPTTL"]);
    ctx.reply.bulk(&text);
    Ok(())
}

/// MGET key [key ...]
pub fn mget(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    ctx.reply.array_len(ctx.argv.len() - 1);
    for key in ctx.argv.iter().skip(1) {
        match ctx.ks.lookup_read(db, key) {
            Some(crate::types::RObj {
                value: Value::Str(s),
                ..
            }) => ctx.reply.bulk(&s.bytes()),
            _ => ctx.reply.null(),
        }
    }
    Ok(())
}

fn mset_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    if ctx.argv.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(ctx.cmd.full_name.to_string()));
    }
    let db = ctx.db();
    if nx {
        let any_exists = (1..ctx.argv.len())
            .step_by(2)
            .any(|i| ctx.ks.exists(db, ctx.argv.get(i)));
        if any_exists {
            ctx.reply.int(0);
            return Ok(());
        }
    }
    for i in (1..ctx.argv.len()).step_by(2) {
        let key = ctx.argv.get(i);
        ctx.ks
            .set_or_add(db, key, str_value(ctx.argv.get(i + 1)), false);
        ctx.ks.notify(notify::STRING, "set", key, db);
    }
    ctx.ks.dirty(((ctx.argv.len() - 1) / 2) as u64);
    if nx {
        ctx.reply.int(1);
    } else {
        ctx.reply.ok();
    }
    Ok(())
}

/// MSET key value [key value ...]
pub fn mset(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, false)
}

/// MSETNX key value [key value ...]
pub fn msetnx(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, true)
}

/// One IDX match: the range in the first string, the range in the second, its length.
type LcsMatch = ((usize, usize), (usize, usize), usize);

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
pub fn lcs(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let mut fetch = |k: &[u8]| -> Result<Vec<u8>, CmdError> {
        match ctx.ks.lookup_read(db, k) {
            None => Ok(Vec::new()),
            Some(crate::types::RObj {
                value: Value::Str(s),
                ..
            }) => Ok(s.bytes().to_vec()),
            Some(_) => Err(CmdError::err(
                "The specified keys must contain string values",
            )),
        }
    };
    let a = fetch(ctx.argv.get(1))?;
    let b = fetch(ctx.argv.get(2))?;
    let (mut getlen, mut getidx, mut withmatchlen, mut minmatchlen) = (false, false, false, 0i64);
    let mut j = 3;
    while j < ctx.argv.len() {
        let opt = ctx.argv.get(j);
        let more = ctx.argv.len() - 1 - j;
        if is_token(opt, "IDX") {
            getidx = true;
        } else if is_token(opt, "LEN") {
            getlen = true;
        } else if is_token(opt, "WITHMATCHLEN") {
            withmatchlen = true;
        } else if is_token(opt, "MINMATCHLEN") && more > 0 {
            minmatchlen = crate::util::numbers::parse_i64(ctx.argv.get(j + 1))
                .ok_or(CmdError::NotInteger)?
                .max(0);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if getlen && getidx {
        return Err(CmdError::err(
            "If you want both the length and indexes, please just use IDX.",
        ));
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells.saturating_mul(4) > ctx.srv.config.proto_max_bulk_len as u64 {
        return Err(CmdError::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    // Classic dynamic programming table of LCS lengths of prefixes.
    let w = blen + 1;
    let mut t = vec![0u32; (alen + 1) * w];
    for i in 1..=alen {
        for k in 1..=blen {
            t[i * w + k] = if a[i - 1] == b[k - 1] {
                t[(i - 1) * w + k - 1] + 1
            } else {
                t[(i - 1) * w + k].max(t[i * w + k - 1])
            };
        }
    }
    let total = t[alen * w + blen] as usize;
    if getlen {
        ctx.reply.int(total as i64);
        return Ok(());
    }
    // Walk back from the end, collecting the LCS and (for IDX) the matching ranges.
    // A range grows backwards while matches stay contiguous in both strings; it is
    // emitted when the walk leaves it (or reaches the start of either string).
    let mut result = vec![0u8; total];
    let mut idx = total;
    let (mut i, mut k) = (alen, blen);
    let mut matches: Vec<LcsMatch> = Vec::new();
    let mut range: Option<((usize, usize), (usize, usize))> = None;
    while i > 0 && k > 0 {
        let mut emit = false;
        if a[i - 1] == b[k - 1] {
            result[idx - 1] = a[i - 1];
            match range {
                None => range = Some(((i - 1, i - 1), (k - 1, k - 1))),
                Some(((astart, aend), (bstart, bend))) if astart == i && bstart == k => {
                    range = Some(((astart - 1, aend), (bstart - 1, bend)));
                }
                Some(_) => emit = true,
            }
            if let Some(((astart, _), (bstart, _))) = range {
                if astart == 0 || bstart == 0 {
                    emit = true;
                }
            }
            idx -= 1;
            i -= 1;
            k -= 1;
        } else {
            if t[(i - 1) * w + k] > t[i * w + k - 1] {
                i -= 1;
            } else {
                k -= 1;
            }
            emit = range.is_some();
        }
        if emit {
            if let Some((ra, rb)) = range.take() {
                let len = ra.1 - ra.0 + 1;
                if minmatchlen == 0 || len as i64 >= minmatchlen {
                    matches.push((ra, rb, len));
                }
            }
        }
    }
    if !getidx {
        ctx.reply.bulk(&result);
        return Ok(());
    }
    ctx.reply.map_len(2);
    ctx.reply.bulk(b"matches");
    ctx.reply.array_len(matches.len());
    for (ra, rb, len) in &matches {
        ctx.reply.array_len(if withmatchlen { 3 } else { 2 });
        ctx.reply.array_len(2);
        ctx.reply.int(ra.0 as i64);
        ctx.reply.int(ra.1 as i64);
        ctx.reply.array_len(2);
        ctx.reply.int(rb.0 as i64);
        ctx.reply.int(rb.1 as i64);
        if withmatchlen {
            ctx.reply.int(*len as i64);
        }
    }
    ctx.reply.bulk(b"len");
    ctx.reply.int(total as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_embstrs_are_inline_and_keep_the_value_size() {
        assert!(matches!(
            RStr::from_bytes(b"value:123456"),
            RStr::Inline(12, _)
        ));
        assert!(matches!(RStr::from_bytes(&[b'x'; 22]), RStr::Inline(22, _)));
        assert!(matches!(RStr::from_bytes(&[b'x'; 23]), RStr::Embstr(_)));
        assert!(matches!(RStr::from_bytes(&[b'x'; 45]), RStr::Raw(_)));
        let s = RStr::from_bytes(b"hello");
        assert_eq!(&*s.bytes(), b"hello");
        assert_eq!((s.len(), s.encoding(), s.heap_size()), (5, "embstr", 0));
        assert_eq!(
            RStr::from_bytes(b"hello"),
            RStr::Embstr(b"hello"[..].into())
        );
        assert_eq!(std::mem::size_of::<RStr>(), 24);
        assert_eq!(std::mem::size_of::<crate::types::Value>(), 24);
    }

    use super::*;

    #[test]
    fn encodings_follow_redis_rules() {
        assert_eq!(RStr::from_bytes(b"12345").encoding(), "int");
        assert_eq!(RStr::from_bytes(b"-9223372036854775808").encoding(), "int");
        assert_eq!(RStr::from_bytes(b"012").encoding(), "embstr");
        assert_eq!(RStr::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(RStr::from_bytes(&[b'a'; 45]).encoding(), "raw");
    }

    #[test]
    fn int_bytes_render_decimal() {
        let s = RStr::from_bytes(b"-42");
        assert_eq!(&*s.bytes(), b"-42");
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn make_raw_converts_in_place() {
        let mut s = RStr::from_bytes(b"10");
        s.make_raw().extend_from_slice(b"x");
        assert_eq!(&*s.bytes(), b"10x");
        assert_eq!(s.encoding(), "raw");
        let mut long = RStr::from_bytes(&[b'y'; 50]);
        assert_eq!(long.encoding(), "raw");
        long.make_raw().push(b'z');
        assert_eq!((long.len(), long.encoding()), (51, "raw"));
    }
}
