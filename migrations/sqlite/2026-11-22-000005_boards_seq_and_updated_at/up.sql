-- A board's row carries its seq (its last event's) and when it last
-- changed (that event's time, or its creation), as on Postgres (see there).
-- SQLite adds a NOT NULL column only with a default.
ALTER TABLE boards ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE boards ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE boards SET
    seq = COALESCE((SELECT e.seq FROM events e WHERE e.board_id = boards.id ORDER BY e.seq DESC LIMIT 1), 0),
    updated_at = COALESCE((SELECT e.at FROM events e WHERE e.board_id = boards.id ORDER BY e.seq DESC LIMIT 1), boards.created_at);
