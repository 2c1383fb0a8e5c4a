//! Random ids and tokens, URL-safe.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

fn random(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS random source failing is not something a server can go on
    // without: every token would be guessable.
    getrandom::fill(&mut buf).unwrap_or_else(|e| panic!("no OS randomness: {e}"));
    URL_SAFE_NO_PAD.encode(buf)
}

/// A board id (96 random bits).
pub fn board_id() -> String {
    random(12)
}

/// An edit or view token (192 random bits).
pub fn token() -> String {
    random(24)
}

/// A session id.
pub fn session_id() -> String {
    format!("s-{}", random(9))
}
