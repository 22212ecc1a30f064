-- Queued exports. A job lives here from request to expiry, so any replica can run it, report
-- its progress, serve its artifact, and pick it up again after a crash.
CREATE TABLE export_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    format TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    total_rows BIGINT,
    rows_done BIGINT NOT NULL DEFAULT 0,
    bytes_done BIGINT NOT NULL DEFAULT 0,
    error_code TEXT,
    error_message TEXT,
    artifact_path TEXT,
    file_name TEXT,
    media_type TEXT,
    manifest TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    heartbeat_at BIGINT,
    finished_at BIGINT,
    expires_at BIGINT
);
CREATE INDEX export_jobs_status ON export_jobs(status, created_at);
CREATE INDEX export_jobs_dataset ON export_jobs(dataset_id);
