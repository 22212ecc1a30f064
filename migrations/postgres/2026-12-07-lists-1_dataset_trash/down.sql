DROP INDEX datasets_deleted_at;
ALTER TABLE datasets DROP COLUMN deleted_by;
ALTER TABLE datasets DROP COLUMN deleted_at;
