//! Datasets and their versions: a converted upload becomes a new dataset, or the next version of
//! one; its metadata changes; it is trashed, restored or deleted. The Parquet file is stored first and the rows committed after it, so that a committed
//! version always has its file; a failure at either step leaves neither behind. A version's
//! number is fixed inside the transaction that adds it, so concurrent uploads to one dataset get
//! consecutive numbers. A deleted dataset goes to the trash first ([`trash`]), from which its
//! owner restores it or deletes it for good ([`restore`], [`purge`], [`empty_trash`]). Who may upload is decided above (`crate::http::access`), and how an
//! upload is read and converted beneath (`crate::ingest`).
//!
//! A version is never rewritten (issue 16): one can be withdrawn (its file deleted, its row
//! and SHA-256 kept, its data no longer served: [`served`] says so wherever data is read), and
//! an older one made current again as a new version copying its file ([`restore`]).

use crate::access::audit::{self, AuditEvent};
use crate::access::{Caller, Level};
use crate::activity::{self, Actor, Event, EventKind};
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::{Dataset, DatasetChanges};
use crate::db::{AnyConnection, Database, DbError, new_id, write_transaction};
use crate::ingest::schema::SchemaChange;
use crate::ingest::{ColumnInfo, IngestSummary, Ingested, SourceFormat};
use crate::storage::Storage;
use crate::teams::{self, TeamError};

/// Why a dataset or a version could not be added.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The data folder refused the file (full disk, permissions): nothing was committed.
    #[error("cannot store the dataset's file: {0}")]
    Storage(String),
    /// Deleting a dataset is its owner's or a site admin's alone.
    #[error("only the dataset's owner or a site admin may delete it")]
    NotOwner,
    /// The dataset is not in the trash, or not in the caller's (their own, or every one for a
    /// site admin).
    #[error("no such dataset in the trash")]
    NotInTrash,
    /// Moving a dataset to another team, or out of one, takes `admin` on it.
    #[error("only the dataset's owner can move it to another team")]
    NotAdmin,
    /// A metadata field breaks its rule: the sentence says which.
    #[error("{0}")]
    Invalid(String),
    /// A new version's columns differ from the current version's, and the uploader did not
    /// confirm that they meant it (issue 16): readers and links that follow the latest version
    /// would otherwise meet other columns unannounced.
    #[error("the columns differ from version {version}'s: {}", change.describe())]
    SchemaChanged { version: i32, change: SchemaChange },
    /// The dataset has no version of this number.
    #[error("version {0} of this dataset not found")]
    NoSuchVersion(i32),
    /// The version asked for was withdrawn: its data is no longer served.
    #[error(transparent)]
    Withdrawn(#[from] Withdrawn),
    /// The current version cannot be withdrawn: the dataset would have none to serve.
    #[error(
        "version {0} is the current version; make another one current first (restore an older \
         version or upload a new one), then withdraw it"
    )]
    CurrentVersion(i32),
    /// The team it was to move to is unknown, or not the caller's.
    #[error(transparent)]
    Team(#[from] TeamError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Why a version's data is not served: its owner (or an admin of the dataset) withdrew it.
#[derive(Debug, Clone)]
pub struct Withdrawn {
    pub version: i32,
    /// When, in Unix milliseconds.
    pub at: i64,
    pub reason: Option<String>,
}

impl std::fmt::Display for Withdrawn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "version {} of this dataset was withdrawn on {}",
            self.version,
            crate::time::to_rfc3339(self.at)
        )?;
        match &self.reason {
            Some(reason) => write!(f, ", because: {reason}"),
            None => write!(f, "; no reason was given"),
        }
    }
}

impl std::error::Error for Withdrawn {}

/// `version` if its data may be served, or why not: every way a version's rows or files are
/// read (preview, export, rows, links) asks this first.
pub fn served(version: DatasetVersion) -> Result<DatasetVersion, Withdrawn> {
    match version.withdrawn_at {
        Some(at) => Err(Withdrawn {
            version: version.version,
            at,
            reason: version.withdraw_reason,
        }),
        None => Ok(version),
    }
}

/// Version `number` of `dataset_id`, or [`DatasetError::NoSuchVersion`].
fn find_version(
    conn: &mut AnyConnection,
    dataset_id: &str,
    number: i32,
) -> Result<DatasetVersion, DatasetError> {
    DatasetVersion::find(conn, dataset_id, number).map_err(|e| match e {
        DbError::NotFound => DatasetError::NoSuchVersion(number),
        other => other.into(),
    })
}

/// A reason or note as given: trimmed, absent when empty, at most [`MAX_MESSAGE_CHARS`].
fn optional_note(what: &str, text: Option<&str>) -> Result<Option<String>, DatasetError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(DatasetError::Invalid(format!(
            "{what} must be at most {MAX_MESSAGE_CHARS} characters"
        )));
    }
    Ok(Some(text.to_owned()))
}

/// Withdraws version `number` of `dataset` for `caller` (who holds `admin` on it, decided
/// above): its data is no longer served, links pinned to it answer that it was withdrawn, and
/// its file is to be deleted (returned, for the caller to remove once committed); its row and
/// SHA-256 stay, so that what was shared can still be verified. The current version cannot be
/// withdrawn ([`DatasetError::CurrentVersion`]). Withdrawing a withdrawn version changes
/// nothing. Audited (`dataset.version.withdraw`, with the reason).
pub fn withdraw(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: &Dataset,
    number: i32,
    reason: Option<&str>,
    now: i64,
) -> Result<(DatasetVersion, Option<String>), DatasetError> {
    let reason = optional_note("the reason", reason)?;
    write_transaction(conn, |conn| {
        let version = find_version(conn, &dataset.id, number)?;
        if version.withdrawn_at.is_some() {
            return Ok((version, None));
        }
        if Dataset::find(conn, &dataset.id)?.latest_version == number {
            return Err(DatasetError::CurrentVersion(number));
        }
        let withdrawn = DatasetVersion::withdraw(
            conn,
            &dataset.id,
            number,
            &caller.user.id,
            reason.as_deref(),
            now,
        )?;
        audit::record(
            conn,
            now,
            AuditEvent::new(
                audit::actor_user(&caller.user.id),
                "dataset.version.withdraw",
                format!("dataset:{}", dataset.id),
            )
            .detail(serde_json::json!({
                "version": number,
                "sha256": withdrawn.sha256,
                "reason": reason,
            }))
            .address(caller.address.clone()),
        )?;
        let file = withdrawn.file_path.clone();
        Ok((withdrawn, Some(file)))
    })
}

/// The uploaded file as it arrived, beside the rows read from it.
pub struct Upload<'a> {
    pub filename: &'a str,
    pub format: SourceFormat,
    pub bytes: u64,
    /// The uploader's change note for the version it makes (checked by [`change_note`]).
    pub message: &'a str,
}

/// The longest change note a version takes.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// A version's change note as given: trimmed, at most [`MAX_MESSAGE_CHARS`] characters.
pub fn change_note(message: &str) -> Result<String, DatasetError> {
    let message = message.trim();
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(DatasetError::Invalid(format!(
            "message must be at most {MAX_MESSAGE_CHARS} characters"
        )));
    }
    Ok(message.to_owned())
}

/// A dataset about to be made: who owns it, the team that shares it, its name and description.
pub struct NewDataset {
    pub owner_id: String,
    pub team_id: Option<String>,
    pub name: String,
    pub description: String,
}

/// A dataset's name when the upload gives none: the file's name without its extension.
pub fn default_name(filename: &str) -> String {
    let stem = filename
        .rsplit_once('.')
        .map(|(stem, _)| stem)
        .unwrap_or(filename);
    let stem = stem.trim();
    if stem.is_empty() {
        "Untitled dataset".to_owned()
    } else {
        stem.chars().take(200).collect()
    }
}

fn version_row(
    dataset_id: &str,
    version: i32,
    upload: &Upload,
    summary: &IngestSummary,
    user_id: &str,
    now: i64,
) -> Result<DatasetVersion, DatasetError> {
    Ok(DatasetVersion {
        dataset_id: dataset_id.to_owned(),
        version,
        file_path: Storage::version_relative_path(dataset_id, version),
        original_filename: upload.filename.to_owned(),
        source_format: upload.format.as_str().to_owned(),
        row_count: summary.rows,
        schema_json: serde_json::to_string(&summary.columns)
            .map_err(|e| DatasetError::Storage(e.to_string()))?,
        size_bytes: summary.size_bytes,
        source_bytes: upload.bytes as i64,
        sha256: summary.sha256.clone(),
        created_by: Some(user_id.to_owned()),
        created_at: now,
        message: change_note(upload.message)?,
        withdrawn_at: None,
        withdrawn_by: None,
        withdraw_reason: None,
    })
}

/// Moves the converted file to `relative` in the data folder, off the async threads.
async fn persist(
    storage: &Storage,
    ingested: Ingested,
    relative: &str,
) -> Result<(), DatasetError> {
    let storage = storage.clone();
    let relative = relative.to_owned();
    tokio::task::spawn_blocking(move || storage.persist(ingested.parquet, &relative))
        .await
        .map_err(|e| DatasetError::Storage(e.to_string()))?
        .map(|_| ())
        .map_err(|e| DatasetError::Storage(e.to_string()))
}

/// Makes a dataset of the converted upload, as its version 1.
pub async fn create(
    db: &Database,
    storage: &Storage,
    new: NewDataset,
    upload: &Upload<'_>,
    ingested: Ingested,
    now: i64,
) -> Result<(Dataset, DatasetVersion), DatasetError> {
    let dataset = Dataset {
        id: new_id(),
        owner_id: new.owner_id,
        team_id: new.team_id,
        name: new.name,
        description: new.description,
        tags: "[]".into(),
        licence: None,
        latest_version: 1,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        deleted_by: None,
    };
    let version = version_row(
        &dataset.id,
        1,
        upload,
        &ingested.summary,
        &dataset.owner_id,
        now,
    )?;
    persist(storage, ingested, &version.file_path).await?;
    let files = vec![version.file_path.clone()];
    let (made, first) = (dataset.clone(), version.clone());
    let committed = db
        .run(move |conn| {
            write_transaction::<_, DbError, _>(conn, |conn| {
                Dataset::create(conn, &made, &first)?;
                activity::record(
                    conn,
                    now,
                    Event::new(EventKind::DatasetCreated, Actor::user(&made.owner_id))
                        .dataset(&made.id)
                        .payload(serde_json::json!({
                            "name": made.name,
                            "rows": first.row_count,
                            "sha256": first.sha256,
                        })),
                )?;
                Ok(())
            })
        })
        .await;
    if let Err(err) = committed {
        storage.remove_files(&files);
        return Err(err.into());
    }
    Ok((dataset, version))
}

/// The current version of `dataset_id` and how `columns` differ from its columns: what an
/// upload would change, told before it is committed.
pub fn compare_with_current(
    conn: &mut AnyConnection,
    dataset_id: &str,
    columns: &[ColumnInfo],
) -> Result<(DatasetVersion, SchemaChange), DatasetError> {
    let dataset = Dataset::find(conn, dataset_id)?;
    let current = DatasetVersion::find(conn, dataset_id, dataset.latest_version)?;
    let change = SchemaChange::between(
        &crate::ingest::stored_columns(&current.schema_json),
        columns,
    );
    Ok((current, change))
}

/// Adds the converted upload as the dataset's next version; returns it with the dataset's name.
/// Unless `schema_change_confirmed`, an upload whose columns differ from the current version's
/// is refused ([`DatasetError::SchemaChanged`]) and leaves nothing behind.
#[allow(clippy::too_many_arguments)]
pub async fn add_version(
    db: &Database,
    storage: &Storage,
    dataset_id: &str,
    upload: &Upload<'_>,
    ingested: Ingested,
    user_id: &str,
    schema_change_confirmed: bool,
    now: i64,
) -> Result<(DatasetVersion, String), DatasetError> {
    let template = version_row(dataset_id, 0, upload, &ingested.summary, user_id, now)?;
    let columns = (!schema_change_confirmed).then(|| ingested.summary.columns.clone());
    // The version number is fixed inside the transaction, so the file is stored under a
    // provisional name first and renamed once the number is known, before the commit.
    let provisional = provisional_path(dataset_id);
    persist(storage, ingested, &provisional).await?;
    commit_version(db, storage, template, provisional, columns, now, |_, _| {
        Ok(())
    })
    .await
}

/// Makes version `number` of `dataset_id` current again for `caller` (who holds `edit` on it,
/// decided above): a new version copying its file, so nothing is rewritten and the history
/// says what happened, with the change note "Restored version n" and `note` after it. A
/// withdrawn version cannot be restored. Its columns may differ from the current version's:
/// choosing the version is the confirmation. Audited (`dataset.version.restore`).
pub async fn restore_version(
    db: &Database,
    storage: &Storage,
    caller: &Caller,
    dataset_id: &str,
    number: i32,
    note: Option<&str>,
    now: i64,
) -> Result<DatasetVersion, DatasetError> {
    let note = optional_note("the note", note)?;
    let id = dataset_id.to_owned();
    let old = served(db.run(move |conn| find_version(conn, &id, number)).await?)?;
    let message = match &note {
        Some(note) => format!("Restored version {number}: {note}"),
        None => format!("Restored version {number}"),
    };
    let provisional = provisional_path(dataset_id);
    let (from, to) = (
        storage.absolute(&old.file_path),
        storage.absolute(&provisional),
    );
    tokio::task::spawn_blocking(move || std::fs::copy(from, to))
        .await
        .map_err(|e| DatasetError::Storage(e.to_string()))?
        .map_err(|e| DatasetError::Storage(e.to_string()))?;
    let template = DatasetVersion {
        dataset_id: dataset_id.to_owned(),
        version: 0,
        file_path: String::new(),
        created_by: Some(caller.user.id.clone()),
        created_at: now,
        message,
        withdrawn_at: None,
        withdrawn_by: None,
        withdraw_reason: None,
        ..old
    };
    let (actor, address) = (caller.user.id.clone(), caller.address.clone());
    let (version, _) = commit_version(
        db,
        storage,
        template,
        provisional,
        None,
        now,
        move |conn, made| {
            // Withdrawn while its file was copied: the copy must not bring its data back.
            served(find_version(conn, &made.dataset_id, number)?)?;
            audit::record(
                conn,
                now,
                AuditEvent::new(
                    audit::actor_user(&actor),
                    "dataset.version.restore",
                    format!("dataset:{}", made.dataset_id),
                )
                .detail(serde_json::json!({
                    "restored": number,
                    "version": made.version,
                    "sha256": made.sha256,
                    "note": note,
                }))
                .address(address),
            )?;
            Ok(())
        },
    )
    .await?;
    Ok(version)
}

/// Where a version's file waits, in the dataset's folder, until its number is known.
fn provisional_path(dataset_id: &str) -> String {
    format!("datasets/{dataset_id}/incoming-{}.parquet", new_id())
}

/// Commits `template` as the dataset's next version, its file moved from `provisional` to
/// the version's own path inside the transaction. With `unchanged_columns`, the new version
/// must have the current one's columns, checked in the same transaction; `also` runs in it
/// too, once the version is added (to check more, or audit). On failure the provisional file
/// is removed.
async fn commit_version(
    db: &Database,
    storage: &Storage,
    template: DatasetVersion,
    provisional: String,
    unchanged_columns: Option<Vec<ColumnInfo>>,
    now: i64,
    also: impl FnOnce(&mut AnyConnection, &DatasetVersion) -> Result<(), DatasetError> + Send + 'static,
) -> Result<(DatasetVersion, String), DatasetError> {
    let (store, from) = (storage.clone(), provisional.clone());
    let result = db
        .run(move |conn| {
            crate::db::write_transaction::<_, DatasetError, _>(conn, |conn| {
                let id = template.dataset_id.clone();
                let checked = match &unchanged_columns {
                    Some(columns) => {
                        let (current, change) = compare_with_current(conn, &id, columns)?;
                        if !change.is_empty() {
                            return Err(DatasetError::SchemaChanged {
                                version: current.version,
                                change,
                            });
                        }
                        Some(current.version)
                    }
                    None => None,
                };
                let version = Dataset::add_version(
                    conn,
                    &id,
                    |number| DatasetVersion {
                        version: number,
                        file_path: Storage::version_relative_path(&id, number),
                        ..template
                    },
                    now,
                )?;
                // Another version committed between the check and this one: the check was
                // against a version that is no longer the current one.
                if checked.is_some_and(|current| version.version != current + 1) {
                    return Err(DbError::Conflict(
                        "another version was uploaded at the same time; try again".into(),
                    )
                    .into());
                }
                also(conn, &version)?;
                let actor = version
                    .created_by
                    .as_deref()
                    .map_or(Actor::System, Actor::user);
                activity::record(
                    conn,
                    now,
                    Event::new(EventKind::DatasetVersionAdded, actor)
                        .dataset(&id)
                        .payload(serde_json::json!({
                            "version": version.version,
                            "rows": version.row_count,
                            "sha256": version.sha256,
                            "message": version.message,
                        })),
                )?;
                // A failed rename rolls the new row back with it.
                std::fs::rename(store.absolute(&from), store.absolute(&version.file_path))
                    .map_err(|e| DatasetError::Storage(e.to_string()))?;
                let name = Dataset::find(conn, &id)?.name;
                Ok((version, name))
            })
        })
        .await;
    if result.is_err() {
        storage.remove_files(&[provisional]);
    }
    result
}

/// Whether `caller` may trash, restore or purge `dataset`, and the rule that says so: only its
/// owner or a site admin. `admin` through a share or a team lets people share and change a
/// dataset, but removing it takes every version away from its owner, which no one else may
/// decide.
fn removal_rule(caller: &Caller, dataset: &Dataset) -> Option<&'static str> {
    if dataset.owner_id == caller.user.id {
        Some("the owner deletes their dataset")
    } else if caller.is_admin() {
        Some("site admins manage every dataset")
    } else {
        None
    }
}

fn removal_event(caller: &Caller, action: &'static str, dataset_id: &str) -> AuditEvent {
    AuditEvent::new(
        audit::actor_user(&caller.user.id),
        action,
        format!("dataset:{dataset_id}"),
    )
    .address(caller.address.clone())
}

/// Moves the dataset to the trash (`DELETE /api/v1/datasets/{id}`): from then on it is gone
/// from every list, search, access decision, link and export, but its owner (or a site admin)
/// can restore it until the trash sweep deletes it for good, `trash_days` later
/// ([`empty_trash`]). Only its owner or a site admin ([`removal_rule`]). Audited
/// (`dataset.trash`), refusals too.
pub fn trash(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: &Dataset,
    now: i64,
) -> Result<(), DatasetError> {
    let event = removal_event(caller, "dataset.trash", &dataset.id);
    let Some(rule) = removal_rule(caller, dataset) else {
        tracing::info!(
            decision = "deny",
            user = %caller.user.id,
            dataset = %dataset.id,
            reason = "neither the owner nor a site admin",
            "dataset deletion refused"
        );
        let refusal = DatasetError::NotOwner;
        audit::record(
            conn,
            now,
            event
                .outcome("denied")
                .detail(serde_json::json!({"reason": refusal.to_string()})),
        )?;
        return Err(refusal);
    };
    write_transaction(conn, |conn| {
        Dataset::trash(conn, &dataset.id, &caller.user.id, now)?;
        audit::record(conn, now, event.detail(serde_json::json!({"rule": rule})))?;
        activity::record(
            conn,
            now,
            Event::new(EventKind::DatasetDeleted, Actor::user(&caller.user.id))
                .dataset(&dataset.id)
                .payload(serde_json::json!({"name": dataset.name, "to_trash": true})),
        )?;
        Ok(())
    })
}

/// The dataset `id` in the trash, if `caller` may restore or purge it; anyone else is told
/// it is not there, as a dataset they cannot see.
fn trashed_for(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<(Dataset, &'static str), DatasetError> {
    let dataset = Dataset::find_trashed(conn, id).map_err(|e| match e {
        DbError::NotFound => DatasetError::NotInTrash,
        other => other.into(),
    })?;
    match removal_rule(caller, &dataset) {
        Some(rule) => Ok((dataset, rule)),
        None => Err(DatasetError::NotInTrash),
    }
}

/// Takes the dataset `id` out of the trash, with its versions, shares, team and links as they
/// were. Its owner or a site admin. Audited (`dataset.restore`).
pub fn restore_from_trash(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    now: i64,
) -> Result<Dataset, DatasetError> {
    write_transaction(conn, |conn| {
        let (dataset, rule) = trashed_for(conn, caller, id)?;
        let restored = Dataset::restore(conn, &dataset.id)?;
        activity::record(
            conn,
            now,
            Event::new(EventKind::DatasetRestored, Actor::user(&caller.user.id))
                .dataset(&dataset.id)
                .payload(serde_json::json!({"name": dataset.name})),
        )?;
        audit::record(
            conn,
            now,
            removal_event(caller, "dataset.restore", &dataset.id)
                .detail(serde_json::json!({"rule": rule})),
        )?;
        Ok(restored)
    })
}

/// Deletes the dataset `id`, which is in the trash, for good, with its versions, shares, links
/// and export jobs; returns the files to remove once the rows are gone (were that interrupted,
/// the start-up sweep finds them unreferenced). Its owner or a site admin. Audited
/// (`dataset.purge`).
pub fn purge(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    now: i64,
) -> Result<Vec<String>, DatasetError> {
    write_transaction(conn, |conn| {
        let (dataset, rule) = trashed_for(conn, caller, id)?;
        let files = Dataset::delete(conn, &dataset.id)?;
        audit::record(
            conn,
            now,
            removal_event(caller, "dataset.purge", &dataset.id)
                .detail(serde_json::json!({"rule": rule, "name": dataset.name})),
        )?;
        Ok(files)
    })
}

/// The trash `caller` sees: their own trashed datasets, or every one for a site admin.
pub fn trash_of(conn: &mut AnyConnection, caller: &Caller) -> Result<Vec<Dataset>, DatasetError> {
    let owner = (!caller.is_admin()).then_some(caller.user.id.as_str());
    Ok(Dataset::trashed(conn, owner)?)
}

/// When a dataset trashed at `deleted_at` is deleted for good.
pub fn purge_due(deleted_at: i64, trash_days: u64) -> i64 {
    deleted_at.saturating_add((trash_days as i64).saturating_mul(24 * 3600 * 1000))
}

/// Deletes for good every dataset trashed more than `trash_days` ago (the background sweep);
/// returns the files to remove. Each dataset in its own transaction, audited
/// (`dataset.purge` by `system`), so one failure leaves the others done.
pub fn empty_trash(
    conn: &mut AnyConnection,
    trash_days: u64,
    now: i64,
) -> Result<Vec<String>, DatasetError> {
    let cutoff = now.saturating_sub((trash_days as i64).saturating_mul(24 * 3600 * 1000));
    let mut files = Vec::new();
    for id in Dataset::trashed_before(conn, cutoff)? {
        let removed = write_transaction::<_, DatasetError, _>(conn, |conn| {
            let removed = Dataset::delete(conn, &id)?;
            audit::record(
                conn,
                now,
                AuditEvent::new("system", "dataset.purge", format!("dataset:{id}"))
                    .detail(serde_json::json!({"rule": "the trash keeps a dataset for trash_days", "trash_days": trash_days})),
            )?;
            Ok(removed)
        });
        match removed {
            Ok(removed) => files.extend(removed),
            // Restored or purged by someone else meanwhile.
            Err(DatasetError::Db(DbError::NotFound)) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(files)
}

/// A change to a dataset's metadata, as a request gives it: an absent field (`None`) stays as
/// it is; for the licence and the team, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct MetadataChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub licence: Option<Option<String>>,
    /// A team's id or name.
    pub team: Option<Option<String>>,
}

impl MetadataChange {
    /// The fields checked and cleaned (trimmed, within their lengths, tags without repeats),
    /// as the row takes them; the team is resolved by [`update`].
    fn checked(&self, now: i64) -> Result<DatasetChanges, DatasetError> {
        let text = |what, value: &str, max| {
            crate::human::required_text(what, value, max).map_err(DatasetError::Invalid)
        };
        let mut changes = DatasetChanges {
            updated_at: now,
            ..Default::default()
        };
        if let Some(name) = &self.name {
            changes.name = Some(text("name", name, 200)?);
        }
        if let Some(description) = &self.description {
            if description.chars().count() > 10_000 {
                return Err(DatasetError::Invalid(
                    "description must be at most 10000 characters".into(),
                ));
            }
            changes.description = Some(description.trim().to_owned());
        }
        if let Some(tags) = &self.tags {
            if tags.len() > 50 {
                return Err(DatasetError::Invalid("at most 50 tags".into()));
            }
            let mut clean: Vec<String> = Vec::new();
            for tag in tags {
                let tag = text("a tag", tag, 64)?;
                if !clean.contains(&tag) {
                    clean.push(tag);
                }
            }
            changes.tags = Some(
                serde_json::to_string(&clean).map_err(|e| DatasetError::Storage(e.to_string()))?,
            );
        }
        if let Some(licence) = &self.licence {
            changes.licence = Some(match licence {
                Some(licence) => Some(text("licence", licence, 200)?),
                None => None,
            });
        }
        Ok(changes)
    }
}

/// Changes `dataset`'s metadata for `caller`, who holds `held` on it (at least `edit`, decided
/// above). Moving it to another team, or out of one, takes `admin` and membership of the new
/// team, since it changes who reaches the dataset. The same change twice leaves the same
/// metadata. Audited (`dataset.update`, with the fields changed).
pub fn update(
    conn: &mut AnyConnection,
    caller: &Caller,
    held: Level,
    dataset: &Dataset,
    change: &MetadataChange,
    now: i64,
) -> Result<Dataset, DatasetError> {
    let mut changes = change.checked(now)?;
    // Only a change is checked against the SPDX list: a licence written before the check
    // existed still shows, and saving the other fields with it unchanged keeps it.
    if let Some(Some(licence)) = &changes.licence
        && dataset.licence.as_deref() != Some(licence.as_str())
    {
        let licence = crate::licences::checked(licence).map_err(DatasetError::Invalid)?;
        changes.licence = Some(Some(licence));
    }
    if let Some(team) = &change.team {
        if held < Level::Admin {
            return Err(DatasetError::NotAdmin);
        }
        changes.team_id = Some(match team {
            Some(reference) => Some(teams::named(conn, caller, reference)?.id),
            None => None,
        });
    }
    let fields: Vec<&str> = [
        ("name", change.name.is_some()),
        ("description", change.description.is_some()),
        ("tags", change.tags.is_some()),
        ("licence", change.licence.is_some()),
        ("team", change.team.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, given)| given.then_some(field))
    .collect();
    write_transaction(conn, |conn| {
        let updated = Dataset::update(conn, &dataset.id, &changes)?;
        audit::record(
            conn,
            now,
            AuditEvent::new(
                audit::actor_user(&caller.user.id),
                "dataset.update",
                format!("dataset:{}", dataset.id),
            )
            .detail(serde_json::json!({"fields": fields, "team": updated.team_id}))
            .address(caller.address.clone()),
        )?;
        Ok(updated)
    })
}
