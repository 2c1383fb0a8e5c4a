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
    seq             BIGINT NOT NULL,
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
    x           DOUBLE PRECISION NOT NULL,
    y           DOUBLE PRECISION NOT NULL,
    w           DOUBLE PRECISION NOT NULL,
    h           DOUBLE PRECISION NOT NULL,
    z           DOUBLE PRECISION NOT NULL,
    color       TEXT NOT NULL,
    text        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (board_id, id)
);

CREATE TABLE op_ids (
    board_id  TEXT NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
    seq       BIGINT NOT NULL,
    op_id     TEXT NOT NULL,
    PRIMARY KEY (board_id, seq)
);
CREATE INDEX op_ids_by_op ON op_ids (board_id, op_id);
