//! The stable names of failures: what a client matches on in an API error (`code`), what a
//! failed export job and a refused link record. They live beneath every layer so that the
//! domain names a failure with the same word the API answers with; which HTTP status each
//! stands for is the transport's business (`crate::http::error`).

use serde::Serialize;
use utoipa::ToSchema;

/// Stable, documented error codes. Clients match on these, never on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    InvalidJson,
    ValidationFailed,
    Unauthenticated,
    InvalidCredentials,
    CsrfTokenMissing,
    Forbidden,
    InsufficientScope,
    NotFound,
    MethodNotAllowed,
    Conflict,
    /// A new version's columns differ from the current one's, and the upload did not confirm it.
    SchemaChanged,
    PayloadTooLarge,
    UnsupportedMediaType,
    UnsupportedFormat,
    EmptyFile,
    MalformedFile,
    RaggedRows,
    TooManyAttempts,
    TooManyUploads,
    UploadsBusy,
    UploadTooSlow,
    TooManyColumns,
    TooManyRows,
    WorkbookTooLarge,
    UnknownFormat,
    Gone,
    /// The dataset version asked for was withdrawn: its data is no longer served.
    VersionWithdrawn,
    RangeNotSatisfiable,
    InvalidExportOptions,
    InvalidToken,
    PasswordRequired,
    LinkExpired,
    LinkUsedUp,
    /// The link's creator no longer holds the access the link needs.
    LinkSuspended,
    InvalidPlugin,
    ApprovalRequired,
    PluginTrapped,
    PluginTimeout,
    PluginMemoryLimit,
    PluginDiskLimit,
    PluginBadOutput,
    PluginFailed,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// The code as clients read it, e.g. `link_used_up`.
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "internal".to_owned())
    }
}
