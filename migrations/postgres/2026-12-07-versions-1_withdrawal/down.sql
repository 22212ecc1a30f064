ALTER TABLE dataset_versions DROP COLUMN withdraw_reason;
ALTER TABLE dataset_versions DROP COLUMN withdrawn_by;
ALTER TABLE dataset_versions DROP COLUMN withdrawn_at;
