//! Runs one test body against SQLite (a temp folder) and against PostgreSQL (a throw-away
//! database on the server named by `XYCZ_TEST_PG_URL`).

#![allow(dead_code)]

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{NaiveDate, TimeDelta, Utc};
use serde_json::json;
use xycz_store::{
    Actor, AuthPolicy, Clock, NewRecord, NewUnit, NewUpload, NewUser, Role, Store, Unit, Upload,
    UploadStatus, User,
};

/// A store and a clock the test can move forward.
pub struct Env {
    pub store: Store,
    offset_seconds: Arc<AtomicI64>,
}

impl Env {
    pub fn advance(&self, by: TimeDelta) {
        self.offset_seconds
            .fetch_add(by.num_seconds(), Ordering::SeqCst);
    }
}

fn with_test_clock(store: Store) -> Env {
    let offset_seconds = Arc::new(AtomicI64::new(0));
    let offset = offset_seconds.clone();
    let clock =
        Clock::from_fn(move || Utc::now() + TimeDelta::seconds(offset.load(Ordering::SeqCst)));
    Env {
        store: store.with_clock(clock),
        offset_seconds,
    }
}

/// Runs `test` on a fresh SQLite database in a temp folder.
pub async fn with_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Env) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("nested/xycz.db").display());
    let store = Store::open(&url).await.expect("open sqlite store");
    let closer = store.clone();
    let result = tokio::spawn(test(with_test_clock(store))).await;
    closer.close().await;
    if let Err(error) = result {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// Runs `test` on a throw-away PostgreSQL database, dropped afterwards.
///
/// Without `XYCZ_TEST_PG_URL` the test fails under CI and is skipped, loudly, elsewhere.
pub async fn with_postgres<F, Fut>(name: &str, test: F)
where
    F: FnOnce(Env) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(server_url) = xycz_testkit::pg_server_url(name) else {
        return;
    };
    let database = xycz_testkit::TestDatabase::create(&server_url, "xycz_test").await;
    let store = Store::open(&database.url)
        .await
        .expect("open postgres store");
    let closer = store.clone();
    let result = tokio::spawn(test(with_test_clock(store))).await;
    closer.close().await;
    database.remove().await;
    if let Err(error) = result {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// Generates `sqlite::NAME` and `postgres::NAME` tests that run the body `NAME(env)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::common::with_sqlite(super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::common::with_postgres(stringify!($name), super::$name).await;
                }
            )*
        }
    };
}

pub const UNIT_A_CODE: &str = "91110000101623741K";
pub const UNIT_B_CODE: &str = "911101066976941872";
pub const PASSWORD: &str = "a long test password";

pub async fn unit(store: &Store, code: &str, name: &str) -> Unit {
    store
        .create_unit(
            &Actor::system(),
            &NewUnit {
                name: name.into(),
                code: code.into(),
                datasets: vec!["penalty".into(), "licensing".into()],
            },
        )
        .await
        .expect("create unit")
}

pub async fn user(store: &Store, unit: &Unit, username: &str, role: Role) -> User {
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
        .expect("create user")
}

pub fn actor(user: &User) -> Actor {
    Actor::user(user, Some("10.1.2.3"))
}

pub async fn upload(store: &Store, user: &User, dataset: &str, sha256: &str) -> Upload {
    store
        .create_upload(&actor(user), &new_upload(user, dataset, sha256))
        .await
        .expect("create upload")
}

/// A checked upload of `user` to record: 10 rows, 8 valid.
pub fn new_upload(user: &User, dataset: &str, sha256: &str) -> NewUpload {
    NewUpload {
        unit_id: user.unit_id,
        user_id: Some(user.id),
        dataset: dataset.into(),
        file_name: "处罚.xlsx".into(),
        sha256: sha256.into(),
        size: 1234,
        object_key: format!("uploads/x/{sha256}/处罚.xlsx"),
        status: UploadStatus::Checked,
        row_count: 10,
        valid_count: 8,
        invalid_count: 2,
        report: json!({ "errors": [] }),
    }
}

/// A penalty record numbered `n`, decided on `date`, with `content` in its values.
pub fn record(n: u32, date: NaiveDate, content: &str) -> NewRecord {
    NewRecord {
        natural_key: format!("罚{n}|91310000MA1FL0000{}|{date}", n % 10),
        subject_name: format!("长治市第{n}商贸有限公司"),
        subject_code: Some(format!("91140400MA0{n:07}")),
        doc_no: Some(format!("长罚〔2024〕{n}号")),
        decision_date: Some(date),
        values: json!({ "处罚内容": content, "行政处罚决定书文号": format!("长罚〔2024〕{n}号") }),
    }
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}
