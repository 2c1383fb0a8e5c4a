//! Points of PROTOCOL.md that an audit found the server missing, each
//! pinned over real sockets.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

crate::on_both_backends!(
    welcome_comes_before_anything_the_session_answers,
    an_op_id_retry_without_ref_gets_no_reply,
    heartbeat_drops_a_silent_client_at_its_timeout,
    concurrent_upgrades_respect_the_member_limit,
    drag_previews_are_relayed_and_never_stored,
    the_welcome_carries_the_limits,
    a_request_that_is_not_an_upgrade_is_refused_in_json,
);

/// Frames sent right after the upgrade, without waiting for the welcome:
/// each is answered by the session itself (no board involved).
async fn send_early_frames(c: &mut Client) {
    c.send_raw(Message::text("not json")).await;
    c.send(json!({ "type": "ping", "ref": 1 })).await;
    c.send(json!({ "type": "cursor", "x": 1e9, "y": 0, "ref": 2 }))
        .await;
}

/// The next frame that is not presence traffic (the flood's).
async fn recv_own(c: &mut Client) -> Value {
    loop {
        let m = c.recv().await;
        if !m["type"].as_str().is_some_and(|t| t.starts_with("presence.")) {
            return m;
        }
    }
}

/// What `send_early_frames` gets back, in order.
async fn assert_early_answers(c: &mut Client) {
    let e = recv_own(c).await;
    assert_eq!(e["type"], "error", "{e}");
    assert_eq!(recv_own(c).await, json!({ "type": "pong", "ref": 1 }));
    let r = recv_own(c).await;
    assert_eq!(
        (r["ref"].clone(), r["ok"].clone()),
        (json!(2), json!(false)),
        "{r}"
    );
}

/// A member that keeps the board busy (a board turn lasts while its
/// mailbox is not empty) until the returned flag is set: `call.leave`
/// outside the call, answered `forbidden` to it alone, with up to two
/// batches in flight so that the board's mailbox never empties but does
/// not grow either. It runs on a thread of its own so that it does not
/// starve the test's runtime.
fn flood(url: String) -> Arc<AtomicBool> {
    const BATCH: usize = 100;
    let stop = Arc::new(AtomicBool::new(false));
    let done = stop.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("upgrade");
            let msg = json!({ "type": "call.leave" }).to_string();
            let mut in_flight = 0;
            while !done.load(Ordering::Relaxed) {
                if in_flight <= BATCH {
                    for _ in 0..BATCH {
                        if ws.feed(Message::text(msg.clone())).await.is_err() {
                            return;
                        }
                    }
                    if ws.flush().await.is_err() {
                        return;
                    }
                    in_flight += BATCH;
                }
                match ws.next().await {
                    Some(Ok(Message::Text(t))) if t.contains("\"reply\"") => in_flight -= 1,
                    Some(Ok(_)) => {}
                    _ => return,
                }
            }
            let _ = ws.close(None).await;
        });
    });
    stop
}

/// §3: `welcome` is always the first frame, and with `since` the replayed
/// events follow it at once, whatever the client sent meanwhile.
async fn welcome_comes_before_anything_the_session_answers(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_per_s = 1_000_000;
        c.rate_burst = 1_000_000;
    })
    .await;
    let b = app.board("B").await;
    let (mut writer, _) = app.join(&b, &b.edit, "W").await;
    for i in 0..3 {
        assert_eq!(writer.request(create_msg("s"), i).await["ok"], true);
    }
    writer.close().await;
    let stop = flood(app.ws_url(&b.id, &b.view, "flood", None));
    // let it get going
    tokio::time::sleep(Duration::from_millis(200)).await;
    for attempt in 0..40 {
        let since = (attempt % 2 == 1).then_some(1);
        let url = app.ws_url(&b.id, &b.edit, &format!("n{attempt}"), since);
        let mut c = Client::connect(&url).await.expect("upgrade");
        send_early_frames(&mut c).await;
        let first = c.recv().await;
        assert_eq!(first["type"], "welcome", "attempt {attempt}: {first}");
        if since.is_some() {
            assert_eq!(first["recovered"], true, "{first}");
            for seq in 2..=3 {
                let e = c.recv().await;
                assert_eq!(
                    (e["type"].clone(), e["seq"].clone()),
                    (json!("event"), json!(seq)),
                    "{e}"
                );
            }
        }
        assert_early_answers(&mut c).await;
        c.close().await;
    }
    stop.store(true, Ordering::Relaxed);
}

/// §3: a reply answers a message that had a `ref` (and every failed one);
/// a successful retry of an applied op_id without a `ref` gets none.
async fn an_op_id_retry_without_ref_gets_no_reply(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    let mut op = create_msg("once");
    op["op_id"] = json!(uuid::Uuid::new_v4().to_string());
    let first = a.request(op.clone(), 1).await;
    assert_eq!(first, json!({ "type": "reply", "ref": 1, "ok": true, "seq": 1 }));
    assert_eq!(a.recv_type("event").await["seq"], 1);

    a.send(op.clone()).await; // the retry, without a ref
                              // presence.set goes through the board after the retry: whatever the
                              // board answers the retry arrives before this reply
    a.send(json!({ "type": "presence.set", "state": {}, "ref": 2 }))
        .await;
    loop {
        let m = a.recv().await;
        assert_ne!(m["type"], "event", "the retry was applied again: {m}");
        if m["type"] == "reply" {
            assert_eq!(m["ref"], 2, "a reply to a message without ref: {m}");
            assert_eq!(m["ok"], true, "{m}");
            break;
        }
    }
    // with a ref the retry is answered with the original seq
    let again = a.request(op, 3).await;
    assert_eq!(again, json!({ "type": "reply", "ref": 3, "ok": true, "seq": 1 }));
}

/// §2: a connection from which nothing has arrived for the timeout is
/// closed then, not up to a ping interval later.
async fn heartbeat_drops_a_silent_client_at_its_timeout(backend: Backend) {
    // with the check on the ping tick the drop came at 1000 ms
    const INTERVAL: Duration = Duration::from_millis(500);
    const TIMEOUT: Duration = Duration::from_millis(600);
    let app = spawn_app_with(backend, |c| {
        c.heartbeat_interval_ms = INTERVAL.as_millis() as u64;
        c.heartbeat_timeout_ms = TIMEOUT.as_millis() as u64;
    })
    .await;
    let b = app.board("B").await;
    let (mut watcher, _) = app.join(&b, &b.view, "W").await;
    // the server last hears the silent client during the upgrade: after
    // `started`, before `connected`
    let started = Instant::now();
    let (silent, ws) = app.join(&b, &b.edit, "Silent").await;
    let connected = Instant::now();
    // the watcher reads (so it answers pings); the silent one never does
    assert_eq!(
        watcher.recv_type("presence.joined").await["member"]["session"],
        ws["session"]
    );
    let left = watcher.recv_type("presence.left").await;
    let (after_start, after_connect) = (started.elapsed(), connected.elapsed());
    assert_eq!(left["session"], ws["session"]);
    assert!(
        after_connect >= TIMEOUT - Duration::from_millis(50),
        "dropped early: {after_connect:?} after the upgrade"
    );
    assert!(
        after_start <= TIMEOUT * 5 / 4,
        "dropped {after_start:?} after the upgrade began; the timeout is {TIMEOUT:?}"
    );
    drop(silent);
}

/// §2: members per board over the limit → the upgrade is answered 429,
/// even when the upgrades arrive together.
async fn concurrent_upgrades_respect_the_member_limit(backend: Backend) {
    const MAX: usize = 3;
    let app = spawn_app_with(backend, |c| c.max_members = MAX).await;
    let b = app.board("B").await;
    let urls: Vec<String> = (0..8)
        .map(|i| app.ws_url(&b.id, &b.edit, &format!("c{i}"), None))
        .collect();
    let results = futures_util::future::join_all(urls.iter().map(|u| Client::connect(u))).await;
    let mut admitted = Vec::new();
    let mut refused = Vec::new();
    for r in results {
        match r {
            Ok(c) => admitted.push(c),
            Err(e) => refused.push(e),
        }
    }
    assert_eq!(
        (admitted.len(), refused.len()),
        (MAX, 8 - MAX),
        "refusals: {refused:?}"
    );
    assert!(refused.iter().all(|r| *r == Refused::Status(429)), "{refused:?}");
    let mut sessions = Vec::new();
    for c in &mut admitted {
        let w = c.recv().await;
        assert_eq!(w["type"], "welcome", "{w}");
        assert!(w["members"].as_array().is_some_and(|m| m.len() <= MAX), "{w}");
        sessions.push(w["session"].clone());
    }
    // the full board refuses; once one leaves, there is room again
    let full = Client::connect(&app.ws_url(&b.id, &b.edit, "late", None)).await;
    assert_eq!(full.err(), Some(Refused::Status(429)));
    let gone = admitted.pop().expect("a member");
    let gone_session = sessions.pop().expect("its session");
    gone.close().await;
    loop {
        let m = admitted[0].recv_type("presence.left").await;
        if m["session"] == gone_session {
            break;
        }
    }
    let (_late, w) = app.join(&b, &b.edit, "late").await;
    assert_eq!(w["members"].as_array().map(Vec::len), Some(MAX));
}

/// §5: on SIGTERM the server closes every socket with 1001 and exits 0
/// within 10 s, even when the database is down and ops wait for it (they
/// were never acknowledged, so nothing promised is lost).
#[actix_web::test]
async fn sigterm_while_the_database_is_down_closes_with_1001_in_time() {
    let cluster = OwnCluster::new();
    let db = cluster.database("shutdown");
    let mut server = start_binary(&db, &[]).await;
    let http = awc::Client::builder().timeout(WAIT).finish();
    let b = create_board(&http, &server.addr, "bye").await;
    let other = create_board(&http, &server.addr, "other").await;
    let mut clients = Vec::new();
    for (board, name) in [(&b, "a"), (&b, "b"), (&other, "c")] {
        let url = format!(
            "ws://{}/ws/boards/{}?token={}&name={name}",
            server.addr, board.id, board.edit
        );
        let mut c = Client::connect(&url).await.expect("upgrade");
        assert_eq!(c.recv().await["type"], "welcome");
        clients.push(c);
    }
    let acked = clients[0].request(create_msg("before"), 1).await;
    assert_eq!(acked["seq"], 1, "{acked}");

    cluster.run("stop");
    for (i, c) in clients.iter_mut().enumerate() {
        let mut op = create_msg("held");
        op["ref"] = json!(10 + i);
        c.send(op).await;
    }
    // long enough for a commit attempt to fail and the boards to hold on
    tokio::time::sleep(Duration::from_millis(500)).await;

    let started = Instant::now();
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill")
        .success());
    for c in &mut clients {
        // no op held back may be acknowledged: the database never saw it
        let code = loop {
            match tokio::time::timeout(Duration::from_secs(11), c.ws.next())
                .await
                .expect("closed within 11 s")
            {
                Some(Ok(Message::Close(f))) => break f.map(|f| u16::from(f.code)),
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("JSON");
                    assert_ne!(v["ok"], true, "a held op was acknowledged: {v}");
                }
                Some(Ok(_)) => {}
                other => panic!("no close frame: {other:?}"),
            }
        };
        assert_eq!(code, Some(1001));
    }
    let status = loop {
        if let Some(s) = server.child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no exit within 10 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    // what was acknowledged is there; the rest was never promised
    cluster.run("start");
    let mut server = start_binary(&db, &[]).await;
    let mut res = http
        .get(format!(
            "http://{}/api/boards/{}?token={}",
            server.addr, b.id, b.view
        ))
        .send()
        .await
        .expect("GET");
    let state: Value = res.json().await.expect("JSON");
    assert!(state["seq"].as_i64().is_some_and(|s| s >= 1), "{state}");
    let _ = server.child.kill();
    let _ = server.child.wait();
}

/// `sticker.drag` (extension): an editor's previews reach the others,
/// paced like cursors, not the sender; nothing is stored; a viewer may not.
async fn drag_previews_are_relayed_and_never_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("Drag").await;
    let (mut a, wa) = app.join(&b, &b.edit, "A").await;
    let (mut v, _) = app.join(&b, &b.view, "V").await;
    a.recv_type("presence.joined").await;
    let id = "0b0e7f0e-4c1d-4a63-9d5e-8f0b1d7e2a11";
    for i in 0..50 {
        a.send(json!({ "type": "sticker.drag", "id": id, "x": i, "y": 2 * i }))
            .await;
    }
    let first = v.recv_type("sticker.drag").await;
    let first_frame = first.clone();
    assert_eq!(first["session"], wa["session"]);
    assert_eq!(first["id"], id);
    // paced: the last position arrives, most of those between do not
    let mut seen = 1;
    let mut last = first;
    while last["x"] != 49.0 {
        last = v.recv_type("sticker.drag").await;
        seen += 1;
    }
    assert_eq!(last["y"], 98.0);
    assert!(seen < 10, "{seen} previews delivered of 50");
    a.assert_silent(Duration::from_millis(200)).await;
    let (_, state) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(state["seq"], 0, "nothing stored");
    // viewers cannot, and bad coordinates are refused
    let reply = v
        .request(json!({ "type": "sticker.drag", "id": id, "x": 1, "y": 1 }), 1)
        .await;
    assert_eq!(reply["error"]["code"], "forbidden", "{reply}");
    let reply = a
        .request(json!({ "type": "sticker.drag", "id": id, "x": 1e300, "y": 1 }), 2)
        .await;
    assert_eq!(reply["error"]["code"], "bad_request", "{reply}");
    // a resize carries the size; a bad one is refused
    let reply = a
        .request(
            json!({ "type": "sticker.drag", "id": id, "x": 1, "y": 1, "w": -5, "h": 10 }),
            3,
        )
        .await;
    assert_eq!(reply["error"]["code"], "bad_request", "{reply}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.send(json!({ "type": "sticker.drag", "id": id, "x": 1, "y": 1, "w": 300, "h": 200 }))
        .await;
    let resized = v.recv_type("sticker.drag").await;
    assert_eq!(
        (resized["w"].clone(), resized["h"].clone()),
        (json!(300.0), json!(200.0)),
        "{resized}"
    );
    assert!(first_frame.get("w").is_none(), "a move carries no size");
    assert!(first_frame.get("more").is_none(), "one sticker: no `more`");

    // a selection moves in one preview: the others of it in `more`
    let other = "1b0e7f0e-4c1d-4a63-9d5e-8f0b1d7e2a12";
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.send(json!({ "type": "sticker.drag", "id": id, "x": 5, "y": 6, "more": [{ "id": other, "x": 7, "y": 8 }] }))
        .await;
    let many = v.recv_type("sticker.drag").await;
    assert_eq!(
        many["more"],
        json!([{ "id": other, "x": 7.0, "y": 8.0 }]),
        "{many}"
    );
    let too_many: Vec<Value> = (0..100).map(|_| json!({ "id": other, "x": 1, "y": 1 })).collect();
    let reply = a
        .request(
            json!({ "type": "sticker.drag", "id": id, "x": 1, "y": 1, "more": too_many }),
            4,
        )
        .await;
    assert_eq!(reply["error"]["code"], "bad_request", "{reply}");
    let reply = a
        .request(json!({ "type": "sticker.drag", "id": id, "x": 1, "y": 1, "more": [{ "id": other, "x": 1e300, "y": 1 }] }), 5)
        .await;
    assert_eq!(reply["error"]["code"], "bad_request", "{reply}");
}

/// The welcome says which limits the page must keep to (extension).
async fn the_welcome_carries_the_limits(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.max_text_chars = 500;
        c.max_stickers = 7;
    })
    .await;
    let b = app.board("Limits").await;
    let (_, w) = app.join(&b, &b.view, "A").await;
    assert_eq!(w["limits"]["max_text_chars"], 500);
    assert_eq!(w["limits"]["max_stickers"], 7);
    assert_eq!(w["limits"]["max_title_chars"], 200);
    assert_eq!(w["limits"]["max_name_chars"], 64);
    for key in ["max_frame_bytes", "rate_per_s", "rate_burst"] {
        assert!(w["limits"][key].as_u64().is_some_and(|n| n > 0), "{key}: {w}");
    }
}

/// A plain GET of the socket's URL is refused in the error format (it was
/// actix's empty 400), and takes no member's place.
async fn a_request_that_is_not_an_upgrade_is_refused_in_json(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.max_members = 1).await;
    let b = app.board("B").await;
    let started = Instant::now();
    for _ in 0..3 {
        let (status, err) = app
            .get(&format!("/ws/boards/{}?token={}&name=a", b.id, b.edit))
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{err}"
        );
        let no_name = format!("ws://{}/ws/boards/{}?token={}", app.addr, b.id, b.edit);
        assert_eq!(Client::connect(&no_name).await.err(), Some(Refused::Status(400)));
    }
    let (_member, _) = app.join(&b, &b.edit, "first").await;
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "no place was held by a refusal"
    );
}
