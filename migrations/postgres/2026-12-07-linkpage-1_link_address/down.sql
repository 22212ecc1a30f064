ALTER TABLE share_links DROP COLUMN sealed_address;
