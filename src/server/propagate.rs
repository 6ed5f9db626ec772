//! Propagation: the one path every write takes on its way to the AOF and replicas.
//!
//! After a command that changed the dataset (its `dirty` counter moved), dispatch
//! hands the command — as the handler rewrote it to be deterministic (SET EX becomes
//! SET PXAT, EXPIRE becomes PEXPIREAT, INCRBYFLOAT becomes SET KEEPTTL, ...) — to
//! `Propagator::feed`, preceded by the DELs of keys lazy expiry removed. The
//! propagator encodes the stream as RESP with a SELECT whenever the database changes,
//! exactly what a Redis replica receives. Consumers (AOF, replicas, SYNC clients)
//! drain `stream`; while there are none, nothing is encoded and nothing is copied.
//! While the AOF takes writes, each command is also copied into `aof` (with
//! `#TS:` annotations when enabled), which `crate::aof::flush` writes out.

use crate::command::Argv;
use crate::protocol::resp::write_command;

/// The replication/AOF command stream.
#[derive(Debug, Default)]
pub struct Propagator {
    /// Number of attached consumers; zero means propagation is free.
    pub consumers: usize,
    /// Database the stream last selected.
    selected_db: Option<usize>,
    /// Encoded commands not yet taken by the consumers.
    pub stream: Vec<u8>,
    /// Total bytes ever encoded (the replication offset).
    pub offset: u64,
    /// The AOF's copy of the stream.
    pub aof: AofFeed,
}

/// The AOF's share of the stream (Redis's `aof_buf`): every command fed while
/// `enabled`, SELECTs included, replicas-only ones (PING, PUBLISH) not.
#[derive(Debug, Default)]
pub struct AofFeed {
    pub enabled: bool,
    /// `aof-timestamp-enabled`: a `#TS:<unix time>` line before the first command
    /// of each second.
    pub timestamps: bool,
    /// The second of the last annotation (aof_cur_timestamp).
    pub last_timestamp: i64,
    /// Bytes waiting to be written to the AOF.
    pub buf: Vec<u8>,
}

impl AofFeed {
    /// Appends what the stream gained for one command.
    fn take(&mut self, encoded: &[u8]) {
        if self.timestamps {
            let now = crate::server::unix_ms() / 1000;
            if self.last_timestamp < now {
                self.last_timestamp = now;
                self.buf
                    .extend_from_slice(format!("#TS:{now}\r\n").as_bytes());
            }
        }
        self.buf.extend_from_slice(encoded);
    }
}

/// A command EXEC collected from its queue, propagated when the transaction ends.
#[derive(Debug)]
pub struct PendingOp {
    pub db: usize,
    pub argv: crate::command::OwnedArgv,
    /// PUBLISH goes to replicas but not to the AOF.
    pub replicas_only: bool,
}

impl Propagator {
    /// True when someone will read the stream.
    #[inline]
    pub fn active(&self) -> bool {
        self.consumers > 0
    }

    /// Appends one command executed against `db`, for every consumer.
    pub fn feed(&mut self, db: usize, argv: Argv) {
        self.encode(Some(db), argv.iter(), true);
    }

    /// Appends a command that belongs to no database (EXEC closing a
    /// transaction): no SELECT precedes it.
    pub fn feed_same_db(&mut self, argv: &[&[u8]]) {
        self.encode(None, argv.iter().copied(), true);
    }

    /// Appends a command for the replicas only, never the AOF (the replication
    /// PING with `db` None; PUBLISH, which Redis propagates to replicas only).
    pub fn feed_replicas_only(&mut self, db: Option<usize>, argv: &[&[u8]]) {
        self.encode(db, argv.iter().copied(), false);
    }

    /// Encodes one command, after a SELECT when `db` is not the selected one.
    /// The AOF gets a copy when `to_aof`; otherwise it still gets the SELECT, so
    /// that the database it sees selected stays the stream's.
    fn encode<'a, I: ExactSizeIterator<Item = &'a [u8]>>(
        &mut self,
        db: Option<usize>,
        args: I,
        to_aof: bool,
    ) {
        if !self.active() {
            return;
        }
        let start = self.stream.len();
        if let Some(db) = db.filter(|&d| self.selected_db != Some(d)) {
            let n = db.to_string();
            write_command(&mut self.stream, [&b"SELECT"[..], n.as_bytes()]);
            self.selected_db = Some(db);
        }
        let command_start = self.stream.len();
        write_command(&mut self.stream, args);
        self.offset += (self.stream.len() - start) as u64;
        if self.aof.enabled {
            let end = if to_aof {
                self.stream.len()
            } else {
                command_start
            };
            if end > start {
                self.aof.take(&self.stream[start..end]);
            }
        }
    }

    /// Forgets the selected database, so the next command re-selects (a new
    /// consumer, or after FLUSHALL/SWAPDB).
    pub fn reset_selected_db(&mut self) {
        self.selected_db = None;
    }
}

/// Hands the stream encoded this loop turn to its consumers: first the AOF, which
/// writes it out (and with `appendfsync always` fsyncs it) before any reply of
/// this turn is sent, then the replicas.
pub fn deliver(srv: &mut crate::server::Server) {
    crate::aof::flush(srv, false);
    if srv.propagator.stream.is_empty() {
        return;
    }
    if srv.replication.replicas.is_empty() {
        srv.propagator.stream.clear();
    } else {
        crate::server::replication::drain(srv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::OwnedArgv;

    #[test]
    fn nothing_is_encoded_without_consumers() {
        let mut p = Propagator::default();
        let a = OwnedArgv::from_parts([&b"SET"[..], b"k", b"v"]);
        p.feed(0, a.view());
        assert!(p.stream.is_empty());
        assert_eq!(p.offset, 0);
    }

    #[test]
    fn select_precedes_a_change_of_database() {
        let mut p = Propagator {
            consumers: 1,
            ..Default::default()
        };
        let a = OwnedArgv::from_parts([&b"DEL"[..], b"k"]);
        p.feed(9, a.view());
        p.feed(9, a.view());
        p.feed(0, a.view());
        let expected = "*2\r\n$6\r\nSELECT\r\n$1\r\n9\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n";
        assert_eq!(String::from_utf8_lossy(&p.stream), expected);
        assert_eq!(p.offset, expected.len() as u64);
    }

    #[test]
    fn the_aof_gets_every_command_but_the_replicas_only_ones_and_their_selects() {
        let mut p = Propagator {
            consumers: 1,
            ..Default::default()
        };
        p.aof.enabled = true;
        let a = OwnedArgv::from_parts([&b"DEL"[..], b"k"]);
        p.feed(1, a.view());
        p.feed_replicas_only(None, &[b"PING"]);
        p.feed_replicas_only(Some(2), &[b"PUBLISH", b"c", b"m"]);
        p.feed(2, a.view());
        p.feed_same_db(&[b"EXEC"]);
        assert_eq!(
            String::from_utf8_lossy(&p.aof.buf),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n\
             *2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n\
             *1\r\n$4\r\nEXEC\r\n"
        );
    }

    #[test]
    fn a_timestamp_annotation_precedes_the_first_command_of_a_second() {
        let mut p = Propagator {
            consumers: 1,
            ..Default::default()
        };
        p.aof.enabled = true;
        p.aof.timestamps = true;
        let a = OwnedArgv::from_parts([&b"DEL"[..], b"k"]);
        p.feed(0, a.view());
        p.feed(0, a.view());
        let text = String::from_utf8_lossy(&p.aof.buf).into_owned();
        assert!(text.starts_with("#TS:"), "{text}");
        assert_eq!(text.matches("#TS:").count(), 1, "{text}");
        assert!(text.contains("\r\n*2\r\n$6\r\nSELECT\r\n"), "{text}");
    }
}
