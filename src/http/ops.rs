//! `/healthz` and `/metrics`.

use std::sync::Arc;

use actix_web::{get, web, HttpResponse};

use super::blocking;
use crate::db::{checkout, queries, Pool};
use crate::error::Error;
use crate::state::Shared;

/// 200 when the database answers, else 503; 503 too once a shutdown has
/// begun, so that a load balancer's health check takes the node out
/// before its sockets close (scale-out: a rolling restart).
#[get("/healthz")]
pub async fn healthz(pool: web::Data<Pool>, shared: web::Data<Arc<Shared>>) -> Result<HttpResponse, Error> {
    if shared.draining() {
        return Err(Error::Unavailable("shutting down".into()));
    }
    let pool = pool.get_ref().clone();
    blocking(move || queries::ping(&mut *checkout(&pool)?)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "ok": true })))
}

/// Prometheus text format.
#[get("/metrics")]
pub async fn metrics(shared: web::Data<Arc<Shared>>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(shared.metrics.render())
}
