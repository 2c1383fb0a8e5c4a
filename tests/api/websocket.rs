//! The WebSocket protocol: welcome, replies, events, presence, errors.

use std::time::Duration;

use futures_util::SinkExt;

use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

crate::on_both_backends!(
    upgrade_refusals,
    welcome_presence_and_leave,
    sticker_ops_replies_and_events,
    op_errors_and_viewer_rules,
    op_id_retry_is_applied_once,
    concurrent_writers_see_one_order_without_gaps,
    since_recovers_or_falls_back_to_a_snapshot,
    malformed_frames,
    cursor_presence_ping,
    rate_limit_refuses_then_closes,
    heartbeat_drops_a_silent_client,
    a_reader_that_stops_reading_is_cut,
    boards_and_sessions_do_not_leak,
);

async fn upgrade_refusals(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.max_members = 1).await;
    let b = app.board("B").await;
    let other = app.board("Other").await;
    let refused = |url: String| async move { Client::connect(&url).await.err() };
    assert_eq!(
        refused(app.ws_url("nosuch", &b.edit, "a", None)).await,
        Some(Refused::Status(404))
    );
    assert_eq!(
        refused(app.ws_url(&b.id, "wrong", "a", None)).await,
        Some(Refused::Status(403))
    );
    assert_eq!(
        refused(app.ws_url(&b.id, &other.edit, "a", None)).await,
        Some(Refused::Status(403))
    );
    let no_name = format!("ws://{}/ws/boards/{}?token={}", app.addr, b.id, b.edit);
    assert_eq!(refused(no_name).await, Some(Refused::Status(400)));
    assert_eq!(
        refused(app.ws_url(&b.id, &b.edit, "%20%20", None)).await,
        Some(Refused::Status(400))
    );
    let bad_since = format!("{}&since=abc", app.ws_url(&b.id, &b.edit, "a", None));
    assert_eq!(refused(bad_since).await, Some(Refused::Status(400)));
    let negative = format!("{}&since=-1", app.ws_url(&b.id, &b.edit, "a", None));
    assert_eq!(refused(negative).await, Some(Refused::Status(400)));
    let (_first, _) = app.join(&b, &b.edit, "first").await;
    assert_eq!(
        refused(app.ws_url(&b.id, &b.edit, "second", None)).await,
        Some(Refused::Status(429))
    );
}

async fn welcome_presence_and_leave(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("Team").await;
    let long_name = "n".repeat(80);
    let (mut a, wa) = app.join(&b, &b.edit, &long_name).await;
    assert_eq!(wa["role"], "editor");
    assert_eq!(wa["name"].as_str().map(|n| n.chars().count()), Some(64));
    assert_eq!(wa["board"], json!({ "id": b.id, "title": "Team" }));
    assert_eq!(
        (wa["seq"].clone(), wa["recovered"].clone()),
        (json!(0), json!(false))
    );
    assert_eq!(
        (wa["stickers"].clone(), wa["chat"].clone()),
        (json!([]), json!([]))
    );
    assert_eq!(
        wa["members"].as_array().map(Vec::len),
        Some(1),
        "members include the joiner"
    );
    assert_eq!(wa["members"][0]["session"], wa["session"]);
    assert_eq!(
        wa["heartbeat"],
        json!({ "interval_ms": 5000, "timeout_ms": 15000 })
    );
    assert_eq!(
        wa["call"],
        json!({ "participants": [], "max": 6, "ice_servers": [] })
    );

    let (v, wv) = app.join(&b, &b.view, "Viewer").await;
    assert_eq!(wv["role"], "viewer");
    assert_eq!(wv["members"].as_array().map(Vec::len), Some(2));
    let joined = a.recv().await;
    assert_eq!(joined["type"], "presence.joined");
    assert_eq!(joined["member"]["session"], wv["session"]);
    assert_eq!(joined["member"]["role"], "viewer");
    assert_eq!(joined["member"]["in_call"], false);
    assert_eq!(joined["member"]["state"], json!({}));
    v.close().await;
    let left = a.recv().await;
    assert_eq!(left, json!({ "type": "presence.left", "session": wv["session"] }));
    // the viewer got no presence.joined for itself: its next frame would be
    // the first after its welcome, and it is gone; A got nothing else.
    a.assert_silent(Duration::from_millis(200)).await;
}

async fn sticker_ops_replies_and_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    let (mut c, wc) = app.join(&b, &b.edit, "C").await;
    a.recv_type("presence.joined").await;

    a.send(json!({ "type": "sticker.create", "ref": 1,
        "sticker": { "x": 1, "y": 2, "w": 30, "h": 40, "color": "#AABBCC", "text": "hello" } }))
        .await;
    // the author's reply comes before the event it caused
    let reply = a.recv().await;
    assert_eq!(reply, json!({ "type": "reply", "ref": 1, "ok": true, "seq": 1 }));
    let ev = a.recv().await;
    assert_eq!(ev["type"], "event");
    assert_eq!(ev["seq"], 1);
    assert_eq!(ev["event"]["kind"], "sticker.created");
    let sticker = ev["event"]["sticker"].clone();
    assert_eq!(sticker["color"], "#aabbcc");
    assert_eq!(
        (sticker["version"].clone(), sticker["z"].clone()),
        (json!(1), json!(0.0))
    );
    assert_eq!(sticker["updated_at"], ev["at"]);
    assert_eq!(ev["by"]["name"], "A");
    assert_eq!(c.recv().await, ev, "every member sees the same event");
    let id = sticker["id"].as_str().expect("id").to_owned();

    let reply = a
        .request(json!({ "type": "sticker.update", "id": id, "patch": { "x": 50, "text": "moved" }, "if_version": 1 }), 2)
        .await;
    assert_eq!(reply["seq"], 2);
    let ev = c.recv().await;
    assert_eq!(
        ev["event"],
        json!({ "kind": "sticker.updated", "id": id, "patch": { "x": 50.0, "text": "moved" }, "version": 2 })
    );

    let stale = a
        .request(
            json!({ "type": "sticker.update", "id": id, "patch": { "x": 1 }, "if_version": 1 }),
            3,
        )
        .await;
    assert_eq!(stale["ok"], false);
    assert_eq!(stale["error"]["code"], "conflict");
    assert_eq!(stale["error"]["sticker"]["version"], 2);
    assert_eq!(stale["error"]["sticker"]["text"], "moved");

    let dup = a
        .request(json!({ "type": "sticker.create", "sticker": { "id": id, "x": 1, "y": 2, "w": 3, "h": 4, "color": "#000000", "text": "" } }), 4)
        .await;
    assert_eq!(dup["error"]["code"], "conflict");
    assert_eq!(dup["error"]["sticker"]["id"], id);

    assert_eq!(
        a.request(json!({ "type": "board.rename", "title": " Renamed " }), 5)
            .await["seq"],
        3
    );
    assert_eq!(
        c.recv().await["event"],
        json!({ "kind": "board.renamed", "title": "Renamed" })
    );
    assert_eq!(a.recv_type("event").await["event"]["kind"], "board.renamed");
    assert_eq!(
        c.request(json!({ "type": "chat.send", "text": "hi all" }), 6)
            .await["seq"],
        4
    );
    assert_eq!(c.recv_type("event").await["seq"], 4);
    let chat = a.recv_type("event").await;
    assert_eq!(chat["event"]["kind"], "chat");
    assert_eq!(chat["event"]["text"], "hi all");
    assert_eq!(chat["by"]["session"], wc["session"]);
    assert_eq!(
        a.request(json!({ "type": "sticker.delete", "id": id }), 7).await["seq"],
        5
    );
    assert_eq!(
        c.recv_type("event").await["event"],
        json!({ "kind": "sticker.deleted", "id": id })
    );
    assert_eq!(a.recv_type("event").await["seq"], 5);
    // an op without a ref gets no reply on success, only the event
    a.send(create_msg("quiet")).await;
    let ev = a.recv().await;
    assert_eq!(
        (ev["type"].clone(), ev["seq"].clone()),
        (json!("event"), json!(6))
    );

    // the committed state and the log agree with what the members saw
    let (_, state) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(state["title"], "Renamed");
    assert_eq!(state["seq"], 6);
    assert_eq!(state["stickers"].as_array().map(Vec::len), Some(1));
    let (_, log) = app
        .get(&format!(
            "/api/boards/{}/events?token={}&after=2&limit=2",
            b.id, b.view
        ))
        .await;
    let seqs: Vec<i64> = log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    assert_eq!(seqs, vec![3, 4]);
    assert_eq!(log["events"][0]["event"]["kind"], "board.renamed");

    // a new member gets the chat history and the stickers in its welcome
    let (_, w) = app.join(&b, &b.view, "Late").await;
    assert_eq!(w["seq"], 6);
    assert_eq!(w["chat"].as_array().map(Vec::len), Some(1));
    assert_eq!(w["chat"][0]["event"]["text"], "hi all");
    assert_eq!(w["stickers"][0]["text"], "quiet");
}

async fn op_errors_and_viewer_rules(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.max_stickers = 1;
        c.max_text_chars = 5;
    })
    .await;
    let b = app.board("B").await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    let (mut v, _) = app.join(&b, &b.view, "V").await;
    a.recv_type("presence.joined").await;
    let code = |r: &Value| r["error"]["code"].as_str().unwrap_or("none").to_owned();
    let sticker = |color: &str, text: &str, x: f64| json!({ "type": "sticker.create", "sticker": { "x": x, "y": 0, "w": 1, "h": 1, "color": color, "text": text } });
    assert_eq!(code(&a.request(sticker("red", "", 0.0), 1).await), "bad_request");
    assert_eq!(
        code(&a.request(sticker("#00ff00", "", 2e7), 2).await),
        "bad_request"
    );
    assert_eq!(
        code(&a.request(sticker("#00ff00", "toolong", 0.0), 3).await),
        "too_large"
    );
    let bad_id = json!({ "type": "sticker.create", "sticker": { "id": "not-a-uuid", "x": 0, "y": 0, "w": 1, "h": 1, "color": "#000000", "text": "" } });
    assert_eq!(code(&a.request(bad_id, 4).await), "bad_request");
    assert_eq!(a.request(sticker("#00ff00", "ok", 0.0), 5).await["ok"], true);
    assert_eq!(
        code(&a.request(sticker("#00ff00", "two", 0.0), 6).await),
        "limit_exceeded"
    );
    let missing = json!({ "type": "sticker.update", "id": uuid::Uuid::new_v4(), "patch": { "x": 1 } });
    assert_eq!(code(&a.request(missing, 7).await), "not_found");
    let missing = json!({ "type": "sticker.delete", "id": uuid::Uuid::new_v4() });
    assert_eq!(code(&a.request(missing, 8).await), "not_found");
    assert_eq!(
        code(&a.request(json!({ "type": "board.rename", "title": "" }), 9).await),
        "bad_request"
    );
    assert_eq!(
        code(
            &a.request(json!({ "type": "board.rename", "title": "t".repeat(201) }), 10)
                .await
        ),
        "too_large"
    );
    assert_eq!(
        code(
            &a.request(json!({ "type": "chat.send", "text": "123456" }), 11)
                .await
        ),
        "too_large"
    );
    // viewers may chat, not edit
    assert_eq!(
        code(&v.request(sticker("#00ff00", "", 0.0), 12).await),
        "forbidden"
    );
    assert_eq!(
        code(
            &v.request(json!({ "type": "board.rename", "title": "x" }), 13)
                .await
        ),
        "forbidden"
    );
    assert_eq!(
        v.request(json!({ "type": "chat.send", "text": "hey" }), 14).await["ok"],
        true
    );
    // failures without a ref are answered with ref null
    a.send(sticker("nope", "", 0.0)).await;
    let r = a.recv_type("reply").await;
    assert_eq!((r["ref"].clone(), r["ok"].clone()), (Value::Null, json!(false)));
    let (_, state) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(state["seq"], 2, "failed ops assign no seq");
}

async fn op_id_retry_is_applied_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    let op_id = uuid::Uuid::new_v4();
    let mut msg = create_msg("once");
    msg["op_id"] = json!(op_id);
    let first = a.request(msg.clone(), 1).await;
    assert_eq!(first["seq"], 1);
    a.recv_type("event").await;
    // the retry carries another body: the op_id alone decides
    msg["sticker"]["text"] = json!("twice");
    let retry = a.request(msg.clone(), 2).await;
    assert_eq!(retry, json!({ "type": "reply", "ref": 2, "ok": true, "seq": 1 }));
    a.assert_silent(Duration::from_millis(300)).await;
    // also after a reconnect, and through a new Board actor after a restart of the board
    a.close().await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    assert_eq!(a.request(msg.clone(), 3).await["seq"], 1);
    let (_, state) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(state["seq"], 1);
    assert_eq!(state["stickers"].as_array().map(Vec::len), Some(1));
    a.close().await;
    app.wait_metric("corkboard_boards_open", 0.0).await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    assert_eq!(
        a.request(msg, 4).await["seq"],
        1,
        "op_ids survive the board's reload"
    );
}

async fn concurrent_writers_see_one_order_without_gaps(backend: Backend) {
    const OPS: usize = 60;
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    let mut clients = Vec::new();
    for name in ["a", "b", "c"] {
        let (c, _) = app.join(&b, &b.edit, name).await;
        clients.push(c);
    }
    let (mut first, _) = app.join(&b, &b.edit, "seed").await;
    let created = first.request(create_msg("shared"), 0).await;
    assert_eq!(created["seq"], 1);
    let ev = first.recv_type("event").await;
    let id = ev["event"]["sticker"]["id"].clone();
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(n, mut c)| {
            let id = id.clone();
            actix_web::rt::spawn(async move {
                for i in 0..OPS {
                    let r = (n * 1000 + i) as i64;
                    c.send(json!({ "type": "sticker.update", "id": id, "patch": { "x": r }, "ref": r }))
                        .await;
                }
                // read everything: every event in order, own replies before own events
                let mut seqs = Vec::new();
                let mut replied = std::collections::HashSet::new();
                while seqs.len() < 3 * OPS + 1 || replied.len() < OPS {
                    let m = c.recv().await;
                    match m["type"].as_str() {
                        Some("reply") => {
                            assert_eq!(m["ok"], true, "{m}");
                            replied.insert(m["seq"].as_i64().expect("seq"));
                        }
                        Some("event") => {
                            let seq = m["seq"].as_i64().expect("seq");
                            let own = m["event"]["patch"]["x"].as_f64().map(|x| x as usize / 1000 == n);
                            if own == Some(true) && seq > 1 {
                                assert!(replied.contains(&seq), "event {seq} came before its reply");
                            }
                            seqs.push(seq);
                        }
                        _ => {}
                    }
                }
                seqs
            })
        })
        .collect();
    for t in tasks {
        let seqs = t.await.expect("client task");
        let from = seqs[0];
        let expected: Vec<i64> = (from..from + seqs.len() as i64).collect();
        assert_eq!(seqs, expected, "in order, without gaps");
        assert_eq!(*seqs.last().expect("events"), (3 * OPS + 1) as i64);
    }
    let (_, log) = app
        .get(&format!(
            "/api/boards/{}/events?token={}&limit=1000",
            b.id, b.view
        ))
        .await;
    assert_eq!(log["events"].as_array().map(Vec::len), Some(3 * OPS + 1));
}

async fn since_recovers_or_falls_back_to_a_snapshot(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.recovery_max_events = 3).await;
    let b = app.board("B").await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    for i in 0..5 {
        a.request(create_msg(&format!("s{i}")), i).await;
    }
    let join_since = |since: i64| {
        let url = app.ws_url(&b.id, &b.view, "R", Some(since));
        async move {
            let mut c = Client::connect(&url).await.expect("upgrade");
            let w = c.recv().await;
            (c, w)
        }
    };
    let (mut r, w) = join_since(3).await;
    assert_eq!(
        (w["recovered"].clone(), w["seq"].clone()),
        (json!(true), json!(5))
    );
    assert!(w.get("stickers").is_none() && w.get("chat").is_none(), "{w}");
    assert_eq!(r.recv().await["seq"], 4);
    assert_eq!(r.recv().await["seq"], 5);
    // nothing replayed twice (the previous reader's presence.left may come)
    r.assert_no_events(Duration::from_millis(200)).await;
    r.close().await;
    let (mut r, w) = join_since(5).await;
    assert_eq!(w["recovered"], true);
    r.assert_no_events(Duration::from_millis(200)).await;
    r.close().await;
    // too old for the retained log, or from the future: a snapshot
    for since in [1, 6] {
        let (r, w) = join_since(since).await;
        assert_eq!(w["recovered"], false, "since={since}");
        assert_eq!(w["stickers"].as_array().map(Vec::len), Some(5));
        r.close().await;
    }
    // after a reload of the board the log is still there
    a.close().await;
    app.wait_metric("corkboard_boards_open", 0.0).await;
    let (mut r, w) = join_since(4).await;
    assert_eq!(w["recovered"], true);
    assert_eq!(r.recv().await["seq"], 5);
}

async fn malformed_frames(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.max_frame_bytes = 4096).await;
    let b = app.board("B").await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    for bad in ["not json", "[1,2]", "42", "{\"no\":\"type\"}", "{\"type\":7}"] {
        a.send_raw(Message::text(bad)).await;
        let e = a.recv().await;
        assert_eq!(e["type"], "error", "{bad}: {e}");
        assert_eq!(e["error"]["code"], "bad_request");
    }
    let r = a.request(json!({ "type": "no.such.type" }), 1).await;
    assert_eq!(r["error"]["code"], "bad_request");
    let r = a.request(json!({ "type": "sticker.update", "id": "x" }), 2).await;
    assert_eq!(r["error"]["code"], "bad_request");
    a.send(json!({ "type": "ping", "ref": { "an": "object" } })).await;
    let r = a.recv().await;
    assert_eq!(
        (r["type"].clone(), r["ref"].clone(), r["error"]["code"].clone()),
        (json!("reply"), Value::Null, json!("bad_request"))
    );
    a.send(json!({ "type": "ping", "ref": "r".repeat(65) })).await;
    assert_eq!(a.recv().await["ref"], Value::Null);
    // still open
    assert_eq!(
        a.request(json!({ "type": "chat.send", "text": "alive" }), 3)
            .await["ok"],
        true
    );

    a.send_raw(Message::binary(vec![1, 2, 3])).await;
    assert_eq!(a.closed().await, Some(1003));
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    a.send_raw(Message::text("x".repeat(5000))).await;
    assert_eq!(a.closed().await, Some(1009));
}

async fn cursor_presence_ping(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    let (mut a, wa) = app.join(&b, &b.edit, "A").await;
    let (mut v, _) = app.join(&b, &b.view, "V").await;
    a.recv_type("presence.joined").await;
    a.send(json!({ "type": "ping", "ref": "p" })).await;
    assert_eq!(a.recv_type("pong").await, json!({ "type": "pong", "ref": "p" }));

    a.send(json!({ "type": "cursor", "x": 1.5, "y": -2 })).await;
    let c = v.recv().await;
    assert_eq!(
        c,
        json!({ "type": "cursor", "session": wa["session"], "x": 1.5, "y": -2.0 })
    );
    // a burst is coalesced: the latest position arrives, the ones between are dropped
    for i in 0..20 {
        a.send(json!({ "type": "cursor", "x": i, "y": 0 })).await;
    }
    let mut xs = Vec::new();
    loop {
        let c = v.recv_type("cursor").await;
        xs.push(c["x"].as_f64().expect("x"));
        if xs.last() == Some(&19.0) {
            break;
        }
    }
    assert!(xs.len() < 20, "{xs:?} was not coalesced");
    let r = a.request(json!({ "type": "cursor", "x": 1e8, "y": 0 }), 1).await;
    assert_eq!(r["error"]["code"], "bad_request");
    // the sender gets no echo of its cursor
    a.assert_silent(Duration::from_millis(100)).await;

    let r = v
        .request(json!({ "type": "presence.set", "state": { "color": "red" } }), 2)
        .await;
    assert_eq!(r["ok"], true);
    let up = a.recv_type("presence.updated").await;
    assert_eq!(up["member"]["state"], json!({ "color": "red" }));
    assert_eq!(
        v.recv_type("presence.updated").await,
        up,
        "the sender gets it too"
    );
    let big = json!({ "type": "presence.set", "state": { "k": "x".repeat(1100) } });
    assert_eq!(v.request(big, 3).await["error"]["code"], "too_large");
    assert_eq!(
        v.request(json!({ "type": "presence.set", "state": [1] }), 4)
            .await["error"]["code"],
        "bad_request"
    );
}

async fn rate_limit_refuses_then_closes(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_per_s = 5;
        c.rate_burst = 5;
    })
    .await;
    let b = app.board("B").await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    for i in 0..20 {
        a.send(json!({ "type": "ping", "ref": i })).await;
    }
    let (mut pongs, mut limited) = (0, 0);
    while pongs + limited < 20 {
        let m = a.recv().await;
        match m["type"].as_str() {
            Some("pong") => pongs += 1,
            Some("reply") => {
                assert_eq!(m["error"]["code"], "rate_limited");
                assert!(m["ref"].is_i64(), "the refused frame's ref is echoed");
                limited += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!((5..=7).contains(&pongs), "{pongs} pongs");
    // ten seconds of continuous abuse close the connection with 1008
    let started = std::time::Instant::now();
    let closed = loop {
        for _ in 0..10 {
            if a.ws.send(Message::text("{\"type\":\"ping\"}")).await.is_err() {
                break;
            }
        }
        match tokio::time::timeout(
            Duration::from_millis(100),
            futures_util::StreamExt::next(&mut a.ws),
        )
        .await
        {
            Ok(Some(Ok(Message::Close(f)))) => break f.map(|f| u16::from(f.code)),
            Ok(None) | Ok(Some(Err(_))) => break None,
            _ => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not closed for abuse"
        );
        // drain whatever else arrived
        while let Ok(Some(Ok(m))) =
            tokio::time::timeout(Duration::from_millis(1), futures_util::StreamExt::next(&mut a.ws)).await
        {
            if let Message::Close(f) = m {
                assert_eq!(f.map(|f| u16::from(f.code)), Some(1008));
                return;
            }
        }
    };
    assert_eq!(closed, Some(1008));
    assert!(started.elapsed() >= Duration::from_secs(9));
}

async fn heartbeat_drops_a_silent_client(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.heartbeat_interval_ms = 100;
        c.heartbeat_timeout_ms = 400;
    })
    .await;
    let b = app.board("B").await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    // a client that reads its welcome and then neither reads (so it never
    // answers a ping) nor sends anything
    let (silent, ws) = app.join(&b, &b.edit, "Silent").await;
    assert_eq!(
        a.recv_type("presence.joined").await["member"]["session"],
        ws["session"]
    );
    // A keeps answering pings (the library does it while A reads)
    let left = a.recv_type("presence.left").await;
    assert_eq!(left["session"], ws["session"]);
    assert_eq!(app.metric("corkboard_heartbeat_drops_total").await, 1.0);
    // A, who answers, is still there
    a.assert_silent(Duration::from_millis(600)).await;
    assert_eq!(
        a.request(json!({ "type": "chat.send", "text": "still here" }), 1)
            .await["ok"],
        true
    );
    drop(silent);
}

async fn a_reader_that_stops_reading_is_cut(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.send_queue_bytes = 512 * 1024;
        c.max_text_chars = 60_000;
        c.rate_per_s = 10_000;
        c.rate_burst = 10_000;
        c.max_frame_bytes = 128 * 1024;
    })
    .await;
    let b = app.board("B").await;
    let (mut writer, _) = app.join(&b, &b.edit, "W").await;
    let (mut reader, _) = app.join(&b, &b.view, "R").await;
    let (_stuck, ws) = app.join(&b, &b.view, "Stuck").await;
    writer.recv_type("presence.joined").await;
    writer.recv_type("presence.joined").await;
    reader.recv_type("presence.joined").await;
    let big = "x".repeat(50_000);
    // rounds of 250 KB: the members that read stay well under the bound
    const ROUND: usize = 5;
    let mut cut = false;
    let mut sent = 0;
    // ~50 KB per event: the stuck client's socket buffers fill, then its
    // queue goes over 512 KiB and it is cut; the others keep receiving
    while !cut {
        assert!(sent < 2000, "the stuck reader was never cut");
        for _ in 0..ROUND {
            writer.send(json!({ "type": "chat.send", "text": big })).await;
            sent += 1;
        }
        let mut own = 0;
        while own < ROUND {
            if writer.recv().await["type"] == "event" {
                own += 1;
            }
        }
        let mut got = 0;
        while got < ROUND {
            let m = reader.recv().await;
            match m["type"].as_str() {
                Some("event") => got += 1,
                Some("presence.left") => {
                    assert_eq!(m["session"], ws["session"]);
                    cut = true;
                }
                _ => {}
            }
        }
    }
    assert_eq!(app.metric("corkboard_slow_consumers_cut_total").await, 1.0);
    // the others go on
    assert_eq!(
        writer
            .request(json!({ "type": "chat.send", "text": "after" }), 1)
            .await["ok"],
        true
    );
    assert_eq!(reader.recv_type("event").await["event"]["text"], "after");
}

async fn boards_and_sessions_do_not_leak(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    let mut clients = Vec::new();
    for i in 0..5 {
        clients.push(app.join(&b, &b.edit, &format!("m{i}")).await.0);
    }
    app.wait_metric("corkboard_connections_open", 5.0).await;
    assert_eq!(app.metric("corkboard_boards_open").await, 1.0);
    for c in clients {
        c.close().await;
    }
    app.wait_metric("corkboard_connections_open", 0.0).await;
    app.wait_metric("corkboard_boards_open", 0.0).await;
}
