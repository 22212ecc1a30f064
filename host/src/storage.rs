//! The local data folder: where dataset versions and uploads in progress live.
//!
//! Layout under `data_dir`:
//! - `datasets/<dataset id>/v<version>.parquet`: immutable versions, referenced by rows;
//! - `artifacts/<job id>.<ext>`: files of queued exports, until they expire;
//! - `tmp/`: uploads and conversions in progress, emptied at every start.
//!
//! Files are written in `tmp/`, moved into place with a rename, and only then is the database
//! row committed. A crash between the two leaves a file no row points at; [`Storage::sweep`]
//! removes such files at start, so nothing half-written is ever visible.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Storage {
    root: PathBuf,
}

impl Storage {
    pub fn open(root: &Path) -> io::Result<Self> {
        let storage = Self {
            root: root.to_path_buf(),
        };
        std::fs::create_dir_all(storage.tmp_dir())?;
        std::fs::create_dir_all(storage.root.join("datasets"))?;
        Ok(storage)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// A new named temporary file in `tmp/`, removed when dropped unless persisted.
    pub fn temp_file(&self, suffix: &str) -> io::Result<tempfile::NamedTempFile> {
        tempfile::Builder::new()
            .prefix("upload-")
            .suffix(suffix)
            .tempfile_in(self.tmp_dir())
    }

    /// Where a dataset version's Parquet file lives, relative to the data folder.
    pub fn version_relative_path(dataset_id: &str, version: i32) -> String {
        format!("datasets/{dataset_id}/v{version}.parquet")
    }

    pub fn absolute(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Moves a finished temporary file into its final place.
    pub fn persist(&self, file: tempfile::NamedTempFile, relative: &str) -> io::Result<PathBuf> {
        let target = self.absolute(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        file.persist(&target).map_err(|e| e.error)?;
        Ok(target)
    }

    /// Removes stored files, ignoring ones already gone.
    pub fn remove_files(&self, relatives: &[String]) {
        for relative in relatives {
            let path = self.absolute(relative);
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    if let Some(parent) = path.parent() {
                        // Succeeds only once the folder is empty, as intended.
                        let _ = std::fs::remove_dir(parent);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot remove file"),
            }
        }
    }

    /// Empties `tmp/` and removes dataset files that no database row refers to.
    /// Returns how many files were removed.
    pub fn sweep(&self, referenced: &[String]) -> io::Result<usize> {
        let mut removed = 0;
        for entry in std::fs::read_dir(self.tmp_dir())? {
            let path = entry?.path();
            let result = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            if result.is_ok() {
                removed += 1;
            }
        }
        let referenced: HashSet<&str> = referenced.iter().map(String::as_str).collect();
        // Export artifacts: finished ones a job refers to stay; half-written ones go.
        let artifacts = self.root.join("artifacts");
        if artifacts.is_dir() {
            for file in std::fs::read_dir(&artifacts)? {
                let file = file?.path();
                let relative = format!(
                    "artifacts/{}",
                    file.file_name().unwrap_or_default().to_string_lossy()
                );
                if file.is_file() && !referenced.contains(relative.as_str()) {
                    std::fs::remove_file(&file)?;
                    removed += 1;
                }
            }
        }
        let datasets = self.root.join("datasets");
        for dir in std::fs::read_dir(&datasets)? {
            let dir = dir?.path();
            if !dir.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&dir)? {
                let file = file?.path();
                let relative = file
                    .strip_prefix(&self.root)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                if !referenced.contains(relative.as_str()) {
                    tracing::info!(path = %file.display(), "removing orphaned dataset file");
                    std::fs::remove_file(&file)?;
                    removed += 1;
                }
            }
            let _ = std::fs::remove_dir(&dir);
        }
        Ok(removed)
    }
}
