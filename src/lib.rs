//! oxidis: a drop-in replacement for redis-server 7.0.
//!
//! # Architecture in a page
//!
//! One thread owns everything. `server::reactor::EventLoop` runs a mio poll loop that
//! owns every socket (`server`) and the whole data store (`db::keyspace::Keyspace`):
//! there are no locks and no shared state. Each turn it accepts connections, reads
//! requests, parses them (`protocol::request`, zero-copy spans into the query buffer),
//! runs every complete command inline in arrival order (`command::dispatch`), fires
//! due timers from the timer wheel (`server::timer`: cron, active expiry, timeouts),
//! and flushes replies (`protocol::reply`, RESP2/RESP3 written straight into each
//! client's buffer) before sleeping again — the shape of Redis's `ae` loop.
//!
//! Snapshots (BGSAVE, BGREWRITEAOF) `fork()` a child that writes a copy-on-write
//! image of the keyspace, as Redis does; the parent keeps serving and reaps the
//! child from cron (`persist`).
//!
//! # Where things live
//!
//! - `config`: the one static table of directives driving the config file, the command
//!   line, CONFIG GET/SET/REWRITE.
//! - `protocol`: RESP and inline request parsing; the reply writer.
//! - `command`: the command table (generated from Redis's command specs), the
//!   argument cursor, the handler context, central dispatch and errors.
//! - `db`: databases, the incrementally rehashed dict with SCAN cursors, the TTL
//!   index and expiry, the keyspace commands.
//! - `types`: one module per data type with its encodings and commands.
//! - `server`: the reactor, clients, the timer wheel, cron, connection and admin
//!   commands, INFO.
//! - `util`: Redis-exact number parsing/formatting, glob matching, quoting, SHA-1,
//!   the dicts' SipHash-1-2.
//! - `rdb`: the RDB byte format (snapshots and DUMP payloads).
//! - `persist`: SAVE/BGSAVE by fork, loading, DUMP/RESTORE.
//! - `aof`: the multi-part append only file: writing and fsyncing it before replies
//!   go out, BGREWRITEAOF, loading it back.
//! - `logging`, `alloc`: Redis-format logs; the counting allocator behind INFO memory.

pub mod alloc;
pub mod aof;
pub mod command;
pub mod config;
pub mod db;
pub mod logging;
pub mod persist;
pub mod protocol;
pub mod rdb;
pub mod server;
pub mod startup;
pub mod types;
pub mod util;
