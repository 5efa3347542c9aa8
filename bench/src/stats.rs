//! Latency samples and the numbers reported from them.

use serde::Serialize;

/// Latencies in microseconds. Every sample is kept (a few million at most) so percentiles
/// are exact.
#[derive(Default, Clone)]
pub struct Samples(Vec<u32>);

impl Samples {
    pub fn with_capacity(n: usize) -> Self {
        Samples(Vec::with_capacity(n))
    }

    pub fn record_us(&mut self, us: u64) {
        self.0.push(us.min(u32::MAX as u64) as u32);
    }

    pub fn merge(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn summary(mut self) -> Latency {
        if self.0.is_empty() {
            return Latency::default();
        }
        self.0.sort_unstable();
        let at = |q: f64| {
            let i = ((self.0.len() as f64 * q).ceil() as usize).clamp(1, self.0.len()) - 1;
            self.0[i] as f64 / 1000.0
        };
        Latency {
            count: self.0.len() as u64,
            p50_ms: at(0.50),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            max_ms: *self.0.last().unwrap() as f64 / 1000.0,
        }
    }
}

/// Percentiles in milliseconds.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (n={})",
            self.p50_ms, self.p95_ms, self.p99_ms, self.max_ms, self.count
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_exact() {
        let mut samples = Samples::default();
        for us in 1..=1000 {
            samples.record_us(us * 1000);
        }
        let latency = samples.summary();
        assert_eq!(latency.count, 1000);
        assert_eq!(latency.p50_ms, 500.0);
        assert_eq!(latency.p99_ms, 990.0);
        assert_eq!(latency.max_ms, 1000.0);
        assert_eq!(Samples::default().summary().count, 0);
    }
}
