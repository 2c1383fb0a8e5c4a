//! The pages people open: the home page and the board page (askama
//! templates), and the static files they load.

use actix_web::{get, web, HttpRequest};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{authorized_row, blocking, token_of};
use crate::db::{checkout, Pool};
use crate::error::Error;

/// Every response's security headers: scripts and styles from this server
/// only, no inline script, no framing, no referrer (the token is in the URL).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'";

/// The home page: create a board.
#[derive(Template, WebTemplate)]
#[template(path = "index.html")]
pub struct Home;

/// The board page shell; the script does the rest over the socket.
#[derive(Template, WebTemplate)]
#[template(path = "board.html")]
pub struct BoardPage {
    board_id: String,
    title: String,
}

#[get("/")]
pub async fn home() -> Home {
    Home
}

/// `?token=`
#[derive(Deserialize)]
pub struct PageQuery {
    token: Option<String>,
}

/// A board's page, for a token that opens it.
#[get("/b/{id}")]
pub async fn board(
    req: HttpRequest,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
    pool: web::Data<Pool>,
) -> Result<BoardPage, Error> {
    let id = id.into_inner();
    let token = token_of(&req, q.token.as_deref());
    let pool = pool.get_ref().clone();
    let row = blocking(move || authorized_row(&mut *checkout(&pool)?, &id, &token)).await?;
    Ok(BoardPage {
        board_id: row.id,
        title: row.title,
    })
}
