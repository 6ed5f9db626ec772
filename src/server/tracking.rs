//! Client-side caching: CLIENT TRACKING and the invalidation messages.
//!
//! Default mode: after a read-only command of a tracking client, the keys it read
//! are remembered in the tracking table (key → client ids). When such a key is
//! modified, each of those clients gets one invalidation and the key leaves the
//! table. BCAST mode: clients register prefixes instead; every modified key under a
//! prefix is collected and broadcast to its clients once per event-loop turn.
//! OPTIN/OPTOUT (with CLIENT CACHING), NOLOOP and REDIRECT work as in Redis 7.0;
//! messages are RESP3 pushes (`invalidate`), or, for a RESP2 client redirecting to
//! a subscriber, messages on `__redis__:invalidate`. Invalidations caused by the
//! calling client follow its reply.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::client::{flags, ClientState};
use super::Server;
use crate::command::args::is_token;
use crate::command::{CmdError, CmdResult, Command, Ctx};
use crate::protocol::reply::Reply;

/// Tracking flags beyond `flags::TRACKING` (client state bits).
pub mod tflags {
    pub const BCAST: u64 = 1 << 40;
    pub const OPTIN: u64 = 1 << 41;
    pub const OPTOUT: u64 = 1 << 42;
    pub const CACHING: u64 = 1 << 43;
    pub const NOLOOP: u64 = 1 << 44;
    pub const BROKEN_REDIR: u64 = 1 << 45;
}

/// One BCAST prefix: its clients and the keys modified under it this turn, with
/// the id of the client that last modified each (for NOLOOP).
#[derive(Debug, Default)]
pub struct Bcast {
    pub clients: Vec<u64>,
    pub keys: BTreeMap<Vec<u8>, u64>,
}

/// The server's tracking state.
#[derive(Debug, Default)]
pub struct Tracking {
    /// Key → ids of clients that may have cached it.
    pub table: HashMap<Vec<u8>, HashSet<u64>>,
    /// Sum of the table's id sets (INFO tracking_total_items).
    pub total_items: usize,
    /// BCAST prefixes.
    pub prefixes: BTreeMap<Vec<u8>, Bcast>,
    /// Clients with tracking on (INFO tracking_clients).
    pub clients: usize,
    /// Invalidations for the client running EXEC, held until EXEC has replied
    /// (None: a flush).
    pub pending_for_exec: Vec<Option<Vec<u8>>>,
}

impl Tracking {
    /// True when modified keys must be reported to tracking.
    pub fn active(&self) -> bool {
        !self.table.is_empty() || !self.prefixes.is_empty()
    }
}

/// Writes one invalidation to `c` (or to its redirect target); `keys` None means
/// "everything" (a flush).
fn send_invalidation(
    srv: &mut Server,
    current: &mut Option<(&mut ClientState, &mut Reply)>,
    client_id: u64,
    keys: Option<&[Vec<u8>]>,
) {
    // Inside EXEC, the running client's own invalidations wait for the EXEC reply.
    if srv.in_exec && current.as_ref().is_some_and(|(st, _)| st.id == client_id) {
        match keys {
            Some(keys) => srv
                .tracking
                .pending_for_exec
                .extend(keys.iter().map(|k| Some(k.clone()))),
            None => srv.tracking.pending_for_exec.push(None),
        }
        return;
    }
    let redirect = with_client(srv, current, client_id, |st, _| {
        st.has(flags::TRACKING).then_some(st.tracking_redirect)
    })
    .flatten();
    let Some(redirect) = redirect else {
        return;
    };
    let target = if redirect != 0 {
        if with_client(srv, current, redirect, |_, _| ()).is_none() {
            // The redirect target is gone: tell the client (RESP3 only).
            with_client(srv, current, client_id, |st, r| {
                st.flags |= tflags::BROKEN_REDIR;
                if r.is_resp3() {
                    r.pushing = true;
                    r.push_len(2);
                    r.bulk(b"tracking-redir-broken");
                    r.int(redirect as i64);
                    r.pushing = false;
                }
            });
            return;
        }
        redirect
    } else {
        client_id
    };
    let redirected = redirect != 0;
    with_client(srv, current, target, |st, r| {
        r.pushing = true;
        if r.is_resp3() {
            r.push_len(2);
            r.bulk(b"invalidate");
        } else if redirected && st.has(flags::PUBSUB) {
            r.array_len(3);
            r.bulk(b"message");
            r.bulk(b"__redis__:invalidate");
        } else {
            r.pushing = false;
            return;
        }
        match keys {
            Some(keys) => {
                r.array_len(keys.len());
                for k in keys {
                    r.bulk(k);
                }
            }
            None => r.null(),
        }
        r.pushing = false;
    });
}

/// Runs `f` on the client `id` (the running one or a connected one); None when it
/// is not connected.
fn with_client<T>(
    srv: &mut Server,
    current: &mut Option<(&mut ClientState, &mut Reply)>,
    id: u64,
    f: impl FnOnce(&mut ClientState, &mut Reply) -> T,
) -> Option<T> {
    if let Some((st, r)) = current.as_mut() {
        if st.id == id {
            return Some(f(st, r));
        }
    }
    let slot = *srv.client_slots.get(&id)?;
    let mut c = srv.take_client(slot)?;
    let out = f(&mut c.st, &mut c.reply);
    if c.reply.pending() > 0 {
        srv.queue_write(&mut c);
    }
    srv.put_client(slot, c);
    Some(out)
}

/// After a command: remembers the keys a read-only command of a tracking client
/// read, and clears a one-shot CLIENT CACHING.
pub fn after_call(
    srv: &mut Server,
    st: &mut ClientState,
    cmd: &Command,
    argv: &crate::command::Argv,
) {
    if !st.has(flags::TRACKING) {
        return;
    }
    let readonly = cmd.has_flag(crate::command::spec::CMD_READONLY);
    if readonly && !st.has(tflags::BCAST) && !cmd.has_flag(crate::command::spec::CMD_PUBSUB) {
        let optin = st.has(tflags::OPTIN);
        let optout = st.has(tflags::OPTOUT);
        let caching = st.has(tflags::CACHING);
        if !((optin && !caching) || (optout && caching)) {
            let args: Vec<&[u8]> = argv.iter().collect();
            for (idx, _) in crate::command::keys::keys_legacy(cmd.spec, &args) {
                let ids = srv.tracking.table.entry(args[idx].to_vec()).or_default();
                if ids.insert(st.id) {
                    srv.tracking.total_items += 1;
                }
            }
        }
    }
    if !st.has(flags::MULTI) && !cmd.full_name.starts_with("client|") {
        st.flags &= !tflags::CACHING;
    }
}

/// Invalidates modified keys: table entries are sent and dropped; keys under BCAST
/// prefixes are collected for `broadcast`.
pub fn invalidate_keys(
    srv: &mut Server,
    mut current: Option<(&mut ClientState, &mut Reply)>,
    keys: &[(usize, Vec<u8>)],
    expired: &[(usize, Vec<u8>)],
) {
    let client_id = current.as_ref().map_or(0, |(st, _)| st.id);
    // Keys the command changed carry its client (NOLOOP filters them); keys that
    // expired were changed by nobody, so every tracker hears of them.
    let by_client = keys.iter().map(|k| (k, client_id));
    let by_expiry = expired.iter().map(|k| (k, 0));
    let all: Vec<(&(usize, Vec<u8>), u64)> = by_client.chain(by_expiry).collect();
    for ((_, key), modifier) in all {
        for (prefix, b) in srv.tracking.prefixes.iter_mut() {
            if key.starts_with(prefix) {
                b.keys.insert(key.clone(), modifier);
            }
        }
        let Some(ids) = srv.tracking.table.remove(key) else {
            continue;
        };
        srv.tracking.total_items -= ids.len();
        for id in ids {
            let skip = with_client(srv, &mut current, id, |st, _| {
                !st.has(flags::TRACKING)
                    || st.has(tflags::BCAST)
                    || (st.has(tflags::NOLOOP) && st.id == modifier)
            })
            .unwrap_or(true);
            if !skip {
                send_invalidation(srv, &mut current, id, Some(std::slice::from_ref(key)));
            }
        }
    }
}

/// Sends the invalidations held back during EXEC (called once EXEC has replied).
pub fn flush_exec_pending(srv: &mut Server, st: &mut ClientState, reply: &mut Reply) {
    if srv.tracking.pending_for_exec.is_empty() {
        return;
    }
    let pending = std::mem::take(&mut srv.tracking.pending_for_exec);
    let id = st.id;
    let mut current = Some((st, reply));
    for k in pending {
        match k {
            Some(k) => send_invalidation(srv, &mut current, id, Some(std::slice::from_ref(&k))),
            None => send_invalidation(srv, &mut current, id, None),
        }
    }
}

/// FLUSHDB/FLUSHALL: every tracking client is told to drop everything.
pub fn invalidate_all(srv: &mut Server, mut current: Option<(&mut ClientState, &mut Reply)>) {
    if srv.tracking.clients == 0 {
        srv.tracking.table.clear();
        srv.tracking.total_items = 0;
        return;
    }
    let ids: Vec<u64> = srv
        .clients_iter()
        .filter(|c| c.st.has(flags::TRACKING))
        .map(|c| c.st.id)
        .chain(
            current
                .as_ref()
                .filter(|(st, _)| st.has(flags::TRACKING))
                .map(|(st, _)| st.id),
        )
        .collect();
    for id in ids {
        send_invalidation(srv, &mut current, id, None);
    }
    srv.tracking.table.clear();
    srv.tracking.total_items = 0;
}

/// Keeps the tracking table within `tracking-table-max-keys` by invalidating
/// arbitrary keys (called from cron and before each command, like Redis's
/// trackingLimitUsedSlots).
pub fn limit_table(srv: &mut Server, current: Option<(&mut ClientState, &mut Reply)>) {
    let max = srv.config.tracking_table_max_keys as usize;
    if max == 0 || srv.tracking.table.len() <= max {
        return;
    }
    let excess = srv.tracking.table.len() - max;
    let victims: Vec<(usize, Vec<u8>)> = srv
        .tracking
        .table
        .keys()
        .take(excess.min(1_000_000))
        .map(|k| (0, k.clone()))
        .collect();
    invalidate_keys(srv, current, &[], &victims);
}

/// Sends the keys collected under each BCAST prefix (before the loop sleeps).
pub fn broadcast(srv: &mut Server) {
    if srv.tracking.prefixes.values().all(|b| b.keys.is_empty()) {
        return;
    }
    let mut work = Vec::new();
    for b in srv.tracking.prefixes.values_mut() {
        if !b.keys.is_empty() {
            work.push((b.clients.clone(), std::mem::take(&mut b.keys)));
        }
    }
    let mut none = None;
    for (clients, keys) in work {
        for id in clients {
            let noloop =
                with_client(srv, &mut none, id, |st, _| st.has(tflags::NOLOOP)).unwrap_or(false);
            let list: Vec<Vec<u8>> = keys
                .iter()
                .filter(|(_, &by)| !(noloop && by == id))
                .map(|(k, _)| k.clone())
                .collect();
            if !list.is_empty() {
                send_invalidation(srv, &mut none, id, Some(&list));
            }
        }
    }
}

/// Turns tracking off for a client (CLIENT TRACKING OFF, disconnect).
pub fn disable(srv: &mut Server, st: &mut ClientState) {
    if !st.has(flags::TRACKING) {
        return;
    }
    for p in st.tracking_prefixes.drain(..) {
        if let Some(b) = srv.tracking.prefixes.get_mut(&p) {
            b.clients.retain(|&id| id != st.id);
            if b.clients.is_empty() {
                srv.tracking.prefixes.remove(&p);
            }
        }
    }
    st.flags &= !(flags::TRACKING
        | tflags::BCAST
        | tflags::OPTIN
        | tflags::OPTOUT
        | tflags::CACHING
        | tflags::NOLOOP
        | tflags::BROKEN_REDIR);
    st.tracking_redirect = 0;
    srv.tracking.clients = srv.tracking.clients.saturating_sub(1);
}

fn prefixes_overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
pub fn client_tracking(ctx: &mut Ctx) -> CmdResult {
    let mut redirect: i64 = 0;
    let mut opts = 0u64;
    let mut prefixes: Vec<Vec<u8>> = Vec::new();
    let mut j = 3;
    while j < ctx.argv.len() {
        let a = ctx.argv.get(j);
        let more = j + 1 < ctx.argv.len();
        if is_token(a, "REDIRECT") && more {
            j += 1;
            if redirect != 0 {
                return Err(CmdError::err(
                    "A client can only redirect to a single other client",
                ));
            }
            redirect =
                crate::util::numbers::parse_i64(ctx.argv.get(j)).ok_or(CmdError::NotInteger)?;
            let exists = redirect > 0
                && (redirect as u64 == ctx.client.id
                    || ctx.srv.client_slots.contains_key(&(redirect as u64)));
            if !exists {
                return Err(CmdError::err(
                    "The client ID you want redirect to does not exist",
                ));
            }
        } else if is_token(a, "BCAST") {
            opts |= tflags::BCAST;
        } else if is_token(a, "OPTIN") {
            opts |= tflags::OPTIN;
        } else if is_token(a, "OPTOUT") {
            opts |= tflags::OPTOUT;
        } else if is_token(a, "NOLOOP") {
            opts |= tflags::NOLOOP;
        } else if is_token(a, "PREFIX") && more {
            j += 1;
            prefixes.push(ctx.argv.get(j).to_vec());
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let mode = ctx.argv.get(2);
    if is_token(mode, "OFF") {
        disable(ctx.srv, ctx.client);
        ctx.reply.ok();
        return Ok(());
    }
    if !is_token(mode, "ON") {
        return Err(CmdError::Syntax);
    }
    let st = &mut *ctx.client;
    if opts & tflags::BCAST == 0 && !prefixes.is_empty() {
        return Err(CmdError::err(
            "PREFIX option requires BCAST mode to be enabled",
        ));
    }
    if st.has(flags::TRACKING) && st.has(tflags::BCAST) != (opts & tflags::BCAST != 0) {
        return Err(CmdError::err("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."));
    }
    if opts & tflags::BCAST != 0 && opts & (tflags::OPTIN | tflags::OPTOUT) != 0 {
        return Err(CmdError::err(
            "OPTIN and OPTOUT are not compatible with BCAST",
        ));
    }
    if opts & tflags::OPTIN != 0 && opts & tflags::OPTOUT != 0 {
        return Err(CmdError::err(
            "You can't specify both OPTIN mode and OPTOUT mode",
        ));
    }
    if (opts & tflags::OPTIN != 0 && st.has(tflags::OPTOUT))
        || (opts & tflags::OPTOUT != 0 && st.has(tflags::OPTIN))
    {
        return Err(CmdError::err("You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."));
    }
    if opts & tflags::BCAST != 0 {
        for (i, p) in prefixes.iter().enumerate() {
            if let Some(existing) = st.tracking_prefixes.iter().find(|e| prefixes_overlap(e, p)) {
                return Err(CmdError::err(format!(
                    "Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(existing)
                )));
            }
            if let Some(other) = prefixes[i + 1..].iter().find(|o| prefixes_overlap(p, o)) {
                return Err(CmdError::err(format!(
                    "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(other)
                )));
            }
        }
    }
    if !st.has(flags::TRACKING) {
        ctx.srv.tracking.clients += 1;
    }
    st.flags |= flags::TRACKING;
    st.flags &= !(tflags::BROKEN_REDIR | tflags::OPTIN | tflags::OPTOUT | tflags::NOLOOP);
    st.tracking_redirect = redirect as u64;
    if opts & tflags::BCAST != 0 {
        st.flags |= tflags::BCAST;
        if prefixes.is_empty() {
            prefixes.push(Vec::new());
        }
        for p in prefixes {
            if !st.tracking_prefixes.contains(&p) {
                st.tracking_prefixes.push(p.clone());
                ctx.srv
                    .tracking
                    .prefixes
                    .entry(p)
                    .or_default()
                    .clients
                    .push(st.id);
            }
        }
    }
    st.flags |= opts & (tflags::OPTIN | tflags::OPTOUT | tflags::NOLOOP);
    ctx.reply.ok();
    Ok(())
}

/// CLIENT CACHING YES|NO
pub fn client_caching(ctx: &mut Ctx) -> CmdResult {
    let st = &mut *ctx.client;
    if !st.has(flags::TRACKING) {
        return Err(CmdError::err("CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"));
    }
    let opt = ctx.argv.get(2);
    if is_token(opt, "YES") {
        if !st.has(tflags::OPTIN) {
            return Err(CmdError::err(
                "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if is_token(opt, "NO") {
        if !st.has(tflags::OPTOUT) {
            return Err(CmdError::err(
                "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(CmdError::Syntax);
    }
    st.flags |= tflags::CACHING;
    ctx.reply.ok();
    Ok(())
}

/// CLIENT GETREDIR
pub fn client_getredir(ctx: &mut Ctx) -> CmdResult {
    let v = if ctx.client.has(flags::TRACKING) {
        ctx.client.tracking_redirect as i64
    } else {
        -1
    };
    ctx.reply.int(v);
    Ok(())
}

/// CLIENT TRACKINGINFO
pub fn client_trackinginfo(ctx: &mut Ctx) -> CmdResult {
    let st = &*ctx.client;
    let mut f: Vec<&str> = vec![if st.has(flags::TRACKING) { "on" } else { "off" }];
    if st.has(tflags::BCAST) {
        f.push("bcast");
    }
    if st.has(tflags::OPTIN) {
        f.push("optin");
        if st.has(tflags::CACHING) {
            f.push("caching-yes");
        }
    }
    if st.has(tflags::OPTOUT) {
        f.push("optout");
        if st.has(tflags::CACHING) {
            f.push("caching-no");
        }
    }
    if st.has(tflags::NOLOOP) {
        f.push("noloop");
    }
    if st.has(tflags::BROKEN_REDIR) {
        f.push("broken_redirect");
    }
    let r = &mut *ctx.reply;
    r.map_len(3);
    r.bulk(b"flags");
    r.set_len(f.len());
    for x in f {
        r.bulk(x.as_bytes());
    }
    r.bulk(b"redirect");
    r.int(if st.has(flags::TRACKING) {
        st.tracking_redirect as i64
    } else {
        -1
    });
    r.bulk(b"prefixes");
    r.array_len(st.tracking_prefixes.len());
    for p in &st.tracking_prefixes {
        r.bulk(p);
    }
    Ok(())
}
