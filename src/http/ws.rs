//! `GET /ws/boards/{id}`: every check that can refuse a connection happens
//! here, before the upgrade (the request's own faults first, then the
//! board, the token and the member limit); then the Session actor takes
//! the socket.

use std::sync::Arc;

use actix::Addr;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::token_of;
use crate::actors::board::{Admit, Board};
use crate::actors::registry::{Open, Registry};
use crate::actors::session::Session;
use crate::error::Error;
use crate::protocol::Role;
use crate::state::Shared;

/// `?token=&name=&since=&member=`
#[derive(Deserialize)]
pub struct ConnectQuery {
    token: Option<String>,
    name: Option<String>,
    since: Option<String>,
    member: Option<String>,
}

/// Finds (or opens) the board and checks the token.
async fn admit(registry: &Addr<Registry>, id: &str, token: &str) -> Result<(Addr<Board>, Role), Error> {
    // A board that stopped between the lookup and the check: ask again.
    for _ in 0..2 {
        let board = registry
            .send(Open {
                id: id.to_owned(),
                arbiter: actix::Arbiter::current(),
            })
            .await
            .map_err(Error::internal)?;
        if let Ok(role) = board
            .send(Admit {
                token: token.to_owned(),
            })
            .await
        {
            return Ok((board, role?));
        }
    }
    Err(Error::Unavailable("the board is restarting, try again".into()))
}

/// Upgrades to a WebSocket of a board's member.
#[get("/ws/boards/{id}")]
pub async fn connect(
    req: HttpRequest,
    stream: web::Payload,
    id: web::Path<String>,
    q: web::Query<ConnectQuery>,
    registry: web::Data<Addr<Registry>>,
    shared: web::Data<Arc<Shared>>,
    pool: web::Data<crate::db::Pool>,
) -> Result<HttpResponse, actix_web::Error> {
    if shared.draining() {
        return Err(Error::Unavailable("the server is shutting down".into()).into());
    }
    // What the request alone can tell comes first, so that an admission
    // (which holds a member's place until the join) is only made for an
    // upgrade that will happen.
    Session::check_upgrade(&req)?;
    let name = crate::board::validate_name(q.name.as_deref().unwrap_or_default())?;
    let since = match q.since.as_deref() {
        None => None,
        Some(s) => Some(
            s.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| Error::bad("since must be an integer >= 0"))?,
        ),
    };
    let member = super::member_key(q.member.as_deref())?;
    super::refuse_if_banned(&pool, &id, member.as_deref()).await?;
    let token = token_of(&req, q.token.as_deref());
    let (board, role) = admit(&registry, &id, &token).await?;
    Session::new(name, role, since, member, board, shared.get_ref().clone()).start(&req, stream)
}
