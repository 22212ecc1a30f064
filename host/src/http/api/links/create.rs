use actix_web::{HttpRequest, HttpResponse, web};

use super::{LinkCreatedView, NewLinkRequest, created_view, new_link, public_base};
use crate::http::access::{Admin, OnDataset, OnExport, ShareFile, deferred};
use crate::http::error::ApiResult;
use crate::links::create::{self, ExportFile};
use crate::state::AppState;
use crate::time::now_millis;

/// Creates a share link to a dataset (needs admin on it, as sharing does).
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access), and the link keeps
/// needing it: it acts with its creator's rights at each request, and is suspended while they
/// lack them. `level` `view` opens the page, the metadata and the first rows; `download` the
/// file in any allowed format. The terms are checked before anything is stored (`422`: a
/// version, format or column that does not exist, a limit on a view link, `self_destruct`
/// without a limit or an expiry, a password under 6 characters). The answer holds the slug's
/// address and a Biscuit token, shown this once (only hashes are stored). Audited
/// (`link.create`). Not idempotent: each call makes a new link.
#[utoipa::path(post, path = "/api/v1/datasets/{id}/links", tag = "sharing", params(("id" = String, Path)),
    request_body(content = NewLinkRequest, example = json!({
        "level": "download",
        "expires_in": 86400,
        "max_downloads": 2,
        "password": "tide-pool-7",
        "formats": ["csv", "xlsx"],
        "name": "For the review panel"
    })),
    responses(
    (status = 201, body = LinkCreatedView),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn create_dataset_link(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: deferred::Json<NewLinkRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?.into_inner();
    let OnDataset {
        dataset, caller, ..
    } = on;
    let base = public_base(&state, &req);
    let installed: Vec<String> = state
        .plugins
        .list()
        .iter()
        .map(|p| p.manifest.id.clone())
        .collect();
    let app = state.clone();
    let view = state
        .db
        .run(move |conn| {
            let new = new_link(&body);
            let created = create::dataset_link(
                conn,
                &app.link_keys(),
                &caller,
                &dataset,
                &installed,
                &new,
                now_millis(),
            )?;
            created_view(conn, &app.access, created, &base)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Creates a download link to a finished export's file (for whoever ran the export, or an
/// admin of the dataset).
///
/// Whoever ran the export may share its file while they keep `view` on the dataset; anyone
/// else needs `admin` on it (`403` with less, `404` without any access), and the link keeps
/// needing that level. The export must be done (`409` while queued or running, or when failed,
/// cancelled or expired). `level` must be `download`, and `formats`, `columns` and `version`
/// do not apply: the file is fixed (`422`). The file is served with `Range` support, so a
/// broken download resumes. Audited (`link.create`). Not idempotent.
#[utoipa::path(post, path = "/api/v1/exports/{id}/links", tag = "sharing", params(("id" = String, Path)),
    request_body(content = NewLinkRequest, example = json!({
        "level": "download",
        "expires_in": 604800,
        "max_downloads": 3,
        "self_destruct": true
    })),
    responses(
    (status = 201, body = LinkCreatedView),
    (status = 409, description = "`conflict`: the export is not done", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn create_export_link(
    on: OnExport<ShareFile>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: deferred::Json<NewLinkRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?.into_inner();
    // Whoever ran the export shares its file with the view that let them run it; anyone else
    // needs admin. The link needs the same level for as long as it lives.
    let OnExport {
        job,
        dataset,
        caller,
        needed: needs,
        ..
    } = on;
    let base = public_base(&state, &req);
    let app = state.clone();
    let view = state
        .db
        .run(move |conn| {
            let file = ExportFile {
                job: &job,
                dataset: &dataset,
                needs,
            };
            let new = new_link(&body);
            let created =
                create::export_link(conn, &app.link_keys(), &caller, file, &new, now_millis())?;
            created_view(conn, &app.access, created, &base)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}
