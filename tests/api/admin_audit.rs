//! The admin audit trail: every admin action leaves a row (who, what,
//! from where), and `/admin/audit` lists them, newest first, paged,
//! escaped, with no way to change them.

use std::process::Command;

use corkboard::db::{self, queries};

use crate::admin::{small_export, AdminClient, PASSWORD};
use crate::helpers::*;

crate::on_both_backends!(
    every_admin_action_is_recorded,
    the_audit_page_lists_pages_and_escapes
);

/// Posts a form that must succeed (303).
async fn send(admin: &mut AdminClient, (url, form): (String, Vec<(&'static str, String)>)) {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = admin.post(&url, &form).await;
    assert_eq!(res.status, 303, "{url}: {}", res.body);
}

fn entries(app: &TestApp) -> Vec<queries::AuditRow> {
    let (_, pool) = db::connect(&app.db_url, 2).expect("connect");
    let mut conn = db::checkout(&pool).expect("conn");
    let mut page = queries::audit_page(&mut conn, 1, 1000).expect("audit");
    page.entries.reverse();
    page.entries
}

async fn every_admin_action_is_recorded(backend: Backend) {
    let app = spawn_app(backend).await;
    // a failed login, with the name tried
    let mut anon = AdminClient::new(&app);
    let csrf = anon.get("/admin/login").await.csrf();
    let res = anon
        .post(
            "/admin/login",
            &[
                ("username", "<b>mallory</b>"),
                ("password", "guess guess"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status, 401);
    // a name as long as a form allows is recorded cut short
    let long = "n".repeat(10_000);
    let res = anon
        .post(
            "/admin/login",
            &[
                ("username", &long),
                ("password", "guess guess"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status, 401);
    let (mut admin, csrf) = AdminClient::signed_in(&app).await;

    let b = app.board("Audited").await;
    let (mut ada, wa) = app.join(&b, &b.edit, "Ada").await;
    assert_eq!(ada.request(create_msg("note"), 1).await["ok"], true);
    let path = format!("/admin/boards/{}", b.id);
    let post = |action: &'static str, extra: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf_token", csrf.clone()), ("confirm", "yes".to_owned())];
        form.extend(extra);
        (format!("{path}/{action}"), form)
    };
    send(
        &mut admin,
        post("rename", vec![("title", "Audited twice".into())]),
    )
    .await;
    send(&mut admin, post("restore", vec![("seq", "1".into())])).await;
    send(
        &mut admin,
        post(
            "kick",
            vec![("session", wa["session"].as_str().expect("s").into())],
        ),
    )
    .await;
    assert_eq!(ada.closed().await, Some(4001));
    send(&mut admin, post("rotate", vec![("which", "view".into())])).await;
    let export = admin.get(&format!("{path}/export")).await;
    assert_eq!(export.status, 200);
    let res = admin
        .post_file("/admin/import", &csrf, &small_export().to_string())
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let imported = res
        .location
        .expect("location")
        .trim_start_matches("/admin/boards/")
        .trim_end_matches("?done=imported")
        .to_owned();
    // the restore brought the first title back
    send(&mut admin, post("delete", vec![("title", "Audited".into())])).await;
    let res = admin.post("/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status, 303);

    // from the command line too
    for args in [["admin", "create", "carol"], ["admin", "delete", "carol"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_corkboard"))
            .args(args)
            .env("DATABASE_URL", &app.db_url)
            .env("CORKBOARD_ADMIN_PASSWORD", PASSWORD)
            .env("USER", "operator")
            .env_remove("SUDO_USER")
            .output()
            .expect("run corkboard admin");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    let rows = entries(&app);
    let long_cut = format!("{}…", "n".repeat(200));
    let got: Vec<(&str, &str, &str, Option<&str>)> = rows
        .iter()
        .map(|r| {
            (
                r.admin.as_str(),
                r.address.as_str(),
                r.action.as_str(),
                r.board_id.as_deref(),
            )
        })
        .collect();
    let board = Some(b.id.as_str());
    assert_eq!(
        got,
        [
            ("<b>mallory</b>", "127.0.0.1", "login-failed", None),
            (long_cut.as_str(), "127.0.0.1", "login-failed", None),
            ("root", "127.0.0.1", "login", None),
            ("root", "127.0.0.1", "rename", board),
            ("root", "127.0.0.1", "restore", board),
            ("root", "127.0.0.1", "kick", board),
            ("root", "127.0.0.1", "rotate", board),
            ("root", "127.0.0.1", "export", board),
            ("root", "127.0.0.1", "import", Some(imported.as_str())),
            ("root", "127.0.0.1", "delete", board),
            ("root", "127.0.0.1", "logout", None),
            ("operator (cli)", "cli", "admin-create", None),
            ("operator (cli)", "cli", "admin-delete", None),
        ]
    );
    let detail = |action: &str| {
        rows.iter()
            .find(|r| r.action == action)
            .map(|r| r.detail.clone())
            .unwrap_or_default()
    };
    assert_eq!(detail("login-failed"), "wrong user name or password");
    assert_eq!(detail("rename"), "“Audited” to “Audited twice”");
    assert_eq!(detail("restore"), "to seq 1 (it was at seq 2)");
    assert!(
        detail("kick").starts_with("Ada (editor, session s-"),
        "{}",
        detail("kick")
    );
    assert_eq!(detail("rotate"), "the view-only link; 0 viewers disconnected");
    assert!(
        detail("export").starts_with("“Audited”: 1 sticker, "),
        "{}",
        detail("export")
    );
    assert!(
        detail("import").starts_with("“Imported” from \"b.json\": 1 sticker, 3 events"),
        "{}",
        detail("import")
    );
    assert!(
        detail("delete").starts_with("“Audited”: 1 sticker, "),
        "{}",
        detail("delete")
    );
    assert_eq!(detail("admin-create"), "admin carol");
    for r in &rows {
        assert!(r.at.starts_with("20") && r.at.ends_with('Z'), "{}", r.at);
    }
}

async fn the_audit_page_lists_pages_and_escapes(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut anon = AdminClient::new(&app);
    assert_eq!(
        anon.get("/admin/audit").await.location.as_deref(),
        Some("/admin/login")
    );
    let csrf = anon.get("/admin/login").await.csrf();
    anon.post(
        "/admin/login",
        &[
            ("username", "<script>x</script>"),
            ("password", "nope nope"),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    let (mut admin, csrf) = AdminClient::signed_in(&app).await;
    let page = admin.get("/admin/audit").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("href=\"/admin/audit\""), "linked from the nav");
    assert!(
        page.body.contains("&#60;script&#62;x&#60;/script&#62;"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>x"));
    // newest first
    let login = page.body.find("<code>login</code>").expect("the login");
    let failed = page
        .body
        .find("<code>login-failed</code>")
        .expect("the failed login");
    assert!(login < failed, "newest first");

    // paged: 50 a page
    let (_, pool) = db::connect(&app.db_url, 2).expect("connect");
    let mut conn = db::checkout(&pool).expect("conn");
    for i in 0..60 {
        queries::record_audit(
            &mut conn,
            &queries::NewAudit {
                at: "2026-12-01T10:00:00.000Z".into(),
                admin: "root".into(),
                address: "127.0.0.1".into(),
                action: "rename".into(),
                board_id: Some("b-x".into()),
                detail: format!("entry number {i}."),
            },
        )
        .expect("record");
    }
    let first = admin.get("/admin/audit").await;
    assert!(first.body.contains("Page 1 of 2"), "{}", first.body);
    assert!(first.body.contains("entry number 59.") && !first.body.contains("entry number 9."));
    assert!(first.body.contains("href=\"/admin/audit?page=2\""));
    let second = admin.get("/admin/audit?page=2").await;
    assert!(second.body.contains("entry number 9.") && second.body.contains("<code>login-failed</code>"));
    assert!(!second.body.contains("entry number 10."));

    // nothing changes an entry
    for path in ["/admin/audit", "/admin/audit/1", "/admin/audit/1/delete"] {
        let res = admin.post(path, &[("csrf_token", &csrf)]).await;
        assert!(matches!(res.status, 404 | 405), "{path}: {}", res.status);
    }
    assert_eq!(queries::audit_page(&mut conn, 1, 10).expect("audit").total, 62);
}
