//! The Board actor: one per open board. It owns the board's state in
//! memory, validates each op with the pure logic (`crate::board`), assigns
//! the seq, hands the events to the persister in batches, and only once a
//! batch is committed replies to the authors and broadcasts the events.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use bytestring::ByteString;
use serde_json::Value;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::persister::{self, CommitSlot, Committed, Forget, LoadBoard, Persister, Ready, Register, Resume};
use super::registry::{Registry, Unregister};
use super::session::{CloseSession, Deliver, SendQueue, Session};
use crate::board::{BoardState, Change};
use crate::db::queries::{BoardBatch, EventRow, LoadedBoard, OpIdRow, StickerRow};
use crate::error::{Error, Result};
use crate::protocol::{
    Author, BoardInfo, CallInfo, Event, EventBody, HeartbeatInfo, Member, Op, Ref, Role, ServerMessage,
    SessionId, Sticker, Welcome,
};
use crate::state::Shared;

/// Chat events a welcome carries.
const WELCOME_CHAT: usize = 50;
/// op_ids remembered per board for idempotent retries.
const OP_ID_WINDOW: usize = 100_000;
/// The first retry of a failed commit waits this long, doubling up to
/// `RETRY_MAX`.
const RETRY_FIRST: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(2);
/// How often a board checks whether it may stop (when empty) and whether
/// frames were left queued without a flush.
const IDLE_CHECK: Duration = Duration::from_millis(500);
/// Cursor frames wait at most this long, so that a member gets all that
/// arrived meanwhile in one write: about 30 writes a second, the rate at
/// which a member's own cursors are coalesced. 10 ms cost 8.1 µs of server
/// CPU per delivery at 49,500 deliveries/s, 30 ms 5.9 µs (docs/PERFORMANCE.md).
const OUTBOX_TICK: Duration = Duration::from_millis(30);
/// A board that failed to load answers its waiters this long, then stops.
const GONE_LINGER: Duration = Duration::from_secs(1);

/// A member and the way to reach it.
struct Slot {
    member: Member,
    addr: Addr<Session>,
    queue: Arc<SendQueue>,
    /// Frames waiting for the next flush, and their size.
    outbox: Vec<ByteString>,
    outbox_bytes: usize,
    /// The outbox holds a reply to the member's own message: it goes at
    /// the next flush, whatever the broadcast pace says.
    urgent: bool,
    /// When frames were last handed to its session.
    last_delivery: Option<Instant>,
}

/// Queues a frame for a member; true when it is the first since the last
/// flush (the member becomes dirty).
fn enqueue(slot: &mut Slot, frame: ByteString) -> bool {
    slot.outbox_bytes += frame.len();
    slot.outbox.push(frame);
    slot.outbox.len() == 1
}

/// An event waiting for its commit.
struct Pending {
    event: Event,
    change: Change,
    op_id: Option<Uuid>,
    /// Who gets `reply ok` once it is committed (the author, and retries
    /// of the same op_id).
    replies: Vec<(SessionId, Ref)>,
    /// An admin action waiting for this event's commit.
    waiter: Option<oneshot::Sender<i64>>,
    /// When the board accepted it.
    accepted: Instant,
}

/// A loaded board.
struct Live {
    /// When each member joined (RFC 3339), for the admin pages.
    joined_at: HashMap<SessionId, String>,
    edit_token: String,
    view_token: String,
    /// Every op applied, committed or not: what new ops are checked against.
    ahead: BoardState,
    /// Only what is committed: what clients may see.
    committed: BoardState,
    members: HashMap<SessionId, Slot>,
    /// The frames of the most recent committed events, for `since`.
    log: VecDeque<(i64, ByteString)>,
    /// The frames of the most recent chat events, for the welcome.
    chat: VecDeque<ByteString>,
    op_ids: HashMap<Uuid, i64>,
    op_order: VecDeque<Uuid>,
    pending: VecDeque<Pending>,
    /// The last seq handed to the commit slot.
    submitted_upto: i64,
    retry_delay: Duration,
    retry_scheduled: bool,
    call: Vec<SessionId>,
    /// Members with frames in their outbox.
    dirty: Vec<SessionId>,
    flush_scheduled: bool,
    draining: bool,
    drained: Vec<oneshot::Sender<()>>,
}

enum Phase {
    Loading,
    Ready(Box<Live>),
    Gone(Error),
}

/// One open board.
pub struct Board {
    id: Arc<str>,
    shared: Arc<Shared>,
    persister: Addr<Persister>,
    /// Where accepted ops wait for the persister (registered once loaded).
    slot: CommitSlot,
    registry: Addr<Registry>,
    phase: Phase,
    last_activity: Instant,
}

impl Board {
    /// A board actor that loads board `id` when it starts.
    pub fn new(
        id: Arc<str>,
        shared: Arc<Shared>,
        persister: Addr<Persister>,
        registry: Addr<Registry>,
    ) -> Self {
        Board {
            id,
            shared,
            persister,
            slot: CommitSlot::default(),
            registry,
            phase: Phase::Loading,
            last_activity: Instant::now(),
        }
    }

    fn live(&mut self) -> Result<&mut Live> {
        match &mut self.phase {
            Phase::Ready(live) => Ok(live),
            Phase::Gone(e) => Err(e.clone()),
            Phase::Loading => Err(Error::internal("board used before it loaded")),
        }
    }

    fn loaded(&mut self, loaded: Result<Option<LoadedBoard>>, ctx: &mut Context<Self>) {
        match loaded {
            Ok(Some(b)) => {
                let mut state = BoardState {
                    title: b.row.title.clone(),
                    seq: b.seq,
                    stickers: HashMap::with_capacity(b.stickers.len()),
                };
                for s in b.stickers {
                    state.stickers.insert(s.id, s);
                }
                let log: VecDeque<_> = b
                    .recent
                    .iter()
                    .map(|e| (e.seq, ServerMessage::Event(e).to_frame()))
                    .collect();
                let chat = b
                    .chat
                    .iter()
                    .map(|e| ServerMessage::Event(e).to_frame())
                    .collect();
                let mut op_ids = HashMap::with_capacity(b.op_ids.len());
                let mut op_order = VecDeque::with_capacity(b.op_ids.len());
                for (op, seq) in b.op_ids.into_iter().rev() {
                    if let Ok(op) = op.parse::<Uuid>() {
                        op_ids.insert(op, seq);
                        op_order.push_back(op);
                    }
                }
                log::info!("board {} loaded at seq {}", self.id, state.seq);
                let seq = state.seq;
                self.phase = Phase::Ready(Box::new(Live {
                    joined_at: HashMap::new(),
                    edit_token: b.row.edit_token,
                    view_token: b.row.view_token,
                    ahead: state.clone(),
                    committed: state,
                    members: HashMap::new(),
                    log,
                    chat,
                    op_ids,
                    op_order,
                    pending: VecDeque::new(),
                    submitted_upto: seq,
                    retry_delay: RETRY_FIRST,
                    retry_scheduled: false,
                    call: Vec::new(),
                    dirty: Vec::new(),
                    flush_scheduled: false,
                    draining: false,
                    drained: Vec::new(),
                }));
                self.persister.do_send(Register {
                    board: self.id.clone(),
                    slot: self.slot.clone(),
                    answer_to: ctx.address().recipient(),
                });
                ctx.run_interval(IDLE_CHECK, |act, ctx| {
                    act.flush_stragglers(ctx);
                    act.stop_if_idle(ctx);
                });
            }
            Ok(None) => self.gone(Error::NotFound("no such board".into()), ctx),
            Err(e) => self.gone(e, ctx),
        }
    }

    /// Answers everything with `err` for a moment, then stops.
    fn gone(&mut self, err: Error, ctx: &mut Context<Self>) {
        self.phase = Phase::Gone(err);
        ctx.run_later(GONE_LINGER, |act, ctx| act.stop(ctx));
    }

    fn stop(&mut self, ctx: &mut Context<Self>) {
        self.registry.do_send(Unregister {
            id: self.id.clone(),
            addr: ctx.address(),
        });
        ctx.stop();
    }

    /// Between handlers, queued frames always have a flush scheduled: every
    /// handler that queues frames ends with `flush`. One that does not is a
    /// bug; it is logged here and its frames still leave.
    fn flush_stragglers(&mut self, ctx: &mut Context<Self>) {
        let Phase::Ready(live) = &self.phase else { return };
        if !live.dirty.is_empty() && !live.flush_scheduled {
            log::error!("board {}: frames were queued without a flush", self.id);
            self.flush(ctx);
        }
    }

    fn stop_if_idle(&mut self, ctx: &mut Context<Self>) {
        let idle = Duration::from_millis(self.shared.config.board_idle_ms);
        let Phase::Ready(live) = &self.phase else { return };
        if live.members.is_empty() && live.pending.is_empty() && self.last_activity.elapsed() >= idle {
            log::info!("board {} closed (idle)", self.id);
            self.stop(ctx);
        }
    }

    fn role_of(live: &Live, token: &str) -> Result<Role> {
        crate::tokens::role_for(&live.edit_token, &live.view_token, token)
            .ok_or_else(|| Error::Forbidden("this token does not open this board".into()))
    }

    /// Queues one frame for one member; it leaves with the flush at the end
    /// of the current handler.
    fn send_to(&mut self, session: &str, frame: ByteString) {
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
    }

    /// Queues one frame for every member but `except`; it leaves with the
    /// flush at the end of the current handler, or a little later for a
    /// member written to less than the broadcast pace ago (see `flush`).
    fn broadcast(&mut self, frame: &ByteString, except: Option<&str>) {
        self.fan_out(frame, except);
    }

    /// Queues one frame for every member but `except`; it leaves with the
    /// next tick, at most `OUTBOX_TICK` later, together with whatever else
    /// each member gets meanwhile (one write instead of many).
    fn broadcast_soon(&mut self, frame: &ByteString, except: Option<&str>, ctx: &mut Context<Self>) {
        self.fan_out(frame, except);
        self.schedule_flush(OUTBOX_TICK, ctx);
    }

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

    /// Ends every handler that queued frames. Replies to a member's own
    /// messages go at once. Broadcast frames go at once to a member not
    /// written to for `broadcast_pace_ms`; the others' wait at most that
    /// long and leave together in one write. Under load this bounds the
    /// writes per member (each a syscall that also wakes the reader)
    /// without delaying anything on a quiet board.
    fn flush(&mut self, ctx: &mut Context<Self>) {
        let pace = Duration::from_millis(self.shared.config.broadcast_pace_ms);
        self.deliver(Some(pace));
        self.schedule_flush(pace, ctx);
    }

    /// Makes sure that whatever waits in the outboxes leaves within `after`.
    fn schedule_flush(&mut self, after: Duration, ctx: &mut Context<Self>) {
        let Phase::Ready(live) = &mut self.phase else {
            return;
        };
        if !live.flush_scheduled && !live.dirty.is_empty() {
            live.flush_scheduled = true;
            ctx.run_later(after, |act, _| {
                if let Phase::Ready(live) = &mut act.phase {
                    live.flush_scheduled = false;
                }
                act.deliver(None);
            });
        }
    }

    /// Hands queued frames to the sessions, one message per member: every
    /// member's, or with a `pace` only those with a reply queued or not
    /// written to for `pace` (the others stay queued). A member whose
    /// session still holds more than `send_queue_bytes` from earlier
    /// deliveries does not read fast enough: it is cut instead, and the
    /// board never waits for it.
    fn deliver(&mut self, pace: Option<Duration>) {
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
                    Some(pace) => slot.urgent || slot.last_delivery.is_none_or(|t| now - t >= pace),
                };
                if !due {
                    waiting.push(id);
                    continue;
                }
                let frames = std::mem::take(&mut slot.outbox);
                let bytes = std::mem::take(&mut slot.outbox_bytes);
                slot.urgent = false;
                slot.last_delivery = Some(now);
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
            self.cut(&slow);
        }
    }

    /// Closes slow consumers with 1008 and tells the others they left.
    fn cut(&mut self, sessions: &[SessionId]) {
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
            self.remove_member(s);
        }
    }

    /// Removes a member: leaves the call, tells the others.
    fn remove_member(&mut self, session: &str) {
        let Ok(live) = self.live() else { return };
        if live.members.remove(session).is_none() {
            return;
        }
        live.joined_at.remove(session);
        let was_in_call = if let Some(i) = live.call.iter().position(|s| &**s == session) {
            live.call.remove(i);
            true
        } else {
            false
        };
        self.last_activity = Instant::now();
        if was_in_call {
            self.broadcast(&ServerMessage::CallLeft { session }.to_frame(), None);
        }
        self.broadcast(&ServerMessage::PresenceLeft { session }.to_frame(), None);
    }

    fn reply_err(&mut self, session: &str, reference: Option<&Ref>, err: &Error) {
        self.send_to(session, ServerMessage::failed(reference, err).to_frame());
    }

    fn reply_ok(&mut self, session: &str, reference: Option<&Ref>) {
        if reference.is_some() {
            self.send_to(session, ServerMessage::ok(reference, None).to_frame());
        }
    }

    fn apply_op(&mut self, m: &DurableOp) -> Result<()> {
        let limits = self.shared.limits;
        let hold_max = self.shared.config.hold_max_ops;
        let live = self.live()?;
        if live.draining {
            return Err(Error::Unavailable("the server is shutting down".into()));
        }
        let Some(slot) = live.members.get(&m.session) else {
            return Ok(()); // cut or gone: nobody to answer
        };
        if !m.op.allowed_for(slot.member.role) {
            return Err(Error::Forbidden("viewers may only chat".into()));
        }
        let author = Author {
            session: m.session.to_string(),
            name: slot.member.name.clone(),
        };
        if let Some(op_id) = m.op_id {
            if let Some(&seq) = live.op_ids.get(&op_id) {
                // A retry: answer with the original seq, once it is committed.
                if seq <= live.committed.seq {
                    let frame = ServerMessage::ok(m.reference.as_ref(), Some(seq)).to_frame();
                    self.send_to(&m.session, frame);
                } else if let Some(r) = &m.reference {
                    if let Some(p) = live.pending.iter_mut().find(|p| p.event.seq == seq) {
                        p.replies.push((m.session.clone(), r.clone()));
                    }
                }
                return Ok(());
            }
        }
        if live.pending.len() >= hold_max {
            return Err(Error::Unavailable(
                "the database is unavailable and this board holds as many ops as it may".into(),
            ));
        }
        let at = now_rfc3339();
        let applied = live.ahead.apply(&m.op, &at, &limits)?;
        if let Some(op_id) = m.op_id {
            live.op_ids.insert(op_id, applied.seq);
            live.op_order.push_back(op_id);
            if live.op_order.len() > OP_ID_WINDOW {
                if let Some(old) = live.op_order.pop_front() {
                    live.op_ids.remove(&old);
                }
            }
        }
        live.pending.push_back(Pending {
            event: Event {
                seq: applied.seq,
                at,
                by: author,
                event: applied.body,
            },
            change: applied.change,
            accepted: Instant::now(),
            op_id: m.op_id,
            replies: m
                .reference
                .iter()
                .map(|r| (m.session.clone(), r.clone()))
                .collect(),
            waiter: None,
        });
        self.last_activity = Instant::now();
        Ok(())
    }

    /// Leaves the rows of the ops accepted since the last call in the
    /// commit slot (unless a retry will refill it), and tells the persister
    /// when the slot was empty.
    fn submit(&mut self) {
        let id = self.id.clone();
        let Ok(live) = self.live() else { return };
        if live.retry_scheduled {
            return;
        }
        let Ok(Some(batch)) = batch_after(&id, &live.pending, live.submitted_upto) else {
            return;
        };
        live.submitted_upto = batch.last_seq;
        let was_empty = {
            let mut slot = persister::lock(&self.slot);
            slot.push(batch);
            slot.len() == 1
        };
        if was_empty {
            self.persister.do_send(Ready { board: id });
        }
    }

    /// A failed commit is tried again after a backoff: the slot is refilled
    /// with everything not yet committed, and the persister resumes.
    fn retry(&mut self, ctx: &mut Context<Self>) {
        let id = self.id.clone();
        let Ok(live) = self.live() else { return };
        let Ok(batch) = batch_after(&id, &live.pending, live.committed.seq) else {
            // stay halted; try again later
            ctx.run_later(live.retry_delay, |act, ctx| act.retry(ctx));
            return;
        };
        live.retry_scheduled = false;
        if let Some(b) = &batch {
            live.submitted_upto = b.last_seq;
        }
        *persister::lock(&self.slot) = batch.into_iter().collect();
        self.persister.do_send(Resume { board: id });
    }

    fn after_commit(&mut self, ctx: &mut Context<Self>) {
        self.flush(ctx);
        if let Ok(live) = self.live() {
            if live.pending.is_empty() {
                for w in live.drained.drain(..) {
                    let _ = w.send(());
                }
            }
        }
    }

    /// A committed event: into the committed state and the log, replies to
    /// its author (before the event), then to every member.
    fn publish(&mut self, p: Pending) {
        let recovery_max = self.shared.config.recovery_max_events;
        let frame = ServerMessage::Event(&p.event).to_frame();
        self.shared
            .metrics
            .op_commit_seconds
            .observe(p.accepted.elapsed().as_secs_f64());
        let Ok(live) = self.live() else { return };
        live.committed.commit(p.event.seq, &p.change);
        live.log.push_back((p.event.seq, frame.clone()));
        while live.log.len() > recovery_max {
            live.log.pop_front();
        }
        if matches!(p.event.event, EventBody::Chat { .. }) {
            live.chat.push_back(frame.clone());
            while live.chat.len() > WELCOME_CHAT {
                live.chat.pop_front();
            }
        }
        for (session, reference) in &p.replies {
            let ok = ServerMessage::ok(Some(reference), Some(p.event.seq)).to_frame();
            self.send_to(session, ok);
        }
        if let Some(waiter) = p.waiter {
            let _ = waiter.send(p.event.seq);
        }
        self.broadcast(&frame, None);
    }

    fn welcome(&self, live: &Live, j: &Join, me: &Member) -> (ByteString, Vec<ByteString>) {
        let config = &self.shared.config;
        let seq = live.committed.seq;
        let recovered = j.since.is_some_and(|since| {
            since <= seq
                && (seq - since) as usize <= config.recovery_max_events
                && live
                    .log
                    .front()
                    .map_or(since == seq, |(first, _)| *first <= since + 1)
        });
        let mut members: Vec<&Member> = live.members.values().map(|s| &s.member).collect();
        members.push(me);
        let stickers: Option<Vec<&Sticker>> =
            (!recovered).then(|| live.committed.stickers.values().collect());
        let chat = (!recovered).then(|| {
            live.chat
                .iter()
                .filter_map(|f| serde_json::from_str::<&serde_json::value::RawValue>(f).ok())
                .collect()
        });
        let welcome = ServerMessage::Welcome(Welcome {
            session: &j.session,
            role: j.role,
            name: &j.name,
            board: BoardInfo {
                id: &self.id,
                title: &live.committed.title,
            },
            seq,
            recovered,
            stickers,
            chat,
            members,
            heartbeat: HeartbeatInfo {
                interval_ms: config.heartbeat_interval_ms,
                timeout_ms: config.heartbeat_timeout_ms,
            },
            call: CallInfo {
                participants: live.call.iter().map(|s| &**s).collect(),
                max: config.call_max,
                ice_servers: &config.ice_servers,
            },
        })
        .to_frame();
        let replay = match (recovered, j.since) {
            (true, Some(since)) => live
                .log
                .iter()
                .filter(|(s, _)| *s > since)
                .map(|(_, f)| f.clone())
                .collect(),
            _ => Vec::new(),
        };
        (welcome, replay)
    }
}

impl Actor for Board {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.shared.metrics.boards.inc();
        let config = &self.shared.config;
        let load = self.persister.send(LoadBoard {
            id: self.id.to_string(),
            recent_events: config.recovery_max_events as i64,
            recent_chat: WELCOME_CHAT as i64,
            recent_op_ids: OP_ID_WINDOW as i64,
        });
        // `wait`: no message is handled before the board is loaded.
        ctx.wait(load.into_actor(self).map(|res, act, ctx| {
            let res = res.unwrap_or_else(|e| Err(Error::internal(format!("persister gone: {e}"))));
            act.loaded(res, ctx);
        }));
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.persister.do_send(Forget {
            board: self.id.clone(),
            slot: self.slot.clone(),
        });
        self.shared.metrics.boards.dec();
    }
}

/// Checks a token and the member limit before an upgrade; answers the role.
#[derive(Message)]
#[rtype(result = "Result<Role>")]
pub struct Admit {
    pub token: String,
}

impl Handler<Admit> for Board {
    type Result = Result<Role>;

    fn handle(&mut self, m: Admit, _: &mut Context<Self>) -> Result<Role> {
        let max_members = self.shared.config.max_members;
        self.last_activity = Instant::now();
        let live = self.live()?;
        let role = Self::role_of(live, &m.token)?;
        if live.draining {
            return Err(Error::Unavailable("the server is shutting down".into()));
        }
        if live.members.len() >= max_members {
            return Err(Error::LimitExceeded(format!(
                "a board admits at most {max_members} members"
            )));
        }
        Ok(role)
    }
}

/// The committed state, for `GET /api/boards/{id}`.
#[derive(Debug, serde::Serialize)]
pub struct Snapshot {
    pub id: String,
    pub title: String,
    pub seq: i64,
    pub stickers: Vec<Sticker>,
}

/// Reads the committed state, if the token opens this board.
#[derive(Message)]
#[rtype(result = "Result<Snapshot>")]
pub struct GetSnapshot {
    pub token: String,
}

impl Handler<GetSnapshot> for Board {
    type Result = Result<Snapshot>;

    fn handle(&mut self, m: GetSnapshot, _: &mut Context<Self>) -> Result<Snapshot> {
        let id = self.id.to_string();
        let live = self.live()?;
        Self::role_of(live, &m.token)?;
        Ok(Snapshot {
            id,
            title: live.committed.title.clone(),
            seq: live.committed.seq,
            stickers: live.committed.stickers.values().cloned().collect(),
        })
    }
}

/// A session joins: it gets the welcome (and the events it missed), the
/// others get `presence.joined`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Join {
    pub session: SessionId,
    pub name: String,
    pub role: Role,
    pub since: Option<i64>,
    pub addr: Addr<Session>,
    pub queue: Arc<SendQueue>,
}

impl Handler<Join> for Board {
    type Result = ();

    fn handle(&mut self, j: Join, ctx: &mut Context<Self>) {
        self.last_activity = Instant::now();
        let Phase::Ready(live) = &self.phase else {
            j.addr.do_send(CloseSession {
                code: 1011,
                reason: "board unavailable".into(),
            });
            return;
        };
        if live.draining {
            j.addr.do_send(CloseSession {
                code: 1001,
                reason: "server shutting down".into(),
            });
            return;
        }
        let member = Member {
            session: j.session.clone(),
            name: j.name.clone(),
            role: j.role,
            state: Value::Object(Default::default()),
            in_call: false,
        };
        let (welcome, replay) = self.welcome(live, &j, &member);
        let joined = ServerMessage::PresenceJoined { member: &member }.to_frame();
        self.broadcast(&joined, None);
        let slot = Slot {
            member,
            addr: j.addr,
            queue: j.queue,
            outbox: Vec::new(),
            outbox_bytes: 0,
            urgent: false,
            last_delivery: None,
        };
        let Ok(live) = self.live() else { return };
        live.joined_at.insert(j.session.clone(), now_rfc3339());
        live.members.insert(j.session.clone(), slot);
        for frame in std::iter::once(welcome).chain(replay) {
            self.send_to(&j.session, frame);
        }
        self.flush(ctx);
    }
}

/// A session left (closed, dropped by the heartbeat, or stopped).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Leave {
    pub session: SessionId,
}

impl Handler<Leave> for Board {
    type Result = ();

    fn handle(&mut self, m: Leave, ctx: &mut Context<Self>) {
        self.remove_member(&m.session);
        self.flush(ctx);
    }
}

/// A durable op from a session.
#[derive(Message)]
#[rtype(result = "()")]
pub struct DurableOp {
    pub session: SessionId,
    pub reference: Option<Ref>,
    pub op: Op,
    pub op_id: Option<Uuid>,
}

impl Handler<DurableOp> for Board {
    type Result = ();

    fn handle(&mut self, m: DurableOp, ctx: &mut Context<Self>) {
        match self.apply_op(&m) {
            Ok(()) => self.submit(),
            Err(e) => self.reply_err(&m.session, m.reference.as_ref(), &e),
        }
        self.flush(ctx);
    }
}

/// A member's cursor moved (already coalesced by its session).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Cursor {
    pub session: SessionId,
    pub x: f64,
    pub y: f64,
}

impl Handler<Cursor> for Board {
    type Result = ();

    fn handle(&mut self, m: Cursor, ctx: &mut Context<Self>) {
        let frame = ServerMessage::Cursor {
            session: &m.session,
            x: m.x,
            y: m.y,
        }
        .to_frame();
        self.broadcast_soon(&frame, Some(&m.session), ctx);
    }
}

/// A member set its presence state (already validated).
#[derive(Message)]
#[rtype(result = "()")]
pub struct PresenceSet {
    pub session: SessionId,
    pub reference: Option<Ref>,
    pub state: Value,
}

impl Handler<PresenceSet> for Board {
    type Result = ();

    fn handle(&mut self, m: PresenceSet, ctx: &mut Context<Self>) {
        let Ok(live) = self.live() else { return };
        let Some(slot) = live.members.get_mut(&m.session) else {
            return;
        };
        slot.member.state = m.state;
        let frame = ServerMessage::PresenceUpdated { member: &slot.member }.to_frame();
        self.reply_ok(&m.session, m.reference.as_ref());
        self.broadcast(&frame, None);
        self.flush(ctx);
    }
}

/// A WebRTC signal from one call participant to another.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Signal {
    pub session: SessionId,
    pub reference: Option<Ref>,
    pub to: String,
    pub payload: Value,
}

impl Handler<Signal> for Board {
    type Result = ();

    fn handle(&mut self, m: Signal, ctx: &mut Context<Self>) {
        let check = |live: &Live| -> Result<()> {
            let in_call = |s: &str| live.call.iter().any(|c| &**c == s);
            if !in_call(&m.session) {
                return Err(Error::Forbidden("only call participants may signal".into()));
            }
            if !live.members.contains_key(m.to.as_str()) {
                return Err(Error::NotFound(format!("no session {}", m.to)));
            }
            if !in_call(&m.to) {
                return Err(Error::Forbidden(format!("{} is not in the call", m.to)));
            }
            Ok(())
        };
        let result = self.live().and_then(|live| check(live));
        match result {
            Ok(()) => {
                let frame = ServerMessage::Signal {
                    from: &m.session,
                    payload: &m.payload,
                }
                .to_frame();
                self.send_to(&m.to, frame);
                self.reply_ok(&m.session, m.reference.as_ref());
            }
            Err(e) => self.reply_err(&m.session, m.reference.as_ref(), &e),
        }
        self.flush(ctx);
    }
}

/// A member joins the board's call.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CallJoin {
    pub session: SessionId,
    pub reference: Option<Ref>,
}

impl Handler<CallJoin> for Board {
    type Result = ();

    fn handle(&mut self, m: CallJoin, ctx: &mut Context<Self>) {
        let max = self.shared.config.call_max;
        let Ok(live) = self.live() else { return };
        if !live.members.contains_key(&m.session) {
            return;
        }
        let already = live.call.contains(&m.session);
        if !already && live.call.len() >= max {
            let e = Error::LimitExceeded(format!("the call is full ({max} participants)"));
            self.reply_err(&m.session, m.reference.as_ref(), &e);
            return self.flush(ctx);
        }
        let peers: Vec<SessionId> = live.call.iter().filter(|s| **s != m.session).cloned().collect();
        let reply = ServerMessage::Reply {
            reference: m.reference.as_ref(),
            ok: true,
            seq: None,
            peers: Some(peers.iter().map(|s| &**s).collect()),
            error: None,
        }
        .to_frame();
        if !already {
            live.call.push(m.session.clone());
            if let Some(slot) = live.members.get_mut(&m.session) {
                slot.member.in_call = true;
            }
        }
        self.send_to(&m.session, reply);
        if !already {
            self.broadcast(
                &ServerMessage::CallJoined { session: &m.session }.to_frame(),
                None,
            );
        }
        self.flush(ctx);
    }
}

/// A participant leaves the board's call.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CallLeave {
    pub session: SessionId,
    pub reference: Option<Ref>,
}

impl Handler<CallLeave> for Board {
    type Result = ();

    fn handle(&mut self, m: CallLeave, ctx: &mut Context<Self>) {
        let Ok(live) = self.live() else { return };
        let Some(i) = live.call.iter().position(|s| *s == m.session) else {
            let e = Error::Forbidden("not in the call".into());
            self.reply_err(&m.session, m.reference.as_ref(), &e);
            return self.flush(ctx);
        };
        live.call.remove(i);
        if let Some(slot) = live.members.get_mut(&m.session) {
            slot.member.in_call = false;
        }
        self.reply_ok(&m.session, m.reference.as_ref());
        self.broadcast(&ServerMessage::CallLeft { session: &m.session }.to_frame(), None);
        self.flush(ctx);
    }
}

impl Handler<Committed> for Board {
    type Result = ();

    /// A batch came back from the database.
    fn handle(&mut self, m: Committed, ctx: &mut Context<Self>) {
        let id = self.id.clone();
        let Ok(live) = self.live() else { return };
        match m.result {
            Ok(upto) => {
                live.retry_delay = RETRY_FIRST;
                let mut done = Vec::new();
                while live.pending.front().is_some_and(|p| p.event.seq <= upto) {
                    if let Some(p) = live.pending.pop_front() {
                        done.push(p);
                    }
                }
                for p in done {
                    self.publish(p);
                }
            }
            Err(e) => {
                let delay = live.retry_delay;
                live.retry_delay = (delay * 2).min(RETRY_MAX);
                live.retry_scheduled = true;
                log::warn!(
                    "board {id}: commit of {} event(s) failed ({e}); retrying in {delay:?}",
                    live.pending.len()
                );
                ctx.run_later(delay, |act, ctx| act.retry(ctx));
            }
        }
        self.after_commit(ctx);
    }
}

/// Shutdown: refuse new ops, commit what was admitted, close every socket
/// with 1001, then stop.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Drain;

impl Handler<Drain> for Board {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Drain, _: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        match self.live() {
            Ok(live) => {
                live.draining = true;
                if live.pending.is_empty() {
                    let _ = tx.send(());
                } else {
                    live.drained.push(tx);
                }
            }
            Err(_) => {
                let _ = tx.send(());
            }
        }
        Box::pin(async move { rx.await.ok() }.into_actor(self).map(|_, act, ctx| {
            act.deliver(None);
            if let Ok(live) = act.live() {
                for slot in live.members.values() {
                    slot.addr.do_send(CloseSession {
                        code: 1001,
                        reason: "server shutting down".into(),
                    });
                }
                live.members.clear();
            }
            act.stop(ctx);
        }))
    }
}

// ------------------------------------------------------------------ admin

/// A live session, as the admin pages show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionInfo {
    pub session: String,
    pub name: String,
    pub role: Role,
    pub connected_at: String,
    pub last_heard: String,
    pub queued_bytes: usize,
    pub in_call: bool,
}

/// The board's live sessions, oldest first.
#[derive(Message)]
#[rtype(result = "Vec<SessionInfo>")]
pub struct ListSessions;

impl Handler<ListSessions> for Board {
    type Result = MessageResult<ListSessions>;

    fn handle(&mut self, _: ListSessions, _: &mut Context<Self>) -> Self::Result {
        let Phase::Ready(live) = &self.phase else {
            return MessageResult(Vec::new());
        };
        let mut out: Vec<SessionInfo> = live
            .members
            .values()
            .map(|slot| {
                let m = &slot.member;
                let heard_ms = slot.queue.last_heard_ms.load(Ordering::Relaxed);
                let heard = std::time::UNIX_EPOCH + Duration::from_millis(heard_ms);
                SessionInfo {
                    session: m.session.to_string(),
                    name: m.name.clone(),
                    role: m.role,
                    connected_at: live.joined_at.get(&m.session).cloned().unwrap_or_default(),
                    last_heard: humantime::format_rfc3339_millis(heard).to_string(),
                    queued_bytes: slot.queue.bytes.load(Ordering::Relaxed),
                    in_call: m.in_call,
                }
            })
            .collect();
        out.sort_by(|a, b| a.connected_at.cmp(&b.connected_at));
        MessageResult(out)
    }
}

/// An admin removes a session: closed with 4001, the others see it leave.
#[derive(Message)]
#[rtype(result = "bool")]
pub struct Kick {
    pub session: String,
}

impl Handler<Kick> for Board {
    type Result = bool;

    fn handle(&mut self, m: Kick, ctx: &mut Context<Self>) -> bool {
        let Ok(live) = self.live() else { return false };
        let Some(slot) = live.members.get(m.session.as_str()) else {
            return false;
        };
        slot.addr.do_send(CloseSession {
            code: 4001,
            reason: "removed by an admin".into(),
        });
        log::info!("board {}: session {} kicked", self.id, m.session);
        self.remove_member(&m.session);
        self.flush(ctx);
        true
    }
}

/// A token was rotated: the sessions opened with the old one are closed
/// with 4003.
#[derive(Message)]
#[rtype(result = "()")]
pub struct TokenRotated {
    pub role: Role,
    pub token: String,
}

impl Handler<TokenRotated> for Board {
    type Result = ();

    fn handle(&mut self, m: TokenRotated, ctx: &mut Context<Self>) {
        let Ok(live) = self.live() else { return };
        match m.role {
            Role::Editor => live.edit_token = m.token,
            Role::Viewer => live.view_token = m.token,
        }
        let revoked: Vec<SessionId> = live
            .members
            .values()
            .filter(|s| s.member.role == m.role)
            .map(|s| {
                s.addr.do_send(CloseSession {
                    code: 4003,
                    reason: "the token was rotated".into(),
                });
                s.member.session.clone()
            })
            .collect();
        for s in revoked {
            self.remove_member(&s);
        }
        self.flush(ctx);
    }
}

/// The board is deleted: members are closed with 4004 and the actor stops.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Deleted;

impl Handler<Deleted> for Board {
    type Result = ();

    fn handle(&mut self, _: Deleted, ctx: &mut Context<Self>) {
        if let Phase::Ready(live) = &self.phase {
            for slot in live.members.values() {
                slot.queue.cut.store(true, Ordering::Relaxed);
                slot.addr.do_send(CloseSession {
                    code: 4004,
                    reason: "the board was deleted".into(),
                });
            }
        }
        self.phase = Phase::Gone(Error::NotFound("no such board".into()));
        self.stop(ctx);
    }
}

/// Ops from an admin (rename, restore), applied as new events that every
/// member sees; answers the last seq once it is committed.
#[derive(Message)]
#[rtype(result = "Result<i64>")]
pub struct AdminOps {
    pub ops: Vec<Op>,
    pub by: Author,
}

/// Makes the board equal `target` (a past state) with new forward events.
#[derive(Message)]
#[rtype(result = "Result<i64>")]
pub struct Restore {
    pub target: BoardState,
    pub by: Author,
}

impl Board {
    fn admin_ops(&mut self, ops: Vec<Op>, by: Author) -> ResponseActFuture<Self, Result<i64>> {
        let limits = self.shared.limits;
        let result = self.live().and_then(|live| {
            if ops.is_empty() {
                return Ok(Err(live.committed.seq));
            }
            let (tx, rx) = oneshot::channel();
            let mut tx = Some(tx);
            let n = ops.len();
            for (i, op) in ops.iter().enumerate() {
                let at = now_rfc3339();
                let applied = live.ahead.apply(op, &at, &limits)?;
                live.pending.push_back(Pending {
                    event: Event {
                        seq: applied.seq,
                        at,
                        by: by.clone(),
                        event: applied.body,
                    },
                    change: applied.change,
                    accepted: Instant::now(),
                    op_id: None,
                    replies: Vec::new(),
                    waiter: if i + 1 == n { tx.take() } else { None },
                });
            }
            Ok(Ok(rx))
        });
        self.submit();
        Box::pin(
            async move {
                match result? {
                    Err(seq) => Ok(seq),
                    Ok(rx) => rx
                        .await
                        .map_err(|_| Error::Unavailable("the board stopped".into())),
                }
            }
            .into_actor(self),
        )
    }
}

impl Handler<AdminOps> for Board {
    type Result = ResponseActFuture<Self, Result<i64>>;

    fn handle(&mut self, m: AdminOps, _: &mut Context<Self>) -> Self::Result {
        self.admin_ops(m.ops, m.by)
    }
}

impl Handler<Restore> for Board {
    type Result = ResponseActFuture<Self, Result<i64>>;

    fn handle(&mut self, m: Restore, _: &mut Context<Self>) -> Self::Result {
        let ops = match self.live() {
            Ok(live) => crate::board::ops_to_reach(&live.ahead, &m.target),
            Err(e) => return Box::pin(actix::fut::ready(Err(e))),
        };
        self.admin_ops(ops, m.by)
    }
}

/// The batch of the pending events after seq `after`, if any. An event
/// that cannot be turned into a row is logged and answered `Err`.
fn batch_after(board_id: &str, pending: &VecDeque<Pending>, after: i64) -> Result<Option<BoardBatch>> {
    let fresh = pending.iter().skip_while(|p| p.event.seq <= after);
    match build_batch(board_id, fresh) {
        Ok(b) => Ok((!b.events.is_empty()).then_some(b)),
        Err(e) => {
            log::error!("board {board_id}: cannot build a batch: {e}");
            Err(e)
        }
    }
}

/// Builds one board's batch from consecutive pending events.
fn build_batch<'a>(board_id: &str, pending: impl Iterator<Item = &'a Pending>) -> Result<BoardBatch> {
    let mut batch = BoardBatch {
        board_id: board_id.to_owned(),
        ..BoardBatch::default()
    };
    let mut changes = Vec::new();
    for p in pending {
        batch.events.push(EventRow::new(board_id, &p.event)?);
        if let Some(op_id) = p.op_id {
            batch.op_ids.push(OpIdRow {
                board_id: board_id.to_owned(),
                seq: p.event.seq,
                op_id: op_id.to_string(),
            });
        }
        match &p.change {
            Change::Upsert(s) => changes.push((s.id.to_string(), Some(StickerRow::new(board_id, s)))),
            Change::Delete(id) => changes.push((id.to_string(), None)),
            Change::Title(t) => batch.title = Some(t.clone()),
            Change::Nothing => {}
        }
        batch.last_seq = p.event.seq;
    }
    batch.set_sticker_changes(changes);
    Ok(batch)
}

/// Now, as RFC 3339 in UTC with milliseconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}
