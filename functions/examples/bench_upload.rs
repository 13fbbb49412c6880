//! Benchmark: one file uploaded end to end through HTTP (stored, checked, imported, public pages
//! refreshed) on a fresh temp data folder; prints the time of each step and the peak memory.
//!
//! cargo run --release -p xycz-functions --example bench_upload -- FILE [sqlite|postgres]
//!
//! The file's rows must name the unit 11140400PF0B26Q50G (as `gen_penalty` writes them).
//! `postgres` uses the server of `XYCZ_TEST_PG_URL` (see scripts/pg-test-env). With
//! `XYCZ_BENCH_KEEP` set, the data folder is kept and its path printed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use xycz_domain::Catalog;
use xycz_functions::local::{LocalApp, SiteSources};
use xycz_functions::Config;
use xycz_store::{Actor, AuthPolicy, NewUnit, NewUser, ObjectStore, Role, StorageConfig};

const UNIT_CODE: &str = "11140400PF0B26Q50G";
const PASSWORD: &str = "benchmark password";

#[tokio::main]
async fn main() -> Result<()> {
    // The functions log each step's time (`upload imported`) at info level.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "xycz_functions=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().collect();
    let Some(file) = args.get(1) else {
        bail!("usage: bench_upload FILE [sqlite|postgres]");
    };
    let backend = args.get(2).map_or("sqlite", String::as_str);
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;

    let dir = tempfile::tempdir()?;
    let mut storage = StorageConfig::resolve_with(dir.path(), |_| None)?;
    let mut pg = None;
    if backend == "postgres" {
        let server = std::env::var("XYCZ_TEST_PG_URL").context("XYCZ_TEST_PG_URL is not set")?;
        let database = xycz_testkit::TestDatabase::create(&server, "xycz_bench").await;
        storage.database_url = database.url.clone();
        pg = Some(database);
    }

    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let sources = SiteSources {
        content_dir: workspace.join("content"),
        templates_dir: workspace.join("templates"),
    };
    let mut config = Config::local();
    config.max_upload_bytes = bytes.len() + 1024;
    let objects = ObjectStore::local(&dir.path().join("objects"));
    let app = LocalApp::open_with(
        storage,
        objects,
        &sources,
        Arc::new(Catalog::builtin()),
        config,
    )
    .await?;

    let store = app.state.store();
    let unit = store
        .create_unit(
            &Actor::system(),
            &NewUnit {
                name: "长治市市场监督管理局".into(),
                code: UNIT_CODE.into(),
                datasets: vec![],
            },
        )
        .await?;
    let user = NewUser {
        username: "bench".into(),
        unit_id: unit.id,
        role: Role::Reporter,
        password: PASSWORD.into(),
    };
    store
        .create_user(&Actor::system(), &user, &AuthPolicy::default())
        .await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    let router = app.router();
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });

    let http = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let login = hyper::Request::post(format!("http://{addr}/api/auth/login"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            json!({ "username": "bench", "password": PASSWORD }).to_string(),
        )))?;
    let response = http.request(login).await?;
    let cookie = response.headers()["set-cookie"]
        .to_str()?
        .split(';')
        .next()
        .unwrap_or("")
        .to_owned();
    let session: Value = serde_json::from_slice(&response.into_body().collect().await?.to_bytes())?;
    let csrf = session["csrf"].as_str().unwrap_or("").to_owned();

    let boundary = "benchBoundary";
    let name = std::path::Path::new(file)
        .file_name()
        .map_or("upload.xlsx".into(), |n| n.to_string_lossy().into_owned());
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"dataset\"\r\n\r\npenalty\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());

    let started = Instant::now();
    let upload = hyper::Request::post(format!("http://{addr}/api/uploads"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .body(Full::new(Bytes::from(body)))?;
    let response = http.request(upload).await?;
    let status = response.status();
    let answer: Value = serde_json::from_slice(&response.into_body().collect().await?.to_bytes())?;
    let uploaded = started.elapsed();
    if !status.is_success() {
        bail!("upload failed: {status} {answer}");
    }
    let site = app.publisher.flush().await?;
    let total = started.elapsed();

    println!(
        "backend={backend} file={name} bytes={} rows={} valid={} imported={} upload_http={:.2}s site_refresh={:.2}s (pages written {}, public {}) total={:.2}s peak_rss={} MiB",
        bytes.len(),
        answer["rows"],
        answer["valid"],
        answer["imported"],
        uploaded.as_secs_f64(),
        (total - uploaded).as_secs_f64(),
        site.pages_written,
        site.records_public,
        total.as_secs_f64(),
        peak_rss_mib().unwrap_or(0),
    );

    app.publisher.stop().await;
    store.close().await;
    if std::env::var_os("XYCZ_BENCH_KEEP").is_some() {
        eprintln!("data folder kept: {}", dir.keep().display());
    }
    if let Some(database) = pg {
        database.remove().await;
    }
    Ok(())
}

/// The process's peak resident memory (VmHWM), in MiB.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
