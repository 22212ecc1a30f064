//! The plugins this process has loaded, by format id.
//!
//! At start every `<plugins_dir>/<id>/plugin.toml` is read, its component compiled (or taken
//! from the compilation cache) and asked to describe itself; a plugin that fails any step is
//! skipped with a logged reason and the rest load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};

use super::PluginError;
use super::exporter::{ExportSession, ExporterPluginPre, FormatInfo, validate_info};
use super::manifest::Manifest;
use super::runtime::PluginRuntime;

pub struct LoadedPlugin {
    pub manifest: Manifest,
    pub info: FormatInfo,
    /// Hex SHA-256 of the component file.
    pub component_sha256: String,
    pub pre: ExporterPluginPre<super::runtime::Sandbox>,
}

#[derive(Clone)]
pub struct PluginRegistry {
    pub runtime: PluginRuntime,
    plugins: Arc<RwLock<BTreeMap<String, Arc<LoadedPlugin>>>>,
}

impl PluginRegistry {
    pub fn new(runtime: PluginRuntime) -> Self {
        Self {
            runtime,
            plugins: Arc::default(),
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
        (loaded, failed)
    }

    /// Loads (or replaces) the plugin in one folder.
    pub fn load_folder(&self, folder: &Path) -> Result<String, PluginError> {
        let manifest = Manifest::read(&folder.join("plugin.toml")).map_err(PluginError::Load)?;
        let bytes = std::fs::read(folder.join(&manifest.component))
            .map_err(|e| PluginError::Load(format!("{}: {e}", manifest.component)))?;
        let plugin = self.prepare(manifest, &bytes)?;
        let id = plugin.manifest.id.clone();
        tracing::info!(plugin = %id, version = %plugin.manifest.version, sha256 = %plugin.component_sha256, "plugin loaded");
        if let Ok(mut plugins) = self.plugins.write() {
            plugins.insert(id.clone(), Arc::new(plugin));
        }
        Ok(id)
    }

    fn prepare(&self, manifest: Manifest, bytes: &[u8]) -> Result<LoadedPlugin, PluginError> {
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
        let mut plugin = LoadedPlugin {
            component_sha256: hex::encode(Sha256::digest(bytes)),
            info: FormatInfo {
                id: String::new(),
                name: String::new(),
                media_type: String::new(),
                extension: String::new(),
                options_schema: String::new(),
                wants_stats: false,
            },
            manifest,
            pre,
        };
        let info = ExportSession::start(&self.runtime, &plugin)?.describe()?;
        validate_info(&info, &plugin.manifest.id)?;
        plugin.info = info;
        Ok(plugin)
    }

    pub fn get(&self, id: &str) -> Option<Arc<LoadedPlugin>> {
        self.plugins.read().ok()?.get(id).cloned()
    }

    pub fn list(&self) -> Vec<Arc<LoadedPlugin>> {
        self.plugins
            .read()
            .map(|p| p.values().cloned().collect())
            .unwrap_or_default()
    }
}
