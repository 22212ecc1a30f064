//! Password hashing with argon2id (RFC 9106), in PHC string format so that parameters can be
//! raised later without invalidating stored hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::TryRngCore;
use rand::rngs::OsRng;

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 1024;

/// A hash of a fixed random password, verified against when the account does not exist, so
/// that "no such user" and "wrong password" take the same time.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash(&super::secrets::generate("")).unwrap_or_default());

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must be at least {MIN_LENGTH} characters long")]
    TooShort,
    #[error("the password must be at most {MAX_LENGTH} characters long")]
    TooLong,
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

pub fn hash(password: &str) -> Result<String, PasswordError> {
    let mut bytes = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Checks a password against a stored hash; `None` burns the same time and fails.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let known = stored.is_some();
    let stored = stored.unwrap_or(DUMMY_HASH.as_str());
    let matches = match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    };
    matches && known
}

/// Bounds the password hashes that run at once, for everyone who can make the server hash
/// without being signed in (sign-in, link passwords).
///
/// Each argon2id hash takes about 19 MiB and a core for tens of milliseconds (RFC 9106's
/// second recommended parameters, the `argon2` crate's default): 200 unbounded parallel
/// guesses took a server from 91 to 3,010 MiB and its health check to 5.4 s. Here at most
/// `password_hash_concurrency` hashes run; up to `password_hash_queue` more wait, each at most
/// `password_hash_wait_ms`; anyone beyond is told to come back (`503` with `Retry-After`)
/// without costing a hash. The hashes run on the blocking pool, but never more of them than
/// the permits allow, so they cannot take the threads the database calls need.
#[derive(Debug)]
pub struct PasswordGate {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    queue: usize,
    wait: std::time::Duration,
    waiting: std::sync::atomic::AtomicUsize,
    /// Hashes started since this process began (what an operator or a test can watch).
    started: std::sync::atomic::AtomicU64,
    running: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    most_at_once: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// The gate was full: nothing was hashed. Retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking passwords; try again in {retry_after} seconds")]
pub struct Busy {
    pub retry_after: u64,
}

impl PasswordGate {
    pub fn new(at_once: usize, queue: usize, wait: std::time::Duration) -> Self {
        Self {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(at_once.max(1))),
            queue,
            wait,
            waiting: Default::default(),
            started: Default::default(),
            running: Default::default(),
            most_at_once: Default::default(),
        }
    }

    pub fn from_config(config: &crate::config::Config) -> Self {
        Self::new(
            config.password_hash_concurrency,
            config.password_hash_queue,
            std::time::Duration::from_millis(config.password_hash_wait_ms),
        )
    }

    /// How many hashes this gate has let start.
    pub fn hashes_started(&self) -> u64 {
        self.started.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The most hashes that ran at the same time.
    pub fn most_at_once(&self) -> usize {
        self.most_at_once.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `hash` on the blocking pool once a permit is free, or answers [`Busy`] when the
    /// queue is full or the wait passed its deadline.
    pub async fn run<T: Send + 'static>(
        &self,
        hash: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        use std::sync::atomic::Ordering;
        let busy = Busy {
            retry_after: self.wait.as_secs().max(1),
        };
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                // Join the queue only while it has room; the count is taken before waiting
                // and given back after, however the wait ends.
                let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
                let _leave = Leave(&self.waiting);
                if queued >= self.queue {
                    return Err(busy);
                }
                match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
                    Ok(Ok(permit)) => permit,
                    _ => return Err(busy),
                }
            }
        };
        self.started.fetch_add(1, Ordering::Relaxed);
        let running = self.running.clone();
        let most = self.most_at_once.clone();
        // The permit moves into the blocking task: it is released when the hash ends, even
        // if the request that asked for it has gone.
        let task = tokio::task::spawn_blocking(move || {
            let now = running.fetch_add(1, Ordering::AcqRel) + 1;
            most.fetch_max(now, Ordering::AcqRel);
            let result = hash();
            running.fetch_sub(1, Ordering::AcqRel);
            drop(permit);
            result
        });
        task.await.map_err(|_| busy)
    }
}

/// Leaves the gate's queue when dropped.
struct Leave<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[actix_web::test]
    async fn the_gate_runs_at_most_its_permits_and_turns_away_beyond_its_queue() {
        let gate = std::sync::Arc::new(PasswordGate::new(1, 2, std::time::Duration::from_secs(30)));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let first = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(move || hold.recv().unwrap()).await })
        };
        while gate.hashes_started() == 0 {
            tokio::task::yield_now().await;
        }
        // Two wait in the queue; the fourth is turned away at once, without hashing.
        let queued: Vec<_> = (0..2)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move { gate.run(|| ()).await })
            })
            .collect();
        while gate.waiting.load(std::sync::atomic::Ordering::Acquire) < 2 {
            tokio::task::yield_now().await;
        }
        assert_eq!(gate.run(|| ()).await, Err(Busy { retry_after: 30 }));
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        for q in queued {
            q.await.unwrap().unwrap();
        }
        assert_eq!(gate.hashes_started(), 3);
        assert_eq!(gate.most_at_once(), 1);
    }

    #[actix_web::test]
    async fn a_queued_hash_gives_up_at_its_deadline() {
        let gate = std::sync::Arc::new(PasswordGate::new(
            1,
            8,
            std::time::Duration::from_millis(50),
        ));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let busy = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(move || hold.recv().unwrap()).await })
        };
        while gate.hashes_started() == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(gate.run(|| ()).await, Err(Busy { retry_after: 1 }));
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        assert_eq!(gate.hashes_started(), 1);
    }
}
