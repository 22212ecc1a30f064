ALTER TABLE dataset_versions DROP COLUMN message;
