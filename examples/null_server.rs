//! The no-work server of `scripts/bench.sh` (issue #6): a yardstick for how
//! fast `redis-benchmark` itself can go on this machine.
//!
//! It accepts RESP and inline requests on loopback and answers each with a
//! canned reply shaped like the one Redis gives to the same request in
//! `redis-benchmark`'s default tests (`+PONG`, `+OK`, `:1`, a bulk string as
//! long as the last value written, an LRANGE array of as many), but it stores
//! nothing and looks nothing up. Its event loop has Redis's shape: one
//! `epoll_wait`, a read from each ready client, then one write per client
//! with replies. While clients pipeline it also waits on a timer instead of
//! blocking in epoll, with oxidis's own `Coalescer` (`--coalesce-us`, 20 by
//! default like `wakeup-coalesce-us`; 0 turns it off), since how often the
//! client must wake the server changes how fast the client goes. Whatever rps the
//! benchmark reaches against it is what the client and the kernel allow when
//! the server costs next to nothing, so a test whose no-work rps is no higher
//! than Redis's cannot show any server beating Redis there.
//!
//! Usage:
//!
//! ```text
//! cargo run --release --example null_server -- --port 6379 [--bind 127.0.0.1]
//!     [--coalesce-us 20]
//! ```

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use oxidis::server::coalesce::{Coalescer, Load};
use oxidis::server::unix_ms;

const LISTENER: Token = Token(usize::MAX);
/// Bytes read from a socket at a time; a read that fills it is followed by another.
const READ_CHUNK: usize = 64 * 1024;
/// A client whose unanswered input grows past this is dropped.
const MAX_QUERY: usize = 64 * 1024 * 1024;

/// The most elements an LRANGE reply holds (redis-benchmark asks for up to 600).
const MAX_RANGE: usize = 10_000;

/// The value length the replies to GET, LPOP, LRANGE and the like pretend to
/// hold: that of the last SET, MSET, LPUSH or RPUSH value, as in Redis after
/// `redis-benchmark` has run its write tests.
struct Canned {
    value_len: usize,
    /// Requests answered so far.
    commands: u64,
}

/// One framed request: its first four arguments and how many there were.
struct Request<'a> {
    args: [&'a [u8]; 4],
    argc: usize,
}

impl<'a> Request<'a> {
    fn arg(&self, i: usize) -> &'a [u8] {
        if i < self.argc.min(4) {
            self.args[i]
        } else {
            b""
        }
    }
}

/// Frames one request at the start of `buf`: `Ok(Some((request, consumed)))`,
/// `Ok(None)` when more bytes are needed, `Err(())` on input no client of a
/// Redis server sends.
fn frame(buf: &[u8]) -> Result<Option<(Request<'_>, usize)>, ()> {
    let mut request = Request {
        args: [b""; 4],
        argc: 0,
    };
    let Some(line_end) = find_newline(buf, 0) else {
        return Ok(None);
    };
    if buf.first() != Some(&b'*') {
        let line = buf[..line_end]
            .strip_suffix(b"\r")
            .unwrap_or(&buf[..line_end]);
        for word in line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
        {
            if request.argc < 4 {
                request.args[request.argc] = word;
            }
            request.argc += 1;
        }
        return Ok(Some((request, line_end + 1)));
    }
    let argc = parse_len(&buf[1..line_end])?;
    let mut at = line_end + 1;
    for i in 0..argc {
        let Some(end) = find_newline(buf, at) else {
            return Ok(None);
        };
        if buf[at] != b'$' {
            return Err(());
        }
        let len = parse_len(&buf[at + 1..end])?;
        let start = end + 1;
        let Some(stop) = start.checked_add(len) else {
            return Err(());
        };
        if buf.len() < stop.saturating_add(2) {
            return Ok(None);
        }
        if i < 4 {
            request.args[i] = &buf[start..stop];
        }
        at = stop + 2;
    }
    request.argc = argc;
    Ok(Some((request, at)))
}

/// The index of the `\n` ending the line that starts at `from`.
fn find_newline(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| from + i)
}

/// A RESP length such as the `3` of `$3\r`: digits, then an optional `\r`.
fn parse_len(digits: &[u8]) -> Result<usize, ()> {
    let digits = digits.strip_suffix(b"\r").unwrap_or(digits);
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(())
}

impl Canned {
    /// Appends to `out` the reply Redis would give `request` in the benchmark.
    fn reply(&mut self, request: &Request<'_>, out: &mut Vec<u8>) {
        self.commands += 1;
        let mut name = [0u8; 8];
        let given = request.arg(0);
        if given.len() <= name.len() {
            name[..given.len()].copy_from_slice(given);
            name.make_ascii_uppercase();
        }
        match &name[..given.len().min(name.len())] {
            b"PING" => out.extend_from_slice(b"+PONG\r\n"),
            b"SET" | b"MSET" => {
                self.value_len = request.arg(2).len();
                out.extend_from_slice(b"+OK\r\n");
            }
            b"LPUSH" | b"RPUSH" => {
                self.value_len = request.arg(2).len();
                out.extend_from_slice(b":1\r\n");
            }
            b"INCR" | b"SADD" | b"HSET" | b"ZADD" => out.extend_from_slice(b":1\r\n"),
            b"GET" | b"LPOP" | b"RPOP" | b"SPOP" => self.value(out),
            b"ZPOPMIN" => {
                out.extend_from_slice(b"*2\r\n");
                self.value(out);
                out.extend_from_slice(b"$1\r\n0\r\n");
            }
            b"LRANGE" => {
                let bound = |i| {
                    std::str::from_utf8(request.arg(i))
                        .ok()?
                        .parse::<i64>()
                        .ok()
                };
                let count = match (bound(2), bound(3)) {
                    (Some(start), Some(stop)) if stop >= start => {
                        usize::try_from(stop.saturating_sub(start))
                            .map_or(MAX_RANGE, |n| n.saturating_add(1).min(MAX_RANGE))
                    }
                    _ => 0,
                };
                write_header(out, b'*', count);
                for _ in 0..count {
                    self.value(out);
                }
            }
            // redis-benchmark asks for `CONFIG GET save` and `appendonly`
            // before it starts: name and an empty value
            b"CONFIG" => {
                let param = request.arg(2);
                out.extend_from_slice(b"*2\r\n");
                write_header(out, b'$', param.len());
                out.extend_from_slice(param);
                out.extend_from_slice(b"\r\n$0\r\n\r\n");
            }
            _ => out.extend_from_slice(b"+OK\r\n"),
        }
    }

    fn value(&self, out: &mut Vec<u8>) {
        write_header(out, b'$', self.value_len);
        out.resize(out.len() + self.value_len, b'x');
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends a RESP header such as `$3\r\n`, without allocating.
fn write_header(out: &mut Vec<u8>, kind: u8, len: usize) {
    out.push(kind);
    // writing into a Vec cannot fail
    let _ = write!(out, "{len}\r\n");
}

struct Client {
    stream: TcpStream,
    query: Vec<u8>,
    reply: Vec<u8>,
}

impl Client {
    /// Reads what the socket holds and answers every whole request in it;
    /// false when the client is gone or sent what no client sends.
    /// `scratch` is a buffer of `READ_CHUNK` bytes shared by all clients.
    fn read_and_answer(&mut self, canned: &mut Canned, scratch: &mut [u8]) -> bool {
        loop {
            match self.stream.read(scratch) {
                Ok(0) => return false,
                Ok(n) => {
                    self.query.extend_from_slice(&scratch[..n]);
                    if !self.answer(canned) || self.query.len() > MAX_QUERY {
                        return false;
                    }
                    // edge-triggered: a short read has drained the socket
                    if n < READ_CHUNK {
                        return true;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }

    fn answer(&mut self, canned: &mut Canned) -> bool {
        let mut at = 0;
        loop {
            match frame(&self.query[at..]) {
                Ok(Some((request, used))) => {
                    canned.reply(&request, &mut self.reply);
                    at += used;
                }
                Ok(None) => break,
                Err(()) => return false,
            }
        }
        self.query.drain(..at);
        true
    }

    /// Writes pending replies; `Ok(false)` when the client is gone.
    fn flush(&mut self) -> io::Result<bool> {
        while !self.reply.is_empty() {
            match self.stream.write(&self.reply) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.reply.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

/// Where to listen, and the coalesced wait (0: always block in epoll).
struct Options {
    addr: SocketAddr,
    coalesce_us: u64,
}

fn parse_args() -> Result<Options, String> {
    let mut port = 6379u16;
    let mut bind = "127.0.0.1".to_string();
    let mut coalesce_us = 20;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let bad = || format!("bad {flag} '{value}'");
        match flag.as_str() {
            "--port" => port = value.parse().map_err(|_| bad())?,
            "--bind" => bind = value.clone(),
            "--coalesce-us" => coalesce_us = value.parse().map_err(|_| bad())?,
            _ => return Err(format!("unknown option '{flag}'")),
        }
    }
    let addr = format!("{bind}:{port}")
        .parse()
        .map_err(|_| format!("bad address '{bind}'"))?;
    Ok(Options { addr, coalesce_us })
}

fn run(Options { addr, coalesce_us }: Options) -> io::Result<()> {
    let mut coalescer = Coalescer::default();
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    // indexed by token; the slots of closed clients are reused
    let mut clients: Vec<Option<Client>> = Vec::new();
    let mut free_slots: Vec<usize> = Vec::new();
    let mut connected = 0usize;
    let mut scratch = vec![0u8; READ_CHUNK];
    let mut canned = Canned {
        value_len: 3,
        commands: 0,
    };
    let mut events = Events::with_capacity(1024);
    let mut pending: Vec<usize> = Vec::new();
    loop {
        // no timers here: "100 ms until the next one" only caps the wait
        let wait = coalescer.wait_before_poll(coalesce_us, 100);
        if let Some(wait) = wait {
            coalescer.sleep(wait);
        }
        match poll.poll(&mut events, wait.map(|_| Duration::ZERO)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        let (mut reads, commands_before) = (0u64, canned.commands);
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            stream.set_nodelay(true)?;
                            let token = free_slots.pop().unwrap_or(clients.len());
                            poll.registry().register(
                                &mut stream,
                                Token(token),
                                Interest::READABLE | Interest::WRITABLE,
                            )?;
                            let client = Client {
                                stream,
                                query: Vec::new(),
                                reply: Vec::new(),
                            };
                            if token == clients.len() {
                                clients.push(Some(client));
                            } else {
                                clients[token] = Some(client);
                            }
                            connected += 1;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
                continue;
            }
            let token = event.token().0;
            let Some(client) = clients.get_mut(token).and_then(Option::as_mut) else {
                continue;
            };
            if event.is_readable() {
                reads += 1;
            }
            let alive = !event.is_readable() || client.read_and_answer(&mut canned, &mut scratch);
            if !alive {
                clients[token] = None;
                free_slots.push(token);
                connected -= 1;
            } else if !client.reply.is_empty() {
                pending.push(token);
            }
        }
        if coalesce_us > 0 {
            let load = Load {
                active: connected,
                reads,
                commands: canned.commands - commands_before,
            };
            coalescer.observe(wait.is_some(), events.iter().count(), load, unix_ms());
        }
        // replies go out after every ready client has been read, as Redis
        // writes them from beforeSleep
        for token in pending.drain(..) {
            if let Some(client) = clients.get_mut(token).and_then(Option::as_mut) {
                if !client.flush().unwrap_or(false) {
                    clients[token] = None;
                    free_slots.push(token);
                    connected -= 1;
                }
            }
        }
    }
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("null_server: {message}");
            return ExitCode::from(2);
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("null_server: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replies(input: &[u8]) -> Vec<u8> {
        let mut canned = Canned {
            value_len: 3,
            commands: 0,
        };
        let mut out = Vec::new();
        let mut at = 0;
        while let Ok(Some((request, used))) = frame(&input[at..]) {
            canned.reply(&request, &mut out);
            at += used;
        }
        assert_eq!(at, input.len(), "every request framed");
        out
    }

    #[test]
    fn frames_multibulk_and_inline_requests() {
        let (request, used) = frame(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            (request.argc, request.arg(0), request.arg(1), used),
            (2, &b"GET"[..], &b"k"[..], 20)
        );
        let (request, used) = frame(b"ping  a\r\n").unwrap().unwrap();
        assert_eq!(
            (request.argc, request.arg(0), request.arg(1), used),
            (2, &b"ping"[..], &b"a"[..], 9)
        );
    }

    #[test]
    fn waits_for_a_whole_request_and_rejects_garbage() {
        assert!(frame(b"*2\r\n$3\r\nGET\r\n$1\r\n").unwrap().is_none());
        assert!(frame(b"*1\r\n$3\r\nGE").unwrap().is_none());
        assert!(frame(b"PING").unwrap().is_none());
        assert!(frame(b"*1\r\n+PING\r\n").is_err());
        assert!(frame(b"*x\r\n").is_err());
        assert!(frame(b"*1\r\n$99999999999999999999999\r\n").is_err());
        assert!(frame(b"*1\r\n$18446744073709551615\r\nab").is_err());
    }

    #[test]
    fn replies_are_shaped_like_redis_benchmark_sees_them() {
        assert_eq!(
            replies(b"PING\r\n*1\r\n$4\r\nping\r\n"),
            b"+PONG\r\n+PONG\r\n"
        );
        // a SET of 5 bytes makes later values 5 bytes long
        let out =
            replies(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        assert_eq!(out, b"+OK\r\n$5\r\nxxxxx\r\n");
        assert_eq!(
            replies(b"*2\r\n$7\r\nZPOPMIN\r\n$1\r\nz\r\n"),
            b"*2\r\n$3\r\nxxx\r\n$1\r\n0\r\n"
        );
        assert_eq!(replies(b"INCR k\r\n"), b":1\r\n");
        assert_eq!(
            replies(b"CONFIG GET save\r\n"),
            b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
        );
        let lrange = replies(b"LRANGE l 0 99\r\n");
        assert!(lrange.starts_with(b"*100\r\n$3\r\nxxx\r\n"));
        assert_eq!(lrange.len(), 6 + 100 * 9);
        assert!(replies(b"LRANGE l 0 9223372036854775807\r\n").starts_with(b"*10000\r\n"));
        assert_eq!(replies(b"LRANGE l 5 1\r\n"), b"*0\r\n");
    }
}
