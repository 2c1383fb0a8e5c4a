//! Storage: one diesel `MultiConnection` over Postgres and SQLite, an r2d2
//! pool, migrations per backend (embedded, run at start), and the queries.
//! Reached only from the actors' persister and the HTTP handlers, always
//! off the async threads.

pub mod leases;
pub mod queries;
pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::Error;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The Postgres advisory lock the migrations run under (any constant the
/// app uses for nothing else).
const MIGRATION_LOCK: i64 = 0x636f_726b_626f_6172; // "corkboar"

/// How long a checkout waits for a connection before the caller sees
/// `unavailable` (and the board retries).
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// The connection pool.
pub type Pool = r2d2::Pool<Manager>;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// `postgres://`/`postgresql://` is Postgres; `sqlite://PATH`,
    /// `sqlite:PATH` or a bare path is an SQLite file. Returns the backend
    /// and the URL its driver takes.
    pub fn of(url: &str) -> (Backend, String) {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return (Backend::Postgres, url.to_owned());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        (Backend::Sqlite, path.to_owned())
    }
}

/// Opens connections of one backend, so that a bad URL fails with that
/// backend's own error (diesel's `MultiConnection::establish` would try
/// each backend in turn and hide it).
#[derive(Debug, Clone)]
pub struct Manager {
    backend: Backend,
    url: String,
}

impl Manager {
    fn open(&self) -> Result<DbConnection, diesel::ConnectionError> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = PgConnection::establish(&self.url)?;
                // Scale-out: a node frozen (or cut off) inside a group
                // commit's transaction would hold its boards' row locks,
                // and a node taking one of them over would wait for it
                // for ever; Postgres ends such a session instead. No
                // transaction of ours idles for more than milliseconds.
                conn.batch_execute("SET idle_in_transaction_session_timeout = 5000")
                    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Postgres(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url)?;
                // WAL lets readers run beside the writer; FULL makes every
                // acknowledged commit survive a power cut.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                )
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::ConnectionError;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        self.open()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        // a connection given back while its thread unwinds may be anywhere
        // in a statement or transaction
        std::thread::panicking()
            || match conn {
                DbConnection::Postgres(c) => diesel::r2d2::R2D2Connection::is_broken(c),
                DbConnection::Sqlite(c) => diesel::r2d2::R2D2Connection::is_broken(c),
            }
    }
}

/// Connects, runs the pending migrations and builds the pool. A bad URL or
/// an unreachable database fails here at once with the driver's message.
pub fn connect(url: &str, pool_size: u32) -> Result<(Backend, Pool), String> {
    let (backend, url) = Backend::of(url);
    let manager = Manager { backend, url };
    let mut conn = manager
        .open()
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let migrated = match &mut conn {
        DbConnection::Postgres(c) => {
            // Scale-out: the nodes of a cluster start together on one
            // database; one migrates at a time (the others then find
            // nothing pending). The lock goes with the connection.
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|e| format!("cannot lock the migrations: {e}"))?;
            let done = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len());
            let _ = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            done
        }
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| format!("migrations failed: {e}"))?;
    if migrated > 0 {
        log::info!("applied {migrated} migration(s)");
    }
    drop(conn);
    let pool = r2d2::Pool::builder()
        .max_size(pool_size.max(2))
        .min_idle(Some(1))
        .connection_timeout(CHECKOUT_TIMEOUT)
        // No round trip per checkout: a broken connection shows as a failed
        // query (the caller retries) and `has_broken` drops it.
        .test_on_check_out(false)
        // r2d2 would log every failed connection attempt (several a second
        // in an outage); the caller sees the checkout time out and logs
        // it once, by the error policy.
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(manager);
    Ok((backend, pool))
}

/// Checks a connection out of the pool; a timeout means the database is
/// unavailable.
pub fn checkout(pool: &Pool) -> Result<r2d2::PooledConnection<Manager>, Error> {
    pool.get().map_err(Error::unavailable)
}

impl From<diesel::result::Error> for Error {
    /// Only trouble reaching the database is `DatabaseDown` (the board
    /// holds its ops and retries); any other error is a bug, and retrying
    /// it would only hide it.
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as D};
        match e {
            D::NotFound => Error::NotFound("not found".into()),
            D::DatabaseError(K::UniqueViolation, info) => {
                Error::internal(format!("unique violation: {}", info.message()))
            }
            D::DatabaseError(
                K::ClosedConnection
                | K::UnableToSendCommand
                | K::SerializationFailure
                | K::ReadOnlyTransaction,
                info,
            ) => Error::unavailable(info.message()),
            D::DatabaseError(K::Unknown, info) if is_outage(info.message()) => {
                Error::unavailable(info.message())
            }
            D::BrokenTransactionManager => Error::unavailable(e),
            D::RollbackErrorOnCommit { commit_error, .. } => Error::from(*commit_error),
            other => Error::internal(other),
        }
    }
}

/// Errors either backend reports, as text only, when it is busy, out of
/// disk or cut off: an outage, not a bug.
fn is_outage(message: &str) -> bool {
    const OUTAGES: [&str; 10] = [
        "database is locked",                   // SQLite: busy beyond busy_timeout
        "database table is locked",             // SQLite
        "disk I/O error",                       // SQLite
        "database or disk is full",             // SQLite
        "attempt to write a readonly database", // SQLite: remounted read-only
        "unable to open database file",         // SQLite: the file or its directory is gone
        "No space left on device",              // Postgres
        "could not extend file",                // Postgres, disk full
        "deadlock detected",                    // Postgres
        "canceling statement due to",           // Postgres: timeouts, recovery conflicts
    ];
    OUTAGES.iter().any(|o| message.contains(o))
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind as K, Error as D};

    use crate::error::Error;

    fn db_error(kind: K, message: &str) -> D {
        D::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn only_connection_trouble_is_an_outage() {
        for transient in [
            db_error(K::ClosedConnection, "server closed the connection unexpectedly"),
            db_error(K::UnableToSendCommand, "no connection to the server"),
            db_error(K::Unknown, "database is locked"),
            db_error(
                K::Unknown,
                "could not extend file \"base/1/2\": No space left on device",
            ),
            D::BrokenTransactionManager,
        ] {
            let e = Error::from(transient);
            assert!(matches!(e, Error::DatabaseDown(_)), "{e:?}");
            assert_eq!(e.code(), "unavailable");
            assert!(e.is_transient());
        }
        for bug in [
            db_error(K::Unknown, "column \"nope\" does not exist"),
            db_error(K::NotNullViolation, "null value in column"),
            db_error(K::ForeignKeyViolation, "violates foreign key"),
            D::DeserializationError("bad".into()),
            D::QueryBuilderError("bad".into()),
        ] {
            let e = Error::from(bug);
            assert!(matches!(e, Error::Internal(_)), "{e:?}");
            assert_eq!(e.code(), "internal");
            assert!(!e.is_transient());
            assert_eq!(e.public_message(), "internal error", "no detail leaks");
        }
    }
}
