//! The HTTP API (PROTOCOL.md §1).

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

crate::on_both_backends!(
    create_and_read_a_board,
    refusals,
    health_and_metrics,
    browsers_get_pages_that_explain,
    events_over_http_are_the_live_frames
);

async fn create_and_read_a_board(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("  Planning  ").await;
    assert!(b.edit.len() >= 22 && b.view.len() >= 22, "tokens carry 128+ bits");
    assert_ne!(b.edit, b.view);
    let (status, state) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(status, 200);
    assert_eq!(
        state,
        json!({ "id": b.id, "title": "Planning", "seq": 0, "stickers": [] })
    );
    // the bearer header works as well as ?token=
    let res = app
        .http
        .get(app.url(&format!("/api/boards/{}", b.id)))
        .insert_header(("Authorization", format!("Bearer {}", b.edit)))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status().as_u16(), 200);
    let (status, events) = app
        .get(&format!("/api/boards/{}/events?token={}", b.id, b.edit))
        .await;
    assert_eq!((status, events), (200, json!({ "events": [] })));
}

async fn refusals(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    let other = app.board("Other").await;
    for (body, status) in [
        (json!({ "title": "" }), 400),
        (json!({ "title": "   " }), 400),
        (json!({ "title": "x".repeat(201) }), 413),
        (json!({ "nope": 1 }), 400),
        (json!([1, 2]), 400),
    ] {
        let (got, err) = app.post("/api/boards", &body).await;
        assert_eq!(got, status, "{body} → {err}");
        assert!(err["error"]["code"].is_string(), "{err}");
    }
    let (status, err) = app.get("/api/boards/nosuchboard?token=x").await;
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, _) = app.get(&format!("/api/boards/{}?token=wrong", b.id)).await;
    assert_eq!(status, 403);
    let (status, _) = app.get(&format!("/api/boards/{}", b.id)).await;
    assert_eq!(status, 403);
    // a token of one board does not open another
    let (status, _) = app
        .get(&format!("/api/boards/{}?token={}", b.id, other.edit))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .get(&format!("/api/boards/{}/events?token={}", b.id, other.edit))
        .await;
    assert_eq!(status, 403);
    for q in ["limit=0", "limit=-1", "after=-1", "limit=abc"] {
        let (status, err) = app
            .get(&format!("/api/boards/{}/events?token={}&{q}", b.id, b.edit))
            .await;
        assert_eq!(status, 400, "{q}: {err}");
    }
    let (status, _) = app.get("/no/such/route").await;
    assert_eq!(status, 404);
}

/// A browser that cannot open a page gets a page saying what happened and
/// what to do; the API keeps answering JSON.
async fn browsers_get_pages_that_explain(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    for (path, status, says) in [
        (
            "/b/nosuchboard?token=x".to_owned(),
            404,
            "This board does not exist",
        ),
        (format!("/b/{}", b.id), 403, "This link is incomplete"),
        (
            format!("/b/{}?token=revoked", b.id),
            403,
            "This link no longer opens the board",
        ),
        ("/no/such/page".to_owned(), 404, "Page not found"),
    ] {
        let (got, kind, body) = app.get_page(&path).await;
        assert_eq!(got, status, "{path}");
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(body.contains(says), "{path}: {body}");
        assert!(body.contains("What to do"), "{path}: {body}");
        assert!(body.contains("href=\"/\""), "{path} links home: {body}");
    }
    let (status, _, body) = app.get_page(&format!("/b/{}?token={}", b.id, b.view)).await;
    assert_eq!(status, 200, "{body}");
    // the API answers JSON whatever the Accept header says
    for path in ["/api/nope", "/api/boards/nosuchboard?token=x"] {
        let (status, kind, body) = app.get_page(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(kind.starts_with("application/json"), "{path}: {kind}");
        let err: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(err["error"]["code"], "not_found", "{path}");
    }
    let (status, err) = app.get("/no/such/route").await;
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("not_found")));
}

async fn health_and_metrics(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200);
    let (status, text) = app.get_text("/metrics").await;
    assert_eq!(status, 200);
    for name in [
        "corkboard_connections_open",
        "corkboard_boards_open",
        "corkboard_events_committed_total",
        "corkboard_commit_batch_events_bucket",
        "corkboard_commit_seconds_bucket",
        "corkboard_slow_consumers_cut_total",
        "corkboard_heartbeat_drops_total",
    ] {
        assert!(text.contains(name), "{name} missing from\n{text}");
    }
}

/// An installed binary run from an empty directory serves its whole page:
/// the board page's CSS, scripts and icon are built in, with ETags that
/// revalidate to 304.
#[actix_web::test]
async fn the_binary_serves_its_page_from_an_empty_directory() {
    let dir = std::env::temp_dir().join(format!("corkboard-empty-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let db = format!("sqlite://{}", dir.join("board.db").display());
    let mut server = start_binary_in(Some(&dir), &db, &[]).await;
    let http = awc::Client::default();
    let base = format!("http://{}", server.addr);
    let board = create_board(&http, &server.addr, "Installed").await;

    let mut page = http
        .get(format!("{base}/b/{}?token={}", board.id, board.edit))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = String::from_utf8(page.body().await.expect("body").to_vec()).expect("utf-8");
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/static/"))
        .collect();
    assert!(
        assets.len() >= 3,
        "the page links its CSS, script and icon: {assets:?}"
    );
    for asset in assets
        .iter()
        .copied()
        .chain(["/favicon.ico", "/static/js/connection.js"])
    {
        let mut res = http.get(format!("{base}{asset}")).send().await.expect("asset");
        assert_eq!(res.status(), 200, "{asset}");
        let kind = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let want = if asset.ends_with(".css") {
            "text/css"
        } else if asset.ends_with(".js") {
            "javascript"
        } else {
            "image/svg+xml"
        };
        assert!(kind.contains(want), "{asset}: {kind}");
        assert!(!res.body().await.expect("body").is_empty(), "{asset}");
        let etag = res.headers().get("etag").cloned().expect("an ETag");
        assert_eq!(
            res.headers().get("cache-control").and_then(|v| v.to_str().ok()),
            Some("no-cache")
        );
        let again = http
            .get(format!("{base}{asset}"))
            .insert_header(("if-none-match", etag))
            .send()
            .await
            .expect("revalidate");
        assert_eq!(again.status(), 304, "{asset}");
    }
    let missing = http
        .get(format!("{base}/static/nope.js"))
        .send()
        .await
        .expect("missing");
    assert_eq!(missing.status(), 404);
    server.child.kill().expect("kill");
    let _ = server.child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--static-dir` serves a directory in place of the built-in files.
#[actix_web::test]
async fn static_dir_serves_a_directory_instead() {
    let dir = std::env::temp_dir().join(format!("corkboard-static-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("probe.txt"), "from elsewhere").expect("write");
    let path = dir.to_string_lossy().into_owned();
    let app = spawn_app_with(Backend::Sqlite, move |c| c.static_dir = Some(path)).await;
    assert_eq!(
        app.get_text("/static/probe.txt").await,
        (200, "from elsewhere".to_owned())
    );
    let (status, _) = app.get_text("/static/css/app.css").await;
    assert_eq!(status, 404, "the built-in files are no longer served");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A body that does not come is answered 408 and its connection closed
/// (it used to hold the socket for minutes); one that comes in pieces
/// within the allowance is served.
#[actix_web::test]
async fn slow_request_bodies_time_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(Backend::Sqlite, |c| c.body_timeout = Duration::from_millis(500)).await;
    let head = "POST /api/boards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";

    let mut stalled = tokio::net::TcpStream::connect(&app.addr).await.expect("connect");
    stalled
        .write_all(format!("{head}Content-Length: 100\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), stalled.read_to_string(&mut answer))
        .await
        .expect("answered and closed within 5 s")
        .expect("read");
    let took = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"bad_request\""), "{answer}");
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(3),
        "{took:?}"
    );

    let body = r#"{"title":"Arrives in two pieces"}"#;
    let mut slow = tokio::net::TcpStream::connect(&app.addr).await.expect("connect");
    slow.write_all(
        format!(
            "{head}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .expect("write");
    let (first, rest) = body.split_at(10);
    slow.write_all(first.as_bytes()).await.expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    slow.write_all(rest.as_bytes()).await.expect("write");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), slow.read_to_string(&mut answer))
        .await
        .expect("answered")
        .expect("read");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

/// No spelling of the token parameter gets a token into the log: the API,
/// the board page and the WebSocket upgrade, accepted or refused.
#[actix_web::test]
async fn tokens_never_reach_the_log() {
    let dir = std::env::temp_dir().join(format!("corkboard-log-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let log = dir.join("server.log");
    let db = format!("sqlite://{}", dir.join("b.db").display());
    let log_path = log.to_string_lossy().into_owned();
    let mut server = start_binary(&db, &[("RUST_LOG", "info"), ("CORKBOARD_TEST_STDERR", &log_path)]).await;
    let http = awc::Client::default();
    let b = create_board(&http, &server.addr, "Secret").await;
    let base = format!("http://{}", server.addr);
    for (path, want) in [
        (format!("/api/boards/{}?tok%65n={}", b.id, b.edit), 200),
        (format!("/b/{}?tok%65n={}", b.id, b.view), 200),
        (format!("/api/boards/{}?%74oken={}x", b.id, b.edit), 403),
        (format!("/api/boards/{}?Token={}", b.id, b.edit), 403),
    ] {
        let res = http.get(format!("{base}{path}")).send().await.expect("GET");
        assert_eq!(res.status().as_u16(), want, "{path}");
    }
    let (ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/ws/boards/{}?tok%65n={}&name=Ada",
        server.addr, b.id, b.edit
    ))
    .await
    .expect("the upgrade takes the encoded name");
    drop(ws);
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.child.kill().expect("kill");
    let _ = server.child.wait();
    let logged = std::fs::read_to_string(&log).expect("the log");
    assert!(
        logged.contains(&format!("/b/{}", b.id)),
        "requests are logged:\n{logged}"
    );
    assert!(logged.contains("/ws/boards/"), "the upgrade is logged:\n{logged}");
    for secret in [&b.edit, &b.view] {
        assert!(!logged.contains(secret.as_str()), "a token in the log:\n{logged}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `GET …/events` lists each event exactly as its live `event` frame
/// (§1 "as in §3"), so a client can compare and replay them as one.
async fn events_over_http_are_the_live_frames(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("Same").await;
    let (mut c, _) = app.join(&b, &b.edit, "Ada").await;
    assert_eq!(c.request(create_msg("one"), 1).await["ok"], true);
    let live_created = c.recv_type("event").await;
    assert_eq!(
        c.request(json!({ "type": "chat.send", "text": "hi" }), 2).await["ok"],
        true
    );
    let live_chat = c.recv_type("event").await;
    let (status, page) = app
        .get(&format!("/api/boards/{}/events?token={}", b.id, b.view))
        .await;
    assert_eq!(status, 200);
    assert_eq!(page, json!({ "events": [live_created, live_chat] }));
    assert_eq!(page["events"][0]["type"], "event");
    let (_, one) = app
        .get(&format!(
            "/api/boards/{}/events?token={}&after=1&limit=5",
            b.id, b.view
        ))
        .await;
    assert_eq!(one, json!({ "events": [live_chat] }));
    // §5's order of refusals: the board, then the token, then the numbers
    let (status, _) = app.get("/api/boards/nosuchboard/events?token=x&limit=abc").await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get(&format!("/api/boards/{}/events?token=wrong&limit=abc", b.id))
        .await;
    assert_eq!(status, 403);
}

/// An import's file (up to 64 MiB) is read only for a signed-in admin:
/// anyone else is turned away before a byte of it is buffered.
#[actix_web::test]
async fn nobody_but_an_admin_makes_the_server_read_an_import() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app(Backend::Sqlite).await;
    let mut s = tokio::net::TcpStream::connect(&app.addr).await.expect("connect");
    s.write_all(
        b"POST /admin/import HTTP/1.1\r\nHost: x\r\n\
          Content-Type: multipart/form-data; boundary=b\r\n\
          Content-Length: 67108000\r\nConnection: close\r\n\r\n--b\r\n",
    )
    .await
    .expect("write");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(3), s.read_to_string(&mut answer))
        .await
        .expect("answered at once, without the body")
        .expect("read");
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    assert!(answer.contains("/admin/login"), "{answer}");
}

/// Visitors who have not signed in write nothing: the login page's session
/// (its CSRF token) lives in the signed cookie, not in `admin_sessions`;
/// a login makes the one row, a logout removes it.
#[actix_web::test]
async fn only_a_signed_in_admin_has_a_session_row() {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let app = spawn_app(Backend::Sqlite).await;
    let rows = || {
        let (_, pool) = corkboard::db::connect(&app.db_url, 2).expect("connect");
        let mut conn = corkboard::db::checkout(&pool).expect("conn");
        diesel::sql_query("SELECT COUNT(*) AS n FROM admin_sessions")
            .get_result::<Count>(&mut *conn)
            .expect("count")
            .n
    };
    let http = awc::Client::builder().disable_redirects().finish();
    let mut cookie = String::new();
    for _ in 0..20 {
        let mut res = http.get(app.url("/admin/login")).send().await.expect("GET");
        assert_eq!(res.status(), 200);
        cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .expect("a cookie")
            .to_owned();
        let _ = res.body().await;
    }
    assert_eq!(rows(), 0, "nobody signed in, nothing stored");

    // the anonymous cookie carries the CSRF token the login form checks
    let mut page = http
        .get(app.url("/admin/login"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .expect("GET");
    let body = String::from_utf8(page.body().await.expect("body").to_vec()).expect("utf-8");
    let csrf = body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a csrf field")
        .to_owned();
    let password = "correct horse battery staple";
    let (_, pool) = corkboard::db::connect(&app.db_url, 2).expect("connect");
    corkboard::db::queries::create_admin(
        &mut corkboard::db::checkout(&pool).expect("conn"),
        &corkboard::db::queries::AdminRow {
            username: "root".into(),
            password_hash: corkboard::auth::hash_password(password).expect("hash"),
            created_at: "2026-01-01T00:00:00Z".into(),
        },
    )
    .expect("admin");
    let res = http
        .post(app.url("/admin/login"))
        .insert_header(("Cookie", cookie))
        .send_form(&[
            ("username", "root"),
            ("password", password),
            ("csrf_token", &csrf),
        ])
        .await
        .expect("login");
    assert_eq!(res.status(), 303);
    assert_eq!(rows(), 1, "the signed-in session is on the server");
}

/// The Grafana dashboard in deploy/ asks only for metrics the server has.
#[actix_web::test]
async fn the_grafana_dashboard_names_real_metrics() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, metrics) = app.get_text("/metrics").await;
    let dashboard = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/grafana-dashboard.json"
    ))
    .expect("the dashboard");
    let _: serde_json::Value = serde_json::from_str(&dashboard).expect("JSON");
    let names: std::collections::BTreeSet<&str> = dashboard
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("corkboard_"))
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        assert!(metrics.contains(name), "{name} is not in /metrics");
    }
}
