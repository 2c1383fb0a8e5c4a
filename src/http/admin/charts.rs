//! The overview's live charts: server-rendered SVG lines over the last
//! hour of the in-process samples (`Shared::sample`, one a second, read
//! from what `/metrics` counts), refreshed by admin.js without a reload.

use std::sync::Arc;

use actix_session::Session;
use actix_web::{get, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{signed_in, Refusal};
use crate::state::{Sample, Shared, HISTORY};

/// Points per line: one per 30 s over the hour.
const POINTS: usize = 120;
/// The drawing's size, in its own units.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 120.0;

/// One chart.
pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    /// The latest value, in words.
    pub now: String,
    /// The top of the scale, in words.
    pub top: String,
    /// `x,y x,y …` in the drawing's units.
    pub points: String,
}

/// The charts, as a fragment of the overview or of a board's page (and
/// alone, for refreshes).
#[derive(Template, WebTemplate)]
#[template(path = "admin/charts.html")]
pub struct Charts {
    pub charts: Vec<Chart>,
    /// Where admin.js fetches the fragment again.
    pub refresh: String,
    /// Why there is nothing to chart, instead of the charts.
    pub empty: Option<&'static str>,
}

/// A line per 30 s of the hour of `samples`, each the value of a span.
type Value<'a> = &'a dyn Fn(&Sample, &Sample) -> f64;

fn lines(samples: &[Sample]) -> impl Fn(&'static str, &'static str, &'static str, Value) -> Chart + '_ {
    let buckets = bucketed(samples);
    move |id, title, unit, value| {
        let values: Vec<Option<f64>> = buckets
            .iter()
            .map(|b| b.map(|(first, last)| value(first, last)))
            .collect();
        chart(id, title, unit, &values)
    }
}

/// Events per second between two samples.
fn events_rate(f: &Sample, l: &Sample) -> f64 {
    let dt = l.at.duration_since(f.at).as_secs_f64();
    if dt > 0.0 {
        (l.events_committed - f.events_committed) as f64 / dt
    } else {
        0.0
    }
}

/// Mean commit latency between two samples, in ms.
fn commit_ms(f: &Sample, l: &Sample) -> f64 {
    let n = l.commits - f.commits;
    if n > 0 {
        (l.commit_seconds - f.commit_seconds) * 1000.0 / n as f64
    } else {
        0.0
    }
}

/// A board's three charts from its meter's samples (`None`: the board is
/// not open on this server, so nothing was sampled).
pub fn board_charts(id: &str, samples: Option<&[Sample]>) -> Charts {
    let refresh = format!("/admin/boards/{id}/charts");
    let Some(samples) = samples else {
        return Charts {
            charts: Vec::new(),
            refresh,
            empty: Some("Not open on this server: a board is charted only while it is open here."),
        };
    };
    let line = lines(samples);
    Charts {
        charts: vec![
            line("members", "Members connected", "", &|_, l| l.connections as f64),
            line("events", "Events committed per second", "/s", &events_rate),
            line("commit", "Mean time to commit an event", " ms", &commit_ms),
        ],
        refresh,
        empty: None,
    }
}

/// The four charts of the server from its samples.
pub fn charts(samples: &[Sample]) -> Charts {
    let line = lines(samples);
    Charts {
        charts: vec![
            line("connections", "Open connections", "", &|_, l| {
                l.connections as f64
            }),
            line("boards", "Open boards", "", &|_, l| l.boards as f64),
            line("events", "Events committed per second", "/s", &events_rate),
            line("commit", "Mean commit latency", " ms", &commit_ms),
        ],
        refresh: "/admin/charts".into(),
        empty: None,
    }
}

/// The samples split into `POINTS` spans of the hour, ending now: each
/// span's first sample and last (including the one before it, so that a
/// rate spans the whole bucket); `None` where there were none.
fn bucketed(samples: &[Sample]) -> Vec<Option<(&Sample, &Sample)>> {
    let Some(last) = samples.last() else {
        return vec![None; POINTS];
    };
    let span = HISTORY.as_secs_f64() / POINTS as f64;
    let mut out: Vec<Option<(&Sample, &Sample)>> = vec![None; POINTS];
    let mut previous: Option<&Sample> = None;
    for s in samples {
        let ago = last.at.duration_since(s.at).as_secs_f64();
        let i = POINTS - 1 - ((ago / span) as usize).min(POINTS - 1);
        out[i] = Some(match out[i] {
            Some((first, _)) => (first, s),
            None => (previous.unwrap_or(s), s),
        });
        previous = Some(s);
    }
    out
}

fn chart(id: &'static str, title: &'static str, unit: &'static str, values: &[Option<f64>]) -> Chart {
    let top = values.iter().flatten().fold(0.0_f64, |a, b| a.max(*b));
    let scale = if top > 0.0 { top * 1.1 } else { 1.0 };
    let step = WIDTH / (values.len().max(2) - 1) as f64;
    let mut points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i as f64 * step, HEIGHT - v / scale * HEIGHT)))
        .collect();
    // a lone point (a server up for less than one span) draws as a short dash
    if let [(x, y)] = points[..] {
        points.insert(0, (x - step, y));
    }
    let points = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let words = |v: f64| {
        if v >= 100.0 || v == v.trunc() {
            format!("{v:.0}{unit}")
        } else {
            format!("{v:.2}{unit}")
        }
    };
    Chart {
        id,
        title,
        now: values
            .iter()
            .rev()
            .flatten()
            .next()
            .map_or("–".into(), |v| words(*v)),
        top: words(top),
        points,
    }
}

/// `/admin/charts`: the fragment alone, which admin.js fetches to refresh.
#[get("/charts")]
pub async fn fragment(session: Session, shared: web::Data<Arc<Shared>>) -> Result<Charts, Refusal> {
    signed_in(&session)?;
    Ok(charts(&shared.history()))
}

/// A board's charts now, from its meter if it is open here.
pub fn of_board(shared: &Shared, id: &str) -> Charts {
    let history = shared.board_meter(id).map(|m| m.history());
    board_charts(id, history.as_deref())
}

/// `/admin/boards/{id}/charts`: a board's charts alone, for refreshes.
#[get("/boards/{id}/charts")]
pub async fn board_fragment(
    session: Session,
    id: web::Path<String>,
    shared: web::Data<Arc<Shared>>,
) -> Result<Charts, Refusal> {
    signed_in(&session)?;
    Ok(of_board(&shared, &id))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn sample(at: Instant, events: u64, commits: u64, seconds: f64) -> Sample {
        Sample {
            at,
            connections: 3,
            boards: 1,
            events_committed: events,
            commits,
            commit_seconds: seconds,
        }
    }

    #[test]
    fn rates_and_latencies_come_from_the_differences() {
        let start = Instant::now();
        // 100 events a second, each second one commit of 2 ms, for 2 minutes
        let samples: Vec<Sample> = (0..=120)
            .map(|i| sample(start + Duration::from_secs(i), 100 * i, i, 0.002 * i as f64))
            .collect();
        let charts = charts(&samples).charts;
        let by_id = |id: &str| charts.iter().find(|c| c.id == id).expect("a chart");
        assert_eq!(by_id("connections").now, "3");
        assert_eq!(by_id("events").now, "100/s");
        assert_eq!(by_id("commit").now, "2 ms");
        // two minutes of an hour: the last few of the 120 points, at the right end
        let points: Vec<&str> = by_id("events").points.split(' ').collect();
        assert!((4..=6).contains(&points.len()), "{points:?}");
        // a single span still draws (a dash ending now)
        let one = charts_of_one(start);
        assert_eq!(one.split(' ').count(), 2, "{one}");
        assert!(
            points.last().is_some_and(|p| p.starts_with("600.0,")),
            "{points:?}"
        );
    }

    fn charts_of_one(start: Instant) -> String {
        let charts = charts(&[sample(start, 0, 0, 0.0)]).charts;
        charts[0].points.clone()
    }

    #[test]
    fn a_board_charts_its_members_events_and_commits_or_says_it_is_not_open() {
        let start = Instant::now();
        let samples: Vec<Sample> = (0..=60)
            .map(|i| sample(start + Duration::from_secs(i), 10 * i, 10 * i, 0.004 * i as f64))
            .collect();
        let c = board_charts("b1", Some(&samples));
        assert_eq!(c.refresh, "/admin/boards/b1/charts");
        let ids: Vec<&str> = c.charts.iter().map(|c| c.id).collect();
        assert_eq!(ids, ["members", "events", "commit"]);
        assert_eq!(c.charts[1].now, "10/s");
        assert_eq!(c.charts[2].now, "0.40 ms");
        let closed = board_charts("b1", None);
        assert!(closed.charts.is_empty() && closed.empty.is_some());
    }

    #[test]
    fn no_samples_draw_nothing() {
        let charts = charts(&[]).charts;
        assert_eq!(charts.len(), 4);
        assert!(charts.iter().all(|c| c.points.is_empty() && c.now == "–"));
    }
}
