-- Who created each sticker and who changed it last (display names; ''
-- when not known, so that the group commit binds them as text arrays).
-- Existing stickers get them here from their board's log: the last
-- sticker.created of each sticker, and its last created or updated event.
ALTER TABLE stickers ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
ALTER TABLE stickers ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
UPDATE stickers s SET created_by = w.author_name FROM (
    SELECT DISTINCT ON (board_id, sticker_id) board_id, sticker_id, author_name FROM (
        SELECT board_id, seq, author_name, payload::json -> 'sticker' ->> 'id' AS sticker_id
        FROM events WHERE kind = 'sticker.created') e
    ORDER BY board_id, sticker_id, seq DESC) w
WHERE s.board_id = w.board_id AND s.id = w.sticker_id;
UPDATE stickers s SET updated_by = w.author_name FROM (
    SELECT DISTINCT ON (board_id, sticker_id) board_id, sticker_id, author_name FROM (
        SELECT board_id, seq, author_name,
               CASE kind WHEN 'sticker.created' THEN payload::json -> 'sticker' ->> 'id'
                         ELSE payload::json ->> 'id' END AS sticker_id
        FROM events WHERE kind IN ('sticker.created', 'sticker.updated')) e
    ORDER BY board_id, sticker_id, seq DESC) w
WHERE s.board_id = w.board_id AND s.id = w.sticker_id;
