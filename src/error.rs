//! The one error type of corkboard, and its policy.
//!
//! Every failure a client can cause or observe is one `Error` variant. Each
//! variant maps to exactly one protocol error code (`code()`), used in
//! WebSocket replies, and to one HTTP status (see `http::error_status`).
//!
//! Policy:
//! - Bad input is `BadRequest`, `TooLarge` or `LimitExceeded` with a message
//!   that says what was wrong; it is never a panic and never `Internal`.
//! - Database trouble is `Unavailable`: the client may retry. The detail is
//!   logged at `warn`, the client sees a generic message.
//! - `Internal` is a bug on our side; its detail is logged at `error` and
//!   never sent to the client.

use crate::protocol::Sticker;

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
    /// The database cannot be reached, or the board holds too many
    /// unacknowledged ops while it is down.
    #[error("{0}")]
    Unavailable(String),
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
            Error::Unavailable(_) => "unavailable",
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

    /// The database is unreachable; logs the cause.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        log::warn!("database unavailable: {cause}");
        Error::Unavailable("database unavailable".to_owned())
    }

    /// A bug; logs the cause.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Error::Internal(cause.to_string())
    }
}
