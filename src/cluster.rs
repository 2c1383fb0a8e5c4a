//! Scale-out at start (docs/SCALE-OUT.md): on Postgres this process joins
//! the cluster as one node (its id, its lease keeper); on SQLite it makes
//! sure it is the only process on the file.

use std::sync::Arc;

use actix::prelude::*;
use actix_web::web;

use crate::actors::lease::{default_node_id, ClusterHandle, LeaseDb, LeaseKeeper};
use crate::db::{checkout, leases, Pool};
use crate::state::Shared;

/// SQLite is single-node: an exclusive lock on `PATH.lock`, held for the
/// life of the process (the kernel drops it when the process dies, even
/// by kill -9), refuses a second process on the same file with a clear
/// message. `None` when the lock file cannot be made (then opening the
/// database fails with SQLite's own message) or for `:memory:`.
pub fn lock_sqlite(path: &str) -> Result<Option<std::fs::File>, String> {
    if path.is_empty() || path == ":memory:" {
        return Ok(None);
    }
    let lock_path = format!("{path}.lock");
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
    else {
        return Ok(None);
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another corkboard process is using {path}: SQLite is single-node (one process per \
             file); run several nodes on Postgres (docs/SCALE-OUT.md)"
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {lock_path}: {e}")),
    }
}

/// Joins the cluster as one node: its id (given, or HOST:PORT), the leases
/// a previous process with this id left behind released, and its lease
/// keeper started.
pub async fn join(shared: &Arc<Shared>, pool: &Pool, port: u16) -> Result<(), String> {
    let config = &shared.config.cluster;
    let node: Arc<str> = config
        .node_id
        .clone()
        .unwrap_or_else(|| default_node_id(port))
        .into();
    let address = config.node_address.clone().unwrap_or_else(|| {
        let host = shared.config.bind.rsplit_once(':').map_or("", |(h, _)| h);
        format!("{host}:{port}")
    });
    let (p, n) = (pool.clone(), node.clone());
    let released = web::block(move || leases::release_all(&mut *checkout(&p)?, &n, false))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot reach the board leases: {e}"))?;
    if released > 0 {
        log::info!("released {released} lease(s) left by an earlier process of node {node}");
    }
    let db = {
        let pool = pool.clone();
        SyncArbiter::start(1, move || LeaseDb { pool: pool.clone() })
    };
    let keeper = LeaseKeeper::new(shared.clone(), node.clone(), address.clone(), db).start();
    let handle = ClusterHandle {
        node: node.clone(),
        ttl_ms: config.lease_ttl_ms as i64,
        keeper,
    };
    if shared.cluster.set(handle).is_err() {
        return Err("the cluster was joined twice".into());
    }
    log::info!(
        "node {node} ({address}) of a cluster: board leases of {} ms, renewed every {} ms",
        config.lease_ttl_ms,
        config.lease_renew_ms
    );
    Ok(())
}
