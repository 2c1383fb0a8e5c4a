CREATE TABLE events_old (
    board_id        TEXT NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    author_session  TEXT NOT NULL,
    author_name     TEXT NOT NULL,
    at              TEXT NOT NULL,
    PRIMARY KEY (board_id, seq)
);
INSERT INTO events_old SELECT board_id, seq, kind, payload, author_session, author_name, at FROM events;
DROP TABLE events;
ALTER TABLE events_old RENAME TO events;

CREATE TABLE op_ids_old (
    board_id  TEXT NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    op_id     TEXT NOT NULL,
    PRIMARY KEY (board_id, seq)
);
INSERT INTO op_ids_old SELECT board_id, seq, op_id FROM op_ids;
DROP TABLE op_ids;
ALTER TABLE op_ids_old RENAME TO op_ids;
CREATE INDEX op_ids_by_op ON op_ids (board_id, op_id);
