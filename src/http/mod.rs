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
        Error::Unavailable(_) | Error::DatabaseDown(_) => StatusCode::SERVICE_UNAVAILABLE,
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
