//! The confirmation pages of the destructive admin actions (delete,
//! restore, rotate a link, kick): a GET that changes nothing and says
//! exactly what the action will do, with the form that does it
//! (`confirm=yes`, the CSRF token; for a delete, the title typed).

use actix::Addr;
use actix_session::Session;
use actix_web::{get, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::boards::{live_sessions, state_at};
use super::{csrf_token, signed_in, Refusal};
use crate::actors::registry::Registry;
use crate::db::{checkout, queries, Pool};
use crate::error::Error;
use crate::protocol::Role;

/// `?action=delete|restore|rotate-edit|rotate-view|kick&seq=&session=`
#[derive(Deserialize)]
pub struct ConfirmQuery {
    action: String,
    seq: Option<String>,
    session: Option<String>,
}

/// A confirmation page.
#[derive(Template, WebTemplate)]
#[template(path = "admin/confirm.html")]
pub struct ConfirmPage {
    admin: String,
    csrf_token: String,
    board_id: String,
    /// What will happen, in one line.
    heading: String,
    /// What follows from it.
    details: Vec<String>,
    /// Where the form posts.
    post_to: String,
    /// Hidden fields besides the CSRF token and `confirm`.
    fields: Vec<(&'static str, String)>,
    /// The title to type (a delete).
    type_title: Option<String>,
    button: &'static str,
    danger: bool,
    /// A restore: the board's seq now and the one it goes back to, drawn.
    compare: Option<(i64, i64)>,
    /// A kick: offer to keep the member out for a while.
    keep_out: bool,
}

/// `n` with thousands separators: 4,210.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// What a restore does to the stickers, in words: the counts of the ops
/// that bring the board from `now` to `target`.
fn restore_changes(now: &crate::board::BoardState, target: &crate::board::BoardState) -> String {
    use crate::protocol::Op;
    let (mut created, mut changed, mut removed) = (0, 0, 0);
    for op in crate::board::ops_to_reach(now, target) {
        match op {
            Op::CreateSticker(_) => created += 1,
            Op::UpdateSticker { .. } => changed += 1,
            Op::DeleteSticker(_) => removed += 1,
            Op::Rename(_) | Op::Chat(_) => {}
        }
    }
    format!(
        "{} created, {} changed, {} removed.",
        count(created, "sticker", "stickers"),
        thousands(changed),
        thousands(removed)
    )
}

/// "1 sticker", "312 stickers".
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

#[get("/boards/{id}/confirm")]
pub async fn confirm(
    session: Session,
    id: web::Path<String>,
    q: web::Query<ConfirmQuery>,
    pool: web::Data<Pool>,
    registry: web::Data<Addr<Registry>>,
) -> Result<ConfirmPage, Refusal> {
    let admin = signed_in(&session)?;
    let id = id.into_inner();
    let seq = match q.action.as_str() {
        "restore" => Some(
            q.seq
                .as_deref()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|s| *s >= 0)
                .ok_or_else(|| Error::bad("give the seq to restore to: a whole number from 0"))?,
        ),
        _ => None,
    };
    let (pool, board_id) = (pool.get_ref().clone(), id.clone());
    let (row, stickers, target, changes) = crate::http::blocking(move || {
        let mut conn = checkout(&pool)?;
        let row = queries::board_row(&mut conn, &board_id)?;
        let stickers = queries::count_stickers(&mut conn, &board_id)?;
        let target = match seq {
            Some(upto) if upto > row.seq => {
                return Err(Error::bad(format!(
                    "the board is at seq {}: it cannot be restored to seq {upto}",
                    row.seq
                )))
            }
            Some(upto) => Some(state_at(&mut conn, &row, upto)?),
            None => None,
        };
        let changes = match &target {
            Some(target) => {
                let now = crate::board::BoardState {
                    title: row.title.clone(),
                    seq: row.seq,
                    stickers: queries::stickers_of(&mut conn, &board_id)?
                        .into_iter()
                        .map(|s| (s.id, s))
                        .collect(),
                };
                restore_changes(&now, target)
            }
            None => String::new(),
        };
        Ok((row, stickers, target, changes))
    })
    .await?;
    let sessions = live_sessions(&registry, &id).await;
    let connected = sessions.len() as i64;
    let title = &row.title;
    let base = format!("/admin/boards/{id}");
    let mut page = ConfirmPage {
        admin,
        csrf_token: csrf_token(&session),
        board_id: id.clone(),
        heading: String::new(),
        details: Vec::new(),
        post_to: String::new(),
        fields: Vec::new(),
        type_title: None,
        button: "",
        danger: true,
        compare: None,
        keep_out: false,
    };
    match q.action.as_str() {
        "delete" => {
            page.heading = format!(
                "Delete “{title}”: {}, {}, {} connected",
                count(stickers, "sticker", "stickers"),
                count(row.seq, "event", "events"),
                count(connected, "member", "members"),
            );
            page.details = vec![
                "The connected members are disconnected; the board, its stickers, its whole history \
                 and both its links are gone for good. This cannot be undone."
                    .into(),
                "Export the board first if it may be needed again.".into(),
            ];
            page.post_to = format!("{base}/delete");
            page.type_title = Some(title.clone());
            page.button = "Delete this board for good";
        }
        "rotate-edit" | "rotate-view" => {
            let (role, link, who_one, who_many) = if q.action == "rotate-edit" {
                (Role::Editor, "edit", "editor", "editors")
            } else {
                (Role::Viewer, "view-only", "viewer", "viewers")
            };
            let n = sessions.iter().filter(|s| s.role == role).count() as i64;
            let who = match n {
                0 => format!("no {who_one} is connected now, and the old link stops working"),
                1 => format!("the 1 {who_one} connected is disconnected and the old link stops working"),
                n => format!(
                    "the {} {who_many} connected are disconnected and the old link stops working",
                    thousands(n)
                ),
            };
            page.heading = format!("Rotate the {link} link of “{title}”: {who}");
            page.details = vec![format!(
                "A new {link} link is made and shown on the board's page: send it to the people \
                 who should keep it. The other link does not change."
            )];
            page.post_to = format!("{base}/rotate");
            page.fields = vec![("which", if role == Role::Editor { "edit" } else { "view" }.into())];
            page.button = if role == Role::Editor {
                "Rotate the edit link"
            } else {
                "Rotate the view-only link"
            };
        }
        "restore" => {
            let (Some(upto), Some(target)) = (seq, target) else {
                return Err(Error::internal("a restore without its seq").into());
            };
            page.heading = format!(
                "Restore “{title}” to seq {} (of {})",
                thousands(upto),
                thousands(row.seq)
            );
            page.details = vec![
                format!(
                    "Stickers: {} now, {} after.",
                    thousands(stickers),
                    thousands(target.stickers.len() as i64)
                ),
                if target.title == row.title {
                    "The title stays.".into()
                } else {
                    format!("The title becomes “{}”.", target.title)
                },
                format!(
                    "It is done with new events, which the {} connected see live; the history stays, \
                     so the board can be restored to seq {} afterwards.",
                    count(connected, "member", "members"),
                    thousands(row.seq)
                ),
            ];
            page.details.insert(0, changes);
            page.compare = Some((row.seq, upto));
            page.post_to = format!("{base}/restore");
            page.fields = vec![("seq", upto.to_string())];
            page.button = "Restore";
        }
        "kick" => {
            let wanted = q.session.as_deref().unwrap_or_default();
            let s = sessions
                .iter()
                .find(|s| s.session == wanted)
                .ok_or_else(|| Error::NotFound("that session is no longer connected".into()))?;
            let role = if s.role == Role::Editor {
                "editor"
            } else {
                "viewer"
            };
            page.heading = format!(
                "Kick {} ({role}, connected since {})",
                s.name,
                super::history::utc_text(&s.connected_at)
            );
            page.details = vec![format!(
                "Their connection to “{title}” is closed and the others see them leave. Choose how \
                 long their browser is kept out; someone set on coming back can still return with a \
                 new browser and the link: rotate the {} link to keep them out for good.",
                if s.role == Role::Editor {
                    "edit"
                } else {
                    "view-only"
                }
            )];
            page.keep_out = s.member_key.is_some();
            page.post_to = format!("{base}/kick");
            page.fields = vec![("session", s.session.clone())];
            page.button = "Kick";
        }
        other => {
            return Err(Error::bad(format!(
                "unknown action {other:?}: delete, restore, rotate-edit, rotate-view or kick"
            ))
            .into())
        }
    }
    Ok(page)
}
