-- Shares made to an email address (subject_kind 'email', subject_id the address, lower-cased)
-- instead of to an account: they grant to whichever account holds the address, from the moment
-- one does, so sharing with an address that has no account yet answers exactly as sharing with
-- one that has. `accepted_at` is when the account holding the address first saw the share;
-- until then the sharer sees it as pending, whether or not the address has an account.
ALTER TABLE shares ADD COLUMN accepted_at BIGINT;
