-- The admin audit trail: every admin action (logins, failed logins, admin
-- accounts made or removed from the CLI, and every change to a board), who
-- did it and from where ("cli" for the command line). Append-only: the
-- pages only insert and read. `at` is RFC 3339 text like the other tables.
CREATE TABLE admin_audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    admin     TEXT NOT NULL,
    address   TEXT NOT NULL,
    action    TEXT NOT NULL,
    board_id  TEXT,
    detail    TEXT NOT NULL
);
