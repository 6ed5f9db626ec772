//! The growth-latency probe of `scripts/bench.sh` (issue #6): how long the
//! slowest single command waits while the keyspace grows from empty to N keys.
//!
//! Writer threads fill the server with `SET key:<i> <value>` in pipelined
//! batches, each writer over its own slice of `0..N`, as fast as the server
//! takes them. Meanwhile one probe connection sends one command at a time
//! (alternately PING and GET of a random key) and times each from the write
//! to the last byte of its reply. When the writers are done the probe prints
//! one line of `name=value` pairs on stdout:
//!
//! ```text
//! keys=N dbsize=N seconds=S requests=R p50_us=.. p99_us=.. p999_us=.. max_us=.. max_at_keys=K over_2ms=C errors=E timer_sched=fifo|normal
//! ```
//!
//! `max_at_keys` is about how many keys had been written when the slowest
//! request was sent (a table doubling shows up as a power of two), and
//! `over_2ms` counts requests slower than issue #6's 2 ms target.
//!
//! With `--realtime yes` the timing thread asks for SCHED_FIFO (it needs
//! CAP_SYS_NICE; `timer_sched` says whether it got it). Otherwise, on a core it
//! shares with a writer thread, a reply that arrives while the writer runs waits
//! for the writer's time slice, up to the scheduler's wakeup granularity (about
//! 3-4 ms): the probe then times its own thread, not the server.
//!
//! It speaks plain RESP over std's `TcpStream`, so it needs nothing but a server
//! on loopback. Usage:
//!
//! ```text
//! cargo run --release --example latency_probe -- --port 6379 [--host 127.0.0.1]
//!     [--keys 5000000] [--writers 1] [--pipeline 100] [--value-size 16] [--timeout 60]
//!     [--realtime no]
//! ```

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Issue #6's target for the slowest single command.
const TARGET: Duration = Duration::from_millis(2);

#[derive(Debug, Clone)]
struct Options {
    host: String,
    port: u16,
    keys: u64,
    writers: u64,
    pipeline: u64,
    value_size: usize,
    timeout: Duration,
    realtime: bool,
}

const USAGE: &str = "usage: latency_probe --port PORT [--host HOST] [--keys N] [--writers W] \
                     [--pipeline DEPTH] [--value-size BYTES] [--timeout SECONDS] \
                     [--realtime yes|no]";

fn parse_options() -> Result<Options, String> {
    let mut o = Options {
        host: "127.0.0.1".into(),
        port: 0,
        keys: 5_000_000,
        writers: 1,
        pipeline: 100,
        value_size: 16,
        timeout: Duration::from_secs(60),
        realtime: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {value}"))
        };
        match flag.as_str() {
            "--host" => o.host = value.clone(),
            "--port" => o.port = u16::try_from(number()?).map_err(|_| "--port: out of range")?,
            "--keys" => o.keys = number()?,
            "--writers" => o.writers = number()?.max(1),
            "--pipeline" => o.pipeline = number()?.max(1),
            "--value-size" => o.value_size = number()? as usize,
            "--timeout" => o.timeout = Duration::from_secs(number()?.max(1)),
            "--realtime" => {
                o.realtime = match value.as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(format!("--realtime: yes or no, not {value}")),
                }
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if o.port == 0 {
        return Err("--port is required".into());
    }
    Ok(o)
}

/// One connection: a buffered reader over the socket and the socket to write.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    line: Vec<u8>,
}

impl Conn {
    fn open(o: &Options) -> io::Result<Conn> {
        let s = TcpStream::connect((o.host.as_str(), o.port))?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(o.timeout))?;
        s.set_write_timeout(Some(o.timeout))?;
        Ok(Conn {
            reader: BufReader::with_capacity(64 * 1024, s.try_clone()?),
            writer: s,
            line: Vec::with_capacity(128),
        })
    }

    /// Reads one reply line (without CRLF) into `self.line`.
    fn read_line(&mut self) -> io::Result<()> {
        self.line.clear();
        if self.reader.read_until(b'\n', &mut self.line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        if !self.line.ends_with(b"\r\n") {
            return Err(bad_reply(&self.line));
        }
        self.line.truncate(self.line.len() - 2);
        Ok(())
    }

    /// Reads one whole reply of a simple type or a bulk string; returns false
    /// for an error reply.
    fn read_reply(&mut self) -> io::Result<bool> {
        self.read_line()?;
        match self.line.first() {
            Some(b'+' | b':') => Ok(true),
            Some(b'-') => Ok(false),
            Some(b'$') => {
                let len: i64 = std::str::from_utf8(&self.line[1..])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad_reply(&self.line))?;
                if len >= 0 {
                    let mut body = vec![0; len as usize + 2];
                    io::Read::read_exact(&mut self.reader, &mut body)?;
                }
                Ok(true)
            }
            _ => Err(bad_reply(&self.line)),
        }
    }
}

fn bad_reply(line: &[u8]) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unexpected reply {:?}", String::from_utf8_lossy(line)),
    )
}

/// Appends `SET key:<i> <value>` as a RESP multibulk.
fn push_set(buf: &mut Vec<u8>, i: u64, value: &[u8]) {
    let key = format!("key:{i}");
    buf.extend_from_slice(b"*3\r\n$3\r\nSET\r\n");
    buf.extend_from_slice(format!("${}\r\n{key}\r\n${}\r\n", key.len(), value.len()).as_bytes());
    buf.extend_from_slice(value);
    buf.extend_from_slice(b"\r\n");
}

/// Writes keys `from..to` in batches of `o.pipeline`, reading each batch's
/// replies before sending the next. Returns the number of error replies.
fn write_keys(o: &Options, from: u64, to: u64, written: &AtomicU64) -> io::Result<u64> {
    let mut c = Conn::open(o)?;
    let value = vec![b'v'; o.value_size];
    let mut buf = Vec::with_capacity(o.pipeline as usize * (40 + o.value_size));
    let mut errors = 0;
    let mut next = from;
    while next < to {
        let end = (next + o.pipeline).min(to);
        buf.clear();
        for i in next..end {
            push_set(&mut buf, i, &value);
        }
        c.writer.write_all(&buf)?;
        for _ in next..end {
            if !c.read_reply()? {
                errors += 1;
            }
        }
        written.fetch_add(end - next, Ordering::Relaxed);
        next = end;
    }
    Ok(errors)
}

/// What the probe connection measured.
struct Samples {
    /// (latency in ns, keys written when the request was sent).
    times: Vec<(u64, u64)>,
    errors: u64,
    dbsize: u64,
    /// The timing thread ran under SCHED_FIFO.
    realtime: bool,
}

/// Puts the calling thread under SCHED_FIFO, so a reply wakes it at once instead
/// of after another thread's time slice. False without the privilege.
fn make_realtime() -> bool {
    let param = libc::sched_param { sched_priority: 1 };
    // SAFETY: sched_setscheduler only reads `param`; pid 0 is the calling thread.
    unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) == 0 }
}

/// Times one request at a time until `done`, then asks for DBSIZE.
fn probe(o: &Options, done: &AtomicBool, written: &AtomicU64) -> io::Result<Samples> {
    let mut c = Conn::open(o)?;
    let mut s = Samples {
        times: Vec::with_capacity(1 << 20),
        errors: 0,
        dbsize: 0,
        realtime: o.realtime && make_realtime(),
    };
    let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
    let mut req = Vec::with_capacity(64);
    let mut n: u64 = 0;
    while !done.load(Ordering::Relaxed) {
        req.clear();
        if n.is_multiple_of(2) {
            req.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        } else {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let key = format!("key:{}", rng % o.keys.max(1));
            req.extend_from_slice(
                format!("*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len()).as_bytes(),
            );
        }
        n += 1;
        let at = written.load(Ordering::Relaxed);
        let start = Instant::now();
        c.writer.write_all(&req)?;
        let ok = c.read_reply()?;
        s.times.push((start.elapsed().as_nanos() as u64, at));
        if !ok {
            s.errors += 1;
        }
    }
    c.writer.write_all(b"*1\r\n$6\r\nDBSIZE\r\n")?;
    c.read_line()?;
    s.dbsize = c
        .line
        .strip_prefix(b":")
        .and_then(|d| std::str::from_utf8(d).ok())
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| bad_reply(&c.line))?;
    Ok(s)
}

/// The `q` quantile (nearest rank) of sorted `v`, in microseconds.
fn quantile_us(v: &[u64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1] as f64 / 1000.0
}

fn run(o: &Options) -> io::Result<()> {
    let done = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let prober = {
        let (o, done, written) = (o.clone(), done.clone(), written.clone());
        thread::spawn(move || probe(&o, &done, &written))
    };
    let per_writer = o.keys.div_ceil(o.writers);
    let writers: Vec<_> = (0..o.writers)
        .map(|w| {
            let (o, written) = (o.clone(), written.clone());
            let from = (w * per_writer).min(o.keys);
            let to = (from + per_writer).min(o.keys);
            thread::spawn(move || write_keys(&o, from, to, &written))
        })
        .collect();
    let mut write_errors = 0;
    let mut failure = None;
    for w in writers {
        match w
            .join()
            .map_err(|_| io::Error::other("writer thread panicked"))?
        {
            Ok(e) => write_errors += e,
            Err(e) => failure = Some(e),
        }
    }
    done.store(true, Ordering::Relaxed);
    let samples = prober
        .join()
        .map_err(|_| io::Error::other("probe thread panicked"))??;
    if let Some(e) = failure {
        return Err(e);
    }
    let seconds = started.elapsed().as_secs_f64();
    let (max_ns, max_at) = samples.times.iter().copied().max().unwrap_or((0, 0));
    let mut ns: Vec<u64> = samples.times.iter().map(|&(t, _)| t).collect();
    ns.sort_unstable();
    let target_ns = TARGET.as_nanos() as u64;
    println!(
        "keys={} dbsize={} seconds={seconds:.1} requests={} p50_us={:.0} p99_us={:.0} \
         p999_us={:.0} max_us={:.0} max_at_keys={max_at} over_2ms={} errors={} timer_sched={}",
        o.keys,
        samples.dbsize,
        ns.len(),
        quantile_us(&ns, 0.5),
        quantile_us(&ns, 0.99),
        quantile_us(&ns, 0.999),
        max_ns as f64 / 1000.0,
        ns.iter().filter(|&&t| t > target_ns).count(),
        samples.errors + write_errors,
        if samples.realtime { "fifo" } else { "normal" },
    );
    Ok(())
}

fn main() -> ExitCode {
    let o = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("latency_probe: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latency_probe: {}:{}: {e}", o.host, o.port);
            ExitCode::FAILURE
        }
    }
}
