-- A site admin can give someone a link to choose a new password (issue 16). The link carries
-- a random 256-bit token; only its SHA-256 is kept, as for sessions and API tokens. It works
-- once (`used_at`) and until `expires_at`; issuing a new one for the same person replaces
-- any unused one.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_user_id ON password_resets(user_id);
