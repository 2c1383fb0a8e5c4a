//! The admin audit trail: every admin action is recorded (`record`) in
//! the `admin_audit` table, and `/admin/audit` lists it, newest first.
//! There is no route that changes or removes an entry.

use actix_session::Session;
use actix_web::{get, web, HttpRequest};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{csrf_token, signed_in, Refusal};
use crate::db::queries::{self, AuditRow, NewAudit};
use crate::db::{checkout, Pool};

/// Entries per page.
const PAGE_SIZE: usize = 50;

/// The client's address, as the login rate limit sees it.
pub fn address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// At most `max` characters of `text`, "…" if cut.
fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Records an admin action. Called once the action is done; if the
/// database refuses the entry, the action stands and the failure is
/// logged (with the entry, so that the log keeps it).
pub async fn record(
    pool: &Pool,
    admin: &str,
    address: &str,
    action: &str,
    board_id: Option<&str>,
    detail: impl Into<String>,
) {
    let entry = NewAudit {
        at: crate::actors::board::now_rfc3339(),
        // a failed login's name is whatever was typed: bounded
        admin: bounded(admin, 200),
        address: address.to_owned(),
        action: action.to_owned(),
        board_id: board_id.map(str::to_owned),
        detail: bounded(&detail.into(), 2000),
    };
    log::info!(
        "audit: {} from {}: {} {} {}",
        entry.admin,
        entry.address,
        entry.action,
        entry.board_id.as_deref().unwrap_or("-"),
        entry.detail
    );
    let (pool, e) = (pool.clone(), entry.clone());
    if let Err(err) = crate::http::blocking(move || queries::record_audit(&mut *checkout(&pool)?, &e)).await {
        log::error!("the audit trail did not take {entry:?}");
        err.log();
    }
}

/// `?page=`
#[derive(Deserialize)]
pub struct AuditQuery {
    page: Option<usize>,
}

/// `/admin/audit`
#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    admin: String,
    csrf_token: String,
    total: usize,
    page: usize,
    pages: usize,
    entries: Vec<AuditRow>,
}

#[get("/audit")]
pub async fn page(
    session: Session,
    q: web::Query<AuditQuery>,
    pool: web::Data<Pool>,
) -> Result<AuditPage, Refusal> {
    let admin = signed_in(&session)?;
    let (pool, page) = (pool.get_ref().clone(), q.page.unwrap_or(1));
    let found =
        crate::http::blocking(move || queries::audit_page(&mut *checkout(&pool)?, page, PAGE_SIZE)).await?;
    Ok(AuditPage {
        admin,
        csrf_token: csrf_token(&session),
        total: found.total,
        page: found.page,
        pages: found.pages,
        entries: found.entries,
    })
}
