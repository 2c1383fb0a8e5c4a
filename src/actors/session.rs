//! The Session actor: one per WebSocket. It owns the socket (the only
//! module that knows the transport, actix-web-actors), keeps the heartbeat,
//! enforces the rate limit and the frame rules, parses each frame into a
//! protocol message, coalesces cursors, and passes the rest to its board.

use std::num::NonZeroU32;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web_actors::ws;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::Value;

use super::board::{self, Board, CloseSession, Deliver, SendQueue};
use crate::error::Error;
use crate::protocol::{ClientMessage, CloseCode, ErrorBody, Parsed, Ref, Role, ServerMessage, SessionId};
use crate::state::Shared;

/// Cursor positions go out at most this often per member; the ones in
/// between are dropped and only the latest is kept.
const CURSOR_INTERVAL: Duration = Duration::from_micros(1_000_000 / 30);
/// Refusals in each of this many consecutive seconds close the connection.
const ABUSE_LIMIT: Duration = Duration::from_secs(10);

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One WebSocket connection.
pub struct Session {
    id: SessionId,
    name: String,
    role: Role,
    since: Option<i64>,
    /// The hash of the key its page keeps per browser (kicks that hold).
    member_key: Option<String>,
    board: Addr<Board>,
    shared: Arc<Shared>,
    queue: Arc<SendQueue>,
    limiter: DefaultDirectRateLimiter,
    /// When anything last arrived from the client.
    last_heard: Instant,
    /// The first and the latest refusal of an unbroken run of refusals.
    abuse: Option<(Instant, Instant)>,
    cursor: Paced<(f64, f64)>,
    drag: Paced<board::Drag>,
    /// A message split over continuation frames, while it arrives.
    partial: Option<Partial>,
}

/// One ephemeral stream (cursor, drag preview) paced to one message per
/// `CURSOR_INTERVAL`: the first goes at once, later ones within the
/// interval replace each other, and the latest goes when it ends.
struct Paced<T> {
    sent: Option<Instant>,
    pending: Option<T>,
}

impl<T> Default for Paced<T> {
    fn default() -> Self {
        Paced {
            sent: None,
            pending: None,
        }
    }
}

/// What to do with a value offered to a `Paced` stream.
enum Offer<T> {
    /// Send it now.
    Now(T),
    /// It waits: take it with `take_due` after this long.
    Later(Duration),
    /// It replaced a waiting one (already scheduled).
    Replaced,
}

impl<T> Paced<T> {
    fn offer(&mut self, value: T, now: Instant) -> Offer<T> {
        match self.sent {
            Some(sent) if now - sent < CURSOR_INTERVAL => {
                if self.pending.replace(value).is_some() {
                    Offer::Replaced
                } else {
                    Offer::Later(CURSOR_INTERVAL - (now - sent))
                }
            }
            _ => {
                // a value still waiting for its timer is older than this
                // one: it must not go out after it
                self.pending = None;
                self.sent = Some(now);
                Offer::Now(value)
            }
        }
    }

    /// The waiting value, now due.
    fn take_due(&mut self, now: Instant) -> Option<T> {
        let value = self.pending.take()?;
        self.sent = Some(now);
        Some(value)
    }
}

/// A message split over continuation frames.
enum Partial {
    /// Its bytes so far.
    Receiving(Vec<u8>),
    /// One of its frames was refused by the rate limit: the rest of it is
    /// dropped as it arrives.
    Refused,
}

impl Session {
    /// A session of a member admitted to `board`.
    pub fn new(
        name: String,
        role: Role,
        since: Option<i64>,
        member_key: Option<String>,
        board: Addr<Board>,
        shared: Arc<Shared>,
    ) -> Self {
        let config = &shared.config;
        let per_s = NonZeroU32::new(config.rate_per_s).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(config.rate_burst).unwrap_or(NonZeroU32::MIN);
        Session {
            id: crate::tokens::session_id().into(),
            name,
            role,
            since,
            member_key,
            board,
            queue: Arc::default(),
            limiter: RateLimiter::direct(Quota::per_second(per_s).allow_burst(burst)),
            last_heard: Instant::now(),
            abuse: None,
            cursor: Paced::default(),
            drag: Paced::default(),
            partial: None,
            shared,
        }
    }

    /// Refuses, in the error format, a request that is not a WebSocket
    /// upgrade (actix's own refusal is an empty 400 or 426).
    pub fn check_upgrade(req: &actix_web::HttpRequest) -> Result<(), Error> {
        ws::handshake(req)
            .map(|_| ())
            .map_err(|e| Error::bad(format!("not a WebSocket upgrade: {e}")))
    }

    /// Starts the socket of this session: answers the upgrade request.
    pub fn start(
        self,
        req: &actix_web::HttpRequest,
        stream: actix_web::web::Payload,
    ) -> Result<actix_web::HttpResponse, actix_web::Error> {
        let max = self.shared.config.max_frame_bytes;
        ws::WsResponseBuilder::new(self, req, stream)
            .frame_size(max)
            .start()
    }

    fn close(ctx: &mut ws::WebsocketContext<Self>, code: CloseCode, reason: &str) {
        ctx.close(Some(ws::CloseReason {
            code: ws::CloseCode::from(code.code()),
            description: Some(reason.to_owned()),
        }));
        ctx.stop();
    }

    /// Drops the connection once nothing has arrived for the heartbeat
    /// timeout, or looks again when it would be over: at the last frame
    /// heard plus the timeout, not on the next ping (§2 drops a silent
    /// connection after the timeout, not up to an interval later).
    fn watch_silence(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let timeout = Duration::from_millis(self.shared.config.heartbeat_timeout_ms);
        let silent = self.last_heard.elapsed();
        if silent >= timeout {
            log::info!("session {} dropped: silent for {timeout:?}", self.id);
            self.shared.metrics.heartbeat_drops.inc();
            ctx.stop();
        } else {
            ctx.run_later(timeout - silent, Self::watch_silence);
        }
    }

    /// The rate check comes before anything else; false when refused. Every
    /// frame from the client counts (PROTOCOL.md §5): text, each fragment of
    /// a message, ping and pong.
    fn admit_frame(&mut self, ctx: &mut ws::WebsocketContext<Self>) -> bool {
        let now = Instant::now();
        if self.limiter.check().is_ok() {
            if self
                .abuse
                .is_some_and(|(_, last)| now - last > Duration::from_secs(1))
            {
                self.abuse = None;
            }
            return true;
        }
        self.shared.metrics.rate_limited.inc();
        let start = match self.abuse {
            Some((start, last)) if now - last <= Duration::from_secs(1) => start,
            _ => now,
        };
        self.abuse = Some((start, now));
        if now - start >= ABUSE_LIMIT {
            log::info!(
                "session {} closed: rate limit abused for {ABUSE_LIMIT:?}",
                self.id
            );
            Self::close(ctx, CloseCode::Policy, "rate limit exceeded for too long");
        }
        false
    }

    /// Answers a frame the rate limit refused (`reference` when the frame
    /// had one), unless the refusal closed the connection.
    fn refused(reference: Option<&Ref>, ctx: &mut ws::WebsocketContext<Self>) {
        if ctx.state() == ActorState::Running {
            let e = Error::RateLimited("too many messages".into());
            Self::failed(ctx, reference, &e);
        }
    }

    /// Replies that a message failed; the one place the session logs it.
    fn failed(ctx: &mut ws::WebsocketContext<Self>, reference: Option<&Ref>, e: &Error) {
        e.log();
        ctx.text(ServerMessage::failed(reference, e).to_frame());
    }

    /// A control frame (ping or pong): counted like any other; true when
    /// admitted.
    fn control(&mut self, ctx: &mut ws::WebsocketContext<Self>) -> bool {
        let admitted = self.admit_frame(ctx);
        if !admitted {
            Self::refused(None, ctx);
        }
        admitted
    }

    fn text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        if !self.admit_frame(ctx) {
            // the ref is echoed only if it is a valid one (§5)
            let reference = serde_json::from_str::<RefOnly>(text)
                .ok()
                .and_then(|r| Ref::from_field(r.reference.as_ref()).ok().flatten());
            return Self::refused(reference.as_ref(), ctx);
        }
        self.message(text, ctx);
    }

    /// A whole message, once admitted.
    fn message(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return Self::error_frame(ctx, format!("not JSON: {e}")),
        };
        let Some(obj) = value.as_object() else {
            return Self::error_frame(ctx, "a message must be a JSON object".into());
        };
        if !obj.get("type").is_some_and(Value::is_string) {
            return Self::error_frame(ctx, "a message needs a string \"type\"".into());
        }
        let reference = match Ref::from_field(obj.get("ref")) {
            Ok(r) => r,
            Err(e) => return Self::failed(ctx, None, &e),
        };
        match ClientMessage::deserialize(value) {
            Ok(msg) => {
                if let Err(e) = self.dispatch(msg, reference.clone(), ctx) {
                    Self::failed(ctx, reference.as_ref(), &e);
                }
            }
            Err(e) => {
                Self::failed(ctx, reference.as_ref(), &Error::bad(e.to_string()));
            }
        }
    }

    fn error_frame(ctx: &mut ws::WebsocketContext<Self>, message: String) {
        let error = ErrorBody {
            code: "bad_request",
            message,
            sticker: None,
        };
        ctx.text(ServerMessage::Error { error }.to_frame());
    }

    fn dispatch(
        &mut self,
        msg: ClientMessage,
        reference: Option<Ref>,
        ctx: &mut ws::WebsocketContext<Self>,
    ) -> Result<(), Error> {
        let session = self.id.clone();
        match msg.split() {
            Parsed::Durable { op, op_id } => self.board.do_send(board::DurableOp {
                session,
                reference,
                op,
                op_id,
            }),
            Parsed::Other(ClientMessage::Ping {}) => {
                ctx.text(
                    ServerMessage::Pong {
                        reference: reference.as_ref(),
                    }
                    .to_frame(),
                );
            }
            Parsed::Other(ClientMessage::Cursor { x, y }) => {
                crate::board::check_coord("x", x)?;
                crate::board::check_coord("y", y)?;
                self.cursor(x, y, ctx);
            }
            Parsed::Other(ClientMessage::StickerDrag { id, x, y, w, h, more }) => {
                if self.role != Role::Editor {
                    return Err(Error::Forbidden("a viewer cannot move stickers".into()));
                }
                crate::board::check_coord("x", x)?;
                crate::board::check_coord("y", y)?;
                if more.len() > crate::protocol::DRAG_MORE_MAX {
                    return Err(Error::bad(format!(
                        "a drag moves at most {} more stickers",
                        crate::protocol::DRAG_MORE_MAX
                    )));
                }
                for m in &more {
                    crate::board::check_coord("x", m.x)?;
                    crate::board::check_coord("y", m.y)?;
                }
                for (name, v) in [("w", w), ("h", h)] {
                    if let Some(v) = v {
                        crate::board::check_size(name, v)?;
                    }
                }
                self.drag(
                    board::Drag {
                        session: self.id.clone(),
                        id,
                        x,
                        y,
                        w,
                        h,
                        more,
                    },
                    ctx,
                );
            }
            Parsed::Other(ClientMessage::PresenceSet { state }) => {
                crate::board::validate_presence(&state)?;
                self.board.do_send(board::PresenceSet {
                    session,
                    reference,
                    state,
                });
            }
            Parsed::Other(ClientMessage::PresenceRename { name }) => {
                let name = crate::board::validate_name(&name)?;
                self.board.do_send(board::RenameMember {
                    session,
                    reference,
                    name,
                });
            }
            Parsed::Other(ClientMessage::Signal { to, payload }) => {
                crate::board::validate_signal_payload(&payload)?;
                self.board.do_send(board::Signal {
                    session,
                    reference,
                    to,
                    payload,
                });
            }
            Parsed::Other(ClientMessage::CallJoin {}) => {
                self.board.do_send(board::CallJoin { session, reference })
            }
            Parsed::Other(ClientMessage::CallLeave {}) => {
                self.board.do_send(board::CallLeave { session, reference })
            }
            Parsed::Other(durable) => {
                return Err(Error::internal(format!("unsplit durable message {durable:?}")));
            }
        }
        Ok(())
    }

    /// Cursor positions, paced to `CURSOR_INTERVAL` (latest wins).
    fn cursor(&mut self, x: f64, y: f64, ctx: &mut ws::WebsocketContext<Self>) {
        match self.cursor.offer((x, y), Instant::now()) {
            Offer::Now((x, y)) => self.send_cursor(x, y),
            Offer::Later(wait) => {
                ctx.run_later(wait, |act, _| {
                    if let Some((x, y)) = act.cursor.take_due(Instant::now()) {
                        act.send_cursor(x, y);
                    }
                });
            }
            Offer::Replaced => self.shared.metrics.cursors_coalesced.inc(),
        }
    }

    fn send_cursor(&mut self, x: f64, y: f64) {
        self.board.do_send(board::Cursor {
            session: self.id.clone(),
            x,
            y,
        });
    }

    /// Drag previews, paced like cursors (latest wins).
    fn drag(&mut self, preview: board::Drag, ctx: &mut ws::WebsocketContext<Self>) {
        match self.drag.offer(preview, Instant::now()) {
            Offer::Now(preview) => self.board.do_send(preview),
            Offer::Later(wait) => {
                ctx.run_later(wait, |act, _| {
                    if let Some(preview) = act.drag.take_due(Instant::now()) {
                        act.board.do_send(preview);
                    }
                });
            }
            Offer::Replaced => self.shared.metrics.drags_coalesced.inc(),
        }
    }

    fn continuation(&mut self, item: actix_http::ws::Item, ctx: &mut ws::WebsocketContext<Self>) {
        let max = self.shared.config.max_frame_bytes;
        let (first, chunk, last) = match item {
            actix_http::ws::Item::FirstText(b) => (Some(true), b, false),
            actix_http::ws::Item::FirstBinary(b) => (Some(false), b, false),
            actix_http::ws::Item::Continue(b) => (None, b, false),
            actix_http::ws::Item::Last(b) => (None, b, true),
        };
        if first == Some(false) {
            return Self::close(ctx, CloseCode::Binary, "binary frames are not accepted");
        }
        let partial = match (first, self.partial.take()) {
            (Some(_), _) => Partial::Receiving(Vec::new()),
            (None, Some(partial)) => partial,
            (None, None) => {
                return Self::close(ctx, CloseCode::Protocol, "continuation without a first frame")
            }
        };
        // Each fragment counts; a refused one drops its whole message.
        let partial = if self.admit_frame(ctx) {
            partial
        } else {
            Self::refused(None, ctx);
            Partial::Refused
        };
        let mut buf = match partial {
            Partial::Receiving(buf) => buf,
            Partial::Refused => {
                if !last {
                    self.partial = Some(Partial::Refused);
                }
                return;
            }
        };
        buf.extend_from_slice(&chunk);
        if buf.len() > max {
            return Self::close(ctx, CloseCode::TooBig, "message too large");
        }
        if !last {
            self.partial = Some(Partial::Receiving(buf));
            return;
        }
        match String::from_utf8(buf) {
            Ok(text) => self.message(&text, ctx),
            Err(_) => Self::close(ctx, CloseCode::BadUtf8, "text is not UTF-8"),
        }
    }
}

/// Whether a stream error is a text frame that is not UTF-8. actix-web-actors
/// decodes each text frame into a `ByteString` (`WsStream::poll_next`) and
/// reports a `Utf8Error` as an `Io` error of kind `Other` with only the
/// error's message ("invalid utf-8 sequence of…", "incomplete utf-8 byte
/// sequence…"); none of the other errors it or the codec reports says
/// "utf-8". tests/api/frames.rs pins this.
fn is_invalid_utf8(e: &ws::ProtocolError) -> bool {
    matches!(e, ws::ProtocolError::Io(io)
        if io.kind() == std::io::ErrorKind::Other && io.to_string().contains("utf-8"))
}

/// Just the `ref` of a message, for replies to frames that are refused
/// before they are parsed in full.
#[derive(Deserialize)]
struct RefOnly {
    #[serde(rename = "ref")]
    reference: Option<Value>,
}

impl Actor for Session {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.shared.metrics.connections.inc();
        self.queue.last_heard_ms.store(now_ms(), Ordering::Relaxed);
        let interval = Duration::from_millis(self.shared.config.heartbeat_interval_ms);
        ctx.run_interval(interval, |_, ctx| ctx.ping(b""));
        self.watch_silence(ctx);
        let join = board::Join {
            session: self.id.clone(),
            name: self.name.clone(),
            role: self.role,
            since: self.since,
            member_key: self.member_key.clone(),
            reach: board::Reach {
                deliver: ctx.address().recipient(),
                close: ctx.address().recipient(),
            },
            queue: self.queue.clone(),
        };
        log::info!("session {} connected ({:?})", self.id, self.role);
        // `wait`: nothing from the client or the board is handled, and so
        // nothing written, before the welcome (§3: it is the first frame).
        ctx.wait(
            self.board
                .send(join)
                .into_actor(self)
                .map(|res, act, ctx| match res {
                    Ok(Ok(welcomed)) => {
                        for frame in welcomed.frames {
                            ctx.text(frame);
                        }
                    }
                    Ok(Err(refused)) => Self::close(ctx, refused.code, &refused.reason),
                    Err(_) => {
                        log::warn!("session {}: its board stopped before the join", act.id);
                        Self::close(ctx, CloseCode::BoardUnavailable, "board unavailable, reconnect");
                    }
                }),
        );
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.shared.metrics.connections.dec();
        self.board.do_send(board::Leave {
            session: self.id.clone(),
        });
        log::info!("session {} disconnected", self.id);
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Session {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        self.queue.last_heard_ms.store(now_ms(), Ordering::Relaxed);
        match msg {
            Ok(ws::Message::Text(text)) => self.text(&text, ctx),
            Ok(ws::Message::Binary(_)) => {
                Self::close(ctx, CloseCode::Binary, "binary frames are not accepted")
            }
            Ok(ws::Message::Continuation(item)) => self.continuation(item, ctx),
            Ok(ws::Message::Ping(p)) => {
                if self.control(ctx) {
                    ctx.pong(&p);
                }
            }
            Ok(ws::Message::Pong(_)) => {
                self.control(ctx);
            }
            Ok(ws::Message::Nop) => {}
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Err(ws::ProtocolError::Overflow) => Self::close(ctx, CloseCode::TooBig, "frame too large"),
            Err(e) if is_invalid_utf8(&e) => Self::close(ctx, CloseCode::BadUtf8, "text is not UTF-8"),
            Err(e) => {
                log::info!("session {}: protocol error: {e}", self.id);
                Self::close(ctx, CloseCode::Protocol, "protocol error");
            }
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

impl Handler<Deliver> for Session {
    type Result = ();

    fn handle(&mut self, m: Deliver, ctx: &mut Self::Context) {
        let bytes = m.frames.iter().map(|f| f.len()).sum();
        self.queue.bytes.fetch_sub(bytes, Ordering::Relaxed);
        if !self.queue.cut.load(Ordering::Relaxed) {
            for frame in m.frames {
                ctx.text(frame);
            }
        }
    }
}

impl Handler<CloseSession> for Session {
    type Result = ();

    fn handle(&mut self, m: CloseSession, ctx: &mut Self::Context) {
        Self::close(ctx, m.code, &m.reason);
    }
}
