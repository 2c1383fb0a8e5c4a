//! The board API (PROTOCOL.md §1).

use actix::Addr;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{authorized_row, blocking, token_of};
use crate::actors::board::{GetSnapshot, Snapshot};
use crate::actors::registry::{Lookup, Registry};
use crate::db::queries::{self, BoardRow};
use crate::db::{checkout, Pool};
use crate::error::Error;

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

/// `?token=`
#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
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
    if let Ok(Some(board)) = registry.send(Lookup { id: id.clone() }).await {
        if let Ok(snapshot) = board.send(GetSnapshot { token: token.clone() }).await {
            return Ok(HttpResponse::Ok().json(snapshot?));
        }
    }
    let pool = pool.get_ref().clone();
    let snapshot = blocking(move || {
        let mut conn = checkout(&pool)?;
        let row = authorized_row(&mut conn, &id, &token)?;
        let seq = queries::board_seq(&mut conn, &id)?;
        let stickers = queries::stickers_of(&mut conn, &id)?;
        Ok(Snapshot {
            id: row.id,
            title: row.title,
            seq,
            stickers,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(snapshot))
}

/// `?token=&after=&limit=`
#[derive(Deserialize)]
pub struct EventsQuery {
    token: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

/// The committed events after `after`, in seq order.
#[get("/api/boards/{id}/events")]
pub async fn get_events(
    req: HttpRequest,
    id: web::Path<String>,
    q: web::Query<EventsQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let token = token_of(&req, q.token.as_deref());
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(100);
    let pool = pool.get_ref().clone();
    let events = blocking(move || {
        let mut conn = checkout(&pool)?;
        authorized_row(&mut conn, &id, &token)?;
        if after < 0 || limit <= 0 {
            return Err(Error::bad("after must be >= 0 and limit > 0"));
        }
        queries::events_after(&mut conn, &id, after, limit.min(1000))
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "events": events })))
}
