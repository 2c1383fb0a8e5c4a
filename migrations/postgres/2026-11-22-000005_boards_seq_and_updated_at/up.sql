-- A board's row carries its seq (its last event's) and when it last
-- changed (that event's time, or its creation): each group commit sets
-- both for the boards it writes, with the same statement that used to only
-- lock those rows against a concurrent delete. Neither is indexed, so the
-- update stays HOT.
ALTER TABLE boards ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE boards ADD COLUMN updated_at TEXT;
UPDATE boards b SET
    seq = COALESCE((SELECT e.seq FROM events e WHERE e.board_id = b.id ORDER BY e.seq DESC LIMIT 1), 0),
    updated_at = COALESCE((SELECT e.at FROM events e WHERE e.board_id = b.id ORDER BY e.seq DESC LIMIT 1), b.created_at);
ALTER TABLE boards ALTER COLUMN updated_at SET NOT NULL;
