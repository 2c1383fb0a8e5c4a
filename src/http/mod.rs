//! HTTP: the board API, the WebSocket upgrade, health and metrics. The
//! error policy's HTTP half lives here: `Error` → status + JSON body.

pub mod admin;
pub mod api;
pub mod assets;
pub mod body_timeout;
pub mod ops;
pub mod pages;
pub mod ws;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use crate::db::queries::{self, BoardRow};
use crate::db::DbConnection;
use crate::error::Error;

/// The HTTP status of each error.
pub fn error_status(e: &Error) -> StatusCode {
    match e {
        Error::BadRequest(_) => StatusCode::BAD_REQUEST,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::LimitExceeded(_) | Error::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        Error::Unavailable(_) | Error::DatabaseDown(_) | Error::Moved(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        error_status(self)
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        HttpResponse::build(self.status_code())
            .json(json!({ "error": { "code": self.code(), "message": self.public_message() } }))
    }
}

/// Now, in Unix seconds: how the database keeps the times of admin
/// sessions and bans.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Unix seconds as RFC 3339 in UTC, to the second.
pub fn unix_rfc3339(secs: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// The member key a page sends (`?member=`: random, made once per
/// browser), checked and hashed; a kick that holds keeps its hash out.
/// Anyone with a link can make a new key, so a ban holds a member who
/// reloads, not one who sets out to come back (a rotated link does).
pub fn member_key(given: Option<&str>) -> Result<Option<String>, Error> {
    use sha2::{Digest, Sha256};
    let Some(key) = given.filter(|k| !k.is_empty()) else {
        return Ok(None);
    };
    let ok = (8..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(Error::bad("member must be 8..64 letters, digits, '-' or '_'"));
    }
    let hash = Sha256::digest(key.as_bytes());
    Ok(Some(hash.iter().map(|b| format!("{b:02x}")).collect()))
}

/// Refuses a member an admin kicked and keeps out of the board. While
/// the database cannot say, the member is let in (a ban is not worth an
/// outage of the board).
pub async fn refuse_if_banned(
    pool: &crate::db::Pool,
    board_id: &str,
    member_hash: Option<&str>,
) -> Result<(), Error> {
    let Some(hash) = member_hash else {
        return Ok(());
    };
    let (pool, board_id, hash) = (pool.clone(), board_id.to_owned(), hash.to_owned());
    let now = unix_now();
    let until =
        blocking(move || queries::banned_until(&mut *crate::db::checkout(&pool)?, &board_id, &hash, now))
            .await;
    match until {
        Ok(Some(until)) => {
            let at = unix_rfc3339(until);
            Err(Error::Forbidden(format!(
                "an admin removed you from this board until {} UTC",
                at.get(11..16).unwrap_or(&at)
            )))
        }
        Ok(None) => Ok(()),
        Err(e) if e.is_transient() => {
            e.log();
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The token of a request: `?token=` or `Authorization: Bearer`.
pub fn token_of(req: &HttpRequest, query_token: Option<&str>) -> String {
    if let Some(t) = query_token.filter(|t| !t.is_empty()) {
        return t.to_owned();
    }
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned())
        .unwrap_or_default()
}

/// A board's row, if it exists (404) and the token opens it (403).
pub fn authorized_row(conn: &mut DbConnection, id: &str, token: &str) -> Result<BoardRow, Error> {
    let row = queries::board_row(conn, id)?;
    match crate::tokens::role_for(&row.edit_token, &row.view_token, token) {
        Some(_) => Ok(row),
        None => Err(Error::Forbidden("this token does not open this board".into())),
    }
}

/// Runs blocking database work off the async threads.
pub async fn blocking<T, F>(f: F) -> Result<T, Error>
where
    F: FnOnce() -> Result<T, Error> + Send + 'static,
    T: Send + 'static,
{
    web::block(f).await.map_err(Error::internal)?
}

/// Every route.
pub fn routes(cfg: &mut web::ServiceConfig, static_dir: Option<&str>) {
    cfg.app_data(web::JsonConfig::default().limit(64 * 1024).error_handler(|e, _| {
        let err = match &e {
            actix_web::error::JsonPayloadError::Overflow { .. }
            | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => {
                Error::TooLarge("body too large".into())
            }
            other => Error::bad(format!("bad JSON body: {other}")),
        };
        err.into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|e, _| Error::bad(format!("bad query: {e}")).into()))
    .app_data(web::PathConfig::default().error_handler(|e, _| Error::bad(format!("bad path: {e}")).into()))
    .service(ops::healthz)
    .service(ops::metrics)
    .service(api::create_board)
    .service(api::get_board)
    .service(api::get_events)
    .service(ws::connect)
    .service(pages::home)
    .service(pages::board)
    .service(assets::favicon);
    match static_dir {
        Some(dir) => cfg.service(actix_files::Files::new("/static", dir)),
        None => cfg.service(assets::embedded),
    };
    cfg.default_service(web::to(pages::not_found));
}
