-- A token's own download limit takes a slot before the first byte, like the link's
-- (issue 14, item 3): downloads under way plus counted per attenuation block, the block's
-- slots taken.
ALTER TABLE token_block_downloads ADD COLUMN taken BIGINT NOT NULL DEFAULT 0;
UPDATE token_block_downloads SET taken = completed;
