//! Scale-out: what a Board does about its lease (docs/SCALE-OUT.md). It
//! claims the lease when it loads (with the load, `LoadBoard::claim`),
//! tells the node's LeaseKeeper it holds it, and lets it go when it stops.
//! It is fenced — another node took the board and its epoch moved on —
//! when a commit finds the board's row at another epoch or the keeper's
//! renewal misses its lease: it then drops what it had not committed
//! (nothing of it was acknowledged), closes its members with 4005 so that
//! they reconnect through the balancer to the new owner, and stops. It
//! hands the board over (commits what it accepted, then closes with 4005
//! and lets the lease go) when another node asked for it.

use std::time::{Duration, Instant};

use actix::prelude::*;

use super::{Board, Drain};
use crate::actors::lease::{Hold, Unhold};
use crate::db::leases::Claim;
use crate::error::Error;
use crate::protocol::CloseCode;

/// How long a board that found its lease held by another node (or lost
/// it) answers joins with that, before a new actor asks the database
/// again: short, so that a join retried once the board was handed over
/// finds it free.
const MOVED_LINGER: Duration = Duration::from_millis(250);

/// How long a board gone with `err` lingers, if scale-out decides it.
pub(super) fn linger(err: &Error) -> Option<Duration> {
    matches!(err, Error::Moved(_)).then_some(MOVED_LINGER)
}

/// How long a handover lets the board commit what it accepted.
const HANDOVER_DEADLINE: Duration = Duration::from_secs(5);

impl Board {
    /// What the board's load claims: its lease, when this node is one of
    /// a cluster.
    pub(super) fn claim(&self) -> Option<Claim> {
        self.shared.cluster.get().map(|c| Claim {
            node: c.node.to_string(),
            ttl_ms: c.ttl_ms,
        })
    }

    /// Loaded under a lease: the keeper renews it from now on.
    pub(super) fn hold(&mut self, ctx: &mut Context<Self>) {
        if let (Some(cluster), Some(epoch)) = (self.shared.cluster.get(), self.epoch) {
            log::info!("board {}: owned by this node, epoch {epoch}", self.id);
            self.shared.metrics.leases_taken.inc();
            cluster.keeper.do_send(Hold {
                board: self.id.clone(),
                epoch,
                addr: ctx.address(),
            });
        }
    }

    /// Stopped: the lease goes, if it is still this board's.
    pub(super) fn unhold(&mut self) {
        if let (Some(cluster), Some(epoch)) = (self.shared.cluster.get(), self.epoch) {
            cluster.keeper.do_send(Unhold {
                board: self.id.clone(),
                epoch,
            });
        }
    }

    /// Another node took the board: nothing more is committed here.
    pub(super) fn fenced(&mut self, e: Error, ctx: &mut Context<Self>) {
        log::warn!(
            "board {}: fenced ({e}); dropping {} unacknowledged op(s), closing {} member(s) with 4005",
            self.id,
            self.commits.len(),
            self.members.len()
        );
        self.close_all(CloseCode::BoardMoved, super::closing_words(CloseCode::BoardMoved));
        self.commits.clear();
        self.answer_drain_waiters();
        self.gone(e, ctx);
    }
}

/// The keeper's renewal did not find this board's lease at `epoch`:
/// another node took it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct LeaseLost {
    pub epoch: i64,
}

impl Handler<LeaseLost> for Board {
    type Result = ();

    fn handle(&mut self, m: LeaseLost, ctx: &mut Context<Self>) {
        if self.epoch == Some(m.epoch) {
            let e = Error::Moved(format!(
                "node lost the lease of board {} (epoch {})",
                self.id, m.epoch
            ));
            self.fenced(e, ctx);
        }
    }
}

/// Another node asked for the board (the balancer sends its members
/// there): commit what was accepted, close the members with 4005, stop
/// and let the lease go.
#[derive(Message)]
#[rtype(result = "()")]
pub struct HandOver {
    pub epoch: i64,
}

impl Handler<HandOver> for Board {
    type Result = ();

    fn handle(&mut self, m: HandOver, ctx: &mut Context<Self>) {
        if self.epoch == Some(m.epoch) {
            ctx.address().do_send(Drain {
                deadline: Instant::now() + HANDOVER_DEADLINE,
                code: CloseCode::BoardMoved,
            });
        }
    }
}
