//! The network gate: who is calling (the socket peer, the API Gateway request context, or a
//! trusted proxy's `X-Forwarded-For`) and whether that address is on the government extranet.

use std::net::{IpAddr, SocketAddr};

use anyhow::{bail, Context, Result};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use lambda_http::request::RequestContext;

use crate::config::Config;
use crate::error::{html_page, ApiError};
use crate::state::AppState;

/// An address range such as `10.20.0.0/16` or `::1/128`; a bare address is a /32 or /128.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `address` is inside the range. IPv4-mapped IPv6 addresses count as IPv4.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Cidr> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .with_context(|| format!("{text:?} is not an IP address or CIDR range"))?;
        let network = canonical(network);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .with_context(|| format!("{text:?}: bad prefix length"))?,
            None => max,
        };
        if prefix > max {
            bail!("{text:?}: prefix length above {max}");
        }
        Ok(Cidr { network, prefix })
    }
}

/// Parses a comma-separated list; blanks are skipped.
pub(crate) fn parse_cidr_list(text: &str) -> Result<Vec<Cidr>> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(str::parse)
        .collect()
}

fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The caller's address as the gate decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The address of the hop that reached us: the API Gateway request context under Lambda, the
/// socket peer under `xycz serve`.
fn peer_address(request: &Request) -> Option<IpAddr> {
    if let Some(context) = request.extensions().get::<RequestContext>() {
        let source = match context {
            RequestContext::ApiGatewayV1(v1) => v1.identity.source_ip.clone(),
            RequestContext::ApiGatewayV2(v2) => v2.http.source_ip.clone(),
            _ => None,
        };
        return source.and_then(|ip| ip.trim().parse().ok()).map(canonical);
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| canonical(addr.ip()))
}

/// The client: the peer, unless the peer is a trusted proxy, in which case `X-Forwarded-For` is
/// read from the right, skipping further trusted proxies. An untrusted peer's header is ignored.
pub(crate) fn client_address(peer: IpAddr, headers: &HeaderMap, config: &Config) -> IpAddr {
    let trusted = |ip: IpAddr| config.trusted_proxies.iter().any(|c| c.contains(ip));
    if !trusted(peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|hop| hop.trim().parse::<IpAddr>().map(canonical))
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        client = hop;
        if !trusted(hop) {
            break;
        }
    }
    client
}

/// Middleware on every `/api` route: refuses callers outside `XYCZ_ALLOWED_NETWORKS` and leaves
/// the caller's address in the request for the audit log.
pub(crate) async fn network_gate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let config = state.config();
    let client = peer_address(&request).map(|peer| client_address(peer, request.headers(), config));
    let allowed = client.is_some_and(|ip| config.allowed_networks.iter().any(|c| c.contains(ip)));
    if !allowed {
        tracing::warn!(client = ?client, path = %request.uri().path(), "refused outside the allowed networks");
        return denied(request.headers());
    }
    if let Some(ip) = client {
        request.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(request).await
}

/// 403 as a Chinese HTML page for browsers, JSON for scripts.
fn denied(headers: &HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let error = ApiError::NetworkDenied;
    if wants_html {
        let page = html_page("请使用政务外网访问", &error.to_string());
        (StatusCode::FORBIDDEN, Html(page)).into_response()
    } else {
        error.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(proxies: &str) -> Config {
        let mut config = Config::local();
        config.trusted_proxies = parse_cidr_list(proxies).unwrap();
        config
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn ranges_contain_their_addresses() {
        let net: Cidr = "10.20.0.0/16".parse().unwrap();
        assert!(net.contains("10.20.255.1".parse().unwrap()));
        assert!(!net.contains("10.21.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.20.1.1".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        let one: Cidr = "::1".parse().unwrap();
        assert!(one.contains("::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("example".parse::<Cidr>().is_err());
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let peer: IpAddr = "203.0.113.7".parse().unwrap();
        let spoofed = forwarded("10.1.1.1");
        assert_eq!(client_address(peer, &spoofed, &config("")), peer);

        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let headers = forwarded("10.9.9.9, 10.1.1.1");
        let client = client_address(proxy, &headers, &config("127.0.0.1/32"));
        assert_eq!(client, "10.1.1.1".parse::<IpAddr>().unwrap());

        // Two trusted hops: the first untrusted address from the right is the client.
        let client = client_address(
            proxy,
            &forwarded("10.1.1.1, 127.0.0.2"),
            &config("127.0.0.0/8"),
        );
        assert_eq!(client, "10.1.1.1".parse::<IpAddr>().unwrap());

        // Garbage in the header: fall back to the peer.
        assert_eq!(
            client_address(proxy, &forwarded("nonsense"), &config("127.0.0.1")),
            proxy
        );
    }
}
