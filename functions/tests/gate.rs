//! The network gate over real HTTP: loopback callers against an extranet-only list, forwarded
//! addresses from a trusted proxy, and a spoofed `X-Forwarded-For` from an untrusted peer.

mod common;

use common::{start, Backend};
use xycz_functions::{Cidr, Config};

fn config(allowed: &str, proxies: &str) -> Config {
    let parse = |list: &str| -> Vec<Cidr> {
        list.split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect()
    };
    let mut config = Config::local();
    config.allowed_networks = parse(allowed);
    config.trusted_proxies = parse(proxies);
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_outside_the_extranet_are_refused() {
    // Only the extranet: the loopback caller is outside, whatever it claims.
    let platform = start(Backend::Sqlite, config("10.20.0.0/16", ""))
        .await
        .unwrap();
    let mut client = platform.client();
    let response = client.get("/api/me").await;
    assert_eq!(response.status, 403);
    assert_eq!(response.json()["code"], "network_denied");
    assert!(response.json()["message"]
        .as_str()
        .unwrap()
        .contains("政务外网"));

    client.extra_headers = vec![("accept".into(), "text/html".into())];
    let page = client.get("/api/openapi.json").await;
    assert_eq!(page.status, 403);
    assert!(page.text().contains("<html") && page.text().contains("政务外网"));

    // Spoofed: the peer is not a trusted proxy, so its header counts for nothing.
    client.extra_headers = vec![("x-forwarded-for".into(), "10.20.3.4".into())];
    assert_eq!(client.get("/api/openapi.json").await.status, 403);

    // The public site is not gated.
    assert_eq!(platform.client().get("/index.html").await.status, 200);
    platform.finish().await;

    // Behind a trusted proxy on loopback, the forwarded client address decides.
    let platform = start(Backend::Sqlite, config("10.20.0.0/16", "127.0.0.1/32"))
        .await
        .unwrap();
    let mut client = platform.client();
    client.extra_headers = vec![("x-forwarded-for".into(), "10.20.3.4".into())];
    assert_eq!(client.get("/api/openapi.json").await.status, 200);
    client.extra_headers = vec![("x-forwarded-for".into(), "10.20.3.4, 198.51.100.7".into())];
    assert_eq!(
        client.get("/api/openapi.json").await.status,
        403,
        "the nearest untrusted hop counts"
    );
    client.extra_headers = vec![];
    assert_eq!(
        client.get("/api/openapi.json").await.status,
        403,
        "the proxy itself is not on the extranet"
    );
    platform.finish().await;
}

/// A console on another host (`XYCZ_CORS_ORIGINS`) may call the API with its cookie; other
/// origins get no CORS permission, and without the setting none is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_configured_console_origins_get_cors() {
    let mut with_cors = config("127.0.0.0/8", "");
    with_cors.cors_origins = vec!["https://credit.example.gov.cn".to_owned()];
    let platform = start(Backend::Sqlite, with_cors).await.unwrap();

    let mut client = platform.client();
    client.extra_headers = vec![
        ("origin".into(), "https://credit.example.gov.cn".into()),
        ("access-control-request-method".into(), "POST".into()),
        (
            "access-control-request-headers".into(),
            "content-type,x-csrf-token".into(),
        ),
    ];
    let preflight = client
        .send("OPTIONS", "/api/uploads", None, Vec::new())
        .await;
    assert!(preflight.status < 300, "preflight: {}", preflight.status);
    let header = |response: &common::Response, name: &str| {
        response
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        header(&preflight, "access-control-allow-origin").as_deref(),
        Some("https://credit.example.gov.cn")
    );
    assert_eq!(
        header(&preflight, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let allowed = header(&preflight, "access-control-allow-headers").unwrap_or_default();
    assert!(allowed.contains("x-csrf-token"), "{allowed}");

    client.extra_headers = vec![("origin".into(), "https://elsewhere.example".into())];
    let other = client.get("/api/me").await;
    assert_eq!(other.status, 401);
    assert_eq!(header(&other, "access-control-allow-origin"), None);
    platform.finish().await;

    let platform = start(Backend::Sqlite, config("127.0.0.0/8", ""))
        .await
        .unwrap();
    let mut client = platform.client();
    client.extra_headers = vec![("origin".into(), "https://credit.example.gov.cn".into())];
    let plain = client.get("/api/me").await;
    assert_eq!(header(&plain, "access-control-allow-origin"), None);
    platform.finish().await;
}
