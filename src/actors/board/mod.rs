//! The Board actor: one per open board. It owns the board's state in
//! memory, validates each op with the pure logic (`crate::board`), assigns
//! the seq, hands the events to the persister in batches, and only once a
//! batch is committed replies to the authors and broadcasts the events.
//! How frames reach the members is `members` (and `turn`); what the admin pages ask of a
//! board is `admin`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use bytestring::ByteString;
use serde_json::Value;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::persister::{CommitSlot, Committed, LoadBoard, Persister};
use crate::board::BoardState;
use crate::db::queries::LoadedBoard;
use crate::error::{Error, Result};
use crate::protocol::{
    Author, BoardInfo, CallInfo, CloseCode, Event, EventBody, HeartbeatInfo, LimitsInfo, Member, Op, Ref,
    Role, ServerMessage, SessionId, Sticker, Welcome,
};
use crate::state::Shared;

mod admin;
mod admission;
mod commits;
mod history;
mod lease;
mod members;
mod op_ids;
mod rename;
mod turn;

use admission::Admissions;
use commits::{CommitQueue, Pending};
use history::History;
use members::Members;
use op_ids::OpIds;

pub use admin::{AdminOps, Deleted, Kick, ListSessions, Restore, SessionInfo, TokenRotated};
pub use admission::Admit;
pub use lease::{HandOver, LeaseLost};
pub use members::SendQueue;
pub use rename::RenameMember;

/// Chat events a welcome carries.
const WELCOME_CHAT: usize = 50;
/// op_ids remembered per board for idempotent retries.
const OP_ID_WINDOW: usize = 100_000;
/// How often a board checks whether it may stop (when empty).
const IDLE_CHECK: Duration = Duration::from_millis(500);
/// A board that failed to load answers its waiters this long, then stops.
const GONE_LINGER: Duration = Duration::from_secs(1);

// ------------------------------------------------ what a member must accept

/// Frames from the board (each serialized once, shared by all recipients),
/// to be written together.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Deliver {
    pub frames: Vec<ByteString>,
}

/// Close the socket with a code (1001 shutdown, 1008 slow, 4001 kicked…).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseSession {
    pub code: CloseCode,
    pub reason: String,
}

/// How the board reaches a member's session.
pub struct Reach {
    pub deliver: Recipient<Deliver>,
    pub close: Recipient<CloseSession>,
}

impl Reach {
    fn close(&self, code: CloseCode, reason: &str) {
        self.close.do_send(CloseSession {
            code,
            reason: reason.into(),
        });
    }
}

/// A board stops: the registry forgets it (unless a newer actor took its
/// place).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unregister {
    pub id: Arc<str>,
    pub addr: Addr<Board>,
}

// ------------------------------------------------------------- the board

/// One open board: its state in named parts.
pub struct Board {
    id: Arc<str>,
    shared: Arc<Shared>,
    persister: Persister,
    /// Where accepted ops wait for the persister (registered once loaded).
    slot: CommitSlot,
    registry: Recipient<Unregister>,
    /// Why the board cannot serve (not loaded yet, failed to load, deleted,
    /// a commit failed on a bug): every request is answered with it.
    gone: Option<Error>,
    last_activity: Instant,
    edit_token: String,
    view_token: String,
    /// Every op applied, committed or not: what new ops are checked against.
    ahead: BoardState,
    /// Only what is committed: what clients may see.
    committed: BoardState,
    members: Members<Reach>,
    history: History,
    op_ids: OpIds,
    commits: CommitQueue,
    call: Vec<SessionId>,
    /// Frames and ops queued in the current turn (`turn`).
    turn_len: usize,
    /// A look at the outboxes waiting for deliveries in flight is
    /// scheduled.
    recheck_scheduled: bool,
    /// Joins and ops are refused: the server is stopping (`Shutdown`) or
    /// the board is being handed to another node (`BoardMoved`).
    draining: Option<CloseCode>,
    drained: Vec<oneshot::Sender<()>>,
    /// Places held for upgrades on their way to a join (`admission`).
    admissions: Admissions,
    /// What the admin board page charts (members, commits).
    meter: Arc<crate::state::BoardMeter>,
    /// Scale-out: the epoch this node took the board with (`lease`).
    epoch: Option<i64>,
}

impl Board {
    /// A board actor that loads board `id` when it starts.
    pub fn new(
        id: Arc<str>,
        shared: Arc<Shared>,
        persister: Persister,
        registry: Recipient<Unregister>,
    ) -> Self {
        let config = &shared.config;
        let history = History::new(config.recovery_max_events, WELCOME_CHAT);
        Board {
            meter: shared.open_board(&id),
            id,
            persister,
            slot: CommitSlot::default(),
            registry,
            gone: Some(Error::internal("board used before it loaded")),
            last_activity: Instant::now(),
            edit_token: String::new(),
            view_token: String::new(),
            ahead: BoardState::default(),
            committed: BoardState::default(),
            members: Members::default(),
            history,
            op_ids: OpIds::new(OP_ID_WINDOW, std::iter::empty()),
            commits: CommitQueue::new(0),
            call: Vec::new(),
            turn_len: 0,
            recheck_scheduled: false,
            draining: None,
            drained: Vec::new(),
            admissions: Admissions::default(),
            epoch: None,
            shared,
        }
    }

    /// The board can serve (loaded, not gone).
    fn ready(&self) -> Result<()> {
        match &self.gone {
            None => Ok(()),
            Some(e) => Err(e.clone()),
        }
    }

    fn loaded(&mut self, loaded: Result<Option<LoadedBoard>>, ctx: &mut Context<Self>) {
        let b = match loaded {
            Ok(Some(b)) => b,
            Ok(None) => return self.gone(Error::NotFound("no such board".into()), ctx),
            Err(e) => return self.gone(e, ctx),
        };
        let state = BoardState {
            title: b.row.title.clone(),
            seq: b.seq,
            stickers: b.stickers.into_iter().map(|s| (s.id, s)).collect(),
        };
        self.history.load(
            b.recent.iter().map(|e| (e.seq, e.to_frame())),
            b.chat.iter().map(Event::to_frame),
        );
        let op_ids = b
            .op_ids
            .into_iter()
            .filter_map(|(op, seq)| Some((op.parse::<Uuid>().ok()?, seq)));
        self.op_ids = OpIds::new(OP_ID_WINDOW, op_ids.collect::<Vec<_>>().into_iter());
        log::info!("board {} loaded at seq {}", self.id, state.seq);
        self.commits = CommitQueue::new(state.seq);
        self.ahead = state.clone();
        self.committed = state;
        self.edit_token = b.row.edit_token;
        self.view_token = b.row.view_token;
        self.gone = None;
        self.epoch = b.epoch; // scale-out
        self.persister.register(
            self.id.clone(),
            self.epoch,
            self.slot.clone(),
            ctx.address().recipient(),
        );
        ctx.run_interval(IDLE_CHECK, |act, ctx| act.stop_if_idle(ctx));
        self.hold(ctx); // scale-out
    }

    /// Answers everything with `err` for a moment, then stops.
    fn gone(&mut self, err: Error, ctx: &mut Context<Self>) {
        // scale-out: a board open elsewhere is asked again soon
        let linger = lease::linger(&err).unwrap_or(GONE_LINGER);
        self.gone = Some(err);
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
        let empty = self.members.is_empty() && self.admissions.is_idle();
        if self.gone.is_none() && empty && self.commits.is_empty() && self.last_activity.elapsed() >= idle {
            log::info!("board {} closed (idle)", self.id);
            self.stop(ctx);
        }
    }

    fn role_of(&self, token: &str) -> Result<Role> {
        crate::tokens::role_for(&self.edit_token, &self.view_token, token)
            .ok_or_else(|| Error::Forbidden("this token does not open this board".into()))
    }

    /// Removes a member: leaves the call, tells the others.
    fn remove_member(&mut self, session: &str, ctx: &mut Context<Self>) {
        if self.members.remove(session).is_none() {
            return;
        }
        let members = self.members.len();
        let was_in_call = if let Some(i) = self.call.iter().position(|s| &**s == session) {
            self.call.remove(i);
            true
        } else {
            false
        };
        self.last_activity = Instant::now();
        self.meter.members(members);
        // a place is free: an admission waiting for one may be answered
        self.answer_admissions(ctx);
        if was_in_call {
            self.broadcast(&ServerMessage::CallLeft { session }.to_frame(), None, ctx);
        }
        self.broadcast(&ServerMessage::PresenceLeft { session }.to_frame(), None, ctx);
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
        self.ready()?;
        if let Some(code) = self.draining {
            return Err(Error::Unavailable(closing_words(code).into()));
        }
        let Some(slot) = self.members.get(&m.session) else {
            return Ok(()); // cut or gone: nobody to answer
        };
        if !m.op.allowed_for(slot.member.role) {
            return Err(Error::Forbidden("viewers may only chat".into()));
        }
        let author = Author {
            session: m.session.to_string(),
            name: slot.member.name.clone(),
        };
        if let Some(seq) = m.op_id.and_then(|op| self.op_ids.get(&op)) {
            // A retry: answer with the original seq, once it is committed;
            // only a message with a ref gets an ok (§3).
            let Some(r) = &m.reference else {
                return Ok(());
            };
            if seq <= self.committed.seq {
                let frame = ServerMessage::ok(Some(r), Some(seq)).to_frame();
                self.send_to(&m.session, frame, ctx);
            } else if let Some(p) = self.commits.get_mut(seq) {
                p.replies.push((m.session.clone(), r.clone()));
            }
            return Ok(());
        }
        if self.commits.len() >= self.shared.config.hold_max_ops {
            return Err(Error::Unavailable(
                "the database is unavailable and this board holds as many ops as it may".into(),
            ));
        }
        let at = now_rfc3339();
        let applied = self.ahead.apply(&m.op, &at, &author.name, &self.shared.limits)?;
        if let Some(op_id) = m.op_id {
            self.op_ids.insert(op_id, applied.seq);
        }
        let replies = m
            .reference
            .iter()
            .map(|r| (m.session.clone(), r.clone()))
            .collect();
        self.commits
            .push(Pending::new(applied, at, author, m.op_id, replies));
        self.last_activity = Instant::now();
        Ok(())
    }

    /// Leaves the rows of the ops accepted since the last call in the
    /// commit slot (unless a retry will refill it), and tells the persister
    /// when it is not watching the slot.
    fn submit(&mut self) {
        let Some(batch) = self.commits.take_new(&self.id) else {
            return;
        };
        if self.slot.push(batch) {
            self.persister.ready(self.id.clone());
        }
    }

    /// A failed commit is tried again after a backoff: the slot is refilled
    /// with everything not yet committed, and the persister resumes.
    fn retry(&mut self) {
        self.slot
            .refill(self.commits.take_retry(&self.id, self.committed.seq));
        self.persister.resume(self.id.clone());
    }

    /// A shutdown waits until every accepted op is committed.
    fn answer_drain_waiters(&mut self) {
        if self.commits.is_empty() {
            for w in self.drained.drain(..) {
                let _ = w.send(());
            }
        }
    }

    /// A committed event: into the committed state and the history,
    /// replies to its author (before the event), then to every member.
    fn publish(&mut self, p: Pending, ctx: &mut Context<Self>) {
        let frame = ServerMessage::Event(p.raw()).to_frame();
        self.shared
            .metrics
            .op_commit_seconds
            .observe(p.accepted.elapsed().as_secs_f64());
        self.meter.committed(p.accepted.elapsed());
        self.committed.commit(p.seq, &p.change);
        self.history.push(p.seq, frame.clone(), p.kind == EventBody::CHAT);
        for (session, reference) in &p.replies {
            let ok = ServerMessage::ok(Some(reference), Some(p.seq)).to_frame();
            self.send_to(session, ok, ctx);
        }
        if let Some(waiter) = p.waiter {
            let _ = waiter.send(p.seq);
        }
        self.broadcast(&frame, None, ctx);
    }

    /// Closes every member with `code` (the board cannot serve them) and
    /// forgets them.
    fn close_all(&mut self, code: CloseCode, reason: &str) {
        for slot in self.members.drain() {
            slot.queue.cut.store(true, std::sync::atomic::Ordering::Relaxed);
            slot.reach.close(code, reason);
        }
    }

    fn welcome(&self, j: &Join, me: &Member) -> (ByteString, Vec<ByteString>) {
        let config = &self.shared.config;
        let seq = self.committed.seq;
        let recovered = j.since.is_some_and(|since| self.history.can_recover(since, seq));
        let mut members: Vec<&Member> = self.members.iter().map(|s| &s.member).collect();
        members.push(me);
        let stickers: Option<Vec<&Sticker>> =
            (!recovered).then(|| self.committed.stickers.values().collect());
        let chat = (!recovered).then(|| {
            self.history
                .chat()
                .filter_map(|f| serde_json::from_str::<&serde_json::value::RawValue>(f).ok())
                .collect()
        });
        let welcome = ServerMessage::Welcome(Welcome {
            session: &j.session,
            role: j.role,
            name: &j.name,
            board: BoardInfo {
                id: &self.id,
                title: &self.committed.title,
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
                participants: self.call.iter().map(|s| &**s).collect(),
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
            (true, Some(since)) => self.history.after(since, seq, usize::MAX).unwrap_or_default(),
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
        let load = self.persister.load(LoadBoard {
            id: self.id.to_string(),
            recent_events: config.recovery_max_events as i64,
            recent_chat: WELCOME_CHAT as i64,
            recent_op_ids: OP_ID_WINDOW as i64,
            claim: self.claim(), // scale-out
        });
        // `wait`: no message is handled before the board is loaded.
        ctx.wait(load.into_actor(self).map(|res, act, ctx| act.loaded(res, ctx)));
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.persister.forget(&self.id, &self.slot);
        self.unhold(); // scale-out
        self.shared.metrics.boards.dec();
        self.shared.close_board(&self.id);
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
        self.ready()?;
        self.role_of(&m.token)?;
        Ok(Snapshot {
            id: self.id.to_string(),
            title: self.committed.title.clone(),
            seq: self.committed.seq,
            stickers: self.committed.stickers.values().cloned().collect(),
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
        self.ready()?;
        self.role_of(&m.token)?;
        Ok(self.history.after(m.after, self.committed.seq, m.limit))
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
    pub reach: Reach,
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
        let refuse = |code, reason: &str| {
            Err(CloseSession {
                code,
                reason: reason.into(),
            })
        };
        if self.gone.is_some() {
            return refuse(CloseCode::BoardUnavailable, "board unavailable");
        }
        if let Some(code) = self.draining {
            return refuse(code, closing_words(code));
        }
        // Its place is held by a reservation, unless that expired before
        // the session got here and others took the room meanwhile.
        if self.members.len() >= self.shared.config.max_members {
            return refuse(CloseCode::TryAgain, "the board is full; try again");
        }
        let member = Member {
            session: j.session.clone(),
            name: j.name.clone(),
            role: j.role,
            state: Value::Object(Default::default()),
            in_call: false,
        };
        let (welcome, replay) = self.welcome(&j, &member);
        let joined = ServerMessage::PresenceJoined { member: &member }.to_frame();
        self.broadcast(&joined, None, ctx);
        self.admissions.joined();
        self.members
            .insert(member, j.member_key, now_rfc3339(), j.reach, j.queue);
        self.meter.members(self.members.len());
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
        self.broadcast(&frame, Some(&m.session), ctx);
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
    /// The other stickers of a selection dragged with it.
    pub more: Vec<crate::protocol::DragMove>,
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
            more: &m.more,
        }
        .to_frame();
        self.broadcast(&frame, Some(&m.session), ctx);
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
        let Some(slot) = self.members.get_mut(&m.session) else {
            return;
        };
        slot.member.state = m.state;
        let frame = ServerMessage::PresenceUpdated { member: &slot.member }.to_frame();
        self.reply_ok(&m.session, m.reference.as_ref(), ctx);
        self.broadcast(&frame, None, ctx);
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
        let check = |board: &Board| -> Result<()> {
            board.ready()?;
            let in_call = |s: &str| board.call.iter().any(|c| &**c == s);
            if !in_call(&m.session) {
                return Err(Error::Forbidden("only call participants may signal".into()));
            }
            if !board.members.contains(m.to.as_str()) {
                return Err(Error::NotFound(format!("no session {}", m.to)));
            }
            if !in_call(&m.to) {
                return Err(Error::Forbidden(format!("{} is not in the call", m.to)));
            }
            Ok(())
        };
        match check(self) {
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
        if !self.members.contains(&m.session) {
            return;
        }
        let already = self.call.contains(&m.session);
        if !already && self.call.len() >= max {
            let e = Error::LimitExceeded(format!("the call is full ({max} participants)"));
            return self.reply_err(&m.session, m.reference.as_ref(), &e, ctx);
        }
        let peers: Vec<SessionId> = self.call.iter().filter(|s| **s != m.session).cloned().collect();
        let reply = ServerMessage::Reply {
            reference: m.reference.as_ref(),
            ok: true,
            seq: None,
            peers: Some(peers.iter().map(|s| &**s).collect()),
            error: None,
        }
        .to_frame();
        if !already {
            self.call.push(m.session.clone());
            if let Some(slot) = self.members.get_mut(&m.session) {
                slot.member.in_call = true;
            }
        }
        self.send_to(&m.session, reply, ctx);
        if !already {
            self.broadcast(
                &ServerMessage::CallJoined { session: &m.session }.to_frame(),
                None,
                ctx,
            );
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
        let Some(i) = self.call.iter().position(|s| *s == m.session) else {
            let e = Error::Forbidden("not in the call".into());
            return self.reply_err(&m.session, m.reference.as_ref(), &e, ctx);
        };
        self.call.remove(i);
        if let Some(slot) = self.members.get_mut(&m.session) {
            slot.member.in_call = false;
        }
        self.reply_ok(&m.session, m.reference.as_ref(), ctx);
        self.broadcast(
            &ServerMessage::CallLeft { session: &m.session }.to_frame(),
            None,
            ctx,
        );
    }
}

impl Handler<Committed> for Board {
    type Result = ();

    /// A batch came back from the database.
    fn handle(&mut self, m: Committed, ctx: &mut Context<Self>) {
        let id = self.id.clone();
        if self.gone.is_some() {
            return;
        }
        match m.result {
            Ok(upto) => {
                let (done, resumed) = self.commits.committed(upto);
                if resumed {
                    log::info!("board {id}: commits resumed");
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
                let (delay, first) = self.commits.failed();
                if first {
                    // once per outage, not once per retry
                    e.log();
                    log::warn!(
                        "board {id}: holding {} unacknowledged op(s) until the database is back",
                        self.commits.len()
                    );
                }
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
                    self.commits.len()
                );
                self.close_all(CloseCode::BoardUnavailable, "the board could not save; reconnect");
                self.commits.clear();
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
    /// What the sockets are closed with: `Shutdown`, or `Moved` when the
    /// board is handed over to another node.
    pub code: CloseCode,
}

impl Handler<Drain> for Board {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, m: Drain, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.draining = Some(m.code);
        if self.commits.is_empty() || self.gone.is_some() {
            let _ = tx.send(());
        } else {
            self.drained.push(tx);
        }
        // the waiting admissions are refused
        self.answer_admissions(ctx);
        let left = m.deadline.saturating_duration_since(Instant::now());
        let flushed = async move { matches!(actix::clock::timeout(left, rx).await, Ok(Ok(()))) };
        let close = m.code;
        Box::pin(flushed.into_actor(self).map(move |flushed, act, ctx| {
            act.deliver(true, ctx);
            if !flushed {
                log::warn!(
                    "board {}: {} unacknowledged op(s) not committed by the shutdown deadline",
                    act.id,
                    act.commits.len()
                );
            }
            act.close_all(close, closing_words(close));
            act.stop(ctx);
        }))
    }
}

/// What members are told when the board closes them with `code` or, while
/// it drains, refuses their joins and ops.
fn closing_words(code: CloseCode) -> &'static str {
    match code {
        CloseCode::BoardMoved => "the board moved to another node; reconnect",
        _ => "the server is shutting down",
    }
}

/// Now, as RFC 3339 in UTC with milliseconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}
