-- Sharing and access control: the Casbin rules admins write, shares with people, share links
-- with their Biscuit root key, download accounting and access logs, and the audit chain.
-- Everything a replica decides with lives here, so every replica decides the same way.

-- Rules written by admins (and the baseline from policies/), in Casbin's own shape.
CREATE TABLE policy_rules (
    id TEXT PRIMARY KEY NOT NULL,
    ptype TEXT NOT NULL,
    v0 TEXT NOT NULL,
    v1 TEXT NOT NULL,
    v2 TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (ptype, v0, v1, v2)
);

-- One row per change of the admin-written rules: the policy's version history.
CREATE TABLE policy_versions (
    version BIGINT PRIMARY KEY NOT NULL,
    changed_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    changed_at BIGINT NOT NULL,
    summary TEXT NOT NULL
);

-- Bumped by every change that can alter an access decision (rules, shares, memberships,
-- datasets), so each replica knows when to rebuild its enforcer.
CREATE TABLE access_state (
    id INTEGER PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL
);
INSERT INTO access_state (id, version) VALUES (1, 1);

CREATE TABLE shares (
    id TEXT PRIMARY KEY NOT NULL,
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    -- 'user', 'group' or 'team'
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    level TEXT NOT NULL,
    expires_at BIGINT,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (dataset_id, subject_kind, subject_id)
);
CREATE INDEX shares_subject ON shares(subject_kind, subject_id);

-- The append-only audit log. Each entry's hash covers its fields and the previous hash.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    address TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_actor ON audit_log(actor);
CREATE INDEX audit_log_action ON audit_log(action);

-- The chain's head: appending locks this row, so entries are numbered in commit order, and
-- removing the newest entries leaves the head pointing past the end.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The Biscuit root key that signs share-link tokens, shared by every replica.
CREATE TABLE token_keys (
    id TEXT PRIMARY KEY NOT NULL,
    private_key TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE share_links (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    dataset_id TEXT REFERENCES datasets(id) ON DELETE CASCADE,
    export_job_id TEXT REFERENCES export_jobs(id) ON DELETE CASCADE,
    slug_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- 'view' or 'download'
    level TEXT NOT NULL,
    version INTEGER,
    allowed_formats TEXT,
    allowed_columns TEXT,
    expires_at BIGINT,
    max_downloads BIGINT,
    -- Downloads under way plus downloads completed: the slots taken.
    downloads_taken BIGINT NOT NULL DEFAULT 0,
    downloads_completed BIGINT NOT NULL DEFAULT 0,
    password_hash TEXT,
    -- Bumped when the password changes: sessions opened with an older one end.
    password_epoch BIGINT NOT NULL DEFAULT 0,
    self_destruct BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    destroyed_at BIGINT,
    last_access_at BIGINT
);
CREATE INDEX share_links_owner_id ON share_links(owner_id);

-- A browser that gave a link's password: bound to the link and to its password epoch.
CREATE TABLE link_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    link_id TEXT NOT NULL REFERENCES share_links(id) ON DELETE CASCADE,
    password_epoch BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Each download of a limited link: holds a slot while under way, keeps it once complete.
CREATE TABLE link_downloads (
    id TEXT PRIMARY KEY NOT NULL,
    link_id TEXT NOT NULL REFERENCES share_links(id) ON DELETE CASCADE,
    -- 'active', 'completed' or 'broken'
    state TEXT NOT NULL,
    holds_slot BOOLEAN NOT NULL,
    size_bytes BIGINT NOT NULL,
    covered_to BIGINT NOT NULL,
    bytes_sent BIGINT NOT NULL,
    token_blocks TEXT NOT NULL DEFAULT '[]',
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX link_downloads_link_id ON link_downloads(link_id);

-- Completed downloads per attenuation block of a link's token (by the block's revocation id).
CREATE TABLE token_block_downloads (
    revocation_id TEXT PRIMARY KEY NOT NULL,
    link_id TEXT NOT NULL REFERENCES share_links(id) ON DELETE CASCADE,
    completed BIGINT NOT NULL
);

CREATE TABLE link_access_log (
    id TEXT PRIMARY KEY NOT NULL,
    link_id TEXT NOT NULL REFERENCES share_links(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    event TEXT NOT NULL,
    reason TEXT,
    address TEXT,
    user_agent TEXT
);
CREATE INDEX link_access_log_link_id ON link_access_log(link_id, at);
