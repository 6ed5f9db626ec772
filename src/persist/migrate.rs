//! MIGRATE: moves keys to another instance as RESTORE commands carrying DUMP
//! payloads, over a connection cached per target for ten seconds. Like Redis, the
//! transfer is synchronous (bounded by the command's timeout): the event loop waits
//! for the target's replies.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::command::{CmdError, CmdResult, Ctx};
use crate::db::keyspace::notify;
use crate::protocol::resp::{write_bulk, write_header};
use crate::util::numbers::parse_i64;

/// Cached connections are closed after this many idle seconds.
const CACHE_TTL_SECS: i64 = 10;
/// At most this many cached connections; one is dropped to make room.
const CACHE_ITEMS: usize = 64;

/// A connection to a target instance.
#[derive(Debug)]
struct Cached {
    conn: BufReader<TcpStream>,
    /// The database the target has selected on this connection, if known.
    last_db: Option<i64>,
    last_use_unix: i64,
}

/// Connections to MIGRATE targets, by `host:port`.
#[derive(Debug, Default)]
pub struct SocketCache {
    sockets: HashMap<String, Cached>,
}

impl SocketCache {
    /// INFO stats `migrate_cached_sockets`.
    pub fn len(&self) -> usize {
        self.sockets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// Closes connections idle for longer than the TTL (cron).
    pub fn close_idle(&mut self, now_unix: i64) {
        self.sockets
            .retain(|_, c| now_unix - c.last_use_unix <= CACHE_TTL_SECS);
    }
}

/// Why a transfer failed on the socket.
struct SocketError {
    writing: bool,
    timed_out: bool,
}

fn socket_error(e: &std::io::Error, writing: bool) -> SocketError {
    SocketError {
        writing,
        timed_out: matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    }
}

/// One reply line from the target (without CRLF); empty means the peer closed.
fn read_line(conn: &mut BufReader<TcpStream>) -> Result<Vec<u8>, SocketError> {
    let mut line = Vec::new();
    match conn.read_until(b'\n', &mut line) {
        Ok(0) => Err(SocketError {
            writing: false,
            timed_out: false,
        }),
        Ok(_) => {
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            Ok(line)
        }
        Err(e) => Err(socket_error(&e, false)),
    }
}

fn connect(host: &[u8], port: &[u8], timeout: Duration) -> Option<BufReader<TcpStream>> {
    let host = std::str::from_utf8(host).ok()?;
    let port: u16 = std::str::from_utf8(port).ok()?.parse().ok()?;
    let addr = (host, port).to_socket_addrs().ok()?.next()?;
    let s = TcpStream::connect_timeout(&addr, timeout).ok()?;
    let _ = s.set_nodelay(true);
    s.set_read_timeout(Some(timeout)).ok()?;
    s.set_write_timeout(Some(timeout)).ok()?;
    Some(BufReader::new(s))
}

/// The parsed arguments of MIGRATE.
struct Request {
    copy: bool,
    replace: bool,
    auth: Option<(Option<Vec<u8>>, Vec<u8>)>,
    first_key: usize,
    num_keys: usize,
    timeout_ms: i64,
    db: i64,
}

fn parse(ctx: &Ctx) -> Result<Request, CmdError> {
    let argv = &ctx.argv;
    let argc = argv.len();
    let mut req = Request {
        copy: false,
        replace: false,
        auth: None,
        first_key: 3,
        num_keys: 1,
        timeout_ms: 0,
        db: 0,
    };
    let mut j = 6;
    while j < argc {
        let more = argc - 1 - j;
        let a = argv.get(j);
        if a.eq_ignore_ascii_case(b"copy") {
            req.copy = true;
        } else if a.eq_ignore_ascii_case(b"replace") {
            req.replace = true;
        } else if a.eq_ignore_ascii_case(b"auth") {
            if more == 0 {
                return Err(CmdError::Syntax);
            }
            j += 1;
            req.auth = Some((None, argv.get(j).to_vec()));
        } else if a.eq_ignore_ascii_case(b"auth2") {
            if more < 2 {
                return Err(CmdError::Syntax);
            }
            req.auth = Some((Some(argv.get(j + 1).to_vec()), argv.get(j + 2).to_vec()));
            j += 2;
        } else if a.eq_ignore_ascii_case(b"keys") {
            if !argv.get(3).is_empty() {
                return Err(CmdError::err(
                    "When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            req.first_key = j + 1;
            req.num_keys = argc - j - 1;
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    req.timeout_ms = parse_i64(argv.get(5)).ok_or(CmdError::NotInteger)?;
    req.db = parse_i64(argv.get(4)).ok_or(CmdError::NotInteger)?;
    if req.timeout_ms <= 0 {
        req.timeout_ms = 1000;
    }
    Ok(req)
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password | AUTH2 username password] [KEYS key [key ...]]
pub fn migrate(ctx: &mut Ctx) -> CmdResult {
    let req = parse(ctx)?;
    let db = ctx.db();
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for j in 0..req.num_keys {
        let k = ctx.argv.get(req.first_key + j);
        if ctx.ks.lookup_read(db, k).is_some() {
            keys.push(k.to_vec());
        }
    }
    if keys.is_empty() {
        ctx.reply.simple("NOKEY");
        return Ok(());
    }
    let name = format!(
        "{}:{}",
        String::from_utf8_lossy(ctx.argv.get(1)),
        String::from_utf8_lossy(ctx.argv.get(2))
    );
    let timeout = Duration::from_millis(req.timeout_ms as u64);
    let mut may_retry = true;
    loop {
        match transfer(ctx, &req, &name, timeout, db, &keys) {
            Ok(()) => return Ok(()),
            Err(Failure::Reply(e)) => return Err(e),
            Err(Failure::Socket(err, acked)) => {
                ctx.srv.persist.migrate.sockets.remove(&name);
                // Retry once on a fresh connection when nothing was processed and
                // it was not a timeout (a cached connection the peer closed).
                if may_retry && !acked && !err.timed_out {
                    may_retry = false;
                    continue;
                }
                return Err(CmdError::raw(format!(
                    "IOERR error or timeout {} to target instance",
                    if err.writing { "writing" } else { "reading" }
                )));
            }
        }
    }
}

enum Failure {
    /// An error reply for the client (the target's own error, or no connection).
    Reply(CmdError),
    /// The connection failed; `bool` is whether some key was already acknowledged.
    Socket(SocketError, bool),
}

/// One attempt: connect (or reuse), send, read the replies, delete what moved.
fn transfer(
    ctx: &mut Ctx,
    req: &Request,
    name: &str,
    timeout: Duration,
    db: usize,
    keys: &[Vec<u8>],
) -> Result<(), Failure> {
    let now_unix = ctx.ks.now_ms / 1000;
    if !ctx.srv.persist.migrate.sockets.contains_key(name) {
        let cache = &mut ctx.srv.persist.migrate.sockets;
        if cache.len() >= CACHE_ITEMS {
            if let Some(k) = cache.keys().next().cloned() {
                cache.remove(&k);
            }
        }
        let Some(conn) = connect(ctx.argv.get(1), ctx.argv.get(2), timeout) else {
            return Err(Failure::Reply(CmdError::raw(
                "IOERR error or timeout connecting to the client",
            )));
        };
        cache.insert(
            name.to_string(),
            Cached {
                conn,
                last_db: None,
                last_use_unix: now_unix,
            },
        );
    }

    // Build the whole pipeline first: AUTH, SELECT, one RESTORE per live key.
    let select = ctx.srv.persist.migrate.sockets[name].last_db != Some(req.db);
    let mut out = Vec::new();
    if let Some((user, pass)) = &req.auth {
        write_header(&mut out, b'*', if user.is_some() { 3 } else { 2 });
        write_bulk(&mut out, b"AUTH");
        if let Some(u) = user {
            write_bulk(&mut out, u);
        }
        write_bulk(&mut out, pass);
    }
    if select {
        write_header(&mut out, b'*', 2);
        write_bulk(&mut out, b"SELECT");
        write_bulk(&mut out, req.db.to_string().as_bytes());
    }
    let now_ms = ctx.ks.now_ms;
    let mut sent: Vec<&[u8]> = Vec::new();
    for key in keys {
        let ttl = match ctx.ks.dbs[db].expire_of(key) {
            Some(when) if when - now_ms < 0 => continue,
            Some(when) => (when - now_ms).max(1),
            None => 0,
        };
        let Some(obj) = ctx.ks.dbs[db].dict.get(key.as_slice()) else {
            continue;
        };
        let payload = crate::rdb::dump_payload_with(&obj.value, ctx.srv.config.rdbcompression);
        write_header(&mut out, b'*', if req.replace { 5 } else { 4 });
        write_bulk(&mut out, b"RESTORE");
        write_bulk(&mut out, key);
        write_bulk(&mut out, ttl.to_string().as_bytes());
        write_bulk(&mut out, &payload);
        if req.replace {
            write_bulk(&mut out, b"REPLACE");
        }
        sent.push(key);
    }

    let cached = ctx
        .srv
        .persist
        .migrate
        .sockets
        .get_mut(name)
        .expect("inserted above");
    cached.last_use_unix = now_unix;
    if let Err(e) = cached.conn.get_mut().write_all(&out) {
        return Err(Failure::Socket(socket_error(&e, true), false));
    }
    let auth_reply = match &req.auth {
        Some(_) => Some(read_line(&mut cached.conn).map_err(|e| Failure::Socket(e, false))?),
        None => None,
    };
    let select_reply = if select {
        Some(read_line(&mut cached.conn).map_err(|e| Failure::Socket(e, false))?)
    } else {
        None
    };
    let mut target_error: Option<Vec<u8>> = None;
    let mut moved: Vec<&[u8]> = Vec::new();
    let mut socket_failure = None;
    for (j, key) in sent.iter().enumerate() {
        let line = match read_line(&mut cached.conn) {
            Ok(l) => l,
            Err(e) => {
                socket_failure = Some((e, j > 0));
                break;
            }
        };
        let failed = [
            auth_reply.as_deref(),
            select_reply.as_deref(),
            Some(&line[..]),
        ]
        .into_iter()
        .flatten()
        .find(|l| l.first() == Some(&b'-'));
        if let Some(err) = failed {
            if target_error.is_none() {
                target_error = Some(err[1..].to_vec());
            }
        } else if !req.copy {
            moved.push(key);
        }
    }
    if target_error.is_some() {
        cached.last_db = None;
    } else if socket_failure.is_none() {
        cached.last_db = Some(req.db);
    }
    if !moved.is_empty() {
        for key in &moved {
            ctx.ks.delete(db, key);
            ctx.ks.notify(notify::GENERIC, "del", key, db);
            ctx.ks.dirty(1);
        }
        let mut del: Vec<&[u8]> = vec![b"DEL"];
        del.extend(moved.iter().copied());
        ctx.ks.propagate_as(&del);
    }
    if let Some(e) = target_error {
        return Err(Failure::Reply(CmdError::err(format!(
            "Target instance replied with error: {}",
            String::from_utf8_lossy(&e)
        ))));
    }
    if let Some((e, acked)) = socket_failure {
        return Err(Failure::Socket(e, acked || !moved.is_empty()));
    }
    ctx.reply.ok();
    Ok(())
}
