//! Scale-out on Postgres: board leases, their epochs (the fencing tokens)
//! and the nodes (docs/SCALE-OUT.md).
//!
//! A node takes a board's lease when it opens the board and the lease is
//! free, expired or already its own; then, in one transaction, it bumps
//! the epoch on the board's row and loads the board. Every group commit
//! updates the board's row only where the epoch is still the one its node
//! took (`actors::persister::sql::commit_batches`), so a node that lost the board commits
//! nothing. Times are Unix milliseconds of the database's clock, so that
//! the nodes' clocks do not matter. Postgres only: SQLite is single-node.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text};

use super::queries::{self, LoadedBoard};
use super::DbConnection;
use crate::error::{Error, Result};

/// The database's clock, in Unix milliseconds (not the transaction's
/// start: a claim may wait for a row lock).
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::int8";

/// A node that has not renewed for this long (it died without a
/// shutdown) leaves the admin pages' list: shown as stale for an hour,
/// then forgotten.
const FORGET_NODE_MS: i64 = 3_600_000;

/// What a node claims a board with.
#[derive(Debug, Clone)]
pub struct Claim {
    pub node: String,
    pub ttl_ms: i64,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct Epoch {
    #[diesel(sql_type = BigInt)]
    epoch: i64,
}

fn pg(conn: &mut DbConnection) -> Result<&mut PgConnection> {
    match conn {
        DbConnection::Postgres(c) => Ok(c),
        DbConnection::Sqlite(_) => Err(Error::internal("board leases need Postgres")),
    }
}

/// Takes the board's lease, bumps its epoch and loads it. `Ok(None)`: no
/// such board. `Moved`: another node holds a lease that has not expired;
/// that node is asked (`wanted_by`) to hand the board over, since the
/// balancer now sends its members here.
/// The arguments after `claim` are those of `queries::load_board`.
pub fn claim_and_load(
    conn: &mut DbConnection,
    claim: &Claim,
    id: &str,
    recent_events: i64,
    recent_chat: i64,
    recent_op_ids: i64,
) -> Result<Option<LoadedBoard>> {
    let c = pg(conn)?;
    // A statement of its own (committed at once): the lease is taken, or
    // the request to hand it over is recorded, whatever happens next. Its
    // epoch is 0 until the bump below, so that the release of an earlier
    // board actor of this node (at its own epoch) cannot delete it.
    let taken: Vec<Id> = diesel::sql_query(format!(
        "INSERT INTO board_leases (board_id, node_id, epoch, taken_at, expires_at) \
         VALUES ($1, $2, 0, {NOW_MS}, {NOW_MS} + $3) \
         ON CONFLICT (board_id) DO UPDATE SET node_id = excluded.node_id, epoch = 0, \
         taken_at = excluded.taken_at, expires_at = excluded.expires_at, \
         wanted_by = NULL, wanted_at = NULL \
         WHERE board_leases.expires_at < {NOW_MS} OR board_leases.node_id = excluded.node_id \
         RETURNING board_id AS id"
    ))
    .bind::<Text, _>(id)
    .bind::<Text, _>(&claim.node)
    .bind::<BigInt, _>(claim.ttl_ms)
    .load(c)?;
    if taken.is_empty() {
        let owner: Vec<Id> = diesel::sql_query(format!(
            "UPDATE board_leases SET wanted_by = $2, wanted_at = {NOW_MS} \
             WHERE board_id = $1 AND node_id <> $2 RETURNING node_id AS id"
        ))
        .bind::<Text, _>(id)
        .bind::<Text, _>(&claim.node)
        .load(c)?;
        let owner = owner.first().map_or("another node", |o| o.id.as_str());
        return Err(Error::Moved(format!(
            "board {} is open on node {owner}; it moves here in a moment, try again",
            id
        )));
    }
    let loaded = conn.transaction::<_, Error, _>(|conn| {
        // Bumping the epoch updates the board's row: it waits for a commit
        // of the previous owner in flight, and any later commit of that
        // owner finds the new epoch and writes nothing. The load below
        // then sees everything that owner committed.
        let bumped: Vec<Epoch> = diesel::sql_query(
            "WITH bumped AS (UPDATE boards SET epoch = epoch + 1 WHERE id = $1 AND EXISTS \
             (SELECT 1 FROM board_leases WHERE board_id = $1 AND node_id = $2) RETURNING epoch) \
             UPDATE board_leases SET epoch = bumped.epoch FROM bumped \
             WHERE board_leases.board_id = $1 AND board_leases.node_id = $2 \
             RETURNING board_leases.epoch AS epoch",
        )
        .bind::<Text, _>(id)
        .bind::<Text, _>(&claim.node)
        .load(pg(conn)?)?;
        let Some(epoch) = bumped.first().map(|e| e.epoch) else {
            return Ok(None);
        };
        let loaded = queries::load_board(conn, id, recent_events, recent_chat, recent_op_ids)?;
        Ok(loaded.map(|mut b| {
            b.epoch = Some(epoch);
            b
        }))
    })?;
    if loaded.is_some() {
        return Ok(loaded);
    }
    // No such board, or the lease went meanwhile: let it go.
    let c = pg(conn)?;
    diesel::sql_query("DELETE FROM board_leases WHERE board_id = $1 AND node_id = $2")
        .bind::<Text, _>(id)
        .bind::<Text, _>(&claim.node)
        .execute(c)?;
    if super::queries::find_board(conn, id)?.is_some() {
        return Err(Error::Moved(format!(
            "board {} was taken by another node meanwhile; try again",
            id
        )));
    }
    Ok(None)
}

/// A lease as a renewal found it.
#[derive(Debug, QueryableByName)]
pub struct Renewed {
    #[diesel(sql_type = Text)]
    pub board_id: String,
    #[diesel(sql_type = BigInt)]
    pub epoch: i64,
    /// A node that asked for the board within the last TTL.
    #[diesel(sql_type = Nullable<Text>)]
    pub wanted_by: Option<String>,
}

/// This node as the admin pages show it.
#[derive(Debug, Clone)]
pub struct NodeInfo<'a> {
    pub id: &'a str,
    pub address: &'a str,
    /// Unix ms.
    pub started_at: i64,
}

/// Renews every lease this node holds, in one statement, and records the
/// node's renewal. `held` is each board with the epoch this node took it
/// with; the answer lists those still held (the others were lost: another
/// node took them), each with the node that asked for it, if any.
pub fn renew(
    conn: &mut DbConnection,
    node: &NodeInfo,
    ttl_ms: i64,
    held: &[(String, i64)],
) -> Result<Vec<Renewed>> {
    let (ids, epochs): (Vec<&str>, Vec<i64>) = held.iter().map(|(b, e)| (b.as_str(), *e)).unzip();
    Ok(diesel::sql_query(format!(
        "WITH node AS (INSERT INTO nodes (id, address, started_at, renewed_at) \
         VALUES ($1, $2, $3, {NOW_MS}) ON CONFLICT (id) DO UPDATE SET address = excluded.address, \
         started_at = excluded.started_at, renewed_at = excluded.renewed_at), \
         gone AS (DELETE FROM nodes WHERE renewed_at < {NOW_MS} - {FORGET_NODE_MS}) \
         UPDATE board_leases l SET expires_at = {NOW_MS} + $4 \
         FROM unnest($5::text[], $6::int8[]) AS h (id, epoch) \
         WHERE l.board_id = h.id AND l.node_id = $1 AND l.epoch = h.epoch \
         RETURNING l.board_id, l.epoch, \
         CASE WHEN l.wanted_at > {NOW_MS} - $4 THEN l.wanted_by END AS wanted_by"
    ))
    .bind::<Text, _>(node.id)
    .bind::<Text, _>(node.address)
    .bind::<BigInt, _>(node.started_at)
    .bind::<BigInt, _>(ttl_ms)
    .bind::<Array<Text>, _>(ids)
    .bind::<Array<BigInt>, _>(epochs)
    .load(pg(conn)?)?)
}

/// Gives a board's lease up (the board stopped or was handed over), if it
/// is still the one this node took.
pub fn release(conn: &mut DbConnection, node: &str, board: &str, epoch: i64) -> Result<()> {
    diesel::sql_query("DELETE FROM board_leases WHERE board_id = $1 AND node_id = $2 AND epoch = $3")
        .bind::<Text, _>(board)
        .bind::<Text, _>(node)
        .bind::<BigInt, _>(epoch)
        .execute(pg(conn)?)?;
    Ok(())
}

/// Every lease of this node id goes: at start (what a previous process
/// with this id held; it is not running, or this one could not have
/// bound its port) and at the end of a shutdown, with the node's row.
pub fn release_all(conn: &mut DbConnection, node: &str, and_node: bool) -> Result<usize> {
    let c = pg(conn)?;
    let n = diesel::sql_query("DELETE FROM board_leases WHERE node_id = $1")
        .bind::<Text, _>(node)
        .execute(c)?;
    if and_node {
        diesel::sql_query("DELETE FROM nodes WHERE id = $1")
            .bind::<Text, _>(node)
            .execute(c)?;
    }
    Ok(n)
}

/// A node as the admin pages list it.
#[derive(Debug, Clone, QueryableByName)]
pub struct NodeRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub address: String,
    #[diesel(sql_type = BigInt)]
    pub started_at: i64,
    #[diesel(sql_type = BigInt)]
    pub renewed_at: i64,
    /// Milliseconds since its last renewal, by the database's clock.
    #[diesel(sql_type = BigInt)]
    pub renewed_ago_ms: i64,
    /// Leases it holds that have not expired.
    #[diesel(sql_type = BigInt)]
    pub boards: i64,
}

/// Every node that has renewed and not shut down, by id.
pub fn nodes(conn: &mut DbConnection) -> Result<Vec<NodeRow>> {
    Ok(diesel::sql_query(format!(
        "SELECT n.id, n.address, n.started_at, n.renewed_at, {NOW_MS} - n.renewed_at AS renewed_ago_ms, \
         (SELECT count(*) FROM board_leases l WHERE l.node_id = n.id AND l.expires_at > {NOW_MS}) AS boards \
         FROM nodes n ORDER BY n.id"
    ))
    .load(pg(conn)?)?)
}

/// A board's lease as the admin pages show it.
#[derive(Debug, Clone, QueryableByName)]
pub struct LeaseRow {
    #[diesel(sql_type = Text)]
    pub board_id: String,
    #[diesel(sql_type = Text)]
    pub node_id: String,
    #[diesel(sql_type = BigInt)]
    pub epoch: i64,
    /// Milliseconds until it expires (negative: expired).
    #[diesel(sql_type = BigInt)]
    pub expires_in_ms: i64,
}

/// The leases of these boards (those that have one).
pub fn leases_of(conn: &mut DbConnection, boards: &[&str]) -> Result<Vec<LeaseRow>> {
    Ok(diesel::sql_query(format!(
        "SELECT board_id, node_id, epoch, expires_at - {NOW_MS} AS expires_in_ms \
         FROM board_leases WHERE board_id = ANY($1)"
    ))
    .bind::<Array<Text>, _>(boards)
    .load(pg(conn)?)?)
}
