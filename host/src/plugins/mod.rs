//! The plugin runtime: export formats and notification channels (and, later, integrations)
//! run as sandboxed WebAssembly components.
//!
//! Its modules, each importing only those listed before it:
//!
//! - [`error`]: how a plugin call fails ([`PluginError`]).
//! - [`bindings`]: the contract per version: one bindings module per supported version of
//!   `tessera:plugin`, and the adapter the rest of the host calls whatever version a plugin was
//!   built for.
//! - [`manifest`]: what a plugin says it is and asks for (`plugin.toml`).
//! - [`capabilities`]: the host's capabilities a plugin can be given, one unit each (memory and
//!   time, WASI with nothing granted, digest, compress, the scratch folder, outbound HTTP and
//!   mail for notifiers), each with its own linker function, grant, state and limits, and their
//!   composition into one store's data.
//! - [`runtime`]: the wasmtime engine (pooling allocator, on-disk compilation cache, epoch
//!   ticker), and a fresh store per call holding the units a plugin was granted, with its
//!   memory limit and deadline.
//! - [`loaded`]: a plugin compiled, linked, described and granted, ready for exports.
//! - [`exporter`]: one export session's calls into an exporter instance.
//! - [`notifier`]: a notification channel loaded, its settings checked, and one message
//!   delivered by it, each call in a fresh instance.
//! - [`registry`]: the plugins this process has loaded, from the plugins folder and from the
//!   database, kept in step with the `plugins` table that every replica shares.
//! - [`admin`]: installing, enabling, disabling and removing plugins at run time.
//! - [`package`]: a plugin's manifest and component found on disk, as a folder, a cargo
//!   project's build, or named apart, for `tessera plugin install`.
//! - [`scaffold`]: a new plugin project from the built-in template and SDK (`tessera plugin
//!   new`).
//!
//! A plugin that traps, loops, exhausts its memory or returns garbage fails only its own call,
//! with a [`PluginError`] naming which of these happened.

pub mod admin;
pub mod bindings;
pub mod capabilities;
pub mod error;
pub mod exporter;
pub mod loaded;
pub mod manifest;
pub mod notifier;
pub mod package;
pub mod registry;
pub mod runtime;
pub mod scaffold;

pub use bindings::SUPPORTED_API_VERSIONS;
pub use error::PluginError;
pub use loaded::LoadedPlugin;
pub use manifest::Manifest;
pub use notifier::LoadedNotifier;
pub use registry::PluginRegistry;
pub use runtime::PluginRuntime;

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The modules of `plugins`, each allowed to import only those before it (the order of the
    /// list in the module docs).
    const LAYERS: &[&str] = &[
        "error",
        "bindings",
        "manifest",
        "capabilities",
        "runtime",
        "loaded",
        "exporter",
        "notifier",
        "registry",
        "admin",
        "package",
        "scaffold",
    ];

    /// The code of a file, without its tests and comments (doc links are not imports).
    fn code(path: &Path) -> String {
        let text = std::fs::read_to_string(path).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        text.lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The names that follow `prefix` in `code` (`super::runtime::classify` gives `runtime`).
    fn named_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
        code.match_indices(prefix)
            .filter(|(at, _)| {
                // `super::super::x` is not `super::x`.
                !code[..*at].ends_with("super::")
            })
            .map(|(at, _)| {
                let rest = &code[at + prefix.len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                &rest[..end]
            })
            .collect()
    }

    /// Issue 15 ("plugin host by capability"): the plugin host's modules import one way only,
    /// down the layers, and the capability units know nothing of each other nor of their
    /// composition. Before, the runtime, the sandbox's capabilities, the bindings and the
    /// registry imported each other in a circle of five files.
    #[test]
    fn plugin_modules_import_one_way_only() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/plugins");
        let mut upward = Vec::new();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&root).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                for child in std::fs::read_dir(&path).unwrap() {
                    files.push(child.unwrap().path());
                }
            } else if path.file_name().is_some_and(|name| name != "mod.rs") {
                files.push(path);
            }
        }
        for path in files {
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let module = relative.split(['/', '.']).next().unwrap().to_owned();
            let layer = LAYERS
                .iter()
                .position(|m| *m == module)
                .unwrap_or_else(|| panic!("plugins::{module} is missing from LAYERS"));
            let code = code(&path);
            let nested = relative.contains('/') && !relative.ends_with("/mod.rs");
            let mut imported = named_after(&code, "crate::plugins::");
            imported.extend(named_after(&code, "super::super::"));
            let mut parent_items = named_after(&code, "super::");
            if nested {
                let own_folder = format!("crate::plugins::{module}::");
                parent_items.extend(named_after(&code, &own_folder));
            }
            if nested {
                // Inside a folder, `super::` is the folder itself: a unit may use the shape
                // all units share, nothing else of its folder.
                for item in parent_items {
                    if module == "capabilities" && item != "unit" {
                        upward.push(format!("{relative} uses capabilities::{item}"));
                    }
                    // An older version's bindings convert to the newest (`latest`); a version
                    // may name itself. Nothing else: the versions know nothing of the adapter.
                    let own = relative == format!("bindings/{item}.rs");
                    if module == "bindings" && item != "latest" && !own {
                        upward.push(format!("{relative} uses bindings::{item}"));
                    }
                }
            } else {
                imported.extend(parent_items);
            }
            for name in imported {
                let Some(target) = LAYERS.iter().position(|m| *m == name) else {
                    upward.push(format!("{relative} uses plugins::{name}, not a module"));
                    continue;
                };
                if target >= layer && name != module {
                    upward.push(format!("{relative} imports plugins::{name}"));
                }
            }
        }
        assert!(
            upward.is_empty(),
            "imports that point up or sideways (order: {}):\n{}",
            LAYERS.join(", "),
            upward.join("\n")
        );
    }
}
