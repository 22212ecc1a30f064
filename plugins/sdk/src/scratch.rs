//! The plugin's private scratch folder, for formats that spill to disk.
//!
//! Some formats cannot stream their output: a zip container such as XLSX is written at the end,
//! from everything before it. Holding that in linear memory would tie the export's size to the
//! plugin's `memory_mb`; writing it to temporary files keeps memory flat. A plugin asks for a
//! folder with `scratch_mb` under `[capabilities]` in its `plugin.toml`, and the host then
//! preopens a private, empty folder at [`SCRATCH_GUEST_PATH`] (and sets `TMPDIR` to it) for that
//! one export, removing it afterwards. Without the grant there is no file system at all.
//!
//! Natively (unit tests, `cargo test`) the system's temporary folder stands in for it.

use std::path::PathBuf;

/// Where the host mounts the scratch folder inside the guest.
pub const SCRATCH_GUEST_PATH: &str = "/scratch";

/// The scratch folder granted to this export, or `None` when the manifest did not ask for one
/// (or the host did not grant it).
///
/// In a component this is `/scratch` when that folder exists; natively it is
/// [`std::env::temp_dir`]. Use this rather than `std::env::temp_dir()`, which panics on
/// `wasm32-wasip2` whatever `TMPDIR` says.
pub fn scratch_dir() -> Option<PathBuf> {
    #[cfg(target_family = "wasm")]
    {
        let folder = PathBuf::from(SCRATCH_GUEST_PATH);
        folder.is_dir().then_some(folder)
    }
    #[cfg(not(target_family = "wasm"))]
    {
        Some(std::env::temp_dir())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natively_the_scratch_folder_is_the_temporary_folder() {
        let folder = scratch_dir().unwrap();
        assert_eq!(folder, std::env::temp_dir());
        assert!(folder.is_dir());
    }
}
