//! The one typed configuration of a Tessera host.
//!
//! Layers, each overriding the one before: built-in defaults < `tessera.toml` (or the file
//! given by `--config`) < `TESSERA_*` environment variables < command-line flags. Every layer
//! is checked against [`Config`]'s fields: an unknown key is an error naming that key, so a
//! typo never silently falls back to a default. Each key is documented once, in the operator
//! guide's configuration table, and a test keeps that table complete.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Environment variables with this prefix are configuration keys (`TESSERA_BIND` → `bind`).
pub const ENV_PREFIX: &str = "TESSERA_";
/// Environment variables with this prefix belong to the test suite, not to the configuration.
pub const TEST_ENV_PREFIX: &str = "TESSERA_TEST_";
/// The configuration file read when `--config` is not given and the file exists.
pub const DEFAULT_CONFIG_FILE: &str = "tessera.toml";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    pub bind: String,
    /// Folder for the embedded database, dataset files and temporary uploads.
    pub data_dir: PathBuf,
    /// Database URL; empty means SQLite at `<data_dir>/tessera.db`.
    pub database_url: String,
    /// Connections in the database pool.
    pub database_pool_size: u32,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `tessera=debug,actix_web=info`.
    pub log_level: String,
    /// Largest accepted dataset upload, in bytes.
    pub max_upload_bytes: u64,
    /// Rows read to infer column types of CSV and JSON uploads.
    pub infer_schema_rows: usize,
    /// Uploads received or converted at once in this process; more answer 503.
    pub max_concurrent_uploads: usize,
    /// Uploads one user may have in progress at once in this process; more answer 429.
    pub max_concurrent_uploads_per_user: usize,
    /// Slowest accepted upload, in bytes per second, measured over `upload_rate_window_seconds`;
    /// a body that arrives slower is dropped (408). 0 turns the check off.
    pub min_upload_bytes_per_second: u64,
    /// The window, in seconds, over which `min_upload_bytes_per_second` is measured.
    pub upload_rate_window_seconds: u64,
    /// Most columns an upload may have, in any format.
    pub max_columns: usize,
    /// Most bytes an Excel workbook's parts may expand to once decompressed, in all.
    pub max_xlsx_uncompressed_bytes: u64,
    /// Most times a part of an Excel workbook may expand over its compressed size (parts under
    /// 1 MiB decompressed are exempt).
    pub max_xlsx_compression_ratio: u64,
    /// Lifetime of a sign-in session, in hours.
    pub session_ttl_hours: u64,
    /// Mark cookies `Secure`; set when Tessera is served over HTTPS.
    pub secure_cookies: bool,
    /// Failed sign-ins allowed per account and per address within the window.
    pub login_max_failures: u32,
    /// Window, and lock-out after it is exceeded, in seconds.
    pub login_lockout_seconds: u64,
    /// Most rows one preview request returns.
    pub max_preview_rows: usize,
    /// Folder of installed plugins, one sub-folder each with its `plugin.toml`.
    pub plugins_dir: PathBuf,
    /// Where compiled plugins are cached; empty means `<data_dir>/cache/plugins`. Safe to share
    /// between processes.
    pub plugin_cache_dir: PathBuf,
    /// Queued exports run at once in this process.
    pub export_workers: usize,
    /// Hours a queued export's artifact stays downloadable.
    pub artifact_ttl_hours: u64,
    /// Days a deleted dataset stays in its owner's trash, restorable, before it is deleted
    /// for good (files too).
    pub trash_days: u64,
    /// Reverse proxies whose `X-Forwarded-For` is believed: comma-separated addresses or
    /// CIDR ranges. From anyone else the header is ignored.
    pub trusted_proxies: String,
    /// Keep whole client addresses in audit and access logs; by default they are cut to
    /// their /24 (IPv4) or /48 (IPv6).
    pub log_full_addresses: bool,
    /// The address people reach Tessera at, for share-link URLs (e.g.
    /// `https://data.example.org`); empty means the address the connection reached (or, from
    /// one of `trusted_proxies`, the address it forwards).
    pub public_url: String,
    /// The bearer token `/metrics` asks for; empty means `/metrics` is off.
    pub metrics_token: String,
    /// Password hashes (sign-in, link passwords) that run at once in this process.
    pub password_hash_concurrency: usize,
    /// Password checks that may wait for a free hash; beyond them, `503` at once.
    pub password_hash_queue: usize,
    /// Longest wait for a free hash, in milliseconds, before answering `503`.
    pub password_hash_wait_ms: u64,
    /// The first rows a view link shows and lets its holders page through, and no more.
    pub link_view_rows: usize,
    /// The percentage of a shared item (1 to 100) whose bytes make a download that stops
    /// short of the end count against the link's and the token's limits.
    pub link_download_count_percent: u32,
    /// The file holding the key that seals share-link addresses (so their owners can copy
    /// them again); empty means `<data_dir>/keys/link-address.key`, made on first start.
    /// Every replica must read the same key.
    pub link_address_key_file: PathBuf,
    /// Days raw events (who viewed, downloaded, exported what) are kept for the activity
    /// views; their daily counts stay after. 0 keeps them for ever.
    pub activity_retention_days: u64,
    /// Hosts and address ranges that plugins' outbound requests may reach although they are
    /// not public (loopback, private, link-local...): comma-separated host names, addresses
    /// or CIDR ranges. Empty: only public addresses.
    pub outbound_allow: String,
    /// The SMTP relay mail is sent through: `smtp://host:port` (add `?tls=required` for
    /// STARTTLS) or `smtps://user:password@host:port`. Empty: no mail is sent.
    pub smtp_url: String,
    /// The address every message comes from (`Tessera <tessera@example.org>`); required with
    /// `smtp_url`.
    pub mail_from: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            database_pool_size: 8,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            max_upload_bytes: 2 * 1024 * 1024 * 1024,
            infer_schema_rows: 10_000,
            max_concurrent_uploads: 32,
            max_concurrent_uploads_per_user: 4,
            min_upload_bytes_per_second: 1024,
            upload_rate_window_seconds: 30,
            max_columns: 4096,
            max_xlsx_uncompressed_bytes: 1024 * 1024 * 1024,
            max_xlsx_compression_ratio: 100,
            session_ttl_hours: 24 * 7,
            secure_cookies: false,
            login_max_failures: 5,
            login_lockout_seconds: 15 * 60,
            max_preview_rows: 1_000,
            plugins_dir: PathBuf::from("plugins/dist"),
            plugin_cache_dir: PathBuf::new(),
            export_workers: 2,
            artifact_ttl_hours: 24,
            trash_days: 30,
            trusted_proxies: String::new(),
            log_full_addresses: false,
            public_url: String::new(),
            metrics_token: String::new(),
            password_hash_concurrency: 2,
            password_hash_queue: 32,
            password_hash_wait_ms: 5_000,
            link_view_rows: 20,
            link_download_count_percent: 90,
            link_address_key_file: PathBuf::new(),
            activity_retention_days: 400,
            outbound_allow: String::new(),
            smtp_url: String::new(),
            mail_from: String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Values given on the command line; `None` leaves the lower layers in force.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<LogFormat>,
}

impl Config {
    /// An address as logs keep it: cut to its /24 (IPv4) or /48 (IPv6) unless the operator
    /// asked for whole addresses (`log_full_addresses`).
    pub fn logged_address(&self, address: Option<std::net::IpAddr>) -> Option<String> {
        use std::net::IpAddr;
        let address = address?;
        if self.log_full_addresses {
            return Some(address.to_string());
        }
        Some(match address {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                format!("{}.{}.{}.0/24", o[0], o[1], o[2])
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        })
    }

    /// Loads the layered configuration from the real file system and process environment.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::load_from(overrides, std::env::vars())
    }

    /// Loads the layered configuration with an explicit environment (tests pass their own).
    pub fn load_from(
        overrides: &Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = to_table(&Config::default());

        let file = match &overrides.config_file {
            Some(path) => Some(path.clone()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            let layer: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::File {
                path: path.clone(),
                message: e.to_string(),
            })?;
            for (key, value) in layer {
                check_key(&key).map_err(|message| ConfigError::File {
                    path: path.clone(),
                    message,
                })?;
                table.insert(key, value);
            }
            // Deserialize now so a wrong type names the file it came from.
            toml::Value::Table(table.clone())
                .try_into::<Config>()
                .map_err(|e| ConfigError::File {
                    path,
                    message: e.to_string(),
                })?;
        }

        let mut env: Vec<(String, String)> = env
            .into_iter()
            .filter(|(name, _)| name.starts_with(ENV_PREFIX) && !name.starts_with(TEST_ENV_PREFIX))
            .collect();
        env.sort();
        for (name, raw) in env {
            let key = name[ENV_PREFIX.len()..].to_ascii_lowercase();
            check_key(&key).map_err(|message| ConfigError::Env {
                name: name.clone(),
                message,
            })?;
            let value = env_value(&table, &key, &raw);
            let mut candidate = table.clone();
            candidate.insert(key, value);
            toml::Value::Table(candidate.clone())
                .try_into::<Config>()
                .map_err(|e| ConfigError::Env {
                    name: name.clone(),
                    message: e.to_string(),
                })?;
            table = candidate;
        }

        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        if let Some(bind) = &overrides.bind {
            config.bind = bind.clone();
        }
        if let Some(dir) = &overrides.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(url) = &overrides.database_url {
            config.database_url = url.clone();
        }
        if let Some(format) = overrides.log_format {
            config.log_format = format;
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        crate::net::parse_proxies(&self.trusted_proxies)
            .map_err(|e| ConfigError::Invalid(format!("trusted_proxies: {e}")))?;
        crate::outbound::OutboundAllow::parse(&self.outbound_allow)
            .map_err(|e| ConfigError::Invalid(format!("outbound_allow: {e}")))?;
        crate::mail::MailRelay::from_settings(&self.smtp_url, &self.mail_from)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if self.database_pool_size == 0 {
            return Err(ConfigError::Invalid(
                "database_pool_size must be at least 1".into(),
            ));
        }
        if self.max_upload_bytes == 0 {
            return Err(ConfigError::Invalid(
                "max_upload_bytes must be at least 1".into(),
            ));
        }
        if self.max_concurrent_uploads == 0 || self.max_concurrent_uploads_per_user == 0 {
            return Err(ConfigError::Invalid(
                "max_concurrent_uploads and max_concurrent_uploads_per_user must be at least 1"
                    .into(),
            ));
        }
        if self.upload_rate_window_seconds == 0 {
            return Err(ConfigError::Invalid(
                "upload_rate_window_seconds must be at least 1".into(),
            ));
        }
        if self.max_columns == 0
            || self.max_xlsx_uncompressed_bytes == 0
            || self.max_xlsx_compression_ratio == 0
        {
            return Err(ConfigError::Invalid(
                "max_columns, max_xlsx_uncompressed_bytes and max_xlsx_compression_ratio must be \
                 at least 1"
                    .into(),
            ));
        }
        if self.trash_days == 0 {
            return Err(ConfigError::Invalid("trash_days must be at least 1".into()));
        }
        if self.login_max_failures == 0 {
            return Err(ConfigError::Invalid(
                "login_max_failures must be at least 1".into(),
            ));
        }
        if !self.metrics_token.is_empty() && self.metrics_token.chars().count() < 32 {
            return Err(ConfigError::Invalid(
                "metrics_token must be at least 32 characters (e.g. `openssl rand -hex 32`)".into(),
            ));
        }
        if self.password_hash_concurrency == 0 {
            return Err(ConfigError::Invalid(
                "password_hash_concurrency must be at least 1".into(),
            ));
        }
        if self.max_preview_rows == 0 {
            return Err(ConfigError::Invalid(
                "max_preview_rows must be at least 1".into(),
            ));
        }
        if self.link_view_rows == 0 {
            return Err(ConfigError::Invalid(
                "link_view_rows must be at least 1".into(),
            ));
        }
        if !(1..=100).contains(&self.link_download_count_percent) {
            return Err(ConfigError::Invalid(
                "link_download_count_percent must be from 1 to 100".into(),
            ));
        }
        Ok(())
    }

    /// The database URL in force: the configured one, or SQLite inside the data folder.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("tessera.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The compiled-plugin cache in force: the configured folder, or one inside the data folder.
    pub fn effective_plugin_cache_dir(&self) -> PathBuf {
        if self.plugin_cache_dir.as_os_str().is_empty() {
            self.data_dir.join("cache/plugins")
        } else {
            self.plugin_cache_dir.clone()
        }
    }

    /// The link address key file in force: the configured one, or one inside the data folder.
    pub fn effective_link_address_key_file(&self) -> PathBuf {
        if self.link_address_key_file.as_os_str().is_empty() {
            self.data_dir.join("keys/link-address.key")
        } else {
            self.link_address_key_file.clone()
        }
    }

    /// The configuration as `tessera config show` prints it: TOML, with secrets masked.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = mask_url_password(&self.effective_database_url());
        if !shown.metrics_token.is_empty() {
            shown.metrics_token = "****".into();
        }
        shown.smtp_url = mask_url_password(&self.smtp_url);
        toml::to_string_pretty(&shown).unwrap_or_default()
    }

    /// Every configuration key, in declaration order (the docs test walks these).
    pub fn keys() -> Vec<String> {
        to_table(&Config::default()).keys().cloned().collect()
    }

    pub fn data_path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.data_dir.join(relative)
    }
}

fn to_table(config: &Config) -> toml::Table {
    match toml::Value::try_from(config) {
        Ok(toml::Value::Table(table)) => table,
        _ => toml::Table::new(),
    }
}

fn check_key(key: &str) -> Result<(), String> {
    let keys = Config::keys();
    if keys.iter().any(|k| k == key) {
        Ok(())
    } else {
        Err(format!(
            "unknown key `{key}`; known keys: {}",
            keys.join(", ")
        ))
    }
}

/// Environment values are text; give them the type the key's default has.
fn env_value(table: &toml::Table, key: &str, raw: &str) -> toml::Value {
    match table.get(key) {
        Some(toml::Value::Integer(_)) => raw
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .unwrap_or_else(|_| raw.into()),
        Some(toml::Value::Boolean(_)) => match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => toml::Value::Boolean(true),
            "0" | "false" | "no" | "off" => toml::Value::Boolean(false),
            _ => raw.into(),
        },
        _ => toml::Value::String(raw.to_owned()),
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:****@host/db`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.toml");
        std::fs::write(&file, "bind = \"127.0.0.1:9000\"\nmax_preview_rows = 5\n").unwrap();
        let overrides = Overrides {
            config_file: Some(file),
            ..Default::default()
        };
        let config =
            Config::load_from(&overrides, env(&[("TESSERA_MAX_PREVIEW_ROWS", "7")])).unwrap();
        assert_eq!(config.bind, "127.0.0.1:9000");
        assert_eq!(config.max_preview_rows, 7);

        let overrides = Overrides {
            bind: Some("127.0.0.1:1".into()),
            ..overrides
        };
        let config = Config::load_from(&overrides, env(&[])).unwrap();
        assert_eq!(config.bind, "127.0.0.1:1");
    }

    #[test]
    fn unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.toml");
        std::fs::write(&file, "bnd = \"x\"\n").unwrap();
        let overrides = Overrides {
            config_file: Some(file),
            ..Default::default()
        };
        let err = Config::load_from(&overrides, env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`bnd`"), "{err}");

        let err = Config::load_from(&Overrides::default(), env(&[("TESSERA_PORT", "1")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("TESSERA_PORT") && err.contains("`port`"),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_are_explained() {
        let err = Config::load_from(
            &Overrides::default(),
            env(&[("TESSERA_MAX_UPLOAD_BYTES", "lots")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("TESSERA_MAX_UPLOAD_BYTES"), "{err}");
    }

    #[test]
    fn secrets_are_masked() {
        let config = Config {
            database_url: "postgres://tessera:hunter2@127.0.0.1/tessera".into(),
            ..Default::default()
        };
        let shown = config.to_masked_toml();
        assert!(!shown.contains("hunter2"));
        let config = Config {
            metrics_token: "m".repeat(40),
            ..Default::default()
        };
        assert!(!config.to_masked_toml().contains(&"m".repeat(40)));
        assert!(shown.contains("tessera:****@127.0.0.1"));
        let config = Config {
            smtp_url: "smtps://relay:hunter3@mail.example.org:465".into(),
            mail_from: "tessera@example.org".into(),
            ..Default::default()
        };
        let shown = config.to_masked_toml();
        assert!(!shown.contains("hunter3"), "{shown}");
        assert!(shown.contains("relay:****@mail.example.org"), "{shown}");
    }

    #[test]
    fn outbound_and_mail_settings_are_checked() {
        let load = |pairs: &[(&str, &str)]| Config::load_from(&Overrides::default(), env(pairs));
        let config = load(&[
            ("TESSERA_OUTBOUND_ALLOW", "127.0.0.1, relay.internal"),
            ("TESSERA_SMTP_URL", "smtp://127.0.0.1:2525"),
            ("TESSERA_MAIL_FROM", "Tessera <tessera@example.org>"),
        ])
        .unwrap();
        assert_eq!(config.smtp_url, "smtp://127.0.0.1:2525");
        let err = load(&[("TESSERA_OUTBOUND_ALLOW", "http://x")]).unwrap_err();
        assert!(err.to_string().contains("outbound_allow"), "{err}");
        let err = load(&[("TESSERA_SMTP_URL", "smtp://127.0.0.1:2525")]).unwrap_err();
        assert!(err.to_string().contains("mail_from"), "{err}");
    }
}
