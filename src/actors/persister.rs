//! The only road from the actors to the database.
//!
//! `DbExecutor` runs on a `SyncArbiter` (its own threads), so no query ever
//! blocks an async thread. `Persister` in front of it does the group
//! commit: each open board leaves the rows of its accepted ops in its
//! `CommitSlot`; a transaction takes every board's slot at once (at most
//! one batch per board in flight, so a board's events commit in order),
//! and transactions start at most once per commit window unless one is
//! slow. What arrives meanwhile joins the next transaction.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix::prelude::*;

use crate::db::queries::{self, BoardBatch, LoadedBoard, Rows};
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
    /// Scale-out: take the board's lease first (the load then sees every
    /// commit of the node that had it); see `crate::db::leases`.
    pub claim: Option<crate::db::leases::Claim>,
}

impl Handler<LoadBoard> for DbExecutor {
    type Result = Result<Option<LoadedBoard>>;

    fn handle(&mut self, m: LoadBoard, _: &mut Self::Context) -> Self::Result {
        let mut conn = checkout(&self.pool)?;
        if let Some(claim) = &m.claim {
            let load = crate::db::leases::Load {
                id: m.id,
                recent_events: m.recent_events,
                recent_chat: m.recent_chat,
                recent_op_ids: m.recent_op_ids,
            };
            return crate::db::leases::claim_and_load(&mut conn, claim, &load);
        }
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
                let took = started.elapsed();
                metrics.commit_seconds.observe(took.as_secs_f64());
                if took >= SLOW_COMMIT_LOG {
                    log::warn!(
                        "slow commit: {events} event(s) of {} board(s) took {took:?}",
                        m.batches.len()
                    );
                }
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
    // scale-out: `batch_seq` is `Moved` when another node took the board
    match queries::batch_seq(conn, b) {
        Ok(seq) if seq >= first => Ok(seq.min(b.last_seq)),
        Err(moved @ Error::Moved(_)) => Err(moved),
        _ => Err(e),
    }
}

/// A commit this slow is logged (warn): it holds back every board in it.
const SLOW_COMMIT_LOG: Duration = Duration::from_millis(100);

/// A transaction running this long gets another one beside it, for the
/// boards that are not in it, so a stalled fsync does not hold them back.
const SLOW_COMMIT: Duration = Duration::from_millis(25);

/// Where a board leaves the rows of its newly accepted ops for the
/// persister to take when a transaction starts. Sharing it (rather than
/// sending each op) lets a board's newest ops into the very next
/// transaction, even while an earlier batch of the board is committing,
/// and the rows of all of them become one batch.
#[derive(Clone, Default)]
pub struct CommitSlot(Arc<Mutex<SlotState>>);

#[derive(Default)]
struct SlotState {
    rows: Rows,
    /// The persister has been told (`Ready`) and looks at the slot whenever
    /// a transaction starts, until it finds it empty: new rows need no
    /// `Ready` meanwhile.
    watched: bool,
}

impl CommitSlot {
    /// Takes the lock. A panic while holding it cannot leave the rows
    /// half-written (each change is whole), so a poisoned lock is used as
    /// it is.
    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds the rows of newly accepted ops; true when the persister is not
    /// watching the slot and must be told (`Ready`).
    pub fn push(&self, rows: Rows) -> bool {
        let mut state = self.lock();
        state.rows.append(rows);
        !std::mem::replace(&mut state.watched, true)
    }

    /// After a failed commit: the slot holds `rows` (everything not yet
    /// committed) instead of what it held.
    pub fn refill(&self, rows: Rows) {
        let mut state = self.lock();
        state.rows = rows;
        state.watched = true;
    }

    /// Everything the slot holds, or None when it is empty: then the
    /// persister stops watching it until the board pushes again.
    fn take(&self) -> Option<Rows> {
        let mut state = self.lock();
        if state.rows.is_empty() {
            state.watched = false;
            return None;
        }
        Some(std::mem::take(&mut state.rows))
    }

    fn same(&self, other: &CommitSlot) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The outcome of a board's batch: the seq now committed, or the error.
/// After an error the persister takes nothing more from the board's slot
/// until the board sends `Resume`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Committed {
    pub result: Result<i64>,
}

/// A loaded board makes its slot known.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Register {
    pub board: Arc<str>,
    /// Scale-out: the epoch every batch of the board is committed under.
    pub epoch: Option<i64>,
    pub slot: CommitSlot,
    pub answer_to: Recipient<Committed>,
}

/// A board's slot holds rows and the persister was not watching it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Ready {
    pub board: Arc<str>,
}

/// After a failure the board refilled its slot with everything it has not
/// seen committed: take from it again.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Resume {
    pub board: Arc<str>,
}

/// A board stopped; its slot is forgotten (unless a newer one took its place).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Forget {
    pub board: Arc<str>,
    pub slot: CommitSlot,
}

/// What the persister knows of one board.
struct Entry {
    slot: CommitSlot,
    epoch: Option<i64>,
    answer_to: Recipient<Committed>,
    /// A batch of this board is in a running transaction: the next one
    /// waits for it (a board's events commit in seq order).
    busy: bool,
    /// Its last batch failed: wait for `Resume`.
    halted: bool,
}

/// Group commit in front of the executors.
pub struct Persister {
    executor: Addr<DbExecutor>,
    boards: HashMap<Arc<str>, Entry>,
    /// Boards whose slot may hold rows: their slots are watched, looked at
    /// whenever a transaction starts, until one is found empty.
    ready: HashSet<Arc<str>>,
    /// When each running transaction started, oldest first.
    running: VecDeque<Instant>,
    /// When the latest transaction started.
    last_start: Option<Instant>,
    /// Transactions start at most this often (unless one is slow): what
    /// arrives meanwhile joins the next one. Every transaction costs an
    /// fsync and, for every board in it, a socket write to each author (and
    /// to each member the broadcast pace lets through).
    window: Duration,
    max_in_flight: usize,
    recheck_scheduled: bool,
}

impl Persister {
    /// A persister that starts a transaction at most once per `window`
    /// (unless one is slow) and keeps at most `max_in_flight` open.
    pub fn new(executor: Addr<DbExecutor>, window: Duration, max_in_flight: usize) -> Self {
        Persister {
            executor,
            boards: HashMap::new(),
            ready: HashSet::new(),
            running: VecDeque::new(),
            last_start: None,
            window,
            max_in_flight: max_in_flight.max(1),
            recheck_scheduled: false,
        }
    }

    /// Whether a ready board could go into a transaction now.
    fn takeable(&self, board: &Arc<str>) -> bool {
        self.boards.get(board).is_some_and(|e| !e.busy && !e.halted)
    }

    /// How long until the next transaction may start: the rest of the
    /// window since the last start when nothing runs, of `SLOW_COMMIT`
    /// when one does. `None`: nothing to start, or no room.
    fn wait(&self) -> Option<Duration> {
        if self.running.len() >= self.max_in_flight || !self.ready.iter().any(|b| self.takeable(b)) {
            return None;
        }
        Some(match self.running.front() {
            None => self
                .last_start
                .map_or(Duration::ZERO, |t| self.window.saturating_sub(t.elapsed())),
            Some(oldest) => SLOW_COMMIT.saturating_sub(oldest.elapsed()),
        })
    }

    fn dispatch(&mut self, ctx: &mut Context<Self>) {
        while self.wait() == Some(Duration::ZERO) {
            self.start(ctx);
        }
        if let Some(wait) = self.wait().filter(|_| !self.recheck_scheduled) {
            self.recheck_scheduled = true;
            ctx.run_later(wait, |act, ctx| {
                act.recheck_scheduled = false;
                act.dispatch(ctx);
            });
        }
    }

    /// One transaction with the batch of every takeable ready board.
    fn start(&mut self, ctx: &mut Context<Self>) {
        let mut ids = Vec::new();
        let mut batches = Vec::new();
        for id in std::mem::take(&mut self.ready) {
            let Some(entry) = self.boards.get_mut(&id) else {
                continue;
            };
            if entry.busy || entry.halted {
                self.ready.insert(id);
                continue;
            }
            let Some(rows) = entry.slot.take() else {
                continue; // no longer watched
            };
            entry.busy = true;
            let mut batch = rows.into_batch(&id);
            batch.epoch = entry.epoch; // scale-out: the commit is fenced by it
            batches.push(batch);
            self.ready.insert(id.clone());
            ids.push(id);
        }
        if batches.is_empty() {
            return;
        }
        let now = Instant::now();
        self.running.push_back(now);
        self.last_start = Some(now);
        let commit = self.executor.send(CommitBatches { batches });
        ctx.spawn(commit.into_actor(self).map(move |res, act, ctx| {
            act.running.pop_front();
            let results = res.unwrap_or_else(|e| {
                let err = Error::internal(format!("database executor gone: {e}"));
                ids.iter().map(|_| Err(err.clone())).collect()
            });
            for (id, result) in ids.into_iter().zip(results) {
                if let Some(entry) = act.boards.get_mut(&id) {
                    entry.busy = false;
                    entry.halted = result.is_err();
                    entry.answer_to.do_send(Committed { result });
                }
            }
            act.dispatch(ctx);
        }));
    }
}

impl Actor for Persister {
    type Context = Context<Self>;
}

impl Handler<Register> for Persister {
    type Result = ();

    fn handle(&mut self, m: Register, _: &mut Context<Self>) {
        let entry = Entry {
            slot: m.slot,
            epoch: m.epoch,
            answer_to: m.answer_to,
            busy: false,
            halted: false,
        };
        self.boards.insert(m.board, entry);
    }
}

impl Handler<Ready> for Persister {
    type Result = ();

    fn handle(&mut self, m: Ready, ctx: &mut Context<Self>) {
        self.ready.insert(m.board);
        self.dispatch(ctx);
    }
}

impl Handler<Resume> for Persister {
    type Result = ();

    fn handle(&mut self, m: Resume, ctx: &mut Context<Self>) {
        if let Some(entry) = self.boards.get_mut(&m.board) {
            entry.halted = false;
        }
        self.ready.insert(m.board);
        self.dispatch(ctx);
    }
}

impl Handler<Forget> for Persister {
    type Result = ();

    fn handle(&mut self, m: Forget, _: &mut Context<Self>) {
        if self.boards.get(&m.board).is_some_and(|e| e.slot.same(&m.slot)) {
            self.boards.remove(&m.board);
            self.ready.remove(&m.board);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::queries::EventRow;

    fn rows(seq: i64) -> Rows {
        Rows {
            events: vec![EventRow {
                board_id: "b".into(),
                seq,
                kind: "chat".into(),
                payload: "{}".into(),
                author_session: "s".into(),
                author_name: "n".into(),
                at: "t".into(),
            }],
            last_seq: seq,
            ..Rows::default()
        }
    }

    #[test]
    fn a_slot_asks_for_ready_only_when_the_persister_stopped_watching_it() {
        let slot = CommitSlot::default();
        assert!(slot.push(rows(1)), "a new slot is not watched");
        assert!(!slot.push(rows(2)), "a watched slot needs no Ready");
        let taken = slot
            .take()
            .map(|r| r.events.iter().map(|e| e.seq).collect::<Vec<_>>());
        assert_eq!(taken, Some(vec![1, 2]));
        assert!(!slot.push(rows(3)), "taking rows keeps the slot watched");
        assert_eq!(slot.take().map(|r| r.last_seq), Some(3));
        assert!(slot.take().is_none());
        assert!(slot.push(rows(4)), "a slot found empty is no longer watched");
        slot.refill(rows(3));
        assert_eq!(
            slot.take().map(|r| r.last_seq),
            Some(3),
            "a refill replaces the rows"
        );
    }
}
