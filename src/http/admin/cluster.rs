//! Scale-out on the admin pages (docs/SCALE-OUT.md): the nodes of the
//! cluster on the overview, and which node owns each open board, under
//! which epoch, on the boards list and a board's page. Postgres only: on
//! SQLite (one node) there is nothing to show.

use std::collections::HashMap;

use crate::db::{leases, DbConnection};
use crate::error::Result;

/// A node as the overview lists it.
#[derive(Debug, Clone)]
pub struct NodeView {
    pub id: String,
    pub address: String,
    /// When it last renewed its leases, in words ("0.4 s ago").
    pub renewed: String,
    /// It has not renewed for longer than a lease lasts: dead or cut off.
    pub stale: bool,
    pub boards: i64,
}

/// The nodes of the cluster; `None` on SQLite.
pub fn nodes(conn: &mut DbConnection, ttl_ms: i64) -> Result<Option<Vec<NodeView>>> {
    if !matches!(conn, DbConnection::Postgres(_)) {
        return Ok(None);
    }
    let nodes = leases::nodes(conn)?
        .into_iter()
        .map(|n| NodeView {
            renewed: format!("{:.1} s ago", n.renewed_ago_ms as f64 / 1000.0),
            stale: n.renewed_ago_ms > ttl_ms,
            id: n.id,
            address: n.address,
            boards: n.boards,
        })
        .collect();
    Ok(Some(nodes))
}

/// Which node owns each of these boards and under which epoch, in words
/// ("n2 · epoch 3"); boards without a lease are left out. Empty on SQLite.
pub fn owners(conn: &mut DbConnection, boards: &[&str]) -> Result<HashMap<String, String>> {
    if !matches!(conn, DbConnection::Postgres(_)) || boards.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(leases::leases_of(conn, boards)?
        .into_iter()
        .map(|l| {
            let expired = if l.expires_in_ms < 0 {
                format!(" (lease expired {:.1} s ago)", -l.expires_in_ms as f64 / 1000.0)
            } else {
                String::new()
            };
            (l.board_id, format!("{} · epoch {}{expired}", l.node_id, l.epoch))
        })
        .collect())
}
