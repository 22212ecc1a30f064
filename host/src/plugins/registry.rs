//! The plugins this process has loaded, by id, kept in step with the `plugins` table: export
//! formats ([`PluginRegistry::get`], [`PluginRegistry::list`]) and notification channels
//! ([`PluginRegistry::notifier`], [`PluginRegistry::notifiers`]), one id space for both.
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

use super::bindings::{self, ExporterPre, NotifierPre};
use super::capabilities::Grants;
use super::error::PluginError;
use super::exporter::{ExportSession, validate_info};
use super::loaded::LoadedPlugin;
use super::manifest::{Manifest, PluginKind, Stored};
use super::notifier::LoadedNotifier;
use super::runtime::PluginRuntime;
use crate::db::AnyConnection;
use crate::db::plugin_components::PluginComponent;
use crate::db::plugins::{PluginRecord, SOURCE_FOLDER, SOURCE_INSTALLED};

#[derive(Default)]
struct Loaded {
    /// Every exporter compiled in this process, enabled or not.
    plugins: BTreeMap<String, Arc<LoadedPlugin>>,
    /// Every notifier compiled in this process, enabled or not.
    notifiers: BTreeMap<String, Arc<LoadedNotifier>>,
    /// Ids whose database row says enabled. Before the first sync, every folder plugin.
    enabled: BTreeSet<String>,
    /// Why an installed plugin could not be loaded here, by id, with the component hash that
    /// failed (a new upload is tried again).
    failures: BTreeMap<String, (String, String)>,
    /// Folders of the plugins folder that did not load, and why.
    folder_failures: Vec<(PathBuf, String)>,
}

/// A plugin compiled, linked and described, of either kind.
pub enum Prepared {
    Exporter(LoadedPlugin),
    Notifier(LoadedNotifier),
}

impl Prepared {
    pub fn manifest(&self) -> &Manifest {
        match self {
            Prepared::Exporter(plugin) => &plugin.manifest,
            Prepared::Notifier(plugin) => &plugin.manifest,
        }
    }

    pub fn component_sha256(&self) -> &str {
        match self {
            Prepared::Exporter(plugin) => &plugin.component_sha256,
            Prepared::Notifier(plugin) => &plugin.component_sha256,
        }
    }
}

/// What the registry keeps track of for a loaded plugin, whatever its kind.
struct Tracked<'a> {
    manifest: &'a Manifest,
    source: &'static str,
    component_sha256: &'a str,
    grants: &'a Grants,
}

impl Loaded {
    /// Every loaded plugin, exporters then notifiers.
    fn tracked(&self) -> impl Iterator<Item = Tracked<'_>> {
        let exporters = self.plugins.values().map(|p| Tracked {
            manifest: &p.manifest,
            source: p.source,
            component_sha256: &p.component_sha256,
            grants: &p.grants,
        });
        let notifiers = self.notifiers.values().map(|p| Tracked {
            manifest: &p.manifest,
            source: p.source,
            component_sha256: &p.component_sha256,
            grants: &p.grants,
        });
        exporters.chain(notifiers)
    }

    fn find(&self, id: &str) -> Option<Tracked<'_>> {
        self.tracked().find(|t| t.manifest.id == id)
    }

    /// Keeps `plugin`, replacing whatever had its id, of either kind.
    fn insert(&mut self, plugin: Prepared) {
        let id = plugin.manifest().id.clone();
        self.remove(&id);
        match plugin {
            Prepared::Exporter(plugin) => {
                self.plugins.insert(id, Arc::new(plugin));
            }
            Prepared::Notifier(plugin) => {
                self.notifiers.insert(id, Arc::new(plugin));
            }
        }
    }

    fn remove(&mut self, id: &str) {
        self.plugins.remove(id);
        self.notifiers.remove(id);
    }
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
        // Placing a plugin in the folder approved what its manifest asks for.
        let grants =
            Grants::validate(&manifest, Some(&manifest.capabilities)).map_err(PluginError::Load)?;
        let bytes = std::fs::read(folder.join(&manifest.component))
            .map_err(|e| PluginError::Load(format!("{}: {e}", manifest.component)))?;
        let plugin = self.prepare(manifest, &bytes, grants, SOURCE_FOLDER)?;
        let id = plugin.manifest().id.clone();
        tracing::info!(plugin = %id, kind = plugin.manifest().kind.as_str(), version = %plugin.manifest().version, sha256 = %plugin.component_sha256(), "plugin loaded");
        if let Ok(mut loaded) = self.loaded.write() {
            loaded.insert(plugin);
            loaded.enabled.insert(id.clone());
        }
        Ok(id)
    }

    /// Compiles a component, links it with the bindings of the contract version it was built
    /// against, checks that it implements that version's world for its kind (exporter or
    /// notifier), asks it to describe itself and compiles its options or settings schema:
    /// everything short of running it. `grants` are what its manifest's requests were granted
    /// ([`Grants::validate`]).
    pub fn prepare(
        &self,
        manifest: Manifest,
        bytes: &[u8],
        grants: Grants,
        source: &'static str,
    ) -> Result<Prepared, PluginError> {
        let component = self.runtime.compile(bytes)?;
        let linker = self.runtime.linker()?;
        let instance_pre = linker.instantiate_pre(&component).map_err(|e| {
            PluginError::Load(format!("the component does not fit this host: {e:#}"))
        })?;
        let kind = manifest.kind.as_str();
        let not_an_exporter = |reason: String| {
            PluginError::Load(format!(
                "the component does not implement the tessera:plugin@{} {kind} world: {reason}",
                manifest.api_version
            ))
        };
        // The bindings follow the component's own imports and exports; its manifest must
        // name the same version.
        let version = bindings::implemented_version(&self.runtime.engine, &component)
            .map_err(not_an_exporter)?;
        if version.as_str() != manifest.api_version {
            return Err(PluginError::Load(format!(
                "the manifest says api_version {}, but the component was built against \
                 tessera:plugin@{}",
                manifest.api_version,
                version.as_str()
            )));
        }
        let sha256 = hex::encode(Sha256::digest(bytes));
        if manifest.kind == PluginKind::Notifier {
            let pre = NotifierPre::new(version, instance_pre)
                .map_err(|e| not_an_exporter(format!("{e:#}")))?;
            let notifier =
                LoadedNotifier::load(&self.runtime, manifest, grants, pre, sha256, source)?;
            return Ok(Prepared::Notifier(notifier));
        }
        let pre = ExporterPre::new(version, instance_pre)
            .map_err(|e| not_an_exporter(format!("{e:#}")))?;
        // Describing needs no scratch folder, whatever the plugin will get for exports.
        let store = self.runtime.store(&grants.without_scratch())?;
        let info = ExportSession::new(store, &pre)?.describe()?;
        validate_info(&info, &manifest.id)?;
        LoadedPlugin::new(manifest, grants, info, sha256, source, pre).map(Prepared::Exporter)
    }

    /// An enabled notifier by id.
    pub fn notifier(&self, id: &str) -> Option<Arc<LoadedNotifier>> {
        let loaded = self.loaded.read().ok()?;
        if !loaded.enabled.contains(id) {
            return None;
        }
        loaded.notifiers.get(id).cloned()
    }

    /// The enabled notifiers, by id: the notification channels this server offers now.
    pub fn notifiers(&self) -> Vec<Arc<LoadedNotifier>> {
        self.loaded
            .read()
            .map(|l| {
                l.notifiers
                    .values()
                    .filter(|p| l.enabled.contains(&p.manifest.id))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether a plugin of any kind is loaded in this process under `id`, enabled or not.
    pub fn is_loaded(&self, id: &str) -> bool {
        self.loaded.read().is_ok_and(|l| l.find(id).is_some())
    }

    /// An enabled export format by id.
    pub fn get(&self, id: &str) -> Option<Arc<LoadedPlugin>> {
        let loaded = self.loaded.read().ok()?;
        if !loaded.enabled.contains(id) {
            return None;
        }
        loaded.plugins.get(id).cloned()
    }

    /// An export format by id, enabled or not.
    pub fn get_any(&self, id: &str) -> Option<Arc<LoadedPlugin>> {
        self.loaded.read().ok()?.plugins.get(id).cloned()
    }

    /// The enabled export formats, by id.
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
        let folder_plugins: Vec<(Manifest, String)> = self
            .loaded
            .read()
            .map(|l| {
                l.tracked()
                    .filter(|p| p.source == SOURCE_FOLDER)
                    .map(|p| (p.manifest.clone(), p.component_sha256.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let mut records = records;
        for (manifest, component_sha256) in folder_plugins {
            let id = &manifest.id;
            let record = records.get(id);
            let stale = record.is_some_and(|r| {
                r.source == SOURCE_FOLDER && r.component_sha256 != component_sha256
            });
            if record.is_none() || stale {
                let record = PluginRecord {
                    id: id.clone(),
                    source: SOURCE_FOLDER.into(),
                    kind: manifest.kind.as_str().into(),
                    version: manifest.version.clone(),
                    manifest: serde_json::to_string(&manifest).unwrap_or_default(),
                    component_sha256: component_sha256.clone(),
                    enabled: record.is_none_or(|r| r.enabled),
                    approved: serde_json::to_string(&manifest.capabilities).ok(),
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
                let current = loaded.find(&record.id);
                let grants = grants_of(record);
                let changed = current.is_none_or(|p| {
                    p.component_sha256 != record.component_sha256
                        || grants.as_ref().is_ok_and(|g| g != p.grants)
                });
                let failed_before = loaded
                    .failures
                    .get(&record.id)
                    .is_some_and(|(sha, _)| *sha == record.component_sha256);
                if changed && !failed_before {
                    to_load.push(record.clone());
                }
            }
            for plugin in loaded.tracked() {
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
                loaded.remove(&id);
                tracing::info!(plugin = %id, "plugin removed");
            }
            for plugin in loaded_now {
                let id = plugin.manifest().id.clone();
                tracing::info!(plugin = %id, kind = plugin.manifest().kind.as_str(), version = %plugin.manifest().version, sha256 = %plugin.component_sha256(), "installed plugin loaded");
                loaded.failures.remove(&id);
                loaded.insert(plugin);
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
    ) -> Result<Prepared, PluginError> {
        let manifest = Stored::read(record).map_err(PluginError::Load)?.manifest;
        let grants = grants_of(record)?;
        let bytes = PluginComponent::bytes(conn, &record.component_sha256)
            .map_err(|e| PluginError::Load(format!("reading the component: {e}")))?
            .ok_or_else(|| PluginError::Load("the component is missing".into()))?;
        self.prepare(manifest, &bytes, grants, SOURCE_INSTALLED)
    }
}

/// What an installed plugin's instances get: its manifest's requests, each only as far as the
/// approval recorded with it allows, as the capability units grant them.
fn grants_of(record: &PluginRecord) -> Result<Grants, PluginError> {
    let stored = Stored::read(record).map_err(PluginError::Load)?;
    Grants::validate(&stored.manifest, stored.approved.as_ref()).map_err(PluginError::Load)
}
