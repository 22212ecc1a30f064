ALTER TABLE token_block_downloads DROP COLUMN taken;
