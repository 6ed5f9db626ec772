//! Values stored in the keyspace: one module per data type, like Redis's `t_*.c`.
//!
//! `RObj` is what a key maps to: the typed value plus the access clock that
//! OBJECT IDLETIME/FREQ and eviction read. Each type module owns its encodings and its
//! commands; this module only names the types and their encodings.

pub mod bitmap;
pub mod string;

use string::RStr;

/// A typed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(RStr),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
        }
    }

    /// An approximation of the bytes this value holds on the heap, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_size(),
        }
    }
}

/// A stored object: the value and its access clock (LRU seconds or LFU counter).
#[derive(Debug, Clone, PartialEq)]
pub struct RObj {
    pub value: Value,
    /// LRU clock (seconds, 24 bits like Redis) of the last access.
    pub lru: u32,
}

impl RObj {
    pub fn new(value: Value, lru: u32) -> RObj {
        RObj { value, lru }
    }
}
