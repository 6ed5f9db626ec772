//! The reactor: one mio poll loop that owns every socket and runs every command.
//!
//! Each turn: wait for readiness (bounded by the next timer; under heavy
//! pipelined load a short timed wait instead, see `coalesce`), accept new
//! connections,
//! read what clients sent and run every complete command in their buffers in order
//! (pipelining), fire due timers (cron), then — before sleeping again — flush the
//! replies and close the clients that asked for it. Like Redis's `ae` loop, nothing
//! here blocks and nothing is shared with another thread.
//!
//! Fairness: a client gets at most `READ_BUDGET` bytes read per turn and
//! `WRITE_BUDGET` bytes written per flush; whatever is left waits for the next turn,
//! so one client streaming a huge request or reading a huge reply never stalls others.

use std::io::{self, ErrorKind};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

use mio::{Events, Interest, Token};

use super::client::{flags, Client, ClientState, Conn};
use super::coalesce::{Coalescer, Load};
use super::lookahead::prefetch_pipeline;
use super::{unix_ms, Listener, Server, Timer};
use crate::command::dispatch::execute;
use crate::command::Argv;
use crate::db::keyspace::Keyspace;
use crate::protocol::request::{ParseLimits, Parsed};

/// Tokens below this are listeners; client slot `i` uses `CLIENT_TOKEN_BASE + i`.
pub const CLIENT_TOKEN_BASE: usize = 1 << 16;
/// Bytes read from one client per turn before others get theirs.
const READ_BUDGET: usize = 1024 * 1024;
/// Bytes written to one client per flush (NET_MAX_WRITES_PER_EVENT is 64k in Redis;
/// we allow more since a write syscall is the dominant cost).
const WRITE_BUDGET: usize = 1024 * 1024;
/// Read chunk (PROTO_IOBUF_LEN).
const IOBUF_LEN: usize = 16 * 1024;

/// The signal that asked us to shut down (0 = none).
static SHUTDOWN_SIGNAL: AtomicI32 = AtomicI32::new(0);
/// A shutdown was asked for by a signal and not yet carried out or cancelled.
static SHUTDOWN_PENDING: AtomicBool = AtomicBool::new(false);
/// `temp-<pid>.rdb\0`, the file a second SIGINT removes on its way out.
static mut TEMP_RDB_PATH: [u8; 32] = [0; 32];

extern "C" fn on_shutdown_signal(sig: libc::c_int) {
    // A second SIGINT: the user insists, exit now without saving (as Redis).
    if sig == libc::SIGINT && SHUTDOWN_PENDING.load(Ordering::SeqCst) {
        let msg = b"You insist... exiting now.\n";
        // SAFETY: write, unlink and _exit are async-signal-safe; the path buffer is
        // written once before the handler is installed.
        unsafe {
            libc::write(2, msg.as_ptr().cast(), msg.len());
            libc::unlink(std::ptr::addr_of!(TEMP_RDB_PATH).cast());
            libc::_exit(1);
        }
    }
    SHUTDOWN_PENDING.store(true, Ordering::SeqCst);
    SHUTDOWN_SIGNAL.store(sig, Ordering::SeqCst);
}

/// Forgets a signalled shutdown (it failed, or SHUTDOWN ABORT cancelled it).
pub fn cancel_signalled_shutdown() {
    SHUTDOWN_PENDING.store(false, Ordering::SeqCst);
}

/// Installs SIGTERM/SIGINT handlers and ignores SIGPIPE.
pub fn install_signal_handlers() {
    let path = format!("temp-{}.rdb", std::process::id());
    // SAFETY: the handler only touches atomics and calls async-signal-safe
    // functions; the path buffer is filled before the handlers are installed.
    unsafe {
        let buf = &mut *std::ptr::addr_of_mut!(TEMP_RDB_PATH);
        buf[..path.len()].copy_from_slice(path.as_bytes());
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::signal(
            libc::SIGTERM,
            on_shutdown_signal as *const () as libc::sighandler_t,
        );
        libc::signal(
            libc::SIGINT,
            on_shutdown_signal as *const () as libc::sighandler_t,
        );
    }
}

/// The whole server: state and data, driven by `run`.
pub struct EventLoop {
    pub srv: Server,
    pub ks: Keyspace,
}

impl EventLoop {
    /// Runs until SHUTDOWN or a signal; returns the process exit code.
    pub fn run(&mut self) -> i32 {
        let mut events = Events::with_capacity(1024);
        let now = unix_ms();
        self.srv
            .timers
            .add(now + 1000 / self.srv.hz.max(1), Timer::Cron);
        let mut coalescer = Coalescer::default();
        loop {
            let now = unix_ms();
            let timeout = if self.srv.pending_reads.is_empty() {
                self.srv.timers.timeout_ms(now).unwrap_or(100)
            } else {
                0
            };
            let interval_us = self.srv.config.wakeup_coalesce_us as u64;
            let mut waited = false;
            if let Some(wait) = coalescer.wait_before_poll(interval_us, timeout) {
                coalescer.sleep(wait);
                waited = self.poll(&mut events, 0) && !events.is_empty();
            }
            if !waited {
                self.poll(&mut events, timeout);
            }
            let (reads, commands) = self.read_and_command_counts();
            self.handle_events(&events);
            if interval_us > 0 {
                let (reads_after, commands_after) = self.read_and_command_counts();
                let load = Load {
                    active: self.srv.active_clients,
                    reads: reads_after.saturating_sub(reads),
                    commands: commands_after.saturating_sub(commands),
                };
                coalescer.observe(waited, events.iter().count(), load, unix_ms());
            }
            let now = unix_ms();
            for timer in self.srv.timers.expire(now) {
                match timer {
                    Timer::BlockTimeout(id) => {
                        super::blocking::on_timeout(&mut self.srv, &mut self.ks, id);
                    }
                    Timer::Cron => {
                        if !self.srv.cron_paused {
                            super::cron::server_cron(&mut self.srv, &mut self.ks);
                        }
                        let period = 1000 / self.srv.hz.clamp(1, 500);
                        self.srv.timers.add(unix_ms() + period, Timer::Cron);
                    }
                }
            }
            let sig = SHUTDOWN_SIGNAL.swap(0, Ordering::SeqCst);
            if sig != 0 {
                let name = if sig == libc::SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                log::warn!("Received {name} scheduling shutdown...");
                self.srv.shutdown_asap = true;
            }
            self.before_sleep();
            if self.srv.shutdown_prepared {
                return 0;
            }
        }
    }

    /// Reads and commands processed so far (INFO's totals).
    fn read_and_command_counts(&self) -> (u64, u64) {
        let stats = &self.srv.stats;
        (stats.total_reads_processed, stats.total_commands_processed)
    }

    /// Waits up to `timeout_ms` for readiness; false if the poll failed.
    fn poll(&mut self, events: &mut Events, timeout_ms: u64) -> bool {
        match self
            .srv
            .poll
            .poll(events, Some(Duration::from_millis(timeout_ms)))
        {
            Ok(()) => true,
            Err(e) => {
                if e.kind() != ErrorKind::Interrupted {
                    log::warn!("poll error: {e}");
                }
                false
            }
        }
    }

    /// Accepts, reads (running commands) and writes for one poll's events, then
    /// the clients whose input was left over from the previous turn.
    fn handle_events(&mut self, events: &Events) {
        for ev in events.iter() {
            let Token(t) = ev.token();
            if t < CLIENT_TOKEN_BASE {
                self.accept(t);
                continue;
            }
            let slot = t - CLIENT_TOKEN_BASE;
            // With `appendfsync always` a client is written to before its new
            // commands run, so no reply leaves before its write is fsynced.
            let barrier = crate::aof::replies_wait_for_fsync(&self.srv);
            if barrier && ev.is_writable() {
                self.flush_client(slot);
            }
            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                self.handle_read(slot);
            }
            if !barrier && ev.is_writable() {
                self.flush_client(slot);
            }
        }
        if !self.srv.pending_reads.is_empty() {
            let pending = std::mem::take(&mut self.srv.pending_reads);
            for slot in pending {
                self.handle_read(slot);
            }
        }
    }

    /// Serves whatever sockets are ready without waiting, from inside a long job
    /// (loading a dump): clients connect, get -LOADING for their commands, and
    /// INFO answers. Timers do not run meanwhile.
    ///
    /// A shutdown asked for meanwhile (SHUTDOWN, SIGTERM, SIGINT) exits from here
    /// without saving: the dataset is only half loaded (as Redis does).
    pub fn process_events_while_blocked(&mut self) {
        let mut events = Events::with_capacity(256);
        if self
            .srv
            .poll
            .poll(&mut events, Some(Duration::ZERO))
            .is_ok()
        {
            self.handle_events(&events);
        }
        if SHUTDOWN_SIGNAL.swap(0, Ordering::SeqCst) != 0 {
            log::warn!("Received shutdown signal during loading, scheduling shutdown.");
            self.srv.shutdown_prepared = super::admin::prepare_shutdown(
                &mut self.srv,
                &mut self.ks,
                super::admin::ShutdownFlags {
                    nosave: true,
                    ..Default::default()
                },
            );
        }
        self.before_sleep();
        if self.srv.shutdown_prepared {
            std::process::exit(0);
        }
    }

    /// Flushes pending replies and closes clients marked for closing.
    fn before_sleep(&mut self) {
        super::propagate::deliver(&mut self.srv);
        while !self.srv.pending_writes.is_empty() {
            let pending = std::mem::take(&mut self.srv.pending_writes);
            for slot in pending {
                if let Some(c) = self
                    .srv
                    .clients
                    .get_mut(slot)
                    .and_then(|c| c.as_deref_mut())
                {
                    c.pending_write = false;
                }
                self.flush_client(slot);
            }
        }
        super::tracking::broadcast(&mut self.srv);
        let to_close = std::mem::take(&mut self.srv.to_close);
        for slot in to_close {
            self.close_client(slot);
        }
    }

    /// Accepts every pending connection on listener `idx`.
    fn accept(&mut self, idx: usize) {
        loop {
            let accepted = match &self.srv.listeners[idx] {
                Listener::Tcp(l) => l.accept().map(|(s, peer)| {
                    let local = s.local_addr().map(|a| fmt_addr(&a)).unwrap_or_default();
                    (Conn::Tcp(s), fmt_addr(&peer), local, false)
                }),
                Listener::Unix(l) => l.accept().map(|(s, _)| {
                    let path = format!("{}:0", self.srv.config.unixsocket.as_deref().unwrap_or(""));
                    (Conn::Unix(s), path.clone(), path, true)
                }),
            };
            match accepted {
                Ok((conn, addr, laddr, unix)) => self.create_client(conn, addr, laddr, unix),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("Accepting client connection: {e}");
                    return;
                }
            }
        }
    }

    fn create_client(&mut self, mut conn: Conn, addr: String, laddr: String, unix: bool) {
        let srv = &mut self.srv;
        srv.stats.total_connections_received += 1;
        if srv.client_count as i64 >= srv.config.maxclients {
            let _ = conn.write_from(b"-ERR max number of clients reached\r\n");
            srv.stats.rejected_connections += 1;
            return;
        }
        if let Conn::Tcp(s) = &conn {
            let _ = s.set_nodelay(true);
            set_keepalive(conn.fd(), srv.config.tcp_keepalive);
            let _ = s;
        }
        if !unix && protected_mode_denies(srv, &addr) {
            let _ = conn.write_from(PROTECTED_MODE_ERROR.as_bytes());
            srv.stats.rejected_connections += 1;
            return;
        }
        let slot = srv.free_slots.pop().unwrap_or_else(|| {
            srv.clients.push(None);
            srv.clients.len() - 1
        });
        if let Err(e) = srv.poll.registry().register(
            conn.source(),
            Token(CLIENT_TOKEN_BASE + slot),
            Interest::READABLE,
        ) {
            log::warn!("Error registering fd event for the new client: {e}");
            srv.free_slots.push(slot);
            return;
        }
        let id = srv.next_client_id;
        srv.next_client_id += 1;
        let mut st = ClientState::new(id, slot, unix_ms());
        st.fd = conn.fd();
        st.addr = addr;
        st.laddr = laddr;
        st.authenticated = srv.config.requirepass.is_none();
        if unix {
            st.flags |= flags::UNIX_SOCKET;
        }
        log::debug!("Accepted {}", st.addr);
        srv.client_slots.insert(id, slot);
        srv.clients[slot] = Some(Box::new(Client::new(Some(conn), st)));
        srv.client_count += 1;
    }

    /// Reads what `slot` sent (up to the read budget) and runs its commands.
    fn handle_read(&mut self, slot: usize) {
        let Some(mut c) = self.srv.take_client(slot) else {
            return;
        };
        if c.st.flags & (flags::CLOSE_ASAP | flags::CLOSE_AFTER_REPLY) != 0 {
            self.srv.put_client(slot, c);
            return;
        }
        let mut total = 0usize;
        let mut closed = false;
        while let Some(conn) = c.conn.as_mut() {
            let want = IOBUF_LEN.max(
                c.parser
                    .bulk_bytes_wanted(c.querybuf.len())
                    .min(READ_BUDGET),
            );
            match conn.read_append(&mut c.querybuf, want) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => {
                    total += n;
                    self.srv.stats.total_reads_processed += 1;
                    if total >= READ_BUDGET {
                        self.srv.pending_reads.push(slot);
                        break;
                    }
                    // A short read emptied the socket: under edge-triggered epoll
                    // any later data (or FIN) raises a new event, so the read that
                    // would only return EAGAIN is saved (one syscall per request).
                    if n < want {
                        break;
                    }
                }
                Err(e) => match e.kind() {
                    ErrorKind::WouldBlock => break,
                    ErrorKind::Interrupted => continue,
                    _ => {
                        log::debug!("Reading from client: {e}");
                        closed = true;
                        break;
                    }
                },
            }
        }
        c.st.net_input_bytes += total as u64;
        self.srv.stats.total_net_input_bytes += total as u64;
        // The clock reading the commands of this input start from.
        let now = self.srv.refresh_clock();
        if total > 0 {
            c.st.last_interaction_ms = now;
        }
        c.st.querybuf_peak = c.st.querybuf_peak.max(c.querybuf.len());
        let limit = self.srv.config.client_query_buffer_limit.max(0) as usize;
        if c.querybuf.len() - c.parser.droppable_prefix() > limit {
            log::warn!(
                "Closing client that reached max query buffer length: id={} addr={} (qbuf initial bytes: {:?})",
                c.st.id,
                c.st.addr,
                String::from_utf8_lossy(&c.querybuf[..c.querybuf.len().min(64)])
            );
            self.srv.stats.client_qbuf_limit_disconnections += 1;
            c.st.flags |= flags::CLOSE_ASAP;
            self.srv.to_close.push(slot);
            self.srv.put_client(slot, c);
            return;
        }
        self.process_input(&mut c);
        if closed {
            // Peer closed: run what it sent, then free it (its replies are lost anyway).
            log::debug!("Client closed connection id={} addr={}", c.st.id, c.st.addr);
            c.st.flags |= flags::CLOSE_ASAP;
            self.srv.to_close.push(slot);
        } else if c.reply.pending() > 0 || c.st.has(flags::CLOSE_AFTER_REPLY) {
            self.srv.queue_write(&mut c);
        }
        self.srv.put_client(slot, c);
    }

    /// Runs every complete command in the client's query buffer.
    pub fn process_input(&mut self, c: &mut Client) {
        let qb = std::mem::take(&mut c.querybuf);
        let mut parser = std::mem::take(&mut c.parser);
        // Offset in `qb` where the last look-ahead stopped: the keys of the
        // commands before it were prefetched, and the next one starts there.
        let mut looked_ahead_to = 0;
        loop {
            if c.st.flags & (flags::CLOSE_AFTER_REPLY | flags::CLOSE_ASAP | flags::BLOCKED) != 0 {
                break;
            }
            if !parser.in_progress() && parser.pos >= looked_ahead_to {
                let input = qb.get(parser.pos..).unwrap_or_default();
                looked_ahead_to = parser.pos + prefetch_pipeline(&self.ks, c.st.db, input);
            }
            let limits = ParseLimits {
                max_bulk_len: self.srv.config.proto_max_bulk_len,
                authenticated: c.st.authenticated,
            };
            match parser.parse(&qb, limits) {
                Parsed::Command { inline } => {
                    let buf: &[u8] = if inline { &parser.inline_buf } else { &qb };
                    let argv = Argv::new(buf, &parser.spans);
                    c.st.qbuf = qb.len() - parser.pos;
                    c.st.qbuf_free = qb.capacity() - qb.len();
                    c.st.argv_mem = parser.spans.iter().map(|s| s.len).sum();
                    execute(&mut self.srv, &mut self.ks, c, argv);
                    c.st.argv_mem = 0;
                    enforce_obuf_limits(&mut self.srv, c);
                }
                Parsed::Empty => continue,
                Parsed::NeedMore => break,
                Parsed::Error(e) => {
                    let text = format!("ERR {}", e.reply);
                    c.reply.error(&text);
                    self.srv.count_error(&text);
                    log::debug!(
                        "Protocol error ({}) from client: id={} addr={}",
                        e.reason,
                        c.st.id,
                        c.st.addr
                    );
                    c.st.flags |= flags::CLOSE_AFTER_REPLY;
                    break;
                }
            }
        }
        let mut qb = qb;
        let drop = parser.droppable_prefix();
        if drop > 0 {
            qb.drain(..drop);
            parser.shift(drop);
        }
        if qb.is_empty() && qb.capacity() > 64 * 1024 {
            qb = Vec::new();
        }
        c.querybuf = qb;
        c.parser = parser;
        c.st.qbuf = c.querybuf.len();
    }

    /// Writes as much of `slot`'s pending output as the socket takes.
    fn flush_client(&mut self, slot: usize) {
        let Some(mut c) = self.srv.take_client(slot) else {
            return;
        };
        let mut written = 0usize;
        let mut failed = false;
        while c.reply.pending() > 0 && written < WRITE_BUDGET {
            let Some(conn) = c.conn.as_mut() else { break };
            let chunk = c.reply.next_chunk();
            let end = chunk.len().min(WRITE_BUDGET - written);
            match conn.write_from(&chunk[..end]) {
                Ok(0) => break,
                Ok(n) => {
                    c.reply.advance(n);
                    written += n;
                    self.srv.stats.total_writes_processed += 1;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::debug!("Error writing to client: {e}");
                    failed = true;
                    break;
                }
            }
        }
        c.st.net_output_bytes += written as u64;
        self.srv.stats.total_net_output_bytes += written as u64;
        if written > 0 {
            c.st.last_interaction_ms = self.srv.cached_unix_ms();
        }
        if failed {
            c.st.flags |= flags::CLOSE_ASAP;
            self.srv.put_client(slot, c);
            self.close_client(slot);
            return;
        }
        let done = c.reply.pending() == 0;
        if done {
            c.reply.compact();
            if c.st.has(flags::CLOSE_AFTER_REPLY) {
                self.srv.put_client(slot, c);
                self.close_client(slot);
                return;
            }
        } else if written >= WRITE_BUDGET {
            // Budget used up, socket may still take more: come back next turn.
            self.srv.queue_write(&mut c);
        }
        let want_writable = !done;
        if want_writable != c.write_interest {
            let interest = if want_writable {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if let Some(conn) = c.conn.as_mut() {
                let _ = self.srv.poll.registry().reregister(
                    conn.source(),
                    Token(CLIENT_TOKEN_BASE + slot),
                    interest,
                );
            }
            c.write_interest = want_writable;
        }
        // Input may have been left unprocessed while the client waited to close or
        // was blocked; nothing to do here for now.
        self.srv.put_client(slot, c);
    }

    /// Frees a client: deregisters its socket and releases its slot.
    pub fn close_client(&mut self, slot: usize) {
        close_client_slot(&mut self.srv, &mut self.ks, slot);
    }
}

/// Schedules `c` to be closed when its pending output breaks its class's
/// `client-output-buffer-limit`.
pub fn enforce_obuf_limits(srv: &mut Server, c: &mut Client) {
    if c.st.has(flags::CLOSE_ASAP) {
        return;
    }
    let limit = srv.config.client_output_buffer_limit[super::client::obuf_class(&c.st)];
    let now = srv.cached_unix_ms();
    if super::client::obuf_limit_reached(&mut c.st, c.reply.pending(), &limit, now) {
        log::warn!(
            "Client id={} addr={} name={} scheduled to be closed ASAP for overcoming of output buffer limits.",
            c.st.id,
            c.st.addr,
            c.st.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default()
        );
        c.st.flags |= flags::CLOSE_ASAP;
        srv.stats.client_outbuf_limit_disconnections += 1;
        srv.to_close.push(c.st.slot);
    }
}

/// Frees the client in `slot` (no-op if the slot is empty).
pub fn close_client_slot(srv: &mut Server, ks: &mut Keyspace, slot: usize) {
    let Some(mut c) = srv.take_client(slot) else {
        return;
    };
    super::blocking::forget_client(srv, ks, &mut c);
    super::multi::unwatch_all(srv, ks, &mut c.st);
    super::pubsub::unsubscribe_all(srv, &mut c.st);
    super::tracking::disable(srv, &mut c.st);
    if c.st.has(flags::SLAVE) && !c.st.has(flags::MONITOR) {
        super::replication::forget(srv, c.st.id);
    }
    srv.client_slots.remove(&c.st.id);
    if let Some(conn) = c.conn.as_mut() {
        let _ = srv.poll.registry().deregister(conn.source());
    }
    srv.monitors.retain(|&m| m != slot);
    srv.free_slots.push(slot);
    srv.client_count -= 1;
}

/// `ip:port`, with IPv6 addresses in brackets as Redis prints them.
pub fn fmt_addr(a: &std::net::SocketAddr) -> String {
    match a {
        std::net::SocketAddr::V4(v4) => format!("{}:{}", v4.ip(), v4.port()),
        std::net::SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
    }
}

fn set_keepalive(fd: i32, interval: i64) {
    if interval <= 0 || fd < 0 {
        return;
    }
    let one: libc::c_int = 1;
    let idle = interval as libc::c_int;
    let intvl = (interval / 3).max(1) as libc::c_int;
    let cnt: libc::c_int = 3;
    let sz = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: setsockopt on a socket fd we own, with pointers to live c_ints.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            &one as *const _ as *const _,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPIDLE,
            &idle as *const _ as *const _,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPINTVL,
            &intvl as *const _ as *const _,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPCNT,
            &cnt as *const _ as *const _,
            sz,
        );
    }
}

const PROTECTED_MODE_ERROR: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Protected mode: no password set and a non-loopback peer.
fn protected_mode_denies(srv: &Server, addr: &str) -> bool {
    srv.config.protected_mode
        && srv.config.requirepass.is_none()
        && !(addr.starts_with("127.") || addr.starts_with("[::1]:"))
}

/// Binds every configured address; returns Redis's error text on failure.
pub fn bind_listeners(srv: &mut Server) -> Result<(), String> {
    let port = srv.config.port;
    if port != 0 {
        let binds: Vec<String> = if srv.config.bind.is_empty() {
            vec!["*".into(), "-::*".into()]
        } else {
            srv.config.bind.clone()
        };
        let mut bound_any = false;
        for b in &binds {
            let optional = b.starts_with('-');
            let host = b.trim_start_matches('-');
            let ip = match host {
                "*" => "0.0.0.0".to_string(),
                "::*" => "::".to_string(),
                h => h.to_string(),
            };
            let sa: std::net::SocketAddr = match format!("{ip}:{port}")
                .parse()
                .or_else(|_| format!("[{ip}]:{port}").parse())
            {
                Ok(sa) => sa,
                Err(_) => {
                    log::warn!("Warning: Could not create server TCP listening socket {host}:{port}: Invalid address");
                    if optional {
                        continue;
                    }
                    return Err(format!("Failed listening on port {port} (TCP), aborting."));
                }
            };
            match bind_tcp(sa, srv.config.tcp_backlog) {
                Ok(l) => {
                    let idx = srv.listeners.len();
                    let mut l = l;
                    srv.poll
                        .registry()
                        .register(&mut l, Token(idx), Interest::READABLE)
                        .map_err(|e| e.to_string())?;
                    srv.listeners.push(Listener::Tcp(l));
                    bound_any = true;
                }
                Err(e) => {
                    let unsupported = e.raw_os_error() == Some(libc::EAFNOSUPPORT)
                        || e.raw_os_error() == Some(libc::EADDRNOTAVAIL);
                    if optional && unsupported {
                        continue;
                    }
                    log::warn!(
                        "Warning: Could not create server TCP listening socket {host}:{port}: bind: {}",
                        crate::util::strerror(&e)
                    );
                    if optional {
                        continue;
                    }
                    return Err(format!("Failed listening on port {port} (TCP), aborting."));
                }
            }
        }
        if !bound_any {
            return Err(format!("Failed listening on port {port} (TCP), aborting."));
        }
    }
    if let Some(path) = srv.config.unixsocket.clone() {
        let _ = std::fs::remove_file(&path);
        let mut l = mio::net::UnixListener::bind(&path)
            .map_err(|e| format!("Failed opening Unix socket: {e}"))?;
        let perm = srv.config.unixsocketperm;
        if perm != 0 {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(perm as u32));
        }
        let idx = srv.listeners.len();
        srv.poll
            .registry()
            .register(&mut l, Token(idx), Interest::READABLE)
            .map_err(|e| e.to_string())?;
        srv.listeners.push(Listener::Unix(l));
    }
    Ok(())
}

/// Closes every listener and binds again from the current config (CONFIG SET port,
/// bind). On failure the caller restores the old config and calls this again.
pub fn rebind_listeners(srv: &mut Server) -> Result<(), String> {
    for mut l in std::mem::take(&mut srv.listeners) {
        let _ = match &mut l {
            Listener::Tcp(t) => srv.poll.registry().deregister(t),
            Listener::Unix(u) => srv.poll.registry().deregister(u),
        };
    }
    let r = bind_listeners(srv);
    if r.is_err() {
        for mut l in std::mem::take(&mut srv.listeners) {
            let _ = match &mut l {
                Listener::Tcp(t) => srv.poll.registry().deregister(t),
                Listener::Unix(u) => srv.poll.registry().deregister(u),
            };
        }
    }
    r
}

/// The C library's text for an OS error ("Address already in use").
/// A non-blocking TCP listener with SO_REUSEADDR, IPV6_V6ONLY and the given backlog.
fn bind_tcp(sa: std::net::SocketAddr, backlog: i64) -> io::Result<mio::net::TcpListener> {
    use std::os::fd::FromRawFd;
    let domain = if sa.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain socket syscalls on a fd we create and own; on error it is closed.
    unsafe {
        let fd = libc::socket(
            domain,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        );
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let one: libc::c_int = 1;
        let sz = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            &one as *const _ as *const _,
            sz,
        );
        if !sa.is_ipv4() {
            libc::setsockopt(
                fd,
                libc::IPPROTO_IPV6,
                libc::IPV6_V6ONLY,
                &one as *const _ as *const _,
                sz,
            );
        }
        let (addr, len) = sockaddr_of(&sa);
        if libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len) < 0
            || libc::listen(fd, backlog.clamp(1, i32::MAX as i64) as libc::c_int) < 0
        {
            let e = io::Error::last_os_error();
            libc::close(fd);
            return Err(e);
        }
        Ok(mio::net::TcpListener::from_raw_fd(fd))
    }
}

fn sockaddr_of(sa: &std::net::SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; zeroed is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    match sa {
        std::net::SocketAddr::V4(v4) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(v4.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_in fits in sockaddr_storage.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in, sin) };
            (
                storage,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        }
        std::net::SocketAddr::V6(v6) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: v6.ip().octets(),
                },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: sockaddr_in6 fits in sockaddr_storage.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in6, sin6) };
            (
                storage,
                std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
            )
        }
    }
}
