//! The op_ids a board remembers, so that a client retrying an op (PROTOCOL
//! §3) gets the original seq instead of a second event.

use std::collections::{HashMap, VecDeque};

use uuid::Uuid;

pub(super) struct OpIds {
    seqs: HashMap<Uuid, i64>,
    /// Oldest first: the first to be forgotten.
    order: VecDeque<Uuid>,
    max: usize,
}

impl OpIds {
    /// A window of the latest `max` op_ids, from `known` (newest first,
    /// as the database answers them).
    pub fn new(max: usize, known: impl DoubleEndedIterator<Item = (Uuid, i64)>) -> Self {
        let mut ids = OpIds {
            seqs: HashMap::new(),
            order: VecDeque::new(),
            max,
        };
        for (op, seq) in known.rev() {
            ids.insert(op, seq);
        }
        ids
    }

    /// The seq an op_id was given, if it is remembered.
    pub fn get(&self, op: &Uuid) -> Option<i64> {
        self.seqs.get(op).copied()
    }

    pub fn insert(&mut self, op: Uuid, seq: i64) {
        self.seqs.insert(op, seq);
        self.order.push_back(op);
        if self.order.len() > self.max {
            if let Some(old) = self.order.pop_front() {
                self.seqs.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_latest_and_forgets_the_oldest() {
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
        // as loaded: newest first
        let mut w = OpIds::new(3, vec![(ids[1], 2), (ids[0], 1)].into_iter());
        assert_eq!(w.get(&ids[0]), Some(1));
        w.insert(ids[2], 3);
        w.insert(ids[3], 4);
        assert_eq!(w.get(&ids[0]), None, "the oldest went");
        assert_eq!(w.get(&ids[1]), Some(2));
        assert_eq!(w.get(&ids[3]), Some(4));
    }
}
