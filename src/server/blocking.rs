//! Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, BLMPOP, ...).
//!
//! A blocking handler that finds no data calls `block_for_keys`: the client is
//! flagged BLOCKED, its command is kept (an owned copy of argv), it joins a FIFO
//! queue per key, and — with a timeout — a timer is put on the wheel. Its further
//! input waits. Writes that add data to a key somebody waits on call
//! `Keyspace::signal_ready`; after the command, `serve_ready_keys` re-runs the
//! blocked commands of that key's waiters in arrival order, as long as the key
//! still exists with the type they wait for. A re-run that finds data replies and
//! unblocks; one that finds none simply stays blocked (its original deadline holds).
//! Timeouts, CLIENT UNBLOCK and disconnection unblock too.

use std::collections::{HashMap, VecDeque};

use super::client::{flags, Client, ClientState};
use super::timer::TimerId;
use super::{unix_ms, Server, Timer};
use crate::command::{CmdError, Ctx, OwnedArgv};
use crate::db::keyspace::Keyspace;
use crate::protocol::reply::Reply;

/// What a blocked command replies when its time runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutReply {
    /// `*-1` in RESP2 (BLPOP, BRPOP, BZPOPMIN, BLMPOP, BZMPOP).
    NullArray,
    /// `$-1` in RESP2 (BLMOVE, BRPOPLPUSH).
    Null,
}

impl TimeoutReply {
    pub fn write(self, r: &mut Reply) {
        match self {
            TimeoutReply::NullArray => r.null_array(),
            TimeoutReply::Null => r.null(),
        }
    }
}

/// A blocking request made by a handler, completed by dispatch (which owns argv).
#[derive(Debug, Clone)]
pub struct BlockRequest {
    pub keys: Vec<Vec<u8>>,
    /// Absolute unix ms, 0 for no timeout.
    pub deadline_ms: i64,
    pub on_timeout: TimeoutReply,
    /// The value type that can serve this client ("list", "zset").
    pub wanted_type: &'static str,
}

/// A client waiting for data.
#[derive(Debug)]
pub struct Blocked {
    pub slot: usize,
    /// The command, for its stats when the block ends.
    pub cmd_id: usize,
    pub db: usize,
    pub req: BlockRequest,
    pub argv: OwnedArgv,
    pub timer: Option<TimerId>,
}

/// Every blocked client and the queues of waiters per key.
#[derive(Debug, Default)]
pub struct BlockingState {
    /// Client id → what it waits for.
    pub blocked: HashMap<u64, Blocked>,
    /// (db, key) → client ids in arrival order.
    pub waiters: HashMap<(usize, Vec<u8>), VecDeque<u64>>,
    /// Set by `block_for_keys` while a blocked command is re-run and finds no data.
    pub reblocked: bool,
    /// Set by `block_for_keys` on a first run; dispatch registers it.
    pub pending: Option<BlockRequest>,
    /// True while `serve_ready_keys` runs (it is not re-entered).
    pub serving: bool,
}

/// Parses a blocking timeout (seconds, decimals allowed) into an absolute deadline
/// in unix ms, 0 meaning "forever" — Redis's getTimeoutFromObjectOrReply.
pub fn parse_timeout(arg: &[u8], now_ms: i64) -> Result<i64, CmdError> {
    let secs = crate::util::numbers::parse_long_double_like(arg)
        .filter(|v| v.is_finite())
        .ok_or_else(|| CmdError::err("timeout is not a float or out of range"))?;
    if secs < 0.0 {
        return Err(CmdError::err("timeout is negative"));
    }
    let ms = (secs * 1000.0).round();
    if ms > (i64::MAX / 2) as f64 {
        return Err(CmdError::err("timeout is out of range"));
    }
    let ms = ms as i64;
    Ok(if ms > 0 { now_ms + ms } else { 0 })
}

/// Called by a blocking handler that found no data: blocks the caller on `keys`.
/// Inside MULTI (or wherever blocking is denied) it replies as on timeout instead.
pub fn block_for_keys(ctx: &mut Ctx, req: BlockRequest) {
    if ctx.client.has(flags::DENY_BLOCKING) {
        req.on_timeout.write(ctx.reply);
        return;
    }
    if ctx.client.has(flags::BLOCKED) {
        // A re-run found nothing: stay blocked under the original registration.
        ctx.srv.blocking.reblocked = true;
        return;
    }
    ctx.client.flags |= flags::BLOCKED;
    ctx.srv.blocking.pending = Some(req);
}

/// Registers the block a handler requested (called by dispatch, which has argv).
pub fn register(
    srv: &mut Server,
    ks: &mut Keyspace,
    client: &ClientState,
    cmd_id: usize,
    argv: OwnedArgv,
    req: BlockRequest,
) {
    let id = client.id;
    let db = client.db;
    for k in &req.keys {
        let q = srv.blocking.waiters.entry((db, k.clone())).or_default();
        if !q.contains(&id) {
            q.push_back(id);
        }
        ks.add_blocking_key(db, k);
    }
    let timer =
        (req.deadline_ms > 0).then(|| srv.timers.add(req.deadline_ms, Timer::BlockTimeout(id)));
    srv.blocking.blocked.insert(
        id,
        Blocked {
            slot: client.slot,
            cmd_id,
            db,
            req,
            argv,
            timer,
        },
    );
}

/// Forgets `id`'s registration (its flag is cleared by the caller).
fn unregister(srv: &mut Server, ks: &mut Keyspace, id: u64) -> Option<Blocked> {
    let b = srv.blocking.blocked.remove(&id)?;
    for k in &b.req.keys {
        let key = (b.db, k.clone());
        if let Some(q) = srv.blocking.waiters.get_mut(&key) {
            q.retain(|&c| c != id);
            if q.is_empty() {
                srv.blocking.waiters.remove(&key);
            }
        }
        ks.remove_blocking_key(b.db, k);
    }
    if let Some(t) = b.timer {
        srv.timers.cancel(t);
    }
    Some(b)
}

/// Unblocks a client that is going away (disconnect).
pub fn forget_client(srv: &mut Server, ks: &mut Keyspace, client: &mut Client) {
    if client.st.has(flags::BLOCKED) {
        unregister(srv, ks, client.st.id);
        client.st.flags &= !flags::BLOCKED;
    }
}

/// Ends a block with the timeout reply (timer, CLIENT UNBLOCK TIMEOUT) or an error
/// (CLIENT UNBLOCK ERROR). Returns false when `id` was not blocked.
pub fn unblock_with(srv: &mut Server, ks: &mut Keyspace, id: u64, error: Option<&str>) -> bool {
    let Some(b) = unregister(srv, ks, id) else {
        return false;
    };
    srv.command_stats[b.cmd_id].calls += 1;
    if error.is_some() {
        srv.command_stats[b.cmd_id].failed_calls += 1;
    }
    if let Some(mut c) = srv.take_client(b.slot) {
        c.st.flags &= !flags::BLOCKED;
        match error {
            Some(e) => {
                c.reply.error(e);
                srv.count_error(e);
            }
            None => b.req.on_timeout.write(&mut c.reply),
        }
        srv.queue_write(&mut c);
        srv.pending_reads.push(b.slot);
        srv.put_client(b.slot, c);
    }
    true
}

/// Handles a fired timeout timer.
pub fn on_timeout(srv: &mut Server, ks: &mut Keyspace, id: u64) {
    let due = srv
        .blocking
        .blocked
        .get(&id)
        .is_some_and(|b| b.req.deadline_ms > 0 && b.req.deadline_ms <= unix_ms() + 1);
    if due {
        // The timer is spent; don't cancel it again.
        if let Some(b) = srv.blocking.blocked.get_mut(&id) {
            b.timer = None;
        }
        unblock_with(srv, ks, id, None);
    }
}

/// Re-runs the commands of clients waiting on keys that got data, in FIFO order,
/// until no ready key is left (serving one client can make another key ready).
/// Re-entrant calls (from the re-run commands themselves) return at once: the
/// outer loop picks up the keys they made ready.
pub fn serve_ready_keys(srv: &mut Server, ks: &mut Keyspace) {
    if srv.blocking.serving || ks.ready_keys.is_empty() {
        return;
    }
    srv.blocking.serving = true;
    let mut rounds = 0;
    while !ks.ready_keys.is_empty() && rounds < 1_000_000 {
        rounds += 1;
        let ready = std::mem::take(&mut ks.ready_keys);
        for (db, key) in ready {
            let waiting: Vec<u64> = match srv.blocking.waiters.get(&(db, key.clone())) {
                Some(q) => q.iter().copied().collect(),
                None => continue,
            };
            for id in waiting {
                // Serve only while the key exists with the type the client waits for.
                let Some(b) = srv.blocking.blocked.get(&id) else {
                    continue;
                };
                let wanted = b.req.wanted_type;
                let matches = ks.dbs[db]
                    .dict
                    .get(key.as_slice())
                    .is_some_and(|o| o.value.type_name() == wanted);
                if !matches {
                    break;
                }
                rerun_blocked(srv, ks, id);
            }
        }
    }
    srv.blocking.serving = false;
}

/// Re-executes blocked client `id`'s command; unblocks it if it was served.
fn rerun_blocked(srv: &mut Server, ks: &mut Keyspace, id: u64) {
    let Some(b) = srv.blocking.blocked.get(&id) else {
        return;
    };
    let (slot, db, argv) = (b.slot, b.db, b.argv.clone());
    let Some(mut c) = srv.take_client(slot) else {
        return;
    };
    srv.blocking.reblocked = false;
    let saved_db = c.st.db;
    c.st.db = db;
    srv.refresh_clock();
    crate::command::dispatch::execute(srv, ks, &mut c, argv.view());
    c.st.db = saved_db;
    if !srv.blocking.reblocked {
        unregister(srv, ks, id);
        c.st.flags &= !flags::BLOCKED;
        srv.pending_reads.push(slot);
    }
    srv.blocking.reblocked = false;
    if c.reply.pending() > 0 {
        srv.queue_write(&mut c);
    }
    srv.put_client(slot, c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_parses_decimal_seconds_into_deadline() {
        assert_eq!(parse_timeout(b"0", 1000).unwrap(), 0);
        assert_eq!(parse_timeout(b"1.5", 1000).unwrap(), 2500);
        assert_eq!(parse_timeout(b"0.0001", 1000).unwrap(), 0);
    }

    #[test]
    fn bad_timeouts_have_redis_errors() {
        assert_eq!(
            parse_timeout(b"-1", 0).unwrap_err().text(),
            "ERR timeout is negative"
        );
        assert_eq!(
            parse_timeout(b"abc", 0).unwrap_err().text(),
            "ERR timeout is not a float or out of range"
        );
    }
}
