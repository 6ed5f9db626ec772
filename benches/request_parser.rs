//! Micro-benchmarks of the request parser (`protocol::request`): one RESP
//! multibulk SET and GET as redis-benchmark sends them, the same SET inline (what
//! telnet sends), a SET with a 1 KiB value, and a 100-command pipeline parsed
//! the way the reactor does it (parse until `NeedMore`).
//!
//! Run with `cargo bench --bench request_parser`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use oxidis::protocol::request::{ParseLimits, Parsed, RequestParser};
use oxidis::protocol::resp::command as resp;

const LIMITS: ParseLimits = ParseLimits {
    max_bulk_len: 512 * 1024 * 1024,
    authenticated: true,
};

/// Parses every command of `buf` with a fresh parser; returns how many there were.
fn parse_all(buf: &[u8]) -> usize {
    let mut p = RequestParser::new();
    let mut n = 0;
    loop {
        match p.parse(buf, LIMITS) {
            Parsed::Command { .. } => {
                black_box(&p.spans);
                n += 1;
            }
            Parsed::Empty => {}
            Parsed::NeedMore => return n,
            Parsed::Error(e) => panic!("benchmark frame rejected: {}", e.reply),
        }
    }
}

fn single_commands(c: &mut Criterion) {
    // redis-benchmark's keys: "key:" and 12 digits (-r), a 3-byte value (-d 3).
    let key = b"key:000000042424";
    let big = vec![b'x'; 1024];
    let frames: [(&str, Vec<u8>); 4] = [
        ("resp_set", resp(&[b"SET", key, b"xxx"])),
        ("resp_get", resp(&[b"GET", key])),
        ("inline_set", b"SET key:000000042424 xxx\r\n".to_vec()),
        ("resp_set_1k_value", resp(&[b"SET", key, &big])),
    ];
    let mut g = c.benchmark_group("request_parser");
    for (name, frame) in &frames {
        g.throughput(Throughput::Bytes(frame.len() as u64));
        g.bench_function(*name, |b| {
            let mut p = RequestParser::new();
            b.iter(|| {
                p.pos = 0;
                let r = p.parse(black_box(frame), LIMITS);
                debug_assert!(matches!(r, Parsed::Command { .. }));
                black_box(&p.spans);
            })
        });
    }
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    const COMMANDS: usize = 100;
    let mut buf = Vec::new();
    for i in 0..COMMANDS {
        let key = format!("key:{i:012}");
        buf.extend(resp(&[b"SET", key.as_bytes(), b"xxx"]));
    }
    assert_eq!(parse_all(&buf), COMMANDS);
    let mut g = c.benchmark_group("request_parser");
    g.throughput(Throughput::Elements(COMMANDS as u64));
    g.bench_function("pipeline_100_set", |b| {
        b.iter(|| parse_all(black_box(&buf)))
    });
    g.finish();
}

criterion_group!(benches, single_commands, pipeline);
criterion_main!(benches);
