//! What every request handler shares: configuration, database, data folder, metrics.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::access::policy::AccessControl;
use crate::access::token::TokenKeys;
use crate::config::Config;
use crate::db::dataset_versions::DatasetVersion;
use crate::db::{Database, DbError};
use crate::metrics::Metrics;
use crate::plugins::{PluginRegistry, PluginRuntime};
use crate::storage::Storage;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Database,
    pub storage: Storage,
    pub metrics: Arc<Metrics>,
    /// Conversions are CPU- and memory-heavy; this bounds how many run at once in a process.
    pub conversions: Arc<Semaphore>,
    /// Uploads in progress, bounded in all and per user (issue 14, item 6).
    pub uploads: Arc<crate::ingest::admission::UploadSlots>,
    pub plugins: PluginRegistry,
    /// The access enforcer, rebuilt from the database whenever access changes.
    pub access: Arc<AccessControl>,
    /// The root key that signs share-link tokens (the same on every replica).
    pub token_keys: Arc<TokenKeys>,
    /// The key that seals share-link addresses, from a file outside the database (the same on
    /// every replica).
    pub link_addresses: Arc<crate::links::address::AddressKey>,
    /// Link tokens already verified by this process.
    pub verified_tokens: Arc<crate::links::VerifiedTokens>,
    /// Bounds the password hashes anyone can ask for without signing in.
    pub password_gate: Arc<crate::auth::password::PasswordGate>,
    /// The operator's mail relay (`smtp_url`, `mail_from`) for the server's own mail
    /// (`crate::mail::send_mail`); `None` when mail is off.
    pub mail: Option<crate::mail::MailRelay>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot prepare the data folder {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Plugins(#[from] crate::plugins::PluginError),
    #[error("cannot set up the access policy: {0}")]
    Policy(String),
    #[error(transparent)]
    LinkAddressKey(#[from] crate::links::address::AddressKeyError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error("outbound_allow: {0}")]
    OutboundAllow(String),
}

impl AppState {
    /// What resolving a share link needs of this state.
    pub fn links(&self) -> crate::links::Links<'_> {
        crate::links::Links {
            config: &self.config,
            token_keys: &self.token_keys,
            verified_tokens: &self.verified_tokens,
            access: &self.access,
        }
    }

    /// The keys a new share link is made with.
    pub fn link_keys(&self) -> crate::links::create::LinkKeys<'_> {
        crate::links::create::LinkKeys {
            tokens: &self.token_keys,
            addresses: &self.link_addresses,
        }
    }

    /// What the export workers need of this state.
    pub fn job_runner(&self) -> crate::export::jobs::JobRunner {
        crate::export::jobs::JobRunner {
            db: self.db.clone(),
            storage: self.storage.clone(),
            plugins: self.plugins.clone(),
            artifact_ttl_hours: self.config.artifact_ttl_hours,
        }
    }

    /// Opens the data folder and database, applies pending migrations and removes whatever
    /// an interrupted upload left behind.
    pub fn open(config: Config) -> Result<Self, StartupError> {
        let storage = Storage::open(&config.data_dir).map_err(|source| StartupError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let db = Database::connect(&config.effective_database_url(), config.database_pool_size)?;
        let applied = db.migrate()?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied database migrations");
        }
        let referenced = {
            let mut conn = db.get()?;
            let mut paths = DatasetVersion::all_file_paths(&mut conn)?;
            paths.extend(crate::db::export_jobs::ExportJob::live_artifact_paths(
                &mut conn,
            )?);
            paths
        };
        let removed = storage
            .sweep(&referenced)
            .map_err(|source| StartupError::DataDir {
                path: config.data_dir.display().to_string(),
                source,
            })?;
        if removed > 0 {
            tracing::info!(removed, "removed leftovers of interrupted uploads");
        }
        let mail = crate::mail::MailRelay::from_settings(&config.smtp_url, &config.mail_from)?;
        let outbound_allow = crate::outbound::OutboundAllow::parse(&config.outbound_allow)
            .map_err(StartupError::OutboundAllow)?;
        let runtime = PluginRuntime::new(
            &config.effective_plugin_cache_dir(),
            &config.data_dir.join("tmp"),
        )?
        .with_outbound_allow(outbound_allow)
        .with_mail_relay(mail.clone());
        let plugins = PluginRegistry::new(runtime);
        let (loaded, failed) = plugins.load_dir(&config.plugins_dir);
        if loaded.is_empty() {
            tracing::warn!(
                plugins_dir = %config.plugins_dir.display(),
                "no export formats loaded; build the first-party plugins with scripts/build-plugins"
            );
        } else {
            tracing::info!(formats = ?loaded, failed = failed.len(), "plugins loaded");
        }
        plugins.sync(&mut *db.get()?, crate::time::now_millis())?;
        if crate::access::rules::seed_baseline(&mut *db.get()?, crate::time::now_millis())
            .map_err(|e| StartupError::Policy(e.to_string()))?
        {
            tracing::info!("access policy seeded from policies/baseline.csv");
        }
        let token_keys = {
            let fresh = TokenKeys::generate();
            let stored = crate::db::token_keys::TokenKeyRow::get_or_store(
                &mut *db.get()?,
                &fresh.private_hex(),
                &fresh.public_hex(),
                crate::time::now_millis(),
            )?;
            TokenKeys::from_private_hex(&stored).map_err(|e| StartupError::Policy(e.to_string()))?
        };
        let link_addresses = crate::links::address::AddressKey::load_or_create(
            &config.effective_link_address_key_file(),
        )?;
        let uploads = crate::ingest::admission::UploadSlots::new(
            config.max_concurrent_uploads,
            config.max_concurrent_uploads_per_user,
        );
        Ok(Self {
            password_gate: Arc::new(crate::auth::password::PasswordGate::from_config(&config)),
            token_keys: Arc::new(token_keys),
            link_addresses: Arc::new(link_addresses),
            verified_tokens: Arc::default(),
            plugins,
            config: Arc::new(config),
            db,
            storage,
            metrics: Arc::new(Metrics::default()),
            conversions: Arc::new(Semaphore::new(2)),
            uploads,
            access: Arc::new(AccessControl::default()),
            mail,
        })
    }
}

impl AppState {
    /// Brings the loaded plugins in line with the database now.
    pub fn sync_plugins(&self) -> Result<(), DbError> {
        let mut conn = self.db.get()?;
        self.plugins.sync(&mut conn, crate::time::now_millis())
    }
}

impl AppState {
    /// Whether `plugin` is an enabled notifier that accepts `settings`; the reason when not.
    pub fn check_notifier_settings(
        &self,
        plugin: &str,
        settings: &serde_json::Value,
    ) -> Result<(), String> {
        let Some(found) = self.plugins.notifier(plugin) else {
            return Err(format!("'{plugin}' is not an enabled notifier plugin"));
        };
        crate::plugins::notifier::check_settings(&found, settings).map_err(|err| match err {
            crate::plugins::PluginError::InvalidOptions(reason) => {
                format!("settings for {plugin}: {reason}")
            }
            other => format!("the {plugin} plugin could not check the settings: {other}"),
        })
    }

    /// Sends one notification message through a person's channel, with its plugin.
    pub fn send_through_channel(
        &self,
        channel: &crate::db::notifications::ChannelRow,
        message: &crate::notifications::delivery::Message,
    ) -> Result<String, crate::notifications::delivery::SendFailure> {
        use crate::notifications::delivery::SendFailure;
        let Some(plugin) = self.plugins.notifier(&channel.plugin) else {
            return Err(SendFailure {
                retryable: true,
                message: format!("the notifier plugin '{}' is not enabled", channel.plugin),
            });
        };
        let settings: serde_json::Value =
            serde_json::from_str(&channel.settings).unwrap_or(serde_json::Value::Null);
        let outgoing = crate::plugins::notifier::NotifierMessage {
            id: message.id.clone(),
            kind: message.kind.clone(),
            occurred_at: message.occurred_at,
            attempt_at: message.attempt_at,
            title: message.title.clone(),
            body: message.body.clone(),
            url: message.url.clone(),
            recipient_name: message.recipient_name.clone(),
            recipient_email: message.recipient_email.clone(),
            unsubscribe_url: message.unsubscribe_url.clone(),
            payload: serde_json::from_str(&message.payload).unwrap_or(serde_json::Value::Null),
        };
        match crate::plugins::notifier::deliver(&plugin, &settings, &outgoing) {
            Ok(receipt) => Ok(match (receipt.status, receipt.reference) {
                (Some(status), Some(reference)) => format!("{status} {reference}"),
                (Some(status), None) => status.to_string(),
                (None, Some(reference)) => reference,
                (None, None) => "delivered".to_owned(),
            }),
            Err(failure) => Err(SendFailure {
                retryable: failure.is_retryable(),
                message: failure.to_string(),
            }),
        }
    }

    /// Where people reach this server, for the addresses in messages: `public_url`, else the
    /// address it listens on.
    pub fn public_base(&self) -> String {
        if self.config.public_url.is_empty() {
            format!("http://{}", self.config.bind)
        } else {
            self.config.public_url.trim_end_matches('/').to_owned()
        }
    }
}

impl AppState {
    /// The enabled notifier plugins, for the channel form: id, name and settings schema.
    pub fn notifier_choices(&self) -> Vec<serde_json::Value> {
        self.plugins
            .notifiers()
            .iter()
            .map(|n| {
                let info = crate::plugins::notifier::describe(n);
                serde_json::json!({
                    "id": info.id,
                    "name": info.name,
                    "description": info.description,
                    "settings_schema": info.settings_schema,
                })
            })
            .collect()
    }
}
