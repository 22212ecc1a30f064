//! Every domain error enum mapped to the API's catalogue, in one place: the domain says what
//! went wrong in its own words; only here does that become a code, a status and a sentence
//! for the client. An unexpected cause becomes `internal` and goes to the log.

use super::{ApiError, ErrorCode};
use crate::access::AccessError;
use crate::accounts::AccountError;
use crate::auth::password::Busy;
use crate::auth::signin::SignInError;
use crate::auth::tokens::TokenError;
use crate::datasets::DatasetError;
use crate::export::ExportError;
use crate::export::queue::QueueError;
use crate::groups::GroupError;
use crate::ingest::IngestError;
use crate::links::LinkError;
use crate::plugins::PluginError;
use crate::plugins::admin::PluginAdminError;
use crate::sharing::SharingError;
use crate::teams::TeamError;

impl From<crate::db::DbError> for ApiError {
    fn from(err: crate::db::DbError) -> Self {
        use crate::db::DbError;
        match err {
            DbError::NotFound => ApiError::new(ErrorCode::NotFound, "not found"),
            DbError::Conflict(what) => ApiError::conflict(what),
            DbError::Unavailable(cause) => {
                tracing::error!(error = %cause, "database unavailable");
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the database is unavailable; try again",
                )
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<crate::access::policy::PolicyError> for ApiError {
    fn from(err: crate::access::policy::PolicyError) -> Self {
        use crate::access::policy::PolicyError;
        match err {
            PolicyError::Db(db) => db.into(),
            PolicyError::Invalid(message) => ApiError::validation(message),
            PolicyError::Engine(cause) => ApiError::internal(cause),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        crate::db::DbError::from(err).into()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::internal(err)
    }
}

impl From<crate::time::ExpiryError> for ApiError {
    fn from(err: crate::time::ExpiryError) -> Self {
        ApiError::validation(err.to_string())
    }
}

impl From<IngestError> for ApiError {
    fn from(err: IngestError) -> Self {
        match err {
            IngestError::Empty => ApiError::new(
                ErrorCode::EmptyFile,
                "the uploaded file is empty; choose a file with a header and some rows",
            ),
            e @ IngestError::Ragged { .. } => ApiError::new(ErrorCode::RaggedRows, e.to_string()),
            IngestError::Malformed(m) => ApiError::new(ErrorCode::MalformedFile, m),
            IngestError::Unsupported(m) => ApiError::new(ErrorCode::UnsupportedFormat, m),
            IngestError::TooManyColumns(m) => ApiError::new(ErrorCode::TooManyColumns, m),
            IngestError::TooManyRows(m) => ApiError::new(ErrorCode::TooManyRows, m),
            IngestError::WorkbookTooLarge(m) => ApiError::new(ErrorCode::WorkbookTooLarge, m),
            IngestError::Io(e) => ApiError::internal(e),
            IngestError::Internal(m) => ApiError::internal(m),
        }
    }
}

impl From<PluginError> for ApiError {
    fn from(err: PluginError) -> Self {
        let code = err.kind();
        tracing::warn!(error = %err, code = code.as_str(), "plugin call failed");
        ApiError::new(code, err.to_string())
    }
}

impl From<PluginAdminError> for ApiError {
    fn from(err: PluginAdminError) -> Self {
        match err {
            PluginAdminError::NotFound(_) => ApiError::new(ErrorCode::NotFound, err.to_string()),
            PluginAdminError::Conflict(_) => ApiError::new(ErrorCode::Conflict, err.to_string()),
            PluginAdminError::Invalid(_) => {
                ApiError::new(ErrorCode::InvalidPlugin, err.to_string())
            }
            PluginAdminError::ApprovalRequired { .. } => {
                ApiError::new(ErrorCode::ApprovalRequired, err.to_string())
            }
            PluginAdminError::Db(e) => e.into(),
        }
    }
}

impl From<ExportError> for ApiError {
    fn from(err: ExportError) -> Self {
        match err {
            ExportError::Invalid(message) => ApiError::validation(message),
            ExportError::Plugin(e) => e.into(),
            other => ApiError::internal(other),
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(err: QueueError) -> Self {
        match err {
            QueueError::UnknownFormat(_) => {
                ApiError::new(ErrorCode::UnknownFormat, err.to_string())
            }
            QueueError::NoSuchVersion(_) => ApiError::new(ErrorCode::NotFound, err.to_string()),
            QueueError::Withdrawn(withdrawn) => withdrawn.into(),
            QueueError::Export(export) => export.into(),
            QueueError::Db(db) => db.into(),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(err: AccessError) -> Self {
        match err {
            AccessError::NotVisible => ApiError::not_found("dataset"),
            AccessError::Insufficient { .. } => ApiError::forbidden(err.to_string()),
            AccessError::Policy(policy) => policy.into(),
            AccessError::Db(db) => db.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::Invalid(message) => ApiError::validation(message),
            AccountError::NotFound => ApiError::not_found("user"),
            AccountError::LastAdmin => ApiError::conflict(err.to_string()),
            AccountError::Db(db) => db.into(),
            AccountError::Hashing(cause) => ApiError::internal(cause),
            AccountError::ResetLink(refusal) => {
                ApiError::new(ErrorCode::NotFound, refusal.to_string())
            }
        }
    }
}

impl From<LinkError> for ApiError {
    fn from(err: LinkError) -> Self {
        let code = match err {
            LinkError::Policy(policy) => return policy.into(),
            LinkError::Db(db) => return db.into(),
            LinkError::Throttled(seconds) => return ApiError::too_many_attempts(seconds),
            LinkError::TokenBusy => {
                return ApiError {
                    retry_after: Some(1),
                    ..ApiError::new(ErrorCode::TooManyAttempts, err.to_string())
                };
            }
            LinkError::Expiry(expiry) => return expiry.into(),
            LinkError::Busy(busy) => return busy.into(),
            LinkError::Hashing(_) | LinkError::Minting(_) | LinkError::Sealing(_) => {
                return ApiError::internal(err);
            }
            _ => err.kind(),
        };
        ApiError::new(code, err.to_string())
    }
}

impl From<SharingError> for ApiError {
    fn from(err: SharingError) -> Self {
        match err {
            SharingError::Invalid(message) => ApiError::validation(message),
            SharingError::NotFound => ApiError::not_found("share"),
            SharingError::Db(db) => db.into(),
        }
    }
}

impl From<DatasetError> for ApiError {
    fn from(err: DatasetError) -> Self {
        match err {
            DatasetError::Storage(cause) => ApiError::internal(cause),
            DatasetError::NotOwner | DatasetError::NotAdmin => ApiError::forbidden(err.to_string()),
            DatasetError::Invalid(message) => ApiError::validation(message),
            DatasetError::NotInTrash => ApiError::not_found("dataset in the trash"),
            DatasetError::SchemaChanged { .. } => ApiError::new(
                ErrorCode::SchemaChanged,
                format!(
                    "{err}; to make it the new version anyway, upload it again with \
                     confirm_schema_change=true"
                ),
            ),
            DatasetError::NoSuchVersion(_) => ApiError::new(ErrorCode::NotFound, err.to_string()),
            DatasetError::Withdrawn(withdrawn) => withdrawn.into(),
            DatasetError::CurrentVersion(_) => ApiError::conflict(err.to_string()),
            DatasetError::Team(team) => team.into(),
            DatasetError::Db(db) => db.into(),
        }
    }
}

impl From<crate::datasets::Withdrawn> for ApiError {
    fn from(withdrawn: crate::datasets::Withdrawn) -> Self {
        ApiError::new(ErrorCode::VersionWithdrawn, withdrawn.to_string())
    }
}

impl From<TeamError> for ApiError {
    fn from(err: TeamError) -> Self {
        match err {
            TeamError::NotFound => ApiError::not_found("team"),
            TeamError::NoSuchMember => ApiError::not_found("team member"),
            TeamError::NotAnOwner | TeamError::NotAMember(_) => {
                ApiError::forbidden(err.to_string())
            }
            TeamError::LastOwner => ApiError::conflict(err.to_string()),
            TeamError::NoSuchUser(_) | TeamError::NoSuchTeam(_) => {
                ApiError::validation(err.to_string())
            }
            TeamError::Invalid(message) => ApiError::validation(message),
            TeamError::Db(db) => db.into(),
        }
    }
}

impl From<GroupError> for ApiError {
    fn from(err: GroupError) -> Self {
        match err {
            GroupError::NotFound => ApiError::not_found("group"),
            GroupError::NoSuchMember => ApiError::not_found("group member"),
            GroupError::ManagedNeedsAdmin
            | GroupError::ManagedByAdmins
            | GroupError::NotTheManager => ApiError::forbidden(err.to_string()),
            GroupError::NoSuchUser(_) => ApiError::validation(err.to_string()),
            GroupError::Invalid(message) => ApiError::validation(message),
            GroupError::Db(db) => db.into(),
        }
    }
}

impl From<TokenError> for ApiError {
    fn from(err: TokenError) -> Self {
        match err {
            TokenError::Invalid(message) => ApiError::validation(message),
            TokenError::AdminScope
            | TokenError::ScopeBeyondParent(_)
            | TokenError::ExpiryBeyondParent(_) => ApiError::forbidden(err.to_string()),
            TokenError::NotFound => ApiError::not_found("token"),
            TokenError::Db(db) => db.into(),
        }
    }
}

impl From<Busy> for ApiError {
    fn from(busy: Busy) -> Self {
        tracing::warn!("password hashing is saturated; a request was turned away");
        ApiError {
            code: ErrorCode::Unavailable,
            message: format!(
                "the server is busy checking passwords; try again in {}",
                crate::human::wait_in_words(busy.retry_after)
            ),
            retry_after: Some(busy.retry_after),
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(err: SignInError) -> Self {
        match err {
            SignInError::Throttled { seconds } => ApiError::too_many_attempts(seconds),
            SignInError::Busy(busy) => busy.into(),
            SignInError::WrongCredentials => {
                ApiError::new(ErrorCode::InvalidCredentials, err.to_string())
            }
            SignInError::Deactivated => ApiError::forbidden(err.to_string()),
            SignInError::Db(db) => db.into(),
        }
    }
}

impl From<crate::explore::ExploreError> for ApiError {
    fn from(err: crate::explore::ExploreError) -> Self {
        use crate::explore::ExploreError;
        match err {
            ExploreError::Invalid(message) => ApiError::new(ErrorCode::ValidationFailed, message),
            other @ ExploreError::Data(_) => ApiError::internal(other),
        }
    }
}

impl From<crate::notifications::NotificationError> for ApiError {
    fn from(err: crate::notifications::NotificationError) -> Self {
        use crate::notifications::NotificationError;
        match err {
            NotificationError::Invalid(message) => ApiError::validation(message),
            NotificationError::NotFound => ApiError::new(ErrorCode::NotFound, "not found"),
            NotificationError::Db(db) => db.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failed export job records the failure's own name; the API must call it the same.
    #[test]
    fn a_failed_jobs_code_is_the_catalogues() {
        let failures = [
            ExportError::Invalid("x".into()),
            ExportError::Data("x".into()),
            ExportError::Cancelled,
            ExportError::Plugin(PluginError::Trapped("x".into())),
            ExportError::Plugin(PluginError::Timeout(1)),
            ExportError::Plugin(PluginError::MemoryLimit(1)),
            ExportError::Plugin(PluginError::DiskLimit(1)),
            ExportError::Plugin(PluginError::BadOutput("x".into())),
            ExportError::Plugin(PluginError::InvalidOptions("x".into())),
            ExportError::Plugin(PluginError::Failed("x".into())),
            ExportError::Plugin(PluginError::Load("x".into())),
        ];
        for failure in failures {
            let kind = failure.kind();
            assert_eq!(ApiError::from(failure).code, kind);
        }
    }

    /// Teams, groups and API tokens answered with these codes and sentences while their
    /// handlers decided for themselves; their domain errors must answer the same (issue 15).
    #[test]
    fn team_group_and_token_refusals_answer_as_before() {
        let answers: Vec<(ApiError, u16, &str)> = vec![
            (TeamError::NotFound.into(), 404, "team not found"),
            (TeamError::NoSuchMember.into(), 404, "team member not found"),
            (
                TeamError::NotAnOwner.into(),
                403,
                "only the team's owners can manage its members",
            ),
            (
                TeamError::LastOwner.into(),
                409,
                "a team needs at least one owner",
            ),
            (
                TeamError::NoSuchUser("x@example.org".into()).into(),
                422,
                "there is no user 'x@example.org'",
            ),
            (
                TeamError::NoSuchTeam("Limnology".into()).into(),
                422,
                "there is no team 'Limnology'",
            ),
            (
                TeamError::NotAMember("Limnology".into()).into(),
                403,
                "you are not a member of team 'Limnology'",
            ),
            (GroupError::NotFound.into(), 404, "group not found"),
            (
                GroupError::NoSuchMember.into(),
                404,
                "group member not found",
            ),
            (
                GroupError::ManagedNeedsAdmin.into(),
                403,
                "only site admins create admin-managed groups",
            ),
            (
                GroupError::ManagedByAdmins.into(),
                403,
                "only site admins change an admin-managed group",
            ),
            (
                GroupError::NotTheManager.into(),
                403,
                "only the group's creator or a site admin can change it",
            ),
            (
                GroupError::NoSuchUser("x".into()).into(),
                422,
                "there is no user 'x'",
            ),
            (
                TokenError::AdminScope.into(),
                403,
                "only site admins can create tokens with the admin scope",
            ),
            (
                TokenError::ScopeBeyondParent("write").into(),
                403,
                "this API token cannot create a token with the 'write' scope, which it does not hold",
            ),
            (
                TokenError::ExpiryBeyondParent("2027-01-31T12:00:00Z".into()).into(),
                403,
                "this API token expires at 2027-01-31T12:00:00Z; it cannot create a token that lives longer",
            ),
            (TokenError::NotFound.into(), 404, "token not found"),
        ];
        for (api, status, sentence) in answers {
            assert_eq!(api.code.status().as_u16(), status, "{sentence}");
            assert_eq!(api.message, sentence);
        }
    }

    /// A link's refusal is logged under its own name; the API must call it the same, and say
    /// the same sentence.
    #[test]
    fn a_link_refusals_name_is_the_catalogues() {
        let refusals = [
            LinkError::NoSuchLink,
            LinkError::NotFound("link"),
            LinkError::InvalidToken("x".into()),
            LinkError::Refused("x".into()),
            LinkError::Expired("2026-01-01T00:00:00Z".into()),
            LinkError::UsedUp("x".into()),
            LinkError::Suspended,
            LinkError::PasswordRequired,
            LinkError::Throttled(5),
            LinkError::TokenBusy,
            LinkError::Invalid("x".into()),
            LinkError::Expiry(crate::time::ExpiryError::Past),
            LinkError::Revoked,
            LinkError::ExportNotDone(crate::db::export_jobs::JobStatus::Running),
            LinkError::Busy(Busy { retry_after: 2 }),
            LinkError::AddressNotKept,
            LinkError::AddressSealed(crate::links::address::UnsealError::WrongKey),
        ];
        for refusal in refusals {
            let (kind, sentence) = (refusal.kind(), refusal.to_string());
            let api = ApiError::from(refusal);
            assert_eq!(api.code, kind);
            assert_eq!(api.message, sentence);
        }
    }
}
