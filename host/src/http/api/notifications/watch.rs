use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::access::{OnDataset, View, deferred};
use crate::http::error::{ApiError, ApiResult};
use crate::notifications::preferences::{self, Watch};
use crate::state::AppState;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[schema(examples(json!({"watch": "follow"})))]
pub struct WatchChoice {
    /// `follow` (told of new versions), `mute` (told nothing about the dataset but shares) or
    /// `none`.
    pub watch: Watch,
}

/// How the caller watches the dataset.
///
/// Needs `view` on the dataset. Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/watch", tag = "notifications", params(("id" = String, Path)), responses(
    (status = 200, body = WatchChoice),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn get_dataset_watch(
    on: OnDataset<View>,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<WatchChoice>> {
    let (user, dataset) = (on.caller.user.id.clone(), on.dataset.id.clone());
    let watch = state
        .db
        .run(move |conn| preferences::watch(conn, &user, &dataset))
        .await?;
    Ok(web::Json(WatchChoice { watch }))
}

/// Follows or mutes the dataset, or goes back to the defaults.
///
/// Needs `view` on the dataset. Following tells the caller of each new version; muting stops
/// every notification about the dataset (its links, exports and versions) but shares.
#[utoipa::path(put, path = "/api/v1/datasets/{id}/watch", tag = "notifications", params(("id" = String, Path)), request_body = WatchChoice, responses(
    (status = 200, body = WatchChoice),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn set_dataset_watch(
    on: OnDataset<View>,
    state: web::Data<AppState>,
    body: deferred::Json<WatchChoice>,
) -> ApiResult<web::Json<WatchChoice>> {
    let watch = body.read().await?.into_inner().watch;
    let (user, dataset) = (on.caller.user.id.clone(), on.dataset.id.clone());
    state
        .db
        .run(move |conn| {
            preferences::set_watch(conn, &user, &dataset, watch)?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(web::Json(WatchChoice { watch }))
}
