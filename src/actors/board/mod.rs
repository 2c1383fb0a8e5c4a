//! The Board actor: one per open board. It owns the board's state in
//! memory, validates each op with the pure logic (`crate::board`), assigns
//! the seq, hands the events to the persister in batches, and only once a
//! batch is committed replies to the authors and broadcasts the events.
//! How frames reach the members is `outbox`; what the admin pages ask of a
//! board is `admin`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use bytestring::ByteString;
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::persister::{CommitSlot, Committed, Forget, LoadBoard, Persister, Ready, Register, Resume};
use super::registry::{Registry, Unregister};
use super::session::{CloseSession, SendQueue, Session};
use crate::board::{Applied, BoardState, Change};
use crate::db::queries::{EventRow, LoadedBoard, OpIdRow, Rows, StickerRow};
use crate::error::{Error, Result};
use crate::protocol::{
    Author, BoardInfo, CallInfo, Event, EventBody, HeartbeatInfo, LimitsInfo, Member, Op, RawEvent, Ref,
    Role, ServerMessage, SessionId, Sticker, Welcome,
};
use crate::state::Shared;

mod admin;
mod admission;
mod lease;
mod outbox;

use admission::Admissions;

pub use admin::{AdminOps, Deleted, Kick, ListSessions, Restore, SessionInfo, TokenRotated};
pub use admission::Admit;
pub use lease::{HandOver, LeaseLost, CLOSE_MOVED};

/// Chat events a welcome carries.
const WELCOME_CHAT: usize = 50;
/// op_ids remembered per board for idempotent retries.
const OP_ID_WINDOW: usize = 100_000;
/// The first retry of a failed commit waits this long, doubling up to
/// `RETRY_MAX`.
const RETRY_FIRST: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(2);
/// How often a board checks whether it may stop (when empty).
const IDLE_CHECK: Duration = Duration::from_millis(500);
/// Cursor frames wait at most this long, so that a member gets all that
/// arrived meanwhile in one write: about 30 writes a second, the rate at
/// which a member's own cursors are coalesced. 10 ms cost 8.1 µs of server
/// CPU per delivery at 49,500 deliveries/s, 30 ms 5.9 µs (docs/PERFORMANCE.md).
const OUTBOX_TICK: Duration = Duration::from_millis(30);
/// A turn (see `outbox`) that has queued this many frames and ops ends at
/// once instead of when the mailbox is empty.
const TURN_MAX: usize = 256;
/// A board that failed to load answers its waiters this long, then stops.
const GONE_LINGER: Duration = Duration::from_secs(1);

/// A member and the way to reach it.
struct Slot {
    member: Member,
    /// The hash of its member key (never shown to other members).
    key: Option<String>,
    addr: Addr<Session>,
    queue: Arc<SendQueue>,
    /// Frames waiting for the next flush, and their size.
    outbox: Vec<ByteString>,
    outbox_bytes: usize,
    /// The outbox holds a reply to the member's own message: it goes at
    /// the next flush, whatever the broadcast pace says.
    urgent: bool,
    /// When frames were last handed to its session (or it wrote its
    /// welcome).
    last_delivery: Instant,
}

/// An event waiting for its commit.
struct Pending {
    seq: i64,
    at: String,
    by: Author,
    kind: &'static str,
    /// The event's body, serialized once: the stored row's payload and the
    /// frame's `event`.
    body: Box<RawValue>,
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

impl Pending {
    /// An event the board accepted; `replies` are answered once it commits.
    fn new(
        applied: Applied,
        at: String,
        by: Author,
        op_id: Option<Uuid>,
        replies: Vec<(SessionId, Ref)>,
    ) -> Self {
        let body = applied.body.to_raw();
        Pending {
            seq: applied.seq,
            at,
            by,
            kind: applied.body.kind(),
            body,
            change: applied.change,
            op_id,
            replies,
            waiter: None,
            accepted: Instant::now(),
        }
    }

    /// The event, as its frame and its row are made from it.
    fn raw(&self) -> RawEvent<'_> {
        RawEvent {
            seq: self.seq,
            at: &self.at,
            by: &self.by,
            kind: self.kind,
            event: &self.body,
        }
    }
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
    /// A delivery of the outboxes is scheduled (cursor tick or broadcast
    /// pace): queued frames wait for it.
    flush_scheduled: bool,
    /// Frames and ops queued in the current turn; the end of a turn is
    /// scheduled when it is not 0.
    turn_len: usize,
    draining: bool,
    drained: Vec<oneshot::Sender<()>>,
    /// Places held for upgrades on their way to a join (`admission`).
    admissions: Admissions,
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
    /// Scale-out: the epoch this node took the board with (`lease`).
    epoch: Option<i64>,
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
            epoch: None,
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
                let log: VecDeque<_> = b.recent.iter().map(|e| (e.seq, e.to_frame())).collect();
                let chat = b.chat.iter().map(Event::to_frame).collect();
                let mut op_ids = HashMap::with_capacity(b.op_ids.len());
                let mut op_order = VecDeque::with_capacity(b.op_ids.len());
                for (op, seq) in b.op_ids.into_iter().rev() {
                    if let Ok(op) = op.parse::<Uuid>() {
                        op_ids.insert(op, seq);
                        op_order.push_back(op);
                    }
                }
                log::info!("board {} loaded at seq {}", self.id, state.seq);
                self.epoch = b.epoch; // scale-out
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
                    turn_len: 0,
                    draining: false,
                    drained: Vec::new(),
                    admissions: Admissions::default(),
                }));
                self.persister.do_send(Register {
                    board: self.id.clone(),
                    epoch: self.epoch,
                    slot: self.slot.clone(),
                    answer_to: ctx.address().recipient(),
                });
                ctx.run_interval(IDLE_CHECK, |act, ctx| act.stop_if_idle(ctx));
                self.hold(ctx); // scale-out
            }
            Ok(None) => self.gone(Error::NotFound("no such board".into()), ctx),
            Err(e) => self.gone(e, ctx),
        }
    }

    /// Answers everything with `err` for a moment, then stops.
    fn gone(&mut self, err: Error, ctx: &mut Context<Self>) {
        // scale-out: a board open elsewhere is asked again soon
        let linger = lease::linger(&err).unwrap_or(GONE_LINGER);
        self.phase = Phase::Gone(err);
        ctx.run_later(linger, |act, ctx| act.stop(ctx));
    }

    fn stop(&mut self, ctx: &mut Context<Self>) {
        self.registry.do_send(Unregister {
            id: self.id.clone(),
            addr: ctx.address(),
        });
        ctx.stop();
    }

    fn stop_if_idle(&mut self, ctx: &mut Context<Self>) {
        let idle = Duration::from_millis(self.shared.config.board_idle_ms);
        let Phase::Ready(live) = &mut self.phase else {
            return;
        };
        let empty = live.members.is_empty() && live.admissions.is_idle();
        if empty && live.pending.is_empty() && self.last_activity.elapsed() >= idle {
            log::info!("board {} closed (idle)", self.id);
            self.stop(ctx);
        }
    }

    fn role_of(live: &Live, token: &str) -> Result<Role> {
        crate::tokens::role_for(&live.edit_token, &live.view_token, token)
            .ok_or_else(|| Error::Forbidden("this token does not open this board".into()))
    }

    /// Removes a member: leaves the call, tells the others.
    fn remove_member(&mut self, session: &str, ctx: &mut Context<Self>) {
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
        // a place is free: an admission waiting for one may be answered
        self.answer_admissions(ctx);
        if was_in_call {
            self.broadcast(&ServerMessage::CallLeft { session }.to_frame(), ctx);
        }
        self.broadcast(&ServerMessage::PresenceLeft { session }.to_frame(), ctx);
    }

    fn reply_err(&mut self, session: &str, reference: Option<&Ref>, err: &Error, ctx: &mut Context<Self>) {
        err.log();
        self.send_to(session, ServerMessage::failed(reference, err).to_frame(), ctx);
    }

    fn reply_ok(&mut self, session: &str, reference: Option<&Ref>, ctx: &mut Context<Self>) {
        if reference.is_some() {
            self.send_to(session, ServerMessage::ok(reference, None).to_frame(), ctx);
        }
    }

    fn apply_op(&mut self, m: &DurableOp, ctx: &mut Context<Self>) -> Result<()> {
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
                // A retry: answer with the original seq, once it is
                // committed; only a message with a ref gets an ok (§3).
                let Some(r) = &m.reference else {
                    return Ok(());
                };
                if seq <= live.committed.seq {
                    let frame = ServerMessage::ok(Some(r), Some(seq)).to_frame();
                    self.send_to(&m.session, frame, ctx);
                } else if let Some(p) = live.pending.iter_mut().find(|p| p.seq == seq) {
                    p.replies.push((m.session.clone(), r.clone()));
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
        let replies = m
            .reference
            .iter()
            .map(|r| (m.session.clone(), r.clone()))
            .collect();
        live.pending
            .push_back(Pending::new(applied, at, author, m.op_id, replies));
        self.last_activity = Instant::now();
        Ok(())
    }

    /// Leaves the rows of the ops accepted since the last call in the
    /// commit slot (unless a retry will refill it), and tells the persister
    /// when it is not watching the slot.
    fn submit(&mut self) {
        let id = self.id.clone();
        let Ok(live) = self.live() else { return };
        if live.retry_scheduled {
            return;
        }
        let Some(rows) = rows_after(&id, &live.pending, live.submitted_upto) else {
            return;
        };
        live.submitted_upto = rows.last_seq;
        if self.slot.push(rows) {
            self.persister.do_send(Ready { board: id });
        }
    }

    /// A failed commit is tried again after a backoff: the slot is refilled
    /// with everything not yet committed, and the persister resumes.
    fn retry(&mut self) {
        let id = self.id.clone();
        let Ok(live) = self.live() else { return };
        let rows = rows_after(&id, &live.pending, live.committed.seq);
        live.retry_scheduled = false;
        if let Some(r) = &rows {
            live.submitted_upto = r.last_seq;
        }
        self.slot.refill(rows.unwrap_or_default());
        self.persister.do_send(Resume { board: id });
    }

    /// A shutdown waits until every accepted op is committed.
    fn answer_drain_waiters(&mut self) {
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
    fn publish(&mut self, p: Pending, ctx: &mut Context<Self>) {
        let recovery_max = self.shared.config.recovery_max_events;
        let frame = ServerMessage::Event(p.raw()).to_frame();
        self.shared
            .metrics
            .op_commit_seconds
            .observe(p.accepted.elapsed().as_secs_f64());
        let Ok(live) = self.live() else { return };
        live.committed.commit(p.seq, &p.change);
        live.log.push_back((p.seq, frame.clone()));
        while live.log.len() > recovery_max {
            live.log.pop_front();
        }
        if p.kind == EventBody::CHAT {
            live.chat.push_back(frame.clone());
            while live.chat.len() > WELCOME_CHAT {
                live.chat.pop_front();
            }
        }
        for (session, reference) in &p.replies {
            let ok = ServerMessage::ok(Some(reference), Some(p.seq)).to_frame();
            self.send_to(session, ok, ctx);
        }
        if let Some(waiter) = p.waiter {
            let _ = waiter.send(p.seq);
        }
        self.broadcast(&frame, ctx);
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
            limits: LimitsInfo {
                max_text_chars: config.max_text_chars,
                max_title_chars: crate::board::TITLE_MAX_CHARS,
                max_name_chars: crate::board::NAME_MAX_CHARS,
                max_stickers: config.max_stickers,
                max_frame_bytes: config.max_frame_bytes,
                rate_per_s: config.rate_per_s,
                rate_burst: config.rate_burst,
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
            claim: self.claim(), // scale-out
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
        self.unhold(); // scale-out
        self.shared.metrics.boards.dec();
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

/// The committed events after `after` (at most `limit`) as their frames,
/// from the board's recent log, if the token opens the board; `None`
/// when the log no longer reaches back to `after`. How the events
/// endpoint answers while the database is down.
#[derive(Message)]
#[rtype(result = "Result<Option<Vec<ByteString>>>")]
pub struct RecentEvents {
    pub token: String,
    pub after: i64,
    pub limit: usize,
}

impl Handler<RecentEvents> for Board {
    type Result = Result<Option<Vec<ByteString>>>;

    fn handle(&mut self, m: RecentEvents, _: &mut Context<Self>) -> Self::Result {
        let live = self.live()?;
        Self::role_of(live, &m.token)?;
        let oldest = live.log.front().map_or(live.committed.seq + 1, |(seq, _)| *seq);
        if m.after < oldest.saturating_sub(1) && m.after < live.committed.seq {
            return Ok(None);
        }
        Ok(Some(
            live.log
                .iter()
                .filter(|(seq, _)| *seq > m.after)
                .take(m.limit)
                .map(|(_, frame)| frame.clone())
                .collect(),
        ))
    }
}

/// A session joins: the others get `presence.joined`; the session gets
/// back the frames it must write first, or how to close.
#[derive(Message)]
#[rtype(result = "Result<Welcomed, CloseSession>")]
pub struct Join {
    pub session: SessionId,
    pub name: String,
    pub role: Role,
    pub since: Option<i64>,
    /// The hash of its member key, if its page sent one.
    pub member_key: Option<String>,
    pub addr: Addr<Session>,
    pub queue: Arc<SendQueue>,
}

/// The welcome and the events the joiner missed (with `since`), in order.
/// The session writes them itself before anything else: through the
/// outbox they would leave only at the end of the board's turn, after
/// whatever the session had answered meanwhile (§3: the welcome is the
/// first frame). Every later frame of the board leaves through the outbox
/// and so comes after them.
pub struct Welcomed {
    pub frames: Vec<ByteString>,
}

impl Handler<Join> for Board {
    type Result = Result<Welcomed, CloseSession>;

    fn handle(&mut self, j: Join, ctx: &mut Context<Self>) -> Self::Result {
        self.last_activity = Instant::now();
        let Phase::Ready(live) = &self.phase else {
            return Err(CloseSession {
                code: 1011,
                reason: "board unavailable".into(),
            });
        };
        if live.draining {
            return Err(CloseSession {
                code: 1001,
                reason: "server shutting down".into(),
            });
        }
        // Its place is held by a reservation, unless that expired before
        // the session got here and others took the room meanwhile.
        if live.members.len() >= self.shared.config.max_members {
            return Err(CloseSession {
                code: 1013,
                reason: "the board is full; try again".into(),
            });
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
        self.broadcast(&joined, ctx);
        let slot = Slot {
            member,
            key: j.member_key.clone(),
            addr: j.addr,
            queue: j.queue,
            outbox: Vec::new(),
            outbox_bytes: 0,
            urgent: false,
            // the session writes the welcome at once: the broadcast pace
            // counts from it
            last_delivery: Instant::now(),
        };
        if let Ok(live) = self.live() {
            live.admissions.joined();
            live.joined_at.insert(j.session.clone(), now_rfc3339());
            live.members.insert(j.session, slot);
        }
        // its reservation is a member now: that may decide the admissions
        // waiting for it
        self.answer_admissions(ctx);
        let mut frames = Vec::with_capacity(1 + replay.len());
        frames.push(welcome);
        frames.extend(replay);
        Ok(Welcomed { frames })
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
        self.remove_member(&m.session, ctx);
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
        if let Err(e) = self.apply_op(&m, ctx) {
            self.reply_err(&m.session, m.reference.as_ref(), &e, ctx);
        }
        // an accepted op goes to the commit slot at the end of the turn
        self.end_turn_soon(ctx);
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

/// A member's drag preview of a sticker (paced and checked by its
/// session): relayed to the others like a cursor, never stored.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Drag {
    pub session: SessionId,
    pub id: Uuid,
    pub x: f64,
    pub y: f64,
    /// The size, while it is being resized.
    pub w: Option<f64>,
    pub h: Option<f64>,
}

impl Handler<Drag> for Board {
    type Result = ();

    fn handle(&mut self, m: Drag, ctx: &mut Context<Self>) {
        let frame = ServerMessage::StickerDrag {
            session: &m.session,
            id: m.id,
            x: m.x,
            y: m.y,
            w: m.w,
            h: m.h,
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
        self.reply_ok(&m.session, m.reference.as_ref(), ctx);
        self.broadcast(&frame, ctx);
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
                self.send_to(&m.to, frame, ctx);
                self.reply_ok(&m.session, m.reference.as_ref(), ctx);
            }
            Err(e) => self.reply_err(&m.session, m.reference.as_ref(), &e, ctx),
        }
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
            return self.reply_err(&m.session, m.reference.as_ref(), &e, ctx);
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
        self.send_to(&m.session, reply, ctx);
        if !already {
            self.broadcast(&ServerMessage::CallJoined { session: &m.session }.to_frame(), ctx);
        }
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
            return self.reply_err(&m.session, m.reference.as_ref(), &e, ctx);
        };
        live.call.remove(i);
        if let Some(slot) = live.members.get_mut(&m.session) {
            slot.member.in_call = false;
        }
        self.reply_ok(&m.session, m.reference.as_ref(), ctx);
        self.broadcast(&ServerMessage::CallLeft { session: &m.session }.to_frame(), ctx);
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
                if live.retry_delay != RETRY_FIRST {
                    log::info!("board {id}: commits resumed");
                }
                live.retry_delay = RETRY_FIRST;
                let mut done = Vec::new();
                while live.pending.front().is_some_and(|p| p.seq <= upto) {
                    if let Some(p) = live.pending.pop_front() {
                        done.push(p);
                    }
                }
                for p in done {
                    self.publish(p, ctx);
                }
            }
            Err(e @ Error::Moved(_)) => {
                // scale-out: another node took the board
                self.shared.metrics.fenced_commits.inc();
                self.fenced(e, ctx);
                return;
            }
            Err(e) if e.is_transient() => {
                let delay = live.retry_delay;
                if delay == RETRY_FIRST {
                    // once per outage, not once per retry
                    e.log();
                    log::warn!(
                        "board {id}: holding {} unacknowledged op(s) until the database is back",
                        live.pending.len()
                    );
                }
                live.retry_delay = (delay * 2).min(RETRY_MAX);
                live.retry_scheduled = true;
                ctx.run_later(delay, |act, _| act.retry());
            }
            Err(e) => {
                // Not an outage: the same commit would fail the same way.
                // Nothing pending was acknowledged; the members reconnect to
                // a board reloaded from the database and resend their ops
                // (with their op_ids), which a fixed bug then commits.
                e.log();
                log::error!(
                    "board {id}: a commit failed on a bug; dropping {} unacknowledged op(s) and closing the board",
                    live.pending.len()
                );
                for slot in live.members.values() {
                    slot.queue.cut.store(true, std::sync::atomic::Ordering::Relaxed);
                    slot.addr.do_send(CloseSession {
                        code: 1011,
                        reason: "the board could not save; reconnect".into(),
                    });
                }
                live.pending.clear();
                self.gone(e, ctx);
            }
        }
        self.answer_drain_waiters();
    }
}

/// Shutdown: refuse new ops, commit what was admitted until `deadline`,
/// close every socket with 1001, then stop.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Drain {
    /// When the sockets are closed even if ops are still waiting for the
    /// database: those were never acknowledged, and the exit must not wait
    /// for an outage to end.
    pub deadline: Instant,
    /// What the sockets are closed with: 1001 (shutdown), or 4005 when
    /// the board is handed over to another node.
    pub code: u16,
}

impl Handler<Drain> for Board {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, m: Drain, ctx: &mut Context<Self>) -> Self::Result {
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
        // the waiting admissions are refused
        self.answer_admissions(ctx);
        let left = m.deadline.saturating_duration_since(Instant::now());
        let flushed = async move { matches!(actix::clock::timeout(left, rx).await, Ok(Ok(()))) };
        let close_code = m.code;
        Box::pin(flushed.into_actor(self).map(move |flushed, act, ctx| {
            act.deliver(None, ctx);
            let id = act.id.clone();
            if let Ok(live) = act.live() {
                if !flushed {
                    log::warn!(
                        "board {id}: {} unacknowledged op(s) not committed by the shutdown deadline",
                        live.pending.len()
                    );
                }
                let (code, reason) = match close_code {
                    1001 => (1001, "server shutting down"),
                    code => (code, "the board moved to another node; reconnect"),
                };
                for slot in live.members.values() {
                    slot.addr.do_send(CloseSession {
                        code,
                        reason: reason.into(),
                    });
                }
                live.members.clear();
            }
            act.stop(ctx);
        }))
    }
}

/// The rows of the pending events after seq `after`, if any.
fn rows_after(board_id: &str, pending: &VecDeque<Pending>, after: i64) -> Option<Rows> {
    let mut rows = Rows::default();
    for p in pending.iter().skip_while(|p| p.seq <= after) {
        rows.events.push(EventRow::new(board_id, &p.raw()));
        if let Some(op_id) = p.op_id {
            rows.op_ids.push(OpIdRow {
                board_id: board_id.to_owned(),
                seq: p.seq,
                op_id: op_id.to_string(),
            });
        }
        match &p.change {
            Change::Upsert(s) => rows
                .stickers
                .push((s.id.to_string(), Some(StickerRow::new(board_id, s)))),
            Change::Delete(id) => rows.stickers.push((id.to_string(), None)),
            Change::Title(t) => rows.title = Some(t.clone()),
            Change::Nothing => {}
        }
        rows.last_seq = p.seq;
    }
    (!rows.is_empty()).then_some(rows)
}

/// Now, as RFC 3339 in UTC with milliseconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}
