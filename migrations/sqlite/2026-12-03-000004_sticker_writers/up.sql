-- Who created each sticker and who changed it last (display names; ''
-- when not known). The group commit keeps them; existing stickers get
-- them here from their board's log, in one pass over its sticker events
-- (a temporary table indexed by sticker, not a scan per sticker).
ALTER TABLE stickers ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
ALTER TABLE stickers ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
CREATE TEMP TABLE sticker_writers AS
    SELECT board_id, seq, kind, author_name,
           CASE kind WHEN 'sticker.created' THEN json_extract(payload, '$.sticker.id')
                     ELSE json_extract(payload, '$.id') END AS sticker_id
    FROM events WHERE kind IN ('sticker.created', 'sticker.updated');
CREATE INDEX sticker_writers_by_sticker ON sticker_writers (board_id, sticker_id, seq);
UPDATE stickers SET
    created_by = COALESCE((SELECT w.author_name FROM sticker_writers w
        WHERE w.board_id = stickers.board_id AND w.sticker_id = stickers.id AND w.kind = 'sticker.created'
        ORDER BY w.seq DESC LIMIT 1), ''),
    updated_by = COALESCE((SELECT w.author_name FROM sticker_writers w
        WHERE w.board_id = stickers.board_id AND w.sticker_id = stickers.id
        ORDER BY w.seq DESC LIMIT 1), '');
DROP TABLE sticker_writers;
