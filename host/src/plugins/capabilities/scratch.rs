//! The scratch-folder unit: a private, empty folder a plugin may write temporary files
//! in, for formats that cannot hold their whole working set in memory (an XLSX writer in
//! constant-memory mode spools each worksheet to a file before zipping it).
//!
//! A plugin gets one only when its manifest asks (`scratch_mb`, at most [`MAX_SCRATCH_MB`]) and
//! an administrator approved it (for a plugin of the plugins folder, placing it there did), at
//! most the size approved. It is access, so a request is shown to administrators and an
//! installed plugin that asks for one stays disabled until approved (`plugins::admin`). The
//! folder is created fresh for one export under the data folder's `tmp/`, appears to the guest
//! as `/scratch` (and as `TMPDIR`), and is removed when the export ends, however it ends; a
//! crash leaves it to the start-up sweep of `tmp/`.
//!
//! The quota is checked after every call and, while a call runs, every 50 ms (from the epoch
//! callback, see `runtime`), counting files that were unlinked while still open (temporary-file
//! libraries do that) through `/proc/self/fd` on Linux. A plugin can overshoot by what it
//! writes between two checks; the next check ends the export.
//!
//! The unit has no host functions of its own: the guest reaches the folder through WASI's
//! filesystem interfaces, so what it adds to a store is a preopened directory in the WASI
//! context being built.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use wasmtime::component::Linker;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder, WasiView};
use wasmtime_wasi_http::WasiHttpView;

use super::unit::Capability;
use crate::plugins::error::PluginError;
use crate::plugins::manifest::{Capabilities, Manifest};

/// The largest scratch folder any manifest may ask for.
pub const MAX_SCRATCH_MB: u64 = 64 * 1024;

/// The scratch-folder unit, making folders under `root`.
#[derive(Debug, Clone)]
pub struct Scratch {
    root: PathBuf,
}

impl Scratch {
    /// Scratch folders are made under `root` (the data folder's `tmp/`).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
        }
    }
}

/// A scratch folder of this many MiB per export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScratchGrant {
    pub quota_mb: u64,
}

/// One store's scratch folder, when granted, and whether it outgrew its quota while the plugin
/// ran.
#[derive(Debug, Default)]
pub struct ScratchState {
    /// Dropped with the store, which removes the folder.
    folder: Option<ScratchDir>,
    limit_hit: bool,
}

impl ScratchState {
    pub fn granted(&self) -> bool {
        self.folder.is_some()
    }

    /// The quota of the folder, when there is one.
    pub fn quota_mb(&self) -> Option<u64> {
        self.folder.as_ref().map(ScratchDir::quota_mb)
    }

    /// Whether the folder was found over its quota while the plugin ran.
    pub fn limit_hit(&self) -> bool {
        self.limit_hit
    }

    /// Measures the folder while the plugin runs; remembers when it is over its quota, so that
    /// the interruption that follows reads as `plugin_disk_limit`.
    pub fn over_quota_now(&mut self) -> bool {
        let over = self.folder.as_ref().is_some_and(ScratchDir::over_quota);
        if over {
            self.limit_hit = true;
        }
        over
    }

    /// Fails the export when the folder has outgrown its quota (checked after every call).
    pub fn check(&self) -> Result<(), PluginError> {
        match &self.folder {
            Some(folder) if folder.over_quota() => Err(PluginError::DiskLimit(folder.quota_mb())),
            _ => Ok(()),
        }
    }
}

impl Capability for Scratch {
    type Grant = Option<ScratchGrant>;
    type State = ScratchState;

    fn validate(
        manifest: &Manifest,
        approved: &Capabilities,
    ) -> Result<Option<ScratchGrant>, String> {
        if manifest.capabilities.scratch_mb > MAX_SCRATCH_MB {
            return Err(format!(
                "plugin '{}': scratch_mb must be at most {MAX_SCRATCH_MB}",
                manifest.id
            ));
        }
        Ok((approved.scratch_mb > 0).then_some(ScratchGrant {
            quota_mb: approved.scratch_mb,
        }))
    }

    fn link<T: WasiView + WasiHttpView + 'static>(
        _linker: &mut Linker<T>,
        _state: fn(&mut T) -> &mut ScratchState,
    ) -> wasmtime::Result<()> {
        Ok(())
    }

    fn instantiate(
        &self,
        grant: &Option<ScratchGrant>,
        wasi: &mut WasiCtxBuilder,
    ) -> Result<ScratchState, PluginError> {
        let Some(grant) = grant else {
            return Ok(ScratchState::default());
        };
        let folder = ScratchDir::create(&self.root, grant.quota_mb).map_err(|e| {
            PluginError::Failed(format!("cannot make the plugin's scratch folder: {e}"))
        })?;
        folder
            .grant(wasi)
            .map_err(|e| PluginError::Failed(format!("cannot grant the scratch folder: {e}")))?;
        Ok(ScratchState {
            folder: Some(folder),
            limit_hit: false,
        })
    }
}

/// Where the folder appears inside the sandbox.
pub const GUEST_PATH: &str = "/scratch";

/// One export's scratch folder; removed on drop.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
    quota_bytes: u64,
}

impl ScratchDir {
    /// Creates an empty folder under `root` with room for `quota_mb` MiB.
    pub fn create(root: &Path, quota_mb: u64) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let path = root.join(format!("scratch-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&path)?;
        Ok(Self {
            path,
            quota_bytes: quota_mb << 20,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn quota_mb(&self) -> u64 {
        self.quota_bytes >> 20
    }

    /// Grants the folder to a sandbox being built, read-write, at [`GUEST_PATH`].
    pub fn grant(&self, wasi: &mut WasiCtxBuilder) -> io::Result<()> {
        wasi.preopened_dir(&self.path, GUEST_PATH, FsPerms::ReadWrite)
            .map_err(io::Error::other)?;
        wasi.env("TMPDIR", GUEST_PATH);
        Ok(())
    }

    /// Whether the folder holds more than its quota.
    pub fn over_quota(&self) -> bool {
        self.usage_bytes() > self.quota_bytes
    }

    /// Bytes held by files in the folder, including files unlinked but still open.
    pub fn usage_bytes(&self) -> u64 {
        let mut seen = HashSet::new();
        let mut total = visible_usage(&self.path, &mut seen);
        total += unlinked_usage(&self.path, &mut seen);
        total
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_dir_all(&self.path)
            && err.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %err, "cannot remove a plugin's scratch folder");
        }
    }
}

#[cfg(unix)]
fn file_key(metadata: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (metadata.dev(), metadata.ino())
}

#[cfg(not(unix))]
fn file_key(_metadata: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

fn visible_usage(folder: &Path, seen: &mut HashSet<(u64, u64)>) -> u64 {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    let mut total = 0;
    for entry in entries.flatten() {
        let Ok(metadata) = entry.path().symlink_metadata() else {
            continue;
        };
        if metadata.is_dir() {
            total += visible_usage(&entry.path(), seen);
        } else if metadata.is_file() && seen.insert(file_key(&metadata)) {
            total += metadata.len();
        }
    }
    total
}

/// Files this process holds open whose path (before unlinking) was inside `folder`.
#[cfg(target_os = "linux")]
fn unlinked_usage(folder: &Path, seen: &mut HashSet<(u64, u64)>) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    let mut total = 0;
    for entry in entries.flatten() {
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        if !target.starts_with(folder) {
            continue;
        }
        // The link itself resolves to the open file, even once it has been unlinked.
        if let Ok(metadata) = std::fs::metadata(entry.path())
            && metadata.is_file()
            && seen.insert(file_key(&metadata))
        {
            total += metadata.len();
        }
    }
    total
}

#[cfg(not(target_os = "linux"))]
fn unlinked_usage(_folder: &Path, _seen: &mut HashSet<(u64, u64)>) -> u64 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn counts_files_and_open_unlinked_files_and_is_removed_on_drop() {
        let root = tempfile::tempdir().unwrap();
        let scratch = ScratchDir::create(root.path(), 1).unwrap();
        std::fs::write(scratch.path().join("a"), vec![0u8; 300_000]).unwrap();
        let unlinked_path = scratch.path().join("b");
        let mut unlinked = std::fs::File::create(&unlinked_path).unwrap();
        unlinked.write_all(&vec![0u8; 500_000]).unwrap();
        std::fs::remove_file(&unlinked_path).unwrap();
        assert_eq!(scratch.usage_bytes(), 800_000);
        assert!(!scratch.over_quota());
        unlinked.write_all(&vec![0u8; 300_000]).unwrap();
        assert!(scratch.over_quota(), "1.1 MB in a 1 MiB folder");
        let path = scratch.path().to_owned();
        drop(scratch);
        assert!(!path.exists());
    }
}
