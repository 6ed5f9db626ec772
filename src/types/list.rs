//! Lists: the `quicklist` encoding (see `quicklist`) and every list command of
//! Redis 7.0 (t_list.c), the blocking ones included.
//!
//! Writes follow Redis's side effects exactly: keyspace events (`lpush`, `rpush`,
//! `lpop`, `rpop`, `linsert`, `lset`, `lrem`, `ltrim`, and `del` when a list
//! empties, since Redis never keeps an empty list), the dirty counter, and
//! `signal_ready` after data arrives so clients blocked on the key are served.
//! Blocking commands that find no data block through `server::blocking`; when data
//! arrives the same command runs again and serves the client, then propagates as
//! its non-blocking form (BLPOP as LPOP, BLMOVE as LMOVE, BLMPOP as LPOP/RPOP with
//! a count), as Redis does.

use super::listpack::LpValue;
use super::quicklist::{self, Quicklist};
use crate::command::{CmdError, CmdResult, Ctx, Handler};
use crate::db::keyspace::{notify, Keyspace};
use crate::protocol::reply::Reply;
use crate::server::blocking::{block_for_keys, parse_timeout, BlockRequest, TimeoutReply};
use crate::server::client::flags;
use crate::types::{RObj, Value};
use crate::util::numbers::{parse_i64, write_i64};
use crate::util::sha1::Sha1;

/// A list value.
#[derive(Debug, Clone, Default)]
pub struct List {
    /// Boxed: the quicklist header is 48 bytes, and every key's value is as big
    /// as the largest type's inline part.
    ql: Box<Quicklist>,
}

impl List {
    /// An empty list whose nodes follow `list-max-listpack-size` = `fill`.
    pub fn new(fill: i64) -> List {
        List {
            ql: Box::new(Quicklist::new(fill)),
        }
    }

    /// The name OBJECT ENCODING reports: every list is a quicklist in Redis 7.0.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Heap bytes held, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        crate::alloc::size_class(std::mem::size_of::<Quicklist>()) + self.ql.heap_size()
    }

    /// Feeds DEBUG DIGEST: the elements in order, each length-prefixed.
    pub fn digest(&self, h: &mut Sha1) {
        h.update(b"list");
        let mut buf = Vec::new();
        for v in self.ql.iter() {
            buf.clear();
            v.write_to(&mut buf);
            h.update(&(buf.len() as u64).to_le_bytes());
            h.update(&buf);
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.ql.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ql.is_empty()
    }

    /// Adds `v` at the tail (RDB loading, SORT STORE).
    pub fn push_back(&mut self, v: &[u8]) {
        self.ql.push_back(v);
    }

    /// Adds `v` at the head.
    pub fn push_front(&mut self, v: &[u8]) {
        self.ql.push_front(v);
    }

    /// The elements head to tail (reversible).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = LpValue<'_>> + '_ {
        self.ql.iter()
    }

    /// The quicklist nodes head to tail (RDB saving).
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = quicklist::NodeData<'_>> + '_ {
        self.ql.nodes()
    }

    /// Appends a listpack node read from RDB as is (an empty one is dropped).
    pub fn append_listpack_node(&mut self, lp: super::listpack::Listpack) {
        self.ql.append_listpack(lp);
    }

    /// Appends a plain node read from RDB.
    pub fn append_plain_node(&mut self, v: Box<[u8]>) {
        self.ql.append_plain(v);
    }

    fn push(&mut self, v: &[u8], end: End) {
        match end {
            End::Left => self.ql.push_front(v),
            End::Right => self.ql.push_back(v),
        }
    }

    fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        match end {
            End::Left => self.ql.pop_front(),
            End::Right => self.ql.pop_back(),
        }
    }
}

/// The end of a list a command works on: LEFT is the head, RIGHT the tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Left,
    Right,
}

impl End {
    /// LEFT / RIGHT, case-insensitively; a syntax error otherwise.
    fn parse(arg: &[u8]) -> Result<End, CmdError> {
        if arg.eq_ignore_ascii_case(b"left") {
            Ok(End::Left)
        } else if arg.eq_ignore_ascii_case(b"right") {
            Ok(End::Right)
        } else {
            Err(CmdError::Syntax)
        }
    }

    fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }

    fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }

    /// The pop command this end propagates as.
    fn pop_command(self) -> &'static [u8] {
        match self {
            End::Left => b"LPOP",
            End::Right => b"RPOP",
        }
    }

    /// The lowercase name Redis propagates a served BLMOVE with.
    fn name(self) -> &'static [u8] {
        match self {
            End::Left => b"left",
            End::Right => b"right",
        }
    }
}

/// The list at `key` for reading (hit/miss counted); WRONGTYPE for other types.
fn get_list<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> Result<Option<&'a List>, CmdError> {
    ks.read::<List>(db, key)
}

/// The list at `key` for writing; WRONGTYPE for other types.
fn get_list_mut<'a>(
    ks: &'a mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut List>, CmdError> {
    ks.write::<List>(db, key)
}

/// A new empty list with the configured node size.
fn new_list(ctx: &Ctx) -> List {
    List::new(ctx.srv.config.list_max_listpack_size)
}

/// Writes one element as a bulk string.
fn reply_value(reply: &mut Reply, v: LpValue<'_>) {
    match v {
        LpValue::Str(s) => reply.bulk(s),
        LpValue::Int(n) => reply.bulk_i64(n),
    }
}

/// Replies with elements `start..=end` (Redis indexes, negative from the tail) as
/// an array, tail first when `reverse` (addListRangeReply).
fn reply_range(reply: &mut Reply, l: &List, start: i64, end: i64, reverse: bool) {
    let llen = l.len() as i64;
    let start = if start < 0 {
        (llen + start).max(0)
    } else {
        start
    };
    let mut end = if end < 0 { llen + end } else { end };
    if start > end || start >= llen {
        reply.array_len(0);
        return;
    }
    if end >= llen {
        end = llen - 1;
    }
    let n = (end - start + 1) as usize;
    reply.array_len(n);
    if reverse {
        l.ql.iter_rev_from(end as usize)
            .take(n)
            .for_each(|v| reply_value(reply, v));
    } else {
        l.ql.iter_from(start as usize)
            .take(n)
            .for_each(|v| reply_value(reply, v));
    }
}

/// After elements were popped from `key`: the pop event, deleting the key when the
/// list emptied (with its `del` event), the dirty counter (listElementsRemoved).
fn elements_removed(ctx: &mut Ctx, key: &[u8], end: End, count: usize, now_empty: bool) {
    let db = ctx.db();
    ctx.ks.notify(notify::LIST, end.pop_event(), key, db);
    if now_empty {
        ctx.ks.delete(db, key);
        ctx.ks.notify(notify::GENERIC, "del", key, db);
    } else {
        ctx.ks.modified(db, key);
    }
    ctx.ks.dirty(count as u64);
}

/// Pops up to `count` elements from `end` of the list at `key` (known to be a
/// non-empty list), replying `[key, [elements]]` (listPopRangeAndReplyWithKey).
/// Returns how many were popped.
fn pop_range_with_key(ctx: &mut Ctx, key: &[u8], end: End, count: usize) -> usize {
    let db = ctx.db();
    let Ok(Some(l)) = get_list_mut(ctx.ks, db, key) else {
        ctx.reply.null_array();
        return 0;
    };
    let n = count.min(l.len());
    ctx.reply.array_len(2);
    ctx.reply.bulk(key);
    pop_range(ctx.reply, l, end, n);
    let empty = l.is_empty();
    elements_removed(ctx, key, end, n, empty);
    n
}

/// Replies with the `n` elements at `end` (outermost first) and removes them.
fn pop_range(reply: &mut Reply, l: &mut List, end: End, n: usize) {
    let llen = l.len();
    match end {
        End::Left => reply_range(reply, l, 0, n as i64 - 1, false),
        End::Right => reply_range(reply, l, -(n as i64), -1, true),
    }
    match end {
        End::Left => l.ql.del_range(0, n),
        End::Right => l.ql.del_range(llen - n, n),
    }
}

/// Parses an integer option the way getRangeLongFromObjectOrReply does with a
/// message: any failure (not a number, or below `min`) replies `ERR <msg>`.
fn parse_at_least(arg: &[u8], min: i64, msg: &'static str) -> Result<i64, CmdError> {
    parse_i64(arg)
        .filter(|&v| v >= min)
        .ok_or_else(|| CmdError::err(msg))
}

// ---------------------------------------------------------------- push

/// LPUSH/RPUSH/LPUSHX/RPUSHX: pushes every element in order; `xx` only when the
/// list exists.
fn push_generic(ctx: &mut Ctx, end: End, xx: bool) -> CmdResult {
    let db = ctx.db();
    let key = ctx.argv.get(1);
    let elements = 2..ctx.argv.len();
    let pushed = elements.len();
    let len = match get_list_mut(ctx.ks, db, key)? {
        Some(l) => {
            for i in elements {
                l.push(ctx.argv.get(i), end);
            }
            let len = l.len();
            ctx.ks.modified(db, key);
            len
        }
        None if xx => {
            ctx.reply.int(0);
            return Ok(());
        }
        None => {
            let mut l = new_list(ctx);
            for i in elements {
                l.push(ctx.argv.get(i), end);
            }
            let len = l.len();
            ctx.ks.add(db, key, Value::List(l));
            len
        }
    };
    ctx.ks.dirty(pushed as u64);
    ctx.reply.int(len as i64);
    ctx.ks.notify(notify::LIST, end.push_event(), key, db);
    ctx.ks.signal_ready(db, key);
    Ok(())
}

/// LPUSH key element [element ...]
pub fn lpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Left, false)
}

/// RPUSH key element [element ...]
pub fn rpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Right, false)
}

/// LPUSHX key element [element ...]
pub fn lpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Left, true)
}

/// RPUSHX key element [element ...]
pub fn rpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Right, true)
}

/// LINSERT key BEFORE|AFTER pivot element
pub fn linsert(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let key = ctx.argv.get(1);
    let where_ = ctx.argv.get(2);
    let after = if where_.eq_ignore_ascii_case(b"after") {
        true
    } else if where_.eq_ignore_ascii_case(b"before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let (pivot, element) = (ctx.argv.get(3), ctx.argv.get(4));
    let Some(l) = get_list_mut(ctx.ks, db, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    if !l.ql.insert_next_to(pivot, element, after) {
        ctx.reply.int(-1);
        return Ok(());
    }
    let len = l.len();
    ctx.ks.modified(db, key);
    ctx.ks.notify(notify::LIST, "linsert", key, db);
    ctx.ks.dirty(1);
    ctx.reply.int(len as i64);
    Ok(())
}

// ---------------------------------------------------------------- read

/// LLEN key
pub fn llen(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let len = get_list(ctx.ks, db, ctx.argv.get(1))?.map_or(0, List::len);
    ctx.reply.int(len as i64);
    Ok(())
}

/// LINDEX key index
pub fn lindex(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let Some(l) = get_list(ctx.ks, db, ctx.argv.get(1))? else {
        ctx.reply.null();
        return Ok(());
    };
    let index = parse_i64(ctx.argv.get(2)).ok_or(CmdError::NotInteger)?;
    match l.ql.get(index) {
        Some(v) => reply_value(ctx.reply, v),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// LRANGE key start stop
pub fn lrange(ctx: &mut Ctx) -> CmdResult {
    let mut args = ctx.args();
    let key = args.key()?;
    let (start, end) = (args.next_i64()?, args.next_i64()?);
    let db = ctx.db();
    match get_list(ctx.ks, db, key)? {
        Some(l) => reply_range(ctx.reply, l, start, end, false),
        None => ctx.reply.array_len(0),
    }
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub fn lpos(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    let element = ctx.argv.get(2);
    let (mut rank, mut count, mut maxlen) = (1i64, None::<i64>, 0i64);
    let argc = ctx.argv.len();
    let mut j = 3;
    while j < argc {
        let opt = ctx.argv.get(j);
        let more = j + 1 < argc;
        if more && opt.eq_ignore_ascii_case(b"RANK") {
            j += 1;
            rank = parse_i64(ctx.argv.get(j)).ok_or(CmdError::NotInteger)?;
            if rank == 0 {
                return Err(CmdError::err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if more && opt.eq_ignore_ascii_case(b"COUNT") {
            j += 1;
            count = Some(parse_at_least(
                ctx.argv.get(j),
                0,
                "COUNT can't be negative",
            )?);
        } else if more && opt.eq_ignore_ascii_case(b"MAXLEN") {
            j += 1;
            maxlen = parse_at_least(ctx.argv.get(j), 0, "MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    // A negative rank searches from the tail (LONG_MIN stays negative, as in C).
    let from_tail = rank < 0;
    let rank = if from_tail { rank.wrapping_neg() } else { rank };

    let db = ctx.db();
    let Some(l) = get_list(ctx.ks, db, key)? else {
        match count {
            Some(_) => ctx.reply.array_len(0),
            None => ctx.reply.null(),
        }
        return Ok(());
    };
    let llen = l.len() as i64;
    let scan = if maxlen == 0 {
        usize::MAX
    } else {
        maxlen as usize
    };
    let elements: Box<dyn Iterator<Item = LpValue<'_>>> = if from_tail {
        Box::new(l.iter().rev().take(scan))
    } else {
        Box::new(l.iter().take(scan))
    };
    let position = |index: i64| if from_tail { llen - index - 1 } else { index };
    let mut matches = 0i64;
    match count {
        Some(count) => {
            let d = ctx.reply.begin_deferred();
            let mut n = 0;
            for (index, v) in elements.enumerate() {
                if !v.eq_bytes(element) {
                    continue;
                }
                matches += 1;
                if matches >= rank {
                    n += 1;
                    ctx.reply.int(position(index as i64));
                    if count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= count {
                        break;
                    }
                }
            }
            ctx.reply.end_deferred_array(d, n);
        }
        None => {
            let mut found = None;
            for (index, v) in elements.enumerate() {
                if v.eq_bytes(element) {
                    matches += 1;
                    if matches >= rank {
                        found = Some(position(index as i64));
                        break;
                    }
                }
            }
            match found {
                Some(i) => ctx.reply.int(i),
                None => ctx.reply.null(),
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- modify

/// LSET key index element
pub fn lset(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let key = ctx.argv.get(1);
    let Some(l) = get_list_mut(ctx.ks, db, key)? else {
        return Err(CmdError::NoSuchKey);
    };
    let index = parse_i64(ctx.argv.get(2)).ok_or(CmdError::NotInteger)?;
    if !l.ql.replace(index, ctx.argv.get(3)) {
        return Err(CmdError::IndexOutOfRange);
    }
    ctx.reply.ok();
    ctx.ks.modified(db, key);
    ctx.ks.notify(notify::LIST, "lset", key, db);
    ctx.ks.dirty(1);
    Ok(())
}

/// LTRIM key start stop
pub fn ltrim(ctx: &mut Ctx) -> CmdResult {
    let mut args = ctx.args();
    let key = args.key()?;
    let (start, end) = (args.next_i64()?, args.next_i64()?);
    let db = ctx.db();
    let Some(l) = get_list_mut(ctx.ks, db, key)? else {
        ctx.reply.ok();
        return Ok(());
    };
    let llen = l.len() as i64;
    let start = if start < 0 {
        (llen + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { llen + end } else { end };
    let (ltrim, rtrim) = if start > end || start >= llen {
        (llen, 0)
    } else {
        (start, llen - end.min(llen - 1) - 1)
    };
    l.ql.del_range(0, ltrim as usize);
    let left = l.len();
    l.ql.del_range(left - rtrim as usize, rtrim as usize);
    let empty = l.is_empty();
    ctx.ks.notify(notify::LIST, "ltrim", key, db);
    if empty {
        ctx.ks.delete(db, key);
        ctx.ks.notify(notify::GENERIC, "del", key, db);
    } else {
        ctx.ks.modified(db, key);
    }
    ctx.ks.dirty((ltrim + rtrim) as u64);
    ctx.reply.ok();
    Ok(())
}

/// LREM key count element
pub fn lrem(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let key = ctx.argv.get(1);
    let count = parse_i64(ctx.argv.get(2)).ok_or(CmdError::NotInteger)?;
    let Some(l) = get_list_mut(ctx.ks, db, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = l.ql.remove_matching(ctx.argv.get(3), limit, count < 0);
    let empty = l.is_empty();
    if removed > 0 {
        ctx.ks.modified(db, key);
        ctx.ks.notify(notify::LIST, "lrem", key, db);
        ctx.ks.dirty(removed as u64);
    }
    if empty {
        ctx.ks.delete(db, key);
        ctx.ks.notify(notify::GENERIC, "del", key, db);
    }
    ctx.reply.int(removed as i64);
    Ok(())
}

// ---------------------------------------------------------------- pop

/// LPOP/RPOP key [count]
fn pop_generic(ctx: &mut Ctx, end: End) -> CmdResult {
    let argc = ctx.argv.len();
    if argc > 3 {
        return Err(CmdError::WrongArity(ctx.cmd.full_name.to_string()));
    }
    let count = match ctx.argv.try_get(2) {
        Some(a) => Some(parse_at_least(a, 0, "value is out of range, must be positive")? as usize),
        None => None,
    };
    let db = ctx.db();
    let key = ctx.argv.get(1);
    let Some(l) = get_list_mut(ctx.ks, db, key)? else {
        match count {
            Some(_) => ctx.reply.null_array(),
            None => ctx.reply.null(),
        }
        return Ok(());
    };
    let popped = match count {
        Some(0) => {
            ctx.reply.array_len(0);
            return Ok(());
        }
        None => {
            let Some(v) = l.pop(end) else {
                ctx.reply.null();
                return Ok(());
            };
            ctx.reply.bulk(&v);
            1
        }
        Some(n) => {
            let n = n.min(l.len());
            pop_range(ctx.reply, l, end, n);
            n
        }
    };
    let empty = l.is_empty();
    elements_removed(ctx, key, end, popped, empty);
    Ok(())
}

/// LPOP key [count]
pub fn lpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, End::Left)
}

/// RPOP key [count]
pub fn rpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, End::Right)
}

/// The first of `keys` holding a non-empty list: WRONGTYPE if a key before it
/// (or it) holds another type.
fn first_nonempty(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<Option<usize>, CmdError> {
    let db = ctx.db();
    for (i, key) in keys.iter().enumerate() {
        if get_list_mut(ctx.ks, db, key)?.is_some_and(|l| !l.is_empty()) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Propagates a pop of `n` elements from `key` as `LPOP|RPOP key n`.
fn propagate_pop_count(ctx: &mut Ctx, key: &[u8], end: End, n: usize) {
    let mut count = Vec::new();
    write_i64(&mut count, n as i64);
    ctx.ks.propagate_as(&[end.pop_command(), key, &count]);
}

/// The arguments of LMPOP/BLMPOP after the timeout: keys, end, count.
struct MpopArgs<'a> {
    keys: Vec<&'a [u8]>,
    end: End,
    count: usize,
}

/// Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]` from argv[`at`].
fn parse_mpop<'a>(ctx: &Ctx<'a>, at: usize) -> Result<MpopArgs<'a>, CmdError> {
    let argv = ctx.argv;
    let numkeys = parse_at_least(argv.get(at), 1, "numkeys should be greater than 0")?;
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(at + 1))
        .filter(|&w| w < argv.len())
        .ok_or(CmdError::Syntax)?;
    let end = End::parse(argv.get(where_idx))?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if count.is_none() && more && argv.get(j).eq_ignore_ascii_case(b"COUNT") {
            j += 1;
            count =
                Some(parse_at_least(argv.get(j), 1, "count should be greater than 0")? as usize);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(MpopArgs {
        keys: (at + 1..where_idx).map(|i| argv.get(i)).collect(),
        end,
        count: count.unwrap_or(1),
    })
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn lmpop(ctx: &mut Ctx) -> CmdResult {
    let a = parse_mpop(ctx, 1)?;
    match first_nonempty(ctx, &a.keys)? {
        Some(i) => {
            let n = pop_range_with_key(ctx, a.keys[i], a.end, a.count);
            propagate_pop_count(ctx, a.keys[i], a.end, n);
        }
        None => ctx.reply.null_array(),
    }
    Ok(())
}

/// BLPOP/BRPOP/BLMPOP: pops from the first non-empty list among `keys`, else
/// blocks on all of them. `count` is BLMPOP's (reply `[key, [elements]]`); without
/// it the reply is `[key, element]`.
fn blocking_pop(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    end: End,
    timeout: &[u8],
    count: Option<usize>,
) -> CmdResult {
    let deadline_ms = parse_timeout(timeout, ctx.now_ms())?;
    let Some(i) = first_nonempty(ctx, keys)? else {
        let keys = keys.iter().map(|k| k.to_vec()).collect();
        block_for_keys(
            ctx,
            BlockRequest {
                keys,
                deadline_ms,
                on_timeout: TimeoutReply::NullArray,
                wanted_type: "list",
            },
        );
        return Ok(());
    };
    let key = keys[i];
    match count {
        Some(count) => {
            let n = pop_range_with_key(ctx, key, end, count);
            propagate_pop_count(ctx, key, end, n);
        }
        None => {
            let db = ctx.db();
            let Some(l) = get_list_mut(ctx.ks, db, key)? else {
                return Ok(());
            };
            let Some(v) = l.pop(end) else {
                return Ok(());
            };
            let empty = l.is_empty();
            ctx.reply.array_len(2);
            ctx.reply.bulk(key);
            ctx.reply.bulk(&v);
            elements_removed(ctx, key, end, 1, empty);
            ctx.ks.propagate_as(&[end.pop_command(), key]);
        }
    }
    Ok(())
}

/// BLPOP key [key ...] timeout
pub fn blpop(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let keys: Vec<&[u8]> = (1..argv.len() - 1).map(|i| argv.get(i)).collect();
    blocking_pop(ctx, &keys, End::Left, argv.get(argv.len() - 1), None)
}

/// BRPOP key [key ...] timeout
pub fn brpop(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let keys: Vec<&[u8]> = (1..argv.len() - 1).map(|i| argv.get(i)).collect();
    blocking_pop(ctx, &keys, End::Right, argv.get(argv.len() - 1), None)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn blmpop(ctx: &mut Ctx) -> CmdResult {
    let a = parse_mpop(ctx, 2)?;
    let timeout = ctx.argv.get(1);
    blocking_pop(ctx, &a.keys, a.end, timeout, Some(a.count))
}

// ---------------------------------------------------------------- move

/// Which command is moving, for its propagation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MoveCmd {
    Lmove,
    Rpoplpush,
    Blmove,
    Brpoplpush,
}

/// LMOVE's core: pops from `from` of the source, pushes to `to` of the destination
/// and replies with the element (null when the source does not exist).
fn lmove_generic(ctx: &mut Ctx, from: End, to: End, cmd: MoveCmd) -> CmdResult {
    let db = ctx.db();
    let (src, dst) = (ctx.argv.get(1), ctx.argv.get(2));
    if get_list_mut(ctx.ks, db, src)?.is_none_or(|l| l.is_empty()) {
        ctx.reply.null();
        return Ok(());
    }
    // The destination must be a list (or absent) before anything moves.
    get_list_mut(ctx.ks, db, dst)?;
    let Some(value) = get_list_mut(ctx.ks, db, src)?.and_then(|l| l.pop(from)) else {
        ctx.reply.null();
        return Ok(());
    };

    // The push side (lmoveHandlePush).
    match get_list_mut(ctx.ks, db, dst)? {
        Some(l) => {
            l.push(&value, to);
            ctx.ks.modified(db, dst);
        }
        None => {
            let mut l = new_list(ctx);
            l.push(&value, to);
            ctx.ks.add(db, dst, Value::List(l));
        }
    }
    ctx.ks.notify(notify::LIST, to.push_event(), dst, db);
    ctx.ks.signal_ready(db, dst);
    ctx.reply.bulk(&value);

    // The pop side.
    ctx.ks.notify(notify::LIST, from.pop_event(), src, db);
    if get_list_mut(ctx.ks, db, src)?.is_some_and(|l| l.is_empty()) {
        ctx.ks.delete(db, src);
        ctx.ks.notify(notify::GENERIC, "del", src, db);
    } else {
        ctx.ks.modified(db, src);
    }
    ctx.ks.dirty(1);

    // A blocking move propagates as its plain form; served after blocking, with
    // the ends named as Redis names them then.
    let served = ctx.client.has(flags::BLOCKED);
    match cmd {
        MoveCmd::Blmove => {
            let (f, t) = if served {
                (from.name(), to.name())
            } else {
                (ctx.argv.get(3), ctx.argv.get(4))
            };
            ctx.ks.propagate_as(&[b"LMOVE", src, dst, f, t]);
        }
        MoveCmd::Brpoplpush => ctx.ks.propagate_as(&[b"RPOPLPUSH", src, dst]),
        MoveCmd::Lmove | MoveCmd::Rpoplpush => {}
    }
    Ok(())
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub fn lmove(ctx: &mut Ctx) -> CmdResult {
    let from = End::parse(ctx.argv.get(3))?;
    let to = End::parse(ctx.argv.get(4))?;
    lmove_generic(ctx, from, to, MoveCmd::Lmove)
}

/// RPOPLPUSH source destination
pub fn rpoplpush(ctx: &mut Ctx) -> CmdResult {
    lmove_generic(ctx, End::Right, End::Left, MoveCmd::Rpoplpush)
}

/// BLMOVE/BRPOPLPUSH after parsing: moves if the source has data, else blocks
/// on the source.
fn blmove_generic(ctx: &mut Ctx, from: End, to: End, deadline_ms: i64, cmd: MoveCmd) -> CmdResult {
    let db = ctx.db();
    let src = ctx.argv.get(1);
    if get_list_mut(ctx.ks, db, src)?.is_some() {
        return lmove_generic(ctx, from, to, cmd);
    }
    // Where blocking is denied (MULTI, scripts) the reply is a null bulk; a
    // real timeout replies with a null array, like every list block in 7.0.
    if ctx.client.has(flags::DENY_BLOCKING) {
        ctx.reply.null();
        return Ok(());
    }
    block_for_keys(
        ctx,
        BlockRequest {
            keys: vec![src.to_vec()],
            deadline_ms,
            on_timeout: TimeoutReply::NullArray,
            wanted_type: "list",
        },
    );
    Ok(())
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub fn blmove(ctx: &mut Ctx) -> CmdResult {
    let from = End::parse(ctx.argv.get(3))?;
    let to = End::parse(ctx.argv.get(4))?;
    let deadline_ms = parse_timeout(ctx.argv.get(5), ctx.now_ms())?;
    blmove_generic(ctx, from, to, deadline_ms, MoveCmd::Blmove)
}

/// BRPOPLPUSH source destination timeout
pub fn brpoplpush(ctx: &mut Ctx) -> CmdResult {
    let deadline_ms = parse_timeout(ctx.argv.get(3), ctx.now_ms())?;
    blmove_generic(ctx, End::Right, End::Left, deadline_ms, MoveCmd::Brpoplpush)
}

// ---------------------------------------------------------------- debug

/// The list parts of DEBUG: `QUICKLIST-PACKED-THRESHOLD size` and
/// `QUICKLIST key [full]`. `None` for other subcommands.
pub fn debug_list(ctx: &mut Ctx, sub: &[u8]) -> Option<CmdResult> {
    let argc = ctx.argv.len();
    if sub.eq_ignore_ascii_case(b"quicklist-packed-threshold") && argc == 3 {
        let ok = crate::util::numbers::parse_memory(ctx.argv.get(2))
            .is_some_and(quicklist::set_packed_threshold);
        if !ok {
            return Some(Err(CmdError::err(
                "argument must be a memory value bigger than 1 and smaller than 4gb",
            )));
        }
        ctx.reply.ok();
        return Some(Ok(()));
    }
    if sub.eq_ignore_ascii_case(b"quicklist") && (argc == 3 || argc == 4) {
        let db = ctx.db();
        let full = ctx
            .argv
            .try_get(3)
            .and_then(parse_i64)
            .is_some_and(|v| v != 0);
        let text = match ctx.ks.lookup_read_notouch(db, ctx.argv.get(2)) {
            None => return Some(Err(CmdError::NoSuchKey)),
            Some(RObj {
                value: Value::List(l),
                ..
            }) => l.ql.repr(full),
            Some(_) => return Some(Err(CmdError::err("Not a quicklist encoded object."))),
        };
        print!("{text}");
        ctx.reply.simple("Quicklist structure printed on stdout");
        return Some(Ok(()));
    }
    None
}

/// The list commands.
pub static COMMANDS: &[(&str, Handler)] = &[
    ("blmove", blmove),
    ("blmpop", blmpop),
    ("blpop", blpop),
    ("brpop", brpop),
    ("brpoplpush", brpoplpush),
    ("lindex", lindex),
    ("linsert", linsert),
    ("llen", llen),
    ("lmove", lmove),
    ("lmpop", lmpop),
    ("lpop", lpop),
    ("lpos", lpos),
    ("lpush", lpush),
    ("lpushx", lpushx),
    ("lrange", lrange),
    ("lrem", lrem),
    ("lset", lset),
    ("ltrim", ltrim),
    ("rpop", rpop),
    ("rpoplpush", rpoplpush),
    ("rpush", rpush),
    ("rpushx", rpushx),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn list_of(items: &[&str]) -> List {
        let mut l = List::new(2);
        for i in items {
            l.push_back(i.as_bytes());
        }
        l
    }

    fn reply_bytes(f: impl FnOnce(&mut Reply)) -> String {
        let mut r = Reply::new();
        f(&mut r);
        String::from_utf8(r.buf.clone()).unwrap()
    }

    #[test]
    fn range_reply_clamps_indexes_like_redis() {
        let l = list_of(&["a", "b", "c", "1"]);
        assert_eq!(
            reply_bytes(|r| reply_range(r, &l, 1, -2, false)),
            "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(
            reply_bytes(|r| reply_range(r, &l, -100, 100, false)),
            "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\n1\r\n"
        );
        assert_eq!(reply_bytes(|r| reply_range(r, &l, 2, 1, false)), "*0\r\n");
        assert_eq!(reply_bytes(|r| reply_range(r, &l, 0, -5, false)), "*0\r\n");
        assert_eq!(
            reply_bytes(|r| reply_range(r, &l, -2, -1, true)),
            "*2\r\n$1\r\n1\r\n$1\r\nc\r\n"
        );
    }

    #[test]
    fn pop_range_from_the_right_replies_tail_first() {
        let mut l = list_of(&["a", "b", "c", "d", "e"]);
        let out = reply_bytes(|r| pop_range(r, &mut l, End::Right, 2));
        assert_eq!(out, "*2\r\n$1\r\ne\r\n$1\r\nd\r\n");
        assert_eq!(l.len(), 3);
        let out = reply_bytes(|r| pop_range(r, &mut l, End::Left, 3));
        assert_eq!(out, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
        assert!(l.is_empty());
    }

    #[test]
    fn digest_depends_on_order_not_on_node_layout() {
        let digest = |l: &List| {
            let mut h = Sha1::new();
            l.digest(&mut h);
            h.finish()
        };
        let mut packed = List::new(-2);
        let mut spread = List::new(1);
        for v in ["x", "12", "y"] {
            packed.push_back(v.as_bytes());
            spread.push_back(v.as_bytes());
        }
        assert_eq!(digest(&packed), digest(&spread));
        assert_ne!(digest(&packed), digest(&list_of(&["y", "12", "x"])));
    }

    #[test]
    fn ends_parse_case_insensitively() {
        assert_eq!(End::parse(b"LeFt"), Ok(End::Left));
        assert_eq!(End::parse(b"RIGHT"), Ok(End::Right));
        assert_eq!(End::parse(b"up"), Err(CmdError::Syntax));
    }

    #[test]
    fn count_options_have_their_own_errors() {
        assert_eq!(
            parse_at_least(b"-1", 0, "COUNT can't be negative")
                .unwrap_err()
                .text(),
            "ERR COUNT can't be negative"
        );
        assert_eq!(
            parse_at_least(b"x", 0, "value is out of range, must be positive")
                .unwrap_err()
                .text(),
            "ERR value is out of range, must be positive"
        );
        assert_eq!(parse_at_least(b"3", 1, "m"), Ok(3));
    }
}
