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
