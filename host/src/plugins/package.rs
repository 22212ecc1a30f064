//! A plugin on this machine's disk, found the ways its author or operator has it, for
//! `tessera plugin install`: a folder holding `plugin.toml` and the component it names (what
//! `scripts/build-plugins` lays out), a plugin's cargo project after `cargo build --release
//! --target wasm32-wasip2` (the manifest in the project, the component where cargo left it),
//! or a manifest and a component named apart.
//!
//! It only reads files. What makes a plugin acceptable is decided once, by
//! [`super::admin::install`], for the command line and the API alike.

use std::path::{Path, PathBuf};

use super::admin::MAX_COMPONENT_BYTES;
use super::manifest::Manifest;

/// The target plugins are built for, whose folder cargo puts the component in.
pub const WASM_TARGET: &str = "wasm32-wasip2";

/// A plugin's manifest and component, as read from disk.
#[derive(Debug)]
pub struct PluginFiles {
    pub manifest_path: PathBuf,
    pub manifest_toml: String,
    pub component_path: PathBuf,
    pub component: Vec<u8>,
}

/// Finds and reads a plugin's files. `path` is a folder (holding `plugin.toml`) or a
/// `plugin.toml`; `manifest` names the manifest instead of `path`. The component is
/// `component` when given, else the file the manifest names beside it, else, in a cargo
/// project, the component cargo built for [`WASM_TARGET`] in release mode (in the project's
/// `target/` or in `CARGO_TARGET_DIR`).
pub fn find(
    path: Option<&Path>,
    manifest: Option<&Path>,
    component: Option<&Path>,
) -> Result<PluginFiles, String> {
    let manifest_path = match (path, manifest) {
        (_, Some(manifest)) => manifest.to_owned(),
        (Some(path), None) if path.is_dir() => path.join("plugin.toml"),
        (Some(path), None) => path.to_owned(),
        (None, None) => {
            return Err("give the plugin's folder, its plugin.toml, or --manifest".into());
        }
    };
    let manifest_toml =
        String::from_utf8(read_file(&manifest_path, "manifest", MAX_MANIFEST_BYTES)?)
            .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    let parsed: Manifest =
        toml::from_str(&manifest_toml).map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    let folder = manifest_path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let component_path = match component {
        Some(component) => component.to_owned(),
        None => find_component(folder, &parsed.component)?,
    };
    let component = read_file(&component_path, "component", MAX_COMPONENT_BYTES)?;
    Ok(PluginFiles {
        manifest_path,
        manifest_toml,
        component_path,
        component,
    })
}

/// The largest manifest read: a `plugin.toml` is a few hundred bytes.
const MAX_MANIFEST_BYTES: usize = 1 << 20;

/// Reads a file of a plugin, refusing what is not a regular file (`/dev/zero` would never end)
/// or is larger than `limit`, before holding it in memory.
fn read_file(path: &Path, what: &str, limit: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let failed = |e: std::io::Error| format!("{}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(failed)?;
    if !file.metadata().map_err(failed)?.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() > limit {
        return Err(format!(
            "{}: the {what} is over {} MiB, the most an install accepts",
            path.display(),
            limit >> 20
        ));
    }
    Ok(bytes)
}

/// The component of the plugin whose manifest is in `folder` and names `file`: `file` beside
/// it, else what cargo built there.
fn find_component(folder: &Path, file: &str) -> Result<PathBuf, String> {
    let beside = folder.join(file);
    if beside.is_file() {
        return Ok(beside);
    }
    let cargo_toml = folder.join("Cargo.toml");
    if !cargo_toml.is_file() {
        return Err(format!(
            "{} is missing (the manifest's `component`); give the component with --component",
            beside.display()
        ));
    }
    let library = library_name(&cargo_toml)?;
    let built = Path::new(WASM_TARGET)
        .join("release")
        .join(format!("{library}.wasm"));
    let mut tried = Vec::new();
    // Where cargo builds: CARGO_TARGET_DIR when set, else the project's own `target/`.
    if let Some(target_dir) = std::env::var_os("CARGO_TARGET_DIR") {
        tried.push(PathBuf::from(target_dir).join(&built));
    }
    tried.push(folder.join("target").join(&built));
    if let Some(found) = tried.iter().find(|path| path.is_file()) {
        return Ok(found.clone());
    }
    Err(format!(
        "neither {} nor the cargo build of {} ({}) is there: build it with \
         `cargo build --release --target {WASM_TARGET}`, or give the component with --component",
        beside.display(),
        cargo_toml.display(),
        tried
            .iter()
            .map(|path| path.display().to_string())
            .collect::<Vec<_>>()
            .join(" or ")
    ))
}

/// The name of the library a cargo project builds: `[lib] name`, else the package's name with
/// `-` as `_`, which is the file name cargo gives the component.
fn library_name(cargo_toml: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(cargo_toml)
        .map_err(|e| format!("{}: {e}", cargo_toml.display()))?;
    let value: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", cargo_toml.display()))?;
    let named = |table: &str| {
        value
            .get(table)
            .and_then(|t| t.get("name"))
            .and_then(|n| n.as_str())
            .map(str::to_owned)
    };
    named("lib")
        .or_else(|| named("package"))
        .map(|name| name.replace('-', "_"))
        .ok_or_else(|| format!("{} names no package", cargo_toml.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const MANIFEST: &str = "id = \"tsv\"\nname = \"TSV\"\nversion = \"0.1.0\"\n\
        kind = \"exporter\"\napi_version = \"0.2.0\"\ncomponent = \"tsv.wasm\"\n";

    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plugin.toml"), MANIFEST).unwrap();
        dir
    }

    #[test]
    fn a_folder_holds_the_manifest_and_the_component_it_names() {
        let dir = project();
        std::fs::write(dir.path().join("tsv.wasm"), b"component").unwrap();
        let found = find(Some(dir.path()), None, None).unwrap();
        assert_eq!(found.component, b"component");
        assert_eq!(found.manifest_toml, MANIFEST);
        // The manifest itself names the same plugin.
        let found = find(Some(&dir.path().join("plugin.toml")), None, None).unwrap();
        assert_eq!(found.component_path, dir.path().join("tsv.wasm"));
    }

    // Issue 15 (the plugin platform): what cargo leaves installs as it is.
    #[test]
    fn a_cargo_project_gives_the_component_cargo_built() {
        let dir = project();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"tessera-plugin-tsv\"\nversion = \"0.1.0\"\n",
        )
        .unwrap();
        let error = find(Some(dir.path()), None, None).unwrap_err();
        assert!(
            error.contains("cargo build --release --target wasm32-wasip2")
                && error.contains("tessera_plugin_tsv.wasm"),
            "{error}"
        );
        let built = dir.path().join("target/wasm32-wasip2/release");
        std::fs::create_dir_all(&built).unwrap();
        std::fs::write(built.join("tessera_plugin_tsv.wasm"), b"built").unwrap();
        let found = find(Some(dir.path()), None, None).unwrap();
        assert_eq!(found.component, b"built");
        assert_eq!(found.component_path, built.join("tessera_plugin_tsv.wasm"));
    }

    #[test]
    fn manifest_and_component_may_be_named_apart() {
        let dir = project();
        let elsewhere = tempfile::tempdir().unwrap();
        let component = elsewhere.path().join("x.wasm");
        std::fs::write(&component, b"x").unwrap();
        let found = find(
            None,
            Some(&dir.path().join("plugin.toml")),
            Some(&component),
        )
        .unwrap();
        assert_eq!(found.component, b"x");
        assert!(find(None, None, Some(&component)).is_err());
        let error = find(Some(dir.path()), None, None).unwrap_err();
        assert!(error.contains("--component"), "{error}");
    }

    #[test]
    fn what_is_not_a_component_file_is_refused_before_it_is_read() {
        let dir = project();
        let manifest = dir.path().join("plugin.toml");
        // A folder, or a device that never ends (`/dev/zero` would fill the memory).
        let error = find(None, Some(&manifest), Some(dir.path())).unwrap_err();
        assert!(error.contains("not a file"), "{error}");
        let endless = Path::new("/dev/zero");
        let error = find(None, Some(endless), None).unwrap_err();
        assert!(error.contains("not a file"), "{error}");
        let error = find(None, Some(&manifest), Some(endless)).unwrap_err();
        assert!(error.contains("not a file"), "{error}");
        // One byte over what an install accepts (a sparse file: no disk is used).
        let big = dir.path().join("big.wasm");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_COMPONENT_BYTES as u64 + 1).unwrap();
        let error = find(None, Some(&manifest), Some(&big)).unwrap_err();
        assert!(error.contains("MiB"), "{error}");
    }
}
