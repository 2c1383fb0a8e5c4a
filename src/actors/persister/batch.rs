//! The one shape of a board's rows on their way to the database, from the
//! board's queue through its slot to the SQL; and the slot where a board
//! leaves them for the next transaction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use uuid::Uuid;

use crate::board::Change;
use crate::db::queries::{EventRow, OpIdRow, StickerRow};
use crate::protocol::RawEvent;

/// A board's rows from its accepted ops, until a transaction commits
/// them: events and op_ids in seq order, sticker changes in the order they
/// were made (`None`: deleted), the latest title.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub board_id: String,
    /// Scale-out: the board's epoch as its node took it. The commit writes
    /// nothing of the batch unless the board's row still has it
    /// (`Error::Moved`); `None` on a single node.
    pub epoch: Option<i64>,
    /// The seq of the last event: the board's seq after the commit.
    pub last_seq: i64,
    /// The new title, when the batch renames the board.
    pub title: Option<String>,
    pub events: Vec<EventRow>,
    pub op_ids: Vec<OpIdRow>,
    pub stickers: Vec<(String, Option<StickerRow>)>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Adds an accepted event and what it changes.
    pub fn push(&mut self, board: &str, event: RawEvent<'_>, op_id: Option<Uuid>, change: &Change) {
        if self.board_id.is_empty() {
            self.board_id = board.to_owned();
        }
        self.events.push(EventRow::new(board, &event));
        if let Some(op_id) = op_id {
            self.op_ids.push(OpIdRow {
                board_id: board.to_owned(),
                seq: event.seq,
                op_id: op_id.to_string(),
            });
        }
        match change {
            Change::Upsert(s) => self
                .stickers
                .push((s.id.to_string(), Some(StickerRow::new(board, s)))),
            Change::Delete(id) => self.stickers.push((id.to_string(), None)),
            Change::Title(t) => self.title = Some(t.clone()),
            Change::Nothing => {}
        }
        self.last_seq = event.seq;
    }

    /// Adds a later batch of the same board.
    pub fn append(&mut self, mut later: Batch) {
        if self.board_id.is_empty() {
            self.board_id = std::mem::take(&mut later.board_id);
        }
        self.events.append(&mut later.events);
        self.op_ids.append(&mut later.op_ids);
        self.stickers.append(&mut later.stickers);
        self.title = later.title.or(self.title.take());
        self.last_seq = later.last_seq;
    }

    /// Each sticker's last change, in the order the stickers were first
    /// changed: the rows to upsert and the ids to delete (one multi-row
    /// upsert may touch a row only once).
    pub fn last_changes(&self) -> (Vec<&StickerRow>, Vec<&str>) {
        let mut last: HashMap<&str, Option<&StickerRow>> = HashMap::new();
        let mut order = Vec::new();
        for (id, change) in &self.stickers {
            if last.insert(id, change.as_ref()).is_none() {
                order.push(id.as_str());
            }
        }
        let (mut upserts, mut deletes) = (Vec::new(), Vec::new());
        for id in order {
            match last.get(id) {
                Some(Some(row)) => upserts.push(*row),
                Some(None) => deletes.push(id),
                None => {}
            }
        }
        (upserts, deletes)
    }
}

/// Where a board leaves the batch of its newly accepted ops for the
/// persister to take when a transaction starts. Sharing it (rather than
/// sending each op) lets a board's newest ops into the very next
/// transaction, even while an earlier batch of the board is committing,
/// and all of them become one batch.
#[derive(Clone, Default)]
pub struct CommitSlot(Arc<Mutex<SlotState>>);

#[derive(Default)]
struct SlotState {
    batch: Batch,
    /// The persister has been told (`Persister::ready`) and looks at the slot whenever
    /// a transaction starts, until it finds it empty: new rows need no
    /// `ready` meanwhile.
    watched: bool,
}

impl CommitSlot {
    /// Takes the lock. A panic while holding it cannot leave the batch
    /// half-written (each change is whole), so a poisoned lock is used as
    /// it is.
    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds newly accepted rows; true when the persister is not watching
    /// the slot and must be told (`Persister::ready`).
    pub fn push(&self, batch: Batch) -> bool {
        let mut state = self.lock();
        state.batch.append(batch);
        !std::mem::replace(&mut state.watched, true)
    }

    /// After a failed commit: the slot holds `batch` (everything not yet
    /// committed) instead of what it held.
    pub fn refill(&self, batch: Batch) {
        let mut state = self.lock();
        state.batch = batch;
        state.watched = true;
    }

    /// Everything the slot holds, or None when it is empty: then the
    /// persister stops watching it until the board pushes again.
    pub(super) fn take(&self) -> Option<Batch> {
        let mut state = self.lock();
        if state.batch.is_empty() {
            state.watched = false;
            return None;
        }
        Some(std::mem::take(&mut state.batch))
    }

    pub(super) fn same(&self, other: &CommitSlot) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, x: f64) -> StickerRow {
        StickerRow {
            board_id: "b".into(),
            id: id.into(),
            x,
            y: 0.0,
            w: 1.0,
            h: 1.0,
            z: 0.0,
            color: "#ffffff".into(),
            text: String::new(),
            version: 1,
            updated_at: String::new(),
            created_by: String::new(),
            updated_by: String::new(),
        }
    }

    fn event(seq: i64) -> EventRow {
        EventRow {
            board_id: "b".into(),
            seq,
            kind: "k".into(),
            payload: "{}".into(),
            author_session: "s".into(),
            author_name: "n".into(),
            at: "t".into(),
        }
    }

    fn batch(seq: i64) -> Batch {
        Batch {
            board_id: "b".into(),
            events: vec![event(seq)],
            last_seq: seq,
            ..Batch::default()
        }
    }

    #[test]
    fn appended_batches_commit_every_event_and_each_stickers_last_change() {
        let mut b = Batch {
            board_id: "b".into(),
            last_seq: 2,
            title: Some("one".into()),
            events: vec![event(1), event(2)],
            stickers: vec![
                ("a".into(), Some(row("a", 1.0))),
                ("c".into(), Some(row("c", 1.0))),
                ("d".into(), None),
            ],
            ..Default::default()
        };
        b.append(Batch {
            last_seq: 4,
            events: vec![event(3), event(4)],
            stickers: vec![
                ("a".into(), Some(row("a", 2.0))),
                ("d".into(), Some(row("d", 2.0))),
                ("c".into(), None),
            ],
            ..Default::default()
        });
        assert_eq!(b.board_id, "b");
        assert_eq!(b.last_seq, 4);
        assert_eq!(b.title.as_deref(), Some("one"));
        assert_eq!(b.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
        let (upserts, deletes) = b.last_changes();
        let upserts: Vec<_> = upserts.iter().map(|r| (r.id.as_str(), r.x)).collect();
        assert_eq!(upserts, [("a", 2.0), ("d", 2.0)]);
        assert_eq!(deletes, ["c"]);
    }

    #[test]
    fn a_slot_asks_for_ready_only_when_the_persister_stopped_watching_it() {
        let slot = CommitSlot::default();
        assert!(slot.push(batch(1)), "a new slot is not watched");
        assert!(!slot.push(batch(2)), "a watched slot needs no ready");
        let taken = slot
            .take()
            .map(|b| b.events.iter().map(|e| e.seq).collect::<Vec<_>>());
        assert_eq!(taken, Some(vec![1, 2]));
        assert!(!slot.push(batch(3)), "taking rows keeps the slot watched");
        assert_eq!(slot.take().map(|b| b.last_seq), Some(3));
        assert!(slot.take().is_none());
        assert!(slot.push(batch(4)), "a slot found empty is no longer watched");
        slot.refill(batch(3));
        assert_eq!(
            slot.take().map(|b| b.last_seq),
            Some(3),
            "a refill replaces the rows"
        );
    }
}
