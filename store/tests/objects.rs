//! The object store on a local folder and on a real S3-compatible server (s3s-fs) started on
//! loopback with signature checking on.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use xycz_store::{upload_key, ObjectError, ObjectStore, PutOutcome};
use xycz_testkit::S3Server;

const BUCKET: &str = "xycz-uploads";

async fn start_s3() -> S3Server {
    S3Server::start(BUCKET).await
}

/// The put, get and exists contract, the same for every backend.
async fn check_write_once(store: &ObjectStore) {
    let key = upload_key("91110000101623741K", "0123abcd", "行政处罚 3月.xlsx");
    assert!(!store.exists(&key).await.unwrap());
    assert!(matches!(
        store.get(&key).await,
        Err(ObjectError::NotFound(_))
    ));

    assert_eq!(
        store.put(&key, b"first file").await.unwrap(),
        PutOutcome::Created
    );
    assert!(store.exists(&key).await.unwrap());
    assert_eq!(store.get(&key).await.unwrap(), b"first file");

    assert_eq!(
        store.put(&key, b"first file").await.unwrap(),
        PutOutcome::AlreadyPresent
    );
    assert!(matches!(
        store.put(&key, b"other bytes").await,
        Err(ObjectError::Conflict(_))
    ));
    assert_eq!(store.get(&key).await.unwrap(), b"first file");

    assert!(matches!(
        store.put("../escape", b"x").await,
        Err(ObjectError::InvalidKey(_))
    ));
}

#[tokio::test]
async fn local_objects_are_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::local(&dir.path().join("objects"));
    check_write_once(&store).await;
    assert!(matches!(
        store.presign_put("a/b", Duration::from_secs(60)).await,
        Err(ObjectError::Unsupported(_))
    ));
}

/// Eight writers race to put different bytes under one key: one wins, the others conflict.
async fn check_racing_writers(store: &ObjectStore) {
    let mut tasks = Vec::new();
    for n in 0..8u8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.put("race/file", &[n; 1024]).await
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(PutOutcome::Created) => created += 1,
            Ok(PutOutcome::AlreadyPresent) => panic!("bytes differ"),
            Err(ObjectError::Conflict(_)) => {}
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(created, 1);
    let kept = store.get("race/file").await.unwrap();
    assert!(kept.iter().all(|b| *b == kept[0]));
}

#[tokio::test]
async fn local_racing_writers_keep_one_file() {
    let dir = tempfile::tempdir().unwrap();
    check_racing_writers(&ObjectStore::local(dir.path())).await;
}

// Racing writers are not tested on S3: the store sends `If-None-Match: *`, which AWS S3 applies
// atomically, but s3s-fs checks and writes in two steps, so a race there proves nothing.
#[tokio::test]
async fn s3_objects_are_written_once() {
    let server = start_s3().await;
    let store = ObjectStore::s3(&server.sdk, BUCKET, "city/", true);
    check_write_once(&store).await;

    // The prefix is part of the real key.
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&server.sdk)
            .force_path_style(true)
            .build(),
    );
    let listed = client
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].starts_with("city/uploads/91110000101623741K/0123abcd/"));
}

#[tokio::test]
async fn s3_refuses_a_wrong_signature() {
    let server = start_s3().await;
    let wrong = server.sdk_with_secret("not-the-secret");
    let store = ObjectStore::s3(&wrong, BUCKET, "", true);
    let error = store.put("a/b", b"x").await.unwrap_err();
    assert!(matches!(error, ObjectError::S3 { .. }), "{error}");
}

#[tokio::test]
async fn s3_presigned_put_uploads_directly() {
    let server = start_s3().await;
    let store = ObjectStore::s3(&server.sdk, BUCKET, "p", true);
    let key = "uploads/X/abc/file.xlsx";
    let presigned = store
        .presign_put(key, Duration::from_secs(300))
        .await
        .unwrap();
    assert_eq!(presigned.method, "PUT");
    assert!(presigned.url.contains("X-Amz-Signature="));

    let http = HttpClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let send = |url: String| {
        let mut request = hyper::Request::builder().method("PUT").uri(url);
        for (name, value) in &presigned.headers {
            request = request.header(name, value);
        }
        http.request(
            request
                .body(Full::new(Bytes::from_static(b"sent by the browser")))
                .unwrap(),
        )
    };

    // A tampered URL is refused: the server checks signatures.
    let tampered = presigned.url.replace("file.xlsx", "other.xlsx");
    let refused = send(tampered).await.unwrap();
    assert_eq!(refused.status(), 403);

    let response = send(presigned.url.clone()).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(status.is_success(), "{status}: {body:?}");
    assert_eq!(store.get(key).await.unwrap(), b"sent by the browser");
    assert!(!store.exists("uploads/X/abc/other.xlsx").await.unwrap());
}
