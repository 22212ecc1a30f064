//! What the access-related subcommands do (`tessera policy`, `tessera audit`), against the
//! same database and with the same checks as the API; changes are audited as the `system`
//! actor, since the command line acts with the operator's database access.

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
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    match parts.as_slice() {
        ["p", sub, obj, act] => Ok(RuleLine {
            ptype: "p".into(),
            v0: (*sub).into(),
            v1: (*obj).into(),
            v2: (*act).into(),
        }),
        ["g", sub, role] => Ok(RuleLine {
            ptype: "g".into(),
            v0: (*sub).into(),
            v1: (*role).into(),
            v2: String::new(),
        }),
        _ => {
            bail!("'{text}' is not a rule; write 'p, subject, object, level' or 'g, subject, role'")
        }
    }
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
            let object = if object.starts_with("dataset:") {
                object
            } else {
                policy::dataset_object(&object)
            };
            let subject = rules::validate(
                conn,
                &RuleLine {
                    ptype: "p".into(),
                    v0: subject,
                    v1: object.clone(),
                    v2: level.as_str().into(),
                },
            )?
            .v0;
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
