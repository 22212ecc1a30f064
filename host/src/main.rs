//! The `tessera` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use actix_web::HttpServer;
use clap::Parser;
use tessera::cli::{Cli, Command, ConfigCommand, UserCommand};
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
    let server_state = state.clone();
    HttpServer::new(move || build_app(server_state.clone()))
        .bind(&bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?
        .run()
        .await?;
    Ok(())
}
