//! The group commit's SQL: one transaction for the batches of many
//! boards, written once for both backends but for the rows, which Postgres
//! takes as arrays in one statement (`pg_bulk`).

use diesel::prelude::*;

use super::batch::Batch;
use crate::db::queries::{self, EventRow, OpIdRow, StickerRow, ROWS_PER_INSERT};
use crate::db::schema::{boards, events, op_ids, stickers};
use crate::db::DbConnection;
use crate::error::{Error, Result};

/// What a group commit writes into a board's row.
struct Head<'a> {
    board_id: &'a str,
    /// The epoch the row must have (-1: any; a single node).
    epoch: i64,
    seq: i64,
    /// The time of the board's last event.
    at: &'a str,
}

impl<'a> Head<'a> {
    /// None for a batch without events.
    fn of(b: &'a Batch) -> Option<Self> {
        b.events.last().map(|e| Head {
            board_id: &b.board_id,
            epoch: b.epoch.unwrap_or(-1),
            seq: e.seq,
            at: &e.at,
        })
    }
}

/// Commits several boards' batches at once (the group commit): one INSERT
/// of all their events, one of their op_ids, one upsert of the stickers
/// they change, whatever boards are involved, and each board's seq and
/// `updated_at`. Answers the boards whose rows were not written, and why:
/// deleted meanwhile (`NotFound`), or taken by another node, so that this
/// batch's epoch is not the board's any more (`Moved`: the fence of
/// docs/SCALE-OUT.md). The others' rows are written.
///
/// On Postgres all four are one statement, and when no batch deletes a
/// sticker or renames its board that statement is the whole transaction
/// (one round trip, where BEGIN and COMMIT around it made three).
pub fn commit_batches(conn: &mut DbConnection, batches: &[Batch]) -> Result<Vec<(String, Error)>> {
    let changes: Vec<_> = batches.iter().map(Batch::last_changes).collect();
    let only_rows = batches.iter().all(|b| b.title.is_none()) && changes.iter().all(|(_, d)| d.is_empty());
    let missed = match conn {
        DbConnection::Postgres(c) if only_rows => pg_bulk::write_rows(c, batches, &changes)?,
        _ => conn.transaction(|conn| write(conn, batches, &changes))?,
    };
    Ok(missed
        .into_iter()
        .map(|id| {
            let why = deleted_or_fenced(conn, &id);
            (id, why)
        })
        .collect())
}

/// Why a group commit did not update a board's row: `NotFound` if it was
/// deleted, `Moved` if another node took it (the row's epoch changed).
fn deleted_or_fenced(conn: &mut DbConnection, id: &str) -> Error {
    match boards::table
        .find(id)
        .select(boards::epoch)
        .first::<i64>(conn)
        .optional()
    {
        Ok(Some(epoch)) => Error::Moved(format!(
            "board {id} was taken by another node (epoch {epoch}); reconnect"
        )),
        Ok(None) => board_deleted(id),
        Err(e) => e.into(),
    }
}

/// The group commit inside a transaction.
fn write(conn: &mut DbConnection, batches: &[Batch], changes: &[Changes<'_>]) -> Result<Vec<String>> {
    use diesel::upsert::excluded;
    let gone = match conn {
        DbConnection::Postgres(c) => pg_bulk::write_rows(c, batches, changes)?,
        DbConnection::Sqlite(c) => {
            // The logs have no foreign key (one check and row lock per
            // inserted row); instead each board's row is updated first,
            // once per transaction, which also locks it against a
            // concurrent delete_board: a board it does not find was deleted.
            let mut gone = Vec::new();
            for h in batches.iter().filter_map(Head::of) {
                let fenced = boards::epoch
                    .eq(h.epoch)
                    .or((h.epoch < 0).into_sql::<diesel::sql_types::Bool>());
                let n = diesel::update(boards::table.find(h.board_id).filter(fenced))
                    .set((boards::seq.eq(h.seq), boards::updated_at.eq(h.at)))
                    .execute(c)?;
                if n == 0 {
                    gone.push(h.board_id.to_owned());
                }
            }
            let present = |b: &&Batch| !gone.contains(&b.board_id);
            let events: Vec<&EventRow> = batches.iter().filter(present).flat_map(|b| &b.events).collect();
            let op_ids: Vec<&OpIdRow> = batches.iter().filter(present).flat_map(|b| &b.op_ids).collect();
            for chunk in events.chunks(ROWS_PER_INSERT) {
                diesel::insert_into(events::table)
                    .values(chunk.to_vec())
                    .execute(c)?;
            }
            for chunk in op_ids.chunks(ROWS_PER_INSERT) {
                diesel::insert_into(op_ids::table)
                    .values(chunk.to_vec())
                    .execute(c)?;
            }
            // SQLite takes an upsert one row at a time.
            let upserts = batches
                .iter()
                .zip(changes)
                .filter(|(b, _)| present(b))
                .flat_map(|(_, (u, _))| u.iter().copied());
            for row in upserts {
                diesel::insert_into(stickers::table)
                    .values(row)
                    .on_conflict((stickers::board_id, stickers::id))
                    .do_update()
                    .set((
                        stickers::x.eq(excluded(stickers::x)),
                        stickers::y.eq(excluded(stickers::y)),
                        stickers::w.eq(excluded(stickers::w)),
                        stickers::h.eq(excluded(stickers::h)),
                        stickers::z.eq(excluded(stickers::z)),
                        stickers::color.eq(excluded(stickers::color)),
                        stickers::text.eq(excluded(stickers::text)),
                        stickers::version.eq(excluded(stickers::version)),
                        stickers::updated_at.eq(excluded(stickers::updated_at)),
                        stickers::created_by.eq(excluded(stickers::created_by)),
                        stickers::updated_by.eq(excluded(stickers::updated_by)),
                    ))
                    .execute(c)?;
            }
            gone
        }
    };
    for (b, (_, deletes)) in batches.iter().zip(changes) {
        if gone.contains(&b.board_id) {
            continue;
        }
        for chunk in deletes.chunks(ROWS_PER_INSERT) {
            diesel::delete(
                stickers::table.filter(stickers::board_id.eq(&b.board_id).and(stickers::id.eq_any(chunk))),
            )
            .execute(conn)?;
        }
        if let Some(title) = &b.title {
            diesel::update(boards::table.find(&b.board_id))
                .set(boards::title.eq(title))
                .execute(conn)?;
        }
    }
    Ok(gone)
}

/// A batch's stickers' last changes: rows to upsert, ids to delete.
type Changes<'a> = (Vec<&'a StickerRow>, Vec<&'a str>);

/// What a board's batch fails with when the board was deleted.
pub(super) fn board_deleted(id: &str) -> Error {
    Error::NotFound(format!("board {id} was deleted"))
}

/// The rows of a group commit on Postgres: one statement, each column
/// bound as one array and spread into rows by `unnest`. Its text never
/// changes, so it is prepared once per connection, where a multi-row
/// INSERT with a parameter per value (a new statement for every batch
/// size) cost Postgres more than the rows themselves; and it is one round
/// trip where a statement per table was four (docs/PERFORMANCE.md). The
/// columns are those of `schema.rs`.
mod pg_bulk {
    use diesel::pg::{Pg, PgConnection};
    use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
    use diesel::sql_types::{Array, BigInt, Double, Text, Untyped};
    use diesel::{QueryResult, QueryableByName, RunQueryDsl};

    use super::{Batch, Changes, EventRow, Head, OpIdRow, StickerRow};

    /// One column of rows, bound as one array parameter.
    enum Column<'a> {
        Text(Vec<&'a str>),
        Int(Vec<i64>),
        Float(Vec<f64>),
    }

    impl<'a> Column<'a> {
        fn text<R>(rows: &[&'a R], field: impl Fn(&'a R) -> &'a str) -> Self {
            Column::Text(rows.iter().map(|&r| field(r)).collect())
        }

        fn int<R>(rows: &[&'a R], field: impl Fn(&'a R) -> i64) -> Self {
            Column::Int(rows.iter().map(|&r| field(r)).collect())
        }

        fn float<R>(rows: &[&'a R], field: impl Fn(&'a R) -> f64) -> Self {
            Column::Float(rows.iter().map(|&r| field(r)).collect())
        }

        /// `$n::type[]`
        fn walk_ast<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            match self {
                Column::Text(v) => {
                    out.push_bind_param::<Array<Text>, _>(v)?;
                    out.push_sql("::text[]");
                }
                Column::Int(v) => {
                    out.push_bind_param::<Array<BigInt>, _>(v)?;
                    out.push_sql("::int8[]");
                }
                Column::Float(v) => {
                    out.push_bind_param::<Array<Double>, _>(v)?;
                    out.push_sql("::float8[]");
                }
            }
            Ok(())
        }
    }

    /// `unnest($a::type[], $b::type[], ...)`: the columns as rows.
    fn unnest<'b>(columns: &'b [Column<'_>], out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("unnest(");
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            c.walk_ast(out)?;
        }
        out.push_sql(")");
        Ok(())
    }

    /// The rows of `columns` (the first is the board id) whose board was
    /// found: `SELECT r.* FROM unnest(...) AS r(c0, ...) WHERE r.c0 IN
    /// (SELECT id FROM touched)`.
    fn present_rows<'b>(columns: &'b [Column<'_>], out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT r.* FROM ");
        unnest(columns, out)?;
        out.push_sql(" AS r(");
        for i in 0..columns.len() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_sql(&format!("c{i}"));
        }
        out.push_sql(") WHERE r.c0 IN (SELECT id FROM touched)");
        Ok(())
    }

    /// The group commit's statement: sets each board's seq and
    /// `updated_at` (which locks its row against a concurrent delete),
    /// inserts the events and op_ids and upserts the stickers of the
    /// boards it found, all in one statement (one round trip); returns the
    /// boards found. Its text
    /// does not depend on the rows (one array per column), so diesel
    /// prepares it once per connection and Postgres parses and plans it
    /// once.
    struct WriteRows<'a> {
        boards: [Column<'a>; 4],
        events: [Column<'a>; 7],
        op_ids: [Column<'a>; 3],
        stickers: [Column<'a>; 13],
    }

    impl QueryId for WriteRows<'_> {
        type QueryId = WriteRows<'static>;
        const HAS_STATIC_QUERY_ID: bool = true;
    }

    impl Query for WriteRows<'_> {
        type SqlType = Untyped;
    }

    impl RunQueryDsl<PgConnection> for WriteRows<'_> {}

    impl QueryFragment<Pg> for WriteRows<'_> {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            out.push_sql("WITH touched AS (UPDATE boards SET seq = h.seq, updated_at = h.at FROM ");
            unnest(&self.boards, &mut out)?;
            out.push_sql(
                " AS h (id, seq, at, epoch) WHERE boards.id = h.id \
                 AND (h.epoch < 0 OR boards.epoch = h.epoch) RETURNING boards.id), \
                 new_events AS (INSERT INTO events \
                 (board_id, seq, kind, payload, author_session, author_name, at) ",
            );
            present_rows(&self.events, &mut out)?;
            out.push_sql("), new_op_ids AS (INSERT INTO op_ids (board_id, seq, op_id) ");
            present_rows(&self.op_ids, &mut out)?;
            out.push_sql(
                "), new_stickers AS (INSERT INTO stickers \
                 (board_id, id, x, y, w, h, z, color, text, version, updated_at, created_by, \
                 updated_by) ",
            );
            present_rows(&self.stickers, &mut out)?;
            out.push_sql(
                " ON CONFLICT (board_id, id) DO UPDATE SET x = excluded.x, y = excluded.y, \
                 w = excluded.w, h = excluded.h, z = excluded.z, color = excluded.color, \
                 text = excluded.text, version = excluded.version, \
                 updated_at = excluded.updated_at, created_by = excluded.created_by, \
                 updated_by = excluded.updated_by) \
                 SELECT id FROM touched",
            );
            Ok(())
        }
    }

    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Text)]
        id: String,
    }

    /// Runs the group commit's statement (see `WriteRows`). Each sticker at
    /// most once (`Batch::last_changes`): ON
    /// CONFLICT cannot update one row twice in a statement.
    /// Answers the boards not found (deleted): none of their rows were
    /// written.
    pub fn write_rows(
        c: &mut PgConnection,
        batches: &[Batch],
        changes: &[Changes<'_>],
    ) -> QueryResult<Vec<String>> {
        let boards: Vec<Head> = batches.iter().filter_map(Head::of).collect();
        let events: Vec<&EventRow> = batches.iter().flat_map(|b| &b.events).collect();
        let op_ids: Vec<&OpIdRow> = batches.iter().flat_map(|b| &b.op_ids).collect();
        let stickers: Vec<&StickerRow> = changes.iter().flat_map(|(u, _)| u.iter().copied()).collect();
        let (events, op_ids, stickers) = (&events[..], &op_ids[..], &stickers[..]);
        let query = WriteRows {
            boards: [
                Column::Text(boards.iter().map(|h| h.board_id).collect()),
                Column::Int(boards.iter().map(|h| h.seq).collect()),
                Column::Text(boards.iter().map(|h| h.at).collect()),
                Column::Int(boards.iter().map(|h| h.epoch).collect()),
            ],
            events: [
                Column::text(events, |r| &r.board_id),
                Column::int(events, |r| r.seq),
                Column::text(events, |r| &r.kind),
                Column::text(events, |r| &r.payload),
                Column::text(events, |r| &r.author_session),
                Column::text(events, |r| &r.author_name),
                Column::text(events, |r| &r.at),
            ],
            op_ids: [
                Column::text(op_ids, |r| &r.board_id),
                Column::int(op_ids, |r| r.seq),
                Column::text(op_ids, |r| &r.op_id),
            ],
            stickers: [
                Column::text(stickers, |r| &r.board_id),
                Column::text(stickers, |r| &r.id),
                Column::float(stickers, |r| r.x),
                Column::float(stickers, |r| r.y),
                Column::float(stickers, |r| r.w),
                Column::float(stickers, |r| r.h),
                Column::float(stickers, |r| r.z),
                Column::text(stickers, |r| &r.color),
                Column::text(stickers, |r| &r.text),
                Column::int(stickers, |r| r.version),
                Column::text(stickers, |r| &r.updated_at),
                Column::text(stickers, |r| &r.created_by),
                Column::text(stickers, |r| &r.updated_by),
            ],
        };
        let found: Vec<Found> = query.load(c)?;
        Ok(boards
            .iter()
            .filter(|h| !found.iter().any(|f| f.id == h.board_id))
            .map(|h| h.board_id.to_owned())
            .collect())
    }
}

/// After a failed commit: if an earlier attempt did land (its answer was
/// lost with the connection), the board row says how far; else the error.
pub(super) fn committed_before(conn: &mut DbConnection, b: &Batch, e: Error) -> Result<i64> {
    let first = b.events.first().map_or(b.last_seq, |ev| ev.seq);
    // `Moved` when another node took the board: none of it is ours to ack
    match queries::batch_seq(conn, &b.board_id, b.epoch) {
        Ok(seq) if seq >= first => Ok(seq.min(b.last_seq)),
        Err(moved @ Error::Moved(_)) => Err(moved),
        _ => Err(e),
    }
}
