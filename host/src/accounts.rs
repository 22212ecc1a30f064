//! Accounts: creating one, shared by `tessera user create` and the admin API so that both
//! check the same rules, and a site admin suspending, restoring or promoting one. Who may is
//! decided above (the admin API takes a site admin); each change is audited in its transaction.
//! Also the password-reset links a site admin gives out ([`issue_password_reset`],
//! [`reset_password`]), and finding a person by the name people know them by ([`people_named`]), for sharing and
//! team membership alike.

use crate::access::Caller;
use crate::access::audit;
use crate::auth::password;
use crate::db::api_tokens::ApiToken;
use crate::db::password_resets::PasswordReset;
use crate::db::sessions::Session;
use crate::db::users::{NewUser, User, normalize_email};
use crate::db::{AnyConnection, Database, DbError, new_id, write_transaction};
use crate::time::now_millis;

/// The people called `name` (compared without regard to case or repeated spaces) among those
/// who share a team or a group with the user `around` (or belong to a group they made): a name
/// is no secret among them, while looking one up site-wide would tell who has an account.
/// Each person once; the caller decides what none or several mean.
pub fn people_named(
    conn: &mut AnyConnection,
    around: &str,
    name: &str,
) -> Result<Vec<User>, DbError> {
    use crate::db::groups::UserGroup;
    use crate::db::teams::Team;
    let wanted = comparable_name(name);
    let mut people = Vec::new();
    for team in Team::ids_for_user(conn, around)? {
        people.extend(
            Team::members(conn, &team)?
                .into_iter()
                .map(|(_, user)| user),
        );
    }
    let mut groups = UserGroup::ids_for_user(conn, around)?;
    groups.extend(UserGroup::ids_made_by(conn, around)?);
    groups.sort();
    groups.dedup();
    for group in groups {
        people.extend(
            UserGroup::members(conn, &group)?
                .into_iter()
                .map(|(_, user)| user),
        );
    }
    let mut found: Vec<User> = Vec::new();
    for person in people {
        if comparable_name(&person.name) == wanted && !found.iter().any(|p| p.id == person.id) {
            found.push(person);
        }
    }
    Ok(found)
}

/// A name as people compare names: lower case, single spaces.
fn comparable_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Why an account could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The request breaks a rule (email shape, name, password policy): the sentence says which.
    #[error("{0}")]
    Invalid(String),
    /// No account has this id.
    #[error("user not found")]
    NotFound,
    /// The change would leave the site without an active admin, whom nobody could replace.
    #[error("this would leave no active site admin")]
    LastAdmin,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot hash the password: {0}")]
    Hashing(String),
    /// A password-reset link that does not work (any more).
    #[error(transparent)]
    ResetLink(#[from] ResetLinkRefusal),
}

/// Why a password-reset link does not work. Each says what to do next, for the page that
/// shows it to the person who followed the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResetLinkRefusal {
    /// No such link (mistyped, cut off, replaced by a newer one, or its account is disabled).
    #[error("this password-reset link is not valid; ask a site admin for a new one")]
    Unknown,
    #[error("this password-reset link was already used; ask a site admin for a new one")]
    Used,
    #[error("this password-reset link has expired; ask a site admin for a new one")]
    Expired,
}

/// How long a password-reset link works, in hours.
pub const PASSWORD_RESET_HOURS: i64 = 24;

/// A password-reset link's token, the one time it exists in clear: to show the admin who asked.
#[derive(Debug)]
pub struct IssuedReset {
    /// `tpr_` and 256 random bits, base64url.
    pub token: String,
    pub expires_at: i64,
    pub user: User,
}

/// Makes a password-reset link for the account `user_id`, asked by the site admin `by` (decided
/// above): a single-use token of 256 random bits, stored as its SHA-256 like sessions and API
/// tokens, working [`PASSWORD_RESET_HOURS`]; it replaces any unused link the account had. A
/// disabled account gets none (enable it first). Audited (`admin.user.password_reset_link`).
pub fn issue_password_reset(
    conn: &mut AnyConnection,
    by: &Caller,
    user_id: &str,
    now: i64,
) -> Result<IssuedReset, AccountError> {
    let user = User::find(conn, user_id).map_err(|e| match e {
        DbError::NotFound => AccountError::NotFound,
        other => other.into(),
    })?;
    if !user.is_active {
        return Err(AccountError::Invalid(
            "this account is disabled; enable it before sending a password-reset link".into(),
        ));
    }
    let token = crate::auth::secrets::generate("tpr_");
    let reset = PasswordReset {
        token_hash: crate::auth::secrets::hash(&token),
        user_id: user.id.clone(),
        created_by: Some(by.user.id.clone()),
        created_at: now,
        expires_at: now + PASSWORD_RESET_HOURS * 3600 * 1000,
        used_at: None,
    };
    write_transaction(conn, |conn| {
        PasswordReset::replace(conn, &reset)?;
        audit::caller_action(
            conn,
            by,
            "admin.user.password_reset_link",
            format!("user:{}", user.id),
            serde_json::json!({"expires_at": crate::time::to_rfc3339(reset.expires_at)}),
        )?;
        Ok::<_, AccountError>(())
    })?;
    Ok(IssuedReset {
        token,
        expires_at: reset.expires_at,
        user,
    })
}

/// The account a password-reset link is for, if the link still works at `now`.
pub fn reset_link_user(
    conn: &mut AnyConnection,
    token: &str,
    now: i64,
) -> Result<User, AccountError> {
    let Some(reset) = PasswordReset::find(conn, &crate::auth::secrets::hash(token))? else {
        return Err(ResetLinkRefusal::Unknown.into());
    };
    if reset.used_at.is_some() {
        return Err(ResetLinkRefusal::Used.into());
    }
    if reset.expires_at <= now {
        return Err(ResetLinkRefusal::Expired.into());
    }
    let user = User::find(conn, &reset.user_id)?;
    if !user.is_active {
        return Err(ResetLinkRefusal::Unknown.into());
    }
    Ok(user)
}

/// Sets the password of the account a reset link is for, by the person who followed it: the
/// same rules as every password, then the link is spent and every session of the account
/// ends (whoever else was signed in is signed out). Audited (`user.password_reset`, by the
/// account itself, from `address`).
pub async fn reset_password(
    db: &Database,
    token: &str,
    new_password: &str,
    address: Option<String>,
) -> Result<User, AccountError> {
    let now = now_millis();
    let checked = token.to_owned();
    db.run(move |conn| reset_link_user(conn, &checked, now))
        .await?;
    password::check_policy(new_password).map_err(|e| AccountError::Invalid(e.to_string()))?;
    let plain = new_password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || password::hash(&plain))
        .await
        .map_err(|e| AccountError::Hashing(e.to_string()))?
        .map_err(|e| AccountError::Hashing(e.to_string()))?;
    let token = token.to_owned();
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            let now = now_millis();
            // Checked again inside the transaction: the link may have been used meanwhile.
            let user = reset_link_user(conn, &token, now)?;
            if !PasswordReset::spend(conn, &crate::auth::secrets::hash(&token), now)? {
                return Err(ResetLinkRefusal::Used.into());
            }
            User::set_password_hash(conn, &user.id, &password_hash, now)?;
            let ended = Session::delete_for_user(conn, &user.id)?;
            audit::record(
                conn,
                now,
                audit::AuditEvent::new(
                    audit::actor_user(&user.id),
                    "user.password_reset",
                    format!("user:{}", user.id),
                )
                .detail(serde_json::json!({"sessions_ended": ended}))
                .address(address),
            )?;
            Ok(user)
        })
    })
    .await
}

/// Creates an active account; `by` is the site admin who asked (audited as
/// `admin.user.create` in the same transaction), `None` from the command line, whose operator
/// holds the server's files.
pub async fn create_user(
    db: &Database,
    by: Option<&Caller>,
    email: &str,
    name: &str,
    plain_password: &str,
    is_admin: bool,
) -> Result<User, AccountError> {
    let email = normalize_email(email);
    if !looks_like_email(&email) {
        return Err(AccountError::Invalid(format!(
            "'{email}' is not an email address"
        )));
    }
    let name = crate::human::required_text("name", name, 200).map_err(AccountError::Invalid)?;
    password::check_policy(plain_password).map_err(|e| AccountError::Invalid(e.to_string()))?;
    let plain = plain_password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || password::hash(&plain))
        .await
        .map_err(|e| AccountError::Hashing(e.to_string()))?
        .map_err(|e| AccountError::Hashing(e.to_string()))?;
    let now = now_millis();
    let new = NewUser {
        id: new_id(),
        email,
        name,
        password_hash,
        is_admin,
        is_active: true,
        created_at: now,
        updated_at: now,
    };
    let by = by.cloned();
    Ok(db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let user = User::create(conn, &new)?;
                if let Some(admin) = &by {
                    audit::caller_action(
                        conn,
                        admin,
                        "admin.user.create",
                        format!("user:{}", user.id),
                        serde_json::json!({"email": user.email, "is_admin": user.is_admin}),
                    )?;
                }
                Ok::<_, DbError>(user)
            })
        })
        .await?)
}

/// Suspends or restores the account `user_id` (`is_active`), or makes or unmakes it a site
/// admin (`is_admin`); an absent flag stays. A suspended account loses its sessions and API
/// tokens at once. Refused when it would leave no active site admin. Audited
/// (`admin.user.update`) by the admin `by`.
pub fn change_flags(
    conn: &mut AnyConnection,
    by: &Caller,
    user_id: &str,
    is_active: Option<bool>,
    is_admin: Option<bool>,
    now: i64,
) -> Result<User, AccountError> {
    write_transaction(conn, |conn| {
        let before = User::find(conn, user_id).map_err(|e| match e {
            DbError::NotFound => AccountError::NotFound,
            other => other.into(),
        })?;
        let user = User::set_flags(conn, user_id, is_active, is_admin, now)?;
        if before.is_admin
            && before.is_active
            && !(user.is_admin && user.is_active)
            && User::count_active_admins(conn)? == 0
        {
            return Err(AccountError::LastAdmin);
        }
        if !user.is_active {
            Session::delete_for_user(conn, &user.id)?;
            ApiToken::revoke_all_for_user(conn, &user.id, now)?;
        }
        audit::caller_action(
            conn,
            by,
            "admin.user.update",
            format!("user:{}", user.id),
            serde_json::json!({"is_active": user.is_active, "is_admin": user.is_admin}),
        )?;
        Ok(user)
    })
}

/// Whether `email` (normalised) has the shape of an address: the check accounts and shares by
/// email both make.
pub fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
                && email.len() <= 254
        }
        None => false,
    }
}
