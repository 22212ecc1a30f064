//! Notifications: the caller's own, read and unread, live over server-sent events; their
//! preferences and channels; and, for admins, the deliveries that failed for good.

pub mod channels;
pub mod deliveries;
pub mod list;
pub mod preferences;
pub mod read;
pub mod stream;
pub mod watch;
