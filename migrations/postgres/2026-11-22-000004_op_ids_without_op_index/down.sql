CREATE INDEX op_ids_by_op ON op_ids (board_id, op_id);
