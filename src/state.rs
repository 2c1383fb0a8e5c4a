//! What every part of a running app shares: its settings, its metrics, and
//! whether it is shutting down.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::metrics::Metrics;

/// Shared by the HTTP handlers and the actors of one app.
pub struct Shared {
    pub config: Config,
    pub limits: crate::board::Limits,
    pub metrics: Metrics,
    draining: AtomicBool,
    /// What the metrics said, one sample a second over the last hour:
    /// the admin overview's charts and its events rate.
    samples: Mutex<VecDeque<Sample>>,
    /// Scale-out: this node of a cluster (Postgres), set once at start;
    /// unset on a single node (SQLite).
    pub cluster: std::sync::OnceLock<crate::actors::lease::ClusterHandle>,
}

/// One reading of the metrics.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: Instant,
    pub connections: i64,
    pub boards: i64,
    /// Totals so far (rates are their differences).
    pub events_committed: u64,
    pub commits: u64,
    pub commit_seconds: f64,
}

/// How far back the events rate looks.
const RATE_WINDOW: Duration = Duration::from_secs(60);
/// How far back the samples go.
pub const HISTORY: Duration = Duration::from_secs(3600);

impl Shared {
    /// The shared state of an app with these settings.
    pub fn new(config: Config) -> Self {
        Shared {
            limits: config.limits(),
            config,
            metrics: Metrics::new(),
            draining: AtomicBool::new(false),
            samples: Mutex::new(VecDeque::new()),
            cluster: std::sync::OnceLock::new(),
        }
    }

    /// Reads the metrics into the history (called once a second).
    pub fn sample(&self) {
        let m = &self.metrics;
        let now = Instant::now();
        let sample = Sample {
            at: now,
            connections: m.connections.get(),
            boards: m.boards.get(),
            events_committed: m.events_committed.get(),
            commits: m.commit_seconds.get_sample_count(),
            commit_seconds: m.commit_seconds.get_sample_sum(),
        };
        if let Ok(mut q) = self.samples.lock() {
            q.push_back(sample);
            while q.front().is_some_and(|s| now.duration_since(s.at) > HISTORY) {
                q.pop_front();
            }
        }
    }

    /// The samples of the last hour, oldest first.
    pub fn history(&self) -> Vec<Sample> {
        self.samples
            .lock()
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Events committed per second over the last minute.
    pub fn events_per_s(&self) -> f64 {
        let Ok(q) = self.samples.lock() else {
            return 0.0;
        };
        let Some(last) = q.back() else { return 0.0 };
        let first = q
            .iter()
            .find(|s| last.at.duration_since(s.at) <= RATE_WINDOW)
            .unwrap_or(last);
        let dt = last.at.duration_since(first.at).as_secs_f64();
        if dt > 0.0 {
            (last.events_committed - first.events_committed) as f64 / dt
        } else {
            0.0
        }
    }

    /// Whether the app is shutting down (no new connections or ops).
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Marks the app as shutting down.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }
}
