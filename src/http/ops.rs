//! `/healthz` and `/metrics`.

use std::sync::Arc;

use actix_web::{get, web, HttpResponse};

use super::blocking;
use crate::db::{checkout, queries, Pool};
use crate::error::Error;
use crate::state::Shared;

/// 200 when the database answers, else 503.
#[get("/healthz")]
pub async fn healthz(pool: web::Data<Pool>) -> Result<HttpResponse, Error> {
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
