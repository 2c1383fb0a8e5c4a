//! Migrations on a database that already holds boards: what a migration
//! adds is filled in from the rows that are there.

use corkboard::db::{self, queries};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::helpers::*;

crate::on_both_backends!(boards_get_their_seq_and_last_activity_from_their_events);

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// How many migrations there were before boards carried their seq.
const BEFORE_BOARD_SEQ: usize = 4;

/// Two boards as the schema before the seq column stored them: one with
/// two events, one without any.
const OLD_ROWS: &str = "\
    INSERT INTO boards (id, title, initial_title, edit_token, view_token, created_at) VALUES \
        ('b-used', 'Used', 'Used', 'e1', 'v1', '2026-01-01T00:00:00.000Z'), \
        ('b-new', 'New', 'New', 'e2', 'v2', '2026-01-02T00:00:00.000Z'); \
    INSERT INTO events (board_id, seq, kind, payload, author_session, author_name, at) VALUES \
        ('b-used', 1, 'chat', '{}', 's-1', 'A', '2026-01-03T00:00:00.000Z'), \
        ('b-used', 2, 'chat', '{}', 's-1', 'A', '2026-01-04T00:00:00.000Z');";

/// Runs the first `n` of `migrations`, then writes `OLD_ROWS`.
fn old_database<C: MigrationHarness<C::Backend> + Connection>(
    conn: &mut C,
    migrations: impl Fn() -> EmbeddedMigrations,
    n: usize,
) {
    for _ in 0..n {
        conn.run_next_migration(migrations()).expect("an old migration");
    }
    conn.batch_execute(OLD_ROWS).expect("old rows");
}

async fn boards_get_their_seq_and_last_activity_from_their_events(backend: Backend) {
    let url = fresh_database(backend);
    let (_, driver_url) = db::Backend::of(&url);
    match backend {
        Backend::Postgres => {
            let mut conn = PgConnection::establish(&driver_url).expect("connect");
            old_database(&mut conn, || POSTGRES, BEFORE_BOARD_SEQ);
        }
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(&driver_url).expect("open");
            old_database(&mut conn, || SQLITE, BEFORE_BOARD_SEQ);
        }
    }
    // the server's own start runs the rest
    let (_, pool) = db::connect(&url, 2).expect("the later migrations");
    let mut conn = db::checkout(&pool).expect("conn");
    let used = queries::board_row(&mut conn, "b-used").expect("b-used");
    assert_eq!(
        (used.seq, used.updated_at.as_str()),
        (2, "2026-01-04T00:00:00.000Z")
    );
    let new = queries::board_row(&mut conn, "b-new").expect("b-new");
    assert_eq!(
        (new.seq, new.updated_at.as_str()),
        (0, "2026-01-02T00:00:00.000Z")
    );
    let list = queries::board_summaries(&mut conn, "", 1, 10).expect("list");
    let ids: Vec<&str> = list.boards.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["b-used", "b-new"], "most recently active first");
}
