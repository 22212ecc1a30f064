//! Why a link refuses a request, in the link's own words: the transport turns each into a
//! status and a sentence (`crate::http::error`), and the refusals a holder meets are also
//! written, with [`LinkError::kind`], to the link's access log and the audit log.

use crate::access::AccessError;
use crate::access::policy::PolicyError;
use crate::db::DbError;
use crate::error_code::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// An unknown slug, a revoked link, or a token for a link that is gone: the holder is not
    /// told which.
    #[error("there is no such link; it may have been revoked")]
    NoSuchLink,
    /// An owner's request names a dataset or link they cannot see.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A token this server did not issue, or one changed since.
    #[error("{0}")]
    InvalidToken(String),
    /// The link or its token does not allow this request; or the caller may not change it.
    #[error("{0}")]
    Refused(String),
    #[error("this link expired at {0}")]
    Expired(String),
    /// No downloads left.
    #[error("{0}")]
    UsedUp(String),
    /// The link's creator no longer holds the access the link needs.
    #[error(
        "this link is suspended: the person who made it no longer has the access it needs; \
         ask the dataset's owner"
    )]
    Suspended,
    #[error(
        "this link is protected by a password; post it as the form field 'password' to the \
         link's address first"
    )]
    PasswordRequired,
    /// The address guessed wrong too often; it may try again after this many seconds.
    #[error("too many failed attempts; try again in {0} seconds")]
    Throttled(u64),
    /// Other downloads with the same token kept taking the slots this one was checked against.
    #[error("too many downloads with this token at once; try again")]
    TokenBusy,
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl LinkError {
    /// The refusal's stable name, as the access and audit logs record it (the API's error
    /// catalogue names it the same).
    pub fn kind(&self) -> ErrorCode {
        match self {
            LinkError::NoSuchLink | LinkError::NotFound(_) => ErrorCode::NotFound,
            LinkError::InvalidToken(_) => ErrorCode::InvalidToken,
            LinkError::Refused(_) => ErrorCode::Forbidden,
            LinkError::Expired(_) => ErrorCode::LinkExpired,
            LinkError::UsedUp(_) => ErrorCode::LinkUsedUp,
            LinkError::Suspended => ErrorCode::LinkSuspended,
            LinkError::PasswordRequired => ErrorCode::PasswordRequired,
            LinkError::Throttled(_) | LinkError::TokenBusy => ErrorCode::TooManyAttempts,
            LinkError::Policy(_) | LinkError::Db(_) => ErrorCode::Internal,
        }
    }
}

/// An owner's request about a dataset's links, refused by the dataset's own access.
impl From<AccessError> for LinkError {
    fn from(err: AccessError) -> Self {
        match err {
            AccessError::NotVisible => LinkError::NotFound("dataset"),
            AccessError::Insufficient { .. } => LinkError::Refused(err.to_string()),
            AccessError::Policy(policy) => LinkError::Policy(policy),
            AccessError::Db(db) => LinkError::Db(db),
        }
    }
}
