//! Admin sessions kept in the database (actix-session's `SessionStore`
//! over our pool): the cookie carries only a random key, so logging out,
//! or deleting the admin (from the CLI too), ends the session on the
//! server. A session ends after `admin_idle_timeout` without a request
//! (each request moves the expiry, and the cookie's Max-Age with it) and
//! `admin_lifetime` after its login in any case.
//!
//! A visitor who has not signed in (the login page's CSRF token) gets no
//! row: its few values travel in the cookie's key itself (`anon.…`, signed
//! with the rest of the cookie), so requests from nobody write nothing.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use sha2::{Digest, Sha256};

use crate::db::queries::{self, AdminSessionRow};
use crate::db::{checkout, Pool};
use crate::http::{blocking, unix_now as now};

/// The session value that names the signed-in admin (JSON-encoded, as
/// actix-session stores values).
pub const ADMIN_KEY: &str = "admin";

/// The database-backed session store.
#[derive(Clone)]
pub struct DbSessionStore {
    pool: Pool,
    lifetime: StdDuration,
}

impl DbSessionStore {
    pub fn new(pool: Pool, lifetime: StdDuration) -> Self {
        DbSessionStore { pool, lifetime }
    }
}

/// Only the key's hash is stored, so a copy of the table opens no session.
fn hash(key: &SessionKey) -> String {
    Sha256::digest(key.as_ref().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A store error for actix-session, which answers it with a plain 500 and
/// keeps only its words: the detail is logged here, the one place it is
/// seen.
fn logged(e: crate::error::Error) -> anyhow::Error {
    e.log();
    anyhow::Error::new(e)
}

/// The admin a session's values name ("" before login).
fn admin_of(state: &HashMap<String, String>) -> String {
    state
        .get(ADMIN_KEY)
        .and_then(|v| serde_json::from_str::<String>(v).ok())
        .unwrap_or_default()
}

/// The key of a session with no admin: its values and when it was made.
const ANONYMOUS: &str = "anon.";

#[derive(serde::Serialize, serde::Deserialize)]
struct Anonymous {
    made: i64,
    state: HashMap<String, String>,
}

fn anonymous_key(state: HashMap<String, String>) -> Result<SessionKey, SaveError> {
    use base64::Engine;
    let json = serde_json::to_vec(&Anonymous { made: now(), state })
        .map_err(|e| SaveError::Serialization(e.into()))?;
    let key = format!(
        "{ANONYMOUS}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    );
    SessionKey::try_from(key).map_err(|e| SaveError::Other(anyhow::anyhow!("{e}")))
}

/// The values an anonymous key carries, unless it is older than `lifetime`.
fn anonymous_state(key: &SessionKey, lifetime: i64) -> Option<HashMap<String, String>> {
    use base64::Engine;
    let data = key.as_ref().strip_prefix(ANONYMOUS)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(data)
        .ok()?;
    let anonymous: Anonymous = serde_json::from_slice(&json).ok()?;
    (now() - anonymous.made < lifetime).then_some(anonymous.state)
}

fn is_anonymous(key: &SessionKey) -> bool {
    key.as_ref().starts_with(ANONYMOUS)
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        if is_anonymous(key) {
            return Ok(anonymous_state(key, self.lifetime.as_secs() as i64));
        }
        let (pool, key_hash, lifetime) = (self.pool.clone(), hash(key), self.lifetime.as_secs() as i64);
        let row = blocking(move || {
            let mut conn = checkout(&pool)?;
            let now = now();
            match queries::find_admin_session(&mut conn, &key_hash, now)? {
                Some(row) if now - row.created_at < lifetime => Ok(Some(row)),
                Some(_) => {
                    queries::delete_admin_session(&mut conn, &key_hash)?;
                    Ok(None)
                }
                None => Ok(None),
            }
        })
        .await
        .map_err(|e| LoadError::Other(logged(e)))?;
        row.map(|r| serde_json::from_str(&r.state))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: HashMap<String, String>, ttl: &Duration) -> Result<SessionKey, SaveError> {
        if admin_of(&state).is_empty() {
            return anonymous_key(state);
        }
        let key = SessionKey::try_from(crate::tokens::token())
            .map_err(|e| SaveError::Other(anyhow::anyhow!("{e}")))?;
        let now = now();
        let row = AdminSessionRow {
            key_hash: hash(&key),
            admin: admin_of(&state),
            state: serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?,
            created_at: now,
            expires_at: now + ttl.whole_seconds(),
        };
        let pool = self.pool.clone();
        blocking(move || queries::insert_admin_session(&mut *checkout(&pool)?, &row))
            .await
            .map_err(|e| SaveError::Other(logged(e)))?;
        Ok(key)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        if is_anonymous(&key) {
            // a login (the first values worth a row), or new anonymous values
            return self.save(state, ttl).await.map_err(|e| match e {
                SaveError::Serialization(e) => UpdateError::Serialization(e),
                SaveError::Other(e) => UpdateError::Other(e),
            });
        }
        let json = serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let (pool, key_hash, admin, expires) = (
            self.pool.clone(),
            hash(&key),
            admin_of(&state),
            now() + ttl.whole_seconds(),
        );
        let live = blocking(move || {
            queries::update_admin_session(
                &mut *checkout(&pool)?,
                &key_hash,
                Some((&admin, &json)),
                expires,
                now(),
            )
        })
        .await
        .map_err(|e| UpdateError::Other(logged(e)))?;
        if live {
            Ok(key)
        } else {
            // Ended meanwhile (logout elsewhere, expiry): a new session,
            // which must not come back signed in.
            let mut state = state;
            state.remove(ADMIN_KEY);
            self.save(state, ttl).await.map_err(|e| match e {
                SaveError::Serialization(e) => UpdateError::Serialization(e),
                SaveError::Other(e) => UpdateError::Other(e),
            })
        }
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        if is_anonymous(key) {
            return Ok(());
        }
        let (pool, key_hash, expires) = (self.pool.clone(), hash(key), now() + ttl.whole_seconds());
        blocking(move || {
            queries::update_admin_session(&mut *checkout(&pool)?, &key_hash, None, expires, now())
        })
        .await?;
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        if is_anonymous(key) {
            return Ok(());
        }
        let (pool, key_hash) = (self.pool.clone(), hash(key));
        blocking(move || queries::delete_admin_session(&mut *checkout(&pool)?, &key_hash))
            .await
            .map_err(logged)?;
        Ok(())
    }
}
