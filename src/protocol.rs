//! The wire protocol (PROTOCOL.md v1): every message a client sends or
//! receives, as serde types. Nothing else in corkboard reads or writes the
//! JSON of a frame by hand.

use bytestring::ByteString;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use uuid::Uuid;

pub use crate::domain::{Sticker, Writer};

/// A session id, `s-` followed by random URL-safe characters.
pub type SessionId = std::sync::Arc<str>;

/// What a token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May do everything.
    Editor,
    /// May read, chat, show a cursor and presence, and join calls.
    Viewer,
}

/// *(extension)* Where one more sticker of a dragged selection is now.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DragMove {
    pub id: Uuid,
    pub x: f64,
    pub y: f64,
}

/// The most stickers a `sticker.drag` moves besides its own.
pub const DRAG_MORE_MAX: usize = 99;

/// The codes the server closes a socket with (docs/protocol.md, "Limits
/// and closes"); static/js/protocol.js names them alike (`SHUTDOWN` for
/// `Shutdown`), checked by a test below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCode {
    /// The server is shutting down: reconnect.
    Shutdown = 1001,
    /// A frame broke the WebSocket protocol.
    Protocol = 1002,
    /// A binary frame.
    Binary = 1003,
    /// Text that is not UTF-8.
    BadUtf8 = 1007,
    /// Too slow a reader, or refused frames for too long.
    Policy = 1008,
    /// A message over the size limit.
    TooBig = 1009,
    /// The board cannot serve right now: reconnect.
    BoardUnavailable = 1011,
    /// The board filled up while the socket opened: try again.
    TryAgain = 1013,
    /// An admin removed the member.
    Kicked = 4001,
    /// The token the socket was opened with was rotated.
    TokenRotated = 4003,
    /// The board was deleted.
    BoardDeleted = 4004,
    /// The board moved to another node of the cluster: reconnect at once
    /// (with `since`) and resend unacknowledged ops with their op_ids.
    BoardMoved = 4005,
}

impl CloseCode {
    pub const ALL: [CloseCode; 12] = [
        CloseCode::Shutdown,
        CloseCode::Protocol,
        CloseCode::Binary,
        CloseCode::BadUtf8,
        CloseCode::Policy,
        CloseCode::TooBig,
        CloseCode::BoardUnavailable,
        CloseCode::TryAgain,
        CloseCode::Kicked,
        CloseCode::TokenRotated,
        CloseCode::BoardDeleted,
        CloseCode::BoardMoved,
    ];

    pub fn code(self) -> u16 {
        self as u16
    }
}

/// The fields of a sticker a client sets when it creates one.
#[derive(Debug, Clone, Deserialize)]
pub struct NewSticker {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    #[serde(default)]
    pub z: Option<f64>,
    pub color: String,
    pub text: String,
}

/// A partial update of a sticker; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The body of a durable board event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum EventBody {
    #[serde(rename = "sticker.created")]
    StickerCreated { sticker: Sticker },
    #[serde(rename = "sticker.updated")]
    StickerUpdated { id: Uuid, patch: Patch, version: i64 },
    #[serde(rename = "sticker.deleted")]
    StickerDeleted { id: Uuid },
    #[serde(rename = "chat")]
    Chat { id: Uuid, text: String },
    #[serde(rename = "board.renamed")]
    BoardRenamed { title: String },
}

impl EventBody {
    /// The `kind` of chat events.
    pub const CHAT: &'static str = "chat";

    /// The `kind` tag, as stored in the events table.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::StickerCreated { .. } => "sticker.created",
            EventBody::StickerUpdated { .. } => "sticker.updated",
            EventBody::StickerDeleted { .. } => "sticker.deleted",
            EventBody::Chat { .. } => EventBody::CHAT,
            EventBody::BoardRenamed { .. } => "board.renamed",
        }
    }

    /// The body as JSON, to be written once and embedded as it is.
    pub fn to_raw(&self) -> Box<RawValue> {
        // Serializing an event body cannot fail: every map key is a string
        // and no Serialize impl here returns an error.
        serde_json::value::to_raw_value(self).expect("an event body serializes")
    }
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Author {
    pub session: String,
    pub name: String,
}

/// One durable event as it travels (`"type": "event"`) and as the HTTP
/// events endpoint lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    pub at: String,
    pub by: Author,
    pub event: EventBody,
}

impl Event {
    /// This event with its body as `body` (`self.event.to_raw()`).
    pub fn with_body<'a>(&'a self, body: &'a RawValue) -> RawEvent<'a> {
        RawEvent {
            seq: self.seq,
            at: &self.at,
            by: &self.by,
            kind: self.event.kind(),
            event: body,
        }
    }

    /// Its `event` frame.
    pub fn to_frame(&self) -> ByteString {
        ServerMessage::Event(self.with_body(&self.event.to_raw())).to_frame()
    }
}

/// An event whose body is already JSON, as a board sends it: the body is
/// serialized once, for the stored row and for the frame.
#[derive(Debug, Serialize)]
pub struct RawEvent<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub by: &'a Author,
    /// The body's `kind` (which the body carries itself), for the row.
    #[serde(skip)]
    pub kind: &'a str,
    pub event: &'a RawValue,
}

/// A member of a board as others see it.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub session: SessionId,
    pub name: String,
    pub role: Role,
    pub state: Value,
    pub in_call: bool,
}

/// A client's correlation id, echoed in the reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Ref {
    Int(i64),
    Str(String),
}

impl Ref {
    /// Reads the `ref` field of a message: `Ok(None)` when absent or null,
    /// `Err` when it is neither an integer nor a string of ≤ 64 chars.
    pub fn from_field(v: Option<&Value>) -> Result<Option<Ref>, crate::error::Error> {
        let bad = || crate::error::Error::bad("ref must be an integer or a string of at most 64 chars");
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(|i| Some(Ref::Int(i))).ok_or_else(bad),
            Some(Value::String(s)) if s.chars().count() <= 64 => Ok(Some(Ref::Str(s.clone()))),
            Some(_) => Err(bad()),
        }
    }
}

/// Every message a client may send, by its `type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type")]
pub enum ClientMessage {
    #[serde(rename = "sticker.create")]
    StickerCreate {
        sticker: NewSticker,
        #[serde(default)]
        op_id: Option<Uuid>,
    },
    #[serde(rename = "sticker.update")]
    StickerUpdate {
        id: Uuid,
        patch: Patch,
        #[serde(default)]
        if_version: Option<i64>,
        #[serde(default)]
        op_id: Option<Uuid>,
    },
    #[serde(rename = "sticker.delete")]
    StickerDelete {
        id: Uuid,
        #[serde(default)]
        op_id: Option<Uuid>,
    },
    #[serde(rename = "board.rename")]
    BoardRename {
        title: String,
        #[serde(default)]
        op_id: Option<Uuid>,
    },
    #[serde(rename = "chat.send")]
    ChatSend {
        text: String,
        #[serde(default)]
        op_id: Option<Uuid>,
    },
    #[serde(rename = "cursor")]
    Cursor { x: f64, y: f64 },
    /// *(extension)* Where a sticker being dragged is now: ephemeral,
    /// relayed like cursors, never stored; the drop is a `sticker.update`.
    #[serde(rename = "sticker.drag")]
    StickerDrag {
        id: Uuid,
        x: f64,
        y: f64,
        /// Its size while it is being resized.
        #[serde(default)]
        w: Option<f64>,
        #[serde(default)]
        h: Option<f64>,
        /// *(extension)* The other stickers of a selection dragged with it
        /// (at most `DRAG_MORE_MAX`).
        #[serde(default)]
        more: Vec<DragMove>,
    },
    #[serde(rename = "presence.set")]
    PresenceSet { state: Value },
    /// *(extension)* The member's new display name, seen by the others at
    /// once as `presence.updated` (not a leave and a join).
    #[serde(rename = "presence.rename")]
    PresenceRename { name: String },
    #[serde(rename = "signal")]
    Signal {
        to: String,
        #[serde(default)]
        payload: Value,
    },
    #[serde(rename = "call.join")]
    CallJoin {},
    #[serde(rename = "call.leave")]
    CallLeave {},
    #[serde(rename = "ping")]
    Ping {},
}

/// A durable op: the messages that become board events.
#[derive(Debug, Clone)]
pub enum Op {
    CreateSticker(NewSticker),
    UpdateSticker {
        id: Uuid,
        patch: Patch,
        if_version: Option<i64>,
    },
    DeleteSticker(Uuid),
    Rename(String),
    Chat(String),
}

impl Op {
    /// Whether a viewer may send this op (only chat).
    pub fn allowed_for(&self, role: Role) -> bool {
        role == Role::Editor || matches!(self, Op::Chat(_))
    }
}

/// A message split into what the board actor handles.
pub enum Parsed {
    /// A durable op with its optional idempotency key.
    Durable { op: Op, op_id: Option<Uuid> },
    /// Anything else.
    Other(ClientMessage),
}

impl ClientMessage {
    /// Separates durable ops from the ephemeral messages.
    pub fn split(self) -> Parsed {
        let durable = |op, op_id| Parsed::Durable { op, op_id };
        match self {
            ClientMessage::StickerCreate { sticker, op_id } => durable(Op::CreateSticker(sticker), op_id),
            ClientMessage::StickerUpdate {
                id,
                patch,
                if_version,
                op_id,
            } => durable(
                Op::UpdateSticker {
                    id,
                    patch,
                    if_version,
                },
                op_id,
            ),
            ClientMessage::StickerDelete { id, op_id } => durable(Op::DeleteSticker(id), op_id),
            ClientMessage::BoardRename { title, op_id } => durable(Op::Rename(title), op_id),
            ClientMessage::ChatSend { text, op_id } => durable(Op::Chat(text), op_id),
            other => Parsed::Other(other),
        }
    }
}

/// The `error` object of a failed reply or an `error` frame.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub code: &'a str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sticker: Option<&'a Sticker>,
}

impl<'a> From<&'a crate::error::Error> for ErrorBody<'a> {
    fn from(e: &'a crate::error::Error) -> Self {
        let sticker = match e {
            crate::error::Error::Conflict { sticker, .. } => sticker.as_deref(),
            _ => None,
        };
        ErrorBody {
            code: e.code(),
            message: e.public_message(),
            sticker,
        }
    }
}

/// The board's id and title, in the welcome.
#[derive(Debug, Serialize)]
pub struct BoardInfo<'a> {
    pub id: &'a str,
    pub title: &'a str,
}

/// Heartbeat settings, in the welcome.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct HeartbeatInfo {
    pub interval_ms: u64,
    pub timeout_ms: u64,
}

/// The call's state, in the welcome.
#[derive(Debug, Serialize)]
pub struct CallInfo<'a> {
    pub participants: Vec<&'a str>,
    pub max: usize,
    pub ice_servers: &'a Value,
}

/// *(extension)* The limits a client must keep to, in the welcome, so
/// that a page never copies them by hand.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LimitsInfo {
    pub max_text_chars: usize,
    pub max_title_chars: usize,
    pub max_name_chars: usize,
    pub max_stickers: usize,
    pub max_frame_bytes: usize,
    pub rate_per_s: u32,
    pub rate_burst: u32,
}

/// The first frame of every connection.
#[derive(Debug, Serialize)]
pub struct Welcome<'a> {
    pub session: &'a str,
    pub role: Role,
    pub name: &'a str,
    pub board: BoardInfo<'a>,
    pub seq: i64,
    pub recovered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stickers: Option<Vec<&'a Sticker>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<Vec<&'a RawValue>>,
    pub members: Vec<&'a Member>,
    pub heartbeat: HeartbeatInfo,
    pub call: CallInfo<'a>,
    pub limits: LimitsInfo,
}

/// Every message the server sends, by its `type`.
#[derive(Debug, Serialize)]
#[serde(tag = "type")]
pub enum ServerMessage<'a> {
    #[serde(rename = "welcome")]
    Welcome(Welcome<'a>),
    #[serde(rename = "event")]
    Event(RawEvent<'a>),
    #[serde(rename = "reply")]
    Reply {
        #[serde(rename = "ref")]
        reference: Option<&'a Ref>,
        ok: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        seq: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        peers: Option<Vec<&'a str>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<ErrorBody<'a>>,
    },
    #[serde(rename = "error")]
    Error { error: ErrorBody<'a> },
    #[serde(rename = "presence.joined")]
    PresenceJoined { member: &'a Member },
    #[serde(rename = "presence.left")]
    PresenceLeft { session: &'a str },
    #[serde(rename = "presence.updated")]
    PresenceUpdated { member: &'a Member },
    #[serde(rename = "cursor")]
    Cursor { session: &'a str, x: f64, y: f64 },
    #[serde(rename = "sticker.drag")]
    StickerDrag {
        session: &'a str,
        id: Uuid,
        x: f64,
        y: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        w: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        h: Option<f64>,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        more: &'a [DragMove],
    },
    #[serde(rename = "signal")]
    Signal { from: &'a str, payload: &'a Value },
    #[serde(rename = "pong")]
    Pong {
        #[serde(rename = "ref")]
        reference: Option<&'a Ref>,
    },
    #[serde(rename = "call.joined")]
    CallJoined { session: &'a str },
    #[serde(rename = "call.left")]
    CallLeft { session: &'a str },
    /// *(extension)* An admin brought the board back to how it was after
    /// event `to_seq` (at `to_at`); the events that did it (up to `seq`)
    /// came before this frame and changed `changed` stickers.
    #[serde(rename = "board.restored")]
    BoardRestored {
        to_seq: i64,
        to_at: &'a str,
        seq: i64,
        changed: usize,
        by: &'a Author,
    },
}

impl ServerMessage<'_> {
    /// Serializes the message once into a frame that every recipient
    /// shares (cloning a `ByteString` only bumps a reference count).
    pub fn to_frame(&self) -> ByteString {
        // Serializing these types cannot fail: every map key is a string
        // and no Serialize impl here returns an error.
        let text = serde_json::to_string(self).unwrap_or_else(|e| {
            log::error!("serializing a server message failed: {e}");
            String::from(
                "{\"type\":\"error\",\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}",
            )
        });
        ByteString::from(text)
    }

    /// A successful reply carrying the seq of the event it caused.
    pub fn ok(reference: Option<&Ref>, seq: Option<i64>) -> ServerMessage<'_> {
        ServerMessage::Reply {
            reference,
            ok: true,
            seq,
            peers: None,
            error: None,
        }
    }

    /// A failed reply.
    pub fn failed<'a>(reference: Option<&'a Ref>, error: &'a crate::error::Error) -> ServerMessage<'a> {
        ServerMessage::Reply {
            reference,
            ok: false,
            seq: None,
            peers: None,
            error: Some(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every close code has the same number under the same name in the
    /// page's protocol.js (`BoardUnavailable` = `BOARD_UNAVAILABLE`).
    #[test]
    fn close_codes_match_the_pages_names() {
        let js = include_str!("../static/js/protocol.js");
        for code in super::CloseCode::ALL {
            let camel = format!("{code:?}");
            let mut name = String::new();
            for (i, c) in camel.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    name.push('_');
                }
                name.push(c.to_ascii_uppercase());
            }
            let line = format!("{name}: {},", code.code());
            assert!(js.contains(&line), "static/js/protocol.js lacks `{line}`");
        }
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn an_event_frame_embeds_its_body_as_written_once() {
        let body = EventBody::Chat {
            id: Uuid::nil(),
            text: "say \"hi\"\n".into(),
        };
        let raw = body.to_raw();
        assert_eq!(raw.get(), serde_json::to_string(&body).expect("body"));
        let event = Event {
            seq: 7,
            at: "2026-01-01T00:00:00.000Z".into(),
            by: Author {
                session: "s-1".into(),
                name: "Ada".into(),
            },
            event: body,
        };
        let frame: Value = serde_json::from_str(&event.to_frame()).expect("a JSON frame");
        assert_eq!(
            frame,
            json!({
                "type": "event", "seq": 7, "at": "2026-01-01T00:00:00.000Z",
                "by": {"session": "s-1", "name": "Ada"},
                "event": {"kind": "chat", "id": Uuid::nil(), "text": "say \"hi\"\n"},
            })
        );
        let back: Event = serde_json::from_value(frame).expect("an event");
        assert_eq!(back, event);
    }
}
