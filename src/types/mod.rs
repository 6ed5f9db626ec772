//! Values stored in the keyspace: one module per data type, like Redis's `t_*.c`.
//!
//! `RObj` is what a key maps to: the typed value plus the access clock that
//! OBJECT IDLETIME/FREQ and eviction read. Each type module owns its encodings and its
//! commands (its `COMMANDS` table); this module only names the types and dispatches
//! the questions every type answers (type name, encoding, size, digest).

pub mod bitmap;
pub mod hash;
pub mod hash_shape;
pub mod intset;
pub mod list;
pub mod listpack;
pub mod quicklist;
pub mod set;
pub mod skiplist;
pub mod sort;
pub mod string;
pub mod zset;

use crate::db::ttl_index::TtlSlot;
use crate::util::prefetch::{HeapData, StagedLookup};
use crate::util::sha1::Sha1;
use string::RStr;

/// A typed value.
#[derive(Debug, Clone)]
pub enum Value {
    Str(RStr),
    List(list::List),
    Hash(hash::Hash),
    Set(set::Set),
    ZSet(zset::ZSet),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }

    /// The hash index a lookup of one field or member goes through (a
    /// hashtable hash or set, a skiplist sorted set), for prefetching; `None`
    /// for the small encodings and for strings and lists.
    pub fn member_index(&self) -> Option<&dyn StagedLookup> {
        match self {
            Value::Hash(h) => h.member_index(),
            Value::Set(s) => s.member_index(),
            Value::ZSet(z) => z.member_index(),
            Value::Str(_) | Value::List(_) => None,
        }
    }

    /// An approximation of the bytes this value holds on the heap, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_size(),
            Value::List(l) => l.heap_size(),
            Value::Hash(h) => h.heap_size(),
            Value::Set(s) => s.heap_size(),
            Value::ZSet(z) => z.heap_size(),
        }
    }

    /// Feeds the value into a DEBUG DIGEST hash, independent of its encoding.
    pub fn digest(&self, h: &mut Sha1) {
        match self {
            Value::Str(s) => {
                h.update(b"string");
                h.update(&s.bytes());
            }
            Value::List(l) => l.digest(h),
            Value::Hash(x) => x.digest(h),
            Value::Set(s) => s.digest(h),
            Value::ZSet(z) => z.digest(h),
        }
    }
}

/// A data type that can be picked out of a `Value` (the typed accessors of the
/// keyspace use it to answer WRONGTYPE in one place).
pub trait ValueType: Sized {
    fn of(v: &Value) -> Option<&Self>;
    fn of_mut(v: &mut Value) -> Option<&mut Self>;
}

macro_rules! value_type {
    ($t:ty, $variant:ident) => {
        impl ValueType for $t {
            fn of(v: &Value) -> Option<&Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            fn of_mut(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
}

value_type!(RStr, Str);
value_type!(list::List, List);
value_type!(hash::Hash, Hash);
value_type!(set::Set, Set);
value_type!(zset::ZSet, ZSet);

/// A stored object: the value, its access clock (LRU seconds or LFU counter) and
/// where its database's TTL index records its expire time.
#[derive(Debug)]
pub struct RObj {
    pub value: Value,
    /// LRU clock (seconds, 24 bits like Redis) of the last access.
    pub lru: u32,
    /// Set and read only by `db::Db`, which keeps it and the index in step.
    pub ttl_slot: TtlSlot,
}

impl RObj {
    pub fn new(value: Value, lru: u32) -> RObj {
        RObj {
            value,
            lru,
            ttl_slot: TtlSlot::NONE,
        }
    }
}

/// A string's bytes, for prefetching a key's value with its entry; the other
/// types are reached through `Value::member_index`.
impl HeapData for RObj {
    fn heap_data(&self) -> Option<*const u8> {
        match &self.value {
            Value::Str(s) => s.heap_ptr(),
            _ => None,
        }
    }
}

/// A copy is a new object that no TTL index knows yet (COPY sets its own TTL).
impl Clone for RObj {
    fn clone(&self) -> RObj {
        RObj::new(self.value.clone(), self.lru)
    }
}
