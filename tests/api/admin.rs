//! The admin pages over real HTTP, with a real session cookie.

use std::process::{Command, Stdio};
use std::time::Duration;

use corkboard::actors::persister::{sql::commit_batches, Batch};
use corkboard::db::{self, queries};
use serde_json::{json, Value};

use crate::helpers::*;

crate::on_both_backends!(
    login_sessions_csrf_and_rate_limits,
    pages_show_live_data_and_escape_everything,
    board_list_pages_most_recently_active_first,
    kick_rotate_rename_and_delete,
    restore_export_and_import,
    cli_manages_admins,
    sessions_end_on_logout_deletion_and_expiry,
    wrong_passwords_from_elsewhere_do_not_lock_the_admin_out,
    imports_hold_to_the_live_rules,
    a_busy_board_exports_and_imports_back,
    destructive_actions_need_their_confirmation,
    history_in_words_filtered_and_paged,
    thumbnails_and_the_restore_preview,
    a_kick_can_keep_a_member_out,
    the_overview_charts_the_last_hour,
);

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A browser of the admin pages: keeps the session cookie, no redirects.
pub(crate) struct AdminClient {
    http: awc::Client,
    base: String,
    pub cookie: Option<String>,
}

pub(crate) struct Page {
    pub status: u16,
    pub location: Option<String>,
    /// The whole `Set-Cookie` header, if any.
    pub set_cookie: Option<String>,
    pub body: String,
}

impl Page {
    /// The value of the first hidden `csrf_token` field.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf_token\" value=\"")
            .expect("a csrf_token field");
        let rest = &self.body[at + "name=\"csrf_token\" value=\"".len()..];
        rest[..rest.find('"').expect("closing quote")].to_owned()
    }
}

impl AdminClient {
    pub fn new(app: &TestApp) -> Self {
        AdminClient {
            http: awc::Client::builder().disable_redirects().timeout(WAIT).finish(),
            base: format!("http://{}", app.addr),
            cookie: None,
        }
    }

    async fn finish(
        &mut self,
        mut res: awc::ClientResponse<
            impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
        >,
    ) -> Page {
        let set_cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(c) = &set_cookie {
            self.cookie = Some(c.split(';').next().unwrap_or_default().to_owned());
        }
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = res.body().limit(1 << 24).await.expect("body");
        Page {
            status: res.status().as_u16(),
            location,
            set_cookie,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.insert_header(("Cookie", c.clone()));
        }
        let res = req.send().await.expect("GET");
        self.finish(res).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let mut req = self.http.post(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.insert_header(("Cookie", c.clone()));
        }
        let res = req.send_form(&form).await.expect("POST");
        self.finish(res).await
    }

    pub async fn post_file(&mut self, path: &str, csrf: &str, file: &str) -> Page {
        let boundary = "corkboardtestboundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.json\"\r\n\
             Content-Type: application/json\r\n\r\n{file}\r\n--{boundary}--\r\n"
        );
        let mut req = self.http.post(format!("{}{path}", self.base)).insert_header((
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        ));
        if let Some(c) = &self.cookie {
            req = req.insert_header(("Cookie", c.clone()));
        }
        let res = req.send_body(body).await.expect("POST");
        self.finish(res).await
    }

    /// Logs in; the CSRF token of the signed-in session.
    pub async fn login(&mut self, user: &str, password: &str) -> Page {
        let page = self.get("/admin/login").await;
        let csrf = page.csrf();
        self.post(
            "/admin/login",
            &[("username", user), ("password", password), ("csrf_token", &csrf)],
        )
        .await
    }

    pub async fn signed_in(app: &TestApp) -> (AdminClient, String) {
        create_admin(app, "root");
        let mut admin = AdminClient::new(app);
        let res = admin.login("root", PASSWORD).await;
        assert_eq!((res.status, res.location.as_deref()), (303, Some("/admin")));
        let csrf = admin.get("/admin").await.csrf();
        (admin, csrf)
    }
}

/// The tokens of the edit and view links an admin board page shows (each
/// a whole URL of the board page).
fn links_on(page: &Page) -> (String, String) {
    let token_of = |id: &str| {
        let marker = format!("id=\"{id}\" readonly value=\"");
        let at = page
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {id} in {}", page.body));
        let rest = &page.body[at + marker.len()..];
        let url = &rest[..rest.find('"').expect("closing quote")];
        assert!(
            url.starts_with("http://127.0.0.1:") && url.contains("/b/"),
            "{url}"
        );
        url.rsplit_once("?token=").expect("a token").1.to_owned()
    };
    (token_of("edit-link"), token_of("view-link"))
}

pub(crate) fn create_admin(app: &TestApp, user: &str) {
    let (_, pool) = db::connect(&app.db_url, 2).expect("connect");
    let row = queries::AdminRow {
        username: user.into(),
        password_hash: corkboard::auth::hash_password(PASSWORD).expect("hash"),
        created_at: "2026-01-01T00:00:00Z".into(),
    };
    queries::create_admin(&mut db::checkout(&pool).expect("conn"), &row).expect("create admin");
}

async fn login_sessions_csrf_and_rate_limits(backend: Backend) {
    let app = spawn_app(backend).await;
    create_admin(&app, "root");
    let mut anon = AdminClient::new(&app);
    for path in [
        "/admin",
        "/admin/boards",
        "/admin/boards/x",
        "/admin/boards/x/export",
    ] {
        let page = anon.get(path).await;
        assert_eq!(
            (page.status, page.location.as_deref()),
            (303, Some("/admin/login")),
            "{path}"
        );
    }
    let login = anon.get("/admin/login").await;
    assert_eq!(login.status, 200);
    let csrf = login.csrf();
    // a POST without the CSRF token is refused
    let res = anon
        .post("/admin/login", &[("username", "root"), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, 403);
    // wrong password, unknown user
    let res = anon
        .post(
            "/admin/login",
            &[
                ("username", "root"),
                ("password", "wrong password!"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status, 401);
    assert!(res.body.contains("Wrong user name or password"));
    let res = anon
        .post(
            "/admin/login",
            &[
                ("username", "nobody"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status, 401);
    // five attempts per address: the sixth is refused even with the right password
    for _ in 0..3 {
        anon.post(
            "/admin/login",
            &[
                ("username", "root"),
                ("password", "wrong again!!"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    }
    let res = anon
        .post(
            "/admin/login",
            &[
                ("username", "root"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status, 429, "{}", res.body);

    let app = spawn_app(backend).await;
    let (mut admin, csrf) = AdminClient::signed_in(&app).await;
    let cookie = admin.cookie.clone().expect("a session cookie");
    assert!(cookie.starts_with("corkboard_admin="));
    let overview = admin.get("/admin").await;
    assert_eq!(overview.status, 200);
    // the cookie holds on fresh connections, whichever worker takes them
    for _ in 0..6 {
        let mut other = AdminClient::new(&app);
        other.cookie = Some(cookie.clone());
        assert_eq!(other.get("/admin").await.status, 200);
    }
    assert!(overview.body.contains("reachable"));
    assert!(overview.body.contains("Open connections"));
    // the cookie's attributes
    let mut res = awc::Client::new()
        .get(format!("http://{}/admin/login", app.addr))
        .send()
        .await
        .expect("GET");
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _ = res.body().await;
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    assert_eq!(
        res.headers().get("x-frame-options").and_then(|v| v.to_str().ok()),
        Some("DENY")
    );
    // CSRF on every POST
    let res = admin.post("/admin/logout", &[]).await;
    assert_eq!(res.status, 403);
    let res = admin.post("/admin/logout", &[("csrf_token", "forged")]).await;
    assert_eq!(res.status, 403);
    let res = admin.post("/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!((res.status, res.location.as_deref()), (303, Some("/admin/login")));
    assert_eq!(admin.get("/admin").await.status, 303, "logged out");
}

/// The boards list: most recently active first, paged, searched, with
/// each board's event and sticker counts; the board rows it is read from.
async fn board_list_pages_most_recently_active_first(backend: Backend) {
    let app = spawn_app(backend).await;
    // times are RFC 3339 to the millisecond: keep each step in its own
    let tick = || tokio::time::sleep(Duration::from_millis(10));
    let quiet = app.board("Quiet one").await;
    tick().await;
    let busy = app.board("Busy one").await;
    tick().await;
    let newest = app.board("Newest").await;
    let (mut c, _) = app.join(&busy, &busy.edit, "A").await;
    tick().await;
    for r in 1..=3 {
        let reply = c.request(create_msg("note"), r).await;
        assert_eq!(reply["ok"], true, "{reply}");
    }
    let (_, pool) = db::connect(&app.db_url, 2).expect("connect");
    let mut conn = db::checkout(&pool).expect("conn");

    let first = queries::board_summaries(&mut conn, "", 1, 2).expect("page 1");
    assert_eq!((first.total, first.page, first.pages), (3, 1, 2));
    let ids: Vec<&str> = first.boards.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, [busy.id.as_str(), newest.id.as_str()]);
    assert_eq!((first.boards[0].events, first.boards[0].stickers), (3, 3));
    assert_eq!((first.boards[1].events, first.boards[1].stickers), (0, 0));

    let last = queries::board_summaries(&mut conn, "", 9, 2).expect("past the end");
    assert_eq!(last.page, 2, "past the end is the last page");
    assert_eq!(last.boards.len(), 1);
    assert_eq!(last.boards[0].id, quiet.id);

    let found = queries::board_summaries(&mut conn, " ONE ", 1, 50).expect("search");
    let ids: Vec<&str> = found.boards.iter().map(|b| b.id.as_str()).collect();
    assert_eq!((found.total, ids), (2, vec![busy.id.as_str(), quiet.id.as_str()]));
    for literal in ["%", "_", "\\"] {
        let found = queries::board_summaries(&mut conn, literal, 1, 50).expect("search");
        assert_eq!(found.total, 0, "{literal} is matched literally");
    }

    // the board's row carries its seq and its last event's time
    let row = queries::board_row(&mut conn, &busy.id).expect("row");
    let last = queries::recent_events(&mut conn, &busy.id, None, 1).expect("events");
    assert_eq!((row.seq, row.updated_at.as_str()), (3, last[0].at.as_str()));
    let row = queries::board_row(&mut conn, &quiet.id).expect("row");
    assert_eq!((row.seq, &row.updated_at), (0, &row.created_at));
}

async fn pages_show_live_data_and_escape_everything(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut admin, _) = AdminClient::signed_in(&app).await;
    let b = app.board("<script>alert('title')</script>").await;
    let (mut c, w) = app.join(&b, &b.edit, "%3Cb%3Ebold%3C%2Fb%3E").await;
    assert_eq!(w["name"], "<b>bold</b>");
    c.request(create_msg("<script>alert('sticker')</script>"), 1)
        .await;
    c.request(
        json!({ "type": "chat.send", "text": "<img src=x onerror=alert(1)>" }),
        2,
    )
    .await;
    let session = w["session"].as_str().expect("session").to_owned();

    let list = admin.get("/admin/boards").await;
    assert_eq!(list.status, 200);
    assert!(
        list.body
            .contains("&#60;script&#62;alert(&#39;title&#39;)&#60;/script&#62;"),
        "{}",
        list.body
    );
    assert!(!list.body.contains("<script>alert"));
    let search = admin.get("/admin/boards?q=ALERT").await;
    assert!(search.body.contains(&b.id));
    let none = admin.get("/admin/boards?q=nothing-matches").await;
    assert!(!none.body.contains(&b.id));

    let detail = admin.get(&format!("/admin/boards/{}", b.id)).await;
    assert_eq!(detail.status, 200);
    for raw in ["<script>alert", "<b>bold</b>", "<img src=x"] {
        assert!(!detail.body.contains(raw), "{raw} is not escaped");
    }
    assert!(detail.body.contains("&#60;b&#62;bold&#60;/b&#62;"));
    assert!(detail.body.contains(&session), "the live session is listed");
    assert!(
        detail.body.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "the chat log"
    );
    assert!(detail.body.contains("sticker.created"), "recent events");

    c.close().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let detail = admin.get(&format!("/admin/boards/{}", b.id)).await;
        if !detail.body.contains(&session) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the session did not disappear"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn kick_rotate_rename_and_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut admin, csrf) = AdminClient::signed_in(&app).await;
    let b = app.board("Actions").await;
    let (mut watcher, _) = app.join(&b, &b.view, "watcher").await;
    let (mut victim, wv) = app.join(&b, &b.edit, "victim").await;
    watcher.recv_type("presence.joined").await;
    let path = format!("/admin/boards/{}", b.id);

    // kick: 4001, and the others see the session leave
    let res = admin
        .post(
            &format!("{path}/kick"),
            &[
                ("session", wv["session"].as_str().expect("s")),
                ("csrf_token", &csrf),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(victim.closed().await, Some(4001));
    assert_eq!(watcher.recv_type("presence.left").await["session"], wv["session"]);
    assert_eq!(
        admin
            .post(&format!("{path}/kick"), &[("session", "x")])
            .await
            .status,
        403
    );

    // rename: a live event for every member
    let res = admin
        .post(
            &format!("{path}/rename"),
            &[("title", "Renamed by admin"), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status, 303);
    let ev = watcher.recv_type("event").await;
    assert_eq!(
        ev["event"],
        json!({ "kind": "board.renamed", "title": "Renamed by admin" })
    );
    assert_eq!(ev["by"]["name"], "admin root");

    // rotate the edit token: editor sockets close with 4003, the old token stops working
    let (mut editor, _) = app.join(&b, &b.edit, "editor").await;
    let res = admin
        .post(
            &format!("{path}/rotate"),
            &[("which", "edit"), ("csrf_token", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status, 303);
    let landing = res.location.expect("back to the board");
    assert_eq!(editor.closed().await, Some(4003));
    // the page it lands on says what happened and shows the new links,
    // which open the board
    let page = admin.get(&landing).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("The edit link changed"), "{}", page.body);
    let (edit, view) = links_on(&page);
    assert_eq!(view, b.view, "the view link did not change");
    assert_ne!(edit, b.edit);
    assert_eq!(
        app.get(&format!("/api/boards/{}?token={edit}", b.id)).await.0,
        200,
        "the new edit link opens the board"
    );
    let (mut new_editor, _) = app.join(&b, &edit, "neweditor").await;
    assert_eq!(
        new_editor.request(create_msg("with the new link"), 7).await["ok"],
        true
    );
    assert_eq!(
        Client::connect(&app.ws_url(&b.id, &b.edit, "x", None))
            .await
            .err(),
        Some(Refused::Status(403))
    );
    let (status, _) = app.get(&format!("/api/boards/{}?token={}", b.id, b.edit)).await;
    assert_eq!(status, 403);
    // viewers were not touched
    assert_eq!(
        watcher
            .request(json!({ "type": "chat.send", "text": "still here" }), 1)
            .await["ok"],
        true
    );

    // delete: 4004, rows gone
    let res = admin
        .post(
            &format!("{path}/delete"),
            &[
                ("csrf_token", &csrf),
                ("confirm", "yes"),
                ("title", "Renamed by admin"),
            ],
        )
        .await;
    assert_eq!(
        (res.status, res.location.as_deref()),
        (303, Some("/admin/boards?done=deleted"))
    );
    assert_eq!(watcher.closed().await, Some(4004));
    let (status, _) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(status, 404);
    assert_eq!(admin.get(&path).await.status, 404);
    let (_, pool) = db::connect(&app.db_url, 2).expect("connect");
    let mut conn = db::checkout(&pool).expect("conn");
    assert_eq!(queries::all_events(&mut conn, &b.id).expect("events").len(), 0);
    assert_eq!(queries::stickers_of(&mut conn, &b.id).expect("stickers").len(), 0);

    // a batch that was in flight when the board went is refused, not stored
    let late = Batch {
        board_id: b.id.clone(),
        last_seq: 1_000,
        events: vec![queries::EventRow {
            board_id: b.id.clone(),
            seq: 1_000,
            kind: "chat".into(),
            payload: "{}".into(),
            author_session: "s".into(),
            author_name: "n".into(),
            at: "2026-11-22T00:00:00Z".into(),
        }],
        ..Default::default()
    };
    let gone = commit_batches(&mut conn, std::slice::from_ref(&late)).expect("commits");
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert_eq!(gone[0].0, b.id, "the board is named gone");
    assert!(
        matches!(gone[0].1, corkboard::error::Error::NotFound(_)),
        "{gone:?}"
    );
    assert_eq!(queries::all_events(&mut conn, &b.id).expect("events").len(), 0);
}

fn content(stickers: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = stickers
        .as_array()
        .expect("stickers")
        .iter()
        .map(|s| json!([s["id"], s["x"], s["y"], s["w"], s["h"], s["z"], s["color"], s["text"]]))
        .collect();
    out.sort_by_key(|v| v[0].as_str().unwrap_or_default().to_owned());
    out
}

async fn restore_export_and_import(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut admin, csrf) = AdminClient::signed_in(&app).await;
    let b = app.board("History").await;
    let (mut c, _) = app.join(&b, &b.edit, "writer").await;
    for i in 0..3 {
        c.request(create_msg(&format!("s{i}")), i).await;
    }
    let (_, at3) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(at3["seq"], 3);
    let first = at3["stickers"][0]["id"].clone();
    c.request(
        json!({ "type": "sticker.update", "id": first, "patch": { "text": "changed", "x": 999 } }),
        10,
    )
    .await;
    c.request(
        json!({ "type": "sticker.delete", "id": at3["stickers"][1]["id"] }),
        11,
    )
    .await;
    c.request(create_msg("later"), 12).await;
    c.request(json!({ "type": "board.rename", "title": "Later title" }), 13)
        .await;
    while c.recv_type("event").await["seq"] != 7 {}

    let res = admin
        .post(
            &format!("/admin/boards/{}/restore", b.id),
            &[("seq", "3"), ("csrf_token", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    // members see the restore as new events
    let mut kinds = Vec::new();
    loop {
        let ev = c.recv_type("event").await;
        kinds.push(ev["event"]["kind"].as_str().unwrap_or_default().to_owned());
        if ev["event"]["kind"] == "board.renamed" {
            break;
        }
    }
    assert!(
        kinds.contains(&"sticker.deleted".to_owned()) && kinds.contains(&"sticker.created".to_owned()),
        "{kinds:?}"
    );
    let (_, now) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(content(&now["stickers"]), content(&at3["stickers"]));
    assert_eq!(now["title"], "History");
    assert!(
        now["seq"].as_i64().expect("seq") > 7,
        "forward events, not a rewrite"
    );

    // export, then import: the same board, exactly
    let export = admin.get(&format!("/admin/boards/{}/export", b.id)).await;
    assert_eq!(export.status, 200);
    let exported: Value = serde_json::from_str(&export.body).expect("JSON export");
    assert_eq!(
        exported["events"].as_array().map(Vec::len),
        now["seq"].as_i64().map(|n| n as usize)
    );
    let list_csrf = admin.get("/admin/boards").await.csrf();
    let res = admin.post_file("/admin/import", &list_csrf, &export.body).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let new_path = res.location.expect("location");
    let new_id = new_path
        .trim_start_matches("/admin/boards/")
        .trim_end_matches("?done=imported")
        .to_owned();
    assert_ne!(new_id, b.id);
    // the imported board's page shows its links, and they open it
    let page = admin.get(&new_path).await;
    assert!(page.body.contains("Board imported"), "{}", page.body);
    let (edit, view) = links_on(&page);
    let (status, state) = app.get(&format!("/api/boards/{new_id}?token={view}")).await;
    assert_eq!(
        (status, content(&state["stickers"])),
        (200, content(&now["stickers"]))
    );
    assert_eq!(
        app.get(&format!("/api/boards/{new_id}?token={edit}")).await.0,
        200
    );
    let again = admin.get(&format!("/admin/boards/{new_id}/export")).await;
    let reimported: Value = serde_json::from_str(&again.body).expect("JSON");
    for key in [
        "title",
        "initial_title",
        "seq",
        "stickers",
        "events",
        "created_at",
    ] {
        assert_eq!(reimported[key], exported[key], "{key} round-trips");
    }
    // a file whose stickers do not match its log is refused
    let mut bad = exported.clone();
    bad["stickers"] = json!([]);
    let res = admin
        .post_file("/admin/import", &list_csrf, &bad.to_string())
        .await;
    assert_eq!(res.status, 400);
    let res = admin.post_file("/admin/import", "forged", &export.body).await;
    assert_eq!(res.status, 403);
}

async fn cli_manages_admins(backend: Backend) {
    let db_url = fresh_database(backend);
    let run = |args: &[&str], password: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_corkboard"));
        cmd.arg("admin")
            .args(args)
            .env("DATABASE_URL", &db_url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.env_remove("CORKBOARD_ADMIN_PASSWORD");
        let mut child = cmd.spawn().expect("run corkboard admin");
        if let Some(p) = password {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            writeln!(stdin, "{p}").expect("write password");
        }
        drop(child.stdin.take());
        child.wait_with_output().expect("output")
    };
    let out = run(&["create", "alice"], Some(PASSWORD));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["create", "alice"], Some(PASSWORD));
    assert!(!out.status.success(), "a taken name is refused");
    let out = run(&["create", "bob"], Some("short"));
    assert!(!out.status.success(), "a short password is refused");
    let out = run(&["list"], None);
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(listed.contains("alice") && !listed.contains("bob"), "{listed}");
    assert!(
        !listed.contains(PASSWORD) && !listed.contains("argon2"),
        "no secrets listed"
    );
    // the stored hash verifies
    let (_, pool) = db::connect(&db_url, 2).expect("connect");
    let row = queries::find_admin(&mut db::checkout(&pool).expect("conn"), "alice")
        .expect("query")
        .expect("alice");
    assert!(corkboard::auth::verify_password(PASSWORD, &row.password_hash));
    assert!(run(&["delete", "alice"], None).status.success());
    assert!(!run(&["delete", "alice"], None).status.success());
}

/// Logging out or deleting the admin ends the session on the server: the
/// old cookie opens nothing; sessions also end when idle and when old.
async fn sessions_end_on_logout_deletion_and_expiry(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("Guarded").await;
    let rename = format!("/admin/boards/{}/rename", b.id);
    let (mut admin, csrf) = AdminClient::signed_in(&app).await;
    let cookie = admin.cookie.clone().expect("cookie");
    let res = admin.post("/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status, 303);
    // a copy of the old cookie, kept by an attacker
    let mut stale = AdminClient::new(&app);
    stale.cookie = Some(cookie);
    assert_eq!(
        stale.get("/admin").await.location.as_deref(),
        Some("/admin/login")
    );
    let res = stale
        .post(&rename, &[("title", "Hijacked"), ("csrf_token", &csrf)])
        .await;
    assert_eq!(
        res.location.as_deref(),
        Some("/admin/login"),
        "no rename after logout"
    );
    let (_, state) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(state["title"], "Guarded");

    // an admin deleted from the CLI is signed out everywhere
    create_admin(&app, "eve");
    let mut eve = AdminClient::new(&app);
    assert_eq!(eve.login("eve", PASSWORD).await.status, 303);
    let eve_csrf = eve.get("/admin").await.csrf();
    let out = Command::new(env!("CARGO_BIN_EXE_corkboard"))
        .args(["admin", "delete", "eve"])
        .env("DATABASE_URL", &app.db_url)
        .output()
        .expect("run corkboard admin delete");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(eve.get("/admin").await.location.as_deref(), Some("/admin/login"));
    let res = eve
        .post(
            &rename,
            &[("title", "By a deleted admin"), ("csrf_token", &eve_csrf)],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/admin/login"));
    let (_, state) = app.get(&format!("/api/boards/{}?token={}", b.id, b.view)).await;
    assert_eq!(state["title"], "Guarded");

    // the cookie says when it ends, and the session ends when idle
    let app = spawn_app_with(backend, |c| {
        c.admin_idle_timeout = Duration::from_secs(2);
        c.admin_lifetime = Duration::from_secs(5);
    })
    .await;
    create_admin(&app, "root");
    let mut admin = AdminClient::new(&app);
    let res = admin.login("root", PASSWORD).await;
    assert_eq!(res.status, 303);
    let set_cookie = res.set_cookie.expect("a session cookie");
    assert!(set_cookie.contains("Max-Age=2"), "{set_cookie}");
    assert_eq!(admin.get("/admin").await.status, 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(admin.get("/admin").await.status, 303, "idle too long");

    // busy, but past its lifetime
    assert_eq!(admin.login("root", PASSWORD).await.status, 303);
    let started = tokio::time::Instant::now();
    while started.elapsed() < Duration::from_millis(4000) {
        assert_eq!(admin.get("/admin").await.status, 200, "still within its lifetime");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let page = admin.get("/admin").await;
    assert_eq!(
        page.location.as_deref(),
        Some("/admin/login"),
        "past its lifetime"
    );
}

/// Wrong passwords for the admin's account from other addresses do not
/// keep the admin, at its own address, from logging in.
async fn wrong_passwords_from_elsewhere_do_not_lock_the_admin_out(backend: Backend) {
    let app = spawn_app(backend).await;
    create_admin(&app, "root");
    let mut attacker = AdminClient::new(&app);
    let csrf = attacker.get("/admin/login").await.csrf();
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let res = attacker
            .post(
                "/admin/login",
                &[
                    ("username", "root"),
                    ("password", "not the password"),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        statuses.push(res.status);
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 401, 429, 429],
        "the attacker's address is limited"
    );

    // the admin, from another address (the whole of 127/8 is loopback)
    let mut admin = AdminClient::new(&app);
    let page = admin.get("/admin/login").await;
    let cookie = admin.cookie.clone().expect("cookie");
    let form = format!(
        "username=root&password={}&csrf_token={}",
        PASSWORD.replace(' ', "+"),
        page.csrf()
    );
    let request = format!(
        "POST /admin/login HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{form}",
        app.addr,
        form.len()
    );
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.2:0".parse().expect("addr"))
        .expect("bind 127.0.0.2");
    let mut stream = socket
        .connect(app.addr.parse().expect("addr"))
        .await
        .expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut answer))
        .await
        .expect("an answer")
        .expect("read");
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("location: /admin\r\n"),
        "{answer}"
    );
}

/// A valid export of one sticker made, updated and chatted about.
pub(crate) fn small_export() -> Value {
    let at = "2026-12-01T10:00:00.000Z";
    let by = json!({ "session": "s-abc", "name": "Ada" });
    let id = "0b0e7f0e-4c1d-4a63-9d5e-8f0b1d7e2a11";
    let sticker = json!({ "id": id, "x": 10.0, "y": 20.0, "w": 100.0, "h": 80.0, "z": 0.0,
        "color": "#ffcc00", "text": "hello", "version": 1, "updated_at": at });
    let mut after = sticker.clone();
    after["text"] = json!("hello again");
    after["version"] = json!(2);
    json!({
        "format": "corkboard-board-v1",
        "title": "Imported",
        "initial_title": "Imported",
        "created_at": at,
        "seq": 3,
        "stickers": [after],
        "events": [
            { "seq": 1, "at": at, "by": by, "event": { "kind": "sticker.created", "sticker": sticker } },
            { "seq": 2, "at": at, "by": by, "event": { "kind": "sticker.updated", "id": id,
                "patch": { "text": "hello again" }, "version": 2 } },
            { "seq": 3, "at": at, "by": by, "event": { "kind": "chat",
                "id": "1b0e7f0e-4c1d-4a63-9d5e-8f0b1d7e2a11", "text": "hi" } },
        ],
    })
}

/// A crafted export is checked with the live rules: nothing a live board
/// would refuse gets in by import.
async fn imports_hold_to_the_live_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut admin, _) = AdminClient::signed_in(&app).await;
    let csrf = admin.get("/admin/boards").await.csrf();
    let good = small_export();
    let res = admin.post_file("/admin/import", &csrf, &good.to_string()).await;
    assert_eq!(res.status, 303, "{}", res.body);

    type Craft = fn(&mut Value);
    let crafted: [(&str, Craft); 11] = [
        ("long text", |f| {
            let long = "x".repeat(100_000);
            f["events"][0]["event"]["sticker"]["text"] = json!(long);
            f["stickers"][0]["text"] = json!(long);
        }),
        ("x = 1e300", |f| {
            f["events"][0]["event"]["sticker"]["x"] = json!(1e300)
        }),
        ("w = -5", |f| {
            f["events"][0]["event"]["sticker"]["w"] = json!(-5.0)
        }),
        ("javascript colour", |f| {
            f["events"][0]["event"]["sticker"]["color"] = json!("javascript:alert(1)")
        }),
        ("version -7", |f| {
            f["events"][1]["event"]["version"] = json!(-7);
            f["stickers"][0]["version"] = json!(-7);
        }),
        ("version i64::MAX", |f| {
            f["events"][1]["event"]["version"] = json!(i64::MAX);
            f["stickers"][0]["version"] = json!(i64::MAX);
        }),
        ("created at version 5", |f| {
            f["events"][0]["event"]["sticker"]["version"] = json!(5)
        }),
        ("a time that is not RFC 3339", |f| {
            f["events"][2]["at"] = json!("yesterday")
        }),
        ("created_at not RFC 3339", |f| {
            f["created_at"] = json!("3 Dec 2026")
        }),
        ("an empty chat", |f| {
            f["events"][2]["event"]["text"] = json!("   ")
        }),
        ("an author without a name", |f| {
            f["events"][0]["by"]["name"] = json!("")
        }),
    ];
    for (what, craft) in crafted {
        let mut file = good.clone();
        craft(&mut file);
        let res = admin.post_file("/admin/import", &csrf, &file.to_string()).await;
        assert!(
            matches!(res.status, 400 | 413),
            "{what}: {} {}",
            res.status,
            res.body
        );
        assert!(res.body.contains("<h1"), "{what}: an error page: {}", res.body);
    }
    let boards = queries::board_summaries(
        &mut db::checkout(&db::connect(&app.db_url, 2).expect("connect").1).expect("conn"),
        "",
        1,
        50,
    )
    .expect("list");
    assert_eq!(boards.total, 1, "only the good file made a board");
}

/// The export of a busy board (thousands of events, several MiB) imports
/// back as the same board; a file over the limit is refused in words.
async fn a_busy_board_exports_and_imports_back(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_per_s = 100_000;
        c.rate_burst = 100_000;
    })
    .await;
    let (mut admin, _) = AdminClient::signed_in(&app).await;
    let b = app.board("Busy").await;
    let (mut c, _) = app.join(&b, &b.edit, "Ada").await;
    let text = "A long note about the sprint. ".repeat(60);
    let n = 2500;
    // in rounds, reading as we go: a member that does not read is cut
    for round in 0..n / 50 {
        for r in round * 50..(round + 1) * 50 {
            c.send(json!({ "type": "sticker.create", "ref": r,
                "sticker": { "x": r, "y": 20, "w": 100, "h": 80, "color": "#ffcc00", "text": text } }))
                .await;
        }
        let mut acked = 0;
        while acked < 50 {
            let m = c.recv().await;
            if m["type"] == "reply" {
                assert_eq!(m["ok"], true, "{m}");
                acked += 1;
            }
        }
    }
    // a member that stops reading would miss its heartbeats meanwhile
    c.close().await;
    let export = admin.get(&format!("/admin/boards/{}/export", b.id)).await;
    assert_eq!(export.status, 200);
    assert!(
        export.body.len() > 5 << 20,
        "a big file: {} bytes",
        export.body.len()
    );
    let csrf = admin.get("/admin/boards").await.csrf();
    let res = admin.post_file("/admin/import", &csrf, &export.body).await;
    assert_eq!(res.status, 303, "{}", &res.body[..res.body.len().min(500)]);
    let new_path = res.location.expect("location");
    let new_id = new_path
        .trim_start_matches("/admin/boards/")
        .trim_end_matches("?done=imported");
    let again = admin.get(&format!("/admin/boards/{new_id}/export")).await;
    let (a, b): (Value, Value) = (
        serde_json::from_str(&export.body).expect("JSON"),
        serde_json::from_str(&again.body).expect("JSON"),
    );
    assert_eq!(a["events"].as_array().map(Vec::len), Some(n as usize));
    for key in ["title", "seq", "stickers", "events", "created_at"] {
        assert_eq!(a[key], b[key], "{key} round-trips");
    }

    // over 64 MiB: refused with a page that says so
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(65 << 20));
    let res = admin.post_file("/admin/import", &csrf, &huge).await;
    assert_eq!(res.status, 413);
    assert!(
        res.body.contains("over 64 MiB"),
        "{}",
        &res.body[..res.body.len().min(500)]
    );
}

/// Delete, restore, rotate and kick each have a confirmation page that
/// says what will happen; their POSTs without `confirm=yes` (and, for a
/// delete, the exact title) are refused with an error page and change
/// nothing.
async fn destructive_actions_need_their_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut admin, csrf) = AdminClient::signed_in(&app).await;
    let b = app.board("Sprint <42> retro").await;
    let (mut ada, wa) = app.join(&b, &b.edit, "Ada").await;
    let (mut vic, _) = app.join(&b, &b.view, "Vic").await;
    for r in 1..=3 {
        assert_eq!(ada.request(create_msg("note"), r).await["ok"], true);
    }
    let ada_session = wa["session"].as_str().expect("session").to_owned();
    let path = format!("/admin/boards/{}", b.id);

    // the board page's buttons lead to the confirmation pages, by GET
    let page = admin.get(&path).await;
    for action in ["kick", "rotate-edit", "rotate-view", "restore", "delete"] {
        assert!(
            page.body.contains(&format!("name=\"action\" value=\"{action}\"")),
            "{action}"
        );
    }
    assert!(!page
        .body
        .contains("method=\"post\" action=\"/admin/boards/{}/delete"));

    // each page says what will happen, escaped, and posts the confirmation
    let confirm = |q: &str| format!("{path}/confirm?{q}");
    let del = admin.get(&confirm("action=delete")).await;
    assert_eq!(del.status, 200, "{}", del.body);
    assert!(
        del.body
            .contains("Delete “Sprint &#60;42&#62; retro”: 3 stickers, 3 events, 2 members connected"),
        "{}",
        del.body
    );
    assert!(!del.body.contains("<42>"));
    assert!(del.body.contains("name=\"confirm\" value=\"yes\""));
    assert!(del.body.contains("name=\"title\""));
    assert!(del.body.contains(&format!("action=\"{path}/delete\"")));
    let rot = admin.get(&confirm("action=rotate-edit")).await;
    assert!(
        rot.body
            .contains("the 1 editor connected is disconnected and the old link stops working"),
        "{}",
        rot.body
    );
    let rot = admin.get(&confirm("action=rotate-view")).await;
    assert!(rot.body.contains("Rotate the view-only link"), "{}", rot.body);
    let res = admin.get(&confirm("action=restore&seq=1")).await;
    assert!(res.body.contains("to seq 1 (of 3)"), "{}", res.body);
    assert!(res.body.contains("Stickers: 3 now, 1 after."), "{}", res.body);
    assert_eq!(admin.get(&confirm("action=restore&seq=9")).await.status, 400);
    assert_eq!(admin.get(&confirm("action=restore")).await.status, 400);
    let kick = admin
        .get(&confirm(&format!("action=kick&session={ada_session}")))
        .await;
    assert!(
        kick.body.contains("Kick Ada (editor, connected since 20"),
        "{}",
        kick.body
    );
    assert!(kick.body.contains(&ada_session));
    assert_eq!(
        admin.get(&confirm("action=kick&session=s-gone")).await.status,
        404
    );
    assert_eq!(admin.get(&confirm("action=explode")).await.status, 400);

    // without the confirmation: 400 with a page that says so, nothing done
    let unconfirmed: [(&str, Vec<(&str, &str)>); 6] = [
        ("kick", vec![("session", &ada_session)]),
        ("rotate", vec![("which", "edit")]),
        ("restore", vec![("seq", "1")]),
        ("delete", vec![("title", "Sprint <42> retro")]),
        ("delete", vec![("confirm", "yes")]),
        ("delete", vec![("confirm", "yes"), ("title", "sprint <42> retro")]),
    ];
    for (action, mut form) in unconfirmed {
        form.push(("csrf_token", &csrf));
        let res = admin.post(&format!("{path}/{action}"), &form).await;
        assert_eq!(res.status, 400, "{action} {form:?}: {}", res.body);
        assert!(res.body.contains("<h1"), "an error page");
        assert!(res.body.contains("nothing was"), "{}", res.body);
    }
    // still connected, same links, same seq, still there
    assert_eq!(ada.request(create_msg("still here"), 9).await["ok"], true);
    assert_eq!(
        vic.request(json!({ "type": "chat.send", "text": "me too" }), 1)
            .await["ok"],
        true
    );
    let (status, state) = app.get(&format!("/api/boards/{}?token={}", b.id, b.edit)).await;
    assert_eq!((status, state["seq"].as_i64()), (200, Some(5)));
    assert_eq!(state["stickers"].as_array().map(Vec::len), Some(4));

    // with it, each happens
    let res = admin
        .post(
            &format!("{path}/restore"),
            &[("seq", "1"), ("csrf_token", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let landing = admin.get(&res.location.expect("back to the board")).await;
    assert!(
        landing.body.contains("The board was restored"),
        "{}",
        landing.body
    );
    let (_, state) = app.get(&format!("/api/boards/{}?token={}", b.id, b.edit)).await;
    assert_eq!(state["stickers"].as_array().map(Vec::len), Some(1));
    let res = admin
        .post(
            &format!("{path}/kick"),
            &[
                ("session", &ada_session),
                ("csrf_token", &csrf),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(ada.closed().await, Some(4001));
    let landing = admin.get(&res.location.expect("back to the board")).await;
    assert!(
        landing.body.contains("The session was disconnected"),
        "{}",
        landing.body
    );
    let res = admin
        .post(
            &format!("{path}/rotate"),
            &[("which", "view"), ("csrf_token", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(vic.closed().await, Some(4003));
    let res = admin
        .post(
            &format!("{path}/delete"),
            &[
                ("title", "Sprint <42> retro"),
                ("csrf_token", &csrf),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let landing = admin.get(&res.location.expect("to the list")).await;
    assert!(landing.body.contains("The board was deleted"), "{}", landing.body);
    assert_eq!(admin.get(&path).await.status, 404);
}

/// The board's history says what each event did, in words, naming
/// stickers by their text; it filters by kind and author and pages
/// through the whole log.
async fn history_in_words_filtered_and_paged(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_per_s = 100_000;
        c.rate_burst = 100_000;
    })
    .await;
    let (mut admin, _) = AdminClient::signed_in(&app).await;
    let b = app.board("Words").await;
    let (mut ada, _) = app.join(&b, &b.edit, "Ada").await;
    let (mut bob, _) = app.join(&b, &b.edit, "Bob").await;
    let ok = |v: Value| assert_eq!(v["ok"], true, "{v}");
    let with_id = |text: &str, id: &str| {
        let mut m = create_msg(text);
        m["sticker"]["id"] = json!(id);
        m
    };
    let id = json!("0b0e7f0e-4c1d-4a63-9d5e-8f0b1d7e2a11");
    let temp_id = "1c0e7f0e-4c1d-4a63-9d5e-8f0b1d7e2a11";
    ok(ada
        .request(
            with_id("Deploys were slow", "0b0e7f0e-4c1d-4a63-9d5e-8f0b1d7e2a11"),
            1,
        )
        .await);
    ok(ada
        .request(
            json!({ "type": "sticker.update", "id": id, "patch": { "x": 50, "y": 60 } }),
            2,
        )
        .await);
    ok(ada
        .request(
            json!({ "type": "sticker.update", "id": id, "patch": { "color": "#ffcc80" } }),
            3,
        )
        .await);
    ok(bob
        .request(
            json!({ "type": "sticker.update", "id": id, "patch": { "text": "Deploys were very slow" } }),
            1,
        )
        .await);
    ok(ada.request(with_id("Temp", temp_id), 4).await);
    ok(ada
        .request(json!({ "type": "sticker.delete", "id": temp_id }), 5)
        .await);
    ok(ada
        .request(json!({ "type": "board.rename", "title": "Retro <2>" }), 6)
        .await);
    ok(bob
        .request(json!({ "type": "chat.send", "text": "<b>hi</b> it's me" }), 2)
        .await);
    let path = format!("/admin/boards/{}", b.id);
    let page = admin.get(&path).await;
    assert_eq!(page.status, 200);
    for words in [
        "Ada added a sticker “Deploys were slow”",
        "Ada moved “Deploys were slow”",
        "Ada recoloured “Deploys were slow” to #ffcc80",
        "Bob edited “Deploys were very slow”",
        "Ada added a sticker “Temp”",
        "Ada deleted “Temp”",
        "Ada renamed the board to “Retro &#60;2&#62;”",
        "Bob wrote in chat: &#60;b&#62;hi&#60;/b&#62; it&#39;s me",
    ] {
        assert!(page.body.contains(words), "{words}: {}", page.body);
    }
    assert!(!page.body.contains("<b>hi"));
    assert!(
        page.body.contains("fill=\"#ffcc80\""),
        "a swatch beside the colour"
    );
    assert!(page.body.contains("<time datetime=\"20"), "times in <time>");
    assert!(page.body.contains("UTC</time>"), "{}", page.body);
    // each event offers to restore the board to it, through the confirmation
    assert!(page.body.contains(&format!(
        "/admin/boards/{}/confirm?action=restore&amp;seq=3\"",
        b.id
    )));
    // newest first
    let chat = page.body.find("Bob wrote in chat").expect("chat");
    let added = page.body.find("Ada added a sticker “Deploys").expect("added");
    assert!(chat < added);

    // by kind: a deletion whose sticker's creation is not on the page is
    // still named, from the log
    let deleted = admin.get(&format!("{path}?kind=sticker.deleted")).await;
    assert!(deleted.body.contains("Ada deleted “Temp”"), "{}", deleted.body);
    assert!(!deleted.body.contains("Ada added"));
    assert!(deleted.body.contains("1 event(s) match"));
    // by kind and author: changes by Ada only, named by their text now
    let ada_changes = admin
        .get(&format!("{path}?kind=sticker.updated&author=Ada"))
        .await;
    assert!(
        ada_changes.body.contains("Ada moved “Deploys were very slow”"),
        "{}",
        ada_changes.body
    );
    assert!(ada_changes.body.contains("Ada recoloured"));
    assert!(!ada_changes.body.contains("Bob edited"));
    assert!(!ada_changes.body.contains("Ada deleted"));
    let nobody = admin.get(&format!("{path}?author=Zed")).await;
    assert!(nobody.body.contains("No event matches."), "{}", nobody.body);
    let unknown_kind = admin.get(&format!("{path}?kind=%3Cx%3E")).await;
    assert_eq!(unknown_kind.status, 200, "an unknown kind shows everything");

    // paged through the whole log: 8 + 55 events, 50 a page
    for r in 0..55 {
        ok(bob
            .request(
                json!({ "type": "chat.send", "text": format!("message {r}.") }),
                10 + r,
            )
            .await);
    }
    let first = admin.get(&path).await;
    assert!(first.body.contains("63 event(s)"), "{}", first.body);
    assert!(first.body.contains("Page 1 of 2"));
    assert!(
        first.body.contains("Bob wrote in chat: message 54.") && !first.body.contains("Ada added a sticker")
    );
    assert!(first.body.contains("page=2#history"), "an Older link");
    let second = admin.get(&format!("{path}?page=2")).await;
    assert!(
        second.body.contains("Ada added a sticker “Deploys were slow”"),
        "{}",
        second.body
    );
    assert!(!second.body.contains("Bob wrote in chat: message 54."));
    // filters hold across pages
    let bobs = admin.get(&format!("{path}?author=Bob")).await;
    assert!(bobs.body.contains("57 event(s) match"), "{}", bobs.body);
    assert!(
        bobs.body.contains("author=Bob&#38;page=2#history")
            || bobs.body.contains("author=Bob&amp;page=2#history"),
        "{}",
        bobs.body
    );
    let bobs2 = admin.get(&format!("{path}?author=Bob&page=2")).await;
    assert!(
        bobs2.body.contains("Bob edited") && !bobs2.body.contains("Ada "),
        "{}",
        bobs2.body
    );
}

/// Boards drawn small (SVG, escaped) on the list, the board's page and a
/// restore's confirmation, which also counts what the restore changes.
async fn thumbnails_and_the_restore_preview(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut admin, _) = AdminClient::signed_in(&app).await;
    let b = app.board("Drawn").await;
    let (mut c, _) = app.join(&b, &b.edit, "Ada").await;
    let mut ids = Vec::new();
    for (r, text) in [(1, "<b>first</b>"), (2, "second"), (3, "third")] {
        let reply = c.request(create_msg(text), r).await;
        assert_eq!(reply["ok"], true, "{reply}");
        ids.push(c.recv_type("event").await["event"]["sticker"]["id"].clone());
    }
    // seq 3: three stickers. Then: one changed, one removed, one more added.
    let r = c
        .request(
            json!({ "type": "sticker.update", "id": ids[1], "patch": { "color": "#90caf9" } }),
            4,
        )
        .await;
    assert_eq!(r["ok"], true);
    assert_eq!(
        c.request(json!({ "type": "sticker.delete", "id": ids[2] }), 5)
            .await["ok"],
        true
    );
    assert_eq!(c.request(create_msg("fourth"), 6).await["ok"], true);
    c.close().await;

    let path = format!("/admin/boards/{}/thumbnail.svg", b.id);
    let now = admin.get(&path).await;
    assert_eq!(now.status, 200);
    assert!(now.body.starts_with("<svg"), "{}", now.body);
    assert_eq!(
        now.body.matches("<g>").count(),
        3,
        "three stickers now: {}",
        now.body
    );
    assert!(now.body.contains("#90caf9"));
    assert!(
        now.body.contains("&#60;b&#62;first") && !now.body.contains("<b>"),
        "escaped: {}",
        now.body
    );
    let then = admin.get(&format!("{path}?seq=3")).await;
    assert_eq!(then.body.matches("<g>").count(), 3);
    assert!(
        then.body.contains("third") && !then.body.contains("fourth"),
        "{}",
        then.body
    );
    assert_eq!(admin.get(&format!("{path}?seq=99")).await.status, 400);
    let mut anon = AdminClient::new(&app);
    assert_eq!(anon.get(&path).await.location.as_deref(), Some("/admin/login"));

    for page in ["/admin/boards".to_owned(), format!("/admin/boards/{}", b.id)] {
        assert!(
            admin.get(&page).await.body.contains(&path),
            "{page} shows the board drawn"
        );
    }
    let confirm = admin
        .get(&format!("/admin/boards/{}/confirm?action=restore&seq=3", b.id))
        .await;
    assert_eq!(confirm.status, 200);
    // back to seq 3: 'third' comes back, 'second' gets its colour back, 'fourth' goes
    assert!(
        confirm.body.contains("1 sticker created, 1 changed, 1 removed."),
        "{}",
        confirm.body
    );
    assert!(
        confirm.body.contains(&format!("{path}?seq=3")),
        "the board as it will be"
    );
}

/// A kick can keep the member's browser (its member key) out for a while:
/// a reload is refused, another browser is not, the admin can let it back.
async fn a_kick_can_keep_a_member_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut admin, csrf) = AdminClient::signed_in(&app).await;
    let b = app.board("Guarded").await;
    let url = |key: &str| format!("{}&member={key}", app.ws_url(&b.id, &b.edit, "Mallory", None));
    let key = "0b0e7f0e-4c1d-4a63-9d5e-8f0b1d7e2a11";
    let (mut mallory, w) = {
        let mut c = Client::connect(&url(key)).await.expect("upgrade");
        let w = c.recv().await;
        (c, w)
    };
    let session = w["session"].as_str().expect("session").to_owned();
    let path = format!("/admin/boards/{}", b.id);
    let confirm = admin
        .get(&format!("{path}/confirm?action=kick&session={session}"))
        .await;
    assert!(confirm.body.contains("keep_out_minutes"), "{}", confirm.body);
    let res = admin
        .post(
            &format!("{path}/kick"),
            &[
                ("session", session.as_str()),
                ("csrf_token", &csrf),
                ("confirm", "yes"),
                ("keep_out_minutes", "15"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(mallory.closed().await, Some(4001));

    // the same browser is kept out, over the socket and the API; another is not
    assert_eq!(Client::connect(&url(key)).await.err(), Some(Refused::Status(403)));
    let (status, err) = app
        .get(&format!("/api/boards/{}?token={}&member={key}", b.id, b.edit))
        .await;
    assert_eq!(status, 403);
    assert!(
        err["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("removed you")),
        "{err}"
    );
    let other = Client::connect(&url("another-browser-key"))
        .await
        .expect("another browser");
    other.close().await;
    assert_eq!(
        Client::connect(&url("x")).await.err(),
        Some(Refused::Status(400)),
        "a bad key"
    );

    // the admin sees it and lets it back in
    let page = admin.get(&path).await;
    assert!(
        page.body.contains("Kept out") && page.body.contains("Mallory"),
        "{}",
        page.body
    );
    let member = page
        .body
        .split("name=\"member\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a lift form")
        .to_owned();
    let res = admin
        .post(
            &format!("{path}/lift"),
            &[("member", member.as_str()), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status, 303);
    let back = Client::connect(&url(key)).await.expect("let back in");
    back.close().await;

    // a kick without a time keeps nobody out
    let (mut again, w) = {
        let mut c = Client::connect(&url(key)).await.expect("upgrade");
        let w = c.recv().await;
        (c, w)
    };
    let session = w["session"].as_str().expect("session").to_owned();
    let res = admin
        .post(
            &format!("{path}/kick"),
            &[
                ("session", session.as_str()),
                ("csrf_token", &csrf),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(again.closed().await, Some(4001));
    Client::connect(&url(key))
        .await
        .expect("may rejoin at once")
        .close()
        .await;
}

/// The overview draws the last hour (connections, boards, events/s,
/// commit latency) from the in-process samples; the fragment refreshes it.
async fn the_overview_charts_the_last_hour(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut admin, _) = AdminClient::signed_in(&app).await;
    let b = app.board("Busy").await;
    let (mut c, _) = app.join(&b, &b.edit, "Ada").await;
    for r in 0..20 {
        assert_eq!(c.request(create_msg("n"), r).await["ok"], true);
    }
    // a few samples (one a second)
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let page = admin.get("/admin").await;
    for id in ["connections", "boards", "events", "commit"] {
        assert!(
            page.body.contains(&format!("id=\"chart-{id}\"")),
            "{id}: {}",
            page.body
        );
    }
    let fragment = admin.get("/admin/charts").await;
    assert_eq!(fragment.status, 200);
    assert!(
        fragment.body.trim_start().starts_with("<div id=\"charts\""),
        "{}",
        fragment.body
    );
    let connections = fragment
        .body
        .split("id=\"chart-connections\"")
        .nth(1)
        .and_then(|r| r.split("<strong>").nth(1))
        .and_then(|r| r.split("</strong>").next())
        .expect("the latest value");
    assert_eq!(connections, "1", "{}", fragment.body);
    assert!(fragment.body.contains("points=\"") && !fragment.body.contains("points=\"\""));
    let mut anon = AdminClient::new(&app);
    assert_eq!(
        anon.get("/admin/charts").await.location.as_deref(),
        Some("/admin/login")
    );
}
