//! Why a link refuses a request, or its owner's change to it, in the link's own words: the
//! transport turns each into a status and a sentence (`crate::http::error`), and the refusals a
//! holder meets are also written, with [`LinkError::kind`], to the link's access log and the
//! audit log.

use crate::access::AccessError;
use crate::access::policy::PolicyError;
use crate::access::token::TokenError;
use crate::auth::password::{Busy, PasswordError};
use crate::db::DbError;
use crate::db::export_jobs::JobStatus;
use crate::error_code::ErrorCode;
use crate::time::ExpiryError;

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
    #[error("too many failed attempts; try again in {}", crate::human::wait_in_words(*.0))]
    Throttled(u64),
    /// Other downloads with the same token kept taking the slots this one was checked against.
    #[error("too many downloads with this token at once; try again")]
    TokenBusy,
    /// The terms of a new link, or of a change to one, do not hold: the sentence says which.
    #[error("{0}")]
    Invalid(String),
    /// The expiry a new link or a change gives cannot be used.
    #[error(transparent)]
    Expiry(#[from] ExpiryError),
    /// A revoked (or destroyed) link cannot be changed.
    #[error("this link is revoked; make a new one")]
    Revoked,
    /// Only a finished export's file can be shared; the export is in this state.
    #[error("the export is {0}; a link can share only a finished export's file")]
    ExportNotDone(JobStatus),
    /// The password gate is full: a link's password was not checked.
    #[error(transparent)]
    Busy(#[from] Busy),
    /// A link's password could not be hashed.
    #[error("cannot hash the link's password: {0}")]
    Hashing(PasswordError),
    /// The link was made before addresses were kept: there is none to show.
    #[error("this link was made before addresses were kept; make a new link")]
    AddressNotKept,
    /// The kept address cannot be opened with this server's key.
    #[error(transparent)]
    AddressSealed(#[from] super::address::UnsealError),
    /// A new link's address could not be sealed.
    #[error(transparent)]
    Sealing(#[from] super::address::SealError),
    /// A new link's token could not be made.
    #[error("cannot mint the link's token: {0}")]
    Minting(TokenError),
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
            LinkError::Invalid(_) | LinkError::Expiry(_) => ErrorCode::ValidationFailed,
            LinkError::Revoked
            | LinkError::ExportNotDone(_)
            | LinkError::AddressNotKept
            | LinkError::AddressSealed(_) => ErrorCode::Conflict,
            LinkError::Busy(_) => ErrorCode::Unavailable,
            LinkError::Policy(_)
            | LinkError::Db(_)
            | LinkError::Hashing(_)
            | LinkError::Sealing(_)
            | LinkError::Minting(_) => ErrorCode::Internal,
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
