//! Command line and environment: every setting of PROTOCOL.md §5, each a
//! flag with an environment variable and the protocol's default.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

/// corkboard: a realtime room server for collaborative sticky-note boards.
#[derive(Debug, Parser)]
#[command(name = "corkboard", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default when no command is given).
    Serve(Box<Config>),
    /// Manage admin accounts.
    Admin(AdminArgs),
}

/// `corkboard admin …`
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    pub database: Database,
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// The database, for `serve` and `admin` alike.
#[derive(Debug, Clone, Args)]
pub struct Database {
    /// postgres://… or postgresql://… selects Postgres; sqlite://PATH,
    /// sqlite:PATH or a bare path selects an SQLite file.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = "corkboard.db",
        hide_env_values = true
    )]
    pub url: String,
}

/// An admin account command.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin; the password is read from stdin, or from
    /// CORKBOARD_ADMIN_PASSWORD.
    Create { username: String },
    /// List the admins.
    List,
    /// Delete an admin.
    Delete { username: String },
}

/// The server's settings.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on (host:port; port 0 picks a free one).
    #[arg(long, env = "CORKBOARD_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    #[command(flatten)]
    pub database: Database,
    /// Milliseconds between WebSocket pings.
    #[arg(long, env = "CORKBOARD_HEARTBEAT_INTERVAL_MS", default_value_t = 5000)]
    pub heartbeat_interval_ms: u64,
    /// A connection silent this long (milliseconds) is closed.
    #[arg(long, env = "CORKBOARD_HEARTBEAT_TIMEOUT_MS", default_value_t = 15000)]
    pub heartbeat_timeout_ms: u64,
    /// The largest WebSocket frame accepted, in bytes; larger closes with 1009.
    #[arg(long, env = "CORKBOARD_MAX_FRAME_BYTES", default_value_t = 64 * 1024)]
    pub max_frame_bytes: usize,
    /// The longest sticker or chat text, in chars.
    #[arg(long, env = "CORKBOARD_MAX_TEXT_CHARS", default_value_t = 2000)]
    pub max_text_chars: usize,
    /// The most stickers a board holds.
    #[arg(long, env = "CORKBOARD_MAX_STICKERS", default_value_t = 10000)]
    pub max_stickers: usize,
    /// The most members a board admits; more are answered 429.
    #[arg(long, env = "CORKBOARD_MAX_MEMBERS", default_value_t = 1000)]
    pub max_members: usize,
    /// Messages per second a connection may send, sustained.
    #[arg(long, env = "CORKBOARD_RATE_PER_S", default_value_t = 100)]
    pub rate_per_s: u32,
    /// Messages a connection may send in a burst.
    #[arg(long, env = "CORKBOARD_RATE_BURST", default_value_t = 200)]
    pub rate_burst: u32,
    /// Bytes of frames pending for one connection before it is cut (1008).
    #[arg(long, env = "CORKBOARD_SEND_QUEUE_BYTES", default_value_t = 1024 * 1024)]
    pub send_queue_bytes: usize,
    /// How far back (in events) `since` recovery reaches.
    #[arg(long, env = "CORKBOARD_RECOVERY_MAX_EVENTS", default_value_t = 1000)]
    pub recovery_max_events: usize,
    /// Unacknowledged ops a board holds while the database is down.
    #[arg(long, env = "CORKBOARD_HOLD_MAX_OPS", default_value_t = 10000)]
    pub hold_max_ops: usize,
    /// The most participants of a board's call.
    #[arg(long, env = "CORKBOARD_CALL_MAX", default_value_t = 6)]
    pub call_max: usize,
    /// ICE servers for calls, a JSON array of {"urls", "username"?, "credential"?}.
    #[arg(long, env = "CORKBOARD_ICE_SERVERS", default_value = "[]", value_parser = parse_ice_servers)]
    pub ice_servers: Value,
    /// An open board with no members is unloaded after this many
    /// milliseconds (its state stays in the database).
    #[arg(long, env = "CORKBOARD_BOARD_IDLE_MS", default_value_t = 30_000)]
    pub board_idle_ms: u64,
    /// Secret (32+ bytes) that signs admin session cookies. Without it a
    /// random key is made at start and admin sessions end on restart.
    #[arg(long, env = "CORKBOARD_SESSION_KEY", hide_env_values = true)]
    pub session_key: Option<String>,
    /// A request body must start within this long and then keep 1 KiB/s,
    /// or it is answered 408 and its connection closed (e.g. 10s).
    #[arg(long, env = "CORKBOARD_BODY_TIMEOUT", default_value = "10s",
          value_parser = parse_body_timeout)]
    pub body_timeout: Duration,
    /// An admin session with no request for this long ends (e.g. 30m, 2h).
    #[arg(long, env = "CORKBOARD_ADMIN_IDLE_TIMEOUT", default_value = "30m",
          value_parser = parse_session_duration)]
    pub admin_idle_timeout: Duration,
    /// An admin session ends this long after its login, however busy (e.g. 12h).
    #[arg(long, env = "CORKBOARD_ADMIN_LIFETIME", default_value = "12h",
          value_parser = parse_session_duration)]
    pub admin_lifetime: Duration,
    /// Mark admin cookies Secure: set it when the server is reached over
    /// TLS (e.g. behind an HTTPS proxy).
    #[arg(long, env = "CORKBOARD_COOKIE_SECURE")]
    pub cookie_secure: bool,
    /// Database connections in the pool.
    #[arg(long, env = "CORKBOARD_DB_POOL_SIZE", default_value_t = 10)]
    pub db_pool_size: u32,
    /// HTTP worker threads (0: one per two cores, at least one): the
    /// kernel's socket work and the database threads need the other
    /// cores, and a board's sessions on another worker cost a wake-up.
    #[arg(long, env = "CORKBOARD_WORKERS", default_value_t = 0)]
    pub workers: usize,
    #[command(flatten)]
    pub cluster: Cluster,
    /// Serve the page's CSS and JavaScript at /static from this directory
    /// instead of the copy built into the binary (for page development:
    /// `--static-dir static` shows edits on reload).
    #[arg(long, env = "CORKBOARD_STATIC_DIR")]
    pub static_dir: Option<String>,
}

/// Scale-out (Postgres only): this process is one node of a cluster that
/// shares the database; each open board is owned by one node through a
/// lease with an epoch (docs/SCALE-OUT.md).
#[derive(Debug, Clone, Args)]
pub struct Cluster {
    /// This node's id, unique in the cluster (default: HOST:PORT of this
    /// machine's host name and the port it listens on).
    #[arg(long, env = "CORKBOARD_NODE_ID")]
    pub node_id: Option<String>,
    /// The address the admin pages show for this node (default: the bound
    /// address).
    #[arg(long, env = "CORKBOARD_NODE_ADDRESS")]
    pub node_address: Option<String>,
    /// A board lease not renewed for this many milliseconds may be taken by
    /// another node (failover takes about this long).
    #[arg(long, env = "CORKBOARD_LEASE_TTL_MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(500..=600_000))]
    pub lease_ttl_ms: u64,
    /// How often a node renews all of its leases (one statement), in
    /// milliseconds; must be well under the TTL.
    #[arg(long, env = "CORKBOARD_LEASE_RENEW_MS", default_value_t = 1500,
          value_parser = clap::value_parser!(u64).range(100..=300_000))]
    pub lease_renew_ms: u64,
}

impl Cluster {
    /// The renewal interval, checked against the TTL: at least two
    /// renewals must fit in one TTL, or one slow renewal loses every board.
    pub fn check(&self) -> Result<(), String> {
        if self.lease_renew_ms * 2 > self.lease_ttl_ms {
            return Err(format!(
                "--lease-renew-ms ({}) must be at most half of --lease-ttl-ms ({})",
                self.lease_renew_ms, self.lease_ttl_ms
            ));
        }
        Ok(())
    }
}

/// A duration of 1 s to 30 days, as humantime writes them ("30m", "12h").
fn parse_session_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| e.to_string())?;
    if d < Duration::from_secs(1) || d > Duration::from_secs(30 * 24 * 3600) {
        return Err("must be between 1s and 30days".into());
    }
    Ok(d)
}

/// A duration of 10 ms to 10 minutes ("10s").
fn parse_body_timeout(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| e.to_string())?;
    if d < Duration::from_millis(10) || d > Duration::from_secs(600) {
        return Err("must be between 10ms and 10min".into());
    }
    Ok(d)
}

/// ICE servers as the welcome sends them: `urls` always an array (a
/// single URL may be given as a string).
fn parse_ice_servers(s: &str) -> Result<Value, String> {
    let mut v: Value = serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))?;
    let list = v.as_array_mut().ok_or("must be a JSON array")?;
    for server in list {
        let urls = server.get_mut("urls").ok_or("each ICE server needs \"urls\"")?;
        match urls {
            Value::String(url) => *urls = Value::Array(vec![Value::String(std::mem::take(url))]),
            Value::Array(list) if list.iter().all(Value::is_string) => {}
            _ => return Err("\"urls\" must be a string or an array of strings".into()),
        }
    }
    Ok(v)
}

impl Config {
    /// The settings from the environment and the defaults, as `corkboard serve`
    /// with no flags.
    pub fn from_env() -> Self {
        match Cli::parse_from(["corkboard", "serve"]).command {
            Some(Command::Serve(c)) => *c,
            _ => unreachable!("serve was given"),
        }
    }

    /// The limits the pure board logic enforces.
    pub fn limits(&self) -> crate::board::Limits {
        crate::board::Limits {
            max_text_chars: self.max_text_chars,
            max_stickers: self.max_stickers,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command};

    fn serve(args: &[&str]) -> Result<super::Config, clap::Error> {
        let argv = ["corkboard", "serve"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            Some(Command::Serve(c)) => Ok(*c),
            other => panic!("serve parsed as {other:?}"),
        }
    }

    #[test]
    fn ice_server_urls_are_always_an_array() {
        let c = serve(&[
            "--ice-servers",
            r#"[{"urls":"stun:a"},{"urls":["turn:b"],"username":"u"}]"#,
        ])
        .expect("valid");
        assert_eq!(
            c.ice_servers,
            serde_json::json!([{"urls":["stun:a"]},{"urls":["turn:b"],"username":"u"}])
        );
        assert!(serve(&["--ice-servers", r#"[{"urls":7}]"#]).is_err());
        assert!(serve(&["--ice-servers", r#"[{"username":"u"}]"#]).is_err());
    }

    #[test]
    fn a_lease_is_renewed_at_least_twice_per_ttl() {
        let c = serve(&[]).expect("defaults");
        assert_eq!((c.cluster.lease_ttl_ms, c.cluster.lease_renew_ms), (5000, 1500));
        assert!(c.cluster.check().is_ok());
        let c = serve(&["--lease-ttl-ms", "2000", "--lease-renew-ms", "1001"]).expect("parses");
        let err = c.cluster.check().expect_err("renewed less than twice per TTL");
        assert!(err.contains("at most half"), "{err}");
        assert!(serve(&["--lease-ttl-ms", "100"]).is_err(), "a TTL under 500 ms");
    }
}
