use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::http::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "csv",
    "name": "CSV",
    "version": "0.1.0",
    "kind": "exporter",
    "api_version": "0.1.0",
    "author": "Tessera",
    "description": "Comma-separated values (RFC 4180)",
    "media_type": "text/csv",
    "extension": "csv",
    "options_schema": {
        "type": "object",
        "properties": {"delimiter": {"type": "string", "maxLength": 1}},
        "additionalProperties": false
    },
    "component_sha256": "3b8f1c2d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b",
    "memory_mb": 64,
    "time_ms": 30000
})))]
pub struct PluginView {
    /// The format id used in export URLs, e.g. `csv`; for a notifier, the channel's id.
    pub id: String,
    pub name: String,
    pub version: String,
    /// `exporter` (an export format) or `notifier` (a notification channel).
    pub kind: String,
    pub api_version: String,
    pub author: String,
    pub description: String,
    /// An exporter's `Content-Type`; absent for a notifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = false)]
    pub media_type: Option<String>,
    /// An exporter's file extension; absent for a notifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = false)]
    pub extension: Option<String>,
    /// JSON Schema of an exporter's options; absent for a notifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object, required = false)]
    pub options_schema: Option<serde_json::Value>,
    /// JSON Schema of the settings a person gives a notifier (an address, a URL); absent for
    /// an exporter.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object, required = false)]
    pub settings_schema: Option<serde_json::Value>,
    /// SHA-256 of the component, hex.
    pub component_sha256: String,
    pub memory_mb: u64,
    pub time_ms: u64,
}

/// Installed plugins, with each format's options schema.
///
/// Any signed-in caller: the export formats this server offers now (enabled and loaded), with
/// the JSON Schema each one's `options` must meet, then its notification channels (`kind`
/// `notifier`), with the JSON Schema of each one's settings. Not paged. Changes nothing.
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins", responses((status = 200, body = Vec<PluginView>)))]
pub async fn list_plugins(
    _caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<PluginView>>> {
    let exporters = state.plugins.list().into_iter().map(|p| PluginView {
        id: p.manifest.id.clone(),
        name: p.manifest.name.clone(),
        version: p.manifest.version.clone(),
        kind: p.manifest.kind.as_str().into(),
        api_version: p.manifest.api_version.clone(),
        author: p.manifest.author.clone(),
        description: p.manifest.description.clone(),
        media_type: Some(p.info.media_type.clone()),
        extension: Some(p.info.extension.clone()),
        options_schema: Some(serde_json::from_str(&p.info.options_schema).unwrap_or_default()),
        settings_schema: None,
        component_sha256: p.component_sha256.clone(),
        memory_mb: p.manifest.capabilities.memory_mb,
        time_ms: p.manifest.capabilities.time_ms,
    });
    let notifiers = state.plugins.notifiers().into_iter().map(|p| PluginView {
        id: p.manifest.id.clone(),
        name: p.manifest.name.clone(),
        version: p.manifest.version.clone(),
        kind: p.manifest.kind.as_str().into(),
        api_version: p.manifest.api_version.clone(),
        author: p.manifest.author.clone(),
        description: p.manifest.description.clone(),
        media_type: None,
        extension: None,
        options_schema: None,
        settings_schema: Some(serde_json::from_str(&p.info.settings_schema).unwrap_or_default()),
        component_sha256: p.component_sha256.clone(),
        memory_mb: p.manifest.capabilities.memory_mb,
        time_ms: p.manifest.capabilities.time_ms,
    });
    Ok(web::Json(exporters.chain(notifiers).collect()))
}
