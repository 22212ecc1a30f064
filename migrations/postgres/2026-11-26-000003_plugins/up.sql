-- Plugin state shared by every replica: which plugins exist, which are enabled, and what an
-- administrator approved for each. Plugins installed at run time keep their component here
-- too, so a replica that did not receive the upload can still load them.
CREATE TABLE plugin_components (
    sha256 TEXT PRIMARY KEY,
    bytes BYTEA NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE plugins (
    id TEXT PRIMARY KEY,
    -- 'folder': shipped in the server's plugins folder; 'installed': uploaded by an admin.
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    version TEXT NOT NULL,
    manifest TEXT NOT NULL,
    component_sha256 TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    -- The capabilities an administrator approved (JSON), or NULL when none were.
    approved TEXT,
    installed_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
