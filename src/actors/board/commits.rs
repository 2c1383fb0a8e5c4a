//! A board's accepted events on their way to the database: in seq order,
//! each with whom to answer once it is committed; which of them the
//! persister has been handed; and the backoff after a failed commit.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::actors::persister::Batch;
use crate::board::{Applied, Change};
use crate::protocol::{Author, RawEvent, Ref, SessionId};

/// The first retry of a failed commit waits this long, doubling up to
/// `RETRY_MAX`.
const RETRY_FIRST: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(2);

/// An event waiting for its commit.
pub(super) struct Pending {
    pub seq: i64,
    pub at: String,
    pub by: Author,
    pub kind: &'static str,
    /// The event's body, serialized once: the stored row's payload and the
    /// frame's `event`.
    pub body: Box<RawValue>,
    pub change: Change,
    pub op_id: Option<Uuid>,
    /// Who gets `reply ok` once it is committed (the author, and retries
    /// of the same op_id).
    pub replies: Vec<(SessionId, Ref)>,
    /// An admin action waiting for this event's commit.
    pub waiter: Option<oneshot::Sender<i64>>,
    /// When the board accepted it.
    pub accepted: Instant,
}

impl Pending {
    /// An event the board accepted; `replies` are answered once it commits.
    pub fn new(
        applied: Applied,
        at: String,
        by: Author,
        op_id: Option<Uuid>,
        replies: Vec<(SessionId, Ref)>,
    ) -> Self {
        Pending {
            seq: applied.seq,
            at,
            by,
            kind: applied.body.kind(),
            body: applied.body.to_raw(),
            change: applied.change,
            op_id,
            replies,
            waiter: None,
            accepted: Instant::now(),
        }
    }

    /// The event, as its frame and its row are made from it.
    pub fn raw(&self) -> RawEvent<'_> {
        RawEvent {
            seq: self.seq,
            at: &self.at,
            by: &self.by,
            kind: self.kind,
            event: &self.body,
        }
    }
}

/// The events accepted and not yet committed, oldest first.
pub(super) struct CommitQueue {
    pending: VecDeque<Pending>,
    /// The last seq handed to the persister.
    submitted: i64,
    retry_delay: Duration,
    /// A commit failed: nothing more is handed over until the retry.
    retry_scheduled: bool,
}

impl CommitQueue {
    /// An empty queue of a board committed up to `seq`.
    pub fn new(seq: i64) -> Self {
        CommitQueue {
            pending: VecDeque::new(),
            submitted: seq,
            retry_delay: RETRY_FIRST,
            retry_scheduled: false,
        }
    }

    pub fn push(&mut self, p: Pending) {
        self.pending.push_back(p);
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The pending event with this seq (a retried op_id waits for it).
    pub fn get_mut(&mut self, seq: i64) -> Option<&mut Pending> {
        self.pending.iter_mut().find(|p| p.seq == seq)
    }

    /// The batch of the events accepted since the last call, if any and
    /// unless a failed commit waits for its retry.
    pub fn take_new(&mut self, board: &str) -> Option<Batch> {
        if self.retry_scheduled {
            return None;
        }
        let batch = self.batch_after(board, self.submitted)?;
        self.submitted = batch.last_seq;
        Some(batch)
    }

    /// After a failed commit, the retry: every event after `committed`.
    pub fn take_retry(&mut self, board: &str, committed: i64) -> Batch {
        self.retry_scheduled = false;
        let batch = self.batch_after(board, committed).unwrap_or_default();
        if !batch.is_empty() {
            self.submitted = batch.last_seq;
        }
        batch
    }

    fn batch_after(&self, board: &str, after: i64) -> Option<Batch> {
        let mut batch = Batch::default();
        for p in self.pending.iter().skip_while(|p| p.seq <= after) {
            batch.push(board, p.raw(), p.op_id, &p.change);
        }
        (!batch.is_empty()).then_some(batch)
    }

    /// The board is committed up to `upto`: its events, in order, and
    /// whether commits had been failing until now.
    pub fn committed(&mut self, upto: i64) -> (Vec<Pending>, bool) {
        let resumed = self.retry_delay != RETRY_FIRST;
        self.retry_delay = RETRY_FIRST;
        let mut done = Vec::new();
        while self.pending.front().is_some_and(|p| p.seq <= upto) {
            done.extend(self.pending.pop_front());
        }
        (done, resumed)
    }

    /// A commit failed on an outage: how long to wait before the retry,
    /// and whether it is the outage's first failure.
    pub fn failed(&mut self) -> (Duration, bool) {
        let delay = self.retry_delay;
        self.retry_delay = (delay * 2).min(RETRY_MAX);
        self.retry_scheduled = true;
        (delay, delay == RETRY_FIRST)
    }

    /// Drops everything (the board gives up on them).
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::EventBody;

    fn chat(seq: i64) -> Pending {
        let applied = Applied {
            seq,
            body: EventBody::Chat {
                id: Uuid::new_v4(),
                text: format!("m{seq}"),
            },
            change: Change::Nothing,
        };
        let by = Author {
            session: "s".into(),
            name: "n".into(),
        };
        Pending::new(applied, "t".into(), by, None, Vec::new())
    }

    fn seqs(b: &Batch) -> Vec<i64> {
        b.events.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn hands_over_each_event_once_in_order() {
        let mut q = CommitQueue::new(0);
        q.push(chat(1));
        q.push(chat(2));
        assert_eq!(seqs(&q.take_new("b").unwrap()), vec![1, 2]);
        assert!(q.take_new("b").is_none(), "nothing new");
        q.push(chat(3));
        assert_eq!(seqs(&q.take_new("b").unwrap()), vec![3]);
        let (done, resumed) = q.committed(2);
        assert_eq!(done.iter().map(|p| p.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert!(!resumed);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn after_a_failure_waits_for_the_retry_which_resends_all_uncommitted() {
        let mut q = CommitQueue::new(0);
        q.push(chat(1));
        q.take_new("b");
        let (first_delay, first) = q.failed();
        assert!(first);
        q.push(chat(2));
        assert!(q.take_new("b").is_none(), "held until the retry");
        assert_eq!(seqs(&q.take_retry("b", 0)), vec![1, 2]);
        let (second_delay, first) = q.failed();
        assert!(!first);
        assert_eq!(second_delay, first_delay * 2, "backs off");
        q.take_retry("b", 0);
        let (_, resumed) = q.committed(2);
        assert!(resumed, "commits resumed after failing");
        assert!(q.is_empty());
    }
}
