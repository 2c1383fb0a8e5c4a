//! How a board's frames reach its members: each member's outbox, filled
//! by the handlers and handed to its session as one message (one socket
//! write) at the end of the turn, on the cursor tick, or once the broadcast
//! pace allows; and the cut of members that do not read fast enough.
//!
//! A turn is everything the board handles before its mailbox is empty.
//! Whatever queues a frame or accepts an op also schedules the turn's end
//! (`end_turn_soon`), so no handler has to remember to flush, and the ops
//! and frames of a busy turn leave together.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use actix::prelude::*;
use bytestring::ByteString;

use super::{Board, Phase, Slot, OUTBOX_TICK, TURN_MAX};
use crate::actors::session::{CloseSession, Deliver};
use crate::protocol::SessionId;

/// Queues a frame for a member; true when it is the first since the last
/// flush (the member becomes dirty).
fn enqueue(slot: &mut Slot, frame: ByteString) -> bool {
    slot.outbox_bytes += frame.len();
    slot.outbox.push(frame);
    slot.outbox.len() == 1
}

impl Board {
    /// Makes sure the current turn ends once the mailbox is empty: the ops
    /// accepted meanwhile go to the commit slot together and the queued
    /// frames leave (`flush`). A turn that runs on past `TURN_MAX` calls
    /// ends at once, so a board whose mailbox never empties still answers.
    pub(super) fn end_turn_soon(&mut self, ctx: &mut Context<Self>) {
        let Phase::Ready(live) = &mut self.phase else {
            return;
        };
        live.turn_len += 1;
        if live.turn_len >= TURN_MAX {
            self.end_turn(ctx);
        } else if live.turn_len == 1 {
            // actix polls an actor's spawned futures after its mailbox
            ctx.spawn(fut::ready(()).map(|(), act: &mut Self, ctx| act.end_turn(ctx)));
        }
    }

    fn end_turn(&mut self, ctx: &mut Context<Self>) {
        let Phase::Ready(live) = &mut self.phase else {
            return;
        };
        if live.turn_len == 0 {
            return; // ended early, past TURN_MAX
        }
        live.turn_len = 0;
        self.submit();
        self.flush(ctx);
    }

    /// Queues one frame for one member; it leaves at the end of the turn.
    pub(super) fn send_to(&mut self, session: &str, frame: ByteString, ctx: &mut Context<Self>) {
        let Phase::Ready(live) = &mut self.phase else {
            return;
        };
        let Some(slot) = live.members.get_mut(session) else {
            return;
        };
        slot.urgent = true;
        if enqueue(slot, frame) {
            live.dirty.push(slot.member.session.clone());
        }
        self.end_turn_soon(ctx);
    }

    /// Queues one frame for every member; it leaves at the end of the
    /// turn, or a little later for a member written to less than the
    /// broadcast pace ago (see `flush`).
    pub(super) fn broadcast(&mut self, frame: &ByteString, ctx: &mut Context<Self>) {
        self.fan_out(frame, None);
        self.end_turn_soon(ctx);
    }

    /// Queues one frame for every member but `except`; it leaves with the
    /// next tick, at most `OUTBOX_TICK` later, together with whatever else
    /// each member gets meanwhile (one write instead of many).
    pub(super) fn broadcast_soon(
        &mut self,
        frame: &ByteString,
        except: Option<&str>,
        ctx: &mut Context<Self>,
    ) {
        self.fan_out(frame, except);
        self.schedule_flush(OUTBOX_TICK, ctx);
    }

    /// Queues one frame for every member but `except`.
    fn fan_out(&mut self, frame: &ByteString, except: Option<&str>) {
        let Phase::Ready(live) = &mut self.phase else {
            return;
        };
        for (id, slot) in &mut live.members {
            if Some(&**id) != except && enqueue(slot, frame.clone()) {
                live.dirty.push(id.clone());
            }
        }
    }

    /// Ends every turn that queued frames. Replies to a member's own
    /// messages go at once. Broadcast frames go at once to a member not
    /// written to for `broadcast_pace_ms`; the others' wait at most that
    /// long and leave together in one write. Under load this bounds the
    /// writes per member (each a syscall that also wakes the reader)
    /// without delaying anything on a quiet board.
    pub(super) fn flush(&mut self, ctx: &mut Context<Self>) {
        let pace = Duration::from_millis(self.shared.config.broadcast_pace_ms);
        self.deliver(Some(pace), ctx);
        self.schedule_flush(pace, ctx);
    }

    /// Makes sure that whatever waits in the outboxes leaves within `after`.
    fn schedule_flush(&mut self, after: Duration, ctx: &mut Context<Self>) {
        let Phase::Ready(live) = &mut self.phase else {
            return;
        };
        if !live.flush_scheduled && !live.dirty.is_empty() {
            live.flush_scheduled = true;
            ctx.run_later(after, |act, ctx| {
                if let Phase::Ready(live) = &mut act.phase {
                    live.flush_scheduled = false;
                }
                act.deliver(None, ctx);
            });
        }
    }

    /// Hands queued frames to the sessions, one message per member: every
    /// member's, or with a `pace` only those with a reply queued or not
    /// written to for `pace` (the others stay queued). A member whose
    /// session still holds more than `send_queue_bytes` from earlier
    /// deliveries does not read fast enough: it is cut instead, and the
    /// board never waits for it.
    pub(super) fn deliver(&mut self, pace: Option<Duration>, ctx: &mut Context<Self>) {
        let limit = self.shared.config.send_queue_bytes;
        loop {
            let Phase::Ready(live) = &mut self.phase else {
                return;
            };
            let now = Instant::now();
            let mut slow = Vec::new();
            let mut waiting = Vec::new();
            for id in std::mem::take(&mut live.dirty) {
                let Some(slot) = live.members.get_mut(&id) else {
                    continue;
                };
                if slot.outbox.is_empty() {
                    continue;
                }
                let due = match pace {
                    None => true,
                    Some(pace) => slot.urgent || now - slot.last_delivery >= pace,
                };
                if !due {
                    waiting.push(id);
                    continue;
                }
                let frames = std::mem::take(&mut slot.outbox);
                let bytes = std::mem::take(&mut slot.outbox_bytes);
                slot.urgent = false;
                slot.last_delivery = now;
                if slot.queue.bytes.load(Ordering::Relaxed) > limit {
                    self.shared.metrics.frames_dropped.inc_by(frames.len() as u64);
                    slow.push(id);
                    continue;
                }
                slot.queue.bytes.fetch_add(bytes, Ordering::Relaxed);
                slot.addr.do_send(Deliver { frames });
            }
            live.dirty = waiting;
            if slow.is_empty() {
                return;
            }
            // the others hear that the slow ones left
            self.cut(&slow, ctx);
        }
    }

    /// Closes slow consumers with 1008 and tells the others they left.
    fn cut(&mut self, sessions: &[SessionId], ctx: &mut Context<Self>) {
        for s in sessions {
            let Ok(live) = self.live() else { return };
            if let Some(slot) = live.members.get(s) {
                slot.queue.cut.store(true, Ordering::Relaxed);
                slot.addr.do_send(CloseSession {
                    code: 1008,
                    reason: "send queue over its bound".into(),
                });
                log::info!("session {s} cut: it does not read fast enough");
                self.shared.metrics.slow_consumers_cut.inc();
            }
            self.remove_member(s, ctx);
        }
    }
}
