CREATE TABLE boards (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    -- the title at creation: where folding the log starts
    initial_title TEXT NOT NULL,
    edit_token  TEXT NOT NULL UNIQUE,
    view_token  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE events (
    board_id        TEXT NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    author_session  TEXT NOT NULL,
    author_name     TEXT NOT NULL,
    at              TEXT NOT NULL,
    PRIMARY KEY (board_id, seq)
);

CREATE TABLE stickers (
    board_id    TEXT NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    x           REAL NOT NULL,
    y           REAL NOT NULL,
    w           REAL NOT NULL,
    h           REAL NOT NULL,
    z           REAL NOT NULL,
    color       TEXT NOT NULL,
    text        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (board_id, id)
);

CREATE TABLE op_ids (
    board_id  TEXT NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    op_id     TEXT NOT NULL,
    PRIMARY KEY (board_id, seq)
);
CREATE INDEX op_ids_by_op ON op_ids (board_id, op_id);
