//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Inside MULTI, dispatch queues each command (an owned copy of argv) and replies
//! +QUEUED; a command rejected at queue time (unknown, wrong arity, NO_MULTI...)
//! marks the transaction DIRTY_EXEC so EXEC aborts with EXECABORT. EXEC runs the
//! queue with blocking denied, replies one array, and is propagated as MULTI ...
//! EXEC around the commands that wrote.
//!
//! WATCH: `Server::watched` maps (db, key) to the watching clients. Every key a
//! command modifies is checked after the command (the keyspace records modified
//! keys only while somebody watches); a hit marks the watcher DIRTY_CAS and EXEC
//! then replies a null array. FLUSHDB/FLUSHALL/SWAPDB touch the watched keys that
//! existed, and a watched key that expires after WATCH fails the transaction, as in
//! Redis 7.0.

use super::client::{flags, ClientState};
use super::Server;
use crate::command::{CmdError, CmdResult, Ctx, OwnedArgv};
use crate::db::keyspace::Keyspace;

/// A key a client watches.
#[derive(Debug, Clone)]
pub struct WatchedKey {
    pub db: usize,
    pub key: Vec<u8>,
    /// The key was already logically expired when WATCH ran.
    pub expired: bool,
}

/// A watching client: (slot, id).
pub type Watcher = (usize, u64);

/// Who watches what.
#[derive(Debug, Default)]
pub struct WatchState {
    /// (db, key) → every watcher.
    pub watchers: std::collections::HashMap<(usize, Vec<u8>), Vec<Watcher>>,
}

/// Drops every key `st` watches.
pub fn unwatch_all(srv: &mut Server, ks: &mut Keyspace, st: &mut ClientState) {
    for wk in st.watched.drain(..) {
        let k = (wk.db, wk.key);
        if let Some(list) = srv.watch.watchers.get_mut(&k) {
            list.retain(|&(_, id)| id != st.id);
            if list.is_empty() {
                srv.watch.watchers.remove(&k);
            }
        }
    }
    ks.track_modified = !srv.watch.watchers.is_empty();
}

/// Leaves MULTI state and forgets watched keys (EXEC, DISCARD, RESET).
pub fn discard_transaction(srv: &mut Server, ks: &mut Keyspace, st: &mut ClientState) {
    st.multi_queue.clear();
    st.multi = -1;
    st.flags &= !(flags::MULTI | flags::DIRTY_CAS | flags::DIRTY_EXEC);
    unwatch_all(srv, ks, st);
}

/// Marks a queued transaction as failed (a command was rejected while queueing).
pub fn flag_transaction(st: &mut ClientState) {
    if st.has(flags::MULTI) {
        st.flags |= flags::DIRTY_EXEC;
    }
}

/// Sets DIRTY_CAS on a watcher, which may be the client running the command.
fn mark_dirty(srv: &mut Server, current: &mut Option<&mut ClientState>, slot: usize, id: u64) {
    if let Some(cur) = current.as_deref_mut() {
        if cur.id == id {
            cur.flags |= flags::DIRTY_CAS;
            return;
        }
    }
    if let Some(c) = srv.clients.get_mut(slot).and_then(|c| c.as_deref_mut()) {
        if c.st.id == id {
            c.st.flags |= flags::DIRTY_CAS;
        }
    }
}

/// Flags the watchers of every key the last command modified.
pub fn touch_modified_keys(
    srv: &mut Server,
    ks: &Keyspace,
    mut current: Option<&mut ClientState>,
    modified: Vec<(usize, Vec<u8>)>,
) {
    if srv.watch.watchers.is_empty() {
        return;
    }
    for (db, key) in modified {
        let k = (db, key);
        let Some(list) = srv.watch.watchers.get(&k) else {
            continue;
        };
        let exists = ks.dbs[db].dict.contains_key(k.1.as_slice());
        for (slot, id) in list.clone() {
            // A key that was already expired at WATCH and is now gone is no change.
            if !exists && watched_as_expired(srv, current.as_deref(), slot, id, db, &k.1) {
                continue;
            }
            mark_dirty(srv, &mut current, slot, id);
        }
    }
}

fn watched_as_expired(
    srv: &Server,
    current: Option<&ClientState>,
    slot: usize,
    id: u64,
    db: usize,
    key: &[u8],
) -> bool {
    let st = match current {
        Some(c) if c.id == id => Some(c),
        _ => srv
            .clients
            .get(slot)
            .and_then(|c| c.as_deref())
            .map(|c| &c.st),
    };
    st.is_some_and(|st| {
        st.watched
            .iter()
            .any(|w| w.db == db && w.key == key && w.expired)
    })
}

/// The watcher's record of `key`, which may belong to the running client.
fn watched_entry<'a>(
    srv: &'a mut Server,
    current: &'a mut Option<&mut ClientState>,
    slot: usize,
    id: u64,
    db: usize,
    key: &[u8],
) -> Option<&'a mut WatchedKey> {
    let st = match current.as_deref_mut() {
        Some(c) if c.id == id => c,
        _ => &mut srv.clients.get_mut(slot)?.as_deref_mut()?.st,
    };
    st.watched.iter_mut().find(|w| w.db == db && w.key == key)
}

/// FLUSHALL, DEBUG LOADAOF: `touch_all_watched_in_db` for every database.
pub fn touch_all_watched(srv: &mut Server, ks: &Keyspace, mut current: Option<&mut ClientState>) {
    for db in 0..ks.dbs.len() {
        touch_all_watched_in_db(srv, ks, current.as_deref_mut(), db, None);
    }
}

/// FLUSHDB/FLUSHALL/SWAPDB: flags watchers of keys of `db` that exist in it, or in
/// `other` (the database swapped in) — except keys that were already expired at
/// WATCH time and stay logically absent, as Redis's touchAllWatchedKeysInDb.
pub fn touch_all_watched_in_db(
    srv: &mut Server,
    ks: &Keyspace,
    mut current: Option<&mut ClientState>,
    db: usize,
    other: Option<usize>,
) {
    let now = ks.now_ms;
    let keys: Vec<(usize, Vec<u8>)> = srv
        .watch
        .watchers
        .keys()
        .filter(|(d, _)| *d == db)
        .cloned()
        .collect();
    for k in keys {
        let key = k.1.as_slice();
        let in_emptied = ks.dbs[db].dict.contains_key(key);
        let in_other = other.is_some_and(|o| ks.dbs[o].dict.contains_key(key));
        if !in_emptied && !in_other {
            continue;
        }
        let other_expired = other.is_some_and(|o| ks.dbs[o].is_expired(key, now));
        let list = srv.watch.watchers.get(&k).cloned().unwrap_or_default();
        for (slot, id) in list {
            if let Some(w) = watched_entry(srv, &mut current, slot, id, db, key) {
                if w.expired {
                    if !in_other {
                        // The expired key is gone: logically nothing changed.
                        w.expired = false;
                        continue;
                    } else if other_expired {
                        continue;
                    }
                } else if !in_emptied && other_expired {
                    // A missing key replaced by an expired one: still missing.
                    w.expired = true;
                    continue;
                }
            }
            mark_dirty(srv, &mut current, slot, id);
        }
    }
}

/// MULTI
pub fn multi(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.has(flags::MULTI) {
        return Err(CmdError::err("MULTI calls can not be nested"));
    }
    ctx.client.flags |= flags::MULTI;
    ctx.client.multi = 0;
    ctx.reply.ok();
    Ok(())
}

/// DISCARD
pub fn discard(ctx: &mut Ctx) -> CmdResult {
    if !ctx.client.has(flags::MULTI) {
        return Err(CmdError::err("DISCARD without MULTI"));
    }
    discard_transaction(ctx.srv, ctx.ks, ctx.client);
    ctx.reply.ok();
    Ok(())
}

/// WATCH key [key ...]
pub fn watch(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.has(flags::MULTI) {
        return Err(CmdError::err("WATCH inside MULTI is not allowed"));
    }
    if !ctx.client.has(flags::DIRTY_CAS) {
        let db = ctx.db();
        for key in ctx.argv.iter().skip(1) {
            if ctx
                .client
                .watched
                .iter()
                .any(|w| w.db == db && w.key == key)
            {
                continue;
            }
            let expired = ctx.ks.dbs[db].is_expired(key, ctx.ks.now_ms);
            ctx.client.watched.push(WatchedKey {
                db,
                key: key.to_vec(),
                expired,
            });
            ctx.srv
                .watch
                .watchers
                .entry((db, key.to_vec()))
                .or_default()
                .push((ctx.client.slot, ctx.client.id));
        }
        ctx.ks.track_modified = true;
    }
    ctx.reply.ok();
    Ok(())
}

/// UNWATCH
pub fn unwatch(ctx: &mut Ctx) -> CmdResult {
    unwatch_all(ctx.srv, ctx.ks, ctx.client);
    ctx.client.flags &= !flags::DIRTY_CAS;
    ctx.reply.ok();
    Ok(())
}

/// True when a key watched (and not expired at WATCH time) has expired since.
fn watched_key_expired(ctx: &Ctx) -> bool {
    ctx.client
        .watched
        .iter()
        .any(|w| !w.expired && ctx.ks.dbs[w.db].is_expired(&w.key, ctx.ks.now_ms))
}

/// EXEC
pub fn exec(ctx: &mut Ctx) -> CmdResult {
    if !ctx.client.has(flags::MULTI) {
        return Err(CmdError::err("EXEC without MULTI"));
    }
    if watched_key_expired(ctx) {
        ctx.client.flags |= flags::DIRTY_CAS;
    }
    if ctx.client.has(flags::DIRTY_EXEC) {
        discard_transaction(ctx.srv, ctx.ks, ctx.client);
        return Err(CmdError::raw(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if ctx.client.has(flags::DIRTY_CAS) {
        discard_transaction(ctx.srv, ctx.ks, ctx.client);
        ctx.reply.null_array();
        return Ok(());
    }
    // Over maxmemory, a transaction that may grow memory is refused as a whole.
    let denyoom =
        ctx.client.multi_queue.iter().any(|(id, _)| {
            ctx.srv.registry.commands[*id].has_flag(crate::command::spec::CMD_DENYOOM)
        });
    if denyoom
        && ctx.srv.config.maxmemory > 0
        && crate::alloc::used_memory() as u64 > ctx.srv.config.maxmemory
    {
        discard_transaction(ctx.srv, ctx.ks, ctx.client);
        return Err(CmdError::raw(
            "EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.",
        ));
    }
    let queue: Vec<(usize, OwnedArgv)> = std::mem::take(&mut ctx.client.multi_queue);
    unwatch_all(ctx.srv, ctx.ks, ctx.client);
    let deny_before = ctx.client.has(flags::DENY_BLOCKING);
    ctx.client.flags |= flags::DENY_BLOCKING;
    ctx.srv.in_exec = true;
    ctx.srv.exec_ops.clear();
    ctx.reply.array_len(queue.len());
    for (cmd_id, argv) in &queue {
        let cmd = &ctx.srv.registry.commands[*cmd_id];
        crate::command::dispatch::call(ctx.srv, ctx.ks, ctx.client, ctx.reply, cmd, argv.view());
    }
    ctx.srv.in_exec = false;
    crate::server::tracking::flush_exec_pending(ctx.srv, ctx.client, ctx.reply);
    propagate_transaction(ctx.srv);
    if !deny_before {
        ctx.client.flags &= !flags::DENY_BLOCKING;
    }
    discard_transaction(ctx.srv, ctx.ks, ctx.client);
    Ok(())
}

/// Propagates what EXEC's commands wrote: a single op as itself (it is atomic
/// anyway), several wrapped in MULTI/EXEC, MULTI selecting the first op's database
/// and EXEC none (as Redis 7.0's propagatePendingCommands).
fn propagate_transaction(srv: &mut Server) {
    let ops = std::mem::take(&mut srv.exec_ops);
    let wrap = ops.len() > 1;
    if wrap {
        let multi = OwnedArgv::from_parts([&b"MULTI"[..]]);
        srv.propagator.feed(ops[0].db, multi.view());
    }
    for op in &ops {
        if op.replicas_only {
            let parts: Vec<&[u8]> = op.argv.view().iter().collect();
            srv.propagator.feed_replicas_only(Some(op.db), &parts);
        } else {
            srv.propagator.feed(op.db, op.argv.view());
        }
    }
    if wrap {
        srv.propagator.feed_same_db(&[b"EXEC"]);
    }
    let mut ops = ops;
    ops.clear();
    srv.exec_ops = ops;
}
