//! How a plugin call fails: [`PluginError`], naming which of its limits a plugin passed or what
//! else went wrong, and the catalogue code a client sees for each.

use crate::http::error::{ApiError, ErrorCode};

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
