-- The append-only logs (events, op_ids) are written by every group commit.
-- A foreign key there makes Postgres check, and row-lock, the board row for
-- each inserted row; boards are deleted with their rows explicitly
-- (queries::delete_board), so the logs do without it.
ALTER TABLE events DROP CONSTRAINT events_board_id_fkey;
ALTER TABLE op_ids DROP CONSTRAINT op_ids_board_id_fkey;
