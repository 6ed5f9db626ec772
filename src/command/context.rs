//! The context a handler runs in: the server, the keyspace, the calling client's state,
//! its reply writer and the arguments, as separate borrows so a handler can hold a
//! value from the keyspace while it writes the reply.

use super::args::{ArgCursor, Argv};
use super::Command;
use crate::db::keyspace::Keyspace;
use crate::protocol::reply::Reply;
use crate::server::client::ClientState;
use crate::server::Server;

/// Everything a command handler may touch.
pub struct Ctx<'a> {
    pub srv: &'a mut Server,
    pub ks: &'a mut Keyspace,
    pub client: &'a mut ClientState,
    pub reply: &'a mut Reply,
    pub argv: Argv<'a>,
    pub cmd: &'static Command,
}

impl<'a> Ctx<'a> {
    /// A cursor over the arguments after the command name (after the subcommand
    /// name for subcommands).
    pub fn args(&self) -> ArgCursor<'a> {
        let mut c = self.argv.cursor();
        if self.cmd.parent.is_some() {
            let _ = c.next_bytes();
        }
        c
    }

    /// The selected database.
    #[inline]
    pub fn db(&self) -> usize {
        self.client.db
    }

    /// Command time in ms (fixed while the command runs).
    #[inline]
    pub fn now_ms(&self) -> i64 {
        self.ks.now_ms
    }
}
