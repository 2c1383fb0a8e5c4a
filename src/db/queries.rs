//! Every query corkboard runs, written once for both backends but for the
//! group commit's inserts, which Postgres takes as arrays (`pg_bulk`).

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::{admin_sessions, admins, board_bans, boards, events, op_ids, stickers};
use super::DbConnection;
use crate::error::{Error, Result};
use crate::protocol::{Author, Event, EventBody, RawEvent, Sticker};

/// Rows per multi-row INSERT (SQLite allows 32766 bound parameters).
const ROWS_PER_INSERT: usize = 500;

/// Runs the same statement on the concrete connection, for what diesel's
/// `MultiConnection` does not build (multi-row INSERTs); the statement is
/// still written once.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $statement:expr) => {
        match $conn {
            DbConnection::Postgres($c) => $statement,
            DbConnection::Sqlite($c) => $statement,
        }
    };
}

/// A board's row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = boards)]
pub struct BoardRow {
    pub id: String,
    pub title: String,
    /// The title at creation, where folding the log starts.
    pub initial_title: String,
    pub edit_token: String,
    pub view_token: String,
    pub created_at: String,
    /// The seq of its last event (0 when none).
    pub seq: i64,
    /// When its last event happened, or its creation.
    pub updated_at: String,
}

/// One stored event.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub board_id: String,
    pub seq: i64,
    pub kind: String,
    pub payload: String,
    pub author_session: String,
    pub author_name: String,
    pub at: String,
}

impl EventRow {
    /// The row of an event of a board; its payload is the body as it is.
    pub fn new(board_id: &str, event: &RawEvent) -> Self {
        EventRow {
            board_id: board_id.to_owned(),
            seq: event.seq,
            kind: event.kind.to_owned(),
            payload: event.event.get().to_owned(),
            author_session: event.by.session.clone(),
            author_name: event.by.name.clone(),
            at: event.at.to_owned(),
        }
    }

    /// The event as clients see it.
    pub fn into_event(self) -> Result<Event> {
        let event: EventBody = serde_json::from_str(&self.payload)
            .map_err(|e| Error::internal(format!("stored event {} is unreadable: {e}", self.seq)))?;
        Ok(Event {
            seq: self.seq,
            at: self.at,
            by: Author {
                session: self.author_session,
                name: self.author_name,
            },
            event,
        })
    }
}

/// A sticker's current state.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = stickers)]
pub struct StickerRow {
    pub board_id: String,
    pub id: String,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub z: f64,
    pub color: String,
    pub text: String,
    pub version: i64,
    pub updated_at: String,
}

impl StickerRow {
    /// The row of a sticker of a board.
    pub fn new(board_id: &str, s: &Sticker) -> Self {
        StickerRow {
            board_id: board_id.to_owned(),
            id: s.id.to_string(),
            x: s.x,
            y: s.y,
            w: s.w,
            h: s.h,
            z: s.z,
            color: s.color.clone(),
            text: s.text.clone(),
            version: s.version,
            updated_at: s.updated_at.clone(),
        }
    }

    fn into_sticker(self) -> Result<Sticker> {
        Ok(Sticker {
            id: self
                .id
                .parse()
                .map_err(|e| Error::internal(format!("stored sticker id {}: {e}", self.id)))?,
            x: self.x,
            y: self.y,
            w: self.w,
            h: self.h,
            z: self.z,
            color: self.color,
            text: self.text,
            version: self.version,
            updated_at: self.updated_at,
        })
    }
}

/// An applied op_id and the seq it got.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = op_ids)]
pub struct OpIdRow {
    pub board_id: String,
    pub seq: i64,
    pub op_id: String,
}

/// Everything one board commits in one group commit.
#[derive(Debug, Clone, Default)]
pub struct BoardBatch {
    pub board_id: String,
    /// Scale-out: the board's epoch as its node took it. The commit writes
    /// nothing unless the board's row still has it (`Error::Moved`);
    /// `None` on a single node.
    pub epoch: Option<i64>,
    /// The seq of the last event: the board's seq after the commit.
    pub last_seq: i64,
    /// The new title, when the batch renames the board.
    pub title: Option<String>,
    pub events: Vec<EventRow>,
    pub op_ids: Vec<OpIdRow>,
    /// Stickers as they are after the batch.
    pub upserts: Vec<StickerRow>,
    /// Stickers the batch deletes.
    pub deletes: Vec<String>,
}

/// What a group commit writes into a board's row.
struct Head<'a> {
    board_id: &'a str,
    /// The epoch the row must have (-1: any).
    epoch: i64,
    seq: i64,
    /// The time of the board's last event.
    at: &'a str,
}

impl BoardBatch {
    /// The board's row after the batch; none for a batch without events.
    fn head(&self) -> Option<Head<'_>> {
        self.events.last().map(|e| Head {
            board_id: &self.board_id,
            epoch: self.epoch.unwrap_or(-1),
            seq: e.seq,
            at: &e.at,
        })
    }

    /// Sets the sticker rows from changes in the order they were made
    /// (`Some(row)` upserts, `None` deletes): only each sticker's last
    /// change is kept, since one multi-row upsert may touch a row once.
    fn set_sticker_changes(&mut self, changes: impl IntoIterator<Item = (String, Option<StickerRow>)>) {
        let mut last: HashMap<String, Option<StickerRow>> = HashMap::new();
        let mut order = Vec::new();
        for (id, change) in changes {
            if last.insert(id.clone(), change).is_none() {
                order.push(id);
            }
        }
        for id in order {
            match last.remove(&id) {
                Some(Some(row)) => self.upserts.push(row),
                Some(None) => self.deletes.push(id),
                None => {}
            }
        }
    }
}

/// A board's rows as its ops are accepted, until a transaction takes them:
/// events and op_ids in seq order, sticker changes in the order they were
/// made (`None`: deleted), the latest title.
#[derive(Debug, Default)]
pub struct Rows {
    pub events: Vec<EventRow>,
    pub op_ids: Vec<OpIdRow>,
    pub stickers: Vec<(String, Option<StickerRow>)>,
    pub title: Option<String>,
    /// The seq of the last event.
    pub last_seq: i64,
}

impl Rows {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Adds later rows of the same board.
    pub fn append(&mut self, mut later: Rows) {
        self.events.append(&mut later.events);
        self.op_ids.append(&mut later.op_ids);
        self.stickers.append(&mut later.stickers);
        self.title = later.title.or(self.title.take());
        self.last_seq = later.last_seq;
    }

    /// The batch that commits them: every event and op_id, and each
    /// sticker's last change.
    pub fn into_batch(self, board_id: &str) -> BoardBatch {
        let mut batch = BoardBatch {
            board_id: board_id.to_owned(),
            last_seq: self.last_seq,
            title: self.title,
            events: self.events,
            op_ids: self.op_ids,
            ..BoardBatch::default()
        };
        batch.set_sticker_changes(self.stickers);
        batch
    }
}

/// A board as it is loaded into its actor.
#[derive(Debug)]
pub struct LoadedBoard {
    pub row: BoardRow,
    pub seq: i64,
    pub stickers: Vec<Sticker>,
    /// The most recent events, oldest first.
    pub recent: Vec<Event>,
    /// The most recent chat events, oldest first.
    pub chat: Vec<Event>,
    /// op_ids of the most recent ops, with their seqs.
    pub op_ids: Vec<(String, i64)>,
    /// Scale-out: the epoch this node took the board with (None: single
    /// node).
    pub epoch: Option<i64>,
}

/// Inserts a new board.
pub fn create_board(conn: &mut DbConnection, row: &BoardRow) -> Result<()> {
    diesel::insert_into(boards::table).values(row).execute(conn)?;
    Ok(())
}

/// A board's row, if it exists.
pub fn find_board(conn: &mut DbConnection, id: &str) -> Result<Option<BoardRow>> {
    Ok(boards::table
        .find(id)
        .select(BoardRow::as_select())
        .first(conn)
        .optional()?)
}

/// A board's row; `NotFound` when there is no such board.
pub fn board_row(conn: &mut DbConnection, id: &str) -> Result<BoardRow> {
    find_board(conn, id)?.ok_or_else(|| Error::NotFound("no such board".into()))
}

/// A board's stickers.
pub fn stickers_of(conn: &mut DbConnection, id: &str) -> Result<Vec<Sticker>> {
    stickers::table
        .filter(stickers::board_id.eq(id))
        .select(StickerRow::as_select())
        .load(conn)?
        .into_iter()
        .map(StickerRow::into_sticker)
        .collect()
}

/// A board's row and its stickers as of one commit: read in one
/// transaction that sees a single snapshot (Postgres' default isolation
/// would give each statement its own).
pub fn board_snapshot(conn: &mut DbConnection, id: &str) -> Result<(BoardRow, Vec<Sticker>)> {
    let postgres = matches!(conn, DbConnection::Postgres(_));
    conn.transaction(|conn| {
        if postgres {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(conn)?;
        }
        let row = board_row(conn, id)?;
        let stickers = stickers_of(conn, id)?;
        Ok((row, stickers))
    })
}

/// Events with seq > `after`, oldest first, at most `limit`.
pub fn events_after(conn: &mut DbConnection, id: &str, after: i64, limit: i64) -> Result<Vec<Event>> {
    events::table
        .filter(events::board_id.eq(id).and(events::seq.gt(after)))
        .order(events::seq.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(EventRow::into_event)
        .collect()
}

/// The last `n` events (of one kind, if given), oldest first.
fn last_events(conn: &mut DbConnection, id: &str, kind: Option<&str>, n: i64) -> Result<Vec<Event>> {
    let mut query = events::table
        .filter(events::board_id.eq(id))
        .order(events::seq.desc())
        .limit(n)
        .select(EventRow::as_select())
        .into_boxed();
    if let Some(kind) = kind {
        query = query.filter(events::kind.eq(kind.to_owned()));
    }
    let mut rows = query.load(conn)?;
    rows.reverse();
    rows.into_iter().map(EventRow::into_event).collect()
}

/// Everything a Board actor starts from: the state, the recent log, the
/// recent chat and the recent op_ids, read in one transaction.
pub fn load_board(
    conn: &mut DbConnection,
    id: &str,
    recent_events: i64,
    recent_chat: i64,
    recent_op_ids: i64,
) -> Result<Option<LoadedBoard>> {
    conn.transaction(|conn| {
        let Some(row) = find_board(conn, id)? else {
            return Ok(None);
        };
        let seq = row.seq;
        let stickers = stickers_of(conn, id)?;
        let recent = last_events(conn, id, None, recent_events)?;
        let chat = last_events(conn, id, Some(EventBody::CHAT), recent_chat)?;
        let op_ids = op_ids::table
            .filter(op_ids::board_id.eq(id))
            .order(op_ids::seq.desc())
            .limit(recent_op_ids)
            .select((op_ids::op_id, op_ids::seq))
            .load::<(String, i64)>(conn)?;
        Ok(Some(LoadedBoard {
            row,
            seq,
            stickers,
            recent,
            chat,
            op_ids,
            epoch: None,
        }))
    })
}

/// A board's committed seq: the seq of its last event (0 when none or
/// when there is no such board).
pub fn board_seq(conn: &mut DbConnection, id: &str) -> Result<i64> {
    Ok(boards::table
        .find(id)
        .select(boards::seq)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// After a failed commit of `batch`: the board's committed seq, to tell
/// whether an earlier attempt landed. `Moved` when the board's epoch is no
/// longer the batch's: then another node may have written those seqs, and
/// none of them is this node's to acknowledge.
pub fn batch_seq(conn: &mut DbConnection, batch: &BoardBatch) -> Result<i64> {
    let row = boards::table
        .find(&batch.board_id)
        .select((boards::seq, boards::epoch))
        .first::<(i64, i64)>(conn)
        .optional()?;
    match (row, batch.epoch) {
        (Some((_, now)), Some(ours)) if now != ours => Err(Error::Moved(format!(
            "board {} was taken by another node (epoch {now}); reconnect",
            batch.board_id
        ))),
        (row, _) => Ok(row.map_or(0, |(seq, _)| seq)),
    }
}

/// Commits several boards' batches in one transaction (the group commit):
/// one INSERT of all their events, one of their op_ids, one upsert of the
/// stickers they change, whatever boards are involved, and each board's
/// seq and `updated_at` (on Postgres all four are one statement).
pub fn commit_batches(conn: &mut DbConnection, batches: &[BoardBatch]) -> Result<()> {
    use diesel::upsert::excluded;
    conn.transaction(|conn| {
        // The logs have no foreign key (one check and row lock per inserted
        // row); instead each board's row is updated first, once per
        // transaction, which also locks it against a concurrent
        // delete_board: a board it does not find was deleted.
        let heads: Vec<Head> = batches.iter().filter_map(BoardBatch::head).collect();
        let events: Vec<&EventRow> = batches.iter().flat_map(|b| &b.events).collect();
        let op_ids: Vec<&OpIdRow> = batches.iter().flat_map(|b| &b.op_ids).collect();
        let upserts: Vec<&StickerRow> = batches.iter().flat_map(|b| &b.upserts).collect();
        let missing = match conn {
            DbConnection::Postgres(c) => {
                // One statement, one round trip; if a board is gone (or
                // fenced), the error rolls the transaction back.
                let present = pg_bulk::write_rows(c, &heads, &events, &op_ids, &upserts)?;
                let ids: Vec<&str> = heads.iter().map(|h| h.board_id).collect();
                first_missing(&ids, &present.into_iter().collect())
            }
            DbConnection::Sqlite(c) => 'sqlite: {
                for h in &heads {
                    let n = diesel::update(
                        boards::table.find(h.board_id).filter(
                            boards::epoch
                                .eq(h.epoch)
                                .or((h.epoch < 0).into_sql::<diesel::sql_types::Bool>()),
                        ),
                    )
                    .set((boards::seq.eq(h.seq), boards::updated_at.eq(h.at)))
                    .execute(c)?;
                    if n == 0 {
                        break 'sqlite Some(h.board_id.to_owned());
                    }
                }
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
                        ))
                        .execute(c)?;
                }
                None
            }
        };
        if let Some(id) = missing {
            return Err(deleted_or_fenced(conn, &id));
        }
        for b in batches {
            for chunk in b.deletes.chunks(ROWS_PER_INSERT) {
                diesel::delete(
                    stickers::table
                        .filter(stickers::board_id.eq(&b.board_id).and(stickers::id.eq_any(chunk))),
                )
                .execute(conn)?;
            }
            if let Some(title) = &b.title {
                diesel::update(boards::table.find(&b.board_id))
                    .set(boards::title.eq(title))
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}

/// The first of the boards `ids` that is not in `present`.
fn first_missing(ids: &[&str], present: &std::collections::HashSet<String>) -> Option<String> {
    ids.iter()
        .find(|id| !present.contains(**id))
        .map(|id| (*id).to_owned())
}

/// Why a group commit did not update a board's row: `NotFound` if it was
/// deleted, `Moved` if another node took it (the row's epoch changed).
/// The transaction is then rolled back: nothing of it is written.
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

/// What a group commit naming a deleted board fails with.
fn board_deleted(id: &str) -> Error {
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

    use super::{EventRow, Head, OpIdRow, StickerRow};

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

    /// The group commit's statement: sets each board's seq and
    /// `updated_at` (which locks its row against a concurrent delete),
    /// inserts the events and op_ids and upserts the stickers, all in one
    /// statement (one round trip); returns the boards that exist. Its text
    /// does not depend on the rows (one array per column), so diesel
    /// prepares it once per connection and Postgres parses and plans it
    /// once.
    struct WriteRows<'a> {
        boards: [Column<'a>; 4],
        events: [Column<'a>; 7],
        op_ids: [Column<'a>; 3],
        stickers: [Column<'a>; 11],
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
                 (board_id, seq, kind, payload, author_session, author_name, at) SELECT * FROM ",
            );
            unnest(&self.events, &mut out)?;
            out.push_sql("), new_op_ids AS (INSERT INTO op_ids (board_id, seq, op_id) SELECT * FROM ");
            unnest(&self.op_ids, &mut out)?;
            out.push_sql(
                "), new_stickers AS (INSERT INTO stickers \
                 (board_id, id, x, y, w, h, z, color, text, version, updated_at) SELECT * FROM ",
            );
            unnest(&self.stickers, &mut out)?;
            out.push_sql(
                " ON CONFLICT (board_id, id) DO UPDATE SET x = excluded.x, y = excluded.y, \
                 w = excluded.w, h = excluded.h, z = excluded.z, color = excluded.color, \
                 text = excluded.text, version = excluded.version, \
                 updated_at = excluded.updated_at) \
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
    /// most once (`BoardBatch` keeps each sticker's last change): ON
    /// CONFLICT cannot update one row twice in a statement.
    pub fn write_rows(
        c: &mut PgConnection,
        boards: &[Head],
        events: &[&EventRow],
        op_ids: &[&OpIdRow],
        stickers: &[&StickerRow],
    ) -> QueryResult<Vec<String>> {
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
            ],
        };
        let found: Vec<Found> = query.load(c)?;
        Ok(found.into_iter().map(|f| f.id).collect())
    }
}

/// Whether the database answers.
pub fn ping(conn: &mut DbConnection) -> Result<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

// ------------------------------------------------------------------ admin

/// An admin account.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = admins)]
pub struct AdminRow {
    pub username: String,
    pub password_hash: String,
    pub created_at: String,
}

/// Adds an admin; a taken name is `Conflict`.
pub fn create_admin(conn: &mut DbConnection, row: &AdminRow) -> Result<()> {
    if find_admin(conn, &row.username)?.is_some() {
        return Err(Error::Conflict {
            message: format!("admin {} exists", row.username),
            sticker: None,
        });
    }
    diesel::insert_into(admins::table).values(row).execute(conn)?;
    Ok(())
}

/// An admin by name.
pub fn find_admin(conn: &mut DbConnection, username: &str) -> Result<Option<AdminRow>> {
    Ok(admins::table
        .find(username)
        .select(AdminRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every admin, by name.
pub fn list_admins(conn: &mut DbConnection) -> Result<Vec<AdminRow>> {
    Ok(admins::table
        .order(admins::username.asc())
        .select(AdminRow::as_select())
        .load(conn)?)
}

/// Removes an admin and ends its sessions; whether it existed.
pub fn delete_admin(conn: &mut DbConnection, username: &str) -> Result<bool> {
    conn.transaction(|conn| {
        diesel::delete(admin_sessions::table.filter(admin_sessions::admin.eq(username))).execute(conn)?;
        Ok(diesel::delete(admins::table.find(username)).execute(conn)? > 0)
    })
}

/// A signed-in admin's session, kept on the server.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = admin_sessions)]
pub struct AdminSessionRow {
    /// The SHA-256 of the cookie's key, hex.
    pub key_hash: String,
    /// The admin it belongs to ("" before login).
    pub admin: String,
    /// The session's values, as JSON.
    pub state: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; later requests move it (the idle timeout).
    pub expires_at: i64,
}

/// An admin session by key hash, if it has not expired at `now`.
pub fn find_admin_session(
    conn: &mut DbConnection,
    key_hash: &str,
    now: i64,
) -> Result<Option<AdminSessionRow>> {
    Ok(admin_sessions::table
        .find(key_hash)
        .filter(admin_sessions::expires_at.gt(now))
        .select(AdminSessionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Stores a new admin session (and drops the expired ones).
pub fn insert_admin_session(conn: &mut DbConnection, row: &AdminSessionRow) -> Result<()> {
    diesel::delete(admin_sessions::table.filter(admin_sessions::expires_at.le(row.created_at)))
        .execute(conn)?;
    diesel::insert_into(admin_sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Replaces a live session's values and expiry; whether it was live.
pub fn update_admin_session(
    conn: &mut DbConnection,
    key_hash: &str,
    values: Option<(&str, &str)>,
    expires_at: i64,
    now: i64,
) -> Result<bool> {
    let live = admin_sessions::table
        .filter(admin_sessions::key_hash.eq(key_hash))
        .filter(admin_sessions::expires_at.gt(now));
    let n = match values {
        Some((admin, state)) => diesel::update(live)
            .set((
                admin_sessions::admin.eq(admin),
                admin_sessions::state.eq(state),
                admin_sessions::expires_at.eq(expires_at),
            ))
            .execute(conn)?,
        None => diesel::update(live)
            .set(admin_sessions::expires_at.eq(expires_at))
            .execute(conn)?,
    };
    Ok(n > 0)
}

/// Ends an admin session.
pub fn delete_admin_session(conn: &mut DbConnection, key_hash: &str) -> Result<()> {
    diesel::delete(admin_sessions::table.find(key_hash)).execute(conn)?;
    Ok(())
}

/// A board as the admin list shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BoardSummary {
    pub id: String,
    pub title: String,
    pub created_at: String,
    pub stickers: i64,
    pub events: i64,
    /// The time of the last event, or the creation.
    pub last_activity: String,
}

/// A page of `board_summaries`.
#[derive(Debug)]
pub struct SummaryPage {
    /// How many boards match.
    pub total: usize,
    /// The page shown, from 1: the one asked for, or the last one.
    pub page: usize,
    pub pages: usize,
    pub boards: Vec<BoardSummary>,
}

diesel::define_sql_function! {
    /// SQL's `lower`: ASCII letters on SQLite; on Postgres as its locale folds them.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Page `page` (from 1; past the end, the last) of the boards whose title
/// contains `search` (ignoring case), most recently active first. The
/// database sorts and pages (boards carry their seq and last activity);
/// stickers are counted for the page's boards only.
pub fn board_summaries(
    conn: &mut DbConnection,
    search: &str,
    page: usize,
    per_page: usize,
) -> Result<SummaryPage> {
    use diesel::dsl::count_star;
    let pattern = format!("%{}%", escape_like(search.trim()));
    let matching = || lower(boards::title).like(lower(pattern.clone())).escape('\\');
    let total = boards::table
        .filter(matching())
        .select(count_star())
        .first::<i64>(conn)? as usize;
    let per_page = per_page.max(1);
    let pages = total.div_ceil(per_page).max(1);
    let page = page.clamp(1, pages);
    let rows: Vec<(String, String, String, i64, String)> = boards::table
        .filter(matching())
        .order((boards::updated_at.desc(), boards::id.asc()))
        .limit(per_page as i64)
        .offset(((page - 1) * per_page) as i64)
        .select((
            boards::id,
            boards::title,
            boards::created_at,
            boards::seq,
            boards::updated_at,
        ))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let stickers: HashMap<String, i64> = stickers::table
        .filter(stickers::board_id.eq_any(ids))
        .group_by(stickers::board_id)
        .select((stickers::board_id, count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let boards = rows
        .into_iter()
        .map(|(id, title, created_at, seq, updated_at)| BoardSummary {
            stickers: stickers.get(&id).copied().unwrap_or(0),
            events: seq,
            last_activity: updated_at,
            id,
            title,
            created_at,
        })
        .collect();
    Ok(SummaryPage {
        total,
        page,
        pages,
        boards,
    })
}

/// `text` as a LIKE pattern that matches it literally (escape `\\`).
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The most recent events (of one kind, if given), oldest first.
pub fn recent_events(conn: &mut DbConnection, id: &str, kind: Option<&str>, n: i64) -> Result<Vec<Event>> {
    last_events(conn, id, kind, n)
}

/// Replaces one of a board's tokens.
pub fn set_token(conn: &mut DbConnection, id: &str, editor: bool, token: &str) -> Result<()> {
    let target = boards::table.find(id);
    let n = if editor {
        diesel::update(target)
            .set(boards::edit_token.eq(token))
            .execute(conn)?
    } else {
        diesel::update(target)
            .set(boards::view_token.eq(token))
            .execute(conn)?
    };
    if n == 0 {
        return Err(Error::NotFound("no such board".into()));
    }
    Ok(())
}

/// Removes a board and everything of it.
pub fn delete_board(conn: &mut DbConnection, id: &str) -> Result<()> {
    conn.transaction(|conn| {
        // The board row first: on Postgres this waits for any commit that
        // holds it (commit_batches), so the deletes below see its rows.
        diesel::delete(boards::table.find(id)).execute(conn)?;
        diesel::delete(op_ids::table.filter(op_ids::board_id.eq(id))).execute(conn)?;
        diesel::delete(events::table.filter(events::board_id.eq(id))).execute(conn)?;
        diesel::delete(stickers::table.filter(stickers::board_id.eq(id))).execute(conn)?;
        diesel::delete(board_bans::table.filter(board_bans::board_id.eq(id))).execute(conn)?;
        Ok(())
    })
}

/// Every event of a board, oldest first.
pub fn all_events(conn: &mut DbConnection, id: &str) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    loop {
        let after = out.last().map_or(0, |e: &Event| e.seq);
        let page = events_after(conn, id, after, 5000)?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page);
    }
}

/// Creates a board with its whole history (an import).
pub fn import_board(
    conn: &mut DbConnection,
    row: &BoardRow,
    events: &[Event],
    stickers: &[Sticker],
) -> Result<()> {
    let event_rows: Vec<EventRow> = events
        .iter()
        .map(|e| EventRow::new(&row.id, &e.with_body(&e.event.to_raw())))
        .collect();
    let sticker_rows: Vec<StickerRow> = stickers.iter().map(|s| StickerRow::new(&row.id, s)).collect();
    conn.transaction(|conn| {
        create_board(conn, row)?;
        for chunk in event_rows.chunks(ROWS_PER_INSERT) {
            on_backend!(conn, |c| diesel::insert_into(events::table)
                .values(chunk.to_vec())
                .execute(c))?;
        }
        for chunk in sticker_rows.chunks(ROWS_PER_INSERT) {
            on_backend!(conn, |c| diesel::insert_into(stickers::table)
                .values(chunk.to_vec())
                .execute(c))?;
        }
        Ok(())
    })
}

// ------------------------------------------------------ admin pages (issue 16)

/// How many stickers a board has now.
pub fn count_stickers(conn: &mut DbConnection, id: &str) -> Result<i64> {
    use diesel::dsl::count_star;
    Ok(stickers::table
        .filter(stickers::board_id.eq(id))
        .select(count_star())
        .first::<i64>(conn)?)
}

/// One entry of the admin audit trail.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::admin_audit)]
pub struct AuditRow {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// Who: the admin (for a failed login, the name tried; from the CLI,
    /// the operating system's user).
    pub admin: String,
    /// The client's address, or "cli".
    pub address: String,
    /// What: login, login-failed, logout, admin-create, admin-delete,
    /// rename, rotate, kick, delete, import, export, restore.
    pub action: String,
    pub board_id: Option<String>,
    /// The rest, in words.
    pub detail: String,
}

/// A new entry of the audit trail.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = super::schema::admin_audit)]
pub struct NewAudit {
    pub at: String,
    pub admin: String,
    pub address: String,
    pub action: String,
    pub board_id: Option<String>,
    pub detail: String,
}

/// Appends an entry to the audit trail (there is no update or delete).
pub fn record_audit(conn: &mut DbConnection, entry: &NewAudit) -> Result<()> {
    diesel::insert_into(super::schema::admin_audit::table)
        .values(entry)
        .execute(conn)?;
    Ok(())
}

/// A page of the audit trail.
#[derive(Debug)]
pub struct AuditPage {
    pub total: usize,
    /// From 1: the one asked for, or the last one.
    pub page: usize,
    pub pages: usize,
    /// Newest first.
    pub entries: Vec<AuditRow>,
}

/// Page `page` (from 1; past the end, the last) of the audit trail, newest
/// first.
pub fn audit_page(conn: &mut DbConnection, page: usize, per_page: usize) -> Result<AuditPage> {
    use super::schema::admin_audit::dsl as a;
    use diesel::dsl::count_star;
    let total = a::admin_audit.select(count_star()).first::<i64>(conn)? as usize;
    let per_page = per_page.max(1);
    let pages = total.div_ceil(per_page).max(1);
    let page = page.clamp(1, pages);
    let entries = a::admin_audit
        .order(a::id.desc())
        .limit(per_page as i64)
        .offset(((page - 1) * per_page) as i64)
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok(AuditPage {
        total,
        page,
        pages,
        entries,
    })
}

/// A page of a board's events.
#[derive(Debug)]
pub struct EventPage {
    /// How many events match.
    pub total: usize,
    /// From 1: the one asked for, or the last one.
    pub page: usize,
    pub pages: usize,
    /// Newest first.
    pub events: Vec<Event>,
}

/// Page `page` (from 1; past the end, the last) of a board's events,
/// newest first, of one kind and one author (by name) if given.
pub fn events_page(
    conn: &mut DbConnection,
    id: &str,
    kind: Option<&str>,
    author: Option<&str>,
    page: usize,
    per_page: usize,
) -> Result<EventPage> {
    use diesel::dsl::count_star;
    let filtered = || {
        let mut q = events::table
            .filter(events::board_id.eq(id.to_owned()))
            .into_boxed();
        if let Some(kind) = kind {
            q = q.filter(events::kind.eq(kind.to_owned()));
        }
        if let Some(author) = author {
            q = q.filter(events::author_name.eq(author.to_owned()));
        }
        q
    };
    let total = filtered().select(count_star()).first::<i64>(conn)? as usize;
    let per_page = per_page.max(1);
    let pages = total.div_ceil(per_page).max(1);
    let page = page.clamp(1, pages);
    let events = filtered()
        .order(events::seq.desc())
        .limit(per_page as i64)
        .offset(((page - 1) * per_page) as i64)
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(EventRow::into_event)
        .collect::<Result<Vec<_>>>()?;
    Ok(EventPage {
        total,
        page,
        pages,
        events,
    })
}

/// The names that wrote a board's events, in order (at most `limit`).
pub fn event_authors(conn: &mut DbConnection, id: &str, limit: i64) -> Result<Vec<String>> {
    Ok(events::table
        .filter(events::board_id.eq(id))
        .select(events::author_name)
        .distinct()
        .order(events::author_name.asc())
        .limit(limit)
        .load(conn)?)
}

/// The last text each of these stickers had in the log (for stickers
/// that are gone): one pass over the events that mention them.
pub fn last_sticker_texts(
    conn: &mut DbConnection,
    id: &str,
    ids: &[uuid::Uuid],
) -> Result<HashMap<uuid::Uuid, String>> {
    type Cond = Box<
        dyn BoxableExpression<
            events::table,
            <DbConnection as Connection>::Backend,
            SqlType = diesel::sql_types::Bool,
        >,
    >;
    let mut out = HashMap::new();
    let Some(cond) = ids
        .iter()
        // a UUID holds no LIKE wildcard
        .map(|u| -> Cond { Box::new(events::payload.like(format!("%{u}%"))) })
        .reduce(|a, b| -> Cond { Box::new(a.or(b)) })
    else {
        return Ok(out);
    };
    let rows = events::table
        .filter(events::board_id.eq(id))
        .filter(events::kind.eq_any(["sticker.created", "sticker.updated"]))
        .filter(cond)
        .order(events::seq.asc())
        .select(EventRow::as_select())
        .load(conn)?;
    for row in rows {
        match row.into_event()?.event {
            EventBody::StickerCreated { sticker } => {
                out.insert(sticker.id, sticker.text);
            }
            EventBody::StickerUpdated { id, patch, .. } => {
                if let Some(text) = patch.text {
                    out.insert(id, text);
                }
            }
            _ => {}
        }
    }
    out.retain(|k, _| ids.contains(k));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, x: f64) -> StickerRow {
        StickerRow {
            board_id: "b".into(),
            id: id.into(),
            x,
            y: 0.0,
            w: 1.0,
            h: 1.0,
            z: 0.0,
            color: "#ffffff".into(),
            text: String::new(),
            version: 1,
            updated_at: String::new(),
        }
    }

    fn event(seq: i64) -> EventRow {
        EventRow {
            board_id: "b".into(),
            seq,
            kind: "k".into(),
            payload: "{}".into(),
            author_session: "s".into(),
            author_name: "n".into(),
            at: "t".into(),
        }
    }

    #[test]
    fn rows_appended_commit_every_event_and_each_stickers_last_change() {
        let mut rows = Rows {
            last_seq: 2,
            title: Some("one".into()),
            events: vec![event(1), event(2)],
            stickers: vec![
                ("a".into(), Some(row("a", 1.0))),
                ("c".into(), Some(row("c", 1.0))),
                ("d".into(), None),
            ],
            ..Default::default()
        };
        rows.append(Rows {
            last_seq: 4,
            events: vec![event(3), event(4)],
            stickers: vec![
                ("a".into(), Some(row("a", 2.0))),
                ("d".into(), Some(row("d", 2.0))),
                ("c".into(), None),
            ],
            ..Default::default()
        });
        let m = rows.into_batch("b");
        assert_eq!(m.board_id, "b");
        assert_eq!(m.last_seq, 4);
        assert_eq!(m.title.as_deref(), Some("one"));
        assert_eq!(m.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
        let upserts: Vec<_> = m.upserts.iter().map(|r| (r.id.as_str(), r.x)).collect();
        assert_eq!(upserts, [("a", 2.0), ("d", 2.0)]);
        assert_eq!(m.deletes, ["c"]);
    }
}

// ------------------------------------------------------------ board bans

/// A member kept out of a board until a time (Unix seconds).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = board_bans)]
pub struct BanRow {
    pub board_id: String,
    /// The SHA-256 of the member key, hex.
    pub member_hash: String,
    pub until: i64,
    /// The member's name when kicked, for the admin page.
    pub name: String,
    pub by_admin: String,
}

/// Keeps a member out (replacing an earlier ban of the same member).
pub fn ban_member(conn: &mut DbConnection, ban: &BanRow) -> Result<()> {
    conn.transaction(|conn| {
        diesel::delete(
            board_bans::table
                .filter(board_bans::board_id.eq(&ban.board_id))
                .filter(board_bans::member_hash.eq(&ban.member_hash)),
        )
        .execute(conn)?;
        diesel::insert_into(board_bans::table).values(ban).execute(conn)?;
        Ok(())
    })
}

/// Until when a member is kept out of a board, if it is at `now`.
pub fn banned_until(
    conn: &mut DbConnection,
    board_id: &str,
    member_hash: &str,
    now: i64,
) -> Result<Option<i64>> {
    Ok(board_bans::table
        .filter(board_bans::board_id.eq(board_id))
        .filter(board_bans::member_hash.eq(member_hash))
        .filter(board_bans::until.gt(now))
        .select(board_bans::until)
        .first(conn)
        .optional()?)
}

/// A board's bans in force at `now`, ending soonest first.
pub fn bans_of(conn: &mut DbConnection, board_id: &str, now: i64) -> Result<Vec<BanRow>> {
    Ok(board_bans::table
        .filter(board_bans::board_id.eq(board_id))
        .filter(board_bans::until.gt(now))
        .order(board_bans::until.asc())
        .select(BanRow::as_select())
        .load(conn)?)
}

/// Lets a member back in; whether it was kept out.
pub fn lift_ban(conn: &mut DbConnection, board_id: &str, member_hash: &str) -> Result<bool> {
    Ok(diesel::delete(
        board_bans::table
            .filter(board_bans::board_id.eq(board_id))
            .filter(board_bans::member_hash.eq(member_hash)),
    )
    .execute(conn)?
        > 0)
}
