-- A version can be withdrawn (issue 16): its data file is deleted and it is no longer served,
-- but its row stays, with its SHA-256, for the audit trail; these say when, by whom and why.
ALTER TABLE dataset_versions ADD COLUMN withdrawn_at BIGINT;
ALTER TABLE dataset_versions ADD COLUMN withdrawn_by TEXT;
ALTER TABLE dataset_versions ADD COLUMN withdraw_reason TEXT;
