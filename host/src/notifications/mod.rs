//! Notifications: what the event stream ([`crate::activity`]) tells each person, in the app
//! (the bell, live) and through the channels they set up (notifier plugins: email, webhook,
//! chat), as often as they chose.
//!
//! - [`kinds`]: what people can be told, and the defaults per channel.
//! - [`fanout`]: who is told what of a batch of events, run by the dispatcher in the batch's
//!   transaction; it writes each notification and the deliveries to each channel (the outbox).
//! - [`inbox`]: a person's notifications, read and unread.
//! - [`preferences`]: a person's choices per kind and channel, their channels, the datasets
//!   they follow or mute, and unsubscribing from a message.
//! - [`delivery`]: the outbox's worker: each delivery sent through its channel's plugin, retried
//!   on a schedule, every attempt recorded, given up to the dead letters after the last.
//! - [`live`]: wakes the open bells of this process when someone is notified (the bells of
//!   other replicas find out by asking the database).

pub mod delivery;
pub mod fanout;
pub mod inbox;
pub mod kinds;
pub mod live;
pub mod preferences;

pub use kinds::{Cadence, NotificationKind};

/// Why a notification request was refused.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

impl From<diesel::result::Error> for NotificationError {
    fn from(err: diesel::result::Error) -> Self {
        NotificationError::Db(err.into())
    }
}
