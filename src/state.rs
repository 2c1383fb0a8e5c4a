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
    /// (when, events committed so far), one a second over the last minute.
    committed_samples: Mutex<VecDeque<(Instant, u64)>>,
}

/// How far back the events rate looks.
const RATE_WINDOW: Duration = Duration::from_secs(60);

impl Shared {
    /// The shared state of an app with these settings.
    pub fn new(config: Config) -> Self {
        Shared {
            limits: config.limits(),
            config,
            metrics: Metrics::new(),
            draining: AtomicBool::new(false),
            committed_samples: Mutex::new(VecDeque::new()),
        }
    }

    /// Records the events committed so far (called once a second).
    pub fn sample_committed(&self) {
        let now = Instant::now();
        let total = self.metrics.events_committed.get();
        if let Ok(mut q) = self.committed_samples.lock() {
            q.push_back((now, total));
            while q
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
            {
                q.pop_front();
            }
        }
    }

    /// Events committed per second over the last minute.
    pub fn events_per_s(&self) -> f64 {
        let Ok(q) = self.committed_samples.lock() else {
            return 0.0;
        };
        match (q.front(), q.back()) {
            (Some((t0, n0)), Some((t1, n1))) if t1 > t0 => {
                (n1 - n0) as f64 / t1.duration_since(*t0).as_secs_f64()
            }
            _ => 0.0,
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
