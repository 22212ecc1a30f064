//! A link's password: the right one opens a session bound to the link and to its current
//! password (a new password ends it), which the slug's requests then show
//! ([`super::resolve`]). How the session travels (a cookie scoped to the link's address) is the
//! transport's business.
//!
//! Before any hashing, the link must exist and have a password (a link without one has nothing
//! to check, so nothing is hashed), and the attempt is taken from the throttles per address and
//! per link in one atomic statement each ([`crate::auth::throttle`]). The hash then waits its
//! turn at the password gate. A right password gives its attempt back.

use std::sync::Arc;

use super::{
    LinkError, Visitor, check_throttle, count_failure, log_access, log_refusal, slug_hash,
};
use crate::auth::password::{self, PasswordGate};
use crate::auth::{secrets, throttle};
use crate::config::Config;
use crate::db::link_sessions::LinkSession;
use crate::db::share_links::{LinkState, ShareLink};
use crate::db::{Database, write_transaction};
use crate::time::now_millis;

/// How long a password session lasts.
const SESSION_HOURS: i64 = 12;

/// What giving a link's password came to.
pub enum Opened {
    /// The link has no password: there was nothing to unlock.
    NoPassword,
    /// The password was right: the session's secret, shown this once (only its hash is kept).
    Unlocked { session: String },
    /// The password was wrong; the attempt counts against the address and the link.
    WrongPassword,
}

/// Checks `given` against the password of the link at `slug` and, when it is right, opens a
/// session for it. An unknown or revoked link is "not found" and counts as a failed guess.
pub async fn open_session(
    db: &Database,
    config: &Arc<Config>,
    gate: &PasswordGate,
    slug: &str,
    visitor: Visitor,
    given: String,
) -> Result<Opened, LinkError> {
    let slug = slug.to_owned();
    let settings = Arc::clone(config);
    let found = db
        .run(move |conn| {
            let now = now_millis();
            check_throttle(conn, &visitor, now)?;
            let link = match ShareLink::find_by_slug_hash(conn, &slug_hash(&slug))? {
                Some(link) if link.state(now) != LinkState::Revoked => link,
                _ => {
                    count_failure(conn, &visitor, &settings, now)?;
                    return Err(LinkError::NotFound("link"));
                }
            };
            if link.password_hash.is_none() {
                return Ok(None);
            }
            let taken = write_transaction(conn, |conn| {
                throttle::take_link_password(conn, &link.id, visitor.address, now, &settings)
            })?;
            match taken {
                Ok(admitted) => Ok(Some((link, visitor, admitted))),
                Err(wait_ms) => {
                    tracing::info!(
                        decision = "deny",
                        link = %link.id,
                        reason = "too many password attempts",
                        "link password refused before checking it"
                    );
                    Err(LinkError::Throttled(throttle::wait_seconds(wait_ms)))
                }
            }
        })
        .await?;
    let Some((link, visitor, admitted)) = found else {
        return Ok(Opened::NoPassword);
    };
    let stored = link.password_hash.clone();
    let matches = match gate
        .run(move || password::verify(&given, stored.as_deref()))
        .await
    {
        Ok(matches) => matches,
        Err(busy) => {
            // Nothing was tried: the attempt goes back.
            if let Err(err) = db.run(move |conn| admitted.give_back(conn)).await {
                tracing::warn!(error = %err, "cannot give back a link password attempt");
            }
            return Err(busy.into());
        }
    };
    let session = secrets::generate("tsl_");
    let session_hash = secrets::hash(&session);
    db.run(move |conn| {
        let now = now_millis();
        if !matches {
            log_refusal(
                conn,
                &link.id,
                "wrong_password",
                "wrong password",
                &visitor,
                now,
            )?;
            return Ok(Opened::WrongPassword);
        }
        write_transaction(conn, |conn| {
            admitted.give_back(conn)?;
            LinkSession::create(
                conn,
                &LinkSession {
                    token_hash: session_hash,
                    link_id: link.id.clone(),
                    password_epoch: link.password_epoch,
                    expires_at: now + SESSION_HOURS * 3600 * 1000,
                },
            )?;
            log_access(conn, &link.id, "unlocked", None, &visitor, now)?;
            Ok::<_, LinkError>(Opened::Unlocked { session })
        })
    })
    .await
}
