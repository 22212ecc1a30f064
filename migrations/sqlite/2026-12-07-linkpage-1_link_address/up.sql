-- A link's address, sealed under a key kept outside the database (issue 16), so that its
-- owners can copy it again; links made before have none.
ALTER TABLE share_links ADD COLUMN sealed_address TEXT;
