//! The one error catalogue of the HTTP API.
//!
//! Every failure a client can see has a stable snake_case [`ErrorCode`] (named beneath, in
//! [`crate::error_code`], so that a failed job or a refused link records the same name) with
//! its HTTP status here,
//! and reaches the wire in one shape: `{"error": {"code": "...", "message": "..."}}`. Lower
//! layers (database, storage, ingest) have their own error types and convert into [`ApiError`]
//! here, once. An internal error tells the client only "internal error"; its cause goes to the
//! log. Each domain error enum becomes a catalogue entry in [`domain`], once.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

mod domain;

pub use crate::error_code::ErrorCode;

/// Each code's HTTP status: the transport's own reading of the catalogue.
impl ErrorCode {
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            BadRequest | InvalidJson | EmptyFile | MalformedFile | RaggedRows => {
                StatusCode::BAD_REQUEST
            }
            ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            Unauthenticated | InvalidCredentials | InvalidToken | PasswordRequired => {
                StatusCode::UNAUTHORIZED
            }
            LinkExpired | LinkUsedUp | LinkSuspended => StatusCode::GONE,
            CsrfTokenMissing | Forbidden | InsufficientScope => StatusCode::FORBIDDEN,
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Conflict | SchemaChanged => StatusCode::CONFLICT,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType | UnsupportedFormat => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            TooManyUploads => StatusCode::TOO_MANY_REQUESTS,
            UploadsBusy => StatusCode::SERVICE_UNAVAILABLE,
            UploadTooSlow => StatusCode::REQUEST_TIMEOUT,
            TooManyColumns | TooManyRows | WorkbookTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnknownFormat => StatusCode::NOT_FOUND,
            Gone | VersionWithdrawn => StatusCode::GONE,
            RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            InvalidExportOptions | InvalidPlugin => StatusCode::UNPROCESSABLE_ENTITY,
            ApprovalRequired => StatusCode::CONFLICT,
            // The plugin, not the request, failed: a bad gateway in HTTP's words.
            PluginTrapped | PluginTimeout | PluginMemoryLimit | PluginDiskLimit
            | PluginBadOutput | PluginFailed => StatusCode::BAD_GATEWAY,
            Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds after which a throttled client may try again.
    pub retry_after: Option<u64>,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `ragged_rows`.
    pub code: ErrorCode,
    /// A sentence for a person.
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationFailed, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "sign in, or send an API token as 'Authorization: Bearer <token>'",
        )
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn too_many_attempts(retry_after: u64) -> Self {
        Self {
            code: ErrorCode::TooManyAttempts,
            message: format!(
                "too many failed attempts; try again in {}",
                crate::human::wait_in_words(retry_after)
            ),
            retry_after: Some(retry_after),
        }
    }

    /// An unexpected failure: logged with its cause, shown to the client as "internal error".
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.insert_header((RETRY_AFTER, value));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
            },
        })
    }
}

/// A row the request names that does not exist: "`what` not found" (`404`), any other
/// database failure as itself.
pub fn not_found_as(err: crate::db::DbError, what: &str) -> ApiError {
    match err {
        crate::db::DbError::NotFound => ApiError::not_found(what),
        other => other.into(),
    }
}

/// JSON bodies that fail to parse answer in the catalogue's shape too.
pub fn json_error_handler(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    let api = match &err {
        JsonPayloadError::ContentType => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with 'Content-Type: application/json'",
        ),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(ErrorCode::PayloadTooLarge, "the JSON body is too large")
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::new(ErrorCode::InvalidJson, format!("invalid JSON body: {e}"))
        }
        other => ApiError::new(
            ErrorCode::InvalidJson,
            format!("invalid JSON body: {other}"),
        ),
    };
    api.into()
}

/// Query strings that fail to parse, likewise.
pub fn query_error_handler(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::bad_request(format!("invalid query string: {err}")).into()
}

/// Path segments that fail to parse, likewise.
pub fn path_error_handler(
    err: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::new(ErrorCode::NotFound, format!("not found: {err}")).into()
}
