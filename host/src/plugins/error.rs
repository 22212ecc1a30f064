//! How a plugin call fails: [`PluginError`], naming which of its limits a plugin passed or what
//! else went wrong, and the stable name of each.

use crate::error_code::ErrorCode;

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
    /// It reached for a host or for mail it was not granted, or past what one call may send.
    #[error("the plugin reached for what it was not granted: {0}")]
    NotGranted(String),
}

impl PluginError {
    /// The stable name of this failure, as a failed export job records it and as the API's
    /// error catalogue names it (the transport maps each variant to the same code).
    pub fn kind(&self) -> ErrorCode {
        match self {
            PluginError::Trapped(_) => ErrorCode::PluginTrapped,
            PluginError::Timeout(_) => ErrorCode::PluginTimeout,
            PluginError::MemoryLimit(_) => ErrorCode::PluginMemoryLimit,
            PluginError::DiskLimit(_) => ErrorCode::PluginDiskLimit,
            PluginError::BadOutput(_) => ErrorCode::PluginBadOutput,
            PluginError::InvalidOptions(_) => ErrorCode::InvalidExportOptions,
            // Only notifiers can reach for a host or for mail, and their failures are not API
            // errors: the catalogue keeps its codes.
            PluginError::Failed(_) | PluginError::Load(_) | PluginError::NotGranted(_) => {
                ErrorCode::PluginFailed
            }
        }
    }
}
