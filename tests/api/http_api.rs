//! The HTTP API (PROTOCOL.md §1).

use serde_json::json;

use crate::helpers::*;

crate::on_both_backends!(create_and_read_a_board, refusals, health_and_metrics);

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

/// The page's assets come from `static_dir`, wherever the server runs.
#[actix_web::test]
async fn static_files_come_from_the_configured_directory() {
    let app = spawn_app(Backend::Sqlite).await;
    let (status, _) = app.get_text("/static/css/app.css").await;
    assert_eq!(status, 200, "the default is ./static");

    let dir = std::env::temp_dir().join(format!("corkboard-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("probe.txt"), "from elsewhere").expect("write");
    let path = dir.to_string_lossy().into_owned();
    let app = spawn_app_with(Backend::Sqlite, move |c| c.static_dir = path).await;
    assert_eq!(
        app.get_text("/static/probe.txt").await,
        (200, "from elsewhere".to_owned())
    );
    let (status, _) = app.get_text("/static/css/app.css").await;
    assert_eq!(status, 404, "./static is no longer served");
    let _ = std::fs::remove_dir_all(&dir);
}
