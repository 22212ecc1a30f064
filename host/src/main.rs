//! The `tessera` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use actix_web::HttpServer;
use clap::Parser;
use tessera::cli::{Cli, Command, ConfigCommand, ExportCommand, PluginCommand, UserCommand};
use tessera::commands;
use tessera::db::users::User;
use tessera::{AppState, build_app, logging};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match tessera::cli::load_config(&cli) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    logging::init(config.log_format, &config.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli, config));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, config: tessera::Config) -> anyhow::Result<()> {
    match cli.command {
        Command::Token { command } => commands::token(command),
        Command::Config {
            command: ConfigCommand::Show,
        } => {
            print!("{}", config.to_masked_toml());
            Ok(())
        }
        Command::Migrate => {
            let db = tessera::db::Database::connect(&config.effective_database_url(), 1)?;
            let applied = tokio::task::spawn_blocking(move || db.migrate()).await??;
            if applied.is_empty() {
                println!("the database is up to date");
            } else {
                println!(
                    "applied {} migration(s): {}",
                    applied.len(),
                    applied.join(", ")
                );
            }
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    admin,
                    password_stdin: _,
                },
        } => {
            let password = tessera::cli::read_password_stdin()?;
            let state = open_state(config).await?;
            let user =
                tessera::accounts::create_user(&state.db, None, &email, &name, &password, admin)
                    .await
                    .map_err(|e| anyhow::anyhow!(e))?;
            println!(
                "created {} {} ({})",
                if user.is_admin { "admin" } else { "user" },
                user.email,
                user.id,
            );
            Ok(())
        }
        Command::Serve { .. } => serve(config).await,
        Command::Plugin { command } => plugin_command(config, command).await,
        Command::Policy { command } => {
            let state = open_state(config).await?;
            tokio::task::spawn_blocking(move || commands::policy(&state, command)).await?
        }
        Command::Audit { command } => {
            let state = open_state(config).await?;
            tokio::task::spawn_blocking(move || commands::audit(&state, command)).await?
        }
        Command::Export {
            command: Some(ExportCommand::Verify { manifest }),
            ..
        } => {
            let text = if manifest.as_os_str() == "-" {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
                text
            } else {
                std::fs::read_to_string(&manifest)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", manifest.display()))?
            };
            let state = open_state(config).await?;
            let check = tokio::task::spawn_blocking(move || commands::export_verify(&state, &text))
                .await??;
            for line in &check.report {
                println!("{line}");
            }
            if !check.matches {
                anyhow::bail!("the export does not match its manifest");
            }
            Ok(())
        }
        Command::Export {
            command: None,
            dataset,
            format,
            options,
            columns,
            filter,
            sort,
            version,
            limit,
            exported_at,
            output,
        } => {
            // clap requires these unless a subcommand is given.
            let (Some(dataset), Some(format), Some(output)) = (dataset, format, output) else {
                anyhow::bail!("give a dataset id, --format and --output");
            };
            let state = open_state(config).await?;
            let plugin = state.plugins.get(&format).ok_or_else(|| {
                anyhow::anyhow!("there is no export format '{format}' (see `tessera plugin list`)")
            })?;
            let parse =
                |name: &str, text: Option<String>| -> anyhow::Result<Option<serde_json::Value>> {
                    text.map(|t| {
                        serde_json::from_str(&t)
                            .map_err(|e| anyhow::anyhow!("--{name} is not valid JSON: {e}"))
                    })
                    .transpose()
                };
            let spec = tessera::export::ExportSpec {
                columns: columns.map(|c| c.split(',').map(|s| s.trim().to_owned()).collect()),
                filter: parse("filter", filter)?,
                sort: sort.as_deref().map(tessera::export::SortKey::parse_list),
                limit,
                options: parse("options", options)?,
                exported_at,
                ..Default::default()
            };
            let exported_at = spec
                .export_time(tessera::time::now_millis())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let db = state.db.clone();
            let (found, found_version) = tokio::task::spawn_blocking(move || {
                let mut conn = db.get()?;
                let found = tessera::db::datasets::Dataset::find(&mut conn, &dataset)
                    .map_err(|_| anyhow::anyhow!("there is no dataset '{dataset}'"))?;
                let number = version.unwrap_or(found.latest_version);
                let found_version = tessera::db::dataset_versions::DatasetVersion::find(
                    &mut conn, &found.id, number,
                )
                .map_err(|_| anyhow::anyhow!("dataset '{dataset}' has no version {number}"))?;
                let found_version = tessera::datasets::served(found_version)?;
                anyhow::Ok((found, found_version))
            })
            .await??;
            let source = tessera::export::ExportSource::new(
                &state.storage,
                found,
                found_version,
                exported_at,
            );
            let runtime = state.plugins.runtime.clone();
            let target = output.clone();
            let summary = tokio::task::spawn_blocking(move || {
                tessera::export::export_to_file(
                    &runtime,
                    &plugin,
                    &source,
                    &spec,
                    &target,
                    |_, _| true,
                )
            })
            .await?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "exported {} rows, {} bytes to {} (sha256 {})",
                summary.summary.rows,
                summary.summary.bytes,
                output.display(),
                summary.sha256
            );
            Ok(())
        }
    }
}

async fn plugin_command(config: tessera::Config, command: PluginCommand) -> anyhow::Result<()> {
    use tessera::plugins::admin;
    // Making a project needs no server, database or configuration.
    if let PluginCommand::New { name, dir } = &command {
        let dir = dir
            .clone()
            .unwrap_or_else(|| std::path::PathBuf::from(name));
        let made = tessera::plugins::scaffold::create(name, &dir)?;
        let shown = made.dir.display();
        println!(
            "created {} in {shown}: the template's Markdown format as `{name}`; make it yours in \
             {shown}/src/lib.rs and {shown}/plugin.toml (README.md says how), then:\n  \
             cd {shown}\n  cargo test\n  cargo build --release --target wasm32-wasip2\n  \
             tessera plugin install . --enable",
            made.crate_name
        );
        return Ok(());
    }
    let state = open_state(config).await?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn = state.db.get()?;
        let now = tessera::time::now_millis();
        match command {
            PluginCommand::List => {
                let records = tessera::db::plugins::PluginRecord::list(&mut conn)?;
                println!(
                    "{:<14} {:<9} {:<10} {:<9} {:<24} access",
                    "id", "source", "version", "state", "media type"
                );
                for record in records {
                    let status = match (state.plugins.is_loaded(&record.id), record.enabled) {
                        (false, _) => "not loaded",
                        (true, true) => "enabled",
                        (true, false) => "disabled",
                    };
                    let stored = tessera::plugins::manifest::Stored::read(&record);
                    let access = stored
                        .ok()
                        .map(|s| s.manifest.capabilities.access_requests().join(", "))
                        .filter(|a| !a.is_empty())
                        .unwrap_or_else(|| "-".into());
                    println!(
                        "{:<14} {:<9} {:<10} {:<9} {:<24} {}",
                        record.id,
                        record.source,
                        record.version,
                        status,
                        state
                            .plugins
                            .get_any(&record.id)
                            .map(|p| p.info.media_type.clone())
                            .unwrap_or_else(|| format!("({})", record.kind)),
                        access
                    );
                    if let Some(reason) = state.plugins.failure(&record.id) {
                        println!("    not loaded: {reason}");
                    }
                }
                for (folder, err) in state.plugins.folder_failures() {
                    println!("not loaded from {}: {err}", folder.display());
                }
            }
            PluginCommand::Install {
                path,
                manifest,
                component,
                enable,
                approve,
            } => {
                let files = tessera::plugins::package::find(
                    path.as_deref(),
                    manifest.as_deref(),
                    component.as_deref(),
                )
                .map_err(|e| anyhow::anyhow!(e))?;
                let record = admin::install(
                    &mut conn,
                    &state.plugins,
                    &files.manifest_toml,
                    &files.component,
                    None,
                    admin::InstallOptions { enable, approve },
                    now,
                )?;
                println!(
                    "installed {} {} from {} ({})",
                    record.id,
                    record.version,
                    files.component_path.display(),
                    if record.enabled {
                        "enabled"
                    } else {
                        "disabled; enable it with `tessera plugin enable`"
                    }
                );
            }
            // Made above, without the server's state.
            PluginCommand::New { .. } => {}
            PluginCommand::Enable { id, approve } => {
                admin::enable(&mut conn, None, &id, approve, now)?;
                println!("enabled {id}");
            }
            PluginCommand::Disable { id } => {
                admin::disable(&mut conn, None, &id, now)?;
                println!("disabled {id}");
            }
            PluginCommand::Remove { id } => {
                admin::remove(&mut conn, None, &id)?;
                println!("removed {id}");
            }
        }
        Ok(())
    })
    .await?
}

async fn open_state(config: tessera::Config) -> anyhow::Result<AppState> {
    Ok(tokio::task::spawn_blocking(move || AppState::open(config)).await??)
}

async fn serve(config: tessera::Config) -> anyhow::Result<()> {
    let bind = config.bind.clone();
    let data_dir = config.data_dir.clone();
    let state = open_state(config).await?;
    let db = state.db.clone();
    let users = tokio::task::spawn_blocking(move || {
        let mut conn = db.get()?;
        User::count(&mut conn)
    })
    .await??;
    tracing::info!(
        bind = %bind,
        database = state.db.backend.name(),
        data_dir = %data_dir.display(),
        "Tessera is starting"
    );
    if users == 0 {
        let hint = "no users yet; create the first admin with:\n  \
                    printf '%s\\n' 'a-long-password' | tessera user create --email you@example.org --name 'Your Name' --admin --password-stdin";
        tracing::warn!("{hint}");
        eprintln!("{hint}");
    }
    tessera::background::start(&state);
    let server_state = state.clone();
    HttpServer::new(move || build_app(server_state.clone()))
        .on_connect(tessera::http::app::on_connect)
        .bind(&bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?
        .run()
        .await?;
    Ok(())
}
