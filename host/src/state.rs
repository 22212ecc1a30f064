//! What every request handler shares: configuration, database, data folder, metrics.

use std::sync::Arc;

use tokio::sync::Semaphore;

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
    pub plugins: PluginRegistry,
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
}

impl AppState {
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
        let runtime = PluginRuntime::new(&config.data_dir.join("cache/plugins"))?;
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
        Ok(Self {
            plugins,
            config: Arc::new(config),
            db,
            storage,
            metrics: Arc::new(Metrics::default()),
            conversions: Arc::new(Semaphore::new(2)),
        })
    }
}

impl AppState {
    /// Starts the background work of a serving process: the export workers and the artifact
    /// expiry sweep. Needs a Tokio runtime.
    pub fn start_background_work(&self) {
        crate::export::jobs::spawn_workers(self);
    }
}
