-- The event stream (issue 17): every action that matters, written in the transaction of the
-- action. Notifications, analytics and webhooks all read it; `event_outbox` holds the events
-- not yet handed to those readers, and the rollups the counts that outlive the raw events.
CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    dataset_id TEXT,
    link_id TEXT,
    subject TEXT,
    visitor TEXT,
    payload TEXT NOT NULL
);
CREATE INDEX events_by_time ON events (at);
CREATE INDEX events_by_dataset ON events (dataset_id, at);
CREATE INDEX events_by_link ON events (link_id, at);
CREATE INDEX events_by_actor ON events (actor, at);

CREATE TABLE event_outbox (
    event_id TEXT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL
);

-- Counts per day (UTC), kind and detail (a format, a refusal's reason), each kept at four
-- scopes: per `link`, per `dataset`, per `team` and for the whole `site`, so that a report
-- reads only the rows of its own scope; '' where a key does not apply. `total` sums a measure
-- of the events (bytes, milliseconds).
CREATE TABLE activity_daily (
    scope TEXT NOT NULL,
    day BIGINT NOT NULL,
    kind TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    link_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    count BIGINT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (scope, dataset_id, link_id, team_id, day, kind, detail)
);
CREATE INDEX activity_daily_by_day ON activity_daily (scope, day);

-- The visitors seen on a day, by keyed hash, so each counts once a day; kept two days.
CREATE TABLE activity_visitors (
    day BIGINT NOT NULL,
    dataset_id TEXT NOT NULL,
    link_id TEXT NOT NULL,
    visitor TEXT NOT NULL,
    PRIMARY KEY (day, dataset_id, link_id, visitor)
);

-- The key of each day's visitor hashes, shared by the replicas; dropped after two days, after
-- which no hash can be tied to an address again.
CREATE TABLE visitor_keys (
    day BIGINT PRIMARY KEY NOT NULL,
    secret TEXT NOT NULL
);
