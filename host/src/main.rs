//! The `tessera` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use actix_web::HttpServer;
use clap::Parser;
use tessera::cli::{Cli, Command, ConfigCommand, PluginCommand, UserCommand};
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
            let user = tessera::accounts::create_user(&state.db, &email, &name, &password, admin)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            println!(
                "created {} {} ({})",
                if user.is_admin { "admin" } else { "user" },
                user.email,
                user.id,
            );
            Ok(())
        }
        Command::Serve { .. } => serve(config).await,
        Command::Plugin {
            command: PluginCommand::List,
        } => {
            let runtime =
                tessera::plugins::PluginRuntime::new(&config.data_dir.join("cache/plugins"))?;
            let registry = tessera::plugins::PluginRegistry::new(runtime);
            let (_, failed) = registry.load_dir(&config.plugins_dir);
            println!("plugins in {}:", config.plugins_dir.display());
            for plugin in registry.list() {
                println!(
                    "  {:<12} {:<10} {:<28} {} MiB, {} ms",
                    plugin.manifest.id,
                    plugin.manifest.version,
                    plugin.info.media_type,
                    plugin.manifest.capabilities.memory_mb,
                    plugin.manifest.capabilities.time_ms
                );
            }
            for (folder, err) in failed {
                println!("  not loaded: {}: {err}", folder.display());
            }
            Ok(())
        }
        Command::Export {
            dataset,
            format,
            options,
            columns,
            filter,
            sort,
            version,
            limit,
            output,
        } => {
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
                ..Default::default()
            };
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
                anyhow::Ok((found, found_version))
            })
            .await??;
            let source = tessera::export::ExportSource::new(
                &state.storage,
                found,
                found_version,
                tessera::time::to_rfc3339(tessera::time::now_millis()),
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
    state.start_background_work();
    let server_state = state.clone();
    HttpServer::new(move || build_app(server_state.clone()))
        .bind(&bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?
        .run()
        .await?;
    Ok(())
}
