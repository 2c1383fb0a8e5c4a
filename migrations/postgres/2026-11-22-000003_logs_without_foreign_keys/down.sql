ALTER TABLE events ADD CONSTRAINT events_board_id_fkey
    FOREIGN KEY (board_id) REFERENCES boards (id) ON DELETE CASCADE;
ALTER TABLE op_ids ADD CONSTRAINT op_ids_board_id_fkey
    FOREIGN KEY (board_id) REFERENCES boards (id) ON DELETE CASCADE;
