use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use futures_util::TryStreamExt;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{AdminPluginView, synced_view};
use crate::access::AdminCaller;
use crate::http::access::deferred;
use crate::http::error::{ApiError, ApiResult};
use crate::plugins::admin::{self, InstallOptions, MAX_COMPONENT_BYTES};
use crate::state::AppState;
use crate::time::now_millis;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InstallQuery {
    /// Enable the plugin at once.
    #[serde(default)]
    pub enable: bool,
    /// Approve the access its manifest asks for (a scratch folder, say).
    #[serde(default)]
    pub approve: bool,
}

/// The multipart form of an install (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct InstallPluginRequest {
    /// The plugin's `plugin.toml`, as UTF-8 text.
    #[schema(value_type = String)]
    manifest: Vec<u8>,
    /// The WebAssembly component the manifest names.
    #[schema(value_type = String, format = Binary)]
    component: Vec<u8>,
}

/// Installs a plugin (or replaces an installed one with the same id) without a restart.
///
/// Site admins only (`admin` scope). The component is checked before anything is stored: it
/// must implement a supported plugin world and describe itself under the manifest's id
/// (`422 invalid_plugin` otherwise, with the reason). Each field may be 64 MiB at most (`413`).
/// A plugin of the server's plugins folder cannot be replaced (`409`). With `enable`, a plugin
/// asking for access beyond memory and time needs `approve` too (`409 approval_required`).
/// Replacing an installed plugin keeps it enabled, and keeps its approval while it asks for no
/// more. Audited (`admin.plugin.install`); other replicas load it within seconds.
#[utoipa::path(post, path = "/api/v1/admin/plugins", tag = "admin", params(InstallQuery),
    request_body(content = InstallPluginRequest, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = AdminPluginView),
        (status = 409, description = "the id belongs to a plugin of the plugins folder, or enabling needs approval", body = crate::http::error::ErrorBody),
        (status = 422, description = "the manifest or component is not acceptable; the message says why", body = crate::http::error::ErrorBody),
    ))]
pub async fn install_plugin(
    admin: AdminCaller,
    state: web::Data<AppState>,
    query: deferred::Query<InstallQuery>,
    mut multipart: Multipart,
) -> ApiResult<HttpResponse> {
    let query = query.read().await?;
    let mut manifest: Option<Vec<u8>> = None;
    let mut component: Option<Vec<u8>> = None;
    while let Some(mut field) = multipart
        .try_next()
        .await
        .map_err(|e| ApiError::bad_request(format!("the upload could not be read: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let slot = match name.as_str() {
            "manifest" => &mut manifest,
            "component" => &mut component,
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown form field '{other}'; expected manifest and component"
                )));
            }
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .try_next()
            .await
            .map_err(|e| ApiError::bad_request(format!("the upload could not be read: {e}")))?
        {
            if bytes.len() + chunk.len() > MAX_COMPONENT_BYTES {
                return Err(ApiError::new(
                    crate::http::error::ErrorCode::PayloadTooLarge,
                    format!("'{name}' is larger than {} MiB", MAX_COMPONENT_BYTES >> 20),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        *slot = Some(bytes);
    }
    let (Some(manifest), Some(component)) = (manifest, component) else {
        return Err(ApiError::bad_request(
            "send multipart/form-data with the fields 'manifest' (plugin.toml) and 'component' (.wasm)",
        ));
    };
    let manifest = String::from_utf8(manifest)
        .map_err(|_| ApiError::bad_request("the manifest is not UTF-8 text"))?;
    let options = InstallOptions {
        enable: query.enable,
        approve: query.approve,
    };
    let registry = state.plugins.clone();
    // Compiling a component is CPU work: off the async threads.
    let record = state
        .db
        .run(move |conn| {
            admin::install(
                conn,
                &registry,
                &manifest,
                &component,
                Some(&admin.0),
                options,
                now_millis(),
            )
            .map_err(ApiError::from)
        })
        .await?;
    let view = synced_view(&state, record.id).await?;
    Ok(HttpResponse::Created().json(view))
}
