DROP TABLE nodes;
DROP TABLE board_leases;
ALTER TABLE boards DROP COLUMN epoch;
