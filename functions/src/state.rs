//! What every handler shares, created once per process (a Lambda cold start or `xycz serve`).

use std::sync::Arc;

use anyhow::{Context, Result};
use xycz_domain::Catalog;
use xycz_store::{ObjectStore, StorageConfig, Store};

use crate::config::{Config, CookieSecurity};
use crate::publish::Publisher;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "xycz_session";

/// The database, the object store, the dataset catalog, the settings and the site publisher.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    objects: ObjectStore,
    catalog: Arc<Catalog>,
    config: Config,
    publisher: Arc<dyn Publisher>,
}

impl AppState {
    pub fn new(
        store: Store,
        objects: ObjectStore,
        catalog: Arc<Catalog>,
        config: Config,
        publisher: Arc<dyn Publisher>,
    ) -> AppState {
        AppState(Arc::new(Inner {
            store,
            objects,
            catalog,
            config,
            publisher,
        }))
    }

    /// The state of a Lambda function: storage from `XYCZ_DATABASE_URL` (with the password from
    /// `XYCZ_DATABASE_SECRET_ARN` when set) and `XYCZ_OBJECTS`, settings from the environment,
    /// change notices to `XYCZ_PUBLISH_QUEUE_URL`. Migrations are not applied here: deployment
    /// runs `xycz migrate`.
    pub async fn from_lambda_env() -> Result<AppState> {
        let mut storage = StorageConfig::resolve(std::path::Path::new("/tmp/xycz"))?;
        storage.database_url = crate::lambda::database_url(&storage.database_url).await?;
        let store = Store::connect(&storage.database_url)
            .await
            .context("cannot connect to the database")?;
        let objects = ObjectStore::from_config(&storage.objects).await;
        let config = Config::from_env(CookieSecurity::Always)?;
        let publisher = crate::lambda::queue_publisher().await;
        Ok(AppState::new(
            store,
            objects,
            Arc::new(Catalog::builtin()),
            config,
            publisher,
        ))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn objects(&self) -> &ObjectStore {
        &self.0.objects
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.0.catalog
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn publisher(&self) -> &Arc<dyn Publisher> {
        &self.0.publisher
    }
}
