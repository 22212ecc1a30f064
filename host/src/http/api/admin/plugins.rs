//! Plugin administration for site admins: every plugin with its state, install, enable (and
//! approve what it asks for), disable, remove. The work is in [`crate::plugins::admin`]; each
//! handler ends by bringing this process's registry in line, and other replicas follow within
//! [`crate::background::PLUGIN_SYNC_INTERVAL`].

use crate::access::audit;
use crate::db::write_transaction;
use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AdminCaller;
use crate::db::plugins::PluginRecord;
use crate::http::access::deferred;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::plugins::admin::{self, InstallOptions, MAX_COMPONENT_BYTES};
use crate::state::AppState;
use crate::time::now_millis;

/// A plugin as an administrator sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "markdown",
    "name": "Markdown table",
    "version": "0.1.0",
    "kind": "exporter",
    "api_version": "0.1.0",
    "author": "Tessera",
    "description": "A GitHub-flavoured Markdown table",
    "source": "folder",
    "enabled": true,
    "loaded": true,
    "load_error": null,
    "component_sha256": "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e",
    "memory_mb": 64,
    "time_ms": 30000,
    "scratch_mb": 0,
    "access_requests": [],
    "access_approved": true,
    "installed_by": null,
    "updated_at": 1772443200000_i64
})))]
pub struct AdminPluginView {
    pub id: String,
    pub name: String,
    pub version: String,
    /// `exporter`, the one kind there is.
    pub kind: String,
    pub api_version: String,
    pub author: String,
    pub description: String,
    #[schema(value_type = crate::http::views::vocabulary::PluginSource)]
    pub source: String,
    pub enabled: bool,
    /// Whether this server process has the plugin loaded and ready.
    pub loaded: bool,
    /// Why it is not loaded, when it is not.
    pub load_error: Option<String>,
    /// SHA-256 of the component, hex.
    pub component_sha256: String,
    pub memory_mb: u64,
    pub time_ms: u64,
    pub scratch_mb: u64,
    /// What the manifest asks for beyond memory and time, in words.
    pub access_requests: Vec<String>,
    /// Whether an administrator approved all of it.
    pub access_approved: bool,
    /// The user id of the admin who installed it (`null` for the plugins folder's).
    pub installed_by: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub updated_at: i64,
}

impl AdminPluginView {
    fn new(state: &AppState, record: PluginRecord) -> ApiResult<Self> {
        let crate::plugins::manifest::Stored { manifest, approved } =
            crate::plugins::manifest::Stored::read(&record).map_err(ApiError::internal)?;
        let loaded = state.plugins.get_any(&record.id);
        let load_error = if loaded.is_some() {
            None
        } else {
            Some(
                state
                    .plugins
                    .failure(&record.id)
                    .unwrap_or_else(|| "not loaded in this process yet".into()),
            )
        };
        Ok(Self {
            access_requests: manifest.capabilities.access_requests(),
            access_approved: manifest.capabilities.approved_by(approved.as_ref()),
            id: record.id,
            name: manifest.name,
            version: record.version,
            kind: record.kind,
            api_version: manifest.api_version,
            author: manifest.author,
            description: manifest.description,
            source: record.source,
            enabled: record.enabled,
            loaded: loaded.is_some(),
            load_error,
            component_sha256: record.component_sha256,
            memory_mb: manifest.capabilities.memory_mb,
            time_ms: manifest.capabilities.time_ms,
            scratch_mb: manifest.capabilities.scratch_mb,
            installed_by: record.installed_by,
            updated_at: record.updated_at,
        })
    }
}

/// Applies a change to this process at once, then describes the plugin.
async fn synced_view(state: &AppState, id: String) -> ApiResult<AdminPluginView> {
    let sync_state = state.clone();
    let record = state
        .db
        .run(move |conn| {
            sync_state.plugins.sync(conn, now_millis())?;
            PluginRecord::find(conn, &id)?.ok_or_else(|| ApiError::not_found("plugin"))
        })
        .await?;
    AdminPluginView::new(state, record)
}

/// Every plugin, enabled or not, with its state.
///
/// Site admins only (`admin` scope). Whether this process has each plugin loaded, why not when
/// it has not, and what each asks for beyond memory and time. Not paged. Changes nothing.
#[utoipa::path(get, path = "/api/v1/admin/plugins", tag = "admin", responses(
    (status = 200, body = Vec<AdminPluginView>),
    (status = 403, body = crate::http::error::ErrorBody),
))]
pub async fn list_admin_plugins(
    _admin: AdminCaller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<AdminPluginView>>> {
    let records = state.db.run(PluginRecord::list).await?;
    let views = records
        .into_iter()
        .map(|r| AdminPluginView::new(&state, r))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(views))
}

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
    let user_id = admin.0.user.id.clone();
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
                Some(&user_id),
                options,
                now_millis(),
            )
            .map_err(ApiError::from)
        })
        .await?;
    let (target, detail) = (
        format!("plugin:{}", record.id),
        serde_json::json!({"version": record.version, "enabled": record.enabled, "approve": options.approve}),
    );
    state
        .db
        .run(move |conn| {
            audit::caller_action(conn, &admin.0, "admin.plugin.install", target, detail)
        })
        .await?;
    let view = synced_view(&state, record.id).await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"approve": true})))]
pub struct EnablePluginRequest {
    /// Approve the access the plugin's manifest asks for; needed when it asks for any that
    /// was not approved before.
    #[serde(default)]
    pub approve: bool,
}

/// Enables a plugin, approving what it asks for when told to.
///
/// Site admins only (`admin` scope). The body may be left out; one that is sent must be this
/// object, unknown fields refused (`400`). A plugin asking for access that no admin approved
/// needs `approve: true` (`409 approval_required` otherwise). Idempotent. Audited
/// (`admin.plugin.enable`); new exports may use it at once here, within seconds elsewhere.
#[utoipa::path(post, path = "/api/v1/admin/plugins/{id}/enable", tag = "admin",
    params(("id" = String, Path, description = "The plugin's id, e.g. `csv`")),
    request_body(content = Option<EnablePluginRequest>),
    responses(
        (status = 200, body = AdminPluginView),
        (status = 404, body = crate::http::error::ErrorBody),
        (status = 409, description = "the plugin asks for access that is not approved", body = crate::http::error::ErrorBody),
    ))]
pub async fn enable_plugin(
    admin: AdminCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: deferred::Bytes,
) -> ApiResult<web::Json<AdminPluginView>> {
    let body = body.read().await?;
    let id = id.into_inner();
    // The body is optional, but one that is sent must parse: an `Option<Json<_>>` extractor
    // would read a misspelt `aprove` as no body at all (issue 14, item 26).
    let approve = if body.iter().all(u8::is_ascii_whitespace) {
        false
    } else {
        serde_json::from_slice::<EnablePluginRequest>(&body)
            .map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("invalid JSON body: {e}")))?
            .approve
    };
    let target = id.clone();
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                admin::enable(conn, &target, approve, now_millis()).map_err(ApiError::from)?;
                audit::caller_action(
                    conn,
                    &admin.0,
                    "admin.plugin.enable",
                    format!("plugin:{target}"),
                    serde_json::json!({"approve": approve}),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(web::Json(synced_view(&state, id).await?))
}

/// Disables a plugin: new exports cannot use it; exports already running finish.
///
/// Site admins only (`admin` scope). From then on, an export or a link's download asking for
/// its format answers `404 unknown_format`. Idempotent. Audited (`admin.plugin.disable`).
#[utoipa::path(post, path = "/api/v1/admin/plugins/{id}/disable", tag = "admin",
    params(("id" = String, Path, description = "The plugin's id, e.g. `csv`")), responses(
    (status = 200, body = AdminPluginView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn disable_plugin(
    admin: AdminCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<AdminPluginView>> {
    let id = id.into_inner();
    let target = id.clone();
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                admin::disable(conn, &target, now_millis()).map_err(ApiError::from)?;
                audit::caller_action(
                    conn,
                    &admin.0,
                    "admin.plugin.disable",
                    format!("plugin:{target}"),
                    serde_json::json!({}),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(web::Json(synced_view(&state, id).await?))
}

/// Removes an installed plugin. Plugins of the server's plugins folder can only be disabled.
///
/// Site admins only (`admin` scope). Its component is deleted when no other plugin uses it;
/// exports already made stay. A plugin of the plugins folder answers `409`; a second removal,
/// `404`. Audited (`admin.plugin.remove`).
#[utoipa::path(delete, path = "/api/v1/admin/plugins/{id}", tag = "admin",
    params(("id" = String, Path, description = "The plugin's id")), responses(
    (status = 204, description = "Removed"),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, description = "the plugin ships in the plugins folder", body = crate::http::error::ErrorBody),
))]
pub async fn remove_plugin(
    admin: AdminCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let registry = state.plugins.clone();
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                admin::remove(conn, &id).map_err(ApiError::from)?;
                audit::caller_action(
                    conn,
                    &admin.0,
                    "admin.plugin.remove",
                    format!("plugin:{id}"),
                    serde_json::json!({}),
                )?;
                Ok::<_, ApiError>(())
            })?;
            registry.sync(conn, now_millis())?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
