//! `tessera plugin new NAME`: a new export-format project, ready to build.
//!
//! The project is the template (`plugins/template`, the first-party Markdown format) renamed to
//! NAME, with the guest SDK of this server (`plugins/sdk`, its contract bundled) vendored into
//! its `sdk/` folder and its own lock file, so that it builds offline from the registry cache
//! and against the very contract this server loads, without a Tessera checkout. Both are
//! compiled into the binary; a test checks that no file of either is left out.
//!
//! It owns only the writing of files. Building the project is cargo's, and installing what
//! cargo left is [`super::package`]'s and [`super::admin`]'s.

use std::path::{Path, PathBuf};

use super::manifest::Manifest;

/// A file of a project: its path in the project and its text.
type ProjectFile = (&'static str, &'static str);

/// The template, as it is in the repository (`plugins/template`), less its build output.
const TEMPLATE: &[ProjectFile] = &[
    (
        "Cargo.toml",
        include_str!("../../../plugins/template/Cargo.toml"),
    ),
    (
        "Cargo.lock",
        include_str!("../../../plugins/template/Cargo.lock"),
    ),
    (
        "plugin.toml",
        include_str!("../../../plugins/template/plugin.toml"),
    ),
    (
        "README.md",
        include_str!("../../../plugins/template/README.md"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../plugins/template/src/lib.rs"),
    ),
];

/// The SDK, as `cargo package` packs it (`include` in its Cargo.toml): vendored as `sdk/`.
const SDK: &[ProjectFile] = &[
    (
        "Cargo.toml",
        include_str!("../../../plugins/sdk/Cargo.toml"),
    ),
    ("README.md", include_str!("../../../plugins/sdk/README.md")),
    (
        "src/batch.rs",
        include_str!("../../../plugins/sdk/src/batch.rs"),
    ),
    (
        "src/compress.rs",
        include_str!("../../../plugins/sdk/src/compress.rs"),
    ),
    (
        "src/digest.rs",
        include_str!("../../../plugins/sdk/src/digest.rs"),
    ),
    (
        "src/glue.rs",
        include_str!("../../../plugins/sdk/src/glue.rs"),
    ),
    (
        "src/http.rs",
        include_str!("../../../plugins/sdk/src/http.rs"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../plugins/sdk/src/lib.rs"),
    ),
    (
        "src/mail.rs",
        include_str!("../../../plugins/sdk/src/mail.rs"),
    ),
    (
        "src/notifier.rs",
        include_str!("../../../plugins/sdk/src/notifier.rs"),
    ),
    (
        "src/options.rs",
        include_str!("../../../plugins/sdk/src/options.rs"),
    ),
    (
        "src/scratch.rs",
        include_str!("../../../plugins/sdk/src/scratch.rs"),
    ),
    (
        "src/table.rs",
        include_str!("../../../plugins/sdk/src/table.rs"),
    ),
    (
        "src/testing.rs",
        include_str!("../../../plugins/sdk/src/testing.rs"),
    ),
    (
        "src/text.rs",
        include_str!("../../../plugins/sdk/src/text.rs"),
    ),
    (
        "src/time.rs",
        include_str!("../../../plugins/sdk/src/time.rs"),
    ),
    (
        "wit/tessera-plugin@0.3.0/types.wit",
        include_str!("../../../plugins/sdk/wit/tessera-plugin@0.3.0/types.wit"),
    ),
    (
        "wit/tessera-plugin@0.3.0/notifier.wit",
        include_str!("../../../plugins/sdk/wit/tessera-plugin@0.3.0/notifier.wit"),
    ),
    (
        "wit/tessera-plugin@0.3.0/deps/cli/cli.wit",
        include_str!("../../../plugins/sdk/wit/tessera-plugin@0.3.0/deps/cli/cli.wit"),
    ),
    (
        "wit/tessera-plugin@0.3.0/deps/clocks/clocks.wit",
        include_str!("../../../plugins/sdk/wit/tessera-plugin@0.3.0/deps/clocks/clocks.wit"),
    ),
    (
        "wit/tessera-plugin@0.3.0/deps/filesystem/filesystem.wit",
        include_str!(
            "../../../plugins/sdk/wit/tessera-plugin@0.3.0/deps/filesystem/filesystem.wit"
        ),
    ),
    (
        "wit/tessera-plugin@0.3.0/deps/http/http.wit",
        include_str!("../../../plugins/sdk/wit/tessera-plugin@0.3.0/deps/http/http.wit"),
    ),
    (
        "wit/tessera-plugin@0.3.0/deps/io/io.wit",
        include_str!("../../../plugins/sdk/wit/tessera-plugin@0.3.0/deps/io/io.wit"),
    ),
    (
        "wit/tessera-plugin@0.3.0/deps/random/random.wit",
        include_str!("../../../plugins/sdk/wit/tessera-plugin@0.3.0/deps/random/random.wit"),
    ),
    (
        "wit/tessera-plugin@0.3.0/deps/sockets/sockets.wit",
        include_str!("../../../plugins/sdk/wit/tessera-plugin@0.3.0/deps/sockets/sockets.wit"),
    ),
];

/// The template's format id and crate name, which become the new plugin's.
const TEMPLATE_ID: &str = "markdown";
const TEMPLATE_CRATE: &str = "tessera-plugin-template";

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{0}")]
    InvalidName(String),
    #[error("{0} exists and is not empty; choose another folder with --dir")]
    NotEmpty(PathBuf),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The template no longer has a line the scaffold rewrites: a bug of this build, caught by
    /// the tests, reported rather than written half-done.
    #[error("the built-in template has no `{0}` to rewrite")]
    Template(String),
}

/// What [`create`] made.
#[derive(Debug)]
pub struct Scaffold {
    pub dir: PathBuf,
    /// The cargo package name, `tessera-plugin-<id>`.
    pub crate_name: String,
    /// Where `cargo build --release --target wasm32-wasip2` leaves the component.
    pub component: PathBuf,
}

/// The cargo package name of the plugin with this id.
pub fn crate_name(id: &str) -> String {
    format!("tessera-plugin-{id}")
}

/// Writes a new plugin project for the format `id` into `dir`, which must not exist or be empty.
pub fn create(id: &str, dir: &Path) -> Result<Scaffold, ScaffoldError> {
    check_id(id)?;
    let files = project_files(id)?;
    let not_empty = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if not_empty || dir.is_file() {
        return Err(ScaffoldError::NotEmpty(dir.to_owned()));
    }
    for (path, text) in &files {
        let target = dir.join(path);
        let io = |source| ScaffoldError::Io {
            path: target.clone(),
            source,
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&target, text).map_err(io)?;
    }
    let crate_name = crate_name(id);
    Ok(Scaffold {
        dir: dir.to_owned(),
        component: dir
            .join("target/wasm32-wasip2/release")
            .join(format!("{}.wasm", crate_name.replace('-', "_"))),
        crate_name,
    })
}

/// The id rules of a manifest (the format id in export URLs): the template's own manifest, with
/// this id, must pass them. The crate name follows from it.
fn check_id(id: &str) -> Result<(), ScaffoldError> {
    let template = TEMPLATE
        .iter()
        .find(|(path, _)| *path == "plugin.toml")
        .map(|(_, text)| *text)
        .ok_or_else(|| ScaffoldError::Template("plugin.toml".into()))?;
    let mut manifest: Manifest =
        toml::from_str(template).map_err(|e| ScaffoldError::Template(e.to_string()))?;
    manifest.id = id.to_owned();
    manifest.validate().map_err(ScaffoldError::InvalidName)
}

/// Every file of the project for `id`, with the template's names replaced.
fn project_files(id: &str) -> Result<Vec<(String, String)>, ScaffoldError> {
    let crate_name = crate_name(id);
    let mut files = Vec::new();
    for (path, text) in TEMPLATE {
        let text = match *path {
            "Cargo.toml" => {
                let text = replace_once(
                    text,
                    &format!("name = \"{TEMPLATE_CRATE}\""),
                    &format!("name = \"{crate_name}\""),
                )?;
                let text = replace_line(
                    &text,
                    "description = ",
                    &format!("description = \"Tessera export format {id}\""),
                )?;
                // The SDK is vendored into the project.
                replace_once(
                    &text,
                    "tessera-plugin-sdk = { path = \"../sdk\" }",
                    "tessera-plugin-sdk = { path = \"sdk\" }",
                )?
            }
            "Cargo.lock" => renamed_in_lock(text, TEMPLATE_CRATE, &crate_name)?,
            "plugin.toml" => {
                let text = replace_once(
                    text,
                    &format!("id = \"{TEMPLATE_ID}\""),
                    &format!("id = \"{id}\""),
                )?;
                let text = replace_line(&text, "name = ", &format!("name = \"{id}\""))?;
                replace_once(
                    &text,
                    &format!("component = \"{TEMPLATE_ID}.wasm\""),
                    &format!("component = \"{id}.wasm\""),
                )?
            }
            "src/lib.rs" => replace_once(
                text,
                &format!("FormatInfo::new(\"{TEMPLATE_ID}\","),
                &format!("FormatInfo::new(\"{id}\","),
            )?,
            _ => (*text).to_owned(),
        };
        files.push(((*path).to_owned(), text));
    }
    for (path, text) in SDK {
        files.push((format!("sdk/{path}"), (*text).to_owned()));
    }
    files.push((".gitignore".to_owned(), "/target\n".to_owned()));
    Ok(files)
}

fn replace_once(text: &str, from: &str, to: &str) -> Result<String, ScaffoldError> {
    if text.matches(from).count() != 1 {
        return Err(ScaffoldError::Template(from.to_owned()));
    }
    Ok(text.replacen(from, to, 1))
}

/// Replaces the first line that starts with `start` (at the left margin) with `line`.
fn replace_line(text: &str, start: &str, line: &str) -> Result<String, ScaffoldError> {
    let mut found = false;
    let lines: Vec<&str> = text
        .lines()
        .map(|current| {
            if !found && current.starts_with(start) {
                found = true;
                line
            } else {
                current
            }
        })
        .collect();
    if !found {
        return Err(ScaffoldError::Template(start.to_owned()));
    }
    Ok(lines.join("\n") + "\n")
}

/// The lock file with the package `from` renamed `to` and the packages in the order cargo
/// keeps them (by name), so that `cargo build --locked` accepts it as it is.
fn renamed_in_lock(lock: &str, from: &str, to: &str) -> Result<String, ScaffoldError> {
    const SEPARATOR: &str = "\n[[package]]\n";
    let mut parts = lock.split(SEPARATOR);
    let header = parts.next().unwrap_or_default();
    let old_name = format!("name = \"{from}\"\n");
    let mut packages: Vec<String> = Vec::new();
    let mut renamed = false;
    for package in parts {
        if let Some(rest) = package.strip_prefix(&old_name) {
            packages.push(format!("name = \"{to}\"\n{rest}"));
            renamed = true;
        } else {
            packages.push(package.to_owned());
        }
    }
    if !renamed {
        return Err(ScaffoldError::Template(old_name.trim().to_owned()));
    }
    // Each block ends in a blank line but the last; sort without them, then put them back.
    let mut blocks: Vec<String> = packages
        .iter()
        .map(|block| block.trim_end_matches('\n').to_owned())
        .collect();
    // Stable: versions of one name keep the order cargo gave them.
    blocks.sort_by(|a, b| package_name(a).cmp(package_name(b)));
    let mut out = header.to_owned();
    for block in blocks {
        out.push_str(SEPARATOR);
        out.push_str(&block);
        out.push('\n');
    }
    Ok(out)
}

fn package_name(block: &str) -> &str {
    block
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("name = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// Every file under `folder`, relative to it, `/` between parts, skipping `skip` folders.
    fn files_under(folder: &Path, relative: &str, skip: &[&str], into: &mut Vec<String>) {
        for entry in std::fs::read_dir(folder.join(relative)).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if relative.is_empty() {
                name
            } else {
                format!("{relative}/{name}")
            };
            if skip.contains(&path.as_str()) {
                continue;
            }
            if entry.path().is_dir() {
                files_under(folder, &path, skip, into);
            } else {
                into.push(path);
            }
        }
    }

    fn listed(files: &[ProjectFile]) -> Vec<String> {
        let mut names: Vec<String> = files.iter().map(|(path, _)| (*path).to_owned()).collect();
        names.sort();
        names
    }

    // Issue 15 (the plugin platform): a project that `tessera plugin new` makes has every file
    // of the SDK and the template; a file added to either and not here would break its build.
    #[test]
    fn every_file_of_the_sdk_and_the_template_is_built_in() {
        let mut sdk = Vec::new();
        files_under(&repo().join("plugins/sdk"), "", &["target"], &mut sdk);
        sdk.sort();
        assert_eq!(listed(SDK), sdk, "plugins/sdk/ and scaffold::SDK differ");
        let mut template = Vec::new();
        files_under(
            &repo().join("plugins/template"),
            "",
            &["target"],
            &mut template,
        );
        template.sort();
        assert_eq!(
            listed(TEMPLATE),
            template,
            "plugins/template/ and scaffold::TEMPLATE differ"
        );
    }

    #[test]
    fn the_project_is_the_template_renamed_with_the_sdk_beside_it() {
        let files: std::collections::BTreeMap<String, String> =
            project_files("tsv").unwrap().into_iter().collect();
        let cargo = &files["Cargo.toml"];
        assert!(cargo.contains("name = \"tessera-plugin-tsv\""), "{cargo}");
        assert!(
            cargo.contains("tessera-plugin-sdk = { path = \"sdk\" }"),
            "{cargo}"
        );
        assert!(cargo.contains("[profile.release]"), "{cargo}");
        let manifest: Manifest = toml::from_str(&files["plugin.toml"]).unwrap();
        manifest.validate().unwrap();
        assert_eq!(
            (manifest.id.as_str(), manifest.component.as_str()),
            ("tsv", "tsv.wasm")
        );
        assert!(files["src/lib.rs"].contains("FormatInfo::new(\"tsv\","));
        assert!(
            files["src/lib.rs"].contains("#[cfg(test)]"),
            "it comes with tests"
        );
        assert_eq!(
            files["sdk/src/lib.rs"],
            std::fs::read_to_string(repo().join("plugins/sdk/src/lib.rs")).unwrap()
        );
    }

    #[test]
    fn the_lock_file_is_renamed_and_stays_in_cargos_order() {
        let lock = &project_files("aardvark").unwrap()[1].1;
        let names: Vec<&str> = lock
            .split("\n[[package]]\n")
            .skip(1)
            .map(package_name)
            .collect();
        assert!(names.contains(&"tessera-plugin-aardvark"));
        assert!(!names.contains(&TEMPLATE_CRATE));
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        // Nothing else changed: the same packages at the same versions.
        let original = std::fs::read_to_string(repo().join("plugins/template/Cargo.lock")).unwrap();
        assert_eq!(
            lock.len() + TEMPLATE_CRATE.len(),
            original.len() + "tessera-plugin-aardvark".len()
        );
    }

    #[test]
    fn names_follow_the_manifests_rules() {
        for bad in ["", "Tsv", "my format", "../up", "a/b"] {
            assert!(
                matches!(check_id(bad), Err(ScaffoldError::InvalidName(_))),
                "{bad:?}"
            );
        }
        assert!(check_id("my-format_2").is_ok());
    }

    #[test]
    fn a_folder_with_files_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mine.txt"), "keep").unwrap();
        assert!(matches!(
            create("tsv", dir.path()),
            Err(ScaffoldError::NotEmpty(_))
        ));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("mine.txt")).unwrap(),
            "keep"
        );
        let made = create("tsv", &dir.path().join("tsv")).unwrap();
        assert!(
            made.dir
                .join("sdk/wit/tessera-plugin@0.3.0/types.wit")
                .is_file()
        );
        assert!(
            made.component
                .ends_with("target/wasm32-wasip2/release/tessera_plugin_tsv.wasm")
        );
    }
}
