//! What an administrator does to plugins at run time: install, enable, disable, remove. Shared
//! by the admin API and the `tessera plugin` commands, which both end in the `plugins` table;
//! every replica's registry follows that table (see [`super::registry`]).
//!
//! Installing proves the component first: it must parse, be a component implementing a
//! supported world for its kind, describe itself under the manifest's id and carry a valid
//! options (or, for a notifier, settings) schema.
//! A plugin that asks for access beyond memory and time (a scratch folder, say) stays disabled
//! until an administrator enables it with that access approved; the approval is recorded with
//! the plugin, and a new version asking for more is disabled again until approved again.
//!
//! Each change made by a site admin through the API (`by`) is audited in its transaction
//! (`admin.plugin.*`); the command line passes no one, its operator holding the server's files.

use sha2::{Digest, Sha256};

use super::capabilities::Grants;
use super::error::PluginError;
use super::manifest::{Capabilities, Manifest, Stored};
use super::registry::PluginRegistry;
use crate::access::Caller;
use crate::access::audit;
use crate::db::plugin_components::PluginComponent;
use crate::db::plugins::{PluginRecord, SOURCE_FOLDER, SOURCE_INSTALLED};
use crate::db::{AnyConnection, DbError, write_transaction};

/// The largest component an administrator may upload.
pub const MAX_COMPONENT_BYTES: usize = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum PluginAdminError {
    #[error("there is no plugin '{0}'")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("plugin '{id}' asks for {}; enable it with approval of that access", requests.join(", "))]
    ApprovalRequired { id: String, requests: Vec<String> },
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// What to do with a plugin once it is installed.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstallOptions {
    pub enable: bool,
    /// Approve the access the manifest asks for.
    pub approve: bool,
}

/// Checks and stores a plugin; replaces an installed plugin of the same id. Returns its row.
pub fn install(
    conn: &mut AnyConnection,
    registry: &PluginRegistry,
    manifest_toml: &str,
    component: &[u8],
    by: Option<&Caller>,
    options: InstallOptions,
    now: i64,
) -> Result<PluginRecord, PluginAdminError> {
    let manifest: Manifest = toml::from_str(manifest_toml)
        .map_err(|e| PluginAdminError::Invalid(format!("plugin.toml: {e}")))?;
    manifest.validate().map_err(PluginAdminError::Invalid)?;
    // What it asks of the host's capabilities, checked by their units with nothing approved
    // yet: a request no approval could grant is refused here.
    let unapproved = Grants::validate(&manifest, None).map_err(PluginAdminError::Invalid)?;
    if component.len() > MAX_COMPONENT_BYTES {
        return Err(PluginAdminError::Invalid(format!(
            "the component is {} MiB; the most is {} MiB",
            component.len() >> 20,
            MAX_COMPONENT_BYTES >> 20
        )));
    }
    let existing = PluginRecord::find(conn, &manifest.id)?;
    if let Some(existing) = &existing
        && existing.source == SOURCE_FOLDER
    {
        return Err(PluginAdminError::Conflict(format!(
            "plugin '{}' ships in the server's plugins folder; replace it there",
            manifest.id
        )));
    }
    // Prove it loads, with nothing granted, before anything is stored.
    let checked = registry
        .prepare(manifest.clone(), component, unapproved, SOURCE_INSTALLED)
        .map_err(|e| PluginAdminError::Invalid(load_failure(&e)))?;
    drop(checked);

    let requests = manifest.capabilities.access_requests();
    let previously_approved: Option<Capabilities> = existing
        .as_ref()
        .and_then(|r| r.approved.as_deref())
        .and_then(|a| serde_json::from_str(a).ok());
    let approved = if options.approve {
        Some(manifest.capabilities.clone())
    } else if manifest
        .capabilities
        .approved_by(previously_approved.as_ref())
    {
        previously_approved
    } else {
        None
    };
    let covered = requests.is_empty() || manifest.capabilities.approved_by(approved.as_ref());
    let wants_enabled = options.enable || existing.as_ref().is_some_and(|r| r.enabled);
    if options.enable && !covered {
        return Err(PluginAdminError::ApprovalRequired {
            id: manifest.id.clone(),
            requests,
        });
    }
    let sha256 = hex::encode(Sha256::digest(component));
    let record = PluginRecord {
        id: manifest.id.clone(),
        source: SOURCE_INSTALLED.into(),
        kind: manifest.kind.as_str().into(),
        version: manifest.version.clone(),
        manifest: serde_json::to_string(&manifest).unwrap_or_default(),
        component_sha256: sha256.clone(),
        enabled: wants_enabled && covered,
        approved: approved
            .as_ref()
            .and_then(|a| serde_json::to_string(a).ok()),
        installed_by: by.map(|caller| caller.user.id.clone()),
        created_at: existing.as_ref().map_or(now, |r| r.created_at),
        updated_at: now,
    };
    write_transaction::<_, DbError, _>(conn, |conn| {
        PluginComponent::store(
            conn,
            &PluginComponent {
                sha256,
                bytes: component.to_vec(),
                size_bytes: component.len() as i64,
                created_at: now,
            },
        )?;
        PluginRecord::save(conn, &record)?;
        PluginComponent::remove_unreferenced(conn)?;
        audited(
            conn,
            by,
            "admin.plugin.install",
            &record.id,
            serde_json::json!({"version": record.version, "enabled": record.enabled, "approve": options.approve}),
        )
    })?;
    tracing::info!(plugin = %record.id, version = %record.version, enabled = record.enabled, by = ?record.installed_by, "plugin installed");
    Ok(record)
}

/// Enables a plugin; `approve` approves the access its manifest asks for.
pub fn enable(
    conn: &mut AnyConnection,
    by: Option<&Caller>,
    id: &str,
    approve: bool,
    now: i64,
) -> Result<PluginRecord, PluginAdminError> {
    let record =
        PluginRecord::find(conn, id)?.ok_or_else(|| PluginAdminError::NotFound(id.into()))?;
    let manifest = Stored::read(&record)
        .map_err(PluginAdminError::Invalid)?
        .manifest;
    let approved: Option<String> = if approve {
        serde_json::to_string(&manifest.capabilities).ok()
    } else {
        record.approved.clone()
    };
    let approved_caps: Option<Capabilities> = approved
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok());
    if !manifest.capabilities.approved_by(approved_caps.as_ref()) {
        return Err(PluginAdminError::ApprovalRequired {
            id: id.into(),
            requests: manifest.capabilities.access_requests(),
        });
    }
    write_transaction::<_, DbError, _>(conn, |conn| {
        PluginRecord::set_enabled(conn, id, true, approved.as_deref(), now)?;
        audited(
            conn,
            by,
            "admin.plugin.enable",
            id,
            serde_json::json!({"approve": approve}),
        )
    })?;
    tracing::info!(plugin = %id, "plugin enabled");
    PluginRecord::find(conn, id)?.ok_or_else(|| PluginAdminError::NotFound(id.into()))
}

/// Disables a plugin: no new export uses it; exports already running finish.
pub fn disable(
    conn: &mut AnyConnection,
    by: Option<&Caller>,
    id: &str,
    now: i64,
) -> Result<PluginRecord, PluginAdminError> {
    let record =
        PluginRecord::find(conn, id)?.ok_or_else(|| PluginAdminError::NotFound(id.into()))?;
    write_transaction::<_, DbError, _>(conn, |conn| {
        PluginRecord::set_enabled(conn, id, false, record.approved.as_deref(), now)?;
        audited(conn, by, "admin.plugin.disable", id, serde_json::json!({}))
    })?;
    tracing::info!(plugin = %id, "plugin disabled");
    PluginRecord::find(conn, id)?.ok_or_else(|| PluginAdminError::NotFound(id.into()))
}

/// Removes an installed plugin and its component. A plugin from the plugins folder cannot be
/// removed here: it would come back at the next start; disable it, or delete its folder.
pub fn remove(
    conn: &mut AnyConnection,
    by: Option<&Caller>,
    id: &str,
) -> Result<(), PluginAdminError> {
    let record =
        PluginRecord::find(conn, id)?.ok_or_else(|| PluginAdminError::NotFound(id.into()))?;
    if record.source == SOURCE_FOLDER {
        return Err(PluginAdminError::Conflict(format!(
            "plugin '{id}' ships in the server's plugins folder; disable it instead, or delete its folder"
        )));
    }
    write_transaction::<_, DbError, _>(conn, |conn| {
        PluginRecord::delete(conn, id)?;
        PluginComponent::remove_unreferenced(conn)?;
        audited(conn, by, "admin.plugin.remove", id, serde_json::json!({}))
    })?;
    tracing::info!(plugin = %id, "plugin removed");
    Ok(())
}

/// The audit entry of a change `by` made to plugin `id`, when someone made it through the API.
fn audited(
    conn: &mut AnyConnection,
    by: Option<&Caller>,
    action: &'static str,
    id: &str,
    detail: serde_json::Value,
) -> Result<(), DbError> {
    if let Some(caller) = by {
        audit::caller_action(conn, caller, action, format!("plugin:{id}"), detail)?;
    }
    Ok(())
}

fn load_failure(err: &PluginError) -> String {
    match err {
        PluginError::Load(reason) => reason.clone(),
        other => format!("the component failed when asked to describe itself: {other}"),
    }
}
