//! Running under AWS Lambda: the database password from Secrets Manager, change notices to SQS,
//! the adapter from lambda_http's request to the axum routers, and the publish function that
//! builds the site and copies it to the site bucket.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use axum::body::Body;
use axum::response::Response;
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::publish::{NoPublisher, Publisher, SiteBuilder};

/// ARN of the Secrets Manager secret that holds the database password.
pub const ENV_DATABASE_SECRET_ARN: &str = "XYCZ_DATABASE_SECRET_ARN";
/// The SQS queue that change notices go to.
pub const ENV_PUBLISH_QUEUE_URL: &str = "XYCZ_PUBLISH_QUEUE_URL";
/// The bucket the public site is copied to.
pub const ENV_SITE_BUCKET: &str = "XYCZ_SITE_BUCKET";
/// Where the content and templates folders are inside the package (default: beside the binary).
pub const ENV_SITE_SOURCES: &str = "XYCZ_SITE_SOURCES";

/// The key in the site bucket that lists every published file and its hash.
const SYNC_MANIFEST_KEY: &str = ".xycz-published.json";

/// JSON lines on stdout, as CloudWatch reads them; `RUST_LOG` sets the level.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .without_time()
        .with_target(false)
        .try_init();
}

/// Answers one Lambda HTTP event with `router` (the same conversion `lambda_http::run` makes).
pub async fn handle(router: Router, request: lambda_http::Request) -> Response {
    let request = request.map(Body::new);
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Runs `router` as a Lambda function until the runtime stops it.
pub async fn run(router: Router) -> Result<(), lambda_http::Error> {
    // lambda_http 0.14 speaks tower 0.4 and axum 0.8 tower 0.5: adapt through a closure.
    lambda_http::run(lambda_http::service_fn(
        move |request: lambda_http::Request| {
            let router = router.clone();
            async move { Ok::<_, std::convert::Infallible>(handle(router, request).await) }
        },
    ))
    .await
}

/// `url` with the password from the secret named by `XYCZ_DATABASE_SECRET_ARN`, if set.
pub async fn database_url(url: &str) -> Result<String> {
    let Some(arn) = std::env::var(ENV_DATABASE_SECRET_ARN)
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(url.to_owned());
    };
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let secret = client
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .context("cannot read the database secret")?;
    let text = secret
        .secret_string()
        .context("the database secret has no text value")?;
    let parsed: Value = serde_json::from_str(text).context("the database secret is not JSON")?;
    let password = parsed
        .get("password")
        .and_then(Value::as_str)
        .context("the database secret has no password")?;
    with_password(url, password)
}

/// Puts `password` into the user part of a `postgres://user@host/...` URL.
fn with_password(url: &str, password: &str) -> Result<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("the database URL has no scheme");
    };
    let Some((user, host)) = rest.split_once('@') else {
        bail!("the database URL names no user");
    };
    let user = user.split(':').next().unwrap_or(user);
    let encoded: String = password
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Ok(format!("{scheme}://{user}:{encoded}@{host}"))
}

/// Sends `{"kind":"changed","dataset":…}` to the publish queue.
struct QueuePublisher {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl Publisher for QueuePublisher {
    fn changed<'a>(&'a self, dataset: &'a str) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            let body = json!({ "kind": "changed", "dataset": dataset }).to_string();
            let sent = self
                .client
                .send_message()
                .queue_url(&self.queue_url)
                .message_body(body)
                .send()
                .await;
            // The daily full build repairs a lost notice; the change itself is committed.
            if let Err(error) = sent {
                tracing::error!(error = %aws_sdk_sqs::error::DisplayErrorContext(&error), "cannot send the change notice");
            }
        })
    }
}

/// The publisher of an API function: the queue when `XYCZ_PUBLISH_QUEUE_URL` is set.
pub async fn queue_publisher() -> Arc<dyn Publisher> {
    match std::env::var(ENV_PUBLISH_QUEUE_URL)
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        Some(queue_url) => {
            let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .load()
                .await;
            Arc::new(QueuePublisher {
                client: aws_sdk_sqs::Client::new(&sdk),
                queue_url,
            })
        }
        None => Arc::new(NoPublisher),
    }
}

/// What invoked the publish function.
#[derive(Debug, PartialEq, Eq)]
pub enum PublishRequest {
    /// The daily schedule (`{"mode":"full"}`).
    Full,
    /// A batch of change notices from the queue.
    Changes { datasets: Vec<String> },
}

/// Reads a publish event: an SQS batch or `{"mode":"full"}`.
pub fn parse_publish_event(event: &Value) -> Result<PublishRequest> {
    if event.get("mode").and_then(Value::as_str) == Some("full") {
        return Ok(PublishRequest::Full);
    }
    let Some(records) = event.get("Records").and_then(Value::as_array) else {
        bail!("not a publish event: neither {{\"mode\":\"full\"}} nor an SQS batch");
    };
    let mut datasets: Vec<String> = records
        .iter()
        .filter_map(|r| r.get("body").and_then(Value::as_str))
        .filter_map(|body| serde_json::from_str::<Value>(body).ok())
        .filter_map(|notice| {
            notice
                .get("dataset")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    datasets.sort();
    datasets.dedup();
    Ok(PublishRequest::Changes { datasets })
}

/// The publish function's state: the builder (kept warm between invocations, so later builds
/// are incremental) and the bucket.
pub struct SitePublisher {
    pub builder: SiteBuilder,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
}

impl SitePublisher {
    /// Builds from the store at cold start settings: `XYCZ_DATABASE_URL` (+ secret),
    /// `XYCZ_SITE_BUCKET`, sources under `XYCZ_SITE_SOURCES`.
    pub async fn from_env() -> Result<SitePublisher> {
        let storage = xycz_store::StorageConfig::resolve(Path::new("/tmp/xycz"))?;
        let url = database_url(&storage.database_url).await?;
        let store = xycz_store::Store::connect(&url)
            .await
            .context("cannot connect to the database")?;
        let sources = std::env::var(ENV_SITE_SOURCES)
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from("/var/task"));
        let config = xycz_site::SiteConfig {
            content_dir: sources.join("content"),
            templates_dir: sources.join("templates"),
            output_dir: PathBuf::from("/tmp/xycz-site"),
            quiet: true,
            ..xycz_site::SiteConfig::default()
        };
        let bucket = std::env::var(ENV_SITE_BUCKET).context("XYCZ_SITE_BUCKET is not set")?;
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        Ok(SitePublisher {
            builder: SiteBuilder::new(store, Arc::new(xycz_domain::Catalog::builtin()), config),
            s3: aws_sdk_s3::Client::new(&sdk),
            bucket,
        })
    }

    /// Builds (in full, or incrementally for change notices) and copies what changed.
    pub async fn publish(&self, request: &PublishRequest) -> Result<Value> {
        let summary = self
            .builder
            .build(matches!(request, PublishRequest::Full))
            .await?;
        let synced = sync_to_bucket(&self.s3, &self.bucket, self.builder.output_dir()).await?;
        Ok(json!({
            "incremental": summary.incremental,
            "pages_written": summary.pages_written,
            "records_public": summary.records_public,
            "uploaded": synced.uploaded,
            "deleted": synced.deleted,
        }))
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Published {
    files: BTreeMap<String, String>,
}

struct Synced {
    uploaded: usize,
    deleted: usize,
}

/// Copies the files whose hash differs from the bucket's manifest and deletes the ones gone.
async fn sync_to_bucket(client: &aws_sdk_s3::Client, bucket: &str, dir: &Path) -> Result<Synced> {
    let old: Published = match client
        .get_object()
        .bucket(bucket)
        .key(SYNC_MANIFEST_KEY)
        .send()
        .await
    {
        Ok(object) => {
            let bytes = object
                .body
                .collect()
                .await
                .context("reading the site manifest")?;
            serde_json::from_slice(&bytes.into_bytes()).unwrap_or_default()
        }
        Err(_) => Published::default(),
    };

    let mut new = Published::default();
    let mut uploaded = 0;
    for path in files_under(dir)? {
        let key = path
            .strip_prefix(dir)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .context("a file outside the site folder")?;
        let bytes = tokio::fs::read(&path)
            .await
            .with_context(|| format!("cannot read {}", path.display()))?;
        let hash = hex::encode(Sha256::digest(&bytes));
        if old.files.get(&key) != Some(&hash) {
            client
                .put_object()
                .bucket(bucket)
                .key(&key)
                .content_type(content_type(&key))
                .cache_control(cache_control(&key))
                .body(bytes.into())
                .send()
                .await
                .with_context(|| format!("cannot upload {key}"))?;
            uploaded += 1;
        }
        new.files.insert(key, hash);
    }

    let mut deleted = 0;
    for key in old.files.keys().filter(|k| !new.files.contains_key(*k)) {
        client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .with_context(|| format!("cannot delete {key}"))?;
        deleted += 1;
    }

    let manifest = serde_json::to_vec(&new)?;
    client
        .put_object()
        .bucket(bucket)
        .key(SYNC_MANIFEST_KEY)
        .body(manifest.into())
        .send()
        .await
        .context("cannot write the site manifest")?;
    Ok(Synced { uploaded, deleted })
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)
            .with_context(|| format!("cannot list {}", folder.display()))?
        {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// How long the CDN and browsers keep a file. Names with a content hash (`style-ee7aa4b3.css`,
/// `penalty-3b08488f.xlsx`) never change, so they are kept for a year; every other file (pages,
/// search shards, the sitemap) for a minute, so that a published change is visible within a
/// minute without invalidating the CDN's cache.
fn cache_control(key: &str) -> &'static str {
    let name = key.rsplit('/').next().unwrap_or(key);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let fingerprinted = stem
        .rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    if fingerprinted {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=60"
    }
}

fn content_type(key: &str) -> &'static str {
    match key.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_content_hashed_names_are_cached_for_long() {
        use super::cache_control;
        let long = "public, max-age=31536000, immutable";
        assert_eq!(cache_control("static/style-ee7aa4b3.css"), long);
        assert_eq!(cache_control("downloads/penalty-3b08488f.xlsx"), long);
        assert_eq!(cache_control("index.html"), "public, max-age=60");
        assert_eq!(
            cache_control("downloads/penalty.html"),
            "public, max-age=60"
        );
        assert_eq!(
            cache_control("publicity/penalty/list-2.html"),
            "public, max-age=60"
        );
        assert_eq!(cache_control("search/ab-cd.json"), "public, max-age=60");
    }

    use super::*;

    #[test]
    fn passwords_go_into_the_url_encoded() {
        let url = with_password(
            "postgres://xycz@proxy.local:5432/xycz?sslmode=require",
            "a/b@c",
        )
        .unwrap();
        assert_eq!(
            url,
            "postgres://xycz:a%2Fb%40c@proxy.local:5432/xycz?sslmode=require"
        );
        assert!(with_password("proxy.local", "x").is_err());
    }

    #[test]
    fn publish_events_are_read() {
        let full = json!({ "mode": "full" });
        assert_eq!(parse_publish_event(&full).unwrap(), PublishRequest::Full);
        let batch = json!({ "Records": [
            { "body": "{\"kind\":\"changed\",\"dataset\":\"penalty\"}" },
            { "body": "{\"kind\":\"changed\",\"dataset\":\"penalty\"}" },
            { "body": "{\"kind\":\"changed\",\"dataset\":\"licensing\"}" }
        ]});
        assert_eq!(
            parse_publish_event(&batch).unwrap(),
            PublishRequest::Changes {
                datasets: vec!["licensing".into(), "penalty".into()]
            }
        );
        assert!(parse_publish_event(&json!({})).is_err());
    }
}
