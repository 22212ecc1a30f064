//! Accounts: creating one, shared by `tessera user create` and the admin API so that both
//! check the same rules, and a site admin suspending, restoring or promoting one. Who may is
//! decided above (the admin API takes a site admin); each change is audited in its transaction.
//! Also finding a person by the name people know them by ([`people_named`]), for sharing and
//! team membership alike.

use crate::access::Caller;
use crate::access::audit;
use crate::auth::password;
use crate::db::api_tokens::ApiToken;
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
