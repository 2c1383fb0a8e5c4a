//! A board's turn: everything it handles before its mailbox is empty.
//! Whatever queues a frame or accepts an op also schedules the turn's end
//! (`end_turn_soon`), so no handler has to remember to flush: at the end
//! the ops accepted meanwhile go to the commit slot together, and each
//! member's queued frames leave by the rule of `members` (at once when
//! nothing is in flight to it). So a busy turn's frames and ops leave
//! together, and a quiet board answers within its turn.

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix::prelude::*;
use bytestring::ByteString;

use super::{Board, Deliver};
use crate::protocol::{CloseCode, SessionId};

/// A turn that has queued this many frames and ops ends at once instead
/// of when the mailbox is empty, so a board whose mailbox never empties
/// still answers.
const TURN_MAX: usize = 256;
/// Frames waiting for a delivery in flight are looked at again this soon
/// if no turn ends before (a session's delivery lands within its thread's
/// next turn; this only bounds the wait on a board that has gone quiet).
const RECHECK: Duration = Duration::from_millis(1);

impl Board {
    /// Makes sure the current turn ends once the mailbox is empty.
    pub(super) fn end_turn_soon(&mut self, ctx: &mut Context<Self>) {
        self.turn_len += 1;
        if self.turn_len >= TURN_MAX {
            self.end_turn(ctx);
        } else if self.turn_len == 1 {
            // actix polls an actor's spawned futures after its mailbox
            ctx.spawn(fut::ready(()).map(|(), act: &mut Self, ctx| act.end_turn(ctx)));
        }
    }

    fn end_turn(&mut self, ctx: &mut Context<Self>) {
        if self.turn_len == 0 {
            return; // ended early, past TURN_MAX
        }
        self.turn_len = 0;
        self.submit();
        self.deliver(false, ctx);
    }

    /// Queues one frame for one member; it leaves at the end of the turn.
    pub(super) fn send_to(&mut self, session: &str, frame: ByteString, ctx: &mut Context<Self>) {
        self.members.send(session, frame);
        self.end_turn_soon(ctx);
    }

    /// Queues one frame for every member but `except`; it leaves at the
    /// end of the turn.
    pub(super) fn broadcast(&mut self, frame: &ByteString, except: Option<&str>, ctx: &mut Context<Self>) {
        self.members.broadcast(frame, except);
        self.end_turn_soon(ctx);
    }

    /// Hands the queued frames to the sessions (all of them when `force`),
    /// cuts the members that do not read fast enough, and looks again soon
    /// at those waiting for a delivery in flight.
    pub(super) fn deliver(&mut self, force: bool, ctx: &mut Context<Self>) {
        let limit = self.shared.config.send_queue_bytes;
        loop {
            let done = self.members.deliver(force, limit, |reach, frames| {
                reach.deliver.do_send(Deliver { frames });
            });
            if done.waiting && !self.recheck_scheduled {
                self.recheck_scheduled = true;
                ctx.run_later(RECHECK, |act, ctx| {
                    act.recheck_scheduled = false;
                    act.deliver(false, ctx);
                });
            }
            self.shared.metrics.frames_dropped.inc_by(done.dropped as u64);
            if done.slow.is_empty() {
                return;
            }
            // the others hear that the slow ones left
            self.cut(&done.slow, ctx);
        }
    }

    /// Closes slow consumers with 1008 and tells the others they left.
    fn cut(&mut self, sessions: &[SessionId], ctx: &mut Context<Self>) {
        for s in sessions {
            if let Some(slot) = self.members.get(s) {
                slot.queue.cut.store(true, Ordering::Relaxed);
                slot.reach.close(CloseCode::Policy, "send queue over its bound");
                log::info!("session {s} cut: it does not read fast enough");
                self.shared.metrics.slow_consumers_cut.inc();
            }
            self.remove_member(s, ctx);
        }
    }
}
