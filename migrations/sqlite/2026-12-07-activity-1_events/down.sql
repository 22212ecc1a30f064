DROP TABLE visitor_keys;
DROP TABLE activity_visitors;
DROP TABLE activity_daily;
DROP TABLE event_outbox;
DROP TABLE events;
