DROP INDEX share_links_dataset_id;
UPDATE share_links SET dataset_id = NULL WHERE export_job_id IS NOT NULL;
ALTER TABLE share_links DROP COLUMN needs_level;
