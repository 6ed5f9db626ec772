//! Placeholder for the Hash type: replaced by its full module (encodings and commands).

use crate::command::Handler;
use crate::util::sha1::Sha1;

/// A hash value.
#[derive(Debug, Clone, Default)]
pub struct Hash {}

impl Hash {
    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }

    /// Heap bytes held, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        0
    }

    /// Feeds DEBUG DIGEST: the same logical content gives the same digest whatever
    /// the encoding.
    pub fn digest(&self, h: &mut Sha1) {
        h.update(b"hash");
    }
}

/// The hash commands.
pub static COMMANDS: &[(&str, Handler)] = &[];
