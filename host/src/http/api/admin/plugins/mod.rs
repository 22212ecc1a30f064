//! Plugin administration for site admins: every plugin with its state, install, enable (and
//! approve what it asks for), disable, remove. The work is in [`crate::plugins::admin`]; each
//! handler ends by bringing this process's registry in line, and other replicas follow within
//! [`crate::background::PLUGIN_SYNC_INTERVAL`].

pub mod disable;
pub mod enable;
pub mod install;
pub mod list;
pub mod remove;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::plugins::PluginRecord;
use crate::http::error::{ApiError, ApiResult};
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
    /// `exporter` or `notifier`.
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
        let loaded = state.plugins.is_loaded(&record.id);
        let load_error = if loaded {
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
            loaded,
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
