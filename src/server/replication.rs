//! The master side of replication: a connection that sends SYNC (or PSYNC) gets an
//! RDB snapshot of the dataset, taken by a BGSAVE to disk, and from the moment of
//! the fork every write the propagator encodes — exactly the bytes a Redis replica
//! receives.
//!
//! A replica waits in `WaitBgsaveStart` while another child runs, sits in
//! `WaitBgsaveEnd` (buffering the stream) while its snapshot is written, and is
//! `Online` once the file has been queued to it; from then on the stream goes
//! straight into its output. `drain` hands the propagator's bytes to every replica
//! once per loop turn.

use bytes::Bytes;

use super::client::flags;
use super::Server;
use crate::command::{CmdError, CmdResult, Ctx};
use crate::db::keyspace::Keyspace;
use crate::persist::snapshot;

/// Where a replica is in its full synchronization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    WaitBgsaveStart,
    WaitBgsaveEnd,
    Online,
}

impl SyncState {
    /// The name INFO replication shows.
    fn name(self) -> &'static str {
        match self {
            SyncState::WaitBgsaveStart => "wait_bgsave",
            SyncState::WaitBgsaveEnd => "wait_bgsave",
            SyncState::Online => "online",
        }
    }
}

/// One attached replica.
#[derive(Debug)]
pub struct Replica {
    pub client_id: u64,
    pub state: SyncState,
    /// Stream bytes produced since its snapshot's fork, held until the snapshot
    /// is queued.
    pending: Vec<u8>,
    pub addr: String,
    pub listening_port: i64,
    pub ack_offset: i64,
    pub ack_time_ms: i64,
}

/// The replicas of this master.
#[derive(Debug, Default)]
pub struct Replication {
    pub replicas: Vec<Replica>,
    /// Full syncs served (INFO stats sync_full).
    pub sync_full: u64,
    /// Seconds counted by the replication cron (replication_cron_loops).
    pub cron_loops: u64,
    /// Last unix second the replication cron ran.
    pub last_cron_sec: i64,
}

/// SYNC, and PSYNC replid offset (always answered with a full resync).
pub fn sync(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.has(flags::SLAVE) {
        return Ok(());
    }
    if ctx.reply.pending() > 0 {
        return Err(CmdError::err(
            "SYNC and PSYNC are invalid with pending output",
        ));
    }
    if ctx.cmd.full_name == "psync" {
        let line = format!(
            "+FULLRESYNC {} {}\r\n",
            ctx.srv.replid, ctx.srv.propagator.offset
        );
        ctx.reply.raw(line.as_bytes());
    }
    log::info!("Replica {} asks for synchronization", ctx.client.addr);
    ctx.client.flags |= flags::SLAVE;
    ctx.srv.replication.sync_full += 1;
    let listening_port = ctx.client.replica_listening_port;
    ctx.srv.replication.replicas.push(Replica {
        client_id: ctx.client.id,
        state: SyncState::WaitBgsaveStart,
        pending: Vec::new(),
        addr: ctx.client.addr.clone(),
        listening_port,
        ack_offset: 0,
        ack_time_ms: ctx.ks.now_ms,
    });
    if ctx.srv.persist.child.is_none() {
        start_bgsave_for_replication(ctx.srv, ctx.ks);
    } else {
        log::info!("Full resync requested by replica {}", ctx.client.addr);
        log::info!("Waiting for next BGSAVE for SYNC");
    }
    Ok(())
}

/// Forks the snapshot the waiting replicas will receive; from this moment their
/// stream is buffered.
fn start_bgsave_for_replication(srv: &mut Server, ks: &mut Keyspace) {
    if !srv
        .replication
        .replicas
        .iter()
        .any(|r| r.state == SyncState::WaitBgsaveStart)
    {
        return;
    }
    // Whatever was encoded before the fork is part of the snapshot.
    drain(srv);
    log::info!("Starting BGSAVE for SYNC with target: disk");
    if snapshot::bgsave_start(srv, ks).is_err() {
        log::warn!("BGSAVE for replication failed");
        let ids: Vec<u64> = srv
            .replication
            .replicas
            .iter()
            .filter(|r| r.state == SyncState::WaitBgsaveStart)
            .map(|r| r.client_id)
            .collect();
        for id in ids {
            close_replica(srv, id);
        }
        return;
    }
    srv.propagator.reset_selected_db();
    for r in srv.replication.replicas.iter_mut() {
        if r.state == SyncState::WaitBgsaveStart {
            r.state = SyncState::WaitBgsaveEnd;
            r.pending.clear();
            srv.propagator.consumers += 1;
        }
    }
}

/// A BGSAVE child ended: replicas waiting for it get the file (or are dropped when
/// it failed), and replicas that arrived meanwhile get a snapshot of their own.
pub fn on_rdb_child_done(srv: &mut Server, ks: &mut Keyspace, ok: bool) {
    let waiting: Vec<u64> = srv
        .replication
        .replicas
        .iter()
        .filter(|r| r.state == SyncState::WaitBgsaveEnd)
        .map(|r| r.client_id)
        .collect();
    if !waiting.is_empty() {
        drain(srv);
        let file = if ok {
            std::fs::read(&srv.config.dbfilename).ok().map(Bytes::from)
        } else {
            None
        };
        for id in waiting {
            match &file {
                Some(rdb) => send_snapshot(srv, id, rdb),
                None => {
                    log::warn!("SYNC failed. BGSAVE child returned an error");
                    close_replica(srv, id);
                }
            }
        }
    }
    start_bgsave_for_replication(srv, ks);
}

/// Queues the snapshot and the stream buffered since its fork; the replica is
/// online from here.
fn send_snapshot(srv: &mut Server, id: u64, rdb: &Bytes) {
    let Some(idx) = srv
        .replication
        .replicas
        .iter()
        .position(|r| r.client_id == id)
    else {
        return;
    };
    let pending = std::mem::take(&mut srv.replication.replicas[idx].pending);
    srv.replication.replicas[idx].state = SyncState::Online;
    let Some(slot) = srv.client_slots.get(&id).copied() else {
        return;
    };
    let Some(mut c) = srv.take_client(slot) else {
        return;
    };
    let header = format!("${}\r\n", rdb.len());
    c.reply.raw(header.as_bytes());
    c.reply.shared_bytes(rdb);
    c.reply.raw(&pending);
    log::info!("Synchronization with replica {} succeeded", c.st.addr);
    srv.queue_write(&mut c);
    srv.put_client(slot, c);
}

/// Hands the stream encoded since the last call to every replica.
pub fn drain(srv: &mut Server) {
    if srv.propagator.stream.is_empty() {
        return;
    }
    let stream = std::mem::take(&mut srv.propagator.stream);
    let shared = if stream.len() >= 1024 {
        Some(Bytes::copy_from_slice(&stream))
    } else {
        None
    };
    for i in 0..srv.replication.replicas.len() {
        let r = &mut srv.replication.replicas[i];
        match r.state {
            SyncState::WaitBgsaveStart => {}
            SyncState::WaitBgsaveEnd => r.pending.extend_from_slice(&stream),
            SyncState::Online => {
                let id = r.client_id;
                let Some(slot) = srv.client_slots.get(&id).copied() else {
                    continue;
                };
                let Some(mut c) = srv.take_client(slot) else {
                    continue;
                };
                match &shared {
                    Some(b) => c.reply.shared_bytes(b),
                    None => c.reply.raw(&stream),
                }
                super::reactor::enforce_obuf_limits(srv, &mut c);
                srv.queue_write(&mut c);
                srv.put_client(slot, c);
            }
        }
    }
    let mut stream = stream;
    stream.clear();
    srv.propagator.stream = stream;
}

/// Forgets the replica behind client `id` (its connection is closing).
pub fn forget(srv: &mut Server, id: u64) {
    if let Some(idx) = srv
        .replication
        .replicas
        .iter()
        .position(|r| r.client_id == id)
    {
        let r = srv.replication.replicas.remove(idx);
        if r.state != SyncState::WaitBgsaveStart {
            srv.propagator.consumers = srv.propagator.consumers.saturating_sub(1);
        }
        log::info!("Connection with replica {} lost.", r.addr);
    }
}

fn close_replica(srv: &mut Server, id: u64) {
    if let Some(slot) = srv.client_slots.get(&id).copied() {
        srv.to_close.push(slot);
    }
    forget(srv, id);
}

/// The once-a-second part of cron: PINGs into the stream every
/// `repl-ping-replica-period` seconds while replicas are attached.
pub fn cron(srv: &mut Server, now_ms: i64) {
    let sec = now_ms / 1000;
    if sec == srv.replication.last_cron_sec {
        return;
    }
    srv.replication.last_cron_sec = sec;
    srv.replication.cron_loops += 1;
    let period = srv.config.repl_ping_replica_period.max(1) as u64;
    if !srv.replication.replicas.is_empty() && srv.replication.cron_loops.is_multiple_of(period) {
        srv.propagator.feed_replicas_only(None, &[b"PING"]);
    }
}

/// REPLCONF option value ...
pub fn replconf(ctx: &mut Ctx) -> CmdResult {
    if ctx.argv.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let mut j = 1;
    while j + 1 < ctx.argv.len() {
        let opt = ctx.argv.get(j).to_ascii_lowercase();
        let val = ctx.argv.get(j + 1);
        match opt.as_slice() {
            b"listening-port" => {
                let p = crate::util::numbers::parse_i64(val).ok_or(CmdError::NotInteger)?;
                ctx.client.replica_listening_port = p;
            }
            b"ack" | b"fack" => {
                if let Some(r) = ctx
                    .srv
                    .replication
                    .replicas
                    .iter_mut()
                    .find(|r| r.client_id == ctx.client.id)
                {
                    r.ack_offset = crate::util::numbers::parse_i64(val).unwrap_or(0);
                    r.ack_time_ms = ctx.ks.now_ms;
                }
                // ACKs are never answered.
                return Ok(());
            }
            b"getack" => return Ok(()),
            b"ip-address" | b"capa" | b"rdb-only" | b"rdb-filter-only" => {}
            _ => {
                return Err(CmdError::err(format!(
                    "Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(ctx.argv.get(j))
                )))
            }
        }
        j += 2;
    }
    ctx.reply.ok();
    Ok(())
}

/// The replica lines of INFO replication.
pub fn info_lines(srv: &Server, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(
        out,
        "connected_slaves:{}\r\n",
        srv.replication.replicas.len()
    );
    for (i, r) in srv.replication.replicas.iter().enumerate() {
        let ip = r.addr.rsplit_once(':').map(|(ip, _)| ip).unwrap_or(&r.addr);
        let lag = (srv.replication.last_cron_sec * 1000 - r.ack_time_ms).max(0) / 1000;
        let _ = write!(
            out,
            "slave{i}:ip={ip},port={},state={},offset={},lag={lag}\r\n",
            r.listening_port,
            r.state.name(),
            r.ack_offset
        );
    }
}
