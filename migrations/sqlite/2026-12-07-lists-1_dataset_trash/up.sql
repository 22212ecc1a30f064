-- Deleting a dataset moves it to its owner's trash (issue 16): it is gone from every list and
-- every decision, yet its owner (or a site admin) can restore it until the trash is emptied
-- after `trash_days`. `deleted_by` names who trashed it; it has no foreign key so that the
-- down migration can drop it on SQLite (a column in a foreign key cannot be dropped there).
ALTER TABLE datasets ADD COLUMN deleted_at BIGINT;
ALTER TABLE datasets ADD COLUMN deleted_by TEXT;
CREATE INDEX datasets_deleted_at ON datasets(deleted_at);
