//! Dispatch: from a parsed argv to a reply, with every check Redis makes before a
//! handler runs (existence, arity, authentication, protected commands) done here
//! once, and the bookkeeping after it (stats, error counting, CLIENT REPLY modes,
//! MONITOR feed, keyspace events).

use super::spec::{
    CMD_ADMIN, CMD_DENYOOM, CMD_LOADING, CMD_NO_AUTH, CMD_NO_MULTI, CMD_PROTECTED,
    CMD_SKIP_MONITOR, CMD_WRITE,
};
use super::{Argv, CmdError, Command, Ctx, LookupError, OwnedArgv};
use crate::db::keyspace::Keyspace;
use crate::protocol::reply::Reply;
use crate::server::client::{flags, Client, ClientState};
use crate::server::propagate::PendingOp;
use crate::server::Server;

/// Redis's "unknown command" text: the name and up to 128 bytes of arguments.
fn unknown_command_error(argv: &Argv) -> String {
    let mut args = String::new();
    for i in 1..argv.len() {
        if args.len() >= 128 {
            break;
        }
        let a = String::from_utf8_lossy(argv.get(i));
        let room = 128 - args.len();
        let shown: String = a.chars().take(room).collect();
        args.push('\'');
        args.push_str(&shown);
        args.push_str("' ");
    }
    let name = String::from_utf8_lossy(argv.get(0));
    let name: String = name.chars().take(128).collect();
    format!("ERR unknown command '{name}', with args beginning with: {args}")
}

fn unknown_subcommand_error(argv: &Argv) -> String {
    let cmd = String::from_utf8_lossy(argv.get(0)).to_uppercase();
    let sub = String::from_utf8_lossy(argv.get(1));
    let sub: String = sub.chars().take(128).collect();
    format!("ERR unknown subcommand '{sub}'. Try {cmd} HELP.")
}

/// Rejects a command before it runs: error reply, counted as rejected, and inside
/// MULTI the transaction is marked to abort.
fn reject(srv: &mut Server, client: &mut Client, text: &str, cmd_id: Option<usize>) {
    client.reply.error(text);
    srv.count_error(text);
    if let Some(id) = cmd_id {
        srv.command_stats[id].rejected_calls += 1;
    }
    crate::server::multi::flag_transaction(&mut client.st);
}

/// Commands that run at once even inside MULTI.
fn runs_inside_multi(cmd: &Command) -> bool {
    matches!(
        cmd.full_name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Runs one command for `client`: every check Redis makes before a handler runs,
/// then queueing (inside MULTI) or the call itself. The command's time is
/// `srv.now_ns`, which the caller has refreshed since it last waited (the
/// reactor after reading the client's input, or the previous command's end).
pub fn execute(srv: &mut Server, ks: &mut Keyspace, client: &mut Client, argv: Argv) {
    let now = srv.cached_unix_ms();
    ks.set_time(now);
    client.st.last_interaction_ms = now;
    if srv.tracking.clients > 0 {
        crate::server::tracking::limit_table(srv, Some((&mut client.st, &mut client.reply)));
    }

    let cmd = match srv.registry.lookup(&argv) {
        Ok(c) if c.handler.is_some() || !c.arity_ok(argv.len()) => c,
        Ok(_) | Err(LookupError::UnknownSubcommand) => {
            let text = unknown_subcommand_error(&argv);
            return reject(srv, client, &text, None);
        }
        Err(LookupError::UnknownCommand) => {
            let text = unknown_command_error(&argv);
            return reject(srv, client, &text, None);
        }
    };
    client.st.last_cmd = cmd.full_name;
    if !cmd.arity_ok(argv.len()) {
        let text = CmdError::WrongArity(cmd.full_name.to_string())
            .text()
            .into_owned();
        return reject(srv, client, &text, Some(cmd.id));
    }
    if !client.st.authenticated && !cmd.has_flag(CMD_NO_AUTH) {
        return reject(srv, client, &CmdError::NoAuth.text(), Some(cmd.id));
    }
    if let Some(e) =
        crate::server::pubsub::subscribed_mode_error(&client.st, client.reply.resp, cmd.full_name)
    {
        return reject(srv, client, &e.text(), Some(cmd.id));
    }
    let in_multi = client.st.has(flags::MULTI);
    if in_multi && cmd.has_flag(CMD_NO_MULTI) {
        let text = "ERR Command not allowed inside a transaction";
        return reject(srv, client, text, Some(cmd.id));
    }
    // Commands replayed from the AOF must run whatever the state of memory or disk.
    let must_obey = client.st.id == crate::aof::CLIENT_ID_AOF;
    // Over maxmemory: commands that may grow memory are refused (eviction, which
    // would try to make room first, is not built yet).
    if !must_obey
        && srv.config.maxmemory > 0
        && cmd.has_flag(CMD_DENYOOM)
        && crate::alloc::used_memory() as u64 > srv.config.maxmemory
    {
        let text = "OOM command not allowed when used memory > 'maxmemory'.";
        return reject(srv, client, text, Some(cmd.id));
    }
    // Real clients wait while a dataset loads; the AOF's replay is the loading.
    if !must_obey && srv.persist.loading && !cmd.has_flag(CMD_LOADING) {
        let text = "LOADING Redis is loading the dataset in memory";
        return reject(srv, client, text, Some(cmd.id));
    }
    // A failed background save with stop-writes-on-bgsave-error, or an AOF write
    // error: writes (and PING, so monitoring notices) are refused until the disk
    // takes them again.
    if !must_obey && (cmd.has_flag(CMD_WRITE) || cmd.full_name == "ping") {
        if let Some(text) = crate::persist::disk_error(srv) {
            return reject(srv, client, &text, Some(cmd.id));
        }
    }
    if cmd.has_flag(CMD_PROTECTED) {
        let (name, option, allow) = if cmd.full_name.starts_with("debug") {
            (
                "DEBUG",
                "enable-debug-command",
                srv.config.enable_debug_command,
            )
        } else {
            (
                "MODULE",
                "enable-module-command",
                srv.config.enable_module_command,
            )
        };
        if !allow.allows(client.st.is_local()) {
            let text = format!(
                "ERR {name} command not allowed. If the {option} option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
            );
            return reject(srv, client, &text, Some(cmd.id));
        }
    }

    if in_multi && !runs_inside_multi(cmd) {
        if !client.st.has(flags::DIRTY_CAS | flags::DIRTY_EXEC) {
            client.st.multi_queue.push((cmd.id, argv.to_owned_argv()));
            client.st.multi += 1;
        }
        client.reply.simple("QUEUED");
        return;
    }

    if !client.st.has(flags::BLOCKED)
        && !srv.monitors.is_empty()
        && !cmd.has_flag(CMD_SKIP_MONITOR)
        && !cmd.has_flag(CMD_ADMIN)
    {
        feed_monitors(srv, client, &argv);
    }

    // CLIENT REPLY SKIP applies to the command after the one that set it.
    if client.st.has(flags::REPLY_SKIP_NEXT) {
        client.st.flags &= !flags::REPLY_SKIP_NEXT;
        client.st.flags |= flags::REPLY_SKIP;
    }
    client.reply.mute = client.st.flags & (flags::REPLY_OFF | flags::REPLY_SKIP) != 0;
    call(srv, ks, &mut client.st, &mut client.reply, cmd, argv);
    client.st.flags &= !flags::REPLY_SKIP;
    client.reply.mute = false;
}

/// Runs `cmd`'s handler and does the bookkeeping after it: stats, the error reply,
/// a block the handler requested, propagation, WATCH, blocked clients. EXEC calls
/// this for each queued command.
pub fn call(
    srv: &mut Server,
    ks: &mut Keyspace,
    st: &mut ClientState,
    reply: &mut Reply,
    cmd: &'static Command,
    argv: Argv,
) {
    let rerun = st.has(flags::BLOCKED);
    let handler = cmd
        .handler
        .expect("dispatch resolves only runnable commands");
    ks.track_modified = !srv.watch.watchers.is_empty() || srv.tracking.active();
    let dirty_before = ks.dirty;
    let started = srv.now_ns;
    let result = {
        let mut ctx = Ctx {
            srv,
            ks,
            client: st,
            reply,
            argv,
            cmd,
        };
        handler(&mut ctx)
    };
    let elapsed_ns = crate::server::mono_ns().saturating_sub(started);
    srv.now_ns = started + elapsed_ns;
    if let Some(req) = srv.blocking.pending.take() {
        crate::server::blocking::register(srv, ks, st, cmd.id, argv.to_owned_argv(), req);
    }
    // A command that blocked is counted when it completes (served or timed out).
    let stats = &mut srv.command_stats[cmd.id];
    stats.usec += elapsed_ns / 1000;
    // A re-run that served its client counts now (its flag is cleared after).
    let served_rerun = rerun && !srv.blocking.reblocked;
    if !st.has(flags::BLOCKED) || served_rerun {
        stats.calls += 1;
        if srv.config.latency_tracking {
            srv.latency[cmd.id].record(elapsed_ns);
        }
    }
    if !rerun {
        srv.stats.total_commands_processed += 1;
    }
    if let Err(e) = result {
        let text = e.text();
        reply.error(&text);
        srv.count_error(&text);
        srv.command_stats[cmd.id].failed_calls += 1;
    }
    if st.has(flags::TRACKING) {
        crate::server::tracking::after_call(srv, st, cmd, &argv);
    }
    // EXEC propagates its commands itself, wrapped in MULTI/EXEC. Only a rise of
    // `dirty` is a write: SAVE or DEBUG RELOAD/LOADAOF reset it.
    let wrote = (ks.dirty > dirty_before || std::mem::take(&mut ks.force_propagate))
        && cmd.full_name != "exec";
    let db = st.db;
    after_command(srv, ks, Some((st, reply)), db, wrote.then_some(argv));
}

/// Work queued by the command: lazy-expiry DELs and the command itself go to the
/// propagator (the command only when it changed the dataset, as rewritten by its
/// handler; inside EXEC collected for EXEC to wrap); watchers of modified keys are
/// flagged; clients blocked on keys that got data are served (not inside EXEC).
/// Pub/Sub and tracking plug in here as they land.
pub fn after_command(
    srv: &mut Server,
    ks: &mut Keyspace,
    mut current: Option<(&mut ClientState, &mut Reply)>,
    db: usize,
    written: Option<Argv>,
) {
    let expired = std::mem::take(&mut ks.expired_deletions);
    if srv.propagator.active() {
        let del: &[u8] = if srv.config.lazyfree_lazy_expire {
            b"UNLINK"
        } else {
            b"DEL"
        };
        for (kdb, key) in &expired {
            let a = OwnedArgv::from_parts([del, key.as_slice()]);
            if srv.in_exec {
                srv.exec_ops.push(PendingOp {
                    db: *kdb,
                    argv: a,
                    replicas_only: false,
                });
            } else {
                srv.propagator.feed(*kdb, a.view());
            }
        }
        if let Some(argv) = written {
            let op = ks.rewritten.take();
            let replicas_only = ks.replicas_only;
            if srv.in_exec {
                // EXEC decides at its end whether the ops need MULTI/EXEC around them.
                srv.exec_ops.push(PendingOp {
                    db,
                    argv: op.unwrap_or_else(|| argv.to_owned_argv()),
                    replicas_only,
                });
            } else {
                let argv = op.as_ref().map_or(argv, |r| r.view());
                if replicas_only {
                    let parts: Vec<&[u8]> = argv.iter().collect();
                    srv.propagator.feed_replicas_only(Some(db), &parts);
                } else {
                    srv.propagator.feed(db, argv);
                }
            }
        }
    }
    ks.rewritten = None;
    ks.replicas_only = false;
    if !ks.events.is_empty() {
        let events = std::mem::take(&mut ks.events);
        let cur = current.as_mut().map(|(s, r)| (&mut **s, &mut **r));
        crate::server::pubsub::publish_keyspace_events(srv, events, cur);
    }
    if !ks.modified.is_empty() || !expired.is_empty() {
        let modified = std::mem::take(&mut ks.modified);
        if srv.tracking.active() {
            let cur = current.as_mut().map(|(s, r)| (&mut **s, &mut **r));
            crate::server::tracking::invalidate_keys(srv, cur, &modified, &expired);
        }
        crate::server::multi::touch_modified_keys(srv, ks, current.map(|(s, _)| s), modified);
    }
    if !srv.in_exec {
        crate::server::blocking::serve_ready_keys(srv, ks);
    }
}

/// Sends `+<time> [<db> <addr>] "arg" ...` to every MONITOR client.
fn feed_monitors(srv: &mut Server, client: &Client, argv: &Argv) {
    let now = crate::server::unix_us();
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        now / 1_000_000,
        now % 1_000_000,
        client.st.db,
        if client.st.has(flags::UNIX_SOCKET) {
            format!("unix:{}", srv.config.unixsocket.as_deref().unwrap_or(""))
        } else {
            client.st.addr.clone()
        }
    )
    .into_bytes();
    for a in argv.iter() {
        line.push(b' ');
        crate::util::repr::write_repr(&mut line, a);
    }
    line.extend_from_slice(b"\r\n");
    let monitors = srv.monitors.clone();
    for slot in monitors {
        if let Some(mut m) = srv.take_client(slot) {
            m.reply.raw(&line);
            srv.queue_write(&mut m);
            crate::server::reactor::enforce_obuf_limits(srv, &mut m);
            srv.put_client(slot, m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::OwnedArgv;

    #[test]
    fn unknown_command_lists_args_quoted() {
        let o = OwnedArgv::from_parts([&b"foo"[..], b"a", b"b c"]);
        assert_eq!(
            unknown_command_error(&o.view()),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b c' "
        );
    }

    #[test]
    fn unknown_command_args_are_capped_near_128_bytes() {
        let long = vec![b'x'; 300];
        let o = OwnedArgv::from_parts([&b"foo"[..], &long, b"next"]);
        let e = unknown_command_error(&o.view());
        assert!(e.ends_with(&format!("'{}' ", "x".repeat(128))), "{e}");
    }

    #[test]
    fn unknown_subcommand_suggests_help() {
        let o = OwnedArgv::from_parts([&b"config"[..], b"bogus"]);
        assert_eq!(
            unknown_subcommand_error(&o.view()),
            "ERR unknown subcommand 'bogus'. Try CONFIG HELP."
        );
    }
}
