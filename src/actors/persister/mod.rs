//! The group commit, in one place: when a transaction starts (`Schedule`,
//! here), what it commits (`batch::Batch`, left by each board in its
//! `CommitSlot`) and its SQL (`sql`). Also the only road from the actors
//! to the database: `DbExecutor`s run on threads of their own
//! (`Executors`), so no query ever blocks an async thread.
//!
//! `Persister` is a handle, not an actor: a board calls it when its slot
//! fills, and the executor that ends a transaction answers the boards and
//! runs the next one itself, so an op's rows go to the database thread
//! and its answer comes back, with no third thread between.
//!
//! When a transaction starts, as a small state machine. Each board is
//!
//! ```text
//!   idle ──ready──▶ watched ──a transaction takes its slot──▶ busy
//!    ▲                 │  ▲                                     │
//!    └─slot found empty┘  └──────────Committed(ok)──────────────┤
//!                         ▲                                     │
//!                         └──resume── halted ◀──Committed(err)──┘
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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix::ArbiterHandle;
use tokio::sync::oneshot;

use crate::db::queries::{self, LoadedBoard};
use crate::db::{checkout, Pool};
use crate::error::{Error, Result};
use crate::state::Shared;

mod batch;
pub mod sql;

pub use batch::{Batch, CommitSlot};

/// Runs queries on its own thread, one of `Executors`.
pub struct DbExecutor {
    pub pool: Pool,
    pub shared: Arc<Shared>,
}

/// Loads a board with its recent history (None: no such board).
pub struct LoadBoard {
    pub id: String,
    pub recent_events: i64,
    pub recent_chat: i64,
    pub recent_op_ids: i64,
    /// Scale-out: take the board's lease first (the load then sees every
    /// commit of the node that had it); see `crate::db::leases`.
    pub claim: Option<crate::db::leases::Claim>,
}

/// What an executor thread is asked to do.
enum Job {
    Load(LoadBoard, oneshot::Sender<Result<Option<LoadedBoard>>>),
    Commit(Commit),
}

/// Transaction `tx`, to commit and answer (see `DbExecutor::commit_all`).
struct Commit {
    tx: u64,
    taken: Taken,
    persister: Persister,
}

/// The database threads, each taking the next job from one queue. Not a
/// `SyncArbiter`: its messages pass through a forwarder on the system
/// arbiter, which would wake a third thread for every commit.
#[derive(Clone)]
pub struct Executors(crossbeam_channel::Sender<Job>);

impl Executors {
    /// Starts `n` threads, each with its own `DbExecutor`.
    pub fn start(n: usize, make: impl Fn() -> DbExecutor) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::unbounded();
        for i in 0..n {
            let (rx, mut executor) = (rx.clone(), make());
            std::thread::Builder::new()
                .name(format!("db-executor-{i}"))
                .spawn(move || rx.iter().for_each(|job| executor.run(job)))?;
        }
        Ok(Executors(tx))
    }
}

impl DbExecutor {
    fn run(&mut self, job: Job) {
        match job {
            Job::Load(m, reply) => {
                // the board may have stopped meanwhile: nobody to answer
                let _ = reply.send(self.load(m));
            }
            Job::Commit(m) => self.commit_all(m),
        }
    }

    fn load(&mut self, m: LoadBoard) -> Result<Option<LoadedBoard>> {
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

    /// Commits one transaction's batches, answers their boards, and goes
    /// on with the next transaction while one may start at once, so a busy
    /// executor keeps committing without a message between transactions.
    fn commit_all(&mut self, m: Commit) {
        let Commit {
            mut tx,
            mut taken,
            persister,
        } = m;
        loop {
            // A panic must still answer the boards: until they are answered
            // they stay busy in the schedule, and their ops wait forever.
            let commit = std::panic::AssertUnwindSafe(|| self.commit(&taken.batches));
            let results = std::panic::catch_unwind(commit).unwrap_or_else(|_| {
                let err = Error::internal("the commit panicked");
                taken.batches.iter().map(|_| Err(err.clone())).collect()
            });
            match persister.finished(tx, &taken.whose, results) {
                Some((next_tx, next)) => (tx, taken) = (next_tx, next),
                None => return,
            }
        }
    }
}

impl DbExecutor {
    /// Commits several boards' batches in one transaction; answers, per
    /// batch, the seq up to which that board is now committed.
    fn commit(&mut self, batches: &[Batch]) -> Vec<Result<i64>> {
        let metrics = &self.shared.metrics;
        let mut conn = match checkout(&self.pool) {
            Ok(c) => c,
            Err(e) => {
                metrics.commit_failures.inc();
                return batches.iter().map(|_| Err(e.clone())).collect();
            }
        };
        let started = Instant::now();
        let events: usize = batches.iter().map(|b| b.events.len()).sum();
        match sql::commit_batches(&mut conn, batches) {
            Ok(gone) => {
                let took = started.elapsed();
                metrics.commit_seconds.observe(took.as_secs_f64());
                if took >= SLOW_COMMIT_LOG {
                    log::warn!(
                        "slow commit: {events} event(s) of {} board(s) took {took:?}",
                        batches.len()
                    );
                }
                metrics.commit_batch_events.observe(events as f64);
                metrics.events_committed.inc_by(events as u64);
                batches.iter().map(|b| outcome(b, &gone)).collect()
            }
            Err(e) => {
                metrics.commit_failures.inc();
                // One board's trouble must not hold back the others: commit
                // each batch alone, and find out what a failed one left.
                batches
                    .iter()
                    .map(|b| {
                        let alone = if batches.len() > 1 {
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

/// The outcome of a board's batch: the seq now committed, or the error.
/// After an error the persister takes nothing more from the board's slot
/// until the board calls `Persister::resume`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Committed {
    pub result: Result<i64>,
}

/// The batches a transaction takes, and whose each is: the board's id and
/// its slot, which tells it from a newer board of the same id.
#[derive(Default)]
pub struct Taken {
    whose: Vec<(Arc<str>, CommitSlot)>,
    batches: Vec<Batch>,
}

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

    /// The board's slot has rows (`ready`), or may again after a failure
    /// (`resume`).
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
        let mut taken = Taken::default();
        for id in &self.watched {
            let Some(entry) = self.boards.get_mut(id).filter(|e| !e.busy && !e.halted) else {
                continue;
            };
            if let Some(mut batch) = entry.slot.take() {
                batch.epoch = entry.epoch;
                entry.busy = true;
                taken.whose.push((id.clone(), entry.slot.clone()));
                taken.batches.push(batch);
            }
        }
        // a board whose slot was found empty is no longer watched (its
        // next push calls `ready`); the others are looked at again
        let boards = &self.boards;
        self.watched
            .retain(|id| boards.get(id).is_some_and(|e| e.busy || e.halted));
        if taken.batches.is_empty() {
            return None;
        }
        self.next_tx += 1;
        self.running.insert(self.next_tx, now);
        Some((self.next_tx, taken))
    }

    /// Transaction `tx` ended; a board whose batch failed is halted until
    /// `resume`. Answers how to reach the board, unless it stopped (a newer
    /// board of its id has another slot, and batches of its own).
    fn finished(&mut self, tx: u64, (board, slot): &(Arc<str>, CommitSlot), ok: bool) -> Option<&A> {
        self.running.remove(&tx);
        let entry = self.boards.get_mut(board).filter(|e| e.slot.same(slot))?;
        entry.busy = false;
        entry.halted = !ok;
        Some(&entry.answer_to)
    }
}

/// Group commit in front of the executors: a handle that boards and
/// executors share, not an actor. A board's `ready` starts a transaction
/// on an executor right away when none is running, and the executor that
/// ends one answers the boards and runs the next itself, so an op crosses
/// to the database thread and back, and no third thread in between.
#[derive(Clone)]
pub struct Persister(Arc<Inner>);

struct Inner {
    executors: Executors,
    state: Mutex<Scheduling<Recipient<Committed>>>,
    /// Where the slow-commit timer runs: executors have no event loop.
    timers: ArbiterHandle,
}

struct Scheduling<A> {
    schedule: Schedule<A>,
    recheck_scheduled: bool,
}

/// What `Persister::start_now` found: transactions to hand to executors,
/// and when to look again.
struct Due {
    start: Vec<(u64, Taken)>,
    recheck: Option<Duration>,
}

impl Persister {
    /// A persister that keeps at most `max_in_flight` transactions open;
    /// its timer runs on the current arbiter.
    pub fn new(executors: Executors, max_in_flight: usize) -> Self {
        Persister(Arc::new(Inner {
            executors,
            state: Mutex::new(Scheduling {
                schedule: Schedule::new(max_in_flight),
                recheck_scheduled: false,
            }),
            timers: Arbiter::current(),
        }))
    }

    /// The lock is never held across a call that can panic midway
    /// through a change, so a poisoned one is used as it is.
    fn lock(&self) -> MutexGuard<'_, Scheduling<Recipient<Committed>>> {
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A loaded board makes its slot known; `epoch` (scale-out) fences
    /// every batch of the board.
    pub fn register(
        &self,
        board: Arc<str>,
        epoch: Option<i64>,
        slot: CommitSlot,
        answer_to: Recipient<Committed>,
    ) {
        self.lock().schedule.register(board, slot, epoch, answer_to);
    }

    /// The board's slot holds rows and the persister was not watching it.
    pub fn ready(&self, board: Arc<str>) {
        self.watch(board, false);
    }

    /// After a failure the board refilled its slot with everything it has
    /// not seen committed: take from it again.
    pub fn resume(&self, board: Arc<str>) {
        self.watch(board, true);
    }

    /// A board stopped; its slot is forgotten (unless a newer one took its
    /// place).
    pub fn forget(&self, board: &Arc<str>, slot: &CommitSlot) {
        self.lock().schedule.forget(board, slot);
    }

    /// Loads a board (on an executor).
    pub fn load(&self, m: LoadBoard) -> impl std::future::Future<Output = Result<Option<LoadedBoard>>> {
        let (reply, answer) = oneshot::channel();
        let sent = self.0.executors.0.send(Job::Load(m, reply)).is_ok();
        async move {
            match answer.await {
                Ok(loaded) if sent => loaded,
                _ => Err(Error::internal("database executor gone")),
            }
        }
    }

    fn watch(&self, board: Arc<str>, resume: bool) {
        let due = {
            let mut state = self.lock();
            state.schedule.watch(board, resume);
            state.start_now()
        };
        self.hand_out(due);
    }

    /// Transaction `tx` ended with `results` (one per board of `whose`):
    /// answers each board, and returns the next transaction when one may
    /// start at once, for the executor that ran `tx` to run.
    fn finished(
        &self,
        tx: u64,
        whose: &[(Arc<str>, CommitSlot)],
        results: Vec<Result<i64>>,
    ) -> Option<(u64, Taken)> {
        let mut due = {
            let mut state = self.lock();
            for (board, result) in whose.iter().zip(results) {
                // answered under the lock (a send does not block): a board's
                // next batch may start once it is not busy, and its answer
                // must not overtake this one
                if let Some(to) = state.schedule.finished(tx, board, result.is_ok()) {
                    to.do_send(Committed { result });
                }
            }
            // a board with a new batch waiting is still watched
            state.start_now()
        };
        let next = due.start.pop();
        self.hand_out(due);
        next
    }

    /// Hands each due transaction to an executor, and sets the timer.
    fn hand_out(&self, due: Due) {
        for (tx, taken) in due.start {
            let commit = Commit {
                tx,
                taken,
                persister: self.clone(),
            };
            if let Err(crossbeam_channel::SendError(Job::Commit(lost))) =
                self.0.executors.0.send(Job::Commit(commit))
            {
                let err = Error::internal("database executor gone");
                let results = lost.taken.whose.iter().map(|_| Err(err.clone())).collect();
                // its boards are halted now; others may be due
                if let Some(next) = self.finished(tx, &lost.taken.whose, results) {
                    self.hand_out(Due {
                        start: vec![next],
                        recheck: None,
                    });
                }
            }
        }
        if let Some(wait) = due.recheck {
            let me = self.clone();
            let spawned = self.0.timers.spawn(async move {
                actix::clock::sleep(wait).await;
                let due = {
                    let mut state = me.lock();
                    state.recheck_scheduled = false;
                    state.start_now()
                };
                me.hand_out(due);
            });
            if !spawned {
                // the system is stopping; a later call may try again
                self.lock().recheck_scheduled = false;
            }
        }
    }
}

impl<A> Scheduling<A> {
    /// Starts every transaction that may start now, and claims the timer
    /// when one may start later.
    fn start_now(&mut self) -> Due {
        let mut start = Vec::new();
        let now = Instant::now();
        while self.schedule.wait(now) == Some(Duration::ZERO) {
            let Some(tx) = self.schedule.start(now) else {
                break;
            };
            start.push(tx);
        }
        let recheck = self
            .schedule
            .wait(now)
            .filter(|_| !std::mem::replace(&mut self.recheck_scheduled, true));
        Due { start, recheck }
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

    fn seqs(taken: &Taken) -> Vec<(String, Vec<i64>)> {
        let mut v: Vec<_> = taken
            .whose
            .iter()
            .zip(&taken.batches)
            .map(|((id, _), b)| (id.to_string(), b.events.iter().map(|e| e.seq).collect()))
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
        s.finished(tx, &(a.clone(), slot_a.clone()), true);
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
    fn the_next_transaction_is_due_at_once_and_a_later_one_claims_one_timer() {
        let mut state = Scheduling {
            schedule: Schedule::new(2),
            recheck_scheduled: false,
        };
        let (a, slot_a) = board(&mut state.schedule, "a");
        let (b, slot_b) = board(&mut state.schedule, "b");
        slot_a.push(rows(1));
        state.schedule.watch(a.clone(), false);
        let due = state.start_now();
        assert_eq!(due.start.len(), 1, "a lone op starts at once");
        assert_eq!(due.recheck, None, "nothing else waits");
        // b waits for a's transaction (or for it to run slow): one timer
        slot_b.push(rows(1));
        state.schedule.watch(b, false);
        let due = state.start_now();
        assert!(due.start.is_empty());
        assert!(due.recheck.is_some_and(|w| w <= SLOW_COMMIT));
        assert_eq!(state.start_now().recheck, None, "the timer is set once");
        // a's transaction ends: b's batch is due for the executor that ran it
        let tx = *state.schedule.running.keys().next().expect("a's runs");
        state.schedule.finished(tx, &(a.clone(), slot_a.clone()), true);
        let due = state.start_now();
        assert_eq!(due.start.len(), 1);
        assert_eq!(seqs(&due.start[0].1), vec![("b".into(), vec![1])]);
    }

    #[test]
    fn a_stopped_boards_answer_does_not_reach_a_newer_board_of_its_id() {
        let mut s = Schedule::new(3);
        let (a, old) = board(&mut s, "a");
        old.push(rows(1));
        s.watch(a.clone(), false);
        let (tx, _) = s.start(Instant::now()).expect("first");
        s.forget(&a, &old);
        let (a, new) = board(&mut s, "a");
        new.push(rows(2));
        s.watch(a.clone(), false);
        let (tx2, _) = s.start(Instant::now()).expect("the new board's");
        assert!(s.finished(tx, &(a.clone(), old), true).is_none(), "not answered");
        assert!(s.boards[&a].busy, "the new board's batch is still in flight");
        assert!(s.finished(tx2, &(a.clone(), new), true).is_some());
    }

    #[test]
    fn a_failed_board_waits_for_resume_and_an_empty_slot_is_unwatched() {
        let mut s = Schedule::new(3);
        let (a, slot) = board(&mut s, "a");
        let now = Instant::now();
        slot.push(rows(1));
        s.watch(a.clone(), false);
        let (tx, _) = s.start(now).expect("first");
        s.finished(tx, &(a.clone(), slot.clone()), false);
        slot.refill(rows(1));
        assert_eq!(s.wait(now), None, "halted");
        s.watch(a.clone(), true);
        let (tx, _) = s.start(now).expect("the retry");
        s.finished(tx, &(a.clone(), slot.clone()), true);
        assert_eq!(s.wait(now), Some(Duration::ZERO), "looked at once more");
        assert!(s.start(now).is_none());
        assert!(
            slot.push(rows(2)),
            "found empty: unwatched, so the next push calls ready"
        );
    }
}
