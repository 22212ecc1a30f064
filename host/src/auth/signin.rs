//! Signing in with an email and a password: throttled per account and per address (the attempt
//! taken before the password is hashed), hashed behind the password gate, audited, ending in a
//! session. The API's login and the sign-in page share it, and signing out.

use std::net::IpAddr;

use super::password::{Busy, PasswordGate};
use super::{password, secrets, throttle};
use crate::access::audit::{self, AuditEvent};
use crate::config::Config;
use crate::db::sessions::Session;
use crate::db::users::User;
use crate::db::{Database, DbError};
use crate::time::now_millis;

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Too many attempts for the account or the address; try again after the wait.
    #[error("too many attempts; try again in {}", crate::human::wait_in_words(*seconds))]
    Throttled { seconds: u64 },
    /// The password gate is full; nothing was tried.
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error("wrong email or password")]
    WrongCredentials,
    #[error("this account is deactivated; ask an administrator")]
    Deactivated,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A new session, its secrets shown once.
pub struct SignedIn {
    pub user: User,
    pub session_token: String,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// Checks the password and opens a session.
///
/// The attempt is taken from the throttles before the password is hashed (see
/// [`throttle`]), and the hash waits its turn at the [`password::PasswordGate`], so neither
/// a burst of guesses nor a flood of requests gets more hashes than the limits allow.
pub async fn sign_in(
    db: &Database,
    config: &Config,
    gate: &PasswordGate,
    client: Option<IpAddr>,
    email: String,
    given: String,
) -> Result<SignedIn, SignInError> {
    let account_key = throttle::account_key(&email);
    let address_key = throttle::address_key(client);
    let logged_address = config.logged_address(client);
    let schedule = throttle::sign_in_schedule(config);
    let now = now_millis();

    let keys = (account_key.clone(), address_key.clone());
    let (taken, user) = db
        .run(move |conn| {
            let taken = crate::db::write_transaction(conn, |conn| {
                throttle::take_sign_in(conn, &keys.0, &keys.1, now, &schedule)
            })?;
            Ok::<_, DbError>((taken, User::find_by_email(conn, &email)?))
        })
        .await?;
    let admitted = match taken {
        Ok(admitted) => admitted,
        Err(wait_ms) => {
            let seconds = throttle::wait_seconds(wait_ms);
            tracing::info!(
                decision = "deny",
                reason = "throttled",
                key = %account_key,
                wait_seconds = seconds,
                "sign-in refused before checking the password"
            );
            return Err(SignInError::Throttled { seconds });
        }
    };

    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let checked = gate
        .run(move || password::verify(&given, stored.as_deref()))
        .await;
    let matches = match checked {
        Ok(matches) => matches,
        Err(busy) => {
            // Nothing was tried: the attempt goes back.
            db.run(move |conn| admitted.give_back(conn)).await?;
            return Err(busy.into());
        }
    };
    let Some(user) = user.filter(|_| matches) else {
        let account = account_key.clone();
        db.run(move |conn| {
            audit::record(
                conn,
                now,
                AuditEvent::new("anonymous", "login.fail", account)
                    .outcome("denied")
                    .detail(serde_json::json!({"reason": "wrong email or password"}))
                    .address(logged_address),
            )
            .map(|_| ())
        })
        .await?;
        tracing::info!(
            decision = "deny",
            reason = "wrong email or password",
            "sign-in refused"
        );
        return Err(SignInError::WrongCredentials);
    };
    if !user.is_active {
        db.run(move |conn| admitted.give_back(conn)).await?;
        tracing::info!(decision = "deny", user = %user.id, reason = "deactivated", "sign-in refused");
        return Err(SignInError::Deactivated);
    }

    let success_address = config.logged_address(client);
    let session_token = secrets::generate("tss_");
    let csrf_token = secrets::generate("");
    let expires_at = now + (config.session_ttl_hours * 3600 * 1000) as i64;
    let session = Session {
        token_hash: secrets::hash(&session_token),
        user_id: user.id.clone(),
        csrf_hash: secrets::hash(&csrf_token),
        created_at: now,
        expires_at,
    };
    db.run(move |conn| {
        crate::db::write_transaction(conn, |conn| {
            admitted.give_back(conn)?;
            Session::delete_expired(conn, now)?;
            Session::create(conn, &session)?;
            crate::activity::record(
                conn,
                now,
                crate::activity::Event::new(
                    crate::activity::EventKind::SignedIn,
                    crate::activity::Actor::user(&session.user_id),
                ),
            )?;
            audit::record(
                conn,
                now,
                AuditEvent::new(
                    audit::actor_user(&session.user_id),
                    "login.success",
                    account_key,
                )
                .outcome("granted")
                .address(success_address),
            )
            .map(|_| ())
        })
    })
    .await?;
    tracing::info!(decision = "grant", user = %user.id, "signed in");

    Ok(SignedIn {
        user,
        session_token,
        csrf_token,
        expires_at,
    })
}

/// Ends the session whose token hashes to `token_hash`: its cookie stops working at once, on
/// every replica. Ending one already gone is no error.
pub async fn sign_out(db: &Database, token_hash: String) -> Result<(), DbError> {
    db.run(move |conn| Session::delete(conn, &token_hash)).await
}
