//! The fixed sets of words the API speaks (levels, states, kinds), as OpenAPI enums.
//!
//! Wire types keep these words as strings: the domain parses them and refuses any other with a
//! `422` that names the field, and views copy them from stored rows. These enums exist only
//! for the document (`#[schema(value_type = ...)]` on a field), so that validators and
//! generated clients know the set (issue 14, item 25); a level of access to a dataset is the
//! domain's own `access::Level`, which the document names directly. The integration tests tie
//! each set to the domain's own parser or list, so the document cannot promise a word the
//! server refuses nor leave out one it sends.

#![allow(dead_code)] // Never built: they describe strings for the OpenAPI document.

use utoipa::ToSchema;

/// What a share link grants: `view` (its page, metadata and first rows) or `download` (the
/// file, in any format it allows).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum LinkLevel {
    View,
    Download,
}

/// Where a share link stands: `active`; `expired`; `used_up` (its downloads are spent, or it
/// self-destructed); `revoked`; or `suspended` while its creator lacks the level on the
/// dataset the link needs (it works again if they get it back).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum LinkState {
    Active,
    Expired,
    UsedUp,
    Revoked,
    Suspended,
}

/// What a share link shares: a `dataset`, or one finished `export`'s file.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum LinkItemKind {
    Dataset,
    Export,
}

/// One entry of a link's access log: its page seen or rows read (`view`), its password
/// given (`unlocked`), a download started, completed or broken off, or a request `refused`.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum LinkAccessEvent {
    View,
    Unlocked,
    DownloadStarted,
    DownloadCompleted,
    DownloadBroken,
    Refused,
}

/// A member's role in a team: `owner` (manages its members, holds `admin` on its datasets)
/// or `member` (holds `edit` on its datasets).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum TeamRole {
    Owner,
    Member,
}

/// Whom a share is with: a `user` account, a `group`, a `team`, or an `email` address (which
/// grants to the account holding it, once there is one).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ShareSubjectKind {
    User,
    Group,
    Team,
    Email,
}

/// How an audited action ended: `ok` (done), `granted` or `denied` (an access decision).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum AuditOutcome {
    Ok,
    Granted,
    Denied,
}

/// The form of the audit listing: `json` (a page of entries) or `csv` (every match, as a file).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum AuditFormat {
    Json,
    Csv,
}

/// A policy rule's type: `p` (a permission: subject, object, level) or `g` (a role: subject,
/// role or grant).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum RuleType {
    P,
    G,
}

/// A link-signing key's state: `current` (signs new tokens) or `retired` (tokens it signed no
/// longer verify here).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum KeyStatus {
    Current,
    Retired,
}

/// Where a plugin comes from: the server's plugins `folder`, or `installed` by an admin.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum PluginSource {
    Folder,
    Installed,
}

/// Where an export job stands: `queued`, `running`, `done` (its file can be downloaded),
/// `failed`, `cancelled` or `expired` (its file was removed).
// Listed in the document's components for the export job views to name (`JobView.status`).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
    Expired,
}
