-- Share links act with their creator's rights at each request (issue 14, item 1).

-- The level on the dataset the creator must hold for the link to work: 'admin' (what making
-- a dataset link needs), or 'view' for an export's file shared by whoever ran the export.
ALTER TABLE share_links ADD COLUMN needs_level TEXT NOT NULL DEFAULT 'admin';
UPDATE share_links SET needs_level = 'view'
    WHERE export_job_id IS NOT NULL
      AND owner_id = (SELECT created_by FROM export_jobs WHERE export_jobs.id = share_links.export_job_id);
-- An export's link names its dataset too, so the dataset's admins find every link on it.
UPDATE share_links SET dataset_id = (SELECT dataset_id FROM export_jobs WHERE export_jobs.id = share_links.export_job_id)
    WHERE export_job_id IS NOT NULL AND dataset_id IS NULL;
CREATE INDEX share_links_dataset_id ON share_links(dataset_id);
