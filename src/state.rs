//! What every part of a running app shares: its settings, its metrics, and
//! whether it is shutting down.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;
use crate::metrics::Metrics;

/// Shared by the HTTP handlers and the actors of one app.
pub struct Shared {
    pub config: Config,
    pub limits: crate::board::Limits,
    pub metrics: Metrics,
    draining: AtomicBool,
}

impl Shared {
    /// The shared state of an app with these settings.
    pub fn new(config: Config) -> Self {
        Shared {
            limits: config.limits(),
            config,
            metrics: Metrics::new(),
            draining: AtomicBool::new(false),
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
