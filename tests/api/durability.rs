//! The guarantees of PROTOCOL.md §4 under failure: kill -9, SIGTERM, a bad
//! database URL, and Postgres going away under load.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use corkboard::actors::persister::sql::commit_batches;
use corkboard::board::{fold, BoardState};
use corkboard::db::{self, queries};
use corkboard::protocol::Event;
use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use futures_util::StreamExt;

use crate::helpers::*;

crate::on_both_backends!(
    a_lone_op_commits_at_once_and_ops_during_a_commit_form_the_next,
    kill_9_loses_nothing_acknowledged,
    sigterm_flushes_and_closes_with_1001,
    bad_database_url_fails_fast,
    a_group_commit_writes_nothing_of_a_deleted_board,
    a_commit_that_fails_on_a_bug_is_not_retried_as_an_outage
);

/// A transaction starts as soon as none is running: a lone op commits
/// alone; the ops that arrive while a commit runs (held here by another
/// connection's lock on the board's row) wait for it and then commit
/// together as the next batch.
async fn a_lone_op_commits_at_once_and_ops_during_a_commit_form_the_next(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("next").await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    let (_, pool) = db::connect(&app.db_url, 2).expect("connect");
    let mut blocker = db::checkout(&pool).expect("conn");
    blocker
        .batch_execute(&format!(
            "BEGIN; UPDATE boards SET title = title WHERE id = '{}';",
            b.id
        ))
        .expect("lock the board's row");

    a.send(create_msg("first")).await;
    // its transaction starts at once and waits for the lock
    tokio::time::sleep(Duration::from_millis(300)).await;
    for r in 2..=5 {
        let mut m = create_msg("later");
        m["ref"] = json!(r);
        a.send(m).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.metric("corkboard_commit_batch_events_count").await,
        0.0,
        "held by the lock"
    );
    blocker.batch_execute("COMMIT;").expect("unlock");
    for r in 2..=5 {
        let reply = a.recv_type("reply").await;
        assert_eq!(reply["ref"], json!(r), "{reply}");
        assert_eq!(reply["ok"], true, "{reply}");
    }
    assert_eq!(
        app.metric("corkboard_commit_batch_events_count").await,
        2.0,
        "two transactions"
    );
    assert_eq!(app.metric("corkboard_commit_batch_events_sum").await, 5.0);
}

/// Every event of a board, through the HTTP API.
async fn all_events(http: &awc::Client, addr: &str, b: &TestBoard) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    loop {
        let after = events.last().map_or(0, |e| e.seq);
        let url = format!(
            "http://{addr}/api/boards/{}/events?token={}&after={after}&limit=1000",
            b.id, b.view
        );
        let mut res = http.get(url).send().await.expect("GET events");
        let page: Value = res.json().limit(1 << 26).await.expect("events JSON");
        let page: Vec<Event> = serde_json::from_value(page["events"].clone()).expect("events");
        if page.is_empty() {
            return events;
        }
        events.extend(page);
    }
}

/// The board's state equals the fold of its log, and the log has no gaps.
async fn assert_state_is_fold_of_log(http: &awc::Client, addr: &str, b: &TestBoard) -> (i64, Vec<Event>) {
    let events = all_events(http, addr, b).await;
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as i64).collect::<Vec<_>>(),
        "the log has no gaps"
    );
    let mut folded = BoardState::default();
    for e in &events {
        fold(&mut folded, e.seq, &e.at, &e.by.name, &e.event);
    }
    let mut res = http
        .get(format!("http://{addr}/api/boards/{}?token={}", b.id, b.view))
        .send()
        .await
        .expect("GET board");
    let state: Value = res.json().limit(1 << 26).await.expect("state");
    assert_eq!(state["seq"], json!(folded.seq));
    let mut stickers: Vec<corkboard::protocol::Sticker> =
        serde_json::from_value(state["stickers"].clone()).expect("stickers");
    stickers.sort_by_key(|s| s.id);
    let mut expected: Vec<_> = folded.stickers.into_values().collect();
    expected.sort_by_key(|s| s.id);
    assert_eq!(stickers, expected, "the state is the fold of the log");
    (folded.seq, events)
}

/// Sends `n` ops with refs; returns the seqs of those acknowledged before
/// `stop_after` acks arrived (the rest may be in flight).
async fn write_ops(c: &mut Client, n: usize, stop_after: usize) -> BTreeSet<i64> {
    for i in 0..n {
        let msg = if i % 3 == 0 {
            create_msg(&format!("op {i}"))
        } else {
            json!({ "type": "chat.send", "text": format!("chat {i}") })
        };
        let mut msg = msg;
        msg["ref"] = json!(i);
        c.send(msg).await;
    }
    let mut acked = BTreeSet::new();
    while acked.len() < stop_after {
        let m = c.recv().await;
        if m["type"] == "reply" {
            assert_eq!(m["ok"], true, "{m}");
            acked.insert(m["seq"].as_i64().expect("seq"));
        }
    }
    acked
}

async fn kill_9_loses_nothing_acknowledged(backend: Backend) {
    let db = fresh_database(backend);
    let mut server = start_binary(
        &db,
        &[
            ("CORKBOARD_RATE_PER_S", "10000"),
            ("CORKBOARD_RATE_BURST", "10000"),
        ],
    )
    .await;
    let app_http = awc::Client::builder().timeout(WAIT).finish();
    let b = create_board(&app_http, &server.addr, "crash").await;
    let url = format!("ws://{}/ws/boards/{}?token={}&name=w", server.addr, b.id, b.edit);
    let mut c = Client::connect(&url).await.expect("upgrade");
    c.recv().await;
    // 400 ops in flight, kill -9 as soon as 200 are acknowledged
    let acked = write_ops(&mut c, 400, 200).await;
    server.child.kill().expect("kill -9");
    let _ = server.child.wait();
    drop(c);

    let server = start_binary(&db, &[]).await;
    let (seq, events) = assert_state_is_fold_of_log(&app_http, &server.addr, &b).await;
    let max_acked = *acked.iter().max().expect("acks");
    assert!(
        seq >= max_acked,
        "acknowledged seq {max_acked} lost: the board is at {seq}"
    );
    let stored: BTreeSet<i64> = events.iter().map(|e| e.seq).collect();
    assert!(acked.is_subset(&stored));
    let mut server = server;
    let _ = server.child.kill();
    let _ = server.child.wait();
}

async fn sigterm_flushes_and_closes_with_1001(backend: Backend) {
    let db = fresh_database(backend);
    let mut server = start_binary(&db, &[]).await;
    let http = awc::Client::builder().timeout(WAIT).finish();
    let b = create_board(&http, &server.addr, "bye").await;
    let url = format!("ws://{}/ws/boards/{}?token={}&name=w", server.addr, b.id, b.edit);
    let mut c = Client::connect(&url).await.expect("upgrade");
    c.recv().await;
    let acked = write_ops(&mut c, 50, 50).await;
    let started = Instant::now();
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill")
        .success());
    assert_eq!(c.closed().await, Some(1001));
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
    let mut server = start_binary(&db, &[]).await;
    let (seq, _) = assert_state_is_fold_of_log(&http, &server.addr, &b).await;
    assert_eq!(seq, *acked.iter().max().expect("acks"));
    let _ = server.child.kill();
    let _ = server.child.wait();
}

async fn bad_database_url_fails_fast(backend: Backend) {
    let url = match backend {
        Backend::Postgres => format!("postgres://nobody@127.0.0.1:{}/nothing", free_port()),
        Backend::Sqlite => "sqlite:///nonexistent-dir/corkboard.db".to_owned(),
    };
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_corkboard"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run the binary");
    assert!(!out.status.success());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let backend_says = match backend {
        Backend::Postgres => "Connection refused",
        Backend::Sqlite => "unable to open database file",
    };
    assert!(err.contains(backend_says), "stderr: {err}");
}

/// Postgres stops under load and starts again: the board keeps its state,
/// holds up to `hold_max_ops`, answers `unavailable` past it, and
/// acknowledges the held ops in order once the database is back.
#[actix_web::test]
async fn postgres_outage_holds_ops_and_loses_nothing() {
    const HOLD: usize = 20;
    let cluster = OwnCluster::new();
    let db_url = cluster.database("outage");
    let mut config = test_config(&db_url);
    config.hold_max_ops = HOLD;
    let app = spawn_config(config).await;
    let b = app.board("outage").await;
    let (mut c, _) = app.join(&b, &b.edit, "w").await;
    let (mut watcher, _) = app.join(&b, &b.view, "v").await;
    for i in 0..3 {
        assert_eq!(c.request(create_msg(&format!("before {i}")), i).await["ok"], true);
    }

    cluster.run("stop");
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 503);
    for i in 0..HOLD + 5 {
        let mut msg = create_msg(&format!("during {i}"));
        msg["ref"] = json!(100 + i);
        c.send(msg).await;
    }
    // past the bound: unavailable; the held ones get no answer yet
    for _ in 0..5 {
        let r = c.recv_type("reply").await;
        assert_eq!(r["error"]["code"], "unavailable", "{r}");
        assert!(r["ref"].as_i64().is_some_and(|r| r >= (100 + HOLD) as i64));
    }
    // an open board still answers from memory, with what is committed
    let (status, state) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!((status, state["seq"].clone()), (200, json!(3)));
    let path = |q: &str| format!("/api/boards/{}/events?{q}", b.id);
    let (status, page) = app.get(&path(&format!("token={}", b.view))).await;
    assert_eq!(status, 200, "{page}");
    let seqs: Vec<i64> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            assert_eq!(e["type"], "event");
            e["seq"].as_i64().expect("seq")
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3], "the committed events, not the held ones");
    let (_, page) = app.get(&path(&format!("token={}&after=1&limit=1", b.view))).await;
    assert_eq!(page["events"][0]["seq"], 2);
    assert_eq!(page["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.get(&path("token=wrong")).await.0, 403);
    // long enough for a commit attempt to fail (a checkout waits 2 s)
    tokio::time::sleep(Duration::from_secs(3)).await;

    cluster.run("start");
    let mut seqs = Vec::new();
    while seqs.len() < HOLD {
        let r = c.recv_type("reply").await;
        assert_eq!(r["ok"], true, "{r}");
        seqs.push(r["seq"].as_i64().expect("seq"));
    }
    assert_eq!(
        seqs,
        (4..4 + HOLD as i64).collect::<Vec<_>>(),
        "acknowledged in order"
    );
    let mut seen = Vec::new();
    while seen.len() < 3 + HOLD {
        let e = watcher.recv_type("event").await;
        seen.push(e["seq"].as_i64().expect("seq"));
    }
    assert_eq!(seen, (1..=(3 + HOLD) as i64).collect::<Vec<_>>());
    let (seq, _) = assert_state_is_fold_of_log(&app.http, &app.addr, &b).await;
    assert_eq!(seq, (3 + HOLD) as i64);
    assert!(app.metric("corkboard_commit_failures_total").await >= 1.0);
}

/// A group commit that holds a batch of a board deleted meanwhile writes
/// none of that board's rows, says which board was gone, and commits the
/// others' — with and without sticker rows and a rename (on Postgres the
/// first is one statement alone, the second a transaction).
async fn a_group_commit_writes_nothing_of_a_deleted_board(backend: Backend) {
    use corkboard::db;
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    let (_, pool) = db::connect(&app.db_url, 2).expect("connect");
    let mut conn = db::checkout(&pool).expect("conn");
    let batch = |board: &str| one_event_batch(board, None);
    let gone = commit_batches(&mut conn, &[batch(&b.id), batch("gone")]).expect("commits");
    let gone: Vec<&str> = gone.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(gone, vec!["gone"]);
    assert_eq!(
        queries::board_seq(&mut conn, &b.id).expect("seq"),
        1,
        "the other board's rows"
    );
    assert_eq!(queries::all_events(&mut conn, "gone").expect("events").len(), 0);

    let mut renamed = batch(&b.id);
    renamed.events[0].seq = 2;
    renamed.last_seq = 2;
    renamed.title = Some("T".into());
    let mut gone_renamed = batch("gone");
    gone_renamed.title = Some("T".into());
    let gone = commit_batches(&mut conn, &[renamed, gone_renamed]).expect("commits");
    let gone: Vec<&str> = gone.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(gone, vec!["gone"]);
    assert_eq!(queries::board_seq(&mut conn, &b.id).expect("seq"), 2);
    assert_eq!(queries::all_events(&mut conn, "gone").expect("events").len(), 0);
}

/// A commit that fails on something other than a lost database (here a
/// trigger refusing chat rows: a bug, as far as the server can tell) is
/// not retried forever as if the database were down: the board closes its
/// members with 1011, nothing is acknowledged, and the reloaded board
/// works for what it can commit.
async fn a_commit_that_fails_on_a_bug_is_not_retried_as_an_outage(backend: Backend) {
    use diesel::connection::SimpleConnection;
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    let (_, pool) = db::connect(&app.db_url, 2).expect("connect");
    let trigger = match backend {
        Backend::Sqlite => {
            "CREATE TRIGGER refuse_chat BEFORE INSERT ON events WHEN NEW.kind = 'chat' \
             BEGIN SELECT RAISE(ABORT, 'chat refused by the test'); END;"
        }
        Backend::Postgres => {
            "CREATE FUNCTION refuse_chat() RETURNS trigger AS $$ BEGIN \
             IF NEW.kind = 'chat' THEN RAISE EXCEPTION 'chat refused by the test'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_chat BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_chat();"
        }
    };
    db::checkout(&pool)
        .expect("conn")
        .batch_execute(trigger)
        .expect("trigger");
    let (mut c, _) = app.join(&b, &b.edit, "A").await;
    let failures_before = app.metric("corkboard_commit_failures_total").await;
    c.send(json!({ "type": "chat.send", "ref": 1, "text": "refused" }))
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let code = loop {
        match tokio::time::timeout_at(deadline, c.ws.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(f))) => {
                break f.map(|f| u16::from(f.code))
            }
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).expect("JSON");
                assert_ne!(v["ok"], true, "nothing is acknowledged: {v}");
            }
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert_eq!(code, Some(1011));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let failures = app.metric("corkboard_commit_failures_total").await - failures_before;
    assert!(
        failures <= 2.0,
        "retried as if the database were down: {failures} failed commits"
    );

    // the board reloads from the database and commits what it can
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut c = loop {
        if let Ok(mut c) = Client::connect(&app.ws_url(&b.id, &b.edit, "A", None)).await {
            if c.recv().await["type"] == "welcome" {
                break c;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the board did not come back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(c.request(create_msg("saved"), 2).await["ok"], true);
    let (_, state) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(state["seq"], 1, "only the sticker was committed: {state}");
}
