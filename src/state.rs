//! What every part of a running app shares: its settings, its metrics, and
//! whether it is shutting down.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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
    /// Each open board's meter, sampled with the rest: the admin board
    /// page's charts. A board's samples go when it closes.
    boards: Mutex<HashMap<Arc<str>, Arc<BoardMeter>>>,
    /// Scale-out: this node of a cluster (Postgres), set once at start;
    /// unset on a single node (SQLite).
    pub cluster: std::sync::OnceLock<crate::actors::lease::ClusterHandle>,
}

/// What one open board counts for its charts (its Board actor writes it).
#[derive(Debug, Default)]
pub struct BoardMeter {
    members: AtomicI64,
    events: AtomicU64,
    /// The time from accepting its events to their commit, summed, in µs.
    commit_micros: AtomicU64,
    /// Board actors holding it (a closing board and a reopened one may
    /// overlap for a moment).
    holders: AtomicUsize,
    /// One sample per `BOARD_SAMPLE_SPACING` over the last hour, and the
    /// latest one; at most `HISTORY / BOARD_SAMPLE_SPACING + 1`.
    samples: Mutex<VecDeque<Sample>>,
}

impl BoardMeter {
    /// The board has this many members now.
    pub fn members(&self, n: usize) {
        self.members.store(n as i64, Ordering::Relaxed);
    }

    /// One event committed, `waited` after the board accepted it.
    pub fn committed(&self, waited: Duration) {
        self.events.fetch_add(1, Ordering::Relaxed);
        self.commit_micros
            .fetch_add(waited.as_micros() as u64, Ordering::Relaxed);
    }

    fn sample(&self, now: Instant) {
        // `commits` counts events here: the latency is per event
        let events = self.events.load(Ordering::Relaxed);
        let sample = Sample {
            at: now,
            connections: self.members.load(Ordering::Relaxed),
            boards: 1,
            events_committed: events,
            commits: events,
            commit_seconds: self.commit_micros.load(Ordering::Relaxed) as f64 / 1e6,
        };
        if let Ok(mut q) = self.samples.lock() {
            // the latest sample replaces the one before it until that one
            // is a spacing old: the charts' "now" stays fresh, memory small
            let len = q.len();
            if len >= 2 && sample.at.duration_since(q[len - 2].at) < BOARD_SAMPLE_SPACING {
                q.pop_back();
            }
            q.push_back(sample);
            while q.front().is_some_and(|s| now.duration_since(s.at) > HISTORY) {
                q.pop_front();
            }
        }
    }

    /// Its samples, oldest first.
    pub fn history(&self) -> Vec<Sample> {
        self.samples
            .lock()
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }
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
/// A board keeps one sample per this long (360 an hour), not one a second.
const BOARD_SAMPLE_SPACING: Duration = Duration::from_secs(10);

impl Shared {
    /// The shared state of an app with these settings.
    pub fn new(config: Config) -> Self {
        Shared {
            limits: config.limits(),
            config,
            metrics: Metrics::new(),
            draining: AtomicBool::new(false),
            samples: Mutex::new(VecDeque::new()),
            boards: Mutex::new(HashMap::new()),
            cluster: std::sync::OnceLock::new(),
        }
    }

    /// The meter of board `id`, which its Board actor holds while it is
    /// open (`close_board`); sampled from now on.
    pub fn open_board(&self, id: &Arc<str>) -> Arc<BoardMeter> {
        let mut boards = self.boards.lock().unwrap_or_else(|e| e.into_inner());
        let meter = boards.entry(id.clone()).or_default().clone();
        meter.holders.fetch_add(1, Ordering::Relaxed);
        meter
    }

    /// A Board actor of `id` stopped: its meter goes with the last one.
    pub fn close_board(&self, id: &str) {
        let mut boards = self.boards.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(meter) = boards.get(id) {
            if meter.holders.fetch_sub(1, Ordering::Relaxed) <= 1 {
                boards.remove(id);
            }
        }
    }

    /// The meter of board `id` if it is open on this server.
    pub fn board_meter(&self, id: &str) -> Option<Arc<BoardMeter>> {
        self.boards.lock().ok()?.get(id).cloned()
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
        let meters: Vec<Arc<BoardMeter>> = match self.boards.lock() {
            Ok(boards) => boards.values().cloned().collect(),
            Err(_) => Vec::new(),
        };
        for meter in meters {
            meter.sample(now);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_board_is_sampled_while_open_and_keeps_a_sample_per_spacing() {
        let shared = Shared::new(crate::config::Config::from_env());
        let id: Arc<str> = Arc::from("b1");
        let meter = shared.open_board(&id);
        meter.members(2);
        meter.committed(Duration::from_millis(4));
        let start = Instant::now();
        for i in 0..=30 {
            meter.sample(start + Duration::from_secs(i));
        }
        let history = meter.history();
        // 0 s, then one about every 10 s, and the latest
        assert!((4..=5).contains(&history.len()), "{}", history.len());
        assert_eq!(
            history.last().map(|s| (s.connections, s.events_committed)),
            Some((2, 1))
        );
        shared.sample();
        assert!(shared.board_meter("b1").is_some());
        shared.close_board("b1");
        assert!(shared.board_meter("b1").is_none(), "a closed board's samples go");
    }
}
