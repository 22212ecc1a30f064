//! What the access-related subcommands do (`tessera policy`, `tessera audit`), against the
//! same database and with the same checks as the API; changes are audited as the `system`
//! actor, since the command line acts with the operator's database access. Also `tessera export
//! verify`, which re-runs an export's manifest to check its promise of byte-identical output.

use anyhow::{Context, bail};

use crate::access::Level;
use crate::access::audit;
use crate::access::policy::{self, PolicyChange, RuleLine, Snapshot};
use crate::access::rules::{self, Changer};
use crate::access::token::{self, Attenuation, Operation};
use crate::cli::{AuditCommand, PolicyCommand, TokenCommand};
use crate::db::policy_rules::{PolicyRule, PolicyVersion};
use crate::state::AppState;
use crate::time::now_millis;

fn operator() -> Changer<'static> {
    Changer {
        user_id: None,
        actor: "system".to_owned(),
        address: None,
    }
}

fn parse_rule(text: &str) -> anyhow::Result<RuleLine> {
    RuleLine::parse(text).ok_or_else(|| {
        anyhow::anyhow!(
            "'{text}' is not a rule; write 'p, subject, object, level' or 'g, subject, role'"
        )
    })
}

pub fn policy(state: &AppState, command: PolicyCommand) -> anyhow::Result<()> {
    let mut conn = state.db.get()?;
    let conn = &mut *conn;
    let now = now_millis();
    match command {
        PolicyCommand::List => {
            println!("policy version {}", PolicyVersion::current(conn)?);
            for rule in PolicyRule::all(conn)? {
                let line = RuleLine {
                    ptype: rule.ptype,
                    v0: rule.v0,
                    v1: rule.v1,
                    v2: rule.v2,
                };
                let note = if rule.note.is_empty() {
                    String::new()
                } else {
                    format!("  # {}", rule.note)
                };
                println!("{}  {}{note}", rule.id, line.display());
            }
        }
        PolicyCommand::Add {
            ptype,
            v0,
            v1,
            v2,
            note,
        } => {
            let line = RuleLine {
                ptype,
                v0,
                v1,
                v2: v2.unwrap_or_default(),
            };
            let (rule, version) = rules::add(conn, &operator(), &line, &note, now)?;
            println!("added {} (policy version {version})", rule.id);
        }
        PolicyCommand::Remove { id } => {
            let version = rules::remove(conn, &operator(), &id, now)
                .with_context(|| format!("cannot remove rule {id}"))?;
            println!("removed {id} (policy version {version})");
        }
        PolicyCommand::Check {
            subject,
            level,
            object,
        } => {
            let Some(level) = Level::parse(&level) else {
                bail!("the level must be view, edit or admin");
            };
            let object = policy::Object::written(&object);
            let subject = rules::validate(
                conn,
                &RuleLine {
                    ptype: "p".into(),
                    v0: subject,
                    v1: object.to_string(),
                    v2: level.as_str().into(),
                },
            )?
            .v0;
            let subject = policy::Subject::written(subject);
            let why = Snapshot::load(conn, now, None)?.explain(&subject, &object, level)?;
            println!(
                "{}: {subject} {} {} {object}",
                if why.allowed { "allowed" } else { "denied" },
                if why.allowed { "may" } else { "may not" },
                level.as_str()
            );
            println!("rule: {}", why.rule);
            println!("path: {}", why.path.join(" -> "));
        }
        PolicyCommand::DryRun { add, remove } => {
            let mut change = PolicyChange {
                add: Vec::new(),
                remove,
            };
            for text in add {
                change.add.push(rules::validate(conn, &parse_rule(&text)?)?);
            }
            let report = policy::dry_run(conn, now, &change)?;
            println!(
                "{} would gain, {} would lose ({} user-dataset pairs compared)",
                report.gained.len(),
                report.lost.len(),
                report.pairs_checked
            );
            if let Some(sentence) = report.left_out.sentence() {
                println!("{sentence}");
            }
            for (sign, deltas) in [("+", &report.gained), ("-", &report.lost)] {
                for d in deltas {
                    println!(
                        "{sign} {} on {} ({}): {} -> {}",
                        d.user_email,
                        d.dataset_name,
                        d.dataset_id,
                        d.before.as_deref().unwrap_or("none"),
                        d.after.as_deref().unwrap_or("none")
                    );
                }
            }
        }
    }
    Ok(())
}

pub fn audit(state: &AppState, command: AuditCommand) -> anyhow::Result<()> {
    let mut conn = state.db.get()?;
    match command {
        AuditCommand::Verify => {
            let report = audit::verify(&mut conn)?;
            if report.intact {
                println!(
                    "audit log intact: {} entries, chain verified",
                    report.entries
                );
                Ok(())
            } else {
                for problem in &report.problems {
                    println!("{problem}");
                }
                bail!(
                    "the audit log was tampered with: {} problem(s) in {} entries",
                    report.problems.len(),
                    report.entries
                )
            }
        }
    }
}

fn read_token(text: String) -> anyhow::Result<String> {
    if text == "-" {
        let mut input = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)?;
        Ok(input.trim().to_owned())
    } else {
        Ok(text.trim().to_owned())
    }
}

fn list(text: Option<String>) -> Option<Vec<String>> {
    text.map(|t| {
        t.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// `tessera token ...`: works on the token alone, as any holder can.
pub fn token(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Inspect { token } => {
            let info = token::inspect(&read_token(token)?)?;
            println!("link:  {}", info.link_id.as_deref().unwrap_or("(none)"));
            println!("level: {}", info.level.as_deref().unwrap_or("(none)"));
            for (index, (block, id)) in info.blocks.iter().zip(&info.revocation_ids).enumerate() {
                let name = if index == 0 {
                    "authority".to_owned()
                } else {
                    format!("block {index}")
                };
                println!("\n{name} (revocation id {id}):");
                for line in block.lines() {
                    println!("  {line}");
                }
            }
        }
        TokenCommand::Attenuate {
            token,
            expires_in,
            expires_at,
            level,
            max_downloads,
            columns,
            formats,
            version,
        } => {
            let expires_at = match (expires_in, expires_at) {
                (Some(_), Some(_)) => bail!("give --expires-in or --expires-at, not both"),
                (Some(seconds), None) if seconds > 0 => {
                    Some(time::OffsetDateTime::now_utc() + time::Duration::seconds(seconds))
                }
                (Some(_), None) => bail!("--expires-in must be a positive number of seconds"),
                (None, Some(text)) => Some(
                    time::OffsetDateTime::parse(
                        &text,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .with_context(|| format!("'{text}' is not an RFC 3339 time"))?,
                ),
                (None, None) => None,
            };
            let operation = match level.as_deref() {
                None => None,
                Some(text) => Some(
                    Operation::parse(text)
                        .ok_or_else(|| anyhow::anyhow!("--level must be view or download"))?,
                ),
            };
            let narrower = token::attenuate(
                &read_token(token)?,
                &Attenuation {
                    expires_at,
                    operation,
                    max_downloads,
                    columns: list(columns),
                    formats: list(formats),
                    version,
                },
            )?;
            println!("{narrower}");
        }
    }
    Ok(())
}

/// What `tessera export verify` found.
#[derive(Debug)]
pub struct ExportCheck {
    /// Whether the export, run again, has the manifest's SHA-256.
    pub matches: bool,
    /// What was compared and found, a line each, for the operator.
    pub report: Vec<String>,
}

/// The parts of a manifest (`export::jobs` writes them) a re-run needs; other fields, such as
/// the job's id, are ignored.
#[derive(Debug, serde::Deserialize)]
struct ManifestToVerify {
    dataset: ManifestDataset,
    export: crate::export::ExportSpec,
    plugin: ManifestPlugin,
    rows: u64,
    output: ManifestOutput,
    exported_at: String,
}

#[derive(Debug, serde::Deserialize)]
struct ManifestDataset {
    id: String,
    version: i32,
    sha256: String,
}

#[derive(Debug, serde::Deserialize)]
struct ManifestPlugin {
    id: String,
    version: String,
    component_sha256: String,
}

#[derive(Debug, serde::Deserialize)]
struct ManifestOutput {
    bytes: u64,
    sha256: String,
}

/// Re-runs the export `manifest` (a finished job's manifest, or the whole job's JSON)
/// describes: the same dataset version, configuration, format and export time, against this
/// installation's data and plugins, into a temporary file that is removed afterwards; then
/// compares its SHA-256 with the manifest's. When the stored version is not the data the
/// manifest names (its SHA-256 differs), nothing is run: no output could match.
pub fn export_verify(state: &AppState, manifest: &str) -> anyhow::Result<ExportCheck> {
    let value: serde_json::Value =
        serde_json::from_str(manifest).context("the manifest is not JSON")?;
    let value = match value.get("manifest") {
        Some(inner) if inner.is_object() => inner.clone(),
        _ => value,
    };
    let manifest: ManifestToVerify = serde_json::from_value(value).context(
        "the manifest lacks what a re-run needs (dataset, export, plugin, output, exported_at)",
    )?;
    let mut report = Vec::new();

    let mut conn = state.db.get()?;
    let dataset = crate::db::datasets::Dataset::find(&mut conn, &manifest.dataset.id)
        .map_err(|_| anyhow::anyhow!("there is no dataset '{}' here", manifest.dataset.id))?;
    let version = crate::db::dataset_versions::DatasetVersion::find(
        &mut conn,
        &dataset.id,
        manifest.dataset.version,
    )
    .map_err(|_| {
        anyhow::anyhow!(
            "dataset '{}' has no version {} here",
            manifest.dataset.id,
            manifest.dataset.version
        )
    })?;
    drop(conn);
    // A withdrawn version's file is gone: the export cannot be made again.
    let version = crate::datasets::served(version)?;
    if version.sha256 != manifest.dataset.sha256 {
        report.push(format!(
            "dataset {} version {}: SHA-256 {} here, {} in the manifest: not the data the export \
             was made from, so it was not run again",
            dataset.id, version.version, version.sha256, manifest.dataset.sha256
        ));
        return Ok(ExportCheck {
            matches: false,
            report,
        });
    }
    report.push(format!(
        "dataset {} version {}: SHA-256 {} as in the manifest",
        dataset.id, version.version, version.sha256
    ));

    let plugin = state.plugins.get(&manifest.plugin.id).ok_or_else(|| {
        anyhow::anyhow!(
            "the format '{}' is not installed or not enabled here (see `tessera plugin list`)",
            manifest.plugin.id
        )
    })?;
    if plugin.manifest.version != manifest.plugin.version
        || plugin.component_sha256 != manifest.plugin.component_sha256
    {
        report.push(format!(
            "format {}: version {} (component SHA-256 {}) here, {} ({}) in the manifest: \
             another plugin may write other bytes",
            manifest.plugin.id,
            plugin.manifest.version,
            plugin.component_sha256,
            manifest.plugin.version,
            manifest.plugin.component_sha256
        ));
    } else {
        report.push(format!(
            "format {} {}: component SHA-256 {} as in the manifest",
            manifest.plugin.id, plugin.manifest.version, plugin.component_sha256
        ));
    }

    let mut spec = manifest.export;
    spec.exported_at = Some(manifest.exported_at);
    let exported_at = spec
        .export_time(crate::time::now_millis())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let source = crate::export::ExportSource::new(&state.storage, dataset, version, exported_at);
    let folder = tempfile::tempdir_in(state.storage.tmp_dir())
        .context("cannot make a temporary folder in the data folder")?;
    let target = folder.path().join("verify");
    let exported = crate::export::export_to_file(
        &state.plugins.runtime,
        &plugin,
        &source,
        &spec,
        &target,
        |_, _| true,
    )
    .map_err(|e| anyhow::anyhow!("the export failed: {e}"))?;
    let matches = exported.sha256 == manifest.output.sha256;
    report.push(format!(
        "output: {} rows, {} bytes, SHA-256 {}; the manifest says {} rows, {} bytes, SHA-256 {}",
        exported.summary.rows,
        exported.summary.bytes,
        exported.sha256,
        manifest.rows,
        manifest.output.bytes,
        manifest.output.sha256
    ));
    report.push(if matches {
        "MATCH: the export made again is byte for byte the one the manifest describes".to_owned()
    } else {
        "MISMATCH: the export made again differs from the one the manifest describes".to_owned()
    });
    Ok(ExportCheck { matches, report })
}
