//! What the board page learns besides stickers (issues 15 and 16): who
//! wrote each sticker, the board renamed from the page, a member's new
//! name, an admin's restore; and a board's charts on its admin page.

use std::time::Duration;

use serde_json::{json, Value};

use crate::admin::AdminClient;
use crate::helpers::*;

crate::on_both_backends!(
    the_server_records_who_wrote_each_sticker,
    editors_rename_the_board_viewers_cannot,
    a_new_name_is_seen_at_once_without_leaving,
    members_are_told_of_a_restore,
    a_board_is_charted_while_it_is_open_here,
);

/// The sticker of `id` in a list of stickers.
fn sticker<'a>(stickers: &'a Value, id: &Value) -> &'a Value {
    stickers
        .as_array()
        .and_then(|a| a.iter().find(|s| &s["id"] == id))
        .unwrap_or_else(|| panic!("no sticker {id} in {stickers}"))
}

/// Waits until no board is open (its members gone, it unloads).
async fn board_closed(app: &TestApp) {
    app.wait_metric("corkboard_boards_open", 0.0).await;
}

async fn the_server_records_who_wrote_each_sticker(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("Who").await;
    let (mut ada, _) = app.join(&b, &b.edit, "Ada").await;
    let (mut bob, _) = app.join(&b, &b.edit, "Bob").await;
    // a client's claim of authorship is ignored: the session says who
    let mut msg = create_msg("mine");
    msg["sticker"]["created_by"] = json!({ "name": "Mallory" });
    msg["sticker"]["updated_by"] = json!({ "name": "Mallory" });
    msg["by"] = json!({ "session": "s-x", "name": "Mallory" });
    let reply = ada.request(msg, 1).await;
    assert_eq!(reply["ok"], true, "{reply}");
    let created = bob.recv_type("event").await;
    assert_eq!(created["by"]["name"], "Ada");
    let id = created["event"]["sticker"]["id"].clone();
    assert!(
        created["event"]["sticker"].get("created_by").is_none(),
        "event bodies stay as they were: {created}"
    );
    let reply = bob
        .request(
            json!({ "type": "sticker.update", "id": id, "patch": { "text": "ours" } }),
            2,
        )
        .await;
    assert_eq!(reply["ok"], true, "{reply}");
    ada.recv_type("event").await;
    ada.recv_type("event").await;

    let path = format!("/api/boards/{}?token={}", b.id, b.view);
    let (_, snap) = app.get(&path).await;
    let s = sticker(&snap["stickers"], &id);
    assert_eq!(s["created_by"], json!({ "name": "Ada" }), "{s}");
    assert_eq!(s["updated_by"], json!({ "name": "Bob" }), "{s}");
    let (cy, welcome) = app.join(&b, &b.view, "Cy").await;
    let s = sticker(&welcome["stickers"], &id);
    assert_eq!(
        (&s["created_by"]["name"], &s["updated_by"]["name"]),
        (&json!("Ada"), &json!("Bob"))
    );

    // after the board unloads, from storage
    for c in [ada, bob, cy] {
        c.close().await;
    }
    board_closed(&app).await;
    let (_, snap) = app.get(&path).await;
    assert_eq!(sticker(&snap["stickers"], &id)["created_by"]["name"], "Ada");
    let (_, welcome) = app.join(&b, &b.view, "Dee").await;
    let s = sticker(&welcome["stickers"], &id);
    assert_eq!(
        (&s["created_by"]["name"], &s["updated_by"]["name"]),
        (&json!("Ada"), &json!("Bob"))
    );
}

async fn editors_rename_the_board_viewers_cannot(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("Before").await;
    let (mut ed, _) = app.join(&b, &b.edit, "Ed").await;
    let (mut vi, _) = app.join(&b, &b.view, "Vi").await;
    let op_id = uuid::Uuid::new_v4().to_string();
    let rename = json!({ "type": "board.rename", "title": "  After  ", "op_id": op_id });
    let reply = ed.request(rename.clone(), 1).await;
    assert_eq!(
        (reply["ok"].clone(), reply["seq"].clone()),
        (json!(true), json!(1)),
        "{reply}"
    );
    for c in [&mut ed, &mut vi] {
        let ev = c.recv_type("event").await;
        assert_eq!(ev["event"], json!({ "kind": "board.renamed", "title": "After" }));
        assert_eq!(ev["by"]["name"], "Ed");
    }
    // a retry with the same op_id renames nothing twice
    assert_eq!(ed.request(rename, 2).await["seq"], 1);
    let refused = vi
        .request(json!({ "type": "board.rename", "title": "Viewer's" }), 3)
        .await;
    assert_eq!(refused["error"]["code"], "forbidden", "{refused}");
    let long = ed
        .request(json!({ "type": "board.rename", "title": "x".repeat(201) }), 4)
        .await;
    assert_eq!(long["error"]["code"], "too_large", "{long}");
    let blank = ed
        .request(json!({ "type": "board.rename", "title": " " }), 5)
        .await;
    assert_eq!(blank["error"]["code"], "bad_request", "{blank}");
    ed.close().await;
    vi.close().await;
    board_closed(&app).await;
    let (_, snap) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(
        (snap["title"].clone(), snap["seq"].clone()),
        (json!("After"), json!(1))
    );
}

async fn a_new_name_is_seen_at_once_without_leaving(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("Names").await;
    let (mut ada, welcome) = app.join(&b, &b.edit, "Ada").await;
    let me = welcome["session"].clone();
    let (mut bob, _) = app.join(&b, &b.view, "Bob").await;
    ada.recv_type("presence.joined").await;
    let reply = ada
        .request(json!({ "type": "presence.rename", "name": "  Ada Lovelace " }), 1)
        .await;
    assert_eq!(reply["ok"], true, "{reply}");
    let seen = bob.recv().await;
    assert_eq!(seen["type"], "presence.updated", "no leave and join: {seen}");
    assert_eq!(seen["member"]["session"], me);
    assert_eq!(seen["member"]["name"], "Ada Lovelace");
    // what she writes from now on carries the new name
    ada.request(create_msg("hi"), 2).await;
    let ev = bob.recv_type("event").await;
    assert_eq!(ev["by"]["name"], "Ada Lovelace");
    // a newcomer sees the new name in the welcome
    let (_, w) = app.join(&b, &b.view, "Cy").await;
    let names: Vec<&str> = w["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(names.contains(&"Ada Lovelace"), "{names:?}");
    let blank = ada
        .request(json!({ "type": "presence.rename", "name": "  " }), 3)
        .await;
    assert_eq!(blank["error"]["code"], "bad_request", "{blank}");
    let long = ada
        .request(json!({ "type": "presence.rename", "name": "n".repeat(100) }), 4)
        .await;
    assert_eq!(long["ok"], true, "a long name is shortened, as at the join");
    let seen = bob.recv_type("presence.updated").await;
    assert_eq!(
        seen["member"]["name"].as_str().map(|n| n.chars().count()),
        Some(64)
    );
}

async fn members_are_told_of_a_restore(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut admin, csrf) = AdminClient::signed_in(&app).await;
    let b = app.board("Restored").await;
    let (mut ed, _) = app.join(&b, &b.edit, "Ed").await;
    let (mut vi, _) = app.join(&b, &b.view, "Vi").await;
    for i in 0..4 {
        assert_eq!(ed.request(create_msg(&format!("s{i}")), i).await["ok"], true);
    }
    let first = vi.recv_type("event").await;
    let res = admin
        .post(
            &format!("/admin/boards/{}/restore", b.id),
            &[("seq", "1"), ("csrf_token", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    for c in [&mut ed, &mut vi] {
        // the restore's events first (three deletions), then the notice
        let mut deleted = 0;
        let notice = loop {
            let f = c.recv().await;
            if f["type"] == "event" && f["event"]["kind"] == "sticker.deleted" {
                deleted += 1;
            }
            if f["type"] == "board.restored" {
                break f;
            }
        };
        assert_eq!(deleted, 3);
        assert_eq!(notice["to_seq"], 1, "{notice}");
        assert_eq!(notice["to_at"], first["at"], "{notice}");
        assert_eq!(notice["changed"], 3, "{notice}");
        assert_eq!(notice["seq"], 7, "{notice}");
        assert_eq!(notice["by"]["session"], "admin", "{notice}");
    }
    // a restore to where the board is changes nothing, and says so
    let res = admin
        .post(
            &format!("/admin/boards/{}/restore", b.id),
            &[("seq", "7"), ("csrf_token", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let notice = vi.recv_type("board.restored").await;
    assert_eq!(
        (notice["changed"].clone(), notice["seq"].clone()),
        (json!(0), json!(7))
    );
}

/// The latest value of chart `id` in a charts fragment.
fn chart_now(body: &str, id: &str) -> Option<String> {
    body.split(&format!("id=\"chart-{id}\""))
        .nth(1)?
        .split("<strong>")
        .nth(1)?
        .split("</strong>")
        .next()
        .map(str::to_owned)
}

async fn a_board_is_charted_while_it_is_open_here(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut admin, _) = AdminClient::signed_in(&app).await;
    let b = app.board("Charted").await;
    let page = admin.get(&format!("/admin/boards/{}", b.id)).await;
    assert!(page.body.contains("Not open on this server"), "{}", page.body);
    assert!(!page.body.contains("id=\"chart-members\""));

    let (mut c, _) = app.join(&b, &b.edit, "Ada").await;
    let (_c2, _) = app.join(&b, &b.view, "Bob").await;
    for r in 0..10 {
        assert_eq!(c.request(create_msg("n"), r).await["ok"], true);
    }
    tokio::time::sleep(Duration::from_millis(2500)).await; // samples, one a second
    let page = admin.get(&format!("/admin/boards/{}", b.id)).await;
    for id in ["members", "events", "commit"] {
        assert!(
            page.body.contains(&format!("id=\"chart-{id}\"")),
            "{id}: {}",
            page.body
        );
    }
    let path = format!("/admin/boards/{}/charts", b.id);
    assert!(
        page.body.contains(&format!("data-refresh=\"{path}\"")),
        "{}",
        page.body
    );
    let fragment = admin.get(&path).await;
    assert_eq!(fragment.status, 200);
    assert!(
        fragment.body.trim_start().starts_with("<div id=\"charts\""),
        "{}",
        fragment.body
    );
    assert_eq!(
        chart_now(&fragment.body, "members").as_deref(),
        Some("2"),
        "{}",
        fragment.body
    );
    assert!(!fragment.body.contains("points=\"\""), "{}", fragment.body);
    // another board is not charted by this one's samples
    let other = app.board("Quiet").await;
    let quiet = admin.get(&format!("/admin/boards/{}/charts", other.id)).await;
    assert!(quiet.body.contains("Not open on this server"), "{}", quiet.body);
    let mut anon = AdminClient::new(&app);
    assert_eq!(anon.get(&path).await.location.as_deref(), Some("/admin/login"));
}
