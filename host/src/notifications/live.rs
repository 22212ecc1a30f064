//! Wakes the bells open in this process when their person is notified, so the count changes
//! at once; a bell also asks the database every few seconds, which is how it learns of
//! notifications written by another replica.

use std::sync::LazyLock;

use tokio::sync::broadcast;

static NOTIFIED: LazyLock<broadcast::Sender<String>> = LazyLock::new(|| broadcast::channel(1024).0);

/// Tells this process's open bells that these people have something new (or read something).
pub fn publish(users: &[String]) {
    for user in users {
        // No bell open: nobody to tell.
        let _ = NOTIFIED.send(user.clone());
    }
}

/// A receiver of the people notified from now on.
pub fn subscribe() -> broadcast::Receiver<String> {
    NOTIFIED.subscribe()
}
