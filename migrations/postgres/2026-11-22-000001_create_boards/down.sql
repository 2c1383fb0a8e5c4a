DROP TABLE op_ids;
DROP TABLE stickers;
DROP TABLE events;
DROP TABLE boards;
