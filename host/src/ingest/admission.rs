//! How many uploads this process takes at once, in all and per user.
//!
//! An upload holds a temporary file, a connection and, once it has arrived, a conversion slot;
//! a client can keep one open for as long as it keeps sending. Without a bound, one token
//! opening a thousand slow uploads takes the resources every other user needs (issue 14,
//! item 6). [`UploadSlots`] admits an upload only while the user has fewer than
//! `max_concurrent_uploads_per_user` in progress and the process fewer than
//! `max_concurrent_uploads`; the [`UploadSlot`] it hands out gives its place back when dropped,
//! however the upload ends.
//!
//! The counts are per process, like the threads, memory and temporary files they protect: each
//! replica admits its own share. What keeps an admitted upload from holding its slot forever
//! is the minimum upload rate, enforced by the upload handler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Seconds a refused client is told to wait (`Retry-After`) before trying again: long enough
/// not to spin, short next to an upload's own duration.
pub const RETRY_AFTER_SECONDS: u64 = 10;

/// Why an upload was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The user already has `limit` uploads in progress.
    PerUser { limit: usize },
    /// The process already has `limit` uploads in progress.
    Total { limit: usize },
}

#[derive(Debug)]
pub struct UploadSlots {
    max_total: usize,
    max_per_user: usize,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_user: HashMap<String, usize>,
}

impl UploadSlots {
    pub fn new(max_total: usize, max_per_user: usize) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_user,
            counts: Mutex::new(Counts::default()),
        })
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        // The counts stay consistent even if a holder panicked: every change is one statement.
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Admits one upload of `user_id`, or says which limit it would pass. The user's own limit
    /// is checked first, so a user over it is told so (429) rather than that the server is
    /// busy (503).
    pub fn try_acquire(self: &Arc<Self>, user_id: &str) -> Result<UploadSlot, Refusal> {
        let mut counts = self.counts();
        let mine = counts.per_user.get(user_id).copied().unwrap_or(0);
        if mine >= self.max_per_user {
            return Err(Refusal::PerUser {
                limit: self.max_per_user,
            });
        }
        if counts.total >= self.max_total {
            return Err(Refusal::Total {
                limit: self.max_total,
            });
        }
        counts.total += 1;
        counts.per_user.insert(user_id.to_owned(), mine + 1);
        Ok(UploadSlot {
            slots: Arc::clone(self),
            user_id: user_id.to_owned(),
        })
    }

    /// Uploads in progress in this process.
    pub fn in_progress(&self) -> usize {
        self.counts().total
    }

    /// Uploads `user_id` has in progress in this process.
    pub fn in_progress_of(&self, user_id: &str) -> usize {
        self.counts().per_user.get(user_id).copied().unwrap_or(0)
    }
}

/// One admitted upload; its place is given back when this is dropped.
#[derive(Debug)]
pub struct UploadSlot {
    slots: Arc<UploadSlots>,
    user_id: String,
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        let mut counts = self.slots.counts();
        counts.total = counts.total.saturating_sub(1);
        if let Some(mine) = counts.per_user.get_mut(&self.user_id) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                counts.per_user.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_user_then_in_all_and_frees_on_drop() {
        let slots = UploadSlots::new(3, 2);
        let a1 = slots.try_acquire("a").unwrap();
        let _a2 = slots.try_acquire("a").unwrap();
        assert_eq!(
            slots.try_acquire("a").unwrap_err(),
            Refusal::PerUser { limit: 2 }
        );
        let _b1 = slots.try_acquire("b").unwrap();
        assert_eq!(
            slots.try_acquire("c").unwrap_err(),
            Refusal::Total { limit: 3 }
        );
        // A user over their own limit hears about that one even when the server is full.
        assert_eq!(
            slots.try_acquire("a").unwrap_err(),
            Refusal::PerUser { limit: 2 }
        );
        drop(a1);
        assert_eq!(slots.in_progress(), 2);
        assert_eq!(slots.in_progress_of("a"), 1);
        let _c1 = slots.try_acquire("c").unwrap();
        assert_eq!(slots.in_progress(), 3);
    }
}
