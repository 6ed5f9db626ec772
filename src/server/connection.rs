//! Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT and CLIENT.

use super::client::{flags, ClientState};
use super::{unix_ms, REDIS_VERSION};
use crate::command::args::is_token;
use crate::command::{CmdError, CmdResult, Ctx};
use crate::protocol::reply::Reply;

/// PING [message]
pub fn ping(ctx: &mut Ctx) -> CmdResult {
    if ctx.argv.len() > 2 {
        return Err(CmdError::WrongArity("ping".into()));
    }
    let msg = ctx.argv.try_get(1);
    if ctx.client.has(flags::PUBSUB) && !ctx.reply.is_resp3() {
        ctx.reply.array_len(2);
        ctx.reply.bulk(b"pong");
        ctx.reply.bulk(msg.unwrap_or(b""));
        return Ok(());
    }
    match msg {
        Some(m) => ctx.reply.bulk(m),
        None => ctx.reply.simple("PONG"),
    }
    Ok(())
}

/// ECHO message
pub fn echo(ctx: &mut Ctx) -> CmdResult {
    ctx.reply.bulk(ctx.argv.get(1));
    Ok(())
}

/// QUIT
pub fn quit(ctx: &mut Ctx) -> CmdResult {
    ctx.reply.ok();
    ctx.client.flags |= flags::CLOSE_AFTER_REPLY;
    Ok(())
}

/// RESET: back to a fresh connection's state.
pub fn reset(ctx: &mut Ctx) -> CmdResult {
    super::multi::discard_transaction(ctx.srv, ctx.ks, ctx.client);
    super::pubsub::unsubscribe_all(ctx.srv, ctx.client);
    super::tracking::disable(ctx.srv, ctx.client);
    let keep = ctx.client.flags & (flags::UNIX_SOCKET | flags::SLAVE | flags::MASTER);
    ctx.client.flags = keep;
    ctx.client.db = 0;
    ctx.client.name = None;
    ctx.client.multi = -1;
    ctx.reply.resp = 2;
    ctx.client.authenticated = ctx.srv.config.requirepass.is_none();
    let slot = ctx.client.slot;
    ctx.srv.monitors.retain(|&m| m != slot);
    ctx.reply.simple("RESET");
    Ok(())
}

/// Checks a password against `requirepass` (the default user until ACLs land).
fn check_password(ctx: &mut Ctx, user: Option<&[u8]>, pass: &[u8]) -> bool {
    if let Some(u) = user {
        if u != b"default" {
            return false;
        }
    }
    match &ctx.srv.config.requirepass {
        None => true,
        Some(p) => p.as_slice() == pass,
    }
}

/// AUTH [username] password
pub fn auth(ctx: &mut Ctx) -> CmdResult {
    let (user, pass) = match ctx.argv.len() {
        2 => (None, ctx.argv.get(1)),
        3 => (Some(ctx.argv.get(1)), ctx.argv.get(2)),
        _ => return Err(CmdError::Syntax),
    };
    if user.is_none() && ctx.srv.config.requirepass.is_none() {
        return Err(CmdError::err(
            "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        ));
    }
    if check_password(ctx, user, pass) {
        ctx.client.authenticated = true;
        ctx.reply.ok();
        Ok(())
    } else {
        Err(CmdError::raw(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ))
    }
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
pub fn hello(ctx: &mut Ctx) -> CmdResult {
    let mut args = ctx.args();
    let mut ver = 0;
    if !args.is_done() {
        ver = args
            .next_i64()
            .map_err(|_| CmdError::err("Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&ver) {
            return Err(CmdError::raw("NOPROTO unsupported protocol version"));
        }
    }
    let mut name = None;
    while let Some(opt) = args.peek() {
        let more = args.remaining() - 1;
        args.next_bytes()?;
        if is_token(opt, "AUTH") && more >= 2 {
            let user = args.next_bytes()?;
            let pass = args.next_bytes()?;
            if !check_password(ctx, Some(user), pass) {
                return Err(CmdError::raw(
                    "WRONGPASS invalid username-password pair or user is disabled.",
                ));
            }
            ctx.client.authenticated = true;
        } else if is_token(opt, "SETNAME") && more >= 1 {
            let n = args.next_bytes()?;
            validate_client_name(n)?;
            name = Some(n);
        } else {
            return Err(CmdError::err(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if !ctx.client.authenticated {
        return Err(CmdError::raw("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"));
    }
    if let Some(n) = name {
        ctx.client.name = if n.is_empty() { None } else { Some(n.to_vec()) };
    }
    if ver != 0 {
        ctx.reply.resp = ver as u8;
    }
    let r = &mut *ctx.reply;
    r.map_len(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(r.resp as i64);
    r.bulk(b"id");
    r.int(ctx.client.id as i64);
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    r.bulk(if ctx.ks.is_replica {
        b"replica"
    } else {
        b"master"
    });
    r.bulk(b"modules");
    r.array_len(0);
    Ok(())
}

/// SELECT index
pub fn select(ctx: &mut Ctx) -> CmdResult {
    let idx = crate::util::numbers::parse_i64(ctx.argv.get(1))
        .ok_or_else(|| CmdError::err("invalid DB index"))?;
    if idx < 0 || idx as usize >= ctx.ks.dbs.len() {
        return Err(CmdError::err("DB index is out of range"));
    }
    ctx.client.db = idx as usize;
    ctx.reply.ok();
    Ok(())
}

/// Client names may not contain spaces, newlines or other special characters.
fn validate_client_name(n: &[u8]) -> CmdResult {
    if n.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// The flags letters CLIENT LIST shows.
fn flag_letters(st: &ClientState) -> String {
    let mut s = String::new();
    if st.has(flags::SLAVE) {
        s.push(if st.has(flags::MONITOR) { 'O' } else { 'S' });
    }
    if st.has(flags::MASTER) {
        s.push('M');
    }
    if st.has(flags::PUBSUB) {
        s.push('P');
    }
    if st.has(flags::MULTI) {
        s.push('x');
    }
    if st.has(flags::BLOCKED) {
        s.push('b');
    }
    if st.has(flags::TRACKING) {
        s.push('t');
    }
    if st.has(flags::DIRTY_CAS) {
        s.push('d');
    }
    if st.has(flags::CLOSE_AFTER_REPLY) {
        s.push('c');
    }
    if st.has(flags::CLOSE_ASAP) {
        s.push('A');
    }
    if st.has(flags::UNIX_SOCKET) {
        s.push('U');
    }
    if st.has(flags::NO_EVICT) {
        s.push('e');
    }
    if s.is_empty() {
        s.push('N');
    }
    s
}

/// One CLIENT LIST / CLIENT INFO line (without the trailing newline).
pub fn client_info_line(
    st: &ClientState,
    reply: &Reply,
    write_interest: bool,
    now_ms: i64,
) -> String {
    let obl = reply.pending().min(16 * 1024);
    let omem = reply.buf.capacity();
    let qbuf_mem = st.qbuf + st.qbuf_free;
    let tot_mem = omem + qbuf_mem + st.argv_mem + 1024;
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp={} obl={} oll=0 omem={} tot-mem={} events=r{} cmd={} user={} redir={} resp={}",
        st.id,
        st.addr,
        st.laddr,
        st.fd,
        st.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default(),
        (now_ms - st.ctime_ms) / 1000,
        (now_ms - st.last_interaction_ms) / 1000,
        flag_letters(st),
        st.db,
        st.sub,
        st.psub,
        st.ssub,
        st.multi,
        st.qbuf,
        st.qbuf_free,
        st.argv_mem,
        reply.buf.capacity().max(1024),
        reply.buf.len(),
        obl,
        if reply.pending() > 16 * 1024 { omem } else { 0 },
        tot_mem,
        if write_interest { "w" } else { "" },
        st.last_cmd,
        st.user,
        if st.has(flags::TRACKING) { st.tracking_redirect as i64 } else { -1 },
        reply.resp,
    )
}

/// Lines for every client, the caller included, ordered by id.
fn all_client_lines(ctx: &Ctx, filter: &dyn Fn(&ClientState) -> bool) -> String {
    let now = unix_ms();
    let mut lines: Vec<(u64, String)> = ctx
        .srv
        .clients_iter()
        .filter(|c| filter(&c.st))
        .map(|c| {
            (
                c.st.id,
                client_info_line(&c.st, &c.reply, c.write_interest, now),
            )
        })
        .collect();
    if filter(ctx.client) {
        lines.push((
            ctx.client.id,
            client_info_line(ctx.client, ctx.reply, false, now),
        ));
    }
    lines.sort_by_key(|(id, _)| *id);
    let mut out = String::new();
    for (_, l) in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// The client type name used by CLIENT LIST TYPE and CLIENT KILL TYPE.
fn client_type(st: &ClientState) -> &'static str {
    if st.has(flags::MASTER) {
        "master"
    } else if st.has(flags::SLAVE) && !st.has(flags::MONITOR) {
        "replica"
    } else if st.has(flags::PUBSUB) {
        "pubsub"
    } else {
        "normal"
    }
}

fn parse_client_type(t: &[u8]) -> Option<&'static str> {
    match t.to_ascii_lowercase().as_slice() {
        b"normal" => Some("normal"),
        b"slave" | b"replica" => Some("replica"),
        b"pubsub" => Some("pubsub"),
        b"master" => Some("master"),
        _ => None,
    }
}

/// CLIENT ID
pub fn client_id(ctx: &mut Ctx) -> CmdResult {
    ctx.reply.int(ctx.client.id as i64);
    Ok(())
}

/// CLIENT INFO
pub fn client_info(ctx: &mut Ctx) -> CmdResult {
    let mut line = client_info_line(ctx.client, ctx.reply, false, unix_ms());
    line.push('\n');
    ctx.reply.verbatim(line.as_bytes(), "txt");
    Ok(())
}

/// CLIENT LIST [TYPE type] [ID id ...]
pub fn client_list(ctx: &mut Ctx) -> CmdResult {
    let mut args = ctx.args();
    let text = if args.is_done() {
        all_client_lines(ctx, &|_| true)
    } else if args.eat("TYPE") {
        let t = args.next_bytes()?;
        args.finish()?;
        let Some(t) = parse_client_type(t) else {
            return Err(CmdError::err(format!(
                "Unknown client type '{}'",
                String::from_utf8_lossy(t)
            )));
        };
        all_client_lines(ctx, &|st| client_type(st) == t)
    } else if args.eat("ID") {
        let mut ids = Vec::new();
        for a in args.rest() {
            match crate::util::numbers::parse_i64(a) {
                Some(id) if id > 0 => ids.push(id as u64),
                _ => return Err(CmdError::err("Invalid client ID")),
            }
        }
        if ids.is_empty() {
            return Err(CmdError::Syntax);
        }
        all_client_lines(ctx, &|st| ids.contains(&st.id))
    } else {
        return Err(CmdError::Syntax);
    };
    ctx.reply.verbatim(text.as_bytes(), "txt");
    Ok(())
}

/// CLIENT SETNAME name
pub fn client_setname(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.argv.get(2);
    validate_client_name(n)?;
    ctx.client.name = if n.is_empty() { None } else { Some(n.to_vec()) };
    ctx.reply.ok();
    Ok(())
}

/// CLIENT GETNAME
pub fn client_getname(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.client.name.clone();
    ctx.reply.opt_bulk(name.as_deref());
    Ok(())
}

/// CLIENT REPLY ON|OFF|SKIP
pub fn client_reply(ctx: &mut Ctx) -> CmdResult {
    let mode = ctx.argv.get(2);
    if is_token(mode, "ON") {
        ctx.client.flags &= !(flags::REPLY_OFF | flags::REPLY_SKIP_NEXT);
        ctx.reply.mute = false;
        ctx.reply.ok();
    } else if is_token(mode, "OFF") {
        ctx.client.flags |= flags::REPLY_OFF;
    } else if is_token(mode, "SKIP") {
        if !ctx.client.has(flags::REPLY_OFF) {
            ctx.client.flags |= flags::REPLY_SKIP_NEXT;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

/// CLIENT NO-EVICT ON|OFF
pub fn client_no_evict(ctx: &mut Ctx) -> CmdResult {
    let mode = ctx.argv.get(2);
    if is_token(mode, "ON") {
        ctx.client.flags |= flags::NO_EVICT;
    } else if is_token(mode, "OFF") {
        ctx.client.flags &= !flags::NO_EVICT;
    } else {
        return Err(CmdError::Syntax);
    }
    ctx.reply.ok();
    Ok(())
}

/// Filters of CLIENT KILL.
#[derive(Default)]
struct KillFilter {
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    id: Option<u64>,
    ctype: Option<&'static str>,
    user: Option<Vec<u8>>,
    skipme: bool,
}

impl KillFilter {
    fn matches(&self, st: &ClientState, is_me: bool) -> bool {
        if is_me && self.skipme {
            return false;
        }
        if let Some(a) = &self.addr {
            if st.addr.as_bytes() != a.as_slice() {
                return false;
            }
        }
        if let Some(a) = &self.laddr {
            if st.laddr.as_bytes() != a.as_slice() {
                return false;
            }
        }
        if let Some(id) = self.id {
            if st.id != id {
                return false;
            }
        }
        if let Some(t) = self.ctype {
            if client_type(st) != t {
                return false;
            }
        }
        if let Some(u) = &self.user {
            if st.user.as_bytes() != u.as_slice() {
                return false;
            }
        }
        true
    }
}

/// CLIENT KILL addr | CLIENT KILL [ID id] [TYPE t] [USER u] [ADDR a] [LADDR a] [SKIPME yes|no]
pub fn client_kill(ctx: &mut Ctx) -> CmdResult {
    let mut f = KillFilter {
        skipme: true,
        ..KillFilter::default()
    };
    let old_style = ctx.argv.len() == 3;
    if old_style {
        f.addr = Some(ctx.argv.get(2).to_vec());
        f.skipme = false;
    } else {
        let mut args = ctx.args();
        if !args.remaining().is_multiple_of(2) {
            return Err(CmdError::Syntax);
        }
        while !args.is_done() {
            let opt = args.next_bytes()?;
            let val = args.next_bytes()?;
            if is_token(opt, "ID") {
                match crate::util::numbers::parse_i64(val) {
                    Some(id) if id > 0 => f.id = Some(id as u64),
                    _ => return Err(CmdError::err("client-id should be greater than 0")),
                }
            } else if is_token(opt, "TYPE") {
                f.ctype = Some(parse_client_type(val).ok_or_else(|| {
                    CmdError::err(format!(
                        "Unknown client type '{}'",
                        String::from_utf8_lossy(val)
                    ))
                })?);
            } else if is_token(opt, "ADDR") {
                f.addr = Some(val.to_vec());
            } else if is_token(opt, "LADDR") {
                f.laddr = Some(val.to_vec());
            } else if is_token(opt, "USER") {
                f.user = Some(val.to_vec());
            } else if is_token(opt, "SKIPME") {
                if is_token(val, "yes") {
                    f.skipme = true;
                } else if is_token(val, "no") {
                    f.skipme = false;
                } else {
                    return Err(CmdError::Syntax);
                }
            } else {
                return Err(CmdError::Syntax);
            }
        }
    }
    let mut killed = 0;
    let victims: Vec<usize> = ctx
        .srv
        .clients_iter()
        .filter(|c| f.matches(&c.st, false))
        .map(|c| c.st.slot)
        .collect();
    for slot in victims {
        if let Some(c) = ctx.srv.clients[slot].as_deref_mut() {
            c.st.flags |= flags::CLOSE_ASAP;
            ctx.srv.to_close.push(slot);
            killed += 1;
        }
    }
    if f.matches(ctx.client, true) {
        ctx.client.flags |= flags::CLOSE_AFTER_REPLY;
        killed += 1;
    }
    if old_style {
        if killed == 0 {
            return Err(CmdError::err("No such client"));
        }
        ctx.reply.ok();
    } else {
        ctx.reply.int(killed);
    }
    Ok(())
}

/// CLIENT HELP
pub fn client_help(ctx: &mut Ctx) -> CmdResult {
    const LINES: &[&str] = &[
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Print this help.",
    ];
    help_reply(ctx, LINES);
    Ok(())
}

/// Writes a HELP reply: an array of status lines.
pub fn help_reply(ctx: &mut Ctx, lines: &[&str]) {
    ctx.reply.array_len(lines.len());
    for l in lines {
        ctx.reply.simple(l);
    }
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
pub fn client_unblock(ctx: &mut Ctx) -> CmdResult {
    let id = crate::util::numbers::parse_i64(ctx.argv.get(2)).ok_or(CmdError::NotInteger)?;
    let as_error = match ctx.argv.try_get(3) {
        None => false,
        Some(m) if is_token(m, "TIMEOUT") => false,
        Some(m) if is_token(m, "ERROR") => true,
        Some(_) => {
            return Err(CmdError::err(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let err = as_error.then_some("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    let done = id > 0 && super::blocking::unblock_with(ctx.srv, ctx.ks, id as u64, err);
    ctx.reply.int(done as i64);
    Ok(())
}
