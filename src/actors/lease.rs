//! Scale-out: the LeaseKeeper, one per node on Postgres (docs/SCALE-OUT.md).
//!
//! It knows every board this node holds a lease on (each Board tells it
//! once loaded, `Hold`, and when it stops, `Unhold`), renews all of their
//! leases in one statement every `lease_renew_ms`, and tells a board whose
//! lease another node took (`LeaseLost`: it closes its members, who
//! reconnect through the balancer) or that another node asked for
//! (`HandOver`: the balancer sends its members there now). Its queries
//! run on a `LeaseDb` thread of their own, so a renewal never waits
//! behind the group commits, nor blocks an async thread.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::board::{Board, HandOver, LeaseLost};
use crate::db::leases::{self, NodeInfo, Renewed};
use crate::db::{checkout, Pool};
use crate::error::{Error, Result};
use crate::state::Shared;

/// What the rest of the app needs to know of the cluster.
#[derive(Clone)]
pub struct ClusterHandle {
    pub node: Arc<str>,
    pub ttl_ms: i64,
    pub keeper: Addr<LeaseKeeper>,
}

/// Runs the lease queries on a thread of its own.
pub struct LeaseDb {
    pub pool: Pool,
}

impl Actor for LeaseDb {
    type Context = SyncContext<Self>;
}

/// Renews the leases of `held` (board, epoch) and the node's row.
#[derive(Message)]
#[rtype(result = "Result<Vec<Renewed>>")]
pub struct Renew {
    pub node: Arc<str>,
    pub address: String,
    pub started_at: i64,
    pub ttl_ms: i64,
    pub held: Vec<(String, i64)>,
}

impl Handler<Renew> for LeaseDb {
    type Result = Result<Vec<Renewed>>;

    fn handle(&mut self, m: Renew, _: &mut Self::Context) -> Self::Result {
        let node = NodeInfo {
            id: &m.node,
            address: &m.address,
            started_at: m.started_at,
        };
        leases::renew(&mut *checkout(&self.pool)?, &node, m.ttl_ms, &m.held)
    }
}

/// Gives up one board's lease, if it is still at `epoch`.
#[derive(Message)]
#[rtype(result = "Result<()>")]
pub struct ReleaseLease {
    pub node: Arc<str>,
    pub board: Arc<str>,
    pub epoch: i64,
}

impl Handler<ReleaseLease> for LeaseDb {
    type Result = Result<()>;

    fn handle(&mut self, m: ReleaseLease, _: &mut Self::Context) -> Self::Result {
        leases::release(&mut *checkout(&self.pool)?, &m.node, &m.board, m.epoch)
    }
}

/// Gives up every lease of the node (and, at shutdown, its row).
#[derive(Message)]
#[rtype(result = "Result<usize>")]
pub struct ReleaseAll {
    pub node: Arc<str>,
    pub and_node: bool,
}

impl Handler<ReleaseAll> for LeaseDb {
    type Result = Result<usize>;

    fn handle(&mut self, m: ReleaseAll, _: &mut Self::Context) -> Self::Result {
        leases::release_all(&mut *checkout(&self.pool)?, &m.node, m.and_node)
    }
}

/// A board this node holds.
struct Held {
    epoch: i64,
    board: Addr<Board>,
    since: Instant,
    /// `HandOver` was sent: it is on its way out.
    handing_over: bool,
}

/// Renews this node's leases and tells boards that lost theirs.
pub struct LeaseKeeper {
    shared: Arc<Shared>,
    node: Arc<str>,
    address: String,
    started_at: i64,
    ttl_ms: i64,
    renew: Duration,
    db: Addr<LeaseDb>,
    held: HashMap<Arc<str>, Held>,
    renewing: bool,
    /// The renewals are failing (logged once per outage).
    failing: bool,
}

impl LeaseKeeper {
    /// A keeper for node `node`, renewing through `db`.
    pub fn new(shared: Arc<Shared>, node: Arc<str>, address: String, db: Addr<LeaseDb>) -> Self {
        let cluster = &shared.config.cluster;
        let (ttl_ms, renew) = (
            cluster.lease_ttl_ms as i64,
            Duration::from_millis(cluster.lease_renew_ms),
        );
        LeaseKeeper {
            node,
            address,
            started_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            ttl_ms,
            renew,
            db,
            held: HashMap::new(),
            renewing: false,
            failing: false,
            shared,
        }
    }

    /// A board is handed over only after it has been here this long, so
    /// that two nodes that both get its members (a balancer being
    /// reconfigured) do not pass it back and forth faster than that.
    fn min_hold(&self) -> Duration {
        self.renew * 2
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        if self.renewing {
            return; // the last one is still running: no pile-up
        }
        self.renewing = true;
        let held: Vec<(String, i64)> = self.held.iter().map(|(b, h)| (b.to_string(), h.epoch)).collect();
        let renew = self.db.send(Renew {
            node: self.node.clone(),
            address: self.address.clone(),
            started_at: self.started_at,
            ttl_ms: self.ttl_ms,
            held: held.clone(),
        });
        ctx.spawn(renew.into_actor(self).map(move |res, act, _| {
            act.renewing = false;
            let res = res.unwrap_or_else(|e| Err(Error::internal(format!("lease thread gone: {e}"))));
            match res {
                Ok(rows) => {
                    if std::mem::take(&mut act.failing) {
                        log::info!("lease renewals resumed");
                    }
                    act.renewed(held, rows);
                }
                Err(e) => {
                    // The commits stay fenced by the epoch whatever happens
                    // here: a board that lost its lease meanwhile finds out
                    // at its next commit.
                    if !std::mem::replace(&mut act.failing, true) {
                        e.log();
                        log::warn!("cannot renew the leases of node {}", act.node);
                    }
                }
            }
        }));
    }

    /// Compares what was renewed with what was sent.
    fn renewed(&mut self, sent: Vec<(String, i64)>, rows: Vec<Renewed>) {
        let still: HashMap<&str, &Renewed> = rows.iter().map(|r| (r.board_id.as_str(), r)).collect();
        let min_hold = self.min_hold();
        for (board, epoch) in sent {
            let Some(held) = self.held.get_mut(board.as_str()) else {
                continue; // stopped meanwhile
            };
            if held.epoch != epoch {
                continue; // reopened meanwhile
            }
            match still.get(board.as_str()) {
                Some(r) if r.epoch == epoch => {
                    let wanted = r.wanted_by.as_deref().is_some_and(|n| n != &*self.node);
                    if wanted && !held.handing_over && held.since.elapsed() >= min_hold {
                        held.handing_over = true;
                        log::info!(
                            "board {board}: node {} asked for it; handing it over",
                            r.wanted_by.as_deref().unwrap_or_default()
                        );
                        self.shared.metrics.handoffs.inc();
                        held.board.do_send(HandOver { epoch });
                    }
                }
                _ => {
                    log::warn!("board {board}: another node took its lease (epoch {epoch} superseded)");
                    held.board.do_send(LeaseLost { epoch });
                    self.shared.metrics.leases_lost.inc();
                    self.held.remove(board.as_str());
                }
            }
        }
        self.shared.metrics.boards_owned.set(self.held.len() as i64);
    }
}

impl Actor for LeaseKeeper {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // at once, so that the node's row is there from the start
        self.tick(ctx);
        ctx.run_interval(self.renew, |act, ctx| act.tick(ctx));
    }
}

/// A board loaded under a lease taken with `epoch`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Hold {
    pub board: Arc<str>,
    pub epoch: i64,
    pub addr: Addr<Board>,
}

impl Handler<Hold> for LeaseKeeper {
    type Result = ();

    fn handle(&mut self, m: Hold, _: &mut Context<Self>) {
        let held = Held {
            epoch: m.epoch,
            board: m.addr,
            since: Instant::now(),
            handing_over: false,
        };
        self.held.insert(m.board, held);
        self.shared.metrics.boards_owned.set(self.held.len() as i64);
    }
}

/// A board stopped: its lease goes (if it is still the one at `epoch`), so
/// that another node may take the board at once.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unhold {
    pub board: Arc<str>,
    pub epoch: i64,
}

impl Handler<Unhold> for LeaseKeeper {
    type Result = ();

    fn handle(&mut self, m: Unhold, ctx: &mut Context<Self>) {
        if self.held.get(&m.board).is_some_and(|h| h.epoch == m.epoch) {
            self.held.remove(&m.board);
        }
        self.shared.metrics.boards_owned.set(self.held.len() as i64);
        let release = self.db.send(ReleaseLease {
            node: self.node.clone(),
            board: m.board.clone(),
            epoch: m.epoch,
        });
        ctx.spawn(release.into_actor(self).map(move |res, _, _| {
            // Not released: the lease expires by itself after its TTL.
            if let Ok(Err(e)) = res {
                e.log();
                log::warn!("board {}: its lease was not released", m.board);
            }
        }));
    }
}

/// Shutdown, after the boards have stopped: every lease of this node goes,
/// and its row, so that the other nodes take its boards at once.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Leave;

impl Handler<Leave> for LeaseKeeper {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: Leave, _: &mut Context<Self>) -> Self::Result {
        self.held.clear();
        self.shared.metrics.boards_owned.set(0);
        let release = self.db.send(ReleaseAll {
            node: self.node.clone(),
            and_node: true,
        });
        Box::pin(async move {
            match release.await {
                Ok(Ok(n)) => log::info!("released {n} board lease(s)"),
                Ok(Err(e)) => e.log(),
                Err(e) => log::warn!("lease thread gone: {e}"),
            }
        })
    }
}

/// The default node id: this machine's host name and the port.
pub fn default_node_id(port: u16) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{port}")
}
