//! Visitors counted without keeping their addresses: an address becomes an HMAC-SHA256 under a
//! random key of the day (shared by the replicas through the database). Within a day the same
//! address gives the same hash, so unique visitors can be counted; across days the hashes
//! differ, and once the key is dropped (after two days) no hash can be tied to an address
//! again, not even by trying every IPv4 address.

use std::net::IpAddr;
use std::sync::Mutex;

use crate::db::{AnyConnection, DbResult};

const DAY_MS: i64 = 86_400_000;

/// The day (since the epoch, UTC) of an instant in milliseconds.
pub fn day_of(at: i64) -> i64 {
    at.div_euclid(DAY_MS)
}

/// The keys this process has read, by day: a day's key never changes once stored.
static KEYS: Mutex<Option<(i64, String)>> = Mutex::new(None);

/// The hash that stands for `address` on the day of `at`.
pub fn hash(conn: &mut AnyConnection, address: IpAddr, at: i64) -> DbResult<String> {
    let day = day_of(at);
    let cached = KEYS.lock().ok().and_then(|k| {
        k.as_ref()
            .filter(|(d, _)| *d == day)
            .map(|(_, s)| s.clone())
    });
    let key = match cached {
        Some(key) => key,
        None => {
            let fresh = hex::encode(rand::random::<[u8; 32]>());
            let key = crate::db::events::visitor_key(conn, day, &fresh)?;
            if let Ok(mut keys) = KEYS.lock() {
                *keys = Some((day, key.clone()));
            }
            key
        }
    };
    Ok(keyed(&key, address))
}

fn keyed(key: &str, address: IpAddr) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes());
    let canonical = match address {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or(IpAddr::V6(v6), IpAddr::V4)
            .to_string(),
        IpAddr::V4(v4) => v4.to_string(),
    };
    let tag = ring::hmac::sign(&key, canonical.as_bytes());
    hex::encode(&tag.as_ref()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_one_hash_per_key_and_none_shows_the_address() {
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        let b: IpAddr = "192.0.2.8".parse().unwrap();
        assert_eq!(keyed("k1", a), keyed("k1", a));
        assert_eq!(keyed("k1", a), keyed("k1", mapped));
        assert_ne!(keyed("k1", a), keyed("k1", b));
        assert_ne!(keyed("k1", a), keyed("k2", a));
        assert!(!keyed("k1", a).contains("192"));
        assert_eq!(keyed("k1", a).len(), 32);
    }

    #[test]
    fn days_are_utc_days() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(DAY_MS - 1), 0);
        assert_eq!(day_of(DAY_MS), 1);
        assert_eq!(day_of(-1), -1);
    }
}
