//! Installed plugins, what they ask for and what an admin approved.

use actix_web::{HttpResponse, web};

use crate::access::AdminCaller;

use crate::db::plugins::{PluginRecord, SOURCE_INSTALLED};
use crate::http::error::ApiError;
use crate::plugins::manifest::Stored;
use crate::state::AppState;

use crate::http::pages::page::{Page, error_page, respond, user_context};

/// Every plugin, enabled or not: what it is, its state, what its manifest asks for and what an
/// admin approved. Installing, approving, enabling, disabling and removing go through
/// `/api/v1/admin/plugins` from `admin-plugins.js`.
pub async fn admin_plugins_page(
    page: Page<AdminCaller>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Page(AdminCaller(caller)) = page;
    let records = match state.db.run(PluginRecord::list).await {
        Ok(records) => records,
        Err(err) => return error_page(Some(&caller), &ApiError::from(err)),
    };
    let mut plugins = Vec::new();
    for record in records {
        let Stored { manifest, approved } = match Stored::read(&record) {
            Ok(stored) => stored,
            Err(e) => return error_page(Some(&caller), &ApiError::internal(e)),
        };
        let requests = manifest.capabilities.access_requests();
        let covered = manifest.capabilities.approved_by(approved.as_ref());
        let approved_text = if requests.is_empty() {
            "nothing to approve".to_owned()
        } else if covered {
            "all of it".to_owned()
        } else {
            match approved.map(|a| a.access_requests()).unwrap_or_default() {
                some if !some.is_empty() => format!("only {}", some.join(", ")),
                _ => "nothing yet".to_owned(),
            }
        };
        let loaded = state.plugins.is_loaded(&record.id);
        let (state_name, state_text) = match (record.enabled, loaded, covered) {
            (true, true, _) => ("enabled", "enabled".to_owned()),
            (true, false, _) => (
                "failed",
                format!(
                    "enabled, but not loaded: {}",
                    state
                        .plugins
                        .failure(&record.id)
                        .unwrap_or_else(|| "not loaded in this process yet".into())
                ),
            ),
            (false, _, false) => ("pending", "pending approval".to_owned()),
            (false, _, true) => ("disabled", "disabled".to_owned()),
        };
        let limits = format!(
            "{} MiB of memory, {} per export",
            manifest.capabilities.memory_mb,
            seconds(manifest.capabilities.time_ms)
        );
        plugins.push(serde_json::json!({
            "id": record.id,
            "name": manifest.name,
            "version": record.version,
            "kind": record.kind,
            "author": manifest.author,
            "description": manifest.description,
            "source": record.source,
            "removable": record.source == SOURCE_INSTALLED,
            "enabled": record.enabled,
            "state": state_name,
            "state_text": state_text,
            "limits": limits,
            "requests": requests,
            "approved": covered,
            "approved_text": approved_text,
            "sha256": record.component_sha256,
        }));
    }
    respond(
        &caller,
        "admin_plugins.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "admin",
            "admin_page": "plugins",
            "plugins": plugins,
        }),
    )
}

/// `30 s`, `1.5 s`, `10 min`.
fn seconds(millis: u64) -> String {
    if millis >= 60_000 && millis.is_multiple_of(60_000) {
        format!("{} min", millis / 60_000)
    } else if millis.is_multiple_of(1000) {
        format!("{} s", millis / 1000)
    } else {
        format!("{:.1} s", millis as f64 / 1000.0)
    }
}
