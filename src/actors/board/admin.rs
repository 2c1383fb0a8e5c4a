//! What the admin pages ask of an open board: its live sessions, kicking
//! one, a rotated token, the board deleted, and ops on an admin's behalf
//! (rename, restore).

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix::prelude::*;
use tokio::sync::oneshot;

use super::{now_rfc3339, Board, Pending};
use crate::board::BoardState;
use crate::error::{Error, Result};
use crate::protocol::{Author, CloseCode, Op, Role, ServerMessage, SessionId};

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
    /// The hash of its member key, if its page sent one (a kick can hold).
    pub member_key: Option<String>,
}

/// The board's live sessions, oldest first.
#[derive(Message)]
#[rtype(result = "Vec<SessionInfo>")]
pub struct ListSessions;

impl Handler<ListSessions> for Board {
    type Result = MessageResult<ListSessions>;

    fn handle(&mut self, _: ListSessions, _: &mut Context<Self>) -> Self::Result {
        let mut out: Vec<SessionInfo> = self
            .members
            .iter()
            .map(|slot| {
                let m = &slot.member;
                let heard_ms = slot.queue.last_heard_ms.load(Ordering::Relaxed);
                let heard = std::time::UNIX_EPOCH + Duration::from_millis(heard_ms);
                SessionInfo {
                    session: m.session.to_string(),
                    name: m.name.clone(),
                    role: m.role,
                    connected_at: slot.joined_at.clone(),
                    last_heard: humantime::format_rfc3339_millis(heard).to_string(),
                    queued_bytes: slot.queue.bytes.load(Ordering::Relaxed),
                    in_call: m.in_call,
                    member_key: slot.key.clone(),
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
        let Some(slot) = self.members.get(m.session.as_str()) else {
            return false;
        };
        slot.reach.close(CloseCode::Kicked, "removed by an admin");
        log::info!("board {}: session {} kicked", self.id, m.session);
        self.remove_member(&m.session, ctx);
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
        match m.role {
            Role::Editor => self.edit_token = m.token,
            Role::Viewer => self.view_token = m.token,
        }
        let revoked: Vec<SessionId> = self
            .members
            .iter()
            .filter(|s| s.member.role == m.role)
            .map(|s| {
                s.reach.close(CloseCode::TokenRotated, "the token was rotated");
                s.member.session.clone()
            })
            .collect();
        for s in revoked {
            self.remove_member(&s, ctx);
        }
    }
}

/// The board is deleted: members are closed with 4004 and the actor stops.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Deleted;

impl Handler<Deleted> for Board {
    type Result = ();

    fn handle(&mut self, _: Deleted, ctx: &mut Context<Self>) {
        self.close_all(CloseCode::BoardDeleted, "the board was deleted");
        self.gone = Some(Error::NotFound("no such board".into()));
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

/// Makes the board equal `target` (a past state) with new forward events;
/// then tells every member (`board.restored`).
#[derive(Message)]
#[rtype(result = "Result<i64>")]
pub struct Restore {
    pub target: BoardState,
    /// The seq whose state `target` is, and that event's time.
    pub to_seq: i64,
    pub to_at: String,
    pub by: Author,
}

impl Board {
    fn admin_ops(&mut self, ops: Vec<Op>, by: Author) -> ResponseActFuture<Self, Result<i64>> {
        let limits = self.shared.limits;
        let result = self.ready().and_then(|()| {
            if ops.is_empty() {
                return Ok(Err(self.committed.seq));
            }
            let (tx, rx) = oneshot::channel();
            let mut tx = Some(tx);
            let n = ops.len();
            for (i, op) in ops.iter().enumerate() {
                let at = now_rfc3339();
                let applied = self.ahead.apply(op, &at, &by.name, &limits)?;
                let mut pending = Pending::new(applied, at, by.clone(), None, Vec::new());
                if i + 1 == n {
                    pending.waiter = tx.take();
                }
                self.commits.push(pending);
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
        if let Err(e) = self.ready() {
            return Box::pin(actix::fut::ready(Err(e)));
        }
        let ops = crate::board::ops_to_reach(&self.ahead, &m.target);
        let changed = crate::board::stickers_changed(&ops);
        let (to_seq, to_at, by) = (m.to_seq, m.to_at, m.by.clone());
        // after its events: a page shows the notice on the restored board
        Box::pin(self.admin_ops(ops, m.by).map(move |res, act, ctx| {
            if let Ok(seq) = res {
                let notice = ServerMessage::BoardRestored {
                    to_seq,
                    to_at: &to_at,
                    seq,
                    changed,
                    by: &by,
                };
                act.broadcast(&notice.to_frame(), None, ctx);
            }
            res
        }))
    }
}
