//! Pub/Sub: channels, patterns, shard channels, PUBLISH, the PUBSUB introspection
//! command, and keyspace notifications (which are PUBLISHes to `__keyspace@<db>__:`
//! and `__keyevent@<db>__:` channels).
//!
//! Subscribers are recorded as (slot, client id) per channel and per pattern; a
//! publish writes the message into each subscriber's reply buffer. Messages for the
//! client running the command go to its own reply after the command's reply, as
//! Redis 7.0 orders them. In RESP2 a subscribed client may only run the subscribe
//! family, PING, QUIT and RESET (checked in dispatch).

use std::collections::HashMap;

use super::client::{flags, ClientState};
use super::Server;
use crate::command::{CmdError, CmdResult, Ctx};
use crate::db::keyspace::{notify, KeyspaceEvent};
use crate::protocol::reply::Reply;
use crate::server::connection::help_reply;
use crate::util::glob::glob_match;

/// A subscriber: (slot, client id).
pub type Subscriber = (usize, u64);

/// Every subscription on the server.
#[derive(Debug, Default)]
pub struct PubSub {
    pub channels: HashMap<Vec<u8>, Vec<Subscriber>>,
    pub patterns: HashMap<Vec<u8>, Vec<Subscriber>>,
    pub shard_channels: HashMap<Vec<u8>, Vec<Subscriber>>,
}

/// Which family a (un)subscription belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn subscribe_msg(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    fn unsubscribe_msg(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

fn client_list(st: &mut ClientState, kind: Kind) -> &mut Vec<Vec<u8>> {
    match kind {
        Kind::Channel => &mut st.channels,
        Kind::Pattern => &mut st.patterns,
        Kind::Shard => &mut st.shard_channels,
    }
}

fn server_map(ps: &mut PubSub, kind: Kind) -> &mut HashMap<Vec<u8>, Vec<Subscriber>> {
    match kind {
        Kind::Channel => &mut ps.channels,
        Kind::Pattern => &mut ps.patterns,
        Kind::Shard => &mut ps.shard_channels,
    }
}

/// The count a (un)subscribe confirmation reports.
fn subscription_count(st: &ClientState, kind: Kind) -> usize {
    match kind {
        Kind::Shard => st.shard_channels.len(),
        _ => st.channels.len() + st.patterns.len(),
    }
}

/// Keeps the CLIENT LIST counters and the RESP2 subscribed-mode flag in step.
fn update_client_flags(st: &mut ClientState) {
    st.sub = st.channels.len();
    st.psub = st.patterns.len();
    st.ssub = st.shard_channels.len();
    if st.sub + st.psub + st.ssub > 0 {
        st.flags |= flags::PUBSUB;
    } else {
        st.flags &= !flags::PUBSUB;
    }
}

fn confirm(r: &mut Reply, what: &[u8], name: Option<&[u8]>, count: usize) {
    r.pushing = true;
    r.push_len(3);
    r.bulk(what);
    match name {
        Some(n) => r.bulk(n),
        None => r.null(),
    }
    r.int(count as i64);
    r.pushing = false;
}

fn subscribe_generic(ctx: &mut Ctx, kind: Kind) -> CmdResult {
    for name in ctx.argv.iter().skip(1) {
        let list = client_list(ctx.client, kind);
        if !list.iter().any(|c| c == name) {
            list.push(name.to_vec());
            server_map(&mut ctx.srv.pubsub, kind)
                .entry(name.to_vec())
                .or_default()
                .push((ctx.client.slot, ctx.client.id));
        }
        update_client_flags(ctx.client);
        let count = subscription_count(ctx.client, kind);
        confirm(ctx.reply, kind.subscribe_msg(), Some(name), count);
    }
    Ok(())
}

/// Removes one subscription of the client; true when it had it.
fn remove_one(srv: &mut Server, st: &mut ClientState, kind: Kind, name: &[u8]) -> bool {
    let list = client_list(st, kind);
    let Some(pos) = list.iter().position(|c| c == name) else {
        return false;
    };
    list.remove(pos);
    let map = server_map(&mut srv.pubsub, kind);
    if let Some(subs) = map.get_mut(name) {
        subs.retain(|&(_, id)| id != st.id);
        if subs.is_empty() {
            map.remove(name);
        }
    }
    true
}

fn unsubscribe_generic(ctx: &mut Ctx, kind: Kind) -> CmdResult {
    let names: Vec<Vec<u8>> = if ctx.argv.len() > 1 {
        ctx.argv.iter().skip(1).map(|n| n.to_vec()).collect()
    } else {
        client_list(ctx.client, kind).clone()
    };
    if names.is_empty() {
        let count = subscription_count(ctx.client, kind);
        confirm(ctx.reply, kind.unsubscribe_msg(), None, count);
        return Ok(());
    }
    for name in names {
        remove_one(ctx.srv, ctx.client, kind, &name);
        update_client_flags(ctx.client);
        let count = subscription_count(ctx.client, kind);
        confirm(ctx.reply, kind.unsubscribe_msg(), Some(&name), count);
    }
    Ok(())
}

/// Drops every subscription of a client (disconnect, RESET).
pub fn unsubscribe_all(srv: &mut Server, st: &mut ClientState) {
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        for name in client_list(st, kind).clone() {
            remove_one(srv, st, kind, &name);
        }
    }
    update_client_flags(st);
}

/// SUBSCRIBE channel [channel ...]
pub fn subscribe(ctx: &mut Ctx) -> CmdResult {
    subscribe_generic(ctx, Kind::Channel)
}

/// UNSUBSCRIBE [channel ...]
pub fn unsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Channel)
}

/// PSUBSCRIBE pattern [pattern ...]
pub fn psubscribe(ctx: &mut Ctx) -> CmdResult {
    subscribe_generic(ctx, Kind::Pattern)
}

/// PUNSUBSCRIBE [pattern ...]
pub fn punsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Pattern)
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
pub fn ssubscribe(ctx: &mut Ctx) -> CmdResult {
    subscribe_generic(ctx, Kind::Shard)
}

/// SUNSUBSCRIBE [shardchannel ...]
pub fn sunsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Shard)
}

/// Payloads at least this big are encoded once and shared by every subscriber's
/// output instead of being copied into each.
const SHARE_PAYLOAD_BYTES: usize = 1024;

/// A message payload: encoded once as a bulk string when it is big.
struct Payload<'a> {
    raw: &'a [u8],
    shared: Option<bytes::Bytes>,
}

impl<'a> Payload<'a> {
    fn new(raw: &'a [u8]) -> Payload<'a> {
        let shared = (raw.len() >= SHARE_PAYLOAD_BYTES).then(|| {
            let mut enc = Vec::with_capacity(raw.len() + 16);
            crate::protocol::resp::write_bulk(&mut enc, raw);
            bytes::Bytes::from(enc)
        });
        Payload { raw, shared }
    }
}

/// Writes a message push into `r`.
fn write_message(
    r: &mut Reply,
    kind: &[u8],
    pattern: Option<&[u8]>,
    channel: &[u8],
    msg: &Payload,
) {
    r.pushing = true;
    r.push_len(if pattern.is_some() { 4 } else { 3 });
    r.bulk(kind);
    if let Some(p) = pattern {
        r.bulk(p);
    }
    r.bulk(channel);
    match &msg.shared {
        Some(b) => r.shared_bytes(b),
        None => r.bulk(msg.raw),
    }
    r.pushing = false;
}

/// Delivers to one subscriber, which may be the client running the command.
fn deliver(
    srv: &mut Server,
    current: &mut Option<(&mut ClientState, &mut Reply)>,
    (slot, id): Subscriber,
    kind: &[u8],
    pattern: Option<&[u8]>,
    channel: &[u8],
    msg: &Payload,
) {
    if let Some((st, reply)) = current.as_mut() {
        if st.id == id {
            write_message(reply, kind, pattern, channel, msg);
            return;
        }
    }
    if let Some(mut c) = srv.take_client(slot) {
        if c.st.id == id {
            write_message(&mut c.reply, kind, pattern, channel, msg);
            srv.queue_write(&mut c);
            super::reactor::enforce_obuf_limits(srv, &mut c);
        }
        srv.put_client(slot, c);
    }
}

/// Publishes `msg` on `channel` to channel and pattern subscribers; returns how
/// many received it.
pub fn publish(
    srv: &mut Server,
    mut current: Option<(&mut ClientState, &mut Reply)>,
    channel: &[u8],
    msg: &[u8],
) -> usize {
    let msg = &Payload::new(msg);
    let mut n = 0;
    if let Some(subs) = srv.pubsub.channels.get(channel).cloned() {
        for s in subs {
            deliver(srv, &mut current, s, b"message", None, channel, msg);
            n += 1;
        }
    }
    if !srv.pubsub.patterns.is_empty() {
        let matching: Vec<(Vec<u8>, Vec<Subscriber>)> = srv
            .pubsub
            .patterns
            .iter()
            .filter(|(p, _)| glob_match(p, channel, false))
            .map(|(p, s)| (p.clone(), s.clone()))
            .collect();
        for (p, subs) in matching {
            for s in subs {
                deliver(srv, &mut current, s, b"pmessage", Some(&p), channel, msg);
                n += 1;
            }
        }
    }
    n
}

/// PUBLISH channel message
pub fn publish_cmd(ctx: &mut Ctx) -> CmdResult {
    let (channel, msg) = (ctx.argv.get(1), ctx.argv.get(2));
    let n = publish(ctx.srv, None, channel, msg);
    // Like Redis, PUBLISH reaches replicas (their subscribers) but not the AOF.
    ctx.ks.force_propagate = true;
    ctx.ks.replicas_only = true;
    // Messages to the publisher itself follow its reply.
    ctx.reply.int(n as i64);
    if ctx.client.channels.iter().any(|c| c == channel)
        || ctx
            .client
            .patterns
            .iter()
            .any(|p| glob_match(p, channel, false))
    {
        let me = (ctx.client.slot, ctx.client.id);
        let on_channel = ctx.client.channels.iter().any(|c| c == channel);
        let pats: Vec<Vec<u8>> = ctx
            .client
            .patterns
            .iter()
            .filter(|p| glob_match(p, channel, false))
            .cloned()
            .collect();
        let msg = &Payload::new(msg);
        let mut current = Some((&mut *ctx.client, &mut *ctx.reply));
        if on_channel {
            deliver(ctx.srv, &mut current, me, b"message", None, channel, msg);
        }
        for p in pats {
            deliver(
                ctx.srv,
                &mut current,
                me,
                b"pmessage",
                Some(&p),
                channel,
                msg,
            );
        }
    }
    Ok(())
}

/// SPUBLISH shardchannel message
pub fn spublish(ctx: &mut Ctx) -> CmdResult {
    let (channel, msg) = (ctx.argv.get(1), ctx.argv.get(2));
    // Outside cluster mode Redis 7.0 propagates SPUBLISH to replicas too.
    ctx.ks.force_propagate = true;
    ctx.ks.replicas_only = true;
    let subs = ctx
        .srv
        .pubsub
        .shard_channels
        .get(channel)
        .cloned()
        .unwrap_or_default();
    ctx.reply.int(subs.len() as i64);
    let msg = &Payload::new(msg);
    let mut current = Some((&mut *ctx.client, &mut *ctx.reply));
    for s in subs {
        deliver(ctx.srv, &mut current, s, b"smessage", None, channel, msg);
    }
    Ok(())
}

/// Publishes the queued keyspace events (called after each command).
pub fn publish_keyspace_events(
    srv: &mut Server,
    events: Vec<KeyspaceEvent>,
    mut current: Option<(&mut ClientState, &mut Reply)>,
) {
    let flags = srv.config.notify_keyspace_events;
    for ev in events {
        if flags & notify::KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{}__:", ev.db).into_bytes();
            ch.extend_from_slice(&ev.key);
            publish(
                srv,
                current.as_mut().map(|(s, r)| (&mut **s, &mut **r)),
                &ch,
                ev.event.as_bytes(),
            );
        }
        if flags & notify::KEYEVENT != 0 {
            let ch = format!("__keyevent@{}__:{}", ev.db, ev.event).into_bytes();
            publish(
                srv,
                current.as_mut().map(|(s, r)| (&mut **s, &mut **r)),
                &ch,
                &ev.key,
            );
        }
    }
}

/// PUBSUB CHANNELS [pattern]
pub fn pubsub_channels(ctx: &mut Ctx) -> CmdResult {
    list_channels(ctx, false)
}

/// PUBSUB SHARDCHANNELS [pattern]
pub fn pubsub_shardchannels(ctx: &mut Ctx) -> CmdResult {
    list_channels(ctx, true)
}

fn list_channels(ctx: &mut Ctx, shard: bool) -> CmdResult {
    let pattern = ctx.argv.try_get(2);
    let map = if shard {
        &ctx.srv.pubsub.shard_channels
    } else {
        &ctx.srv.pubsub.channels
    };
    let names: Vec<&Vec<u8>> = map
        .keys()
        .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
        .collect();
    ctx.reply.array_len(names.len());
    for n in names {
        ctx.reply.bulk(n);
    }
    Ok(())
}

/// PUBSUB NUMSUB [channel ...]
pub fn pubsub_numsub(ctx: &mut Ctx) -> CmdResult {
    numsub(ctx, false)
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
pub fn pubsub_shardnumsub(ctx: &mut Ctx) -> CmdResult {
    numsub(ctx, true)
}

fn numsub(ctx: &mut Ctx, shard: bool) -> CmdResult {
    let names: Vec<&[u8]> = ctx.argv.iter().skip(2).collect();
    ctx.reply.map_len(names.len());
    for n in names {
        let map = if shard {
            &ctx.srv.pubsub.shard_channels
        } else {
            &ctx.srv.pubsub.channels
        };
        let count = map.get(n).map_or(0, |s| s.len());
        ctx.reply.bulk(n);
        ctx.reply.int(count as i64);
    }
    Ok(())
}

/// PUBSUB NUMPAT
pub fn pubsub_numpat(ctx: &mut Ctx) -> CmdResult {
    ctx.reply.int(ctx.srv.pubsub.patterns.len() as i64);
    Ok(())
}

/// PUBSUB HELP
pub fn pubsub_help(ctx: &mut Ctx) -> CmdResult {
    help_reply(
        ctx,
        &[
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP",
            "    Print this help.",
        ],
    );
    Ok(())
}

/// The RESP2 subscribed-mode restriction; `None` when the command may run.
pub fn subscribed_mode_error(st: &ClientState, resp: u8, cmd_name: &str) -> Option<CmdError> {
    if resp != 2 || !st.has(flags::PUBSUB) {
        return None;
    }
    let allowed = matches!(
        cmd_name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    );
    (!allowed).then(|| {
        CmdError::err(format!(
            "Can't execute '{cmd_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        ))
    })
}
