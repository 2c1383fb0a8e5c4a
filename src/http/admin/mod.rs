//! The admin pages: login with a signed session cookie, CSRF tokens on
//! every form, rate-limited logins, and server-rendered pages over the
//! boards (askama, `templates/admin/`).

pub mod audit;
pub mod boards;
pub mod charts;
pub mod cluster;
pub mod confirm;
pub mod history;
pub mod sessions;
pub mod thumbnail;

use std::num::NonZeroU32;
use std::sync::Arc;

use actix_session::config::{CookieContentSecurity, PersistentSession, TtlExtensionPolicy};
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{time, Key, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use askama_web::WebTemplate;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;

use super::blocking;
use super::pages::PageError;
use crate::db::{checkout, queries, Pool};
use crate::error::Error;
use crate::state::Shared;

use sessions::{DbSessionStore, ADMIN_KEY};
const CSRF_KEY: &str = "csrf";

/// Why an admin request is refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No admin session: to the login page.
    #[error("login required")]
    Login,
    /// The form's CSRF token is missing or wrong.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// Anything else, by the error policy.
    #[error(transparent)]
    Failed(#[from] Error),
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        match self {
            Refusal::Login => StatusCode::SEE_OTHER,
            Refusal::Csrf => StatusCode::FORBIDDEN,
            Refusal::Failed(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let page = match self {
            Refusal::Login => return see_other("/admin/login"),
            Refusal::Csrf => PageError::explained(
                Error::Forbidden("missing or wrong CSRF token".into()),
                "This form has expired",
                "The form was sent without this session's CSRF token (it came from an older page, \
                 another session, or another site), so nothing was done.",
                "Go back, reload the page and send the form again.",
            ),
            Refusal::Failed(e) => PageError::new(e.clone()),
        };
        page.linking("/admin", "Back to the admin pages").error_response()
    }
}

/// A redirect after a POST.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// The signed-in admin, or a redirect to the login page.
pub fn signed_in(session: &Session) -> Result<String, Refusal> {
    session
        .get::<String>(ADMIN_KEY)
        .ok()
        .flatten()
        .ok_or(Refusal::Login)
}

/// The session's CSRF token, made on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(t)) = session.get::<String>(CSRF_KEY) {
        return t;
    }
    let t = crate::tokens::token();
    if let Err(e) = session.insert(CSRF_KEY, &t) {
        log::warn!("cannot store a CSRF token: {e}");
    }
    t
}

/// Checks a form's CSRF token against the session's.
pub fn check_csrf(session: &Session, given: Option<&str>) -> Result<(), Refusal> {
    let expected = session.get::<String>(CSRF_KEY).ok().flatten();
    match (expected, given) {
        (Some(e), Some(g)) if constant_time_eq::constant_time_eq(e.as_bytes(), g.as_bytes()) => Ok(()),
        _ => Err(Refusal::Csrf),
    }
}

/// An admin POST: a signed-in admin and the session's CSRF token; the
/// admin's name.
pub fn authorized_post(session: &Session, csrf: Option<&str>) -> Result<String, Refusal> {
    let admin = signed_in(session)?;
    check_csrf(session, csrf)?;
    Ok(admin)
}

/// Login attempts allowed per client address, and per account from one
/// address. Not per account alone: then anyone could lock the real admin
/// out with a few wrong passwords from anywhere.
pub struct LoginLimits {
    by_ip: DefaultKeyedRateLimiter<String>,
    by_account: DefaultKeyedRateLimiter<(String, String)>,
}

impl LoginLimits {
    /// Five attempts in a burst, then one every 12 s (5 a minute), per
    /// address and per account and address.
    pub fn new() -> Self {
        let quota = Quota::per_minute(NonZeroU32::MIN.saturating_add(4))
            .allow_burst(NonZeroU32::MIN.saturating_add(4));
        LoginLimits {
            by_ip: RateLimiter::keyed(quota),
            by_account: RateLimiter::keyed(quota),
        }
    }

    /// Whether one more attempt at `account` from `ip` is allowed.
    fn allow(&self, ip: &str, account: &str) -> bool {
        let by_account = self
            .by_account
            .check_key(&(account.to_owned(), ip.to_owned()))
            .is_ok();
        self.by_ip.check_key(&ip.to_owned()).is_ok() && by_account
    }
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self::new()
    }
}

/// The key that signs admin cookies: from the configuration, else random
/// (made once per process, shared by every worker).
pub fn session_key(shared: &Shared) -> Key {
    match &shared.config.session_key {
        Some(secret) if secret.len() >= 32 => Key::derive_from(secret.as_bytes()),
        Some(_) => {
            log::warn!("CORKBOARD_SESSION_KEY is shorter than 32 bytes; using a random key instead");
            Key::generate()
        }
        None => {
            log::warn!(
                "no CORKBOARD_SESSION_KEY: admin sessions use a random key and end when the server restarts"
            );
            Key::generate()
        }
    }
}

/// The session middleware of the admin scope: the session lives in the
/// database (`sessions`), the cookie carries its key, signed, HttpOnly,
/// SameSite=Strict, Secure when configured (behind TLS), with a Max-Age
/// of the idle timeout that each request renews.
pub fn session_middleware(
    key: Key,
    pool: Pool,
    config: &crate::config::Config,
) -> SessionMiddleware<DbSessionStore> {
    // at most 30 days (the setting's bound), so the seconds fit
    let idle = time::Duration::seconds(config.admin_idle_timeout.as_secs() as i64);
    SessionMiddleware::builder(DbSessionStore::new(pool, config.admin_lifetime), key)
        .cookie_name("corkboard_admin".into())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Strict)
        .cookie_secure(config.cookie_secure)
        .cookie_content_security(CookieContentSecurity::Signed)
        .cookie_path("/admin".into())
        .session_lifecycle(
            PersistentSession::default()
                .session_ttl(idle)
                .session_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
        )
        .build()
}

/// The login page.
#[derive(Template, WebTemplate)]
#[template(path = "admin/login.html")]
pub struct LoginPage {
    csrf_token: String,
    error: Option<String>,
    username: String,
}

#[get("/login")]
pub async fn login_page(session: Session) -> LoginPage {
    LoginPage {
        csrf_token: csrf_token(&session),
        error: None,
        username: String::new(),
    }
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf_token: Option<String>,
}

#[post("/login")]
pub async fn login(
    req: HttpRequest,
    session: Session,
    form: web::Form<LoginForm>,
    pool: web::Data<Pool>,
    limits: web::Data<LoginLimits>,
) -> Result<HttpResponse, Refusal> {
    check_csrf(&session, form.csrf_token.as_deref())?;
    let ip = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let address = audit::address(&req);
    let username = form.username.trim().to_owned();
    let page = |error: &str, status: StatusCode| -> Result<HttpResponse, Refusal> {
        let body = LoginPage {
            csrf_token: csrf_token(&session),
            error: Some(error.to_owned()),
            username: username.clone(),
        }
        .render()
        .map_err(Error::internal)?;
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body))
    };
    if !limits.allow(&ip, &username) {
        // not in the audit trail: these attempts are not checked, and
        // there is no bound on them (the checked ones, 5 a minute per
        // address, are recorded)
        log::warn!("admin login rate limited (account {username:?})");
        return page(
            "Too many attempts. Wait a minute and try again.",
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let (db, name, password) = (pool.get_ref().clone(), username.clone(), form.password.clone());
    let ok = blocking(move || {
        let admin = queries::find_admin(&mut *checkout(&db)?, &name)?;
        // verify against a throwaway hash when the account does not exist,
        // so that timing does not tell which names exist
        let stored = admin
            .map(|a| a.password_hash)
            .unwrap_or_else(|| DUMMY_HASH.to_owned());
        Ok(crate::auth::verify_password(&password, &stored) && stored != DUMMY_HASH)
    })
    .await?;
    if !ok {
        log::info!("admin login refused (account {username:?})");
        audit::record(
            &pool,
            &username,
            &address,
            "login-failed",
            None,
            "wrong user name or password",
        )
        .await;
        return page("Wrong user name or password.", StatusCode::UNAUTHORIZED);
    }
    session.renew();
    session.insert(ADMIN_KEY, &username).map_err(Error::internal)?;
    session
        .insert(CSRF_KEY, crate::tokens::token())
        .map_err(Error::internal)?;
    log::info!("admin {username} signed in");
    audit::record(&pool, &username, &address, "login", None, "").await;
    Ok(see_other("/admin"))
}

/// An argon2 hash of no password anyone has.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Wd1qS6i2JtrW6gFKoIgeD6Zf8aXvA1d6jxNiQw7Mv8";

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct CsrfOnly {
    pub csrf_token: Option<String>,
}

#[post("/logout")]
pub async fn logout(
    req: HttpRequest,
    session: Session,
    form: web::Form<CsrfOnly>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, Refusal> {
    let admin = authorized_post(&session, form.csrf_token.as_deref())?;
    session.purge();
    audit::record(&pool, &admin, &audit::address(&req), "logout", None, "").await;
    Ok(see_other("/admin/login"))
}

/// `/admin`: the overview.
#[derive(Template, WebTemplate)]
#[template(path = "admin/overview.html")]
pub struct Overview {
    admin: String,
    csrf_token: String,
    connections: i64,
    boards: i64,
    events_per_s: String,
    commits: u64,
    commit_ms: String,
    database_ok: bool,
    charts: charts::Charts,
    /// Scale-out: this node's id and every node of the cluster (None on
    /// SQLite).
    node: Option<String>,
    nodes: Option<Vec<cluster::NodeView>>,
}

#[get("")]
pub async fn overview(
    session: Session,
    shared: web::Data<Arc<Shared>>,
    pool: web::Data<Pool>,
) -> Result<Overview, Refusal> {
    let admin = signed_in(&session)?;
    let m = &shared.metrics;
    let pool = pool.get_ref().clone();
    let ttl_ms = shared.config.cluster.lease_ttl_ms as i64;
    let nodes = blocking(move || {
        let mut conn = checkout(&pool)?;
        queries::ping(&mut conn)?;
        cluster::nodes(&mut conn, ttl_ms)
    })
    .await;
    let database_ok = nodes.is_ok();
    let nodes = nodes.ok().flatten();
    let commits = m.commit_seconds.get_sample_count();
    let commit_ms = if commits == 0 {
        "–".to_owned()
    } else {
        format!(
            "{:.2}",
            m.commit_seconds.get_sample_sum() * 1000.0 / commits as f64
        )
    };
    Ok(Overview {
        admin,
        csrf_token: csrf_token(&session),
        connections: m.connections.get(),
        boards: m.boards.get(),
        events_per_s: format!("{:.1}", shared.events_per_s()),
        commits,
        commit_ms,
        database_ok,
        charts: charts::charts(&shared.history()),
        node: shared.cluster.get().map(|c| c.node.to_string()),
        nodes,
    })
}

/// The admin scope, under `/admin`.
pub fn scope(
    key: Key,
    pool: Pool,
    config: &crate::config::Config,
) -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/admin")
        .wrap(session_middleware(key, pool, config))
        .app_data(boards::import_config())
        .service(login_page)
        .service(login)
        .service(logout)
        .service(overview)
        .service(charts::fragment)
        .service(charts::board_fragment)
        .service(audit::page)
        .service(boards::list)
        .service(boards::detail)
        .service(thumbnail::thumbnail)
        .service(confirm::confirm)
        .service(boards::kick)
        .service(boards::lift)
        .service(boards::rename)
        .service(boards::rotate)
        .service(boards::delete)
        .service(boards::restore)
        .service(boards::export)
        .service(boards::import)
}
