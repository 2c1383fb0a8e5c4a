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

/// The role a token grants on a board with these tokens, compared in
/// constant time; `None` when it opens neither.
pub fn role_for(edit_token: &str, view_token: &str, given: &str) -> Option<crate::protocol::Role> {
    let same = |t: &str| constant_time_eq::constant_time_eq(t.as_bytes(), given.as_bytes());
    if same(edit_token) {
        Some(crate::protocol::Role::Editor)
    } else if same(view_token) {
        Some(crate::protocol::Role::Viewer)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Role;

    #[test]
    fn tokens_grant_their_role_only() {
        let (edit, view) = (token(), token());
        assert!(edit.len() >= 22, "at least 128 random bits");
        assert_eq!(role_for(&edit, &view, &edit), Some(Role::Editor));
        assert_eq!(role_for(&edit, &view, &view), Some(Role::Viewer));
        assert_eq!(role_for(&edit, &view, ""), None);
        assert_eq!(role_for(&edit, &view, &edit[..10]), None);
    }
}
