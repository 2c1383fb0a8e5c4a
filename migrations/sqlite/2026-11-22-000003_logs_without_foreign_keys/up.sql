-- The append-only logs (events, op_ids) are written by every group commit
-- and do without a foreign key to boards, as on Postgres (see there); boards
-- are deleted with their rows explicitly (queries::delete_board). SQLite
-- drops a constraint by rebuilding the table.
CREATE TABLE events_new (
    board_id        TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    author_session  TEXT NOT NULL,
    author_name     TEXT NOT NULL,
    at              TEXT NOT NULL,
    PRIMARY KEY (board_id, seq)
);
INSERT INTO events_new SELECT board_id, seq, kind, payload, author_session, author_name, at FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;

CREATE TABLE op_ids_new (
    board_id  TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    op_id     TEXT NOT NULL,
    PRIMARY KEY (board_id, seq)
);
INSERT INTO op_ids_new SELECT board_id, seq, op_id FROM op_ids;
DROP TABLE op_ids;
ALTER TABLE op_ids_new RENAME TO op_ids;
CREATE INDEX op_ids_by_op ON op_ids (board_id, op_id);
