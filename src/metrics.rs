//! Prometheus metrics, one set per running app (so that tests running
//! several apps in one process see only their own numbers).

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, IntGauge, Registry, TextEncoder};

/// Every metric corkboard exports on `/metrics`.
pub struct Metrics {
    registry: Registry,
    /// Open WebSocket connections.
    pub connections: IntGauge,
    /// Board actors running.
    pub boards: IntGauge,
    /// Events committed to the database.
    pub events_committed: IntCounter,
    /// Events per group commit.
    pub commit_batch_events: Histogram,
    /// Seconds per group commit.
    pub commit_seconds: Histogram,
    /// Seconds from an op's acceptance by its board to its commit.
    pub op_commit_seconds: Histogram,
    /// Group commits that failed (and were retried).
    pub commit_failures: IntCounter,
    /// Connections cut because their send queue went over its bound.
    pub slow_consumers_cut: IntCounter,
    /// Frames not sent to a connection being cut for slowness.
    pub frames_dropped: IntCounter,
    /// Cursor positions dropped by coalescing.
    pub cursors_coalesced: IntCounter,
    pub drags_coalesced: IntCounter,
    /// Connections closed because they stopped answering.
    pub heartbeat_drops: IntCounter,
    /// Messages refused by the rate limit.
    pub rate_limited: IntCounter,
    /// Scale-out: boards whose lease this node holds.
    pub boards_owned: IntGauge,
    /// Scale-out: leases this node took (each with a new epoch).
    pub leases_taken: IntCounter,
    /// Scale-out: leases another node took from this one.
    pub leases_lost: IntCounter,
    /// Scale-out: group commits refused because the board's epoch moved on.
    pub fenced_commits: IntCounter,
    /// Scale-out: boards handed over to the node the balancer sends them to.
    pub handoffs: IntCounter,
}

fn register<T: prometheus::core::Collector + Clone + 'static>(r: &Registry, m: T) -> T {
    // Registering fails only for a duplicate name, and every name here is
    // distinct and registered once into a fresh registry.
    r.register(Box::new(m.clone()))
        .unwrap_or_else(|e| log::error!("metric registration failed: {e}"));
    m
}

impl Metrics {
    /// A fresh set of metrics in its own registry.
    pub fn new() -> Self {
        let r = Registry::new();
        let gauge = |name: &str, help: &str| {
            register(
                &r,
                IntGauge::new(name, help).unwrap_or_else(|_| unreachable!("valid metric name")),
            )
        };
        let counter = |name: &str, help: &str| {
            register(
                &r,
                IntCounter::new(name, help).unwrap_or_else(|_| unreachable!("valid metric name")),
            )
        };
        let histogram = |name: &str, help: &str, buckets: Vec<f64>| {
            let opts = HistogramOpts::new(name, help).buckets(buckets);
            register(
                &r,
                Histogram::with_opts(opts).unwrap_or_else(|_| unreachable!("valid buckets")),
            )
        };
        Metrics {
            connections: gauge("corkboard_connections_open", "Open WebSocket connections."),
            boards: gauge("corkboard_boards_open", "Boards loaded in memory."),
            events_committed: counter("corkboard_events_committed_total", "Events committed."),
            commit_batch_events: histogram(
                "corkboard_commit_batch_events",
                "Events per group commit.",
                vec![
                    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0,
                ],
            ),
            commit_seconds: histogram(
                "corkboard_commit_seconds",
                "Latency of a group commit.",
                vec![
                    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0,
                ],
            ),
            op_commit_seconds: histogram(
                "corkboard_op_commit_seconds",
                "From an op's acceptance by its board to its commit (the server's share of an ack).",
                vec![
                    0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0,
                ],
            ),
            commit_failures: counter("corkboard_commit_failures_total", "Group commits that failed."),
            slow_consumers_cut: counter(
                "corkboard_slow_consumers_cut_total",
                "Connections closed (1008) because their send queue went over its bound.",
            ),
            frames_dropped: counter(
                "corkboard_frames_dropped_total",
                "Frames not delivered to connections cut for slowness.",
            ),
            cursors_coalesced: counter(
                "corkboard_cursors_coalesced_total",
                "Cursor positions dropped by coalescing.",
            ),
            drags_coalesced: counter(
                "corkboard_drags_coalesced_total",
                "Drag previews dropped by coalescing.",
            ),
            heartbeat_drops: counter(
                "corkboard_heartbeat_drops_total",
                "Connections closed because nothing arrived within the heartbeat timeout.",
            ),
            rate_limited: counter(
                "corkboard_rate_limited_total",
                "Messages refused by the rate limit.",
            ),
            boards_owned: gauge(
                "corkboard_boards_owned",
                "Boards whose lease this node holds (scale-out).",
            ),
            leases_taken: counter(
                "corkboard_leases_taken_total",
                "Board leases this node took, each with a new epoch.",
            ),
            leases_lost: counter(
                "corkboard_leases_lost_total",
                "Board leases another node took from this one.",
            ),
            fenced_commits: counter(
                "corkboard_fenced_commits_total",
                "Group commits refused because another node took the board (its epoch moved on).",
            ),
            handoffs: counter(
                "corkboard_handoffs_total",
                "Boards handed over to the node the balancer sends their members to.",
            ),
            registry: r,
        }
    }

    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            log::error!("encoding metrics failed: {e}");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
