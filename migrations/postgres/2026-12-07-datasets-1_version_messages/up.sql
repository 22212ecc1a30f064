-- Each version carries its uploader's change note (issue 16): what changed and why, shown in
-- the version history. Versions uploaded before it have none.
ALTER TABLE dataset_versions ADD COLUMN message TEXT NOT NULL DEFAULT '';
