//! `content/site.toml`: the portal's name, navigation, contacts and publicity period table.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The portal's settings as written in `content/site.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub name: String,
    pub city: String,
    /// Absolute base address for `sitemap.xml`, without a trailing slash.
    pub base_url: String,
    #[serde(default)]
    pub description: String,
    pub login_url: String,
    #[serde(default)]
    pub login_note: String,
    #[serde(default = "default_page_size")]
    pub page_size: usize,
    #[serde(default)]
    pub footer: String,
    #[serde(default)]
    pub copyright: String,
    #[serde(default)]
    pub nav: Vec<NavItem>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub publicity_periods: Vec<PublicityPeriod>,
    /// Link prefixes served by something other than the generator (the console and the API):
    /// not checked at build time.
    #[serde(default = "default_unchecked")]
    pub unchecked_links: Vec<String>,
}

fn default_unchecked() -> Vec<String> {
    vec!["/console/".to_string(), "/api/".to_string()]
}

fn default_page_size() -> usize {
    20
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NavItem {
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub role: String,
    pub name: String,
    pub phone: String,
    #[serde(default)]
    pub wechat: String,
    #[serde(default)]
    pub qq: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PublicityPeriod {
    pub dataset: String,
    pub kind: String,
    pub period: String,
    #[serde(default)]
    pub from: String,
}

impl Settings {
    pub fn load(content_dir: &Path) -> Result<Self> {
        let path = content_dir.join("site.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let settings: Settings =
            toml::from_str(&text).with_context(|| format!("invalid {}", path.display()))?;
        if settings.page_size == 0 {
            anyhow::bail!("{}: page_size must be at least 1", path.display());
        }
        Ok(settings)
    }
}
