//! A board drawn small (server-rendered SVG) for the admin pages: the
//! boards list, a board's page, and a restore's before and after.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{signed_in, Refusal};
use crate::db::{checkout, queries, Pool};
use crate::error::Error;
use crate::protocol::Sticker;

/// Stickers drawn at most (the top of the stack, by z).
const MAX_DRAWN: usize = 2000;
/// The chars of a sticker's text shown.
const TEXT_CHARS: usize = 24;

/// One sticker as drawn.
struct Drawn {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    color: String,
    text: String,
}

/// The SVG (askama escapes every value, as for HTML, which XML accepts).
#[derive(Template)]
#[template(path = "admin/thumbnail.svg", escape = "html")]
struct Thumbnail {
    /// min x, min y, width, height
    view: (f64, f64, f64, f64),
    label: String,
    stickers: Vec<Drawn>,
}

/// The SVG of these stickers, framed to their bounds and those of
/// `also_frame` (so that two drawings of one board compare).
pub fn svg(mut stickers: Vec<Sticker>, also_frame: &[Sticker], label: String) -> Result<String, Error> {
    stickers.sort_by(|a, b| a.z.total_cmp(&b.z));
    let skip = stickers.len().saturating_sub(MAX_DRAWN);
    let drawn: Vec<Drawn> = stickers
        .into_iter()
        .skip(skip)
        .map(|s| Drawn {
            x: s.x,
            y: s.y,
            w: s.w,
            h: s.h,
            color: s.color,
            text: s
                .text
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                // about as many chars as fit the sticker's width
                .take(TEXT_CHARS.min((s.w / 11.0) as usize))
                .collect(),
        })
        .collect();
    let boxes: Vec<(f64, f64, f64, f64)> = drawn
        .iter()
        .map(|d| (d.x, d.y, d.w, d.h))
        .chain(also_frame.iter().map(|s| (s.x, s.y, s.w, s.h)))
        .collect();
    let view = if boxes.is_empty() {
        (0.0, 0.0, 800.0, 500.0)
    } else {
        let min_x = boxes.iter().map(|b| b.0).fold(f64::INFINITY, f64::min);
        let min_y = boxes.iter().map(|b| b.1).fold(f64::INFINITY, f64::min);
        let max_x = boxes.iter().map(|b| b.0 + b.2).fold(f64::NEG_INFINITY, f64::max);
        let max_y = boxes.iter().map(|b| b.1 + b.3).fold(f64::NEG_INFINITY, f64::max);
        let pad = 40.0;
        (
            min_x - pad,
            min_y - pad,
            max_x - min_x + 2.0 * pad,
            max_y - min_y + 2.0 * pad,
        )
    };
    Thumbnail {
        view,
        label,
        stickers: drawn,
    }
    .render()
    .map_err(Error::internal)
}

/// `?seq=`: the board as it was after that event (default: now);
/// `&frame_with=`: framed to fit the board at that seq too.
#[derive(Deserialize)]
pub struct ThumbnailQuery {
    seq: Option<i64>,
    frame_with: Option<i64>,
}

#[get("/boards/{id}/thumbnail.svg")]
pub async fn thumbnail(
    session: Session,
    id: web::Path<String>,
    q: web::Query<ThumbnailQuery>,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, Refusal> {
    signed_in(&session)?;
    let (pool, board_id, seq, frame_with) = (pool.get_ref().clone(), id.into_inner(), q.seq, q.frame_with);
    let body = crate::http::blocking(move || {
        let mut conn = checkout(&pool)?;
        let row = queries::board_row(&mut conn, &board_id)?;
        let mut at = |seq: Option<i64>| -> Result<Vec<Sticker>, Error> {
            match seq {
                None => queries::stickers_of(&mut conn, &board_id),
                Some(upto) if upto == row.seq => queries::stickers_of(&mut conn, &board_id),
                Some(upto) if (0..row.seq).contains(&upto) => {
                    Ok(super::boards::state_at(&mut conn, &row, upto)?
                        .stickers
                        .into_values()
                        .collect())
                }
                Some(_) => Err(Error::bad(format!("seq must be in 0..={}", row.seq))),
            }
        };
        let stickers = at(seq)?;
        let frame = match frame_with {
            Some(other) => at(Some(other))?,
            None => Vec::new(),
        };
        let label = match seq {
            Some(upto) => format!("{} at seq {upto}", row.title),
            None => format!("{} now", row.title),
        };
        svg(stickers, &frame, label)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        // an admin's view of a board: never kept by a shared cache
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body))
}
