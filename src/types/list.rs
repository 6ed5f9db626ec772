//! Placeholder for the List type: replaced by its full module (encodings and commands).

use crate::command::Handler;
use crate::util::sha1::Sha1;

/// A list value.
#[derive(Debug, Clone, Default)]
pub struct List {}

impl List {
    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Heap bytes held, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        0
    }

    /// Feeds DEBUG DIGEST: the same logical content gives the same digest whatever
    /// the encoding.
    pub fn digest(&self, h: &mut Sha1) {
        h.update(b"list");
    }
}

/// The list commands.
pub static COMMANDS: &[(&str, Handler)] = &[];
