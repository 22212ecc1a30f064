//! Guessing throttles: which keys an attempt at a password is charged to, and in what order.
//!
//! Every attempt is taken before its password is hashed ([`LoginThrottle::take`], one atomic
//! statement per key), and given back when the password was right, so only wrong guesses
//! accumulate and a burst of parallel guesses is cut off at the limit, not after it.
//!
//! **Sign-in** counts per client address (`address:<ip>`, an IPv6 client by its /64, since one
//! host usually holds a whole /64 and could otherwise rotate addresses) and per account
//! (`account:<email>`), each on its own. An address that guessed wrong too often waits, whatever
//! account it tries. An account that drew too many wrong guesses makes *guessing addresses*
//! wait: an address with no wrong guess in its window still gets its attempt, so a stranger
//! hammering an account from elsewhere cannot keep its owner out, while each address of a
//! distributed attack gets one guess and then waits like the rest. Waits grow (doubling) instead
//! of locking: a person who mistyped gets in after a short pause.
//!
//! **Link passwords** count per address (`link-address:<ip>`, shared with wrong slugs and
//! forged tokens) and per link (`link:<id>`, three addresses' allowance): a link's password,
//! often short, is capped however many addresses guess it.

use std::net::IpAddr;

use crate::config::Config;
use crate::db::login_throttle::{FIRST_WAIT_MS, LoginThrottle, Schedule, Taken};
use crate::db::{AnyConnection, DbResult};

pub fn account_key(email: &str) -> String {
    format!("account:{}", crate::db::users::normalize_email(email))
}

pub fn address_key(address: Option<IpAddr>) -> String {
    match address {
        Some(IpAddr::V4(v4)) => format!("address:{v4}"),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "address:unknown".to_owned(),
    }
}

/// The key a link's guesses from one address are counted under (wrong slugs, forged tokens
/// and wrong link passwords alike).
pub fn link_address_key(address: Option<IpAddr>) -> String {
    format!("link-{}", address_key(address))
}

pub fn link_key(link_id: &str) -> String {
    format!("link:{link_id}")
}

/// Sign-in: `login_max_failures` free attempts per key within `login_lockout_seconds`, then
/// waits from [`FIRST_WAIT_MS`] doubling up to `login_lockout_seconds`.
pub fn sign_in_schedule(config: &Config) -> Schedule {
    let window_ms = (config.login_lockout_seconds.max(1) * 1000) as i64;
    Schedule {
        free: config.login_max_failures,
        first_wait_ms: FIRST_WAIT_MS.min(window_ms),
        cap_ms: window_ms,
        window_ms,
    }
}

/// Link passwords, per address: twice the sign-in allowance (the limit wrong slugs and
/// tokens already had).
pub fn link_address_schedule(config: &Config) -> Schedule {
    Schedule {
        free: config.login_max_failures.saturating_mul(2),
        ..sign_in_schedule(config)
    }
}

/// Link passwords, per link: three addresses' worth, so that one address using up its own
/// guesses does not shut the link for the people it was given to, while guesses spread over
/// many addresses still stop.
pub fn link_schedule(config: &Config) -> Schedule {
    Schedule {
        free: config.login_max_failures.saturating_mul(6),
        ..sign_in_schedule(config)
    }
}

/// Milliseconds to whole seconds, rounded up (for `Retry-After`).
pub fn wait_seconds(wait_ms: i64) -> u64 {
    (wait_ms.max(1) as u64).div_ceil(1000)
}

/// An attempt the throttles let through: give it back with [`Admitted::give_back`] when the
/// password was right.
#[derive(Debug)]
pub struct Admitted {
    keys: Vec<(String, Schedule)>,
}

impl Admitted {
    pub fn give_back(&self, conn: &mut AnyConnection) -> DbResult<()> {
        for (key, schedule) in &self.keys {
            LoginThrottle::give_back(conn, key, schedule)?;
        }
        Ok(())
    }
}

/// Takes a sign-in attempt on `account_key` from `address_key`, or answers how many
/// milliseconds to wait.
pub fn take_sign_in(
    conn: &mut AnyConnection,
    account_key: &str,
    address_key: &str,
    now: i64,
    schedule: &Schedule,
) -> DbResult<Result<Admitted, i64>> {
    let clean = match LoginThrottle::take(conn, address_key, now, schedule, true)? {
        Taken::Refused { wait_ms } => return Ok(Err(wait_ms)),
        // The address's only attempt in its window is this one: it has guessed nothing wrong.
        Taken::Admitted { attempts } => attempts == 1,
    };
    // A clean address passes the account's wait (and is still counted on the account, so its
    // failure, if it fails, slows the next guesser down).
    if let Taken::Refused { wait_ms } =
        LoginThrottle::take(conn, account_key, now, schedule, !clean)?
    {
        // No password was tried: the address's charge goes back.
        LoginThrottle::give_back(conn, address_key, schedule)?;
        return Ok(Err(wait_ms));
    }
    Ok(Ok(Admitted {
        keys: vec![
            (address_key.to_owned(), *schedule),
            (account_key.to_owned(), *schedule),
        ],
    }))
}

/// Takes an attempt at link `link_id`'s password from `address`, or answers how many
/// milliseconds to wait.
pub fn take_link_password(
    conn: &mut AnyConnection,
    link_id: &str,
    address: Option<IpAddr>,
    now: i64,
    config: &Config,
) -> DbResult<Result<Admitted, i64>> {
    let (by_address, address_schedule) = (link_address_key(address), link_address_schedule(config));
    if let Taken::Refused { wait_ms } =
        LoginThrottle::take(conn, &by_address, now, &address_schedule, true)?
    {
        return Ok(Err(wait_ms));
    }
    let (by_link, link_schedule) = (link_key(link_id), link_schedule(config));
    if let Taken::Refused { wait_ms } =
        LoginThrottle::take(conn, &by_link, now, &link_schedule, true)?
    {
        LoginThrottle::give_back(conn, &by_address, &address_schedule)?;
        return Ok(Err(wait_ms));
    }
    Ok(Ok(Admitted {
        keys: vec![(by_address, address_schedule), (by_link, link_schedule)],
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ipv6_addresses_in_one_slash_64_share_a_key() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(Some(a)), address_key(Some(b)));
        assert_ne!(address_key(Some(a)), address_key(Some(c)));
    }
}
