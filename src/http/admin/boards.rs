//! The admin pages over boards: the list, one board's live view, and the
//! actions (kick, rename, rotate a token, delete, export, import, restore).

use actix::{Addr, Arbiter};
use actix_multipart::form::{bytes::Bytes as FileBytes, text::Text, MultipartForm};
use actix_session::Session;
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use uuid::Uuid;

use super::audit::{self, address};
use super::confirm::count;
use super::history::{self, HistoryLine};
use super::{authorized_post, csrf_token, see_other, signed_in, Refusal};
use crate::actors::board::{
    AdminOps, Board, Deleted, Kick, ListSessions, Restore, SessionInfo, TokenRotated,
};
use crate::actors::registry::{Lookup, Open, Registry};
use crate::board::{fold, BoardState};
use crate::db::queries::{self, BoardRow, BoardSummary};
use crate::db::{checkout, Pool};
use crate::error::Error;
use crate::protocol::{Author, Event, EventBody, Op, Role, Sticker};

/// Boards per page of the list.
const PAGE_SIZE: usize = 50;

/// The author of events an admin causes.
fn admin_author(admin: &str) -> Author {
    Author {
        session: "admin".into(),
        name: format!("admin {admin}"),
    }
}

/// The open Board actor of `id`, opening it if needed.
async fn open_board(registry: &Addr<Registry>, id: &str) -> Result<Addr<crate::actors::board::Board>, Error> {
    registry
        .send(Open {
            id: id.to_owned(),
            arbiter: Arbiter::current(),
        })
        .await
        .map_err(Error::internal)
}

/// Sends `msg` to the board's actor if the board is open (a closed board
/// has no sessions to tell); its answer, if any.
pub(super) async fn tell_if_open<M>(registry: &Addr<Registry>, id: &str, msg: M) -> Option<M::Result>
where
    M: actix::Message + Send + 'static,
    M::Result: Send,
    Board: actix::Handler<M>,
{
    let board = registry.send(Lookup { id: id.to_owned() }).await.ok()??;
    board.send(msg).await.ok()
}

pub(super) async fn live_sessions(registry: &Addr<Registry>, id: &str) -> Vec<SessionInfo> {
    tell_if_open(registry, id, ListSessions).await.unwrap_or_default()
}

/// `?q=&page=`
#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    page: Option<usize>,
    /// The action that redirected here.
    done: Option<String>,
}

/// A row of the list.
pub struct ListedBoard {
    summary: BoardSummary,
    members: usize,
    /// Scale-out: its node and epoch, when a node has it open.
    owner: Option<String>,
}

/// `/admin/boards`
#[derive(Template, WebTemplate)]
#[template(path = "admin/boards.html")]
pub struct BoardsPage {
    admin: String,
    csrf_token: String,
    notice: Option<&'static str>,
    q: String,
    page: usize,
    pages: usize,
    total: usize,
    boards: Vec<ListedBoard>,
}

#[get("/boards")]
pub async fn list(
    session: Session,
    q: web::Query<ListQuery>,
    pool: web::Data<Pool>,
    registry: web::Data<Addr<Registry>>,
) -> Result<BoardsPage, Refusal> {
    let admin = signed_in(&session)?;
    let search = q.q.clone().unwrap_or_default();
    let pool = pool.get_ref().clone();
    let needle = search.clone();
    let page = q.page.unwrap_or(1);
    let (found, mut owners) = crate::http::blocking(move || {
        let mut conn = checkout(&pool)?;
        let found = queries::board_summaries(&mut conn, &needle, page, PAGE_SIZE)?;
        let ids: Vec<&str> = found.boards.iter().map(|b| b.id.as_str()).collect();
        let owners = super::cluster::owners(&mut conn, &ids)?;
        Ok((found, owners))
    })
    .await?;
    let mut boards = Vec::new();
    for summary in found.boards {
        let members = live_sessions(&registry, &summary.id).await.len();
        let owner = owners.remove(&summary.id);
        boards.push(ListedBoard {
            summary,
            members,
            owner,
        });
    }
    Ok(BoardsPage {
        admin,
        csrf_token: csrf_token(&session),
        notice: (q.done.as_deref() == Some("deleted")).then_some(
            "The board was deleted: its members were disconnected and its links no longer open anything.",
        ),
        q: search,
        page: found.page,
        pages: found.pages,
        total: found.total,
        boards,
    })
}

/// `/admin/boards/{id}`
#[derive(Template, WebTemplate)]
#[template(path = "admin/board.html")]
pub struct BoardPage {
    admin: String,
    csrf_token: String,
    /// What the action that led here did, in words.
    notice: Option<&'static str>,
    edit_link: String,
    view_link: String,
    board: BoardRow,
    seq: i64,
    sessions: Vec<SessionInfo>,
    stickers: Vec<Sticker>,
    /// The page of the history shown, newest first.
    history: Vec<HistoryLine>,
    /// The filters: a kind ("" for all) and an author ("" for all).
    kind: String,
    author: String,
    kinds: [(&'static str, &'static str); 5],
    authors: Vec<String>,
    /// How many events match, the page shown and the pages.
    matching: usize,
    page: usize,
    pages: usize,
    chat: Vec<Event>,
    /// Members kicked and kept out: name, until (RFC 3339), by, key hash.
    kept_out: Vec<(String, String, String, String)>,
    /// The last hour of the board on this server, if it is open here.
    charts: super::charts::Charts,
    /// Scale-out: the node that has it open and its epoch.
    owner: Option<String>,
}

impl BoardPage {
    /// The query of the history's page `page`, with the filters.
    fn history_query(&self, page: usize) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if !self.kind.is_empty() {
            q.append_pair("kind", &self.kind);
        }
        if !self.author.is_empty() {
            q.append_pair("author", &self.author);
        }
        q.append_pair("page", &page.to_string());
        q.finish()
    }
}

/// `?done=`: the action that redirected here.
#[derive(Deserialize)]
pub struct DetailQuery {
    done: Option<String>,
    /// History filters and page.
    kind: Option<String>,
    author: Option<String>,
    page: Option<usize>,
}

/// Events per page of a board's history.
const HISTORY_PAGE: usize = 50;

/// A board's page link for `token`, on the host the admin reached.
fn board_link(req: &HttpRequest, id: &str, token: &str) -> String {
    let info = req.connection_info();
    format!("{}://{}/b/{id}?token={token}", info.scheme(), info.host())
}

#[get("/boards/{id}")]
pub async fn detail(
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    q: web::Query<DetailQuery>,
    pool: web::Data<Pool>,
    registry: web::Data<Addr<Registry>>,
    shared: web::Data<std::sync::Arc<crate::state::Shared>>,
) -> Result<BoardPage, Refusal> {
    let admin = signed_in(&session)?;
    let id = id.into_inner();
    let pool = pool.get_ref().clone();
    let board_id = id.clone();
    let kind = q
        .kind
        .clone()
        .filter(|k| history::KINDS.iter().any(|(known, _)| known == k))
        .unwrap_or_default();
    let author = q.author.clone().unwrap_or_default();
    let (filter_kind, filter_author, page) = (kind.clone(), author.clone(), q.page.unwrap_or(1));
    let (board, seq, mut stickers, found, history, authors, chat, kept_out, owner) =
        crate::http::blocking(move || {
            let mut conn = checkout(&pool)?;
            let board = queries::board_row(&mut conn, &board_id)?;
            let seq = queries::board_seq(&mut conn, &board_id)?;
            let stickers = queries::stickers_of(&mut conn, &board_id)?;
            let found = queries::events_page(
                &mut conn,
                &board_id,
                Some(filter_kind.as_str()).filter(|k| !k.is_empty()),
                Some(filter_author.as_str()).filter(|a| !a.is_empty()),
                page,
                HISTORY_PAGE,
            )?;
            let current: HashMap<Uuid, String> = stickers.iter().map(|s| (s.id, s.text.clone())).collect();
            let gone = queries::last_sticker_texts(
                &mut conn,
                &board_id,
                &history::gone_stickers(&found.events, &current),
            )?;
            let history = history::describe(&found.events, &current, &gone);
            let authors = queries::event_authors(&mut conn, &board_id, 500)?;
            let chat = queries::recent_events(&mut conn, &board_id, Some(EventBody::CHAT), 100)?;
            let kept_out = queries::bans_of(&mut conn, &board_id, crate::http::unix_now())?
                .into_iter()
                .map(|b| {
                    (
                        b.name,
                        crate::http::unix_rfc3339(b.until),
                        b.by_admin,
                        b.member_hash,
                    )
                })
                .collect();
            let owner = super::cluster::owners(&mut conn, &[board_id.as_str()])?.remove(&board_id);
            Ok((
                board, seq, stickers, found, history, authors, chat, kept_out, owner,
            ))
        })
        .await?;
    stickers.sort_by(|a, b| a.z.total_cmp(&b.z));
    let notice = match q.done.as_deref() {
        Some("rotated-edit") => Some(
            "The edit link changed: the old one no longer opens the board and its editors were \
             disconnected. Send the new edit link below to the people who should edit.",
        ),
        Some("rotated-view") => Some(
            "The view-only link changed: the old one no longer opens the board and its viewers were \
             disconnected. Send the new view-only link below to the people who should watch.",
        ),
        Some("imported") => Some("Board imported. It has new links of its own: share them from here."),
        Some("kicked") => Some(
            "The session was disconnected and the others saw it leave. If you chose a time, its \
             browser is kept out until then (below); a new browser with the link can still come \
             back: rotate that link to keep it out for good.",
        ),
        Some("lifted") => Some("They may rejoin the board now."),
        Some("renamed") => Some("The board was renamed; its members saw the new title at once."),
        Some("restored") => Some(
            "The board was restored, with new events that its members saw live. The history below \
             shows them; restore to the seq before them to undo it.",
        ),
        _ => None,
    };
    Ok(BoardPage {
        admin,
        csrf_token: csrf_token(&session),
        notice,
        edit_link: board_link(&req, &board.id, &board.edit_token),
        view_link: board_link(&req, &board.id, &board.view_token),
        sessions: live_sessions(&registry, &id).await,
        board,
        seq,
        stickers,
        history,
        kind,
        author,
        kinds: history::KINDS,
        authors,
        matching: found.total,
        page: found.page,
        pages: found.pages,
        chat,
        kept_out,
        charts: super::charts::of_board(&shared, &id),
        owner,
    })
}

/// Refuses an action whose form lacks `confirm=yes`: a destructive action
/// goes through its confirmation page (`confirm.rs`), never one click.
fn confirmed(confirm: Option<&str>) -> Result<(), Refusal> {
    if confirm == Some("yes") {
        return Ok(());
    }
    Err(Error::bad(
        "this action was not confirmed, so nothing was done; use its button on the board's admin \
         page, which shows what it will do and asks for confirmation",
    )
    .into())
}

/// Kick: which session.
#[derive(Deserialize)]
pub struct KickForm {
    session: String,
    csrf_token: Option<String>,
    confirm: Option<String>,
    /// How long the member's browser is kept out (0: not at all).
    #[serde(default)]
    keep_out_minutes: u32,
}

#[post("/boards/{id}/kick")]
pub async fn kick(
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    form: web::Form<KickForm>,
    pool: web::Data<Pool>,
    registry: web::Data<Addr<Registry>>,
) -> Result<HttpResponse, Refusal> {
    let admin = authorized_post(&session, form.csrf_token.as_deref())?;
    confirmed(form.confirm.as_deref())?;
    let session_id = form.session.clone();
    let who = live_sessions(&registry, &id)
        .await
        .into_iter()
        .find(|s| s.session == session_id);
    let kicked = tell_if_open(
        &registry,
        &id,
        Kick {
            session: session_id.clone(),
        },
    )
    .await
        == Some(true);
    let minutes = form.keep_out_minutes.min(60 * 24 * 30);
    let mut what = match (&who, kicked) {
        (Some(s), true) => format!(
            "{} ({}, session {}, connected since {})",
            s.name,
            role_word(s.role),
            s.session,
            s.connected_at
        ),
        _ => format!("session {session_id}, which was no longer connected"),
    };
    if let (Some(s), true, true) = (&who, kicked, minutes > 0) {
        if let Some(member_hash) = s.member_key.clone() {
            let until = crate::http::unix_now() + i64::from(minutes) * 60;
            let ban = queries::BanRow {
                board_id: id.to_string(),
                member_hash,
                until,
                name: s.name.clone(),
                by_admin: admin.clone(),
            };
            let db = pool.get_ref().clone();
            crate::http::blocking(move || queries::ban_member(&mut *checkout(&db)?, &ban)).await?;
            what.push_str(&format!(", kept out for {minutes} min"));
        }
    }
    audit::record(&pool, &admin, &address(&req), "kick", Some(&id), what).await;
    Ok(see_other(&format!("/admin/boards/{id}?done=kicked")))
}

/// Lift: whose ban.
#[derive(Deserialize)]
pub struct LiftForm {
    member: String,
    csrf_token: Option<String>,
}

/// Lets a kicked member back in before their time is up (not destructive:
/// no confirmation).
#[post("/boards/{id}/lift")]
pub async fn lift(
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    form: web::Form<LiftForm>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, Refusal> {
    let admin = authorized_post(&session, form.csrf_token.as_deref())?;
    let (db, board_id, member) = (pool.get_ref().clone(), id.to_string(), form.member.clone());
    let lifted =
        crate::http::blocking(move || queries::lift_ban(&mut *checkout(&db)?, &board_id, &member)).await?;
    if lifted {
        let what = format!("member {}", form.member.get(..12).unwrap_or(&form.member));
        audit::record(&pool, &admin, &address(&req), "lift", Some(&id), what).await;
    }
    Ok(see_other(&format!("/admin/boards/{id}?done=lifted")))
}

/// Rename: the new title.
#[derive(Deserialize)]
pub struct RenameForm {
    title: String,
    csrf_token: Option<String>,
}

#[post("/boards/{id}/rename")]
pub async fn rename(
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    form: web::Form<RenameForm>,
    pool: web::Data<Pool>,
    registry: web::Data<Addr<Registry>>,
) -> Result<HttpResponse, Refusal> {
    let admin = authorized_post(&session, form.csrf_token.as_deref())?;
    let (db, board_id) = (pool.get_ref().clone(), id.to_string());
    let before = crate::http::blocking(move || queries::board_row(&mut *checkout(&db)?, &board_id)).await?;
    let board = open_board(&registry, &id).await?;
    let ops = vec![Op::Rename(form.title.clone())];
    board
        .send(AdminOps {
            ops,
            by: admin_author(&admin),
        })
        .await
        .map_err(Error::internal)??;
    let what = format!("“{}” to “{}”", before.title, form.title.trim());
    audit::record(&pool, &admin, &address(&req), "rename", Some(&id), what).await;
    Ok(see_other(&format!("/admin/boards/{id}?done=renamed")))
}

/// "editor" or "viewer".
fn role_word(role: Role) -> &'static str {
    match role {
        Role::Editor => "editor",
        Role::Viewer => "viewer",
    }
}

/// Rotate: which token (`edit` or `view`).
#[derive(Deserialize)]
pub struct RotateForm {
    which: String,
    csrf_token: Option<String>,
    confirm: Option<String>,
}

#[post("/boards/{id}/rotate")]
pub async fn rotate(
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    form: web::Form<RotateForm>,
    pool: web::Data<Pool>,
    registry: web::Data<Addr<Registry>>,
) -> Result<HttpResponse, Refusal> {
    let admin = authorized_post(&session, form.csrf_token.as_deref())?;
    let role = match form.which.as_str() {
        "edit" => Role::Editor,
        "view" => Role::Viewer,
        _ => return Err(Error::bad("which must be edit or view").into()),
    };
    confirmed(form.confirm.as_deref())?;
    let token = crate::tokens::token();
    let (db, board_id, new_token) = (pool.get_ref().clone(), id.to_string(), token.clone());
    crate::http::blocking(move || {
        queries::set_token(&mut *checkout(&db)?, &board_id, role == Role::Editor, &new_token)
    })
    .await?;
    let disconnected = live_sessions(&registry, &id)
        .await
        .iter()
        .filter(|s| s.role == role)
        .count() as i64;
    tell_if_open(&registry, &id, TokenRotated { role, token }).await;
    let what = format!(
        "the {} link; {} disconnected",
        if role == Role::Editor { "edit" } else { "view-only" },
        count(disconnected, role_word(role), &format!("{}s", role_word(role)))
    );
    audit::record(&pool, &admin, &address(&req), "rotate", Some(&id), what).await;
    Ok(see_other(&format!(
        "/admin/boards/{id}?done=rotated-{}",
        form.which
    )))
}

/// Delete: confirmed, with the board's title typed exactly.
#[derive(Deserialize)]
pub struct DeleteForm {
    csrf_token: Option<String>,
    confirm: Option<String>,
    title: Option<String>,
}

#[post("/boards/{id}/delete")]
pub async fn delete(
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    form: web::Form<DeleteForm>,
    pool: web::Data<Pool>,
    registry: web::Data<Addr<Registry>>,
) -> Result<HttpResponse, Refusal> {
    let admin = authorized_post(&session, form.csrf_token.as_deref())?;
    confirmed(form.confirm.as_deref())?;
    let board_id = id.to_string();
    let row = {
        let (db, board_id) = (pool.get_ref().clone(), board_id.clone());
        crate::http::blocking(move || queries::board_row(&mut *checkout(&db)?, &board_id)).await?
    };
    if form.title.as_deref() != Some(row.title.as_str()) {
        return Err(Error::bad(format!(
            "the title typed does not match the board's title “{}” exactly, so nothing was deleted",
            row.title
        ))
        .into());
    }
    let connected = live_sessions(&registry, &id).await.len() as i64;
    tell_if_open(&registry, &id, Deleted).await;
    let db = pool.get_ref().clone();
    let stickers = crate::http::blocking(move || {
        let mut conn = checkout(&db)?;
        let stickers = queries::count_stickers(&mut conn, &board_id)?;
        queries::delete_board(&mut conn, &board_id)?;
        Ok(stickers)
    })
    .await?;
    let what = format!(
        "“{}”: {}, {}, {} connected",
        row.title,
        count(stickers, "sticker", "stickers"),
        count(row.seq, "event", "events"),
        count(connected, "member", "members")
    );
    audit::record(&pool, &admin, &address(&req), "delete", Some(&id), what).await;
    Ok(see_other("/admin/boards?done=deleted"))
}

/// Restore: the seq whose state to bring back.
#[derive(Deserialize)]
pub struct RestoreForm {
    seq: i64,
    csrf_token: Option<String>,
    confirm: Option<String>,
}

#[post("/boards/{id}/restore")]
pub async fn restore(
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    form: web::Form<RestoreForm>,
    pool: web::Data<Pool>,
    registry: web::Data<Addr<Registry>>,
) -> Result<HttpResponse, Refusal> {
    let admin = authorized_post(&session, form.csrf_token.as_deref())?;
    confirmed(form.confirm.as_deref())?;
    let upto = form.seq;
    if upto < 0 {
        return Err(Error::bad("seq must be >= 0").into());
    }
    let (db, board_id) = (pool.get_ref().clone(), id.to_string());
    let (target, to_at, was) = crate::http::blocking(move || {
        let mut conn = checkout(&db)?;
        let row = queries::board_row(&mut conn, &board_id)?;
        // when the board was as it is brought back to (its creation for 0)
        let to_at = match queries::events_after(&mut conn, &board_id, upto - 1, 1)?.pop() {
            Some(e) if upto > 0 => e.at,
            _ => row.created_at.clone(),
        };
        Ok((state_at(&mut conn, &row, upto)?, to_at, row.seq))
    })
    .await?;
    let board = open_board(&registry, &id).await?;
    board
        .send(Restore {
            target,
            to_seq: upto,
            to_at,
            by: admin_author(&admin),
        })
        .await
        .map_err(Error::internal)??;
    let what = format!("to seq {upto} (it was at seq {was})");
    audit::record(&pool, &admin, &address(&req), "restore", Some(&id), what).await;
    Ok(see_other(&format!("/admin/boards/{id}?done=restored")))
}

/// The board's state after its events up to seq `upto`.
pub(super) fn state_at(
    conn: &mut crate::db::DbConnection,
    row: &BoardRow,
    upto: i64,
) -> Result<BoardState, Error> {
    let events = queries::events_after(conn, &row.id, 0, upto)?;
    let mut state = BoardState {
        title: row.initial_title.clone(),
        ..BoardState::default()
    };
    for e in &events {
        fold(&mut state, e.seq, &e.at, &e.by.name, &e.event);
    }
    Ok(state)
}

/// A board as a file: its state and its whole event log.
#[derive(Debug, Serialize, Deserialize)]
pub struct Export {
    pub format: String,
    pub title: String,
    pub initial_title: String,
    pub created_at: String,
    pub seq: i64,
    pub stickers: Vec<Sticker>,
    pub events: Vec<Event>,
}

const EXPORT_FORMAT: &str = "corkboard-board-v1";

#[get("/boards/{id}/export")]
pub async fn export(
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, Refusal> {
    let admin = signed_in(&session)?;
    let (db, board_id) = (pool.get_ref().clone(), id.to_string());
    let export = crate::http::blocking(move || {
        let mut conn = checkout(&db)?;
        let row = queries::board_row(&mut conn, &board_id)?;
        let events = queries::all_events(&mut conn, &board_id)?;
        let mut stickers = queries::stickers_of(&mut conn, &board_id)?;
        stickers.sort_by_key(|s| s.id);
        Ok(Export {
            format: EXPORT_FORMAT.into(),
            title: row.title,
            initial_title: row.initial_title,
            created_at: row.created_at,
            seq: events.last().map_or(0, |e| e.seq),
            stickers,
            events,
        })
    })
    .await?;
    let what = format!(
        "“{}”: {}, {}",
        export.title,
        count(export.stickers.len() as i64, "sticker", "stickers"),
        count(export.seq, "event", "events")
    );
    audit::record(&pool, &admin, &address(&req), "export", Some(&id), what).await;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"board-{id}.json\""),
        ))
        .json(export))
}

/// The largest export file an import takes.
pub const IMPORT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// The import form: a file of the export format. Its limits are set on
/// the admin scope (`import_config`), where the refusal is made.
#[derive(MultipartForm)]
pub struct ImportForm {
    file: FileBytes,
    csrf_token: Option<Text<String>>,
}

/// The multipart limits of the import: the whole file in memory, up to
/// `IMPORT_MAX_BYTES` (the crate's default keeps 2 MiB in memory).
pub fn import_config() -> actix_multipart::form::MultipartFormConfig {
    actix_multipart::form::MultipartFormConfig::default()
        .total_limit(IMPORT_MAX_BYTES + 64 * 1024)
        .memory_limit(IMPORT_MAX_BYTES)
        .error_handler(|e, _| {
            let err = match e {
                actix_multipart::MultipartError::Payload(actix_web::error::PayloadError::Overflow) => {
                    Error::TooLarge(format!("the file is over {} MiB", IMPORT_MAX_BYTES >> 20))
                }
                other => Error::bad(format!("not a file upload: {other}")),
            };
            Refusal::Failed(err).into()
        })
}

/// A board from an export file, checked as a live board would have made
/// it: every event replayed through the live rules, the stickers and the
/// title the fold of the log.
fn board_from_export(
    data: &[u8],
    limits: &crate::board::Limits,
) -> Result<(BoardRow, Vec<Event>, Vec<Sticker>), Error> {
    let file: Export =
        serde_json::from_slice(data).map_err(|e| Error::bad(format!("not a board export: {e}")))?;
    if file.format != EXPORT_FORMAT {
        return Err(Error::bad(format!("unknown export format {:?}", file.format)));
    }
    crate::board::check_time(&file.created_at)?;
    let initial_title = crate::board::validate_title(&file.initial_title)?;
    if initial_title != file.initial_title {
        return Err(Error::bad("the initial title has spaces around it"));
    }
    let mut state = BoardState {
        title: initial_title.clone(),
        ..BoardState::default()
    };
    for e in &file.events {
        crate::board::replay(&mut state, e, limits)?;
    }
    if file.seq != state.seq {
        return Err(Error::bad(format!(
            "seq is {} but the log ends at {}",
            file.seq, state.seq
        )));
    }
    let mut folded: Vec<Sticker> = state.stickers.into_values().collect();
    folded.sort_by_key(|s| s.id);
    let mut given = file.stickers;
    given.sort_by_key(|s| s.id);
    // who wrote what is the fold's (a file from before it was kept has none)
    let content = |v: &[Sticker]| v.iter().map(Sticker::without_writers).collect::<Vec<_>>();
    if content(&folded) != content(&given) {
        return Err(Error::bad("the stickers are not the fold of the events"));
    }
    if state.title != file.title {
        return Err(Error::bad("the title is not the fold of the events"));
    }
    let row = BoardRow {
        id: crate::tokens::board_id(),
        title: state.title,
        initial_title,
        edit_token: crate::tokens::token(),
        view_token: crate::tokens::token(),
        seq: state.seq,
        updated_at: file.events.last().map_or(&file.created_at, |e| &e.at).clone(),
        created_at: file.created_at,
    };
    Ok((row, file.events, folded))
}

/// Imports an export file as a new board with new links. The parse and
/// the replay run off the async threads (boards share those).
#[post("/import")]
pub async fn import(
    req: HttpRequest,
    session: Session,
    payload: web::Payload,
    pool: web::Data<Pool>,
    shared: web::Data<std::sync::Arc<crate::state::Shared>>,
) -> Result<HttpResponse, actix_web::Error> {
    // Signed in before the file is read: the form may hold 64 MiB, which
    // nobody else may make the server buffer. (Its refusals are the
    // pages of `import_config`.)
    signed_in(&session)?;
    let MultipartForm(form) =
        <MultipartForm<ImportForm> as actix_web::FromRequest>::from_request(&req, &mut payload.into_inner())
            .await?;
    let admin = authorized_post(&session, form.csrf_token.as_ref().map(|t| t.as_str()))?;
    let (db, limits, data) = (pool.get_ref().clone(), shared.limits, form.file.data);
    let file_name = form.file.file_name.clone().unwrap_or_default();
    let (id, what) = crate::http::blocking(move || {
        let (row, events, stickers) = board_from_export(&data, &limits)?;
        queries::import_board(&mut *checkout(&db)?, &row, &events, &stickers)?;
        let what = format!(
            "“{}” from {file_name:?}: {}, {}",
            row.title,
            count(stickers.len() as i64, "sticker", "stickers"),
            count(row.seq, "event", "events")
        );
        Ok((row.id, what))
    })
    .await
    .map_err(Refusal::from)?;
    audit::record(&pool, &admin, &address(&req), "import", Some(&id), what).await;
    Ok(see_other(&format!("/admin/boards/{id}?done=imported")))
}
