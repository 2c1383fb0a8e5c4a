//! Migrations on a database that already holds boards: what a migration
//! adds is filled in from the rows that are there.

use corkboard::db::{self, queries};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::helpers::*;

crate::on_both_backends!(
    boards_get_their_seq_and_last_activity_from_their_events,
    stickers_get_their_writers_from_their_log,
);

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

/// Runs the first `n` of `migrations`, then writes `rows`.
fn old_database<C: MigrationHarness<C::Backend> + Connection>(
    conn: &mut C,
    migrations: impl Fn() -> EmbeddedMigrations,
    n: usize,
    rows: &str,
) {
    for _ in 0..n {
        conn.run_next_migration(migrations()).expect("an old migration");
    }
    conn.batch_execute(rows).expect("old rows");
}

/// How many migrations there were before stickers kept who wrote them.
const BEFORE_STICKER_WRITERS: usize = 8;

const A: &str = "00000000-0000-4000-8000-00000000000a";
const B: &str = "00000000-0000-4000-8000-00000000000b";

/// A board whose sticker A was created by Ada and moved by Bob, and whose
/// sticker B was created by Bob, deleted, and created again by Cy.
fn rows_with_stickers() -> String {
    let created = |id: &str| {
        format!(
            "{{\"kind\":\"sticker.created\",\"sticker\":{{\"id\":\"{id}\",\"x\":0,\"y\":0,\"w\":1,\"h\":1,\
             \"z\":0,\"color\":\"#ffffff\",\"text\":\"\",\"version\":1,\"updated_at\":\"t\"}}}}"
        )
    };
    let updated =
        format!("{{\"kind\":\"sticker.updated\",\"id\":\"{A}\",\"patch\":{{\"x\":5}},\"version\":2}}");
    let deleted = format!("{{\"kind\":\"sticker.deleted\",\"id\":\"{B}\"}}");
    let event = |seq: i64, kind: &str, payload: &str, name: &str| {
        format!("('b-w', {seq}, '{kind}', '{payload}', 's-{name}', '{name}', '2026-01-0{seq}T00:00:00.000Z')")
    };
    let sticker = |id: &str, x: i64, version: i64| {
        format!("('b-w', '{id}', {x}, 0, 1, 1, 0, '#ffffff', '', {version}, 't')")
    };
    format!(
        "INSERT INTO boards (id, title, initial_title, edit_token, view_token, created_at, seq, updated_at) \
         VALUES ('b-w', 'W', 'W', 'e', 'v', '2026-01-01T00:00:00.000Z', 5, '2026-01-05T00:00:00.000Z'); \
         INSERT INTO events (board_id, seq, kind, payload, author_session, author_name, at) VALUES {}, {}, {}, {}, {}; \
         INSERT INTO stickers (board_id, id, x, y, w, h, z, color, text, version, updated_at) VALUES {}, {};",
        event(1, "sticker.created", &created(A), "Ada"),
        event(2, "sticker.created", &created(B), "Bob"),
        event(3, "sticker.updated", &updated, "Bob"),
        event(4, "sticker.deleted", &deleted, "Bob"),
        event(5, "sticker.created", &created(B), "Cy"),
        sticker(A, 5, 2),
        sticker(B, 0, 1),
    )
}

async fn stickers_get_their_writers_from_their_log(backend: Backend) {
    let url = fresh_database(backend);
    let (_, driver_url) = db::Backend::of(&url);
    let rows = rows_with_stickers();
    match backend {
        Backend::Postgres => {
            let mut conn = PgConnection::establish(&driver_url).expect("connect");
            old_database(&mut conn, || POSTGRES, BEFORE_STICKER_WRITERS, &rows);
        }
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(&driver_url).expect("open");
            old_database(&mut conn, || SQLITE, BEFORE_STICKER_WRITERS, &rows);
        }
    }
    let (_, pool) = db::connect(&url, 2).expect("the later migrations");
    let mut conn = db::checkout(&pool).expect("conn");
    let mut stickers = queries::stickers_of(&mut conn, "b-w").expect("stickers");
    stickers.sort_by_key(|s| s.id);
    let writers: Vec<(String, Option<&str>, Option<&str>)> = stickers
        .iter()
        .map(|s| {
            (
                s.id.to_string(),
                s.created_by.as_ref().map(|w| w.name.as_str()),
                s.updated_by.as_ref().map(|w| w.name.as_str()),
            )
        })
        .collect();
    assert_eq!(
        writers,
        [
            (A.to_owned(), Some("Ada"), Some("Bob")),
            (B.to_owned(), Some("Cy"), Some("Cy")),
        ]
    );
}

async fn boards_get_their_seq_and_last_activity_from_their_events(backend: Backend) {
    let url = fresh_database(backend);
    let (_, driver_url) = db::Backend::of(&url);
    match backend {
        Backend::Postgres => {
            let mut conn = PgConnection::establish(&driver_url).expect("connect");
            old_database(&mut conn, || POSTGRES, BEFORE_BOARD_SEQ, OLD_ROWS);
        }
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(&driver_url).expect("open");
            old_database(&mut conn, || SQLITE, BEFORE_BOARD_SEQ, OLD_ROWS);
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
