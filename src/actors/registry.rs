//! The registry of open boards: started once, it starts a Board actor on
//! the first join — on the arbiter (worker thread) of the session that
//! opens it, so that a board and many of its sessions share a thread — and
//! forgets it when the board stops.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::board::{Board, Drain, Unregister};
use super::persister::Persister;
use crate::protocol::CloseCode;
use crate::state::Shared;

/// How long a shutdown lets the boards commit what they admitted: then
/// every board closes its sockets with 1001 whatever is left (ops still
/// waiting for the database were never acknowledged, so nothing promised
/// is lost). The process must exit within 10 s of SIGTERM (§5), and the
/// HTTP server's own grace for the connections comes after (2 s).
const DRAIN_DEADLINE: Duration = Duration::from_secs(7);
/// How long the registry waits for the boards: a little past their
/// deadline, in case one is slow to answer.
const DRAIN_TIMEOUT: Duration = Duration::from_millis(7_500);

/// Every open board, by id.
pub struct Registry {
    shared: Arc<Shared>,
    persister: Persister,
    boards: HashMap<Arc<str>, Addr<Board>>,
}

impl Registry {
    /// An empty registry.
    pub fn new(shared: Arc<Shared>, persister: Persister) -> Self {
        Registry {
            shared,
            persister,
            boards: HashMap::new(),
        }
    }
}

impl Actor for Registry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(Duration::from_secs(1), |act, _| act.shared.sample());
    }
}

/// The board with this id, started (and loading) on `arbiter` if it was
/// not open.
#[derive(Message)]
#[rtype(result = "Addr<Board>")]
pub struct Open {
    pub id: String,
    pub arbiter: ArbiterHandle,
}

impl Handler<Open> for Registry {
    type Result = MessageResult<Open>;

    fn handle(&mut self, m: Open, ctx: &mut Context<Self>) -> Self::Result {
        if let Some(addr) = self.boards.get(m.id.as_str()) {
            if addr.connected() {
                return MessageResult(addr.clone());
            }
        }
        let id: Arc<str> = m.id.into();
        let (shared, persister, registry, board_id) = (
            self.shared.clone(),
            self.persister.clone(),
            ctx.address().recipient(),
            id.clone(),
        );
        let addr = Board::start_in_arbiter(&m.arbiter, move |_| {
            Board::new(board_id, shared, persister, registry)
        });
        self.boards.insert(id, addr.clone());
        MessageResult(addr)
    }
}

/// The board with this id, if it is open.
#[derive(Message)]
#[rtype(result = "Option<Addr<Board>>")]
pub struct Lookup {
    pub id: String,
}

impl Handler<Lookup> for Registry {
    type Result = Option<Addr<Board>>;

    fn handle(&mut self, m: Lookup, _: &mut Context<Self>) -> Self::Result {
        self.boards.get(m.id.as_str()).filter(|a| a.connected()).cloned()
    }
}

impl Handler<Unregister> for Registry {
    type Result = ();

    fn handle(&mut self, m: Unregister, _: &mut Context<Self>) {
        if self.boards.get(&m.id) == Some(&m.addr) {
            self.boards.remove(&m.id);
        }
    }
}

/// Shutdown: every board flushes and closes its sockets.
#[derive(Message)]
#[rtype(result = "()")]
pub struct DrainAll;

impl Handler<DrainAll> for Registry {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: DrainAll, _: &mut Context<Self>) -> Self::Result {
        let deadline = Instant::now() + DRAIN_DEADLINE;
        let drains: Vec<_> = self
            .boards
            .values()
            .map(|b| {
                b.send(Drain {
                    deadline,
                    code: CloseCode::Shutdown,
                })
            })
            .collect();
        Box::pin(async move {
            let all = futures_util::future::join_all(drains);
            if actix::clock::timeout(DRAIN_TIMEOUT, all).await.is_err() {
                log::warn!("boards did not close within {DRAIN_TIMEOUT:?}");
            }
        })
    }
}
