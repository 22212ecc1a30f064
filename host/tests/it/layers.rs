//! Issue 15: the host's modules import one way only, down the layers, so that a newcomer can
//! read any module knowing only what lies beneath it, and no circle of imports remains.
//!
//! [`LAYERS`] lists the top-level modules of `host/src` from the bottom up. A module may name
//! (`crate::x`) only modules listed before it; the test fails on any import that points up.
//! (It began with an allow-list of the seventeen imports that pointed up when it was written,
//! which shrank to nothing as the transport layer took over what the domain did with HTTP.)
//! Tests inside a module (after `#[cfg(test)]`) and comments are not counted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The host's top-level modules, from the bottom up.
#[rustfmt::skip]
const LAYERS: &[&str] = &[
    // Foundations, which know nothing of the domain.
    "time", "human", "licences", "error_code", "net", "outbound", "mail", "config", "logging",
    "storage",
    // Persistence, and the counters read from it.
    "db", "metrics",
    // The event stream every action writes to.
    "activity",
    // The domain.
    "access", "auth", "accounts", "teams", "groups", "sharing", "ingest", "datasets", "plugins",
    "export", "explore", "links",
    // The readers of the event stream.
    "notifications", "dispatch",
    // The domain composed for one process, and its work between requests.
    "state", "background",
    // Transport: HTTP errors, extractors, routes, the JSON API and the pages.
    "http",
    // The command line.
    "cli", "commands",
];

fn source_files(module: &str) -> Vec<PathBuf> {
    source_files_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), module)
}

/// The files of `module` in the folder `src`: `module.rs` and everything under `module/`.
fn source_files_in(src: &Path, module: &str) -> Vec<PathBuf> {
    let file = src.join(format!("{module}.rs"));
    let folder = src.join(module);
    let mut files = Vec::new();
    if file.is_file() {
        files.push(file);
    }
    let mut folders = vec![folder];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// A file's code without its tests and comments (a doc link is not an import).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules `code` names: `crate::x::...` and each first name inside
/// `crate::{x::..., y}`.
fn modules_named(code: &str) -> BTreeSet<String> {
    modules_named_under(code, "crate::")
}

/// The modules under `prefix` (`crate::`, `crate::http::`) that `code` names.
fn modules_named_under(code: &str, prefix: &str) -> BTreeSet<String> {
    let ident = |text: &str| -> String {
        text.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices(prefix) {
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The top-level entries of the group: split at commas outside nested braces.
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        names.insert(ident(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            names.insert(ident(rest));
        }
    }
    names.remove("");
    names
}

#[test]
fn modules_import_down_the_layers_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // Every module is placed: a new one must say where it stands.
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        assert!(
            LAYERS.contains(&name.as_str()),
            "host/src/{name} is in no layer: add it to LAYERS in {}",
            file!()
        );
    }

    let rank = |module: &str| LAYERS.iter().position(|m| *m == module);
    let mut pointing_up = BTreeSet::new();
    for (at, module) in LAYERS.iter().enumerate() {
        for file in source_files(module) {
            for named in modules_named(&code(&file)) {
                if let Some(target) = rank(&named)
                    && target > at
                {
                    pointing_up.insert((module.to_string(), named));
                }
            }
        }
    }
    let up: Vec<String> = pointing_up
        .iter()
        .map(|(a, b)| format!("{a} -> {b}"))
        .collect();
    assert!(
        up.is_empty(),
        "imports that point up the layers ({}): {}",
        LAYERS.join(" < "),
        up.join(", ")
    );
}

/// The transport layer's own modules, from the bottom up. The pages and the JSON API are
/// siblings that share what lies beneath them (access, downloads, the views both render) and
/// never import each other ([`SIBLINGS`]); the document is written from the API; the app
/// composes them all.
#[rustfmt::skip]
const HTTP_LAYERS: &[&str] = &[
    "error", "client", "cookies", "extract", "paging", "table_view", "access", "routing",
    "download", "export_stream", "views", "link_access",
    "pages", "api", "openapi", "app",
];

/// Modules of one rank in [`HTTP_LAYERS`]: neither may name the other.
const SIBLINGS: &[(&str, &str)] = &[("pages", "api")];

#[test]
fn the_transport_layer_imports_down_its_own_layers_only() {
    let http = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("http");
    for entry in std::fs::read_dir(&http).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "mod" {
            continue;
        }
        assert!(
            HTTP_LAYERS.contains(&name.as_str()),
            "host/src/http/{name} is in no layer: add it to HTTP_LAYERS in {}",
            file!()
        );
    }
    let rank = |module: &str| HTTP_LAYERS.iter().position(|m| *m == module);
    let mut up = Vec::new();
    for (at, module) in HTTP_LAYERS.iter().enumerate() {
        for file in source_files_in(&http, module) {
            for named in modules_named_under(&code(&file), "crate::http::") {
                let sibling = SIBLINGS.iter().any(|(a, b)| {
                    (a, b) == (module, &named.as_str()) || (b, a) == (module, &named.as_str())
                });
                if sibling || rank(&named).is_some_and(|target| target > at) {
                    up.push(format!("{module} -> {named}"));
                }
            }
        }
    }
    up.sort();
    up.dedup();
    assert!(
        up.is_empty(),
        "imports that point up the transport layer's modules ({}): {}",
        HTTP_LAYERS.join(" < "),
        up.join(", ")
    );
}

#[test]
fn a_crate_path_names_its_top_level_module() {
    let named = modules_named(
        "use crate::db::{self, x};\nuse crate::{api::shared, error::{ApiError, Code}, time};\nlet t = crate::state::AppState::new();",
    );
    let named: Vec<&str> = named.iter().map(String::as_str).collect();
    assert_eq!(named, ["api", "db", "error", "state", "time"]);
}
