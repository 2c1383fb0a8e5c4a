//! Building and running the app: the database, the actors (started once,
//! outside `HttpServer::new`), the HTTP server, and the graceful shutdown.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{DefaultHeaders, Logger};
use actix_web::{web, App, HttpServer};

use crate::actors::persister::{DbExecutor, Executors, Persister};
use crate::actors::registry::{DrainAll, Registry};
use crate::config::Config;
use crate::db::{self, Backend};
use crate::state::Shared;

/// A built app, listening, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    registry: Addr<Registry>,
    shared: Arc<Shared>,
    /// SQLite: the lock that keeps a second process off the file.
    _single_node: Option<std::fs::File>,
}

impl Application {
    /// Connects to the database (migrating it), starts the actors and binds
    /// the listener. Fails at once on a bad database URL or address.
    pub async fn build(config: Config) -> Result<Self, String> {
        config.cluster.check()?;
        let url = config.database.url.clone();
        let pool_size = config.db_pool_size;
        // SQLite is single-node: a second process on the same file is
        // refused before it touches the database.
        let single_node = match Backend::of(&url) {
            (Backend::Sqlite, path) => crate::cluster::lock_sqlite(&path)?,
            (Backend::Postgres, _) => None,
        };
        let (backend, pool) = web::block(move || db::connect(&url, pool_size))
            .await
            .map_err(|e| e.to_string())??;
        log::info!("database: {backend:?}");
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // Half the cores: a frame costs the kernel more than it costs us,
        // and every hop between two workers is a wake-up (PERFORMANCE.md).
        let workers = if config.workers == 0 {
            (cores / 2).max(1)
        } else {
            config.workers
        };
        let shared = Arc::new(Shared::new(config));

        // A few transactions in flight (Postgres flushes concurrent commits
        // together, and one slow fsync does not stall every board);
        // everything that arrives meanwhile goes into the next one, so
        // batches grow with the load. SQLite has one writer.
        let (executors, in_flight) = match backend {
            Backend::Postgres => (4, 3),
            Backend::Sqlite => (2, 1),
        };
        let executors = Executors::start(executors, || DbExecutor {
            pool: pool.clone(),
            shared: shared.clone(),
        })
        .map_err(|e| format!("cannot start the database threads: {e}"))?;
        let persister = Persister::new(executors, in_flight);
        let registry = Registry::new(shared.clone(), persister).start();

        let listener = TcpListener::bind(&shared.config.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", shared.config.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        if backend == Backend::Postgres {
            crate::cluster::join(&shared, &pool, port).await?;
        }
        let (data_pool, data_registry, data_shared) = (
            web::Data::new(pool),
            web::Data::new(registry.clone()),
            web::Data::new(shared.clone()),
        );
        let static_dir = shared.config.static_dir.clone();
        if let Some(dir) = &static_dir {
            if !std::path::Path::new(dir).is_dir() {
                return Err(format!("--static-dir {dir:?} is not a directory"));
            }
            log::info!("serving /static from {dir:?} instead of the built-in copy");
        }
        let login_limits = web::Data::new(crate::http::admin::LoginLimits::new());
        let session_key = crate::http::admin::session_key(&shared);
        let body_timeout = shared.config.body_timeout;
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(move |req, next| {
                    crate::http::body_timeout::body_timeout(req, next, body_timeout)
                }))
                .wrap(
                    DefaultHeaders::new()
                        .add((
                            "Content-Security-Policy",
                            crate::http::pages::CONTENT_SECURITY_POLICY,
                        ))
                        .add(("Referrer-Policy", "no-referrer"))
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY")),
                )
                .wrap(
                    Logger::new("%{request}xi %s %b %Dms")
                        .custom_request_replace("request", |req| redacted_request_line(req.uri())),
                )
                .app_data(data_pool.clone())
                .app_data(data_registry.clone())
                .app_data(data_shared.clone())
                .app_data(login_limits.clone())
                .service(crate::http::admin::scope(
                    session_key.clone(),
                    data_pool.get_ref().clone(),
                    &data_shared.config,
                ))
                .configure(|cfg| crate::http::routes(cfg, static_dir.as_deref()))
        })
        .workers(workers)
        .tcp_nodelay(true)
        .disable_signals()
        .shutdown_timeout(2)
        .listen(listener)
        .map_err(|e| e.to_string())?
        .run();
        log::info!(
            "listening on {}:{port}",
            shared.config.bind.rsplit_once(':').map_or("", |(h, _)| h)
        );
        Ok(Application {
            port,
            server,
            registry,
            shared,
            _single_node: single_node,
        })
    }

    /// The port it listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that shuts the app down gracefully.
    pub fn shutdown_handle(&self) -> Shutdown {
        Shutdown {
            server: self.server.handle(),
            registry: self.registry.clone(),
            shared: self.shared.clone(),
        }
    }

    /// Serves until the server stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// How long a shutdown waits for the node's leases to be released.
const LEAVE_TIMEOUT: Duration = Duration::from_millis(500);

/// Graceful shutdown: stop accepting, flush every board, close every
/// socket with 1001, stop.
#[derive(Clone)]
pub struct Shutdown {
    server: ServerHandle,
    registry: Addr<Registry>,
    shared: Arc<Shared>,
}

impl Shutdown {
    /// Runs the shutdown; returns when the server has stopped.
    pub async fn run(self) {
        log::info!("shutting down: flushing boards");
        self.shared.start_draining();
        self.server.pause().await;
        if self.registry.send(DrainAll).await.is_err() {
            log::warn!("the registry stopped before the boards were flushed");
        }
        // scale-out: the other nodes may take this node's boards at once.
        // Briefly: with the database down the leases expire by themselves,
        // and the exit must stay within 10 s of SIGTERM.
        if let Some(cluster) = self.shared.cluster.get() {
            let leave = cluster.keeper.send(crate::actors::lease::Leave);
            if actix::clock::timeout(LEAVE_TIMEOUT, leave).await.is_err() {
                log::warn!("the board leases were not released; they expire by themselves");
            }
        }
        // Let the close frames go out before the sockets are dropped.
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        self.server.stop(true).await;
    }
}

/// Waits for SIGTERM or SIGINT, then shuts down.
pub async fn shutdown_on_signal(shutdown: Shutdown) {
    let mut term =
        match actix_web::rt::signal::unix::signal(actix_web::rt::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                log::error!("cannot listen for SIGTERM: {e}");
                return;
            }
        };
    tokio::select! {
        _ = term.recv() => {}
        _ = actix_web::rt::signal::ctrl_c() => {}
    }
    shutdown.run().await;
}

/// The request line as logged: every value the server would take as a
/// token (`token`, however it is percent-encoded or cased) and anything
/// else that looks like one (a long run of base64url, in the path or the
/// query) is replaced by `…`.
fn redacted_request_line(uri: &actix_web::http::Uri) -> String {
    let path: Vec<String> = uri
        .path()
        .split('/')
        .map(|seg| {
            if looks_like_token(&decoded(seg)) {
                "…".to_owned()
            } else {
                seg.to_owned()
            }
        })
        .collect();
    let path = path.join("/");
    let Some(query) = uri.query() else {
        return path;
    };
    let query: Vec<String> = query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let (key, value) = (decoded(k).to_ascii_lowercase(), decoded(v));
            if looks_like_token(&key) {
                "…".to_owned()
            } else if key.contains("tok") || looks_like_token(&value) {
                format!("{k}=…")
            } else {
                kv.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// A query or path part percent-decoded as the server's extractors do
/// (`+` is a space in a query), whole: `=` and `&` inside it stay.
fn decoded(part: &str) -> String {
    percent_encoding::percent_decode_str(&part.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Tokens are 32 chars of base64url; a part holding a run of 20 or more
/// (a token cut short, one of another system, or one inside `x=…`) is
/// hidden as well. Board ids (16) and session ids stay readable.
fn looks_like_token(s: &str) -> bool {
    let mut run = 0;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            run += 1;
            if run >= 20 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::redacted_request_line;

    fn line(uri: &str) -> String {
        redacted_request_line(&uri.parse().unwrap())
    }

    #[test]
    fn request_logs_never_show_a_token() {
        let secret = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
        assert_eq!(
            line(&format!("/ws/boards/abc?token={secret}&name=Ada&since=3")),
            "/ws/boards/abc?token=…&name=Ada&since=3"
        );
        for spelled in [
            "tok%65n",
            "TOKEN",
            "%74%6f%6b%65%6e",
            "Token",
            "tokenx",
            "access_token",
        ] {
            let logged = line(&format!("/b/abcdefghijklmnop?{spelled}={secret}x"));
            assert_eq!(logged, format!("/b/abcdefghijklmnop?{spelled}=…"), "{spelled}");
        }
        // a token-like value under another name, or in the path
        assert!(!line(&format!("/api/boards/abc/events?t={secret}")).contains(secret));
        assert!(!line(&format!("/b/{secret}")).contains(secret));
        assert!(!line(&format!("/api/boards/abc?name=x&{secret}")).contains(secret));
        assert!(
            !line(&format!("/b/x={secret}")).contains(secret),
            "a segment with '='"
        );
        assert_eq!(line("/api/boards"), "/api/boards");
        assert_eq!(
            line("/b/abcdefghijklmnop?name=Ada"),
            "/b/abcdefghijklmnop?name=Ada"
        );
    }
}
