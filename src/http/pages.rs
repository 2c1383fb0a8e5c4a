//! The pages people open: the home page and the board page (askama
//! templates), and the static files they load.

use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{authorized_row, blocking, error_status, token_of};
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

/// A board's page, for a token that opens it; else a page that says why
/// not and what to do.
#[get("/b/{id}")]
pub async fn board(
    req: HttpRequest,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
    pool: web::Data<Pool>,
) -> Result<BoardPage, PageError> {
    let id = id.into_inner();
    let token = token_of(&req, q.token.as_deref());
    if token.is_empty() {
        return Err(PageError::explained(
            Error::Forbidden("the link has no token".into()),
            "This link is incomplete",
            "A board link ends in ?token=… and this one does not, so it cannot open the board.",
            "Copy the whole link again from whoever shared it.",
        ));
    }
    let pool = pool.get_ref().clone();
    let row = blocking(move || authorized_row(&mut *checkout(&pool)?, &id, &token))
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => PageError::explained(
                e,
                "This board does not exist",
                "There is no board at this address: it was deleted, or the link was cut short.",
                "Ask whoever shared the link for a current one, or create a new board.",
            ),
            Error::Forbidden(_) => PageError::explained(
                e,
                "This link no longer opens the board",
                "The board exists, but this link's token does not open it: its links were \
                 changed (an admin rotated them), or the link was mistyped.",
                "Ask the board's owner or an admin for the current link.",
            ),
            other => PageError::new(other),
        })?;
    Ok(BoardPage {
        board_id: row.id,
        title: row.title,
    })
}

/// An error page: what happened and what to do.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    status: u16,
    heading: &'a str,
    detail: &'a str,
    advice: &'a str,
    link_href: &'a str,
    link_text: &'a str,
}

/// An error as a browser sees it: an HTML page with the error's status
/// (the API answers the same errors in JSON).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct PageError {
    pub error: Error,
    heading: String,
    detail: String,
    advice: String,
    link: (&'static str, &'static str),
}

impl PageError {
    /// A page for `error` in general words.
    pub fn new(error: Error) -> Self {
        let (heading, advice) = match &error {
            Error::BadRequest(_) | Error::TooLarge(_) => (
                "That request cannot be done",
                "Go back, correct it and try again.",
            ),
            Error::Forbidden(_) => ("Not allowed", "Ask the board's owner for a link that allows it."),
            Error::NotFound(_) => ("Not found", "Check the address, or start from the home page."),
            Error::Conflict { .. } => ("That changed meanwhile", "Reload the page and try again."),
            Error::LimitExceeded(_) | Error::RateLimited(_) => {
                ("Too much at once", "Wait a moment and try again.")
            }
            Error::Unavailable(_) | Error::DatabaseDown(_) => (
                "The server cannot do that right now",
                "Its database is unreachable; try again in a minute.",
            ),
            Error::Moved(_) => (
                "The board is moving to another server",
                "Reload the page in a moment.",
            ),
            Error::Internal(_) => (
                "Something went wrong on our side",
                "Try again; if it persists, tell an admin.",
            ),
        };
        let detail = format!("{}.", capitalized(&error.public_message()));
        PageError {
            error,
            heading: heading.into(),
            detail,
            advice: advice.into(),
            link: ("/", "Go to the home page"),
        }
    }

    /// A page in the given words.
    pub fn explained(error: Error, heading: &str, detail: &str, advice: &str) -> Self {
        PageError {
            error,
            heading: heading.into(),
            detail: detail.into(),
            advice: advice.into(),
            link: ("/", "Go to the home page"),
        }
    }

    /// The same page with its one link elsewhere.
    pub fn linking(mut self, href: &'static str, text: &'static str) -> Self {
        self.link = (href, text);
        self
    }
}

impl From<Error> for PageError {
    fn from(error: Error) -> Self {
        PageError::new(error)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        error_status(&self.error)
    }

    fn error_response(&self) -> HttpResponse {
        self.error.log();
        let status = self.status_code();
        let page = ErrorTemplate {
            status: status.as_u16(),
            heading: &self.heading,
            detail: &self.detail,
            advice: &self.advice,
            link_href: self.link.0,
            link_text: self.link.1,
        };
        match page.render() {
            Ok(html) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(html),
            Err(e) => {
                log::error!("rendering an error page: {e}");
                HttpResponse::build(status)
                    .content_type("text/plain; charset=utf-8")
                    .body(format!("{}\n\n{}\n{}", self.heading, self.detail, self.advice))
            }
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Whether the request is a browser's asking for a page (not the API's).
pub fn wants_html(req: &HttpRequest) -> bool {
    let path = req.path();
    if path.starts_with("/api/") || path.starts_with("/ws/") {
        return false;
    }
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// Any route that does not exist: a page for a browser, JSON otherwise.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let error = Error::NotFound("no such route".into());
    if wants_html(&req) {
        PageError::explained(
            error,
            "Page not found",
            "There is no page at this address.",
            "Check the address, or start from the home page to create a board.",
        )
        .error_response()
    } else {
        error.error_response()
    }
}
