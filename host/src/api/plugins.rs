//! The export formats this host offers: every loaded exporter plugin.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PluginView {
    /// The format id used in export URLs, e.g. `csv`.
    pub id: String,
    pub name: String,
    pub version: String,
    pub kind: String,
    pub api_version: String,
    pub author: String,
    pub description: String,
    pub media_type: String,
    pub extension: String,
    /// JSON Schema of the format's options.
    #[schema(value_type = Object)]
    pub options_schema: serde_json::Value,
    /// SHA-256 of the component, hex.
    pub component_sha256: String,
    pub memory_mb: u64,
    pub time_ms: u64,
}

/// Installed plugins, with each format's options schema.
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins", responses((status = 200, body = Vec<PluginView>)))]
pub async fn list_plugins(
    state: web::Data<AppState>,
    _caller: Caller,
) -> ApiResult<web::Json<Vec<PluginView>>> {
    let views = state
        .plugins
        .list()
        .iter()
        .map(|p| PluginView {
            id: p.manifest.id.clone(),
            name: p.manifest.name.clone(),
            version: p.manifest.version.clone(),
            kind: "exporter".into(),
            api_version: p.manifest.api_version.clone(),
            author: p.manifest.author.clone(),
            description: p.manifest.description.clone(),
            media_type: p.info.media_type.clone(),
            extension: p.info.extension.clone(),
            options_schema: serde_json::from_str(&p.info.options_schema).unwrap_or_default(),
            component_sha256: p.component_sha256.clone(),
            memory_mb: p.manifest.capabilities.memory_mb,
            time_ms: p.manifest.capabilities.time_ms,
        })
        .collect();
    Ok(web::Json(views))
}
