-- Each version's column summaries (count, nulls, distinct values, range, histogram or top
-- values), computed once on first view and kept while the version exists: a version never
-- changes, so neither does its summary (issue 16).
CREATE TABLE column_summaries (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    summary_json TEXT NOT NULL,
    computed_at BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, version)
);
