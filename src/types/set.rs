//! Placeholder for the Set type: replaced by its full module (encodings and commands).

use crate::command::Handler;
use crate::util::sha1::Sha1;

/// A set value.
#[derive(Debug, Clone, Default)]
pub struct Set {}

impl Set {
    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "intset"
    }

    /// Heap bytes held, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        0
    }

    /// Feeds DEBUG DIGEST: the same logical content gives the same digest whatever
    /// the encoding.
    pub fn digest(&self, h: &mut Sha1) {
        h.update(b"set");
    }
}

/// The set commands.
pub static COMMANDS: &[(&str, Handler)] = &[];
