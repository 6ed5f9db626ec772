//! Per-command latency histograms for INFO latencystats (`latency-tracking`).
//!
//! A log-linear histogram like HdrHistogram with two significant digits: each power
//! of two of nanoseconds is split into 32 linear sub-buckets, so any recorded value is
//! reported within about 6% (as the bucket's highest equivalent value, like
//! `hdr_value_at_percentile`). Buckets are allocated on a command's first call only.

const SUB_BITS: u32 = 5;
const SUB_BUCKETS: usize = 1 << SUB_BITS;
/// Buckets needed to cover every u64.
const BUCKETS: usize = (65 - SUB_BITS as usize) * SUB_BUCKETS / 2 + SUB_BUCKETS / 2;

/// Latency samples of one command, in nanoseconds.
#[derive(Debug, Clone, Default)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
}

fn bucket_of(v: u64) -> usize {
    if v < SUB_BUCKETS as u64 {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros() - (SUB_BITS - 1);
    let sub = (v >> exp) as usize & (SUB_BUCKETS - 1);
    (exp as usize) * SUB_BUCKETS / 2 + SUB_BUCKETS / 2 + sub % (SUB_BUCKETS / 2)
}

/// The largest value that falls into bucket `b`.
fn bucket_high(b: usize) -> u64 {
    if b < SUB_BUCKETS {
        return b as u64;
    }
    let half = SUB_BUCKETS / 2;
    let exp = ((b - half) / half) as u32;
    let sub = ((b - half) % half + half) as u64;
    ((sub + 1) << exp) - 1
}

impl LatencyHistogram {
    /// Records one sample.
    pub fn record(&mut self, ns: u64) {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
        }
        let b = bucket_of(ns).min(self.counts.len() - 1);
        self.counts[b] += 1;
        self.total += 1;
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value (ns) at percentile `p` (0..=100).
    pub fn value_at(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let wanted = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= wanted {
                return bucket_high(b);
            }
        }
        bucket_high(self.counts.len() - 1)
    }
}

/// Formats a percentile name as Redis does: 50 → "50", 99.9 → "99.9".
pub fn percentile_label(p: f64) -> String {
    let s = format!("{p}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_values_within_three_percent() {
        for v in [
            0u64,
            1,
            31,
            32,
            33,
            100,
            1000,
            4015,
            50_000_000,
            u64::MAX / 2,
        ] {
            let hi = bucket_high(bucket_of(v));
            assert!(hi >= v, "{v} -> {hi}");
            assert!((hi - v) as f64 <= v as f64 * 0.07 + 1.0, "{v} -> {hi}");
        }
    }

    #[test]
    fn percentiles_follow_distribution() {
        let mut h = LatencyHistogram::default();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let p50 = h.value_at(50.0);
        assert!((490_000..=530_000).contains(&p50), "{p50}");
        assert!(h.value_at(100.0) >= 1_000_000);
        assert!(h.value_at(0.0) >= 1000);
    }

    #[test]
    fn labels_trim_integral_percentiles() {
        assert_eq!(percentile_label(50.0), "50");
        assert_eq!(percentile_label(99.9), "99.9");
    }
}
