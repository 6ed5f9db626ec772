//! SORT and SORT_RO: sorting lists, sets and sorted sets, numerically or
//! lexicographically, by the elements themselves or by external keys (BY with `*`
//! patterns and `->field` hash lookups), returning elements or GET patterns, with
//! LIMIT, and storing the result as a list (STORE).

use std::cmp::Ordering;

use crate::command::args::is_token;
use crate::command::{CmdError, CmdResult, Ctx, Handler};
use crate::db::keyspace::notify;
use crate::types::listpack::LpValue;
use crate::types::{RObj, Value};
use crate::util::numbers::parse_i64;

/// The sort commands.
pub static COMMANDS: &[(&str, Handler)] = &[("sort", sort), ("sort_ro", sort_ro)];

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dest]
pub fn sort(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, false)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
pub fn sort_ro(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, true)
}

/// Parsed options.
struct Options<'a> {
    by: Option<&'a [u8]>,
    gets: Vec<&'a [u8]>,
    limit: Option<(i64, i64)>,
    desc: bool,
    alpha: bool,
    store: Option<&'a [u8]>,
    dontsort: bool,
}

fn parse_options<'a>(ctx: &Ctx<'a>, readonly: bool) -> Result<Options<'a>, CmdError> {
    let mut o = Options {
        by: None,
        gets: Vec::new(),
        limit: None,
        desc: false,
        alpha: false,
        store: None,
        dontsort: false,
    };
    let argv = ctx.argv;
    let mut j = 2;
    while j < argv.len() {
        let a = argv.get(j);
        let left = argv.len() - j - 1;
        if is_token(a, "ASC") {
            o.desc = false;
        } else if is_token(a, "DESC") {
            o.desc = true;
        } else if is_token(a, "ALPHA") {
            o.alpha = true;
        } else if is_token(a, "LIMIT") && left >= 2 {
            let start = parse_i64(argv.get(j + 1)).ok_or(CmdError::NotInteger)?;
            let count = parse_i64(argv.get(j + 2)).ok_or(CmdError::NotInteger)?;
            o.limit = Some((start, count));
            j += 2;
        } else if is_token(a, "STORE") && left >= 1 && !readonly {
            o.store = Some(argv.get(j + 1));
            j += 1;
        } else if is_token(a, "BY") && left >= 1 {
            let p = argv.get(j + 1);
            // A pattern without '*' means "don't sort" (BY nosort).
            if !p.contains(&b'*') {
                o.dontsort = true;
            }
            o.by = Some(p);
            j += 1;
        } else if is_token(a, "GET") && left >= 1 {
            o.gets.push(argv.get(j + 1));
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// Resolves a BY/GET pattern for `elem`: `#` is the element itself; the first `*`
/// is replaced by the element; `key->field` reads a hash field. None when the key
/// or field is missing or of the wrong type.
fn lookup_by_pattern(ctx: &mut Ctx, pattern: &[u8], elem: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(elem.to_vec());
    }
    let star = pattern.iter().position(|&c| c == b'*')?;
    // "->" after the '*' separates the hash field (only if something follows it).
    let arrow = pattern[star..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|p| p + star)
        .filter(|&p| p + 2 < pattern.len());
    let key_pat = match arrow {
        Some(p) => &pattern[..p],
        None => pattern,
    };
    let mut key = Vec::with_capacity(key_pat.len() + elem.len());
    key.extend_from_slice(&key_pat[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&key_pat[star + 1..]);
    let db = ctx.db();
    let obj = ctx.ks.lookup_read(db, &key)?;
    match (arrow, &obj.value) {
        (None, Value::Str(s)) => Some(s.bytes().to_vec()),
        (Some(p), Value::Hash(h)) => h.get(&pattern[p + 2..]).map(|v| v.to_vec()),
        _ => None,
    }
}

/// The elements of the value to sort, in its natural order.
fn elements(obj: Option<&RObj>) -> Result<Vec<Vec<u8>>, CmdError> {
    let Some(obj) = obj else {
        return Ok(Vec::new());
    };
    Ok(match &obj.value {
        Value::List(l) => l.iter().map(|v: LpValue| v.to_vec()).collect(),
        Value::Set(s) => s.iter().map(|m| m.to_vec()).collect(),
        Value::ZSet(z) => z.iter().map(|(m, _)| m.to_vec()).collect(),
        _ => return Err(CmdError::WrongType),
    })
}

/// One element and what it sorts by.
struct Item {
    elem: Vec<u8>,
    score: f64,
    cmp: Option<Vec<u8>>,
}

fn sort_generic(ctx: &mut Ctx, readonly: bool) -> CmdResult {
    let key = ctx.argv.get(1);
    let mut o = parse_options(ctx, readonly)?;
    let db = ctx.db();
    let (is_set, is_zset) = match ctx.ks.lookup_read(db, key) {
        Some(RObj {
            value: Value::Set(_),
            ..
        }) => (true, false),
        Some(RObj {
            value: Value::ZSet(_),
            ..
        }) => (false, true),
        _ => (false, false),
    };
    // Sets have no order: when the result is stored, sort it anyway so replicas
    // and the AOF agree (Redis does the same).
    if is_set && o.store.is_some() && o.dontsort {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let elems = elements(ctx.ks.lookup_read(db, key))?;
    let n = elems.len() as i64;
    let (mut start, mut count) = o.limit.unwrap_or((0, -1));
    if start < 0 {
        start = 0;
    }
    if count < 0 || start.saturating_add(count) > n {
        count = (n - start).max(0);
    }
    if start >= n {
        start = n;
        count = 0;
    }
    let mut items: Vec<Item> = if o.dontsort && is_zset && o.desc {
        elems
            .into_iter()
            .rev()
            .map(|e| Item {
                elem: e,
                score: 0.0,
                cmp: None,
            })
            .collect()
    } else {
        elems
            .into_iter()
            .map(|e| Item {
                elem: e,
                score: 0.0,
                cmp: None,
            })
            .collect()
    };
    if !o.dontsort {
        let sort_by_pattern = o.by.is_some();
        for it in items.iter_mut() {
            let byval = match o.by {
                Some(p) => match lookup_by_pattern(ctx, p, &it.elem) {
                    Some(v) => v,
                    None => continue,
                },
                None => it.elem.clone(),
            };
            if o.alpha {
                if sort_by_pattern {
                    it.cmp = Some(byval);
                }
            } else {
                let s = std::str::from_utf8(&byval).ok().and_then(parse_strtod);
                match s {
                    Some(v) => it.score = v,
                    None => {
                        return Err(CmdError::err(
                            "One or more scores can't be converted into double",
                        ))
                    }
                }
            }
        }
        let desc = o.desc;
        let alpha = o.alpha;
        items.sort_by(|a, b| {
            let cmp = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.elem.cmp(&b.elem))
            } else if sort_by_pattern {
                match (&a.cmp, &b.cmp) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => x.cmp(y),
                }
            } else {
                a.elem.cmp(&b.elem)
            };
            if desc {
                cmp.reverse()
            } else {
                cmp
            }
        });
    }
    let selected = &items[start as usize..(start + count) as usize];
    // Build the output rows (element, or one value per GET pattern).
    let mut rows: Vec<Option<Vec<u8>>> = Vec::new();
    for it in selected {
        if o.gets.is_empty() {
            rows.push(Some(it.elem.clone()));
        } else {
            for g in &o.gets {
                let v = lookup_by_pattern(ctx, g, &it.elem);
                rows.push(v);
            }
        }
    }
    match o.store {
        None => {
            ctx.reply.array_len(rows.len());
            for r in &rows {
                ctx.reply.opt_bulk(r.as_deref());
            }
        }
        Some(dst) => {
            let n = rows.len();
            if n == 0 {
                if ctx.ks.delete(db, dst) {
                    ctx.ks.notify(notify::GENERIC, "del", dst, db);
                    ctx.ks.dirty(1);
                }
            } else {
                let fill = ctx.srv.config.list_max_listpack_size;
                let mut list = crate::types::list::List::new(fill);
                for r in &rows {
                    list.push_back(r.as_deref().unwrap_or(b""));
                }
                ctx.ks.set_or_add(db, dst, Value::List(list), false);
                ctx.ks.notify(notify::LIST, "sortstore", dst, db);
                ctx.ks.signal_ready(db, dst);
                ctx.ks.dirty(n as u64);
            }
            ctx.reply.int(n as i64);
        }
    }
    Ok(())
}

/// strtod-like parsing of a whole string (what SORT accepts as a score): decimal,
/// exponent, inf; NaN and trailing garbage are rejected.
fn parse_strtod(s: &str) -> Option<f64> {
    let v = crate::util::numbers::parse_f64(s.as_bytes())?;
    (!v.is_nan()).then_some(v)
}
