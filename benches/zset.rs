//! Micro-benchmarks of the sorted set (`types::zset::ZSet`): ZADD into each
//! encoding (a 128-member listpack, Redis's default `zset-max-listpack-entries`,
//! and a 10,000-member skiplist), ZADD of new scores to members of a
//! 100,000-member skiplist (what `redis-benchmark -t zadd -r 100000` does once
//! its set is full: bound by cache misses, not instructions), and ten-element ranges by rank and by score
//! in each encoding, as ZRANGE k start stop and ZRANGEBYSCORE k min max LIMIT 0 10
//! walk them.
//!
//! Run with `cargo bench --bench zset`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use oxidis::types::skiplist::ScoreRange;
use oxidis::types::zset::{AddFlags, Limits, ZSet};

/// Redis's defaults for `zset-max-listpack-entries` / `zset-max-listpack-value`.
const LIMITS: Limits = Limits {
    max_entries: 128,
    max_value: 64,
};
const LISTPACK_MEMBERS: usize = 128;
const SKIPLIST_MEMBERS: usize = 10_000;
/// Members of the set the score-update benchmark changes.
const UPDATE_MEMBERS: usize = 100_000;
/// Score updates per iteration of that benchmark.
const UPDATES: usize = 1_000;
/// Elements each range benchmark walks.
const RANGE: usize = 10;

/// `n` (member, score) pairs in no particular order, the same every run.
fn members(n: usize) -> Vec<(Vec<u8>, f64)> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (format!("member:{i}").into_bytes(), (x % 1_000_000) as f64)
        })
        .collect()
}

fn build(empty: ZSet, items: &[(Vec<u8>, f64)]) -> ZSet {
    let mut z = empty;
    for (m, s) in items {
        z.add(*s, m, AddFlags::default(), LIMITS)
            .expect("score is a number");
    }
    z
}

fn zadd(c: &mut Criterion) {
    let mut g = c.benchmark_group("zset_zadd");
    let small = members(LISTPACK_MEMBERS);
    assert_eq!(build(ZSet::new_listpack(), &small).encoding(), "listpack");
    g.throughput(Throughput::Elements(LISTPACK_MEMBERS as u64));
    g.bench_function("listpack_128_members", |b| {
        b.iter(|| build(ZSet::new_listpack(), black_box(&small)))
    });
    let big = members(SKIPLIST_MEMBERS);
    g.throughput(Throughput::Elements(SKIPLIST_MEMBERS as u64));
    g.bench_function("skiplist_10k_members", |b| {
        b.iter(|| build(ZSet::new_skiplist(), black_box(&big)))
    });
    let all = members(UPDATE_MEMBERS);
    let mut z = build(ZSet::new_skiplist(), &all);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    g.throughput(Throughput::Elements(UPDATES as u64));
    g.bench_function("skiplist_100k_new_scores", |b| {
        b.iter(|| {
            for _ in 0..UPDATES {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let (m, _) = &all[(x >> 32) as usize % UPDATE_MEMBERS];
                let score = (x % 1_000_000) as f64;
                z.add(score, black_box(m), AddFlags::default(), LIMITS)
                    .expect("score is a number");
            }
        })
    });
    assert_eq!(z.len(), UPDATE_MEMBERS);
    g.finish();
}

/// Sums the scores of up to RANGE elements from forward rank `rank`.
fn walk(z: &ZSet, rank: usize) -> f64 {
    z.iter_from(rank, false).take(RANGE).map(|(_, s)| s).sum()
}

fn ranges(c: &mut Criterion) {
    let sets = [
        (
            "listpack",
            build(ZSet::new_listpack(), &members(LISTPACK_MEMBERS)),
        ),
        (
            "skiplist",
            build(ZSet::new_skiplist(), &members(SKIPLIST_MEMBERS)),
        ),
    ];
    let mut g = c.benchmark_group("zset_range");
    g.throughput(Throughput::Elements(RANGE as u64));
    for (enc, z) in &sets {
        assert_eq!(z.encoding(), *enc);
        let mid = z.len() / 2;
        g.bench_function(format!("{enc}_by_rank"), |b| {
            b.iter(|| walk(z, black_box(mid)))
        });
        let range = ScoreRange {
            min: 500_000.0,
            max: f64::INFINITY,
            minex: false,
            maxex: false,
        };
        g.bench_function(format!("{enc}_by_score"), |b| {
            b.iter(|| {
                let (lo, _) = z.score_ranks(black_box(&range)).expect("range not empty");
                walk(z, lo)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, zadd, ranges);
criterion_main!(benches);
