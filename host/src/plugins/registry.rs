//! The plugins this process has loaded, by format id, kept in step with the `plugins` table.
//!
//! Two sources feed it. The plugins folder (`plugins_dir`) holds the plugins shipped with the
//! server: at start every `<plugins_dir>/<id>/plugin.toml` is read, its component compiled (or
//! taken from the compilation cache) and asked to describe itself; a plugin that fails any step
//! is skipped with a logged reason and the rest load. Placing a plugin there is the operator's
//! approval of what its manifest asks for. Plugins installed at run time by an administrator
//! live in the database, component and all, with the capabilities the administrator approved.
//!
//! [`PluginRegistry::sync`] brings this process in line with the database: it records folder
//! plugins that have no row yet, loads installed plugins that are new or changed, drops removed
//! ones, and takes every plugin's enabled flag from its row. Each replica runs it at start,
//! after its own changes and every few seconds, so a plugin installed or disabled through one
//! replica is soon installed or disabled on all, without a restart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};

use super::PluginError;
use super::exporter::{ExportSession, ExporterPluginPre, FormatInfo, validate_info};
use super::manifest::{Capabilities, Manifest};
use super::runtime::PluginRuntime;
use crate::db::AnyConnection;
use crate::db::plugin_components::PluginComponent;
use crate::db::plugins::{PluginRecord, SOURCE_FOLDER, SOURCE_INSTALLED};

/// A compiled plugin, ready to instantiate.
pub struct LoadedPlugin {
    pub manifest: Manifest,
    /// What this plugin's instances get: the manifest's requests, less anything not approved.
    pub grant: Capabilities,
    pub info: FormatInfo,
    /// Hex SHA-256 of the component file.
    pub component_sha256: String,
    /// `folder` or `installed`.
    pub source: &'static str,
    pub pre: ExporterPluginPre<super::runtime::Sandbox>,
    /// The plugin's options schema, compiled; every export's options are checked against it
    /// before the plugin sees them.
    options_validator: Arc<jsonschema::Validator>,
}

/// The kind of file an export makes: its `Content-Type` and file extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputKind {
    pub media_type: String,
    pub extension: String,
}

impl LoadedPlugin {
    /// The kind of file an export with these options makes: the manifest's first
    /// `[[exporter.outputs]]` that matches them, else what `describe()` said.
    pub fn output(&self, options: Option<&serde_json::Value>) -> OutputKind {
        let empty = serde_json::Value::Object(Default::default());
        let options = options.unwrap_or(&empty);
        match self
            .manifest
            .exporter
            .outputs
            .iter()
            .find(|variant| variant.matches(options))
        {
            Some(variant) => OutputKind {
                media_type: variant.media_type.clone(),
                extension: variant.extension.clone(),
            },
            None => OutputKind {
                media_type: self.info.media_type.clone(),
                extension: self.info.extension.clone(),
            },
        }
    }

    /// Checks export options against the plugin's schema, naming every problem and where.
    pub fn validate_options(&self, options: &serde_json::Value) -> Result<(), PluginError> {
        // Only read on refusal: the schema's own words for a property help the person fix it.
        let schema: serde_json::Value =
            serde_json::from_str(&self.info.options_schema).unwrap_or_default();
        let problems: Vec<String> = self
            .options_validator
            .iter_errors(options)
            .take(10)
            .map(|error| {
                let path = error.instance_path().to_string();
                let what = match error.kind() {
                    // The default text quotes the whole sub-schema, which explains nothing.
                    jsonschema::error::ValidationErrorKind::Not { .. } => {
                        format!("{} is not accepted", error.instance())
                    }
                    _ => error.to_string(),
                };
                let hint = path
                    .strip_prefix('/')
                    .filter(|name| !name.contains('/'))
                    .and_then(|name| schema["properties"][name]["description"].as_str());
                match (path.is_empty(), hint) {
                    (true, _) => format!("options: {what}"),
                    (false, Some(hint)) => format!("options{path}: {what} ({hint})"),
                    (false, None) => format!("options{path}: {what}"),
                }
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(PluginError::InvalidOptions(problems.join("; ")))
        }
    }
}

#[derive(Default)]
struct Loaded {
    /// Every plugin compiled in this process, enabled or not.
    plugins: BTreeMap<String, Arc<LoadedPlugin>>,
    /// Ids whose database row says enabled. Before the first sync, every folder plugin.
    enabled: BTreeSet<String>,
    /// Why an installed plugin could not be loaded here, by id, with the component hash that
    /// failed (a new upload is tried again).
    failures: BTreeMap<String, (String, String)>,
    /// Folders of the plugins folder that did not load, and why.
    folder_failures: Vec<(PathBuf, String)>,
}

#[derive(Clone)]
pub struct PluginRegistry {
    pub runtime: PluginRuntime,
    loaded: Arc<RwLock<Loaded>>,
}

impl PluginRegistry {
    pub fn new(runtime: PluginRuntime) -> Self {
        Self {
            runtime,
            loaded: Arc::default(),
        }
    }

    /// Loads every plugin folder under `dir`; returns the ids loaded and the failures.
    pub fn load_dir(&self, dir: &Path) -> (Vec<String>, Vec<(PathBuf, PluginError)>) {
        let mut loaded = Vec::new();
        let mut failed = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return (loaded, failed);
        };
        let mut folders: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        folders.sort();
        for folder in folders {
            match self.load_folder(&folder) {
                Ok(id) => loaded.push(id),
                Err(err) => {
                    tracing::warn!(folder = %folder.display(), error = %err, "plugin not loaded");
                    failed.push((folder, err));
                }
            }
        }
        if let Ok(mut state) = self.loaded.write() {
            state.folder_failures = failed
                .iter()
                .map(|(folder, err)| (folder.clone(), err.to_string()))
                .collect();
        }
        (loaded, failed)
    }

    /// Loads (or replaces) the plugin in one folder, enabled until a sync says otherwise.
    pub fn load_folder(&self, folder: &Path) -> Result<String, PluginError> {
        let manifest = Manifest::read(&folder.join("plugin.toml")).map_err(PluginError::Load)?;
        let bytes = std::fs::read(folder.join(&manifest.component))
            .map_err(|e| PluginError::Load(format!("{}: {e}", manifest.component)))?;
        let grant = manifest.capabilities.clone();
        let plugin = self.prepare(manifest, &bytes, grant, SOURCE_FOLDER)?;
        let id = plugin.manifest.id.clone();
        tracing::info!(plugin = %id, version = %plugin.manifest.version, sha256 = %plugin.component_sha256, "plugin loaded");
        if let Ok(mut loaded) = self.loaded.write() {
            loaded.plugins.insert(id.clone(), Arc::new(plugin));
            loaded.enabled.insert(id.clone());
        }
        Ok(id)
    }

    /// Compiles a component, checks that it implements the exporter world, asks it to
    /// describe itself and compiles its options schema: everything short of running an export.
    pub fn prepare(
        &self,
        manifest: Manifest,
        bytes: &[u8],
        grant: Capabilities,
        source: &'static str,
    ) -> Result<LoadedPlugin, PluginError> {
        let component = self.runtime.compile(bytes)?;
        let linker = self.runtime.linker()?;
        let instance_pre = linker.instantiate_pre(&component).map_err(|e| {
            PluginError::Load(format!("the component does not fit this host: {e:#}"))
        })?;
        let pre = ExporterPluginPre::new(instance_pre).map_err(|e| {
            PluginError::Load(format!(
                "the component does not implement the tessera:plugin@{} exporter world: {e:#}",
                manifest.api_version
            ))
        })?;
        // Describing needs no scratch folder, whatever the plugin will get for exports.
        let describe_grant = Capabilities {
            scratch_mb: 0,
            ..grant.clone()
        };
        let mut store = self.runtime.store(&describe_grant)?;
        let bindings = pre
            .instantiate(&mut store)
            .map_err(|e| super::runtime::classify(e, store.data()))?;
        let info = ExportSession::from_parts(store, bindings).describe()?;
        validate_info(&info, &manifest.id)?;
        let options_validator = Arc::new(compile_options_schema(&info)?);
        Ok(LoadedPlugin {
            component_sha256: hex::encode(Sha256::digest(bytes)),
            info,
            manifest,
            grant,
            source,
            pre,
            options_validator,
        })
    }

    /// An enabled plugin by format id.
    pub fn get(&self, id: &str) -> Option<Arc<LoadedPlugin>> {
        let loaded = self.loaded.read().ok()?;
        if !loaded.enabled.contains(id) {
            return None;
        }
        loaded.plugins.get(id).cloned()
    }

    /// A plugin by id, enabled or not.
    pub fn get_any(&self, id: &str) -> Option<Arc<LoadedPlugin>> {
        self.loaded.read().ok()?.plugins.get(id).cloned()
    }

    /// The enabled plugins, by id.
    pub fn list(&self) -> Vec<Arc<LoadedPlugin>> {
        self.loaded
            .read()
            .map(|l| {
                l.plugins
                    .values()
                    .filter(|p| l.enabled.contains(&p.manifest.id))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Why the installed plugin `id` could not be loaded in this process, if it could not.
    pub fn failure(&self, id: &str) -> Option<String> {
        self.loaded
            .read()
            .ok()?
            .failures
            .get(id)
            .map(|(_, reason)| reason.clone())
    }

    /// Folders of the plugins folder that did not load at start, and why.
    pub fn folder_failures(&self) -> Vec<(PathBuf, String)> {
        self.loaded
            .read()
            .map(|l| l.folder_failures.clone())
            .unwrap_or_default()
    }

    /// Brings this process in line with the `plugins` table (see the module docs).
    pub fn sync(&self, conn: &mut AnyConnection, now: i64) -> Result<(), crate::db::DbError> {
        let records: BTreeMap<String, PluginRecord> = PluginRecord::list(conn)?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();

        // Folder plugins without a row get one: enabled, with what they ask for approved.
        let folder_plugins: Vec<Arc<LoadedPlugin>> = self
            .loaded
            .read()
            .map(|l| {
                l.plugins
                    .values()
                    .filter(|p| p.source == SOURCE_FOLDER)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let mut records = records;
        for plugin in folder_plugins {
            let id = &plugin.manifest.id;
            let record = records.get(id);
            let stale = record.is_some_and(|r| {
                r.source == SOURCE_FOLDER && r.component_sha256 != plugin.component_sha256
            });
            if record.is_none() || stale {
                let record = PluginRecord {
                    id: id.clone(),
                    source: SOURCE_FOLDER.into(),
                    kind: "exporter".into(),
                    version: plugin.manifest.version.clone(),
                    manifest: serde_json::to_string(&plugin.manifest).unwrap_or_default(),
                    component_sha256: plugin.component_sha256.clone(),
                    enabled: record.is_none_or(|r| r.enabled),
                    approved: serde_json::to_string(&plugin.manifest.capabilities).ok(),
                    installed_by: None,
                    created_at: record.map_or(now, |r| r.created_at),
                    updated_at: now,
                };
                PluginRecord::save(conn, &record)?;
                records.insert(id.clone(), record);
            }
        }

        // Installed plugins: load the new and the changed, forget the removed.
        let mut to_load = Vec::new();
        let mut to_drop = Vec::new();
        if let Ok(loaded) = self.loaded.read() {
            for record in records.values().filter(|r| r.source == SOURCE_INSTALLED) {
                let current = loaded.plugins.get(&record.id);
                let grant = grant_of(record);
                let changed = current.is_none_or(|p| {
                    p.component_sha256 != record.component_sha256
                        || grant.as_ref().is_ok_and(|g| *g != p.grant)
                });
                let failed_before = loaded
                    .failures
                    .get(&record.id)
                    .is_some_and(|(sha, _)| *sha == record.component_sha256);
                if changed && !failed_before {
                    to_load.push(record.clone());
                }
            }
            for plugin in loaded.plugins.values() {
                let gone = match records.get(&plugin.manifest.id) {
                    None => plugin.source == SOURCE_INSTALLED,
                    Some(r) => r.source != plugin.source,
                };
                if gone {
                    to_drop.push(plugin.manifest.id.clone());
                }
            }
        }
        let mut loaded_now = Vec::new();
        let mut failures = Vec::new();
        for record in to_load {
            match self.load_record(conn, &record) {
                Ok(plugin) => loaded_now.push(plugin),
                Err(err) => {
                    tracing::warn!(plugin = %record.id, error = %err, "installed plugin not loaded");
                    failures.push((
                        record.id.clone(),
                        (record.component_sha256.clone(), err.to_string()),
                    ));
                }
            }
        }

        if let Ok(mut loaded) = self.loaded.write() {
            for id in to_drop {
                loaded.plugins.remove(&id);
                tracing::info!(plugin = %id, "plugin removed");
            }
            for plugin in loaded_now {
                let id = plugin.manifest.id.clone();
                tracing::info!(plugin = %id, version = %plugin.manifest.version, sha256 = %plugin.component_sha256, "installed plugin loaded");
                loaded.failures.remove(&id);
                loaded.plugins.insert(id, Arc::new(plugin));
            }
            for (id, reason) in failures {
                loaded.failures.insert(id, reason);
            }
            loaded.failures.retain(|id, _| {
                records
                    .get(id)
                    .is_some_and(|r| r.source == SOURCE_INSTALLED)
            });
            loaded.enabled = records
                .values()
                .filter(|r| r.enabled)
                .map(|r| r.id.clone())
                .collect();
        }
        Ok(())
    }

    fn load_record(
        &self,
        conn: &mut AnyConnection,
        record: &PluginRecord,
    ) -> Result<LoadedPlugin, PluginError> {
        let manifest: Manifest = serde_json::from_str(&record.manifest)
            .map_err(|e| PluginError::Load(format!("stored manifest: {e}")))?;
        let grant = grant_of(record)?;
        let bytes = PluginComponent::bytes(conn, &record.component_sha256)
            .map_err(|e| PluginError::Load(format!("reading the component: {e}")))?
            .ok_or_else(|| PluginError::Load("the component is missing".into()))?;
        self.prepare(manifest, &bytes, grant, SOURCE_INSTALLED)
    }
}

/// What an installed plugin's instances get: its manifest's requests, each only as far as the
/// approval recorded with it allows.
fn grant_of(record: &PluginRecord) -> Result<Capabilities, PluginError> {
    let manifest: Manifest = serde_json::from_str(&record.manifest)
        .map_err(|e| PluginError::Load(format!("stored manifest: {e}")))?;
    let approved: Option<Capabilities> = record
        .approved
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| PluginError::Load(format!("stored approval: {e}")))?;
    Ok(manifest.capabilities.granted(approved.as_ref()))
}

/// Compiles a plugin's options schema (JSON Schema draft 2020-12).
fn compile_options_schema(info: &FormatInfo) -> Result<jsonschema::Validator, PluginError> {
    let schema: serde_json::Value = serde_json::from_str(&info.options_schema)
        .map_err(|e| PluginError::BadOutput(format!("the options schema is not JSON: {e}")))?;
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .map_err(|e| PluginError::BadOutput(format!("the options schema is not valid: {e}")))
}
