//! The plugin runtime: export formats (and, later, notification channels and integrations)
//! run as sandboxed WebAssembly components.
//!
//! - [`manifest`]: what a plugin says it is and asks for (`plugin.toml`).
//! - [`runtime`]: the wasmtime engine (pooling allocator, on-disk compilation cache, epoch
//!   ticker) and the per-call sandbox: a fresh store with a memory limit, a deadline, and a
//!   WASI context that grants nothing (no files, no network, no environment, a frozen clock).
//! - [`scratch`]: the one capability a plugin may ask for beyond memory and time today: a
//!   private temporary folder with a quota.
//! - [`exporter`]: the `exporter-plugin` world's bindings and the calls into it.
//! - [`digest`] and [`compress`]: checksums and DEFLATE streams the host computes for plugins,
//!   faster than they can inside the sandbox.
//! - [`registry`]: the plugins this process has loaded, from the plugins folder and from the
//!   database, kept in step with the `plugins` table that every replica shares.
//! - [`admin`]: installing, enabling, disabling and removing plugins at run time.
//!
//! A plugin that traps, loops, exhausts its memory or returns garbage fails only its own call,
//! with a [`PluginError`] naming which of these happened.

pub mod admin;
pub mod bindings;
pub mod compress;
pub mod digest;
pub mod exporter;
pub mod manifest;
pub mod registry;
pub mod runtime;
pub mod scratch;

pub use manifest::Manifest;
pub use registry::{LoadedPlugin, PluginRegistry};
pub use runtime::PluginRuntime;

use crate::error::{ApiError, ErrorCode};

pub use bindings::SUPPORTED_API_VERSIONS;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("the plugin crashed: {0}")]
    Trapped(String),
    #[error("the plugin ran out of time ({0} ms)")]
    Timeout(u64),
    #[error("the plugin exceeded its memory limit ({0} MiB)")]
    MemoryLimit(u64),
    #[error("the plugin filled its scratch folder ({0} MiB)")]
    DiskLimit(u64),
    #[error("the plugin returned unusable output: {0}")]
    BadOutput(String),
    #[error("{0}")]
    InvalidOptions(String),
    #[error("the export failed in the plugin: {0}")]
    Failed(String),
    #[error("cannot load the plugin: {0}")]
    Load(String),
}

impl PluginError {
    /// The catalogue code a client sees for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            PluginError::Trapped(_) => ErrorCode::PluginTrapped,
            PluginError::Timeout(_) => ErrorCode::PluginTimeout,
            PluginError::MemoryLimit(_) => ErrorCode::PluginMemoryLimit,
            PluginError::DiskLimit(_) => ErrorCode::PluginDiskLimit,
            PluginError::BadOutput(_) => ErrorCode::PluginBadOutput,
            PluginError::InvalidOptions(_) => ErrorCode::InvalidExportOptions,
            PluginError::Failed(_) | PluginError::Load(_) => ErrorCode::PluginFailed,
        }
    }
}

impl From<PluginError> for ApiError {
    fn from(err: PluginError) -> Self {
        let code = err.code();
        tracing::warn!(error = %err, code = code.as_str(), "plugin call failed");
        ApiError::new(code, err.to_string())
    }
}
