//! Creating accounts, shared by `tessera user create` and the admin API so that both check
//! the same rules.

use crate::auth::password;
use crate::db::users::{NewUser, User, normalize_email};
use crate::db::{Database, DbError, new_id};
use crate::time::now_millis;

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The request breaks a rule (email shape, name, password policy): the sentence says which.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot hash the password: {0}")]
    Hashing(String),
}

pub async fn create_user(
    db: &Database,
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
    Ok(db.run(move |conn| User::create(conn, &new)).await?)
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
