//! The page's CSS, JavaScript and icon, built into the binary (rust-embed),
//! so that an installed binary serves its page from any directory. Each
//! file carries an ETag (its SHA-256, computed at build time) and
//! `Cache-Control: no-cache`: browsers keep the file and revalidate it
//! with one cheap 304, so a new binary's files are seen at once.
//! `--static-dir` serves a directory instead (see `http::routes`).

use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::{get, web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use crate::error::Error;

/// `static/`, embedded.
#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// `GET /static/{path}` from the embedded copy.
#[get("/static/{path:.*}")]
pub async fn embedded(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, Error> {
    serve(&req, &path)
}

/// Browsers ask for `/favicon.ico` whatever the page links to.
#[get("/favicon.ico")]
pub async fn favicon(req: HttpRequest) -> Result<HttpResponse, Error> {
    serve(&req, "favicon.svg")
}

fn serve(req: &HttpRequest, path: &str) -> Result<HttpResponse, Error> {
    let file = Static::get(path).ok_or_else(|| Error::NotFound(format!("no file /static/{path}")))?;
    let hash = file.metadata.sha256_hash();
    let tag = EntityTag::new_strong(hash[..16].iter().map(|b| format!("{b:02x}")).collect());
    let fresh = match req.headers().get(header::IF_NONE_MATCH) {
        Some(_) => match header::Header::parse(req) {
            Ok(IfNoneMatch::Any) => true,
            Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&tag)),
            Err(_) => false,
        },
        None => false,
    };
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header(header::ETag(tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if fresh {
        return Ok(res.finish());
    }
    let body = match file.data {
        std::borrow::Cow::Borrowed(bytes) => web::Bytes::from_static(bytes),
        std::borrow::Cow::Owned(bytes) => web::Bytes::from(bytes),
    };
    Ok(res.content_type(file.metadata.mimetype()).body(body))
}
