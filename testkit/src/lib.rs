//! Test set-up shared by the workspace's tests and benchmarks: a throw-away PostgreSQL database
//! on the server `XYCZ_TEST_PG_URL` names (`scripts/pg-test-env` starts one), and an
//! S3-compatible server (s3s-fs) on 127.0.0.1 with signature checking on. Both are the real
//! servers the product talks to in production, not mocks.

use std::net::SocketAddr;

use aws_sdk_s3::config::{Credentials, Region, SharedCredentialsProvider};
use hyper_util::rt::{TokioExecutor, TokioIo};
use sqlx::Connection;

/// The PostgreSQL server for tests (`XYCZ_TEST_PG_URL`). When it is unset, the test `name`
/// fails under CI and is skipped, loudly, elsewhere (`None`).
pub fn pg_server_url(name: &str) -> Option<String> {
    if let Some(url) = std::env::var("XYCZ_TEST_PG_URL")
        .ok()
        .filter(|v| !v.is_empty())
    {
        return Some(url);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "XYCZ_TEST_PG_URL is not set, so the PostgreSQL test {name} cannot run in CI; \
             run `source scripts/pg-test-env` first"
        );
    }
    eprintln!(
        "SKIPPED PostgreSQL test {name}: XYCZ_TEST_PG_URL is not set \
         (run `source scripts/pg-test-env` to get a server)"
    );
    None
}

/// A database of its own on the test server, removed by [`TestDatabase::remove`].
pub struct TestDatabase {
    /// The URL to open it with.
    pub url: String,
    server_url: String,
    name: String,
}

impl TestDatabase {
    /// Creates `PREFIX_<random letters>` on the server of `server_url`.
    pub async fn create(server_url: &str, prefix: &str) -> TestDatabase {
        let name = format!("{prefix}_{}", random_suffix());
        let mut admin = sqlx::PgConnection::connect(server_url)
            .await
            .expect("connect to XYCZ_TEST_PG_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        TestDatabase {
            url: with_database(server_url, &name),
            server_url: server_url.to_owned(),
            name,
        }
    }

    /// Drops the database, closing whatever connections are still open to it.
    pub async fn remove(self) {
        let mut admin = sqlx::PgConnection::connect(&self.server_url)
            .await
            .expect("connect to XYCZ_TEST_PG_URL");
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .expect("drop the test database");
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| char::from(b'a' + rng.gen_range(0..26u8)))
        .collect()
}

/// `url` with its database name replaced by `database` (its query string kept).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let mut replaced = format!("{}/{database}", &base[..host_end]);
    if let Some(query) = query {
        replaced.push('?');
        replaced.push_str(query);
    }
    replaced
}

/// The key pair the S3 server accepts.
pub const ACCESS_KEY: &str = "xycz-test-access";
pub const SECRET_KEY: &str = "xycz-test-secret-for-loopback";

/// s3s-fs serving a temp folder on 127.0.0.1, checking request signatures against
/// [`ACCESS_KEY`] and [`SECRET_KEY`]. Stops when dropped.
pub struct S3Server {
    pub address: SocketAddr,
    /// A client configuration with the right keys.
    pub sdk: aws_config::SdkConfig,
    _root: tempfile::TempDir,
    serving: tokio::task::JoinHandle<()>,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

impl S3Server {
    /// Starts the server with one empty bucket.
    pub async fn start(bucket: &str) -> S3Server {
        let root = tempfile::tempdir().expect("s3 root folder");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the s3 server");
        let address = listener.local_addr().expect("s3 server address");
        let serving = tokio::spawn(async move {
            let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let connection = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });

        let sdk = sdk_config(address, SECRET_KEY);
        let client = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        client
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("create the bucket");
        S3Server {
            address,
            sdk,
            _root: root,
            serving,
        }
    }

    /// A client configuration that signs with `secret` instead of the right key.
    pub fn sdk_with_secret(&self, secret: &str) -> aws_config::SdkConfig {
        sdk_config(self.address, secret)
    }
}

fn sdk_config(address: SocketAddr, secret: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ACCESS_KEY, secret, None, None, "test",
        )))
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{address}"))
        .build()
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_replaced_in_urls() {
        assert_eq!(
            with_database(
                "postgres://u:p@127.0.0.1:5433/postgres?sslmode=disable",
                "t1"
            ),
            "postgres://u:p@127.0.0.1:5433/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://127.0.0.1", "t2"),
            "postgres://127.0.0.1/t2"
        );
    }
}
