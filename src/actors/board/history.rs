//! The frames of a board's most recent committed events: what a member
//! reconnecting with `since` is replayed, what the events endpoint answers
//! from memory in an outage, and the chat a welcome carries.

use std::collections::VecDeque;

use bytestring::ByteString;

pub(super) struct History {
    /// (seq, frame) of the latest committed events, oldest first.
    log: VecDeque<(i64, ByteString)>,
    log_max: usize,
    /// The frames of the latest chat events.
    chat: VecDeque<ByteString>,
    chat_max: usize,
}

impl History {
    pub fn new(log_max: usize, chat_max: usize) -> Self {
        History {
            log: VecDeque::new(),
            log_max,
            chat: VecDeque::new(),
            chat_max,
        }
    }

    /// The history as loaded: the latest events and, apart (the log may
    /// not reach back to them), the latest chat events, oldest first.
    pub fn load(
        &mut self,
        log: impl Iterator<Item = (i64, ByteString)>,
        chat: impl Iterator<Item = ByteString>,
    ) {
        self.log = log.collect();
        self.chat = chat.collect();
        while self.log.len() > self.log_max {
            self.log.pop_front();
        }
        while self.chat.len() > self.chat_max {
            self.chat.pop_front();
        }
    }

    /// Adds a committed event's frame (seqs in order).
    pub fn push(&mut self, seq: i64, frame: ByteString, is_chat: bool) {
        if is_chat {
            self.chat.push_back(frame.clone());
            if self.chat.len() > self.chat_max {
                self.chat.pop_front();
            }
        }
        self.log.push_back((seq, frame));
        if self.log.len() > self.log_max {
            self.log.pop_front();
        }
    }

    pub fn chat(&self) -> impl Iterator<Item = &ByteString> {
        self.chat.iter()
    }

    /// Whether a member that saw up to `since` can be brought to `seq` by
    /// replaying the log: `since` is not ahead, and the log reaches back to
    /// just after it.
    pub fn can_recover(&self, since: i64, seq: i64) -> bool {
        since <= seq
            && (seq - since) as usize <= self.log_max
            && self
                .log
                .front()
                .map_or(since == seq, |(first, _)| *first <= since + 1)
    }

    /// The frames of the events after `after`, at most `limit`; None when
    /// the log no longer reaches back to `after` (the caller reads the
    /// database instead).
    pub fn after(&self, after: i64, seq: i64, limit: usize) -> Option<Vec<ByteString>> {
        let oldest = self.log.front().map_or(seq + 1, |(s, _)| *s);
        if after < oldest.saturating_sub(1) && after < seq {
            return None;
        }
        Some(
            self.log
                .iter()
                .filter(|(s, _)| *s > after)
                .take(limit)
                .map(|(_, f)| f.clone())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(upto: i64) -> History {
        let mut h = History::new(3, 2);
        for seq in 1..=upto {
            h.push(seq, format!("e{seq}").into(), seq % 2 == 0);
        }
        h
    }

    #[test]
    fn keeps_the_latest_events_and_chat() {
        let h = history(5);
        assert_eq!(h.after(2, 5, 10).unwrap(), vec!["e3", "e4", "e5"]);
        assert_eq!(h.chat().collect::<Vec<_>>(), vec!["e2", "e4"]);
    }

    #[test]
    fn recovers_only_what_the_log_still_reaches() {
        let h = history(5);
        assert!(h.can_recover(2, 5), "e3..e5 are kept");
        assert!(h.can_recover(5, 5), "nothing missed");
        assert!(!h.can_recover(1, 5), "e2 is gone");
        assert!(!h.can_recover(6, 5), "ahead of the board");
        assert!(History::new(3, 2).can_recover(0, 0), "an empty board");
    }

    #[test]
    fn answers_none_when_the_log_does_not_reach_back() {
        let h = history(5);
        assert_eq!(h.after(1, 5, 10), None);
        assert_eq!(h.after(5, 5, 10), Some(vec![]));
        assert_eq!(h.after(2, 5, 1).unwrap(), vec!["e3"], "limit");
    }
}
