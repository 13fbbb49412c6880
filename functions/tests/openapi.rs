//! The OpenAPI document lists exactly the routes the routers answer.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;
use xycz_functions::{api_router, openapi_document, Config, ROUTES};

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let document = openapi_document();
    assert_eq!(document["openapi"], "3.0.3");
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty(),
        "routes missing from openapi.json: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "openapi.json documents routes that do not exist: {extra:?}"
    );
}

/// Each route of the table is answered by its handler (not the fallback), and other methods on
/// the same path are refused with 405.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_answers_exactly_the_table() {
    let platform = common::start(common::Backend::Sqlite, Config::local())
        .await
        .expect("platform");
    let router = api_router(platform.app.state.clone());
    let methods = ["GET", "POST", "PUT", "DELETE"];
    for route in ROUTES {
        let path = route.path.replace("{id}", "1");
        for method in methods {
            let request = Request::builder()
                .method(method)
                .uri(&path)
                .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    [127, 0, 0, 1],
                    9,
                ))))
                .body(Body::empty())
                .unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let text = String::from_utf8_lossy(&body);
            let served = ROUTES
                .iter()
                .any(|r| r.path == route.path && r.method == method);
            if served {
                assert!(
                    !text.contains("no_route") && status != 405,
                    "{method} {path}: {status} {text}"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is not a route");
            }
        }
    }
    platform.finish().await;
}
