//! The group commit, in one place: when a transaction starts (`Schedule`,
//! here), what it commits (`batch::Batch`, left by each board in its
//! `CommitSlot`) and its SQL (`sql`). Also the only road from the actors
//! to the database: `DbExecutor` runs on a `SyncArbiter` (its own
//! threads), so no query ever blocks an async thread.
//!
//! When a transaction starts, as a small state machine. Each board is
//!
//! ```text
//!   idle ──Ready──▶ watched ──a transaction takes its slot──▶ busy
//!    ▲                 │  ▲                                     │
//!    └─slot found empty┘  └──────────Committed(ok)──────────────┤
//!                         ▲                                     │
//!                         └──Resume── halted ◀──Committed(err)──┘
//! ```
//!
//! and a transaction starts with every watched board that is neither busy
//! nor halted (a board has at most one batch in flight, so its events
//! commit in order):
//!
//! - at once, when no transaction is running: a lone op commits without
//!   waiting for anything;
//! - while one runs, not before it ends — what arrives meanwhile forms the
//!   next batch, so batches grow with the load and the fsyncs do not —
//!   unless it has run `SLOW_COMMIT`: then one more starts beside it for
//!   the boards not in it (a stalled fsync must not hold everyone back),
//!   up to `max_in_flight`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use crate::db::queries::{self, LoadedBoard};
use crate::db::{checkout, Pool};
use crate::error::{Error, Result};
use crate::state::Shared;

mod batch;
pub mod sql;

pub use batch::{Batch, CommitSlot};

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
            return crate::db::leases::claim_and_load(
                &mut conn,
                claim,
                &m.id,
                m.recent_events,
                m.recent_chat,
                m.recent_op_ids,
            );
        }
        queries::load_board(&mut conn, &m.id, m.recent_events, m.recent_chat, m.recent_op_ids)
    }
}

/// Commits several boards' batches in one transaction; answers, per batch,
/// the seq up to which that board is now committed.
#[derive(Message)]
#[rtype(result = "Vec<Result<i64>>")]
pub struct CommitBatches {
    pub batches: Vec<Batch>,
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
        match sql::commit_batches(&mut conn, &m.batches) {
            Ok(gone) => {
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
                m.batches.iter().map(|b| outcome(b, &gone)).collect()
            }
            Err(e) => {
                metrics.commit_failures.inc();
                // One board's trouble must not hold back the others: commit
                // each batch alone, and find out what a failed one left.
                m.batches
                    .iter()
                    .map(|b| {
                        let alone = if m.batches.len() > 1 {
                            sql::commit_batches(&mut conn, std::slice::from_ref(b))
                        } else {
                            Err(e.clone())
                        };
                        match alone {
                            Ok(gone) => {
                                metrics.events_committed.inc_by(b.events.len() as u64);
                                outcome(b, &gone)
                            }
                            Err(e) => sql::committed_before(&mut conn, b, e),
                        }
                    })
                    .collect()
            }
        }
    }
}

/// A committed batch's answer: its last seq, unless its rows were not
/// written (its board deleted, or taken by another node).
fn outcome(b: &Batch, missed: &[(String, Error)]) -> Result<i64> {
    match missed.iter().find(|(id, _)| *id == b.board_id) {
        Some((_, why)) => Err(why.clone()),
        None => Ok(b.last_seq),
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

/// The batches a transaction takes, by board.
type Taken = Vec<(Arc<str>, Batch)>;

/// Which boards the next transaction takes, and when it may start (the
/// state machine of the module doc). `A` is how a board is answered.
struct Schedule<A> {
    boards: HashMap<Arc<str>, Entry<A>>,
    /// Watched boards: their slots are looked at whenever a transaction
    /// starts, until one is found empty.
    watched: HashSet<Arc<str>>,
    /// When each running transaction started, by its number.
    running: HashMap<u64, Instant>,
    next_tx: u64,
    max_in_flight: usize,
}

struct Entry<A> {
    slot: CommitSlot,
    /// Scale-out: the board's epoch; each of its batches is fenced by it.
    epoch: Option<i64>,
    answer_to: A,
    busy: bool,
    halted: bool,
}

impl<A> Schedule<A> {
    fn new(max_in_flight: usize) -> Self {
        Schedule {
            boards: HashMap::new(),
            watched: HashSet::new(),
            running: HashMap::new(),
            next_tx: 0,
            max_in_flight: max_in_flight.max(1),
        }
    }

    fn register(&mut self, board: Arc<str>, slot: CommitSlot, epoch: Option<i64>, answer_to: A) {
        let entry = Entry {
            slot,
            epoch,
            answer_to,
            busy: false,
            halted: false,
        };
        self.boards.insert(board, entry);
    }

    /// The board's slot has rows (`Ready`), or may again after a failure
    /// (`Resume`).
    fn watch(&mut self, board: Arc<str>, resume: bool) {
        if let Some(entry) = self.boards.get_mut(&board).filter(|_| resume) {
            entry.halted = false;
        }
        self.watched.insert(board);
    }

    fn forget(&mut self, board: &Arc<str>, slot: &CommitSlot) {
        if self.boards.get(board).is_some_and(|e| e.slot.same(slot)) {
            self.boards.remove(board);
            self.watched.remove(board);
        }
    }

    fn takeable(&self, board: &Arc<str>) -> bool {
        self.boards.get(board).is_some_and(|e| !e.busy && !e.halted)
    }

    /// How long until the next transaction may start; `None`: nothing to
    /// start, or no room.
    fn wait(&self, now: Instant) -> Option<Duration> {
        if self.running.len() >= self.max_in_flight || !self.watched.iter().any(|b| self.takeable(b)) {
            return None;
        }
        let oldest = self.running.values().min();
        Some(oldest.map_or(Duration::ZERO, |t| SLOW_COMMIT.saturating_sub(now - *t)))
    }

    /// Starts a transaction: the batch of every takeable watched board
    /// whose slot holds rows (those boards are busy until `finished`).
    fn start(&mut self, now: Instant) -> Option<(u64, Taken)> {
        let mut taken = Vec::new();
        for id in &self.watched {
            let Some(entry) = self.boards.get_mut(id).filter(|e| !e.busy && !e.halted) else {
                continue;
            };
            if let Some(mut batch) = entry.slot.take() {
                batch.epoch = entry.epoch;
                entry.busy = true;
                taken.push((id.clone(), batch));
            }
        }
        // a board whose slot was found empty is no longer watched (its
        // next push sends `Ready`); the others are looked at again
        let boards = &self.boards;
        self.watched
            .retain(|id| boards.get(id).is_some_and(|e| e.busy || e.halted));
        if taken.is_empty() {
            return None;
        }
        self.next_tx += 1;
        self.running.insert(self.next_tx, now);
        Some((self.next_tx, taken))
    }

    /// Transaction `tx` ended; a board whose batch failed is halted until
    /// `Resume`. Answers how to reach each board.
    fn finished(&mut self, tx: u64, board: &Arc<str>, ok: bool) -> Option<&A> {
        self.running.remove(&tx);
        let entry = self.boards.get_mut(board)?;
        entry.busy = false;
        entry.halted = !ok;
        Some(&entry.answer_to)
    }
}

/// Group commit in front of the executors.
pub struct Persister {
    executor: Addr<DbExecutor>,
    schedule: Schedule<Recipient<Committed>>,
    recheck_scheduled: bool,
}

impl Persister {
    /// A persister that keeps at most `max_in_flight` transactions open.
    pub fn new(executor: Addr<DbExecutor>, max_in_flight: usize) -> Self {
        Persister {
            executor,
            schedule: Schedule::new(max_in_flight),
            recheck_scheduled: false,
        }
    }

    fn dispatch(&mut self, ctx: &mut Context<Self>) {
        while self.schedule.wait(Instant::now()) == Some(Duration::ZERO) {
            let Some((tx, taken)) = self.schedule.start(Instant::now()) else {
                break;
            };
            self.commit(tx, taken, ctx);
        }
        if let Some(wait) = self
            .schedule
            .wait(Instant::now())
            .filter(|_| !self.recheck_scheduled)
        {
            self.recheck_scheduled = true;
            ctx.run_later(wait, |act, ctx| {
                act.recheck_scheduled = false;
                act.dispatch(ctx);
            });
        }
    }

    /// Runs transaction `tx` on an executor and answers each board.
    fn commit(&mut self, tx: u64, taken: Taken, ctx: &mut Context<Self>) {
        let (ids, batches): (Vec<_>, Vec<_>) = taken.into_iter().unzip();
        let commit = self.executor.send(CommitBatches { batches });
        ctx.spawn(commit.into_actor(self).map(move |res, act, ctx| {
            let results = res.unwrap_or_else(|e| {
                let err = Error::internal(format!("database executor gone: {e}"));
                ids.iter().map(|_| Err(err.clone())).collect()
            });
            for (id, result) in ids.iter().zip(results) {
                if let Some(to) = act.schedule.finished(tx, id, result.is_ok()) {
                    to.do_send(Committed { result });
                }
            }
            // a board with a new batch waiting is still watched
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
        self.schedule.register(m.board, m.slot, m.epoch, m.answer_to);
    }
}

impl Handler<Ready> for Persister {
    type Result = ();

    fn handle(&mut self, m: Ready, ctx: &mut Context<Self>) {
        self.schedule.watch(m.board, false);
        self.dispatch(ctx);
    }
}

impl Handler<Resume> for Persister {
    type Result = ();

    fn handle(&mut self, m: Resume, ctx: &mut Context<Self>) {
        self.schedule.watch(m.board, true);
        self.dispatch(ctx);
    }
}

impl Handler<Forget> for Persister {
    type Result = ();

    fn handle(&mut self, m: Forget, _: &mut Context<Self>) {
        self.schedule.forget(&m.board, &m.slot);
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

    fn rows(seq: i64) -> Batch {
        Batch {
            board_id: "b".into(),
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
            ..Batch::default()
        }
    }

    fn board(s: &mut Schedule<()>, id: &str) -> (Arc<str>, CommitSlot) {
        let (id, slot): (Arc<str>, _) = (id.into(), CommitSlot::default());
        s.register(id.clone(), slot.clone(), None, ());
        (id, slot)
    }

    fn seqs(taken: &[(Arc<str>, Batch)]) -> Vec<(String, Vec<i64>)> {
        let mut v: Vec<_> = taken
            .iter()
            .map(|(id, b)| (id.to_string(), b.events.iter().map(|e| e.seq).collect()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_lone_op_starts_a_transaction_at_once() {
        let mut s = Schedule::new(3);
        let (a, slot) = board(&mut s, "a");
        let now = Instant::now();
        assert_eq!(s.wait(now), None, "nothing to commit");
        assert!(slot.push(rows(1)));
        s.watch(a, false);
        assert_eq!(s.wait(now), Some(Duration::ZERO));
        let (_, taken) = s.start(now).expect("a transaction");
        assert_eq!(seqs(&taken), vec![("a".into(), vec![1])]);
    }

    #[test]
    fn ops_that_arrive_during_a_commit_form_the_next_batch() {
        let mut s = Schedule::new(3);
        let (a, slot_a) = board(&mut s, "a");
        let (b, slot_b) = board(&mut s, "b");
        let t0 = Instant::now();
        slot_a.push(rows(1));
        s.watch(a.clone(), false);
        let (tx, _) = s.start(t0).expect("first");
        // while it runs: more of a, and b's first
        assert!(!slot_a.push(rows(2)), "a is still watched");
        slot_a.push(rows(3));
        assert!(slot_b.push(rows(1)));
        s.watch(b.clone(), false);
        let later = t0 + Duration::from_millis(5);
        assert_eq!(
            s.wait(later),
            Some(SLOW_COMMIT - Duration::from_millis(5)),
            "waits for the running one"
        );
        s.finished(tx, &a, true);
        assert_eq!(s.wait(later), Some(Duration::ZERO));
        let (_, taken) = s.start(later).expect("second");
        assert_eq!(
            seqs(&taken),
            vec![("a".into(), vec![2, 3]), ("b".into(), vec![1])],
            "one batch each"
        );
    }

    #[test]
    fn a_slow_commit_lets_one_start_beside_it_for_the_other_boards() {
        let mut s = Schedule::new(2);
        let (a, slot_a) = board(&mut s, "a");
        let (b, slot_b) = board(&mut s, "b");
        let t0 = Instant::now();
        slot_a.push(rows(1));
        s.watch(a.clone(), false);
        s.start(t0).expect("first");
        slot_a.push(rows(2));
        slot_b.push(rows(1));
        s.watch(b, false);
        let slow = t0 + SLOW_COMMIT;
        assert_eq!(s.wait(slow), Some(Duration::ZERO));
        let (_, taken) = s.start(slow).expect("beside it");
        assert_eq!(
            seqs(&taken),
            vec![("b".into(), vec![1])],
            "a's batch waits for a's commit"
        );
        slot_b.push(rows(2));
        assert_eq!(s.wait(slow + SLOW_COMMIT), None, "at most two in flight");
    }

    #[test]
    fn a_failed_board_waits_for_resume_and_an_empty_slot_is_unwatched() {
        let mut s = Schedule::new(3);
        let (a, slot) = board(&mut s, "a");
        let now = Instant::now();
        slot.push(rows(1));
        s.watch(a.clone(), false);
        let (tx, _) = s.start(now).expect("first");
        s.finished(tx, &a, false);
        slot.refill(rows(1));
        assert_eq!(s.wait(now), None, "halted");
        s.watch(a.clone(), true);
        let (tx, _) = s.start(now).expect("the retry");
        s.finished(tx, &a, true);
        assert_eq!(s.wait(now), Some(Duration::ZERO), "looked at once more");
        assert!(s.start(now).is_none());
        assert!(
            slot.push(rows(2)),
            "found empty: unwatched, so the next push says Ready"
        );
    }
}
