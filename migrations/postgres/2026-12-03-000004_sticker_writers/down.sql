ALTER TABLE stickers DROP COLUMN updated_by;
ALTER TABLE stickers DROP COLUMN created_by;
