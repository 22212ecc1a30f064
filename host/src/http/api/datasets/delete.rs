use actix_web::{HttpResponse, web};

use crate::access::audit::{self, AuditEvent};
use crate::db::datasets::Dataset;
use crate::http::access::{OnDataset, View};
use crate::db::write_transaction;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

/// Deletes a dataset with all its versions (its owner or a site admin).
///
/// Only its owner or a site admin: `admin` through a share or a team is not enough (`403`,
/// audited as `dataset.delete` denied), and a caller without any access is told it does not
/// exist (`404`). Its versions (and their files), shares, share links and export jobs go with
/// it. Audited
/// (`dataset.delete`). A second delete answers `404`.
#[utoipa::path(delete, path = "/api/v1/datasets/{id}", tag = "datasets", params(("id" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn delete_dataset(
    // Someone who cannot see the dataset is told it does not exist, as everywhere.
    on: OnDataset<View>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let OnDataset {
        dataset, caller, ..
    } = on;
    let user_id = caller.user.id.clone();
    let files = state
        .db
        .run(move |conn| {
            // Deleting is the owner's or a site admin's alone (docs/api.md): `admin` through a
            // share or a team lets people share and change a dataset, but removing it takes
            // every version away from its owner, which no one else may decide.
            let allowed = caller.is_admin() || dataset.owner_id == caller.user.id;
            let now = now_millis();
            let event = AuditEvent::new(
                audit::actor_user(&caller.user.id),
                "dataset.delete",
                format!("dataset:{}", dataset.id),
            )
            .address(caller.address.clone());
            if !allowed {
                tracing::info!(
                    decision = "deny",
                    user = %caller.user.id,
                    dataset = %dataset.id,
                    reason = "neither the owner nor a site admin",
                    "dataset deletion refused"
                );
                audit::record(
                    conn,
                    now,
                    event.outcome("denied").detail(serde_json::json!({
                        "reason": "only the dataset's owner or a site admin may delete it",
                    })),
                )?;
                return Err(ApiError::forbidden(
                    "only the dataset's owner or a site admin may delete it",
                ));
            }
            write_transaction(conn, |conn| {
                let files = Dataset::delete(conn, &dataset.id)?;
                audit::record(
                    conn,
                    now,
                    event.detail(serde_json::json!({
                        "rule": if dataset.owner_id == caller.user.id {
                            "the owner deletes their dataset"
                        } else {
                            "site admins manage every dataset"
                        },
                    })),
                )?;
                Ok::<_, ApiError>(files)
            })
        })
        .await?;
    // The rows are gone; the files follow. Were this interrupted, the start-up sweep would
    // find the files unreferenced and remove them.
    let storage = state.storage.clone();
    web::block(move || storage.remove_files(&files)).await?;
    tracing::info!(user = %user_id, "dataset deleted");
    Ok(HttpResponse::NoContent().finish())
}
