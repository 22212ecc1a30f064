//! Prometheus metrics: requests by route and status, a latency histogram per route, and the
//! database pool's use. Counters are per process; Prometheus scrapes every replica and adds
//! them up, so nothing here needs to be shared.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<(String, String), Histogram>,
}

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        *inner
            .requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let histogram = inner
            .latency
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        let seconds = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                histogram.counts[i] += 1;
            }
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self, pool: &diesel::r2d2::State, pool_max: u32) -> String {
        let mut out = String::new();
        let Ok(inner) = self.inner.lock() else {
            return out;
        };
        let _ = writeln!(
            out,
            "# HELP tessera_http_requests_total HTTP requests by route and status."
        );
        let _ = writeln!(out, "# TYPE tessera_http_requests_total counter");
        for ((method, route, status), count) in &inner.requests {
            let _ = writeln!(
                out,
                "tessera_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP tessera_http_request_duration_seconds HTTP request latency."
        );
        let _ = writeln!(
            out,
            "# TYPE tessera_http_request_duration_seconds histogram"
        );
        for ((method, route), h) in &inner.latency {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "tessera_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "tessera_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "tessera_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "tessera_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP tessera_db_pool_connections Database pool connections by state."
        );
        let _ = writeln!(out, "# TYPE tessera_db_pool_connections gauge");
        let _ = writeln!(
            out,
            "tessera_db_pool_connections{{state=\"idle\"}} {}",
            pool.idle_connections
        );
        let _ = writeln!(
            out,
            "tessera_db_pool_connections{{state=\"in_use\"}} {}",
            pool.connections - pool.idle_connections
        );
        let _ = writeln!(
            out,
            "tessera_db_pool_connections{{state=\"max\"}} {pool_max}"
        );
        let _ = writeln!(
            out,
            "# HELP tessera_db_writes_lost_total Grouped writes that never ran or whose commit failed."
        );
        let _ = writeln!(out, "# TYPE tessera_db_writes_lost_total counter");
        let _ = writeln!(
            out,
            "tessera_db_writes_lost_total {}",
            crate::db::writer::lost_writes()
        );
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}
