//! A platform on a temp data folder, served on 127.0.0.1, and a small HTTP client for it.
//! `Backend::Sqlite` keeps everything local; `Backend::PostgresS3` uses a throw-away database on
//! the server named by `XYCZ_TEST_PG_URL` and an in-process S3 server (s3s-fs) with signature
//! checks.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use xycz_domain::Catalog;
use xycz_functions::local::{LocalApp, SiteSources};
use xycz_functions::Config;
use xycz_store::{
    Actor, AuthPolicy, NewUnit, NewUser, ObjectStore, ObjectsConfig, Role, StorageConfig, Store,
    Unit,
};
use xycz_testkit::{pg_server_url, S3Server, TestDatabase};

pub const PASSWORD: &str = "a long test password";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    PostgresS3,
}

/// A running platform; dropping it stops the servers and removes the database.
pub struct Platform {
    pub app: LocalApp,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    serving: tokio::task::JoinHandle<()>,
    s3: Option<S3Server>,
    pg: Option<TestDatabase>,
}

impl Platform {
    pub fn store(&self) -> &Store {
        self.app.state.store()
    }

    pub fn site_dir(&self) -> PathBuf {
        self.app.storage.site_dir.clone()
    }

    pub fn client(&self) -> Client {
        Client::new(self.addr)
    }

    /// Waits until the public pages show every change so far.
    pub async fn refresh_site(&self) {
        self.app.publisher.flush().await.expect("site refresh");
    }

    /// Stops serving and drops the PostgreSQL database, if any.
    pub async fn finish(self) {
        self.serving.abort();
        self.app.publisher.stop().await;
        self.app.state.store().close().await;
        if let Some(database) = self.pg {
            database.remove().await;
        }
        drop(self.s3);
    }
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn fixtures() -> PathBuf {
    workspace().join("../shared/fixtures")
}

/// The expected answer shipped beside a fixture (`NAME.expected.json`).
pub fn expected_answer(name: &str) -> Value {
    let path = fixtures().join(format!("{name}.expected.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("expected JSON")
}

/// Starts a platform with `config` on `backend`. Returns `None` (and says so) when PostgreSQL
/// is asked for but `XYCZ_TEST_PG_URL` is unset outside CI; in CI that is a failure.
pub async fn start(backend: Backend, config: Config) -> Option<Platform> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut storage = StorageConfig::resolve_with(dir.path(), |_| None).expect("storage");
    let mut s3 = None;
    let mut pg = None;
    let objects = match backend {
        Backend::Sqlite => ObjectStore::local(&dir.path().join("objects")),
        Backend::PostgresS3 => {
            let server_url = pg_server_url("PostgreSQL+S3")?;
            let database = TestDatabase::create(&server_url, "xycz_fn").await;
            storage.database_url = database.url.clone();
            pg = Some(database);

            let server = S3Server::start(BUCKET).await;
            storage.objects = ObjectsConfig::S3 {
                bucket: BUCKET.into(),
                prefix: "uploads".into(),
                path_style: true,
            };
            let objects = ObjectStore::s3(&server.sdk, BUCKET, "uploads", true);
            s3 = Some(server);
            objects
        }
    };

    let sources = SiteSources {
        content_dir: workspace().join("content"),
        templates_dir: workspace().join("templates"),
    };
    let app = LocalApp::open_with(
        storage,
        objects,
        &sources,
        Arc::new(Catalog::builtin()),
        config,
    )
    .await
    .expect("open the platform");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let router = app.router();
    let serving = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, service).await;
    });
    Some(Platform {
        app,
        addr,
        dir,
        serving,
        s3,
        pg,
    })
}

const BUCKET: &str = "xycz-fn-uploads";

/// Creates a unit and a user of it with [`PASSWORD`].
pub async fn unit_with_user(
    store: &Store,
    name: &str,
    code: &str,
    username: &str,
    role: Role,
) -> Unit {
    let unit = store
        .create_unit(
            &Actor::system(),
            &NewUnit {
                name: name.into(),
                code: code.into(),
                datasets: vec![],
            },
        )
        .await
        .expect("create unit");
    store
        .create_user(
            &Actor::system(),
            &NewUser {
                username: username.into(),
                unit_id: unit.id,
                role,
                password: PASSWORD.into(),
            },
            &AuthPolicy::default(),
        )
        .await
        .expect("create user");
    unit
}

/// The unit the fixtures are reported by (`unit.json`).
pub fn fixture_unit() -> (String, String) {
    let text = std::fs::read_to_string(fixtures().join("unit.json")).expect("unit.json");
    let unit: Value = serde_json::from_str(&text).expect("unit.json is JSON");
    (
        unit["unit"].as_str().expect("unit").to_owned(),
        unit["unit_code"].as_str().expect("unit_code").to_owned(),
    )
}

/// A 统一社会信用代码 with a correct check character (GB 32100) for `body` (17 characters).
pub fn uscc(body: &str) -> String {
    const CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| CHARS.find(c).expect("code character") as u32 * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    format!(
        "{body}{}",
        CHARS.chars().nth(check as usize).expect("check character")
    )
}

/// An HTTP response as the tests look at it.
pub struct Response {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A browser-like client: keeps the session cookie and sends the CSRF token it was given.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: HttpClient<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    pub extra_headers: Vec<(String, String)>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            base: format!("http://{addr}"),
            http: HttpClient::builder(TokioExecutor::new()).build_http(),
            cookie: None,
            csrf: None,
            extra_headers: Vec::new(),
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Response {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(csrf) = &self.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        for (name, value) in &self.extra_headers {
            request = request.header(name, value);
        }
        let request = request.body(Full::new(Bytes::from(body))).expect("request");
        let response = self.http.request(request).await.expect("HTTP request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Response {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send("GET", path, None, Vec::new()).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send("DELETE", path, None, Vec::new()).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Response {
        self.send(
            "POST",
            path,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn put_json(&self, path: &str, body: Value) -> Response {
        self.send(
            "PUT",
            path,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }

    /// Logs in and keeps the cookie and the CSRF token.
    pub async fn login(&mut self, username: &str) -> Value {
        let response = self
            .post_json(
                "/api/auth/login",
                json!({ "username": username, "password": PASSWORD }),
            )
            .await;
        assert_eq!(response.status, 200, "login: {}", response.text());
        let set_cookie = response.headers["set-cookie"]
            .to_str()
            .expect("cookie")
            .to_owned();
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
        self.cookie = set_cookie.split(';').next().map(str::to_owned);
        let body = response.json();
        self.csrf = body["csrf"].as_str().map(str::to_owned);
        body
    }

    /// `POST /api/uploads` with a multipart body.
    pub async fn upload(&self, dataset: &str, file_name: &str, bytes: &[u8]) -> Response {
        let (content_type, body) = multipart(dataset, file_name, bytes);
        self.send("POST", "/api/uploads", Some(&content_type), body)
            .await
    }
}

/// A multipart/form-data body with `dataset` and `file`.
pub fn multipart(dataset: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "xyczTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"dataset\"\r\n\r\n{dataset}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Generates a SQLite and a PostgreSQL+S3 test per case: `both_backends!(case_a, case_b)` for
/// `async fn case_a(backend: Backend)` (with `Backend` in scope).
#[allow(unused_macros)]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres_s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::PostgresS3).await;
                }
            )*
        }
    };
}
