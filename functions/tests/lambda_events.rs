//! Each function's router driven by real API Gateway events (HTTP API v2, and one REST v1
//! event) through lambda_http's own request conversion, as under Lambda.

mod common;

use axum::Router;
use common::{fixture_unit, start, unit_with_user, Backend};
use http_body_util::BodyExt;
use serde_json::Value;
use xycz_functions::{
    admin_router, auth_router, history_router, records_router, uploads_router, Config,
};
use xycz_store::Role;

struct Answer {
    status: u16,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Sends the event in `tests/events/{file}` (with the session and CSRF token filled in).
async fn invoke(router: Router, file: &str, session: &str, csrf: &str) -> Answer {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/events")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("event file");
    let text = text
        .replace("{{SESSION}}", session)
        .replace("{{CSRF}}", csrf);
    let request = lambda_http::request::from_str(&text).expect("an API Gateway event");
    let response = xycz_functions::lambda::handle(router, request).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_answer_api_gateway_events() {
    // As infra/template.yaml sets it: REST API paths without the stage (the only test here, so
    // no other thread reads the environment meanwhile).
    std::env::set_var("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true");
    let platform = start(Backend::Sqlite, Config::local())
        .await
        .expect("platform");
    let (name, code) = fixture_unit();
    unit_with_user(platform.store(), &name, &code, "clerk", Role::Reporter).await;
    let state = platform.app.state.clone();

    // auth: login sets a Secure cookie (the request came over HTTPS).
    let login = invoke(auth_router(state.clone()), "v2_login.json", "", "").await;
    assert_eq!(
        login.status,
        200,
        "{}",
        String::from_utf8_lossy(&login.body)
    );
    let cookie = login.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("xycz_session=")
        .to_owned();
    let csrf = login.json()["csrf"].as_str().unwrap().to_owned();

    let me = invoke(auth_router(state.clone()), "v2_me.json", &session, "").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["unit"]["code"], code.as_str());

    // v1 (REST API) events carry the address in requestContext.identity.
    let me = invoke(auth_router(state.clone()), "v1_me.json", &session, "").await;
    assert_eq!(me.status, 200, "{}", String::from_utf8_lossy(&me.body));

    // The source address comes from the request context; a forged X-Forwarded-For is ignored.
    let outside = invoke(
        auth_router(state.clone()),
        "v2_me_from_outside.json",
        &session,
        "",
    )
    .await;
    assert_eq!(outside.status, 403);
    let page = String::from_utf8_lossy(&outside.body).into_owned();
    assert!(page.contains("政务外网"), "{page}");

    let openapi = invoke(auth_router(state.clone()), "v2_openapi.json", "", "").await;
    assert_eq!(openapi.status, 200);
    assert_eq!(openapi.json()["openapi"], "3.0.3");

    // uploads: the base64 multipart body of a real fixture.
    let refused = invoke(
        uploads_router(state.clone()),
        "v2_upload_without_csrf.json",
        &session,
        "",
    )
    .await;
    assert_eq!(refused.status, 403);
    let upload = invoke(
        uploads_router(state.clone()),
        "v2_upload_penalty_sample.json",
        &session,
        &csrf,
    )
    .await;
    assert_eq!(
        upload.status,
        201,
        "{}",
        String::from_utf8_lossy(&upload.body)
    );
    let report = upload.json();
    assert_eq!(
        (
            report["rows"].as_i64(),
            report["valid"].as_i64(),
            report["imported"].as_i64()
        ),
        (Some(20), Some(16), Some(16))
    );
    let again = invoke(
        uploads_router(state.clone()),
        "v2_upload_penalty_sample.json",
        &session,
        &csrf,
    )
    .await;
    assert_eq!(again.json()["repeated"], true);

    // history and records.
    let history = invoke(
        history_router(state.clone()),
        "v2_history_list.json",
        &session,
        "",
    )
    .await;
    assert_eq!(history.status, 200);
    assert_eq!(history.json()["items"].as_array().unwrap().len(), 1);
    let records = invoke(
        records_router(state.clone()),
        "v2_records_list.json",
        &session,
        "",
    )
    .await;
    assert_eq!(
        records.status,
        200,
        "{}",
        String::from_utf8_lossy(&records.body)
    );
    assert!(
        !records.json()["items"].as_array().unwrap().is_empty(),
        "search by part of a name"
    );

    // admin: a reporter is refused.
    let stats = invoke(
        admin_router(state.clone()),
        "v2_admin_stats.json",
        &session,
        "",
    )
    .await;
    assert_eq!(stats.status, 403);

    // A function answers only its own routes.
    let elsewhere = invoke(records_router(state.clone()), "v2_me.json", &session, "").await;
    assert_eq!(elsewhere.status, 404);
    platform.finish().await;
}
