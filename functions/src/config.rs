//! Settings of the functions, read from the environment once per process.

use anyhow::{Context, Result};
use xycz_store::AuthPolicy;

use crate::net::{parse_cidr_list, Cidr};

/// CIDR list of the networks allowed to reach `/api` (the government extranet).
pub const ENV_ALLOWED_NETWORKS: &str = "XYCZ_ALLOWED_NETWORKS";
/// CIDR list of the proxies whose `X-Forwarded-For` is believed.
pub const ENV_TRUSTED_PROXIES: &str = "XYCZ_TRUSTED_PROXIES";
/// Largest upload body in bytes.
pub const ENV_MAX_UPLOAD_BYTES: &str = "XYCZ_MAX_UPLOAD_BYTES";
/// Comma-separated origins (`https://host`) of console pages served from another host than the
/// API; they may call it with the session cookie. Empty: same origin only.
pub const ENV_CORS_ORIGINS: &str = "XYCZ_CORS_ORIGINS";

/// API Gateway accepts 10 MB and Lambda 6 MB of event, and a binary body travels base64-encoded
/// (4/3 larger): about 4 MB of file is what fits.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;

/// Without configuration only the machine itself may call the API.
const DEFAULT_ALLOWED_NETWORKS: &str = "127.0.0.0/8,::1/128";

/// When the session cookie carries `Secure`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieSecurity {
    /// Always (Lambda behind API Gateway is HTTPS only).
    Always,
    /// Except when a browser talks plain HTTP to a loopback host (`xycz serve` on one machine).
    ExceptLoopbackHttp,
}

/// What every function needs to know besides its storage.
#[derive(Clone, Debug)]
pub struct Config {
    pub allowed_networks: Vec<Cidr>,
    pub trusted_proxies: Vec<Cidr>,
    pub max_upload_bytes: usize,
    pub auth: AuthPolicy,
    pub cookie: CookieSecurity,
    /// Origins allowed to call the API from a browser on another host (CORS with credentials).
    pub cors_origins: Vec<String>,
}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env(cookie: CookieSecurity) -> Result<Config> {
        Config::from_vars(cookie, |name| std::env::var(name).ok())
    }

    /// Reads the settings from the variables `env` returns.
    pub fn from_vars(
        cookie: CookieSecurity,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());

        let allowed = set(ENV_ALLOWED_NETWORKS).unwrap_or_else(|| DEFAULT_ALLOWED_NETWORKS.into());
        let allowed_networks = parse_cidr_list(&allowed)
            .with_context(|| format!("{ENV_ALLOWED_NETWORKS}={allowed}"))?;
        let proxies = set(ENV_TRUSTED_PROXIES).unwrap_or_default();
        let trusted_proxies = parse_cidr_list(&proxies)
            .with_context(|| format!("{ENV_TRUSTED_PROXIES}={proxies}"))?;
        let max_upload_bytes = match set(ENV_MAX_UPLOAD_BYTES) {
            Some(value) => value
                .trim()
                .parse()
                .with_context(|| format!("{ENV_MAX_UPLOAD_BYTES}={value} is not a byte count"))?,
            None => DEFAULT_MAX_UPLOAD_BYTES,
        };

        let cors_origins = set(ENV_CORS_ORIGINS)
            .map(|list| parse_origins(&list))
            .transpose()
            .with_context(|| format!("{ENV_CORS_ORIGINS} is not a list of origins"))?
            .unwrap_or_default();

        Ok(Config {
            allowed_networks,
            trusted_proxies,
            max_upload_bytes,
            auth: AuthPolicy::default(),
            cookie,
            cors_origins,
        })
    }

    /// Loopback only, no proxies, default limits: for tests and a first local run.
    pub fn local() -> Config {
        Config {
            allowed_networks: parse_cidr_list(DEFAULT_ALLOWED_NETWORKS).unwrap_or_default(),
            trusted_proxies: Vec::new(),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            auth: AuthPolicy::default(),
            cookie: CookieSecurity::ExceptLoopbackHttp,
            cors_origins: Vec::new(),
        }
    }
}

/// `https://a.example, https://b.example` as origins: scheme and host (and port), nothing else.
fn parse_origins(list: &str) -> Result<Vec<String>> {
    list.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .with_context(|| format!("{origin}: an origin starts with https:// or http://"))?;
            if rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
                anyhow::bail!("{origin}: an origin is a scheme and a host, without a path");
            }
            Ok(origin.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_allow_loopback_only() {
        let config = Config::from_vars(CookieSecurity::Always, |_| None).unwrap();
        assert!(config
            .allowed_networks
            .iter()
            .any(|c| c.contains("127.0.0.1".parse().unwrap())));
        assert!(!config
            .allowed_networks
            .iter()
            .any(|c| c.contains("10.0.0.1".parse().unwrap())));
        assert!(config.trusted_proxies.is_empty());
        assert_eq!(config.max_upload_bytes, DEFAULT_MAX_UPLOAD_BYTES);
    }

    #[test]
    fn cors_origins_are_scheme_and_host() {
        let env = |name: &str| {
            (name == ENV_CORS_ORIGINS)
                .then(|| "https://credit.example.gov.cn, http://10.1.2.3:8080".to_owned())
        };
        let config = Config::from_vars(CookieSecurity::Always, env).unwrap();
        assert_eq!(
            config.cors_origins,
            ["https://credit.example.gov.cn", "http://10.1.2.3:8080"]
        );
        let env = |name: &str| {
            (name == ENV_CORS_ORIGINS).then(|| "https://credit.example.gov.cn/console".to_owned())
        };
        assert!(Config::from_vars(CookieSecurity::Always, env).is_err());
        let env = |name: &str| (name == ENV_CORS_ORIGINS).then(|| "credit.example".to_owned());
        assert!(Config::from_vars(CookieSecurity::Always, env).is_err());
    }

    #[test]
    fn bad_lists_are_refused() {
        let env = |name: &str| (name == ENV_ALLOWED_NETWORKS).then(|| "10.0.0.0/33".to_owned());
        assert!(Config::from_vars(CookieSecurity::Always, env).is_err());
    }
}
