//! Micro-benchmarks of the keyspace dict (`db::dict::Dict<Key, _>`): inserting
//! new keys into an empty dict (which grows through its incremental rehashes),
//! lookups that hit and miss, and removing a key then putting it back, each on
//! a settled table and in the middle of an incremental rehash, where lookups
//! probe both tables and every write also moves a bucket.
//!
//! Run with `cargo bench --bench dict`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use oxidis::db::dict::Dict;
use oxidis::db::Key;

/// Keys in the lookup benchmarks: well past the CPU caches, and between half
/// and all of a power of two so that the dict can be shrunk back (see
/// `keep_rehashing`).
const KEYS: usize = 700_000;
/// Keys inserted per iteration of the insert benchmark.
const INSERTS: usize = 100_000;

fn keys(prefix: &str, n: usize) -> Vec<Key> {
    (0..n)
        .map(|i| format!("{prefix}:{i:012}").into_bytes().into_boxed_slice())
        .collect()
}

fn filled(keys: &[Key]) -> Dict<Key, u64> {
    let mut d = Dict::new();
    for (i, k) in keys.iter().enumerate() {
        d.insert(k.clone(), i as u64);
    }
    while d.rehash_steps(1000) {}
    d
}

/// `keys` in a dict with an incremental rehash to twice the buckets started and
/// about half of the keys moved: the state every command sees while a table grows.
fn half_rehashed(keys: &[Key]) -> Dict<Key, u64> {
    let mut d = filled(keys);
    let buckets = d.bucket_count();
    assert!(d.expand(buckets * 2), "expand to {} buckets", buckets * 2);
    while d.stats().main.elements > keys.len() / 2 {
        assert!(d.rehash_steps(10_000), "rehash finished early");
    }
    d
}

/// Starts the next rehash once the current one is done, alternating between
/// `small` and `2 * small` buckets, so writes keep running mid-rehash.
fn keep_rehashing(d: &mut Dict<Key, u64>, small: usize) {
    if !d.is_rehashing() {
        drop(d.take_retired());
        let target = if d.bucket_count() == small {
            small * 2
        } else {
            small
        };
        d.expand(target);
    }
}

fn insert(c: &mut Criterion) {
    let ks = keys("key", INSERTS);
    let mut g = c.benchmark_group("dict");
    g.throughput(Throughput::Elements(INSERTS as u64));
    g.bench_function("insert_100k_new_keys", |b| {
        b.iter_batched(
            || ks.clone(),
            |ks| {
                let mut d = Dict::new();
                for (i, k) in ks.into_iter().enumerate() {
                    d.insert(k, i as u64);
                }
                d
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Lookups and remove+reinsert on `d`, cycling through the keys.
fn lookups(c: &mut Criterion, state: &str, mut d: Dict<Key, u64>, ks: &[Key], misses: &[Key]) {
    let mut g = c.benchmark_group(format!("dict_{state}"));
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function("get_hit", |b| {
        b.iter(|| {
            i = (i + 1) % ks.len();
            black_box(d.get(&ks[i][..]))
        })
    });
    g.bench_function("get_miss", |b| {
        b.iter(|| {
            i = (i + 1) % misses.len();
            black_box(d.get(&misses[i][..]))
        })
    });
    let rehashing = d.is_rehashing();
    let small = if rehashing {
        d.bucket_count() / 3
    } else {
        d.bucket_count()
    };
    g.bench_function("remove_and_reinsert", |b| {
        b.iter(|| {
            i = (i + 1) % ks.len();
            let (k, v) = d.remove(&ks[i][..]).expect("key present");
            d.insert(k, v);
            if rehashing {
                keep_rehashing(&mut d, small);
            }
        })
    });
    g.finish();
}

fn settled_and_rehashing(c: &mut Criterion) {
    let ks = keys("key", KEYS);
    let misses = keys("miss", KEYS);
    lookups(c, "settled", filled(&ks), &ks, &misses);
    lookups(c, "rehashing", half_rehashed(&ks), &ks, &misses);
}

criterion_group!(benches, insert, settled_and_rehashing);
criterion_main!(benches);
