//! The only road from the actors to the database.
//!
//! `DbExecutor` runs on a `SyncArbiter` (its own threads), so no query ever
//! blocks an async thread. `Persister` in front of it does the group
//! commit: every board batch that arrives while earlier commits are in
//! flight waits, and all of them go to the database together, in one
//! transaction, as soon as an executor is free.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use tokio::sync::oneshot;

use crate::db::queries::{self, BoardBatch, LoadedBoard};
use crate::db::{checkout, Pool};
use crate::error::{Error, Result};
use crate::state::Shared;

/// Runs queries on its own thread.
pub struct DbExecutor {
    pub pool: Pool,
    pub shared: Arc<Shared>,
}

impl Actor for DbExecutor {
    type Context = SyncContext<Self>;
}

/// Loads a board with its recent history (None: no such board).
#[derive(Message)]
#[rtype(result = "Result<Option<LoadedBoard>>")]
pub struct LoadBoard {
    pub id: String,
    pub recent_events: i64,
    pub recent_chat: i64,
    pub recent_op_ids: i64,
}

impl Handler<LoadBoard> for DbExecutor {
    type Result = Result<Option<LoadedBoard>>;

    fn handle(&mut self, m: LoadBoard, _: &mut Self::Context) -> Self::Result {
        let mut conn = checkout(&self.pool)?;
        queries::load_board(&mut conn, &m.id, m.recent_events, m.recent_chat, m.recent_op_ids)
    }
}

/// Commits several boards' batches in one transaction; answers, per batch,
/// the seq up to which that board is now committed.
#[derive(Message)]
#[rtype(result = "Vec<Result<i64>>")]
pub struct CommitBatches {
    pub batches: Vec<BoardBatch>,
}

impl Handler<CommitBatches> for DbExecutor {
    type Result = Vec<Result<i64>>;

    fn handle(&mut self, m: CommitBatches, _: &mut Self::Context) -> Self::Result {
        let metrics = &self.shared.metrics;
        let mut conn = match checkout(&self.pool) {
            Ok(c) => c,
            Err(e) => {
                metrics.commit_failures.inc();
                return m.batches.iter().map(|_| Err(e.clone())).collect();
            }
        };
        let started = Instant::now();
        let events: usize = m.batches.iter().map(|b| b.events.len()).sum();
        match queries::commit_batches(&mut conn, &m.batches) {
            Ok(()) => {
                metrics.commit_seconds.observe(started.elapsed().as_secs_f64());
                metrics.commit_batch_events.observe(events as f64);
                metrics.events_committed.inc_by(events as u64);
                m.batches.iter().map(|b| Ok(b.last_seq)).collect()
            }
            Err(e) => {
                metrics.commit_failures.inc();
                // One board's trouble must not hold back the others: commit
                // each batch alone, and find out what a failed one left.
                m.batches
                    .iter()
                    .map(|b| {
                        let alone = if m.batches.len() > 1 {
                            queries::commit_batches(&mut conn, std::slice::from_ref(b))
                        } else {
                            Err(e.clone())
                        };
                        match alone {
                            Ok(()) => {
                                metrics.events_committed.inc_by(b.events.len() as u64);
                                Ok(b.last_seq)
                            }
                            Err(e) => committed_before(&mut conn, b, e),
                        }
                    })
                    .collect()
            }
        }
    }
}

/// After a failed commit: if an earlier attempt did land (its answer was
/// lost with the connection), the board row says how far; else the error.
fn committed_before(conn: &mut crate::db::DbConnection, b: &BoardBatch, e: Error) -> Result<i64> {
    let first = b.events.first().map_or(b.last_seq, |ev| ev.seq);
    match queries::board_seq(conn, &b.board_id) {
        Ok(seq) if seq >= first => Ok(seq.min(b.last_seq)),
        _ => Err(e),
    }
}

/// A second transaction starts beside a running one only when this many
/// board batches wait…
const FULL_QUEUE: usize = 16;
/// …or when the running one is this slow (a stalled fsync must not hold
/// every board back).
const SLOW_COMMIT: Duration = Duration::from_millis(5);

/// Group commit in front of the executors.
pub struct Persister {
    executor: Addr<DbExecutor>,
    queue: Vec<(BoardBatch, oneshot::Sender<Result<i64>>)>,
    /// When each running transaction started, oldest first.
    running: VecDeque<Instant>,
    max_in_flight: usize,
    recheck_scheduled: bool,
}

impl Persister {
    /// A persister that keeps at most `max_in_flight` transactions open.
    pub fn new(executor: Addr<DbExecutor>, max_in_flight: usize) -> Self {
        Persister {
            executor,
            queue: Vec::new(),
            running: VecDeque::new(),
            max_in_flight: max_in_flight.max(1),
            recheck_scheduled: false,
        }
    }

    /// Whether the queued batches should go to the database now: nothing
    /// runs, or a slot is free and the queue is long or the oldest running
    /// commit is slow. Otherwise they wait and join the next transaction.
    fn should_start(&self) -> bool {
        if self.queue.is_empty() || self.running.len() >= self.max_in_flight {
            return false;
        }
        match self.running.front() {
            None => true,
            Some(oldest) => self.queue.len() >= FULL_QUEUE || oldest.elapsed() >= SLOW_COMMIT,
        }
    }

    fn dispatch(&mut self, ctx: &mut Context<Self>) {
        while self.should_start() {
            let (batches, waiters): (Vec<_>, Vec<_>) = std::mem::take(&mut self.queue).into_iter().unzip();
            self.running.push_back(Instant::now());
            let commit = self.executor.send(CommitBatches { batches });
            ctx.spawn(commit.into_actor(self).map(move |res, act, ctx| {
                act.running.pop_front();
                match res {
                    Ok(results) => {
                        for (w, r) in waiters.into_iter().zip(results) {
                            let _ = w.send(r);
                        }
                    }
                    Err(e) => {
                        let err = Error::internal(format!("database executor gone: {e}"));
                        for w in waiters {
                            let _ = w.send(Err(err.clone()));
                        }
                    }
                }
                act.dispatch(ctx);
            }));
        }
        if !self.queue.is_empty() && !self.recheck_scheduled && self.running.len() < self.max_in_flight {
            self.recheck_scheduled = true;
            ctx.run_later(SLOW_COMMIT, |act, ctx| {
                act.recheck_scheduled = false;
                act.dispatch(ctx);
            });
        }
    }
}

impl Actor for Persister {
    type Context = Context<Self>;
}

/// Commits one board's batch; answers the seq now committed.
#[derive(Message)]
#[rtype(result = "Result<i64>")]
pub struct Persist {
    pub batch: BoardBatch,
}

impl Handler<Persist> for Persister {
    type Result = ResponseFuture<Result<i64>>;

    fn handle(&mut self, m: Persist, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.queue.push((m.batch, tx));
        self.dispatch(ctx);
        Box::pin(async move {
            rx.await
                .unwrap_or_else(|_| Err(Error::internal("persister dropped a batch")))
        })
    }
}

/// Loads a board (passed straight to an executor).
impl Handler<LoadBoard> for Persister {
    type Result = ResponseFuture<Result<Option<LoadedBoard>>>;

    fn handle(&mut self, m: LoadBoard, _: &mut Context<Self>) -> Self::Result {
        let load = self.executor.send(m);
        Box::pin(async move {
            load.await
                .unwrap_or_else(|e| Err(Error::internal(format!("database executor gone: {e}"))))
        })
    }
}
