//! Every query corkboard runs, written once for both backends but for the
//! group commit's inserts, which Postgres takes as arrays (`pg_bulk`).

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::{admin_sessions, admins, board_bans, boards, events, op_ids, stickers};
use super::DbConnection;
use crate::error::{Error, Result};
use crate::protocol::{Author, Event, EventBody, RawEvent, Sticker, Writer};

/// Rows per multi-row INSERT (SQLite allows 32766 bound parameters).
pub(crate) const ROWS_PER_INSERT: usize = 500;

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
    /// The names of its creator and last editor; '' when not known.
    pub created_by: String,
    pub updated_by: String,
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
            created_by: s.created_by.as_ref().map(|w| w.name.clone()).unwrap_or_default(),
            updated_by: s.updated_by.as_ref().map(|w| w.name.clone()).unwrap_or_default(),
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
            created_by: (!self.created_by.is_empty()).then_some(Writer {
                name: self.created_by,
            }),
            updated_by: (!self.updated_by.is_empty()).then_some(Writer {
                name: self.updated_by,
            }),
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

/// After a failed commit of a board's batch made at `epoch`: the
/// board's committed seq, to tell whether an earlier attempt landed.
/// `Moved` when the board's epoch is no longer the batch's: then another
/// node may have written those seqs, and none of them is this node's to
/// acknowledge.
pub fn batch_seq(conn: &mut DbConnection, board_id: &str, epoch: Option<i64>) -> Result<i64> {
    let row = boards::table
        .find(board_id)
        .select((boards::seq, boards::epoch))
        .first::<(i64, i64)>(conn)
        .optional()?;
    match (row, epoch) {
        (Some((_, now)), Some(ours)) if now != ours => Err(Error::Moved(format!(
            "board {board_id} was taken by another node (epoch {now}); reconnect"
        ))),
        (row, _) => Ok(row.map_or(0, |(seq, _)| seq)),
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
