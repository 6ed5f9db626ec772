//! A connected client: its socket, query buffer, parser state, reply buffer and the
//! per-connection state commands read and change (selected db, name, flags, RESP
//! version, authentication).

use std::io::{self, Write};

use mio::net::{TcpStream, UnixStream};

use crate::protocol::reply::Reply;
use crate::protocol::request::RequestParser;

/// Client flags (a subset of Redis's CLIENT_* that CLIENT LIST shows as letters).
pub mod flags {
    /// Close once the pending replies are written (QUIT, protocol error).
    pub const CLOSE_AFTER_REPLY: u64 = 1 << 0;
    /// Close at the next opportunity, without writing more (CLIENT KILL, limits).
    pub const CLOSE_ASAP: u64 = 1 << 1;
    /// Inside MULTI.
    pub const MULTI: u64 = 1 << 2;
    /// A MONITOR client.
    pub const MONITOR: u64 = 1 << 3;
    /// In RESP2 subscribed mode.
    pub const PUBSUB: u64 = 1 << 4;
    /// CLIENT REPLY OFF.
    pub const REPLY_OFF: u64 = 1 << 5;
    /// CLIENT REPLY SKIP: skip the next command's reply.
    pub const REPLY_SKIP_NEXT: u64 = 1 << 6;
    /// Skipping the reply of the command running now.
    pub const REPLY_SKIP: u64 = 1 << 7;
    /// CLIENT NO-EVICT ON.
    pub const NO_EVICT: u64 = 1 << 8;
    /// Blocked on keys or a timeout.
    pub const BLOCKED: u64 = 1 << 9;
    /// A unix socket connection.
    pub const UNIX_SOCKET: u64 = 1 << 10;
    /// CLIENT NO-TOUCH ON (7.2 has it; harmless to accept).
    pub const NO_TOUCH: u64 = 1 << 11;
    /// Sent a command WATCH cares about; EXEC will fail.
    pub const DIRTY_CAS: u64 = 1 << 12;
    /// A replica connection.
    pub const SLAVE: u64 = 1 << 13;
    /// The master connection of a replica.
    pub const MASTER: u64 = 1 << 14;
    /// Tracking enabled (client-side caching).
    pub const TRACKING: u64 = 1 << 15;
    /// Queued a command that failed at queue time: EXEC aborts.
    pub const DIRTY_EXEC: u64 = 1 << 16;
    /// Blocking commands reply as on timeout instead of blocking (MULTI, scripts).
    pub const DENY_BLOCKING: u64 = 1 << 17;
}

/// The socket of a connected client.
pub enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conn {
    /// Reads up to `max` bytes, appending them to `buf` without zeroing its spare
    /// capacity first (the query buffer is read into on every request).
    pub fn read_append(&mut self, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
        buf.reserve(max);
        let spare = buf.spare_capacity_mut();
        let n = spare.len().min(max);
        // SAFETY: read(2) writes at most `n` bytes into the spare capacity, which is
        // valid for writes of that length; on success exactly `r` bytes were
        // initialized, so extending the length by `r` exposes only written bytes.
        let r = unsafe { libc::read(self.fd(), spare.as_mut_ptr() as *mut libc::c_void, n) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        let r = r as usize;
        // SAFETY: see above; r <= n <= spare capacity.
        unsafe { buf.set_len(buf.len() + r) };
        Ok(r)
    }

    pub fn write_from(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }

    pub fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Conn::Tcp(s) => s,
            Conn::Unix(s) => s,
        }
    }

    /// The file descriptor CLIENT LIST reports.
    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// Everything commands may read or change about the calling connection.
#[derive(Debug, Clone)]
pub struct ClientState {
    /// CLIENT ID: unique, increasing.
    pub id: u64,
    /// A replica's REPLCONF listening-port.
    pub replica_listening_port: i64,
    /// Slot in the client table (the mio token is derived from it).
    pub slot: usize,
    /// File descriptor, or -1 for fake clients.
    pub fd: i32,
    /// `ip:port` of the peer, or the unix socket path.
    pub addr: String,
    /// `ip:port` of our side.
    pub laddr: String,
    /// Selected database.
    pub db: usize,
    /// CLIENT SETNAME.
    pub name: Option<Vec<u8>>,
    /// `flags::*` bits.
    pub flags: u64,
    /// True once AUTH succeeded (or when no password is required).
    pub authenticated: bool,
    /// Username for CLIENT LIST / ACL (always "default" until ACLs land).
    pub user: String,
    /// Creation time, ms.
    pub ctime_ms: i64,
    /// Last time the client sent or was sent anything, ms.
    pub last_interaction_ms: i64,
    /// Full name of the last command run ("client|list").
    pub last_cmd: &'static str,
    /// Query buffer length and capacity, sampled for CLIENT LIST while a command runs.
    pub qbuf: usize,
    pub qbuf_free: usize,
    /// Bytes of the arguments of the command running now.
    pub argv_mem: usize,
    /// Peak query buffer size over the last cron period.
    pub querybuf_peak: usize,
    /// Bytes read from and written to the socket.
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    /// Channel/pattern subscription counts (for CLIENT LIST until pub/sub lands).
    pub sub: usize,
    pub psub: usize,
    pub ssub: usize,
    /// Commands queued in MULTI (-1 when not in MULTI, as CLIENT LIST shows).
    pub multi: i64,
    /// When the output buffer first went over its soft limit (ms), 0 if it is not.
    pub obuf_soft_limit_since_ms: i64,
    /// Commands queued by MULTI: (command id, arguments).
    pub multi_queue: Vec<(usize, crate::command::OwnedArgv)>,
    /// Keys this client WATCHes.
    pub watched: Vec<super::multi::WatchedKey>,
    /// Pub/Sub subscriptions, in subscription order.
    pub channels: Vec<Vec<u8>>,
    pub patterns: Vec<Vec<u8>>,
    pub shard_channels: Vec<Vec<u8>>,
    /// CLIENT TRACKING REDIRECT target (0: none).
    pub tracking_redirect: u64,
    /// CLIENT TRACKING BCAST prefixes.
    pub tracking_prefixes: Vec<Vec<u8>>,
}

impl ClientState {
    pub fn new(id: u64, slot: usize, now_ms: i64) -> ClientState {
        ClientState {
            replica_listening_port: 0,
            id,
            slot,
            fd: -1,
            addr: String::new(),
            laddr: String::new(),
            db: 0,
            name: None,
            flags: 0,
            authenticated: true,
            user: "default".to_string(),
            ctime_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
            qbuf: 0,
            qbuf_free: 0,
            argv_mem: 0,
            querybuf_peak: 0,
            net_input_bytes: 0,
            net_output_bytes: 0,
            sub: 0,
            psub: 0,
            ssub: 0,
            multi: -1,
            obuf_soft_limit_since_ms: 0,
            multi_queue: Vec::new(),
            watched: Vec::new(),
            channels: Vec::new(),
            patterns: Vec::new(),
            shard_channels: Vec::new(),
            tracking_redirect: 0,
            tracking_prefixes: Vec::new(),
        }
    }

    #[inline]
    pub fn has(&self, flag: u64) -> bool {
        self.flags & flag != 0
    }

    /// A unix socket or loopback connection (what `local` protected configs allow).
    pub fn is_local(&self) -> bool {
        self.has(flags::UNIX_SOCKET)
            || self.addr.starts_with("127.")
            || self.addr.starts_with("[::1]:")
    }
}

/// The `client-output-buffer-limit` class of a client.
pub fn obuf_class(st: &ClientState) -> usize {
    if st.has(flags::SLAVE) && !st.has(flags::MONITOR) {
        crate::config::OBUF_REPLICA
    } else if st.has(flags::PUBSUB) {
        crate::config::OBUF_PUBSUB
    } else {
        crate::config::OBUF_NORMAL
    }
}

/// True when `pending` output bytes break the client's hard limit, or have stayed
/// over its soft limit for longer than allowed (Redis's checkClientOutputBufferLimits).
pub fn obuf_limit_reached(
    st: &mut ClientState,
    pending: usize,
    limit: &crate::config::ClientBufferLimit,
    now_ms: i64,
) -> bool {
    let pending = pending as u64;
    if limit.hard_limit_bytes > 0 && pending >= limit.hard_limit_bytes {
        return true;
    }
    if limit.soft_limit_bytes > 0 && pending >= limit.soft_limit_bytes {
        if st.obuf_soft_limit_since_ms == 0 {
            st.obuf_soft_limit_since_ms = now_ms;
            return false;
        }
        return (now_ms - st.obuf_soft_limit_since_ms) / 1000 > limit.soft_limit_seconds;
    }
    st.obuf_soft_limit_since_ms = 0;
    false
}

/// A client: socket and buffers plus its command-visible state.
pub struct Client {
    pub conn: Option<Conn>,
    /// Bytes read and not yet consumed by the parser.
    pub querybuf: Vec<u8>,
    pub parser: RequestParser,
    pub reply: Reply,
    pub st: ClientState,
    /// True while the socket is registered for WRITABLE events.
    pub write_interest: bool,
    /// Queued in the server's list of clients with output to flush.
    pub pending_write: bool,
}

impl Client {
    pub fn new(conn: Option<Conn>, st: ClientState) -> Client {
        Client {
            conn,
            querybuf: Vec::new(),
            parser: RequestParser::new(),
            reply: Reply::new(),
            st,
            write_interest: false,
            pending_write: false,
        }
    }
}
