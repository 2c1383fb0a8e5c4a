-- A board answers a retried op_id from the recent op_ids it loads by seq
-- (the primary key); nothing looks an op_id up in the table, so this index
-- only cost every group commit a random insert per op.
DROP INDEX op_ids_by_op;
