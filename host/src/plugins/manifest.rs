//! `plugin.toml`: a plugin's identity and the capabilities it asks for. Nothing is granted
//! that the manifest does not ask for; today a plugin may ask only for memory and time, and
//! everything else (files, network, environment, clock) is refused to every plugin.

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub id: String,
    pub name: String,
    pub version: String,
    pub kind: PluginKind,
    pub api_version: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub description: String,
    /// The component file, relative to the manifest.
    pub component: String,
    #[serde(default)]
    pub capabilities: Capabilities,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PluginKind {
    Exporter,
    Notifier,
    Integration,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Capabilities {
    /// Linear memory the plugin may grow to, per call.
    pub memory_mb: u64,
    /// Wall-clock budget of one export, all calls together.
    pub time_ms: u64,
}

impl Default for Capabilities {
    fn default() -> Self {
        Self {
            memory_mb: 64,
            time_ms: 30_000,
        }
    }
}

/// The most any manifest may ask for; larger requests are refused at load.
pub const MAX_MEMORY_MB: u64 = 1024;
pub const MAX_TIME_MS: u64 = 10 * 60 * 1000;

impl Manifest {
    pub fn read(path: &Path) -> Result<Manifest, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let manifest: Manifest =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    pub fn validate(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !id_ok {
            return Err(format!(
                "plugin id '{}' must be 1-64 lower-case letters, digits, '-' or '_'",
                self.id
            ));
        }
        if !super::SUPPORTED_API_VERSIONS.contains(&self.api_version.as_str()) {
            return Err(format!(
                "plugin '{}' targets API {}, this host supports {}",
                self.id,
                self.api_version,
                super::SUPPORTED_API_VERSIONS.join(", ")
            ));
        }
        if self.kind != PluginKind::Exporter {
            return Err(format!(
                "plugin '{}': only exporter plugins are supported so far",
                self.id
            ));
        }
        if self.component.contains('/') || self.component.contains("..") {
            return Err(format!(
                "plugin '{}': component must be a file name beside the manifest",
                self.id
            ));
        }
        if self.capabilities.memory_mb == 0 || self.capabilities.memory_mb > MAX_MEMORY_MB {
            return Err(format!(
                "plugin '{}': memory_mb must be between 1 and {MAX_MEMORY_MB}",
                self.id
            ));
        }
        if self.capabilities.time_ms == 0 || self.capabilities.time_ms > MAX_TIME_MS {
            return Err(format!(
                "plugin '{}': time_ms must be between 1 and {MAX_TIME_MS}",
                self.id
            ));
        }
        Ok(())
    }
}
