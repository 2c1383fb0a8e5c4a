//! The board API (PROTOCOL.md §1).

use actix::Addr;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;

use super::{authorized_row, blocking, token_of};
use crate::actors::board::{GetSnapshot, RecentEvents, Snapshot};
use crate::actors::registry::{Lookup, Registry};
use crate::db::queries::{self, BoardRow};
use crate::db::{checkout, Pool};
use crate::error::Error;
use crate::protocol::ServerMessage;

/// The body of `POST /api/boards`.
#[derive(Deserialize)]
pub struct NewBoard {
    title: String,
}

/// Creates a board.
#[post("/api/boards")]
pub async fn create_board(pool: web::Data<Pool>, body: web::Json<NewBoard>) -> Result<HttpResponse, Error> {
    let title = crate::board::validate_title(&body.title)?;
    let now = crate::actors::board::now_rfc3339();
    let row = BoardRow {
        id: crate::tokens::board_id(),
        initial_title: title.clone(),
        title,
        edit_token: crate::tokens::token(),
        view_token: crate::tokens::token(),
        seq: 0,
        updated_at: now.clone(),
        created_at: now,
    };
    let pool = pool.get_ref().clone();
    let row = blocking(move || {
        queries::create_board(&mut *checkout(&pool)?, &row)?;
        Ok(row)
    })
    .await?;
    log::info!("board {} created", row.id);
    Ok(HttpResponse::Created().json(json!({
        "id": row.id, "title": row.title, "edit_token": row.edit_token, "view_token": row.view_token,
    })))
}

/// `?token=&member=`
#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
    member: Option<String>,
}

/// The current state: from the Board actor when the board is open (so it
/// answers while the database is down), else from the database.
#[get("/api/boards/{id}")]
pub async fn get_board(
    req: HttpRequest,
    id: web::Path<String>,
    q: web::Query<TokenQuery>,
    pool: web::Data<Pool>,
    registry: web::Data<Addr<Registry>>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let token = token_of(&req, q.token.as_deref());
    let member = super::member_key(q.member.as_deref())?;
    super::refuse_if_banned(pool.get_ref(), &id, member.as_deref()).await?;
    if let Ok(Some(board)) = registry.send(Lookup { id: id.clone() }).await {
        match board.send(GetSnapshot { token: token.clone() }).await {
            // scale-out: a board that just moved to another node is read
            // from the database like one that is not open
            Ok(Err(Error::Moved(_))) | Err(_) => {}
            Ok(snapshot) => return Ok(HttpResponse::Ok().json(snapshot?)),
        }
    }
    let pool = pool.get_ref().clone();
    let snapshot = blocking(move || {
        let mut conn = checkout(&pool)?;
        let (row, stickers) = queries::board_snapshot(&mut conn, &id)?;
        crate::tokens::role_for(&row.edit_token, &row.view_token, &token)
            .ok_or_else(|| Error::Forbidden("this token does not open this board".into()))?;
        Ok(Snapshot {
            id: row.id,
            title: row.title,
            seq: row.seq,
            stickers,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(snapshot))
}

/// `?token=&after=&limit=` (numbers checked after the board and the
/// token, as §5 orders the refusals).
#[derive(Deserialize)]
pub struct EventsQuery {
    token: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

/// `{"events": [...]}`, each event exactly its live `event` frame (built
/// here from stored events, or the frames an open board kept).
#[derive(Serialize)]
struct EventsPage<T: Serialize> {
    events: Vec<T>,
}

/// While the database is down, an open board answers from its recent
/// log (its frames are the events as they went out); `None` when the
/// board is not open or its log does not reach back far enough.
async fn from_memory(
    registry: &Addr<Registry>,
    id: &str,
    token: String,
    after: i64,
    limit: usize,
) -> Option<Result<HttpResponse, Error>> {
    let board = registry.send(Lookup { id: id.to_owned() }).await.ok()??;
    let frames = match board.send(RecentEvents { token, after, limit }).await.ok()? {
        Ok(Some(frames)) => frames,
        Ok(None) => return None,
        Err(e) => return Some(Err(e)),
    };
    // each frame is JSON the board serialized: embedded as it is
    let events: Vec<&RawValue> = frames
        .iter()
        .filter_map(|f| serde_json::from_str::<&RawValue>(f).ok())
        .collect();
    Some(Ok(HttpResponse::Ok().json(EventsPage { events })))
}

/// The committed events after `after`, in seq order; from an open
/// board's memory while the database is down.
#[get("/api/boards/{id}/events")]
pub async fn get_events(
    req: HttpRequest,
    id: web::Path<String>,
    q: web::Query<EventsQuery>,
    pool: web::Data<Pool>,
    registry: web::Data<Addr<Registry>>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let token = token_of(&req, q.token.as_deref());
    let number = |v: &Option<String>, default: i64| match v.as_deref() {
        None => Some(default),
        Some(s) => s.trim().parse::<i64>().ok(),
    };
    let after = number(&q.after, 0).filter(|n| *n >= 0);
    let limit = number(&q.limit, 100).filter(|n| *n > 0);
    let (pool, board_id, board_token) = (pool.get_ref().clone(), id.clone(), token.clone());
    let read = blocking(move || {
        let mut conn = checkout(&pool)?;
        authorized_row(&mut conn, &board_id, &board_token)?;
        let (Some(after), Some(limit)) = (after, limit) else {
            return Err(Error::bad(
                "after must be an integer >= 0 and limit an integer > 0",
            ));
        };
        queries::events_after(&mut conn, &board_id, after, limit.min(1000))
    })
    .await;
    let events = match (read, after, limit) {
        (Err(Error::DatabaseDown(detail)), Some(after), Some(limit)) => {
            let limit = usize::try_from(limit.min(1000)).unwrap_or(1000);
            return match from_memory(&registry, &id, token, after, limit).await {
                Some(answer) => answer,
                None => Err(Error::DatabaseDown(detail)),
            };
        }
        (read, _, _) => read?,
    };
    let bodies: Vec<_> = events.iter().map(|e| e.event.to_raw()).collect();
    let events = events
        .iter()
        .zip(&bodies)
        .map(|(e, body)| ServerMessage::Event(e.with_body(body)))
        .collect();
    Ok(HttpResponse::Ok().json(EventsPage { events }))
}
