//! The members of a board and each one's outbox: the frames queued for a
//! member and the rule for when they leave.
//!
//! The rule is Nagle's (and uWebSockets' corking): a member with nothing
//! in flight — its session has written everything handed to it — gets its
//! frames at the end of the board's turn, at once; while a delivery is
//! still in flight, what comes meanwhile waits and leaves in one write
//! when it lands. So a quiet board answers within its turn and a busy one
//! writes many frames per syscall, with no timer deciding either. A member
//! whose session holds more than the bound does not read fast enough: it
//! is cut, never waited on.
//!
//! No actix here: a member is reached through `R` (the board's `Reach`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytestring::ByteString;

use crate::protocol::{Member, SessionId};

/// The bytes handed to a session and not yet written to its socket, shared
/// by the board (which reads them to decide and to cut) and the session.
#[derive(Debug, Default)]
pub struct SendQueue {
    pub bytes: AtomicUsize,
    /// The board cut this member: its session writes nothing more.
    pub cut: AtomicBool,
    /// When the client was last heard from (ms since the Unix epoch), for
    /// the admin pages.
    pub last_heard_ms: AtomicU64,
}

impl SendQueue {
    fn in_flight(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// A member and the way to reach it.
pub(super) struct Slot<R> {
    pub member: Member,
    /// The hash of its member key (never shown to other members).
    pub key: Option<String>,
    /// When it joined (RFC 3339), for the admin pages.
    pub joined_at: String,
    pub reach: R,
    pub queue: Arc<SendQueue>,
    outbox: Vec<ByteString>,
    outbox_bytes: usize,
}

/// Every member of one board, by session.
pub(super) struct Members<R> {
    slots: HashMap<SessionId, Slot<R>>,
    /// Members with frames in their outbox.
    dirty: Vec<SessionId>,
}

impl<R> Default for Members<R> {
    fn default() -> Self {
        Members {
            slots: HashMap::new(),
            dirty: Vec::new(),
        }
    }
}

/// What a delivery round leaves to do.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Delivered {
    /// Members that read too slowly: to be cut.
    pub slow: Vec<SessionId>,
    /// The frames dropped with them.
    pub dropped: usize,
    /// Some frames wait for a delivery in flight: look again soon.
    pub waiting: bool,
}

impl<R> Members<R> {
    pub fn insert(
        &mut self,
        member: Member,
        key: Option<String>,
        joined_at: String,
        reach: R,
        queue: Arc<SendQueue>,
    ) {
        let slot = Slot {
            member,
            key,
            joined_at,
            reach,
            queue,
            outbox: Vec::new(),
            outbox_bytes: 0,
        };
        self.slots.insert(slot.member.session.clone(), slot);
    }

    pub fn remove(&mut self, session: &str) -> Option<Slot<R>> {
        self.slots.remove(session)
    }

    pub fn get(&self, session: &str) -> Option<&Slot<R>> {
        self.slots.get(session)
    }

    pub fn get_mut(&mut self, session: &str) -> Option<&mut Slot<R>> {
        self.slots.get_mut(session)
    }

    pub fn contains(&self, session: &str) -> bool {
        self.slots.contains_key(session)
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Slot<R>> {
        self.slots.values()
    }

    /// Removes everyone, answering their slots (to close them).
    pub fn drain(&mut self) -> impl Iterator<Item = Slot<R>> + '_ {
        self.dirty.clear();
        self.slots.drain().map(|(_, s)| s)
    }

    /// Queues a frame for one member.
    pub fn send(&mut self, session: &str, frame: ByteString) {
        if let Some(slot) = self.slots.get_mut(session) {
            if enqueue(slot, frame) {
                self.dirty.push(slot.member.session.clone());
            }
        }
    }

    /// Queues a frame for every member but `except`.
    pub fn broadcast(&mut self, frame: &ByteString, except: Option<&str>) {
        for (id, slot) in &mut self.slots {
            if Some(&**id) != except && enqueue(slot, frame.clone()) {
                self.dirty.push(id.clone());
            }
        }
    }

    /// Hands each member's queued frames to `deliver` (one call, one
    /// write, per member) if nothing is in flight to it, or whatever is in
    /// flight when `force`. A member holding more than `limit` bytes, in
    /// flight and queued, is slow: its frames are dropped and it is named
    /// in the answer, to be cut.
    pub fn deliver(
        &mut self,
        force: bool,
        limit: usize,
        mut deliver: impl FnMut(&R, Vec<ByteString>),
    ) -> Delivered {
        let mut done = Delivered::default();
        let mut waiting = Vec::new();
        for id in std::mem::take(&mut self.dirty) {
            let Some(slot) = self.slots.get_mut(&id) else {
                continue;
            };
            if slot.outbox.is_empty() {
                continue;
            }
            let in_flight = slot.queue.in_flight();
            if in_flight + slot.outbox_bytes > limit {
                done.dropped += slot.outbox.len();
                slot.outbox.clear();
                slot.outbox_bytes = 0;
                done.slow.push(id);
                continue;
            }
            if in_flight > 0 && !force {
                waiting.push(id);
                continue;
            }
            let bytes = std::mem::take(&mut slot.outbox_bytes);
            slot.queue.bytes.fetch_add(bytes, Ordering::Relaxed);
            deliver(&slot.reach, std::mem::take(&mut slot.outbox));
        }
        done.waiting = !waiting.is_empty();
        self.dirty = waiting;
        done
    }

    /// Frames queued for `session` and not yet handed over.
    #[cfg(test)]
    pub fn queued(&self, session: &str) -> usize {
        self.slots.get(session).map_or(0, |s| s.outbox.len())
    }
}

/// Queues a frame; true when it is the first since the last delivery (the
/// member becomes dirty).
fn enqueue<R>(slot: &mut Slot<R>, frame: ByteString) -> bool {
    slot.outbox_bytes += frame.len();
    slot.outbox.push(frame);
    slot.outbox.len() == 1
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::protocol::Role;

    /// A member reached by recording what it was handed.
    type Written = RefCell<Vec<(String, Vec<String>)>>;

    fn board(names: &[&str]) -> (Members<String>, HashMap<String, Arc<SendQueue>>) {
        let mut members = Members::default();
        let mut queues = HashMap::new();
        for name in names {
            let queue = Arc::new(SendQueue::default());
            let member = Member {
                session: (*name).into(),
                name: (*name).into(),
                role: Role::Editor,
                state: serde_json::Value::Null,
                in_call: false,
            };
            members.insert(member, None, String::new(), (*name).to_string(), queue.clone());
            queues.insert((*name).to_string(), queue);
        }
        (members, queues)
    }

    fn run(members: &mut Members<String>, force: bool, limit: usize, written: &Written) -> Delivered {
        members.deliver(force, limit, |who, frames| {
            let frames = frames.iter().map(|f| f.to_string()).collect();
            written.borrow_mut().push((who.clone(), frames));
        })
    }

    /// The session wrote what it was handed.
    fn landed(queues: &HashMap<String, Arc<SendQueue>>, who: &str) {
        queues[who].bytes.store(0, Ordering::Relaxed);
    }

    #[test]
    fn a_member_with_nothing_in_flight_gets_its_frames_at_once() {
        let (mut m, _) = board(&["a", "b", "c"]);
        let written = Written::default();
        m.broadcast(&"f1".into(), Some("a"));
        let done = run(&mut m, false, 1 << 20, &written);
        assert_eq!(done, Delivered::default());
        let mut got = written.take();
        got.sort();
        assert_eq!(
            got,
            vec![("b".into(), vec!["f1".into()]), ("c".into(), vec!["f1".into()])]
        );
    }

    #[test]
    fn frames_wait_while_a_delivery_is_in_flight_and_leave_together() {
        let (mut m, queues) = board(&["a"]);
        let written = Written::default();
        m.send("a", "f1".into());
        run(&mut m, false, 1 << 20, &written);
        m.send("a", "f2".into());
        m.send("a", "f3".into());
        let done = run(&mut m, false, 1 << 20, &written);
        assert!(done.waiting, "f1 is still in flight");
        assert_eq!(written.borrow().len(), 1);
        assert_eq!(m.queued("a"), 2);
        landed(&queues, "a");
        let done = run(&mut m, false, 1 << 20, &written);
        assert!(!done.waiting);
        assert_eq!(
            written.take()[1],
            ("a".into(), vec!["f2".into(), "f3".into()]),
            "in order, in one write"
        );
    }

    #[test]
    fn force_hands_over_whatever_is_in_flight() {
        let (mut m, _) = board(&["a"]);
        let written = Written::default();
        m.send("a", "f1".into());
        run(&mut m, false, 1 << 20, &written);
        m.send("a", "f2".into());
        assert!(!run(&mut m, true, 1 << 20, &written).waiting);
        assert_eq!(written.borrow().len(), 2);
    }

    #[test]
    fn a_member_past_the_bound_is_named_slow_and_its_frames_dropped() {
        let (mut m, _) = board(&["a", "b"]);
        let written = Written::default();
        m.broadcast(&"0123456789".into(), None);
        run(&mut m, false, 15, &written);
        m.broadcast(&"0123456789".into(), None);
        let done = run(&mut m, false, 15, &written);
        let mut slow: Vec<String> = done.slow.iter().map(|s| s.to_string()).collect();
        slow.sort();
        assert_eq!(
            slow,
            vec!["a".to_string(), "b".to_string()],
            "10 in flight + 10 queued > 15"
        );
        assert_eq!(m.queued("a"), 0);
    }
}
