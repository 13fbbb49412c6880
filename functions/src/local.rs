//! Everything on one machine (`xycz serve`): storage under a data folder, the site built into
//! `DATA/public` and served at `/`, every function under `/api`, and the site refreshed in the
//! background after each change.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;
use xycz_domain::Catalog;
use xycz_site::SiteConfig;
use xycz_store::{ObjectStore, StorageConfig};

use crate::config::Config;
use crate::publish::{LocalPublisher, SiteBuilder};
use crate::routes::api_router;
use crate::state::AppState;

/// Where the site's content and templates are read.
#[derive(Clone, Debug)]
pub struct SiteSources {
    pub content_dir: PathBuf,
    pub templates_dir: PathBuf,
}

/// The local platform, ready to serve.
pub struct LocalApp {
    pub state: AppState,
    pub publisher: Arc<LocalPublisher>,
    pub storage: StorageConfig,
    router: Router,
}

impl LocalApp {
    /// Opens the storage of `data_dir` (migrations applied), builds the whole site once and
    /// starts the background refresher.
    pub async fn open(
        data_dir: &Path,
        sources: &SiteSources,
        catalog: Arc<Catalog>,
        config: Config,
    ) -> Result<LocalApp> {
        let storage = StorageConfig::resolve(data_dir)?;
        let objects = ObjectStore::from_config(&storage.objects).await;
        LocalApp::open_with(storage, objects, sources, catalog, config).await
    }

    /// Like [`LocalApp::open`], with the storage locations and the object store given.
    pub async fn open_with(
        storage: StorageConfig,
        objects: ObjectStore,
        sources: &SiteSources,
        catalog: Arc<Catalog>,
        config: Config,
    ) -> Result<LocalApp> {
        let store = xycz_store::open(&storage).await.with_context(|| {
            format!(
                "cannot open the database {}",
                redacted(&storage.database_url)
            )
        })?;

        let site = SiteConfig {
            content_dir: sources.content_dir.clone(),
            templates_dir: sources.templates_dir.clone(),
            output_dir: storage.site_dir.clone(),
            quiet: true,
            ..SiteConfig::default()
        };
        let builder = Arc::new(SiteBuilder::new(store.clone(), catalog.clone(), site));
        let summary = builder
            .build(true)
            .await
            .context("the first site build failed")?;
        tracing::info!(
            pages = summary.pages_written,
            public = summary.records_public,
            ms = summary.elapsed.as_millis() as u64,
            "site built"
        );

        let publisher = LocalPublisher::start(builder);
        let state = AppState::new(store, objects, catalog, config, publisher.clone());
        let router = Router::new()
            .merge(api_router(state.clone()))
            .fallback_service(ServeDir::new(&storage.site_dir))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                    .on_request(())
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            );
        Ok(LocalApp {
            state,
            publisher,
            storage,
            router,
        })
    }

    /// The site and the API in one router.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Serves on `listener` until `shutdown` completes, lets the requests in flight and a
    /// refresh in progress finish, then closes the database (SQLite folds its write-ahead log
    /// into the file).
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let service = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("the server stopped");
        self.publisher.stop().await;
        self.state.store().close().await;
        served
    }
}

/// A database URL without its password, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
