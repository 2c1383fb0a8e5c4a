//! Spawning apps and talking to them over real sockets.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clap::Parser;
use corkboard::config::{Cli, Command as CliCommand, Config};
use corkboard::startup::Application;
use diesel::{Connection, RunQueryDsl};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(10);

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named test (an `async fn(Backend)`) on SQLite and on Postgres.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[actix_web::test] async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[actix_web::test] async fn $name() { super::$name($crate::helpers::Backend::Postgres).await })*
        }
    };
}

/// The admin URL of the throwaway Postgres cluster the test command starts.
pub fn pg_admin_url() -> String {
    std::env::var("CORKBOARD_TEST_PG").unwrap_or_else(|_| {
        panic!("CORKBOARD_TEST_PG is not set: run the tests with scripts/test.sh, which starts Postgres")
    })
}

/// A fresh, empty database of the backend; its URL.
pub fn fresh_database(backend: Backend) -> String {
    let name = format!("corkboard_test_{}", uuid::Uuid::new_v4().simple());
    match backend {
        Backend::Sqlite => {
            let path: PathBuf = std::env::temp_dir().join(format!("{name}.db"));
            format!("sqlite://{}", path.display())
        }
        Backend::Postgres => {
            let admin = pg_admin_url();
            let mut conn = diesel::PgConnection::establish(&admin).expect("connect to the test cluster");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create a test database");
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b)
                .expect("admin URL has a database");
            format!("{base}/{name}")
        }
    }
}

/// The settings of a test app: port 0, short timers, the given database.
pub fn test_config(db_url: &str) -> Config {
    let cli = Cli::parse_from([
        "corkboard",
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--database-url",
        db_url,
    ]);
    match cli.command {
        Some(CliCommand::Serve(mut c)) => {
            c.board_idle_ms = 200;
            c.workers = 2;
            *c
        }
        _ => unreachable!("serve was given"),
    }
}

/// A running app.
pub struct TestApp {
    pub addr: String,
    pub db_url: String,
    pub http: awc::Client,
}

/// A board created through the API.
#[derive(Debug, Clone)]
pub struct TestBoard {
    pub id: String,
    pub edit: String,
    pub view: String,
}

/// Spawns an app on a fresh database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Spawns an app on a fresh database with adjusted settings.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let db_url = fresh_database(backend);
    let mut config = test_config(&db_url);
    adjust(&mut config);
    spawn_config(config).await
}

/// Spawns an app with exactly these settings.
pub async fn spawn_config(config: Config) -> TestApp {
    let _ = env_logger::builder().is_test(true).try_init();
    let db_url = config.database.url.clone();
    let app = Application::build(config).await.expect("the app builds");
    let addr = format!("127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        addr,
        db_url,
        http: awc::Client::builder().timeout(WAIT).finish(),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POST JSON; the status and the JSON answer.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut res = self
            .http
            .post(self.url(path))
            .send_json(body)
            .await
            .expect("POST");
        let status = res.status().as_u16();
        let body = res.json::<Value>().limit(1 << 24).await.unwrap_or(Value::Null);
        (status, body)
    }

    /// GET; the status and the JSON answer (Null when not JSON).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let mut res = self.http.get(self.url(path)).send().await.expect("GET");
        let status = res.status().as_u16();
        let body = res.json::<Value>().limit(1 << 24).await.unwrap_or(Value::Null);
        (status, body)
    }

    /// GET as text.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let mut res = self.http.get(self.url(path)).send().await.expect("GET");
        let status = res.status().as_u16();
        let body = res.body().limit(1 << 24).await.expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// GET as a browser does (`Accept: text/html`); the status, the
    /// content type and the body.
    pub async fn get_page(&self, path: &str) -> (u16, String, String) {
        let mut res = self
            .http
            .get(self.url(path))
            .insert_header(("accept", "text/html,application/xhtml+xml,*/*;q=0.8"))
            .send()
            .await
            .expect("GET");
        let status = res.status().as_u16();
        let kind = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = res.body().limit(1 << 24).await.expect("body");
        (status, kind, String::from_utf8_lossy(&body).into_owned())
    }

    /// Creates a board.
    pub async fn board(&self, title: &str) -> TestBoard {
        create_board(&self.http, &self.addr, title).await
    }

    /// The WebSocket URL of a board.
    pub fn ws_url(&self, board: &str, token: &str, name: &str, since: Option<i64>) -> String {
        let since = since.map(|s| format!("&since={s}")).unwrap_or_default();
        format!(
            "ws://{}/ws/boards/{board}?token={token}&name={name}{since}",
            self.addr
        )
    }

    /// Connects and reads the welcome.
    pub async fn join(&self, board: &TestBoard, token: &str, name: &str) -> (Client, Value) {
        let mut c = Client::connect(&self.ws_url(&board.id, token, name, None))
            .await
            .expect("upgrade");
        let welcome = c.recv().await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        (c, welcome)
    }

    /// A metric's value from /metrics.
    pub async fn metric(&self, name: &str) -> f64 {
        let (_, text) = self.get_text("/metrics").await;
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} in\n{text}"))
    }

    /// Waits until a metric has a value.
    pub async fn wait_metric(&self, name: &str, want: f64) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let v = self.metric(name).await;
            if v == want {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} is {v}, not {want}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Creates a board on the server at `addr`.
pub async fn create_board(http: &awc::Client, addr: &str, title: &str) -> TestBoard {
    let mut res = http
        .post(format!("http://{addr}/api/boards"))
        .send_json(&json!({ "title": title }))
        .await
        .expect("POST /api/boards");
    assert_eq!(res.status().as_u16(), 201);
    let b: Value = res.json().await.expect("JSON");
    TestBoard {
        id: b["id"].as_str().expect("id").to_owned(),
        edit: b["edit_token"].as_str().expect("edit_token").to_owned(),
        view: b["view_token"].as_str().expect("view_token").to_owned(),
    }
}

/// A WebSocket client.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a connection attempt or a connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Status(u16),
    Other(String),
}

impl Client {
    /// Connects; a refused upgrade gives its HTTP status.
    pub async fn connect(url: &str) -> Result<Client, Refused> {
        match tokio_tungstenite::connect_async(url).await {
            Ok((ws, _)) => Ok(Client { ws }),
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                Err(Refused::Status(res.status().as_u16()))
            }
            Err(e) => Err(Refused::Other(e.to_string())),
        }
    }

    pub async fn send(&mut self, v: Value) {
        self.ws.send(Message::text(v.to_string())).await.expect("send");
    }

    pub async fn send_raw(&mut self, m: Message) {
        self.ws.send(m).await.expect("send");
    }

    /// The next JSON text frame (pings are answered by the library).
    pub async fn recv(&mut self) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let m = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("a frame within the wait")
                .expect("the socket is open")
                .expect("no socket error");
            match m {
                Message::Text(t) => return serde_json::from_str(t.as_str()).expect("JSON frame"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// The next frame of a type, skipping others.
    pub async fn recv_type(&mut self, ty: &str) -> Value {
        loop {
            let v = self.recv().await;
            if v["type"] == ty {
                return v;
            }
        }
    }

    /// Sends a message and returns its reply, skipping other frames.
    pub async fn request(&mut self, mut v: Value, reference: i64) -> Value {
        v["ref"] = json!(reference);
        self.send(v).await;
        loop {
            let m = self.recv().await;
            if m["type"] == "reply" && m["ref"] == json!(reference) {
                return m;
            }
        }
    }

    /// Nothing but pings arrives for a while.
    pub async fn assert_silent(&mut self, for_: Duration) {
        let deadline = tokio::time::Instant::now() + for_;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(other) => panic!("expected silence, got {other:?}"),
            }
        }
    }

    /// No `event` frame arrives for a while (presence of others may).
    pub async fn assert_no_events(&mut self, for_: Duration) {
        let deadline = tokio::time::Instant::now() + for_;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Text(t)))) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("JSON frame");
                    assert_ne!(v["type"], "event", "expected no events, got {v}");
                }
                Ok(Some(Ok(_))) => continue,
                Ok(other) => panic!("the socket ended: {other:?}"),
            }
        }
    }

    /// Reads until the server closes; the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            let m = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("closed within the wait");
            match m {
                Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// A sticker.create message.
pub fn create_msg(text: &str) -> Value {
    json!({ "type": "sticker.create", "sticker": { "x": 10, "y": 20, "w": 100, "h": 80, "color": "#ffcc00", "text": text } })
}

/// A group-commit batch of one event (seq 1, a rename event's row) for
/// `board`, made at `epoch`: what the tests of the commit's SQL hand it.
pub fn one_event_batch(board: &str, epoch: Option<i64>) -> corkboard::actors::persister::Batch {
    let row = corkboard::db::queries::EventRow {
        board_id: board.into(),
        seq: 1,
        kind: "board.renamed".into(),
        payload: json!({ "kind": "board.renamed", "title": "T" }).to_string(),
        author_session: "s-test".into(),
        author_name: "test".into(),
        at: "2026-01-01T00:00:00.000Z".into(),
    };
    corkboard::actors::persister::Batch {
        board_id: board.into(),
        epoch,
        last_seq: 1,
        events: vec![row],
        ..Default::default()
    }
}

/// The server binary, run as a child process.
pub struct ServerProcess {
    pub child: Child,
    pub addr: String,
}

/// A test that fails half-way must not leave its server running.
impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real binary on a database; waits until it answers.
pub async fn start_binary(db_url: &str, extra_env: &[(&str, &str)]) -> ServerProcess {
    start_binary_in(None, db_url, extra_env).await
}

/// Starts the real binary in a working directory (default: this one).
pub async fn start_binary_in(
    cwd: Option<&std::path::Path>,
    db_url: &str,
    extra_env: &[(&str, &str)],
) -> ServerProcess {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corkboard"));
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    cmd.arg("serve")
        .env("CORKBOARD_BIND", &addr)
        .env("DATABASE_URL", db_url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    // extra_env may set RUST_LOG, and CORKBOARD_TEST_STDERR a file for the log
    for (k, v) in extra_env {
        if *k == "CORKBOARD_TEST_STDERR" {
            cmd.stderr(std::fs::File::create(v).expect("a log file"));
        } else {
            cmd.env(k, v);
        }
    }
    let child = cmd.spawn().expect("start the server binary");
    let http = awc::Client::default();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Ok(res) = http.get(format!("http://{addr}/healthz")).send().await {
            if res.status().is_success() {
                break;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ServerProcess { child, addr }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A throwaway cluster of its own, for a test that stops it.
pub struct OwnCluster {
    pub dir: String,
    pub url: String,
}

impl OwnCluster {
    pub fn new() -> Self {
        let out = Command::new("scripts/pg.sh")
            .arg("new")
            .output()
            .expect("scripts/pg.sh new");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let (dir, url) = line.split_once(' ').expect("DIR URL");
        OwnCluster {
            dir: dir.into(),
            url: url.into(),
        }
    }

    /// A new database in the cluster; its URL.
    pub fn database(&self, name: &str) -> String {
        let mut conn = diesel::PgConnection::establish(&self.url).expect("connect");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create db");
        let base = self.url.rsplit_once('/').expect("URL has a database").0;
        format!("{base}/{name}")
    }

    pub fn run(&self, what: &str) {
        let ok = Command::new("scripts/pg.sh")
            .args([what, &self.dir])
            .status()
            .expect("pg.sh");
        assert!(ok.success(), "pg.sh {what}");
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new("scripts/pg.sh")
            .args(["destroy", &self.dir])
            .status();
    }
}
