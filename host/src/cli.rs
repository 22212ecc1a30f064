//! The `tessera` command line: serve, migrate, manage users, show the configuration.

use std::io::Read;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, LogFormat, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "Export research datasets and share them safely"
)]
pub struct Cli {
    /// Configuration file (default: ./tessera.toml if it exists).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Folder for the embedded database and dataset files (default: ./data).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL, e.g. postgres://user@127.0.0.1/tessera (default: SQLite in the data folder).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Log format.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP server (applies pending migrations first).
    Serve {
        /// Address and port to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Export a dataset to a file offline, through the same pipeline and plugins as the API;
    /// `tessera export verify MANIFEST` re-runs a queued export's manifest and compares.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Export {
        #[command(subcommand)]
        command: Option<ExportCommand>,
        /// Dataset id.
        #[arg(required = true)]
        dataset: Option<String>,
        /// Format id (see `tessera plugin list`).
        #[arg(long, required = true)]
        format: Option<String>,
        /// The format's options as a JSON object.
        #[arg(long)]
        options: Option<String>,
        /// Comma-separated columns to include, in order.
        #[arg(long)]
        columns: Option<String>,
        /// Rows to keep, in the JSON filter language (docs/export.md).
        #[arg(long)]
        filter: Option<String>,
        /// Sort keys, comma-separated; `-name` sorts descending.
        #[arg(long)]
        sort: Option<String>,
        /// Dataset version (default: the latest).
        #[arg(long)]
        version: Option<i32>,
        /// Most rows to export.
        #[arg(long)]
        limit: Option<i64>,
        /// The export's time as the file records it (RFC 3339), e.g. a manifest's
        /// `exported_at`; default: now.
        #[arg(long)]
        exported_at: Option<String>,
        /// Output file.
        #[arg(short, long, required = true)]
        output: Option<PathBuf>,
    },
    /// Make, list, install, enable, disable and remove plugins. Changes reach running servers
    /// within seconds, without a restart.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Read and change the access policy (Casbin rules); changes reach running servers on
    /// their next request.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Read or narrow a share link's token, offline (no server or key needed).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print every rule with its id, and the policy's version.
    List,
    /// Add a rule: `p SUBJECT OBJECT LEVEL` or `g SUBJECT ROLE`, e.g.
    /// `tessera policy add g user:ana@example.org role:auditor`.
    Add {
        /// `p` or `g`.
        ptype: String,
        v0: String,
        v1: String,
        v2: Option<String>,
        /// Why the rule exists, kept with it.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Remove a rule by id.
    Remove { id: String },
    /// Ask whether SUBJECT may act at LEVEL on OBJECT, and which rule decides.
    Check {
        subject: String,
        level: String,
        object: String,
    },
    /// Show who would gain or lose access if rules were added or removed; changes nothing.
    DryRun {
        /// A rule to add, as `p, subject, object, level` or `g, subject, role` (repeatable).
        #[arg(long)]
        add: Vec<String>,
        /// The id of a rule to remove (repeatable).
        #[arg(long)]
        remove: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a token's link, level and every block's checks.
    Inspect {
        /// The token (or `-` to read it from standard input).
        token: String,
    },
    /// Print a narrower token: it can do only what its parent can, and less. Give at least
    /// one restriction.
    Attenuate {
        /// The token (or `-` to read it from standard input).
        token: String,
        /// Expire this many seconds from now.
        #[arg(long)]
        expires_in: Option<i64>,
        /// Expire at this time (RFC 3339).
        #[arg(long)]
        expires_at: Option<String>,
        /// Allow only this operation: `view` or `download`.
        #[arg(long)]
        level: Option<String>,
        /// Allow at most this many downloads with the new token (and any derived from it).
        #[arg(long)]
        max_downloads: Option<u64>,
        /// Reveal only these columns (comma-separated).
        #[arg(long)]
        columns: Option<String>,
        /// Download only in these formats (comma-separated).
        #[arg(long)]
        formats: Option<String>,
        /// Serve only this dataset version.
        #[arg(long)]
        version: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Re-run the export a manifest describes against this installation's data and plugins,
    /// and say whether the result has the manifest's SHA-256; exits non-zero if it does not.
    Verify {
        /// The manifest: a JSON file holding a finished job's `manifest` (or the whole job),
        /// or `-` to read it from standard input.
        manifest: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit chain and report any entry changed or removed; exits non-zero if so.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// List every plugin, enabled or not, with the reason for any that does not load.
    List,
    /// Make a new export-format plugin project: the template (a Markdown table) renamed NAME,
    /// with the SDK of this server in its `sdk/` folder, ready for `cargo build --release
    /// --target wasm32-wasip2` and `tessera plugin install`.
    New {
        /// The plugin's id (the format id in export URLs): 1-64 lower-case letters, digits,
        /// '-' or '_'.
        name: String,
        /// The project folder to create (default: ./NAME); it must not exist or be empty.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Install a plugin, replacing an installed plugin with the same id: from a folder holding
    /// its plugin.toml and component, from a plugin's cargo project once built (the component
    /// is taken from target/wasm32-wasip2/release/), from a plugin.toml, or from --manifest and
    /// --component.
    Install {
        /// The plugin's folder or cargo project, or its plugin.toml.
        #[arg(required_unless_present = "manifest", conflicts_with = "manifest")]
        path: Option<PathBuf>,
        /// The manifest (plugin.toml), instead of PATH.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// The component (.wasm), when it is neither beside the manifest nor where cargo
        /// builds it.
        #[arg(long)]
        component: Option<PathBuf>,
        /// Enable it at once.
        #[arg(long)]
        enable: bool,
        /// Approve the access its manifest asks for (a scratch folder, say).
        #[arg(long)]
        approve: bool,
    },
    /// Enable a plugin.
    Enable {
        id: String,
        /// Approve the access its manifest asks for.
        #[arg(long)]
        approve: bool,
    },
    /// Disable a plugin; exports already running finish.
    Disable { id: String },
    /// Remove an installed plugin.
    Remove { id: String },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Make the account a site admin.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (the only way, so it never shows in `ps`).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration, secrets masked.
    Show,
}

impl Cli {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config_file: self.config.clone(),
            bind: match &self.command {
                Command::Serve { bind } => bind.clone(),
                _ => None,
            },
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            log_format: self.log_format,
        }
    }
}

/// Reads a password from standard input: the first line, without its line ending.
pub fn read_password_stdin() -> std::io::Result<String> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    Ok(input.lines().next().unwrap_or("").to_owned())
}

/// Loads the configuration the command line asks for.
pub fn load_config(cli: &Cli) -> Result<Config, crate::config::ConfigError> {
    Config::load(&cli.overrides())
}
