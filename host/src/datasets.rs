//! Datasets and their versions: a converted upload becomes a new dataset, or the next version of
//! one. The Parquet file is stored first and the rows committed after it, so that a committed
//! version always has its file; a failure at either step leaves neither behind. A version's
//! number is fixed inside the transaction that adds it, so concurrent uploads to one dataset get
//! consecutive numbers. Who may upload is decided above (`crate::http::access`), and how an
//! upload is read and converted beneath (`crate::ingest`).

use crate::access::Caller;
use crate::access::audit::{self, AuditEvent};
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::Dataset;
use crate::db::{AnyConnection, Database, DbError, new_id, write_transaction};
use crate::ingest::{IngestSummary, Ingested, SourceFormat};
use crate::storage::Storage;

/// Why a dataset or a version could not be added.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The data folder refused the file (full disk, permissions): nothing was committed.
    #[error("cannot store the dataset's file: {0}")]
    Storage(String),
    /// Deleting a dataset is its owner's or a site admin's alone.
    #[error("only the dataset's owner or a site admin may delete it")]
    NotOwner,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The uploaded file as it arrived, beside the rows read from it.
pub struct Upload<'a> {
    pub filename: &'a str,
    pub format: SourceFormat,
    pub bytes: u64,
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
        .run(move |conn| Dataset::create(conn, &made, &first))
        .await;
    if let Err(err) = committed {
        storage.remove_files(&files);
        return Err(err.into());
    }
    Ok((dataset, version))
}

/// Adds the converted upload as the dataset's next version; returns it with the dataset's name.
pub async fn add_version(
    db: &Database,
    storage: &Storage,
    dataset_id: &str,
    upload: &Upload<'_>,
    ingested: Ingested,
    user_id: &str,
    now: i64,
) -> Result<(DatasetVersion, String), DatasetError> {
    let template = version_row(dataset_id, 0, upload, &ingested.summary, user_id, now)?;
    // The version number is fixed inside the transaction, so the file is stored under a
    // provisional name first and renamed once the number is known, before the commit.
    let provisional = format!("datasets/{dataset_id}/incoming-{}.parquet", new_id());
    persist(storage, ingested, &provisional).await?;
    let (store, id, from) = (storage.clone(), dataset_id.to_owned(), provisional.clone());
    let result = db
        .run(move |conn| {
            crate::db::write_transaction::<_, DatasetError, _>(conn, |conn| {
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

/// Deletes the dataset with its versions, shares, links and export jobs; returns the files to
/// remove once the rows are gone (were that interrupted, the start-up sweep finds them
/// unreferenced). Only its owner or a site admin: `admin` through a share or a team lets people
/// share and change a dataset, but removing it takes every version away from its owner, which
/// no one else may decide. Audited (`dataset.delete`), refusals too.
pub fn delete(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: &Dataset,
    now: i64,
) -> Result<Vec<String>, DatasetError> {
    let owner = dataset.owner_id == caller.user.id;
    let event = AuditEvent::new(
        audit::actor_user(&caller.user.id),
        "dataset.delete",
        format!("dataset:{}", dataset.id),
    )
    .address(caller.address.clone());
    if !(caller.is_admin() || owner) {
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
    }
    write_transaction(conn, |conn| {
        let files = Dataset::delete(conn, &dataset.id)?;
        audit::record(
            conn,
            now,
            event.detail(serde_json::json!({
                "rule": if owner {
                    "the owner deletes their dataset"
                } else {
                    "site admins manage every dataset"
                },
            })),
        )?;
        Ok(files)
    })
}
