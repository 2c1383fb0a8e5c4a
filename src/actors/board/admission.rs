//! Who may open a socket on a board: the token and the member limit,
//! checked before the upgrade (PROTOCOL.md §2: past the limit the upgrade
//! is answered 429).
//!
//! A session joins only after its upgrade is answered, so counting the
//! members alone lets upgrades that arrive together all pass. Each
//! admission therefore holds a place (a reservation) until its session
//! joins. An upgrade refused after its admission (a bad `name` or `since`)
//! never joins: its reservation expires after `RESERVATION_TTL`. Until a
//! reservation has turned into a member or expired, an admission that only
//! reservations stand in the way of waits for them rather than being
//! refused for a place that may be free a moment later.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix::prelude::*;
use tokio::sync::oneshot;

use super::Board;
use crate::error::{Error, Result};
use crate::protocol::Role;

/// How long a reservation may wait for its session. On the way of an
/// admitted upgrade are only the rest of the HTTP handler, the answer and
/// the session's start: a few ms.
const RESERVATION_TTL: Duration = Duration::from_secs(1);

/// The places held for upgrades, and the admissions waiting for them.
#[derive(Default)]
pub(super) struct Admissions {
    /// When each admitted upgrade not yet joined was admitted, oldest first.
    reserved: VecDeque<Instant>,
    /// Admissions undecided while reservations fill the board, in order of
    /// arrival, with the role their token grants.
    waiting: VecDeque<(Role, oneshot::Sender<Result<Role>>)>,
    /// A look at `waiting` is scheduled for when the oldest reservation
    /// expires.
    check_scheduled: bool,
}

impl Admissions {
    fn expire(&mut self) {
        while self
            .reserved
            .front()
            .is_some_and(|t| t.elapsed() >= RESERVATION_TTL)
        {
            self.reserved.pop_front();
        }
    }

    /// A session joined: its place was held since its admission. The
    /// oldest reservation goes, as the newer ones' sessions are likelier
    /// still on their way.
    pub(super) fn joined(&mut self) {
        self.reserved.pop_front();
    }

    /// Nothing is held or waiting (the board may stop).
    pub(super) fn is_idle(&mut self) -> bool {
        self.expire();
        self.reserved.is_empty() && self.waiting.is_empty()
    }
}

impl Board {
    /// Answers the waiting admissions that can be answered now, in order;
    /// if some cannot, looks again when the oldest reservation expires
    /// (joins and leaves look again too).
    pub(super) fn answer_admissions(&mut self, ctx: &mut Context<Self>) {
        let max = self.shared.config.max_members;
        let members = self.members.len();
        let draining = self.draining;
        let a = &mut self.admissions;
        a.expire();
        while let Some((role, _)) = a.waiting.front() {
            let role = *role;
            let answer = if let Some(code) = draining {
                Err(Error::Unavailable(super::closing_words(code).into()))
            } else if members >= max {
                Err(Error::LimitExceeded(format!(
                    "a board admits at most {max} members"
                )))
            } else if members + a.reserved.len() < max {
                Ok(role)
            } else {
                break; // up to the reservations
            };
            let Some((_, tx)) = a.waiting.pop_front() else {
                break;
            };
            let admitted = answer.is_ok();
            if admitted {
                a.reserved.push_back(Instant::now());
            }
            if tx.send(answer).is_err() && admitted {
                a.reserved.pop_back(); // the request is gone
            }
        }
        if a.waiting.is_empty() || a.check_scheduled {
            return;
        }
        let Some(oldest) = a.reserved.front() else {
            return;
        };
        a.check_scheduled = true;
        let wait = RESERVATION_TTL.saturating_sub(oldest.elapsed());
        ctx.run_later(wait, |act, ctx| {
            act.admissions.check_scheduled = false;
            act.answer_admissions(ctx);
        });
    }
}

/// Checks a token and the member limit before an upgrade; answers the role
/// and holds a place for the session until it joins.
#[derive(Message)]
#[rtype(result = "Result<Role>")]
pub struct Admit {
    pub token: String,
}

impl Handler<Admit> for Board {
    type Result = ResponseFuture<Result<Role>>;

    fn handle(&mut self, m: Admit, ctx: &mut Context<Self>) -> Self::Result {
        self.last_activity = Instant::now();
        let checked = self.ready().and_then(|()| {
            let role = self.role_of(&m.token)?;
            if let Some(code) = self.draining {
                return Err(Error::Unavailable(super::closing_words(code).into()));
            }
            let (tx, rx) = oneshot::channel();
            self.admissions.waiting.push_back((role, tx));
            Ok(rx)
        });
        let rx = match checked {
            Ok(rx) => rx,
            Err(e) => return Box::pin(async move { Err(e) }),
        };
        self.answer_admissions(ctx);
        Box::pin(async move {
            rx.await
                .unwrap_or_else(|_| Err(Error::Unavailable("the board stopped".into())))
        })
    }
}
