DROP TABLE dataset_watches;
DROP TABLE unsubscribe_tokens;
DROP TABLE delivery_attempts;
DROP TABLE notification_deliveries;
DROP TABLE notification_channels;
DROP TABLE notification_preferences;
DROP TABLE notifications;
