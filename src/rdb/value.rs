//! One value and its RDB form: the type byte and encoding a value is saved
//! with (rdb.c's rdbSaveObjectType/rdbSaveObject), and every object type
//! Redis 7.0 loads turned back into a value (rdbLoadObject), with Redis's
//! conversions on load and our sanitizing.
//!
//! # Saving
//!
//! | value                 | type                    | body                                   |
//! |-----------------------|-------------------------|----------------------------------------|
//! | string                | STRING (0)              | the string                             |
//! | list (quicklist)      | LIST_QUICKLIST_2 (18)   | nodes; per node container + bytes      |
//! | set intset            | SET_INTSET (11)         | the intset blob                        |
//! | set hashtable         | SET (2)                 | count, members                         |
//! | zset listpack         | ZSET_LISTPACK (17)      | the listpack                           |
//! | zset skiplist         | ZSET_2 (5)              | count, (member, binary score) from the top |
//! | hash listpack         | HASH_LISTPACK (16)      | the listpack                           |
//! | hash hashtable        | HASH (4)                | count, (field, value)                  |
//!
//! # Loading and sanitizing
//!
//! Every listpack, intset, ziplist and zipmap is validated entry by entry
//! before it becomes a value, whatever `deep` says: our types index into
//! these blobs and must never see invalid bytes. The pair-shaped ones (hash
//! and zset listpacks) are also checked for an even number of entries and
//! repeated fields or members, and zset scores for NaN, since a hash table
//! or skiplist built from them later must not hold duplicates. `deep`
//! (`sanitize-dump-payload yes`) adds what is only about content: zset
//! listpack scores must be numbers. What is rejected comes back as
//! `Corrupt` with Redis's text ("Zset listpack integrity check failed.", ...).
//!
//! Conversions follow rdbLoadObject: ziplists and zipmaps become listpacks;
//! a hash or zset listpack with more entries than `*-max-listpack-entries`,
//! or an intset with more than `set-max-intset-entries`, is converted; the
//! string-per-element types (2, 3, 4, 5) are built in the compact encoding
//! when they fit its limits. List nodes are kept as loaded.

use std::collections::HashSet;
use std::io::{self, BufRead};

use super::legacy;
use super::primitives::{corrupt, write_binary_double, write_len, write_string, RdbReader, Sink};
use super::RdbError;
use crate::config::Config;
use crate::types::hash::{self, Hash};
use crate::types::intset::IntSet;
use crate::types::list::List;
use crate::types::listpack::{Listpack, LpValue};
use crate::types::quicklist::NodeData;
use crate::types::set::{Member, Set};
use crate::types::string::{RStr, EMBSTR_SIZE_LIMIT};
use crate::types::zset::{self, ZSet};
use crate::types::Value;
use crate::util::numbers::parse_f64;

pub const RDB_TYPE_STRING: u8 = 0;
pub const RDB_TYPE_LIST: u8 = 1;
pub const RDB_TYPE_SET: u8 = 2;
pub const RDB_TYPE_ZSET: u8 = 3;
pub const RDB_TYPE_HASH: u8 = 4;
pub const RDB_TYPE_ZSET_2: u8 = 5;
pub const RDB_TYPE_MODULE: u8 = 6;
pub const RDB_TYPE_MODULE_2: u8 = 7;
pub const RDB_TYPE_HASH_ZIPMAP: u8 = 9;
pub const RDB_TYPE_LIST_ZIPLIST: u8 = 10;
pub const RDB_TYPE_SET_INTSET: u8 = 11;
pub const RDB_TYPE_ZSET_ZIPLIST: u8 = 12;
pub const RDB_TYPE_HASH_ZIPLIST: u8 = 13;
pub const RDB_TYPE_LIST_QUICKLIST: u8 = 14;
pub const RDB_TYPE_STREAM_LISTPACKS: u8 = 15;
pub const RDB_TYPE_HASH_LISTPACK: u8 = 16;
pub const RDB_TYPE_ZSET_LISTPACK: u8 = 17;
pub const RDB_TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const RDB_TYPE_STREAM_LISTPACKS_2: u8 = 19;

/// Quicklist node containers in LIST_QUICKLIST_2.
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

/// Collections are presized for at most this many elements from a count
/// read from the input: a forged count must not allocate, and a true one
/// only saves a few rehashes.
const PRESIZE_CAP: u64 = 1 << 16;

fn presize(n: u64) -> usize {
    n.min(PRESIZE_CAP) as usize
}

/// `rdbIsObjectType`: a byte that starts a value (not an opcode).
pub fn is_object_type(t: u8) -> bool {
    t <= RDB_TYPE_MODULE_2 || (RDB_TYPE_HASH_ZIPMAP..=RDB_TYPE_STREAM_LISTPACKS_2).contains(&t)
}

// ---------------------------------------------------------------------------
// Saving
// ---------------------------------------------------------------------------

/// The type byte a value is saved with (`rdbSaveObjectType`).
pub fn type_of(v: &Value) -> u8 {
    match v {
        Value::Str(_) => RDB_TYPE_STRING,
        Value::List(_) => RDB_TYPE_LIST_QUICKLIST_2,
        Value::Set(s) => match s.as_intset() {
            Some(_) => RDB_TYPE_SET_INTSET,
            None => RDB_TYPE_SET,
        },
        Value::ZSet(z) => match z.as_listpack() {
            Some(_) => RDB_TYPE_ZSET_LISTPACK,
            None => RDB_TYPE_ZSET_2,
        },
        Value::Hash(h) if h.is_listpack() => RDB_TYPE_HASH_LISTPACK,
        Value::Hash(_) => RDB_TYPE_HASH,
    }
}

/// Writes the body of a value (`rdbSaveObject`); `compress` is
/// `rdbcompression`.
pub fn write_value<S: Sink>(out: &mut S, v: &Value, compress: bool) -> io::Result<()> {
    match v {
        Value::Str(s) => write_string(out, &s.bytes(), compress),
        Value::List(l) => {
            write_len(out, l.nodes().len() as u64)?;
            for node in l.nodes() {
                match node {
                    NodeData::Packed(lp) => {
                        write_len(out, CONTAINER_PACKED)?;
                        write_string(out, lp.as_bytes(), compress)?;
                    }
                    NodeData::Plain(b) => {
                        write_len(out, CONTAINER_PLAIN)?;
                        write_string(out, b, compress)?;
                    }
                }
            }
            Ok(())
        }
        Value::Set(s) => match s.as_intset() {
            Some(is) => write_string(out, is.as_bytes(), compress),
            None => {
                write_len(out, s.len() as u64)?;
                for m in s.iter() {
                    match m {
                        Member::Str(b) => write_string(out, b, compress)?,
                        Member::Int(_) => m.with_bytes(|b| write_string(out, b, compress))?,
                    }
                }
                Ok(())
            }
        },
        Value::ZSet(z) => match z.as_listpack() {
            Some(lp) => write_string(out, lp.as_bytes(), compress),
            None => {
                // From the highest rank down, as Redis does, so that loading
                // inserts every element at the head of the skiplist.
                write_len(out, z.len() as u64)?;
                if z.is_empty() {
                    return Ok(());
                }
                let mut buf = Vec::new();
                for (m, score) in z.iter_from(z.len() - 1, true) {
                    write_entry(out, m, &mut buf, compress)?;
                    write_binary_double(out, score)?;
                }
                Ok(())
            }
        },
        Value::Hash(h) => match h.as_listpack() {
            Some(lp) => write_string(out, lp.as_bytes(), compress),
            None => {
                write_len(out, h.len() as u64)?;
                let mut buf = Vec::new();
                for (f, v) in h.iter() {
                    write_entry(out, f, &mut buf, compress)?;
                    write_entry(out, v, &mut buf, compress)?;
                }
                Ok(())
            }
        },
    }
}

fn write_entry<S: Sink>(
    out: &mut S,
    v: LpValue,
    buf: &mut Vec<u8>,
    compress: bool,
) -> io::Result<()> {
    match v {
        LpValue::Str(s) => write_string(out, s, compress),
        LpValue::Int(_) => {
            buf.clear();
            v.write_to(buf);
            write_string(out, buf, compress)
        }
    }
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/// What decoding needs to know: the encoding limits and how deep to check.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    pub hash: hash::Limits,
    pub zset: zset::Limits,
    /// `set-max-intset-entries`.
    pub set_max_intset: usize,
    /// `list-max-listpack-size`.
    pub list_fill: i64,
    /// `sanitize-dump-payload yes` (or its resolution for this client).
    pub deep: bool,
}

impl DecodeOptions {
    pub fn new(config: &Config, deep: bool) -> DecodeOptions {
        DecodeOptions {
            hash: hash::Limits::from_config(config),
            zset: zset::Limits::of(config),
            set_max_intset: config.set_max_intset_entries.max(0) as usize,
            list_fill: config.list_max_listpack_size,
            deep,
        }
    }
}

/// Reads the body of a value of RDB type `t` (`rdbLoadObject`). `Ok(None)`
/// is an empty collection (Redis's RDB_LOAD_ERR_EMPTY_KEY).
pub fn read_value<R: BufRead>(
    r: &mut RdbReader<R>,
    t: u8,
    o: &DecodeOptions,
) -> Result<Option<Value>, RdbError> {
    let mut value = read_value_as_saved(r, t, o)?;
    if let Some(Value::Hash(h)) = &mut value {
        h.settle();
    }
    Ok(value)
}

/// [`read_value`] before a hash's field list is shared (`hash_shape`).
fn read_value_as_saved<R: BufRead>(
    r: &mut RdbReader<R>,
    t: u8,
    o: &DecodeOptions,
) -> Result<Option<Value>, RdbError> {
    match t {
        RDB_TYPE_STRING => {
            let b = r.read_string()?;
            let s = if b.len() > EMBSTR_SIZE_LIMIT {
                RStr::raw(b)
            } else {
                RStr::from_bytes(&b)
            };
            Ok(Some(Value::Str(s)))
        }
        RDB_TYPE_LIST => read_linked_list(r, o),
        RDB_TYPE_SET => read_set(r, o),
        RDB_TYPE_ZSET | RDB_TYPE_ZSET_2 => read_zset(r, t == RDB_TYPE_ZSET_2, o),
        RDB_TYPE_HASH => read_hash(r, o),
        RDB_TYPE_LIST_QUICKLIST | RDB_TYPE_LIST_QUICKLIST_2 => read_quicklist(r, t, o),
        RDB_TYPE_HASH_ZIPMAP
        | RDB_TYPE_LIST_ZIPLIST
        | RDB_TYPE_SET_INTSET
        | RDB_TYPE_ZSET_ZIPLIST
        | RDB_TYPE_HASH_ZIPLIST
        | RDB_TYPE_HASH_LISTPACK
        | RDB_TYPE_ZSET_LISTPACK => {
            let blob = r.read_string()?;
            decode_blob(t, &blob, o)
        }
        RDB_TYPE_MODULE | RDB_TYPE_MODULE_2 => {
            let id = r.read_len()?;
            Err(corrupt(format!(
                "The RDB file contains module data I can't load: no matching module type '{}'",
                module_type_name(id)
            )))
        }
        RDB_TYPE_STREAM_LISTPACKS | RDB_TYPE_STREAM_LISTPACKS_2 => Err(corrupt(format!(
            "Stream values (RDB type {t}) are not supported"
        ))),
        _ => Err(corrupt(format!("Unknown RDB encoding type {t}"))),
    }
}

/// The 9-character name of a module type from its 64-bit id
/// (`moduleTypeNameByID`).
pub fn module_type_name(id: u64) -> String {
    const CSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = id >> 10;
    let mut name = [0u8; 9];
    for c in name.iter_mut().rev() {
        *c = CSET[(id & 63) as usize];
        id >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// RDB_TYPE_LIST: a count and the elements.
fn read_linked_list<R: BufRead>(
    r: &mut RdbReader<R>,
    o: &DecodeOptions,
) -> Result<Option<Value>, RdbError> {
    let len = r.read_len()?;
    if len == 0 {
        return Ok(None);
    }
    let mut list = List::new(o.list_fill);
    for _ in 0..len {
        list.push_back(&r.read_string()?);
    }
    Ok(Some(Value::List(list)))
}

/// RDB_TYPE_SET: an intset while it may be one, else a hashtable.
fn read_set<R: BufRead>(
    r: &mut RdbReader<R>,
    o: &DecodeOptions,
) -> Result<Option<Value>, RdbError> {
    let len = r.read_len()?;
    if len == 0 {
        return Ok(None);
    }
    let max = o.set_max_intset.min(1 << 30);
    let mut set = if len > max as u64 {
        Set::new_hashtable(presize(len))
    } else {
        Set::new()
    };
    for _ in 0..len {
        let m = r.read_string()?;
        if !set.add(&m, max) {
            return Err(corrupt("Duplicate set members detected"));
        }
    }
    Ok(Some(Value::Set(set)))
}

/// RDB_TYPE_ZSET (text scores) and RDB_TYPE_ZSET_2 (binary scores).
fn read_zset<R: BufRead>(
    r: &mut RdbReader<R>,
    binary: bool,
    o: &DecodeOptions,
) -> Result<Option<Value>, RdbError> {
    let len = r.read_len()?;
    if len == 0 {
        return Ok(None);
    }
    let mut items: Vec<(Vec<u8>, f64)> = Vec::with_capacity(presize(len));
    for _ in 0..len {
        let m = r.read_string()?;
        let score = if binary {
            r.read_binary_double()?
        } else {
            r.read_legacy_double()?
        };
        if score.is_nan() {
            return Err(corrupt("Zset with NAN score detected"));
        }
        items.push((m, score));
    }
    items.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    if items.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(corrupt("Duplicate zset fields detected"));
    }
    // The skiplist order: by score (-0 equal to 0; no NaN here), then member.
    items.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    Ok(Some(Value::ZSet(ZSet::from_sorted(items, o.zset))))
}

/// RDB_TYPE_HASH: a listpack while the pairs fit its limits, else a table.
fn read_hash<R: BufRead>(
    r: &mut RdbReader<R>,
    o: &DecodeOptions,
) -> Result<Option<Value>, RdbError> {
    let mut remaining = r.read_len()?;
    if remaining == 0 {
        return Ok(None);
    }
    let limits = o.hash;
    let mut table = if remaining > limits.max_entries as u64 {
        Some(Hash::new_table(presize(remaining)))
    } else {
        None
    };
    if table.is_none() {
        let mut lp = Listpack::new();
        let mut fields: HashSet<Vec<u8>> = HashSet::new();
        while remaining > 0 {
            remaining -= 1;
            let f = r.read_string()?;
            let v = r.read_string()?;
            if fields.contains(&f) {
                return Err(corrupt("Hash with dup elements"));
            }
            if f.len() > limits.max_value
                || v.len() > limits.max_value
                || !lp.safe_to_add(f.len() + v.len())
            {
                let mut h = Hash::from_listpack(std::mem::take(&mut lp))
                    .ok_or_else(|| corrupt("Hash listpack integrity check failed."))?;
                h.convert_to_table();
                h.set(&f, &v, limits);
                table = Some(h);
                break;
            }
            lp.push_back(&f);
            lp.push_back(&v);
            fields.insert(f);
        }
        if table.is_none() {
            let h = Hash::from_listpack(lp).ok_or_else(|| corrupt("Hash with dup elements"))?;
            return Ok(Some(Value::Hash(h)));
        }
    }
    let mut h = table.unwrap_or_default();
    while remaining > 0 {
        remaining -= 1;
        let f = r.read_string()?;
        let v = r.read_string()?;
        if h.set(&f, &v, limits) {
            return Err(corrupt("Duplicate hash fields detected"));
        }
    }
    Ok(Some(Value::Hash(h)))
}

/// RDB_TYPE_LIST_QUICKLIST (ziplist nodes) and _2 (listpack or plain nodes).
fn read_quicklist<R: BufRead>(
    r: &mut RdbReader<R>,
    t: u8,
    o: &DecodeOptions,
) -> Result<Option<Value>, RdbError> {
    let nodes = r.read_len()?;
    if nodes == 0 {
        return Ok(None);
    }
    let mut list = List::new(o.list_fill);
    for _ in 0..nodes {
        let container = if t == RDB_TYPE_LIST_QUICKLIST_2 {
            let c = r.read_len()?;
            if c != CONTAINER_PACKED && c != CONTAINER_PLAIN {
                return Err(corrupt("Quicklist integrity check failed."));
            }
            c
        } else {
            CONTAINER_PACKED
        };
        let data = r.read_string()?;
        if data.is_empty() {
            return Err(corrupt("Quicklist integrity check failed."));
        }
        if container == CONTAINER_PLAIN {
            list.append_plain_node(data.into_boxed_slice());
            continue;
        }
        let lp = if t == RDB_TYPE_LIST_QUICKLIST_2 {
            Listpack::from_bytes(&data)
                .ok_or_else(|| corrupt("Listpack integrity check failed."))?
        } else {
            legacy::ziplist_to_listpack(&data)
                .ok_or_else(|| corrupt("Ziplist integrity check failed."))?
        };
        // Empty nodes are skipped; an empty list in the end is an empty key.
        list.append_listpack_node(lp);
    }
    if list.is_empty() {
        return Ok(None);
    }
    Ok(Some(Value::List(list)))
}

/// The types stored as one string blob: zipmap, ziplists, intset, listpacks.
fn decode_blob(t: u8, blob: &[u8], o: &DecodeOptions) -> Result<Option<Value>, RdbError> {
    match t {
        RDB_TYPE_HASH_ZIPMAP => {
            let pairs = legacy::zipmap_pairs(blob)
                .ok_or_else(|| corrupt("Zipmap integrity check failed."))?;
            let mut lp = Listpack::new();
            let mut fields: HashSet<&[u8]> = HashSet::with_capacity(pairs.len());
            let mut maxlen = 0;
            for (f, v) in pairs {
                maxlen = maxlen.max(f.len()).max(v.len());
                if !fields.insert(f) || !lp.safe_to_add(f.len() + v.len()) {
                    return Err(corrupt(format!(
                        "Hash zipmap with dup elements, or big length ({})",
                        f.len()
                    )));
                }
                lp.push_back(f);
                lp.push_back(v);
            }
            let mut h =
                Hash::from_listpack(lp).ok_or_else(|| corrupt("Zipmap integrity check failed."))?;
            if h.len() > o.hash.max_entries || maxlen > o.hash.max_value {
                h.convert_to_table();
            }
            Ok(Some(Value::Hash(h)))
        }
        RDB_TYPE_LIST_ZIPLIST => {
            let values = legacy::ziplist_values(blob)
                .ok_or_else(|| corrupt("List ziplist integrity check failed."))?;
            if values.is_empty() {
                return Ok(None);
            }
            let mut list = List::new(o.list_fill);
            let mut buf = Vec::new();
            for v in values {
                buf.clear();
                v.write_to(&mut buf);
                list.push_back(&buf);
            }
            Ok(Some(Value::List(list)))
        }
        RDB_TYPE_SET_INTSET => {
            let is =
                IntSet::from_bytes(blob).map_err(|_| corrupt("Intset integrity check failed."))?;
            let mut set = Set::from_intset(is);
            if set.len() > o.set_max_intset {
                set.convert_to_hashtable();
            }
            Ok(Some(Value::Set(set)))
        }
        RDB_TYPE_ZSET_ZIPLIST | RDB_TYPE_ZSET_LISTPACK => {
            let msg = if t == RDB_TYPE_ZSET_ZIPLIST {
                "Zset ziplist integrity check failed."
            } else {
                "Zset listpack integrity check failed."
            };
            let Some(lp) = pairs_blob(blob, t == RDB_TYPE_ZSET_ZIPLIST, msg)? else {
                return Ok(None);
            };
            if !zset_listpack_is_sane(&lp, o.deep) {
                return Err(corrupt(msg));
            }
            let mut z = ZSet::from_listpack(lp).ok_or_else(|| corrupt(msg))?;
            if z.len() > o.zset.max_entries {
                z.convert_to_skiplist();
            }
            Ok(Some(Value::ZSet(z)))
        }
        RDB_TYPE_HASH_ZIPLIST | RDB_TYPE_HASH_LISTPACK => {
            let msg = if t == RDB_TYPE_HASH_ZIPLIST {
                "Hash ziplist integrity check failed."
            } else {
                "Hash listpack integrity check failed."
            };
            let Some(lp) = pairs_blob(blob, t == RDB_TYPE_HASH_ZIPLIST, msg)? else {
                return Ok(None);
            };
            let mut h = Hash::from_listpack(lp).ok_or_else(|| corrupt(msg))?;
            if h.len() > o.hash.max_entries {
                h.convert_to_table();
            }
            Ok(Some(Value::Hash(h)))
        }
        _ => Err(corrupt(format!("Unknown RDB encoding type {t}"))),
    }
}

/// The checks a zset listpack needs before it becomes a value: an even
/// number of entries, no repeated member and no NaN score always; with
/// `deep`, every score a number.
fn zset_listpack_is_sane(lp: &Listpack, deep: bool) -> bool {
    if !lp.len().is_multiple_of(2) {
        return false;
    }
    let mut members: HashSet<Vec<u8>> = HashSet::with_capacity(lp.len() / 2);
    let mut it = lp.iter();
    while let (Some(m), Some(s)) = (it.next(), it.next()) {
        if !members.insert(m.to_vec()) {
            return false;
        }
        if zset::lp_score(s).is_nan() {
            return false;
        }
        if deep {
            if let LpValue::Str(text) = s {
                if parse_f64(text).is_none() {
                    return false;
                }
            }
        }
    }
    true
}

/// The listpack of a hash's or zset's field/value pairs, from its listpack or
/// legacy ziplist blob; `None` when it holds nothing (an empty key).
fn pairs_blob(blob: &[u8], ziplist: bool, msg: &'static str) -> Result<Option<Listpack>, RdbError> {
    let lp = if ziplist {
        legacy::ziplist_pairs_to_listpack(blob)
    } else {
        Listpack::from_bytes(blob)
    }
    .ok_or_else(|| corrupt(msg))?;
    Ok((!lp.is_empty()).then_some(lp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::primitives::write_len;

    fn opts() -> DecodeOptions {
        DecodeOptions::new(&Config::default(), true)
    }

    fn decode(t: u8, body: &[u8], o: &DecodeOptions) -> Result<Option<Value>, RdbError> {
        let mut src = body;
        let mut r = RdbReader::new(&mut src, false, None);
        let v = read_value(&mut r, t, o)?;
        assert!(r.at_end()?, "left over bytes");
        Ok(v)
    }

    fn encode(v: &Value) -> (u8, Vec<u8>) {
        let mut out = Vec::new();
        write_value(&mut out, v, true).unwrap();
        (type_of(v), out)
    }

    fn strings(items: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        write_len(&mut out, items.len() as u64).unwrap();
        for s in items {
            write_string(&mut out, s, false).unwrap();
        }
        out
    }

    fn err(r: Result<Option<Value>, RdbError>) -> String {
        r.expect_err("expected an error").to_string()
    }

    #[test]
    fn object_types_are_those_redis_accepts() {
        let types: Vec<u8> = (0..=255).filter(|&t| is_object_type(t)).collect();
        let mut want: Vec<u8> = (0..=7).collect();
        want.extend(9..=19);
        assert_eq!(types, want);
    }

    #[test]
    fn string_set_loads_as_intset_then_converts_on_text() {
        let v = decode(RDB_TYPE_SET, &strings(&[b"3", b"1", b"2"]), &opts())
            .unwrap()
            .unwrap();
        let Value::Set(s) = &v else { panic!() };
        assert_eq!(s.encoding(), "intset");
        assert_eq!(
            s.iter().map(|m| m.to_vec()).collect::<Vec<_>>(),
            [b"1", b"2", b"3"]
        );
        let v = decode(RDB_TYPE_SET, &strings(&[b"3", b"x"]), &opts())
            .unwrap()
            .unwrap();
        assert_eq!(v.encoding(), "hashtable");
        assert_eq!(
            err(decode(RDB_TYPE_SET, &strings(&[b"3", b"3"]), &opts())),
            "Duplicate set members detected"
        );
        assert_eq!(
            err(decode(RDB_TYPE_SET, &strings(&[b"x", b"x"]), &opts())),
            "Duplicate set members detected"
        );
    }

    #[test]
    fn string_hash_picks_its_encoding_like_redis() {
        let v = decode(
            RDB_TYPE_HASH,
            &strings(&[b"f", b"v", b"g", b"w"])[..],
            &opts(),
        );
        // A hash count is of pairs: fix the count byte (4 strings = 2 pairs).
        assert!(v.is_err());
        let mut body = strings(&[b"f", b"v", b"g", b"w"]);
        body[0] = 2;
        let v = decode(RDB_TYPE_HASH, &body, &opts()).unwrap().unwrap();
        assert_eq!(v.encoding(), "listpack");
        let long = vec![b'x'; 100];
        let mut body = strings(&[b"f", b"v", b"g", &long]);
        body[0] = 2;
        let Value::Hash(h) = decode(RDB_TYPE_HASH, &body, &opts()).unwrap().unwrap() else {
            panic!()
        };
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 2);
        assert_eq!(h.get(b"g").unwrap().to_vec(), long);
        let mut body = strings(&[b"f", b"v", b"f", b"w"]);
        body[0] = 2;
        assert_eq!(
            err(decode(RDB_TYPE_HASH, &body, &opts())),
            "Hash with dup elements"
        );
    }

    #[test]
    fn legacy_zset_sorts_and_converts_after_loading() {
        let mut body = Vec::new();
        write_len(&mut body, 3).unwrap();
        for (m, s) in [
            (&b"b"[..], &b"\x012"[..]),
            (b"a", b"\x012"),
            (b"c", b"\x04-1.5"),
        ] {
            write_string(&mut body, m, false).unwrap();
            body.extend_from_slice(s);
        }
        let Value::ZSet(z) = decode(RDB_TYPE_ZSET, &body, &opts()).unwrap().unwrap() else {
            panic!()
        };
        assert_eq!(z.encoding(), "listpack");
        let got: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        assert_eq!(
            got,
            [
                (b"c".to_vec(), -1.5),
                (b"a".to_vec(), 2.0),
                (b"b".to_vec(), 2.0)
            ]
        );
        let mut nan = Vec::new();
        write_len(&mut nan, 1).unwrap();
        write_string(&mut nan, b"a", false).unwrap();
        nan.push(253);
        assert_eq!(
            err(decode(RDB_TYPE_ZSET, &nan, &opts())),
            "Zset with NAN score detected"
        );
    }

    #[test]
    fn empty_collections_are_empty_keys() {
        for t in [
            RDB_TYPE_LIST,
            RDB_TYPE_SET,
            RDB_TYPE_ZSET,
            RDB_TYPE_HASH,
            RDB_TYPE_ZSET_2,
        ] {
            assert!(decode(t, &[0], &opts()).unwrap().is_none(), "type {t}");
        }
        assert!(decode(RDB_TYPE_LIST_QUICKLIST_2, &[0], &opts())
            .unwrap()
            .is_none());
        // A quicklist whose only node is an empty listpack.
        let mut body = vec![1, 2];
        write_string(&mut body, Listpack::new().as_bytes(), false).unwrap();
        assert!(decode(RDB_TYPE_LIST_QUICKLIST_2, &body, &opts())
            .unwrap()
            .is_none());
        // Empty hash and zset listpacks.
        let mut body = Vec::new();
        write_string(&mut body, Listpack::new().as_bytes(), false).unwrap();
        assert!(decode(RDB_TYPE_HASH_LISTPACK, &body, &opts())
            .unwrap()
            .is_none());
        assert!(decode(RDB_TYPE_ZSET_LISTPACK, &body, &opts())
            .unwrap()
            .is_none());
    }

    #[test]
    fn zset_listpack_checks() {
        let lp = |entries: &[&[u8]]| {
            let mut lp = Listpack::new();
            for e in entries {
                lp.push_back(e);
            }
            let mut body = Vec::new();
            write_string(&mut body, lp.as_bytes(), false).unwrap();
            body
        };
        let shallow = DecodeOptions {
            deep: false,
            ..opts()
        };
        let ok = lp(&[b"a", b"1", b"b", b"2.5"]);
        assert_eq!(
            decode(RDB_TYPE_ZSET_LISTPACK, &ok, &opts())
                .unwrap()
                .unwrap()
                .encoding(),
            "listpack"
        );
        for bad in [
            lp(&[b"a", b"1", b"b"]),
            lp(&[b"a", b"1", b"a", b"2"]),
            lp(&[b"a", b"nan"]),
        ] {
            for o in [opts(), shallow] {
                assert_eq!(
                    err(decode(RDB_TYPE_ZSET_LISTPACK, &bad, &o)),
                    "Zset listpack integrity check failed."
                );
            }
        }
        // A score that is not a number only fails the deep check.
        let text = lp(&[b"a", b"abc"]);
        assert!(decode(RDB_TYPE_ZSET_LISTPACK, &text, &shallow)
            .unwrap()
            .is_some());
        assert!(decode(RDB_TYPE_ZSET_LISTPACK, &text, &opts()).is_err());
    }

    #[test]
    fn listpacks_over_the_entry_limit_convert() {
        let mut config = Config::default();
        config.hash_max_listpack_entries = 1;
        config.zset_max_listpack_entries = 1;
        config.set_max_intset_entries = 1;
        let o = DecodeOptions::new(&config, true);
        let mut h = Hash::new();
        let limits = hash::Limits::from_config(&Config::default());
        h.set(b"a", b"1", limits);
        h.set(b"b", b"2", limits);
        let (t, body) = encode(&Value::Hash(h));
        assert_eq!(t, RDB_TYPE_HASH_LISTPACK);
        assert_eq!(
            decode(t, &body, &o).unwrap().unwrap().encoding(),
            "hashtable"
        );
        let z = ZSet::from_sorted(
            vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)],
            zset::Limits::of(&Config::default()),
        );
        let (t, body) = encode(&Value::ZSet(z));
        assert_eq!(t, RDB_TYPE_ZSET_LISTPACK);
        assert_eq!(
            decode(t, &body, &o).unwrap().unwrap().encoding(),
            "skiplist"
        );
        let mut s = Set::new();
        s.add(b"1", 512);
        s.add(b"2", 512);
        let (t, body) = encode(&Value::Set(s));
        assert_eq!(t, RDB_TYPE_SET_INTSET);
        assert_eq!(
            decode(t, &body, &o).unwrap().unwrap().encoding(),
            "hashtable"
        );
    }

    #[test]
    fn module_and_stream_values_are_refused_by_name() {
        // "mymodule1" style ids: 9 six-bit characters then a 10-bit version.
        let id: u64 = (0..9).fold(0u64, |acc, _| (acc << 6) | 12) << 10;
        assert_eq!(module_type_name(id), "MMMMMMMMM");
        let mut body = Vec::new();
        write_len(&mut body, id).unwrap();
        assert_eq!(
            err(decode(RDB_TYPE_MODULE_2, &body, &opts())),
            "The RDB file contains module data I can't load: no matching module type 'MMMMMMMMM'"
        );
        assert_eq!(
            err(decode(RDB_TYPE_STREAM_LISTPACKS_2, &[0], &opts())),
            "Stream values (RDB type 19) are not supported"
        );
        assert_eq!(err(decode(8, &[0], &opts())), "Unknown RDB encoding type 8");
    }

    #[test]
    fn skiplist_zsets_are_written_from_the_top() {
        let mut config = Config::default();
        config.zset_max_listpack_entries = 0;
        let z = ZSet::from_sorted(
            vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)],
            zset::Limits::of(&config),
        );
        let (t, body) = encode(&Value::ZSet(z));
        assert_eq!(t, RDB_TYPE_ZSET_2);
        let mut want = vec![2, 1, b'b'];
        want.extend_from_slice(&2.0f64.to_le_bytes());
        want.extend_from_slice(&[1, b'a']);
        want.extend_from_slice(&1.0f64.to_le_bytes());
        assert_eq!(body, want);
    }
}
