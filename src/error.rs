//! The one error type of corkboard, and its policy.
//!
//! Every failure a client can cause or observe is one `Error` variant. Each
//! variant maps to exactly one protocol error code (`code()`), used in
//! WebSocket replies, and to one HTTP status (see `http::error_status`).
//!
//! Policy:
//! - Bad input is `BadRequest`, `TooLarge` or `LimitExceeded` with a message
//!   that says what was wrong; it is never a panic and never `Internal`.
//! - A database that cannot be reached (a lost connection, a pool
//!   timeout, a busy or full disk) is `DatabaseDown`, and the server's own
//!   temporary refusals are `Unavailable`: the client may retry (code
//!   `unavailable`). Any other database error is a bug: `Internal`.
//! - `Internal` is a bug on our side; its detail is never sent to the
//!   client.
//! - An error is logged once, where its reply or response is made
//!   (`Error::log`), not where it is built: a bug at `error`, an outage at
//!   `warn`, what a client did wrong at `debug`.

use crate::domain::Sticker;

/// The result type used across corkboard.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure a client can see.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// Malformed or invalid input.
    #[error("{0}")]
    BadRequest(String),
    /// A token that does not grant what was asked.
    #[error("{0}")]
    Forbidden(String),
    /// An unknown board, sticker or session.
    #[error("{0}")]
    NotFound(String),
    /// The op does not apply to the current state; carries that state.
    #[error("{message}")]
    Conflict {
        message: String,
        sticker: Option<Box<Sticker>>,
    },
    /// A text, title or payload over its size limit.
    #[error("{0}")]
    TooLarge(String),
    /// A count limit (stickers, members, call participants) is reached.
    #[error("{0}")]
    LimitExceeded(String),
    /// The connection sends faster than its rate limit.
    #[error("{0}")]
    RateLimited(String),
    /// The server cannot do it now (shutting down, a board restarting, too
    /// many unacknowledged ops while the database is down).
    #[error("{0}")]
    Unavailable(String),
    /// Another node of the cluster owns the board (or took it from this
    /// one): the client reconnects, and the balancer's node takes it
    /// (docs/SCALE-OUT.md). Not retried by the board: its ops are not
    /// its to commit any more.
    #[error("{0}")]
    Moved(String),
    /// The database cannot be reached; the detail is logged, not shown.
    #[error("database unavailable")]
    DatabaseDown(String),
    /// A bug. The detail is logged, not shown.
    #[error("internal error")]
    Internal(String),
}

impl Error {
    /// The protocol's error code (PROTOCOL.md §3).
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad_request",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::Conflict { .. } => "conflict",
            Error::TooLarge(_) => "too_large",
            Error::LimitExceeded(_) => "limit_exceeded",
            Error::RateLimited(_) => "rate_limited",
            Error::Unavailable(_) | Error::DatabaseDown(_) | Error::Moved(_) => "unavailable",
            Error::Internal(_) => "internal",
        }
    }

    /// The message shown to the client.
    pub fn public_message(&self) -> String {
        match self {
            Error::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        }
    }

    /// Shorthand for `BadRequest`.
    pub fn bad(msg: impl Into<String>) -> Self {
        Error::BadRequest(msg.into())
    }

    /// The database is unreachable (the cause is kept for the log).
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        Error::DatabaseDown(cause.to_string())
    }

    /// A bug (the cause is kept for the log).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }

    /// Whether trying again later may succeed without a change on our side.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Unavailable(_) | Error::DatabaseDown(_))
    }

    /// Logs it: call once, where the reply or response is made.
    pub fn log(&self) {
        match self {
            Error::Internal(detail) => log::error!("internal error: {detail}"),
            Error::DatabaseDown(detail) => log::warn!("database unavailable: {detail}"),
            Error::Unavailable(why) | Error::Moved(why) => log::info!("unavailable: {why}"),
            other => log::debug!("refused ({}): {other}", other.code()),
        }
    }
}
