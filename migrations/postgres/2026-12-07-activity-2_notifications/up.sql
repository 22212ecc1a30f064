-- Notifications (issue 17): what the event stream tells each person, in the app and through
-- the channels they set up (notifier plugins), with their preferences, the datasets they
-- follow or mute, and the durable outbox of deliveries with every attempt.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    url TEXT NOT NULL,
    in_app BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_by_user ON notifications (user_id, created_at);
CREATE UNIQUE INDEX notifications_once ON notifications (user_id, event_id, kind);

-- A person's choice for one kind on one channel (`app` or a channel's id): `off`,
-- `immediate`, `hourly` or `daily`. No row: the kind's default.
CREATE TABLE notification_preferences (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    cadence TEXT NOT NULL,
    PRIMARY KEY (user_id, kind, channel)
);

-- Where a person is told besides the app: a notifier plugin and the settings they gave it.
CREATE TABLE notification_channels (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    plugin TEXT NOT NULL,
    label TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notification_channels_by_user ON notification_channels (user_id);

-- The outbox: one message to one channel (one notification, or a digest of several). Its id
-- is the message's id on every attempt, so a receiver can drop a repeat.
CREATE TABLE notification_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    channel_id TEXT NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    cadence TEXT NOT NULL,
    notification_ids TEXT NOT NULL,
    status TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (status, due_at);

CREATE TABLE delivery_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    delivery_id TEXT NOT NULL REFERENCES notification_deliveries(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, at);

-- Unsubscribe links: each message's link for its kind and channel, kept hashed.
CREATE TABLE unsubscribe_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Datasets a person follows (told of new versions) or mutes (told nothing about).
CREATE TABLE dataset_watches (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    mode TEXT NOT NULL,
    PRIMARY KEY (user_id, dataset_id)
);
