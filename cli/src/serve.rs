//! `xycz serve`: the whole platform on one machine, and `xycz migrate`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use xycz_domain::Catalog;
use xycz_functions::local::{LocalApp, SiteSources};
use xycz_functions::{Config, CookieSecurity};
use xycz_store::StorageConfig;

#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The data folder: database, uploaded originals and the built site (`DIR/public`).
    #[arg(long, value_name = "DIR", default_value = "data")]
    data: PathBuf,
    /// The content folder of the site.
    #[arg(long, value_name = "DIR", default_value = "content")]
    content: PathBuf,
    /// The templates folder of the site.
    #[arg(long, value_name = "DIR", default_value = "templates")]
    templates: PathBuf,
}

#[derive(Args)]
pub struct MigrateArgs {
    /// The data folder (overridden by XYCZ_DATABASE_URL).
    #[arg(long, value_name = "DIR", default_value = "data")]
    data: PathBuf,
}

pub fn run(datasets: Option<&Path>, args: ServeArgs) -> ExitCode {
    report(runtime().and_then(|rt| rt.block_on(serve(datasets, args))))
}

pub fn migrate(args: MigrateArgs) -> ExitCode {
    report(runtime().and_then(|rt| {
        rt.block_on(async {
            let storage = StorageConfig::resolve(&args.data)?;
            xycz_store::migrate(&storage.database_url).await?;
            eprintln!("数据库已迁移到最新版本。");
            Ok(())
        })
    }))
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) fn report(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(datasets: Option<&Path>, args: ServeArgs) -> Result<()> {
    let catalog = Arc::new(Catalog::load(datasets)?);
    let config = Config::from_env(CookieSecurity::ExceptLoopbackHttp)?;
    let sources = SiteSources {
        content_dir: crate::site_source(&args.content),
        templates_dir: crate::site_source(&args.templates),
    };
    eprintln!("正在迁移数据库并生成网站……");
    let app = LocalApp::open(&args.data, &sources, catalog, config).await?;

    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let address = listener.local_addr().unwrap_or(args.addr);
    println!(
        "xycz serve: http://{address}/ （网站：{}，接口：/api）",
        app.storage.site_dir.display()
    );
    app.serve(listener, stop_signal()).await
}

/// Ctrl-C, or SIGTERM (systemd, container runtimes): in-flight requests finish first.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
