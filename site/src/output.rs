//! Writing the output folder: content hashes, the build manifest, and the link check.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// The manifest's file name in the output folder.
pub const MANIFEST_FILE: &str = ".xycz-manifest";
const MANIFEST_HEADER: &str = "xycz-site-manifest 1";

/// What produced a page, so an incremental build knows which entries to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Portal, manual, downloads, assets: depend only on content and templates.
    Static,
    /// A list page of a dataset.
    List,
    /// Search index files, the publicity overview and the sitemap: re-rendered and compared.
    Derived,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Self::Static => 's',
            Self::List => 'l',
            Self::Derived => 'x',
        }
    }

    fn from_letter(c: &str) -> Option<Self> {
        Some(match c {
            "s" => Self::Static,
            "l" => Self::List,
            "x" => Self::Derived,
            _ => return None,
        })
    }
}

/// One output file in the manifest: its content hash and the record ids it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub hash: String,
    /// The record ids the page shows, comma-separated, with `;last` on a dataset's last
    /// list page (its links depend on being last).
    pub ids: String,
}

/// Page path (relative to the output folder) → entry, and the fingerprint of the content,
/// templates and catalog the pages were made from.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub fingerprint: String,
    pub entries: HashMap<String, Entry>,
}

impl Manifest {
    /// Reads the manifest; `None` when there is none or it cannot be read.
    pub fn load(dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(dir.join(MANIFEST_FILE)).ok()?;
        let mut lines = text.lines();
        let header = lines.next()?;
        let fingerprint = header.strip_prefix(MANIFEST_HEADER)?.trim().to_string();
        let mut entries = HashMap::new();
        for line in lines {
            let mut parts = line.splitn(4, '\t');
            let (Some(kind), Some(path), Some(hash), Some(ids)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return None;
            };
            let entry = Entry {
                kind: Kind::from_letter(kind)?,
                hash: hash.to_string(),
                ids: ids.to_string(),
            };
            entries.insert(path.to_string(), entry);
        }
        Some(Self {
            fingerprint,
            entries,
        })
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let mut paths: Vec<&String> = self.entries.keys().collect();
        paths.sort();
        let mut text = String::with_capacity(paths.len() * 64);
        let _ = writeln!(text, "{MANIFEST_HEADER} {}", self.fingerprint);
        for path in paths {
            let e = &self.entries[path];
            let _ = writeln!(text, "{}\t{path}\t{}\t{}", e.kind.letter(), e.hash, e.ids);
        }
        let file = dir.join(MANIFEST_FILE);
        std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))
    }
}

/// The content hash kept in the manifest.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..12])
}

/// The output folder. Shared by the rendering threads.
pub struct Output {
    root: PathBuf,
    dirs: Mutex<HashSet<PathBuf>>,
}

impl Output {
    pub fn new(root: &Path) -> Result<Self> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create the output folder {}", root.display()))?;
        Ok(Self {
            root: root.to_path_buf(),
            dirs: Mutex::new(HashSet::new()),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes a file at `path` (relative, `/`-separated).
    pub fn write(&self, path: &str, bytes: &[u8]) -> Result<()> {
        let file = self.root.join(path);
        if let Some(parent) = file.parent() {
            let known = self
                .dirs
                .lock()
                .map(|dirs| dirs.contains(parent))
                .unwrap_or(false);
            if !known {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
                if let Ok(mut dirs) = self.dirs.lock() {
                    dirs.insert(parent.to_path_buf());
                }
            }
        }
        std::fs::write(&file, bytes).with_context(|| format!("cannot write {}", file.display()))
    }

    /// Removes a file that is no longer part of the site; a missing file is fine.
    pub fn remove(&self, path: &str) -> Result<()> {
        let file = self.root.join(path);
        match std::fs::remove_file(&file) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot remove {}", file.display())),
        }
    }
}

/// The address of a page path: `index.html` → `/`, `manual/index.html` → `/manual/`.
pub fn url_of(path: &str) -> String {
    match path.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{path}"),
    }
}

/// Internal links found in rendered pages: link target (resolved page path) → the first page
/// that uses it and the link as written.
#[derive(Debug, Default)]
pub struct Links {
    targets: HashMap<String, (String, String)>,
}

impl Links {
    /// Collects the `href` and `src` targets of one page.
    pub fn collect(&mut self, page: &str, html: &str, unchecked: &[String]) {
        for attr in ["href=\"", "src=\""] {
            let mut rest = html;
            while let Some(at) = rest.find(attr) {
                rest = &rest[at + attr.len()..];
                let Some(end) = rest.find('"') else { break };
                let link = &rest[..end];
                rest = &rest[end..];
                if let Some(target) = resolve(page, link, unchecked) {
                    self.targets
                        .entry(target)
                        .or_insert_with(|| (page.to_string(), link.to_string()));
                }
            }
        }
    }

    pub fn merge(&mut self, other: Links) {
        for (target, origin) in other.targets {
            self.targets.entry(target).or_insert(origin);
        }
    }

    /// Fails naming every page and link whose target is not in the site.
    pub fn check(&self, exists: impl Fn(&str) -> bool) -> Result<()> {
        let mut broken: Vec<String> = self
            .targets
            .iter()
            .filter(|(target, _)| !exists(target))
            .map(|(_, (page, link))| format!("page {page} links to {link}, which does not exist"))
            .collect();
        if broken.is_empty() {
            return Ok(());
        }
        broken.sort();
        bail!("{} broken link(s):\n{}", broken.len(), broken.join("\n"))
    }
}

/// Resolves a link on `page` to a page path, or `None` for external and unchecked links.
fn resolve(page: &str, link: &str, unchecked: &[String]) -> Option<String> {
    let link = link.split(['#', '?']).next().unwrap_or_default();
    if link.is_empty()
        || link.starts_with("//")
        || link.contains(':')
        || unchecked
            .iter()
            .any(|prefix| link.starts_with(prefix.as_str()))
    {
        return None;
    }

    let mut parts: Vec<&str> = if link.starts_with('/') {
        Vec::new()
    } else {
        let mut dir: Vec<&str> = page.split('/').collect();
        dir.pop();
        dir
    };
    for segment in link.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut path = parts.join("/");
    if link.ends_with('/') || path.is_empty() {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str("index.html");
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_relative_absolute_and_directories() {
        let none: Vec<String> = vec!["/console/".to_string()];
        assert_eq!(
            resolve("manual/index.html", "login.html", &none).unwrap(),
            "manual/login.html"
        );
        assert_eq!(resolve("manual/a.html", "/", &none).unwrap(), "index.html");
        assert_eq!(
            resolve("a.html", "/manual/", &none).unwrap(),
            "manual/index.html"
        );
        assert_eq!(
            resolve("manual/a.html", "../about.html#x", &none).unwrap(),
            "about.html"
        );
        assert_eq!(resolve("a.html", "https://example.org/", &none), None);
        assert_eq!(resolve("a.html", "mailto:a@example.org", &none), None);
        assert_eq!(resolve("a.html", "#top", &none), None);
        assert_eq!(resolve("a.html", "/console/login.html", &none), None);
    }

    #[test]
    fn a_broken_link_names_page_and_link() {
        let mut links = Links::default();
        links.collect(
            "about.html",
            r#"<a href="/nowhere.html">x</a><a href="/">y</a>"#,
            &[],
        );
        let err = links.check(|p| p == "index.html").unwrap_err().to_string();
        assert!(
            err.contains("about.html") && err.contains("/nowhere.html"),
            "{err}"
        );
    }

    #[test]
    fn manifest_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest {
            fingerprint: "abc".to_string(),
            ..Default::default()
        };
        m.entries.insert(
            "publicity/penalty/index.html".to_string(),
            Entry {
                kind: Kind::List,
                hash: "00ff".to_string(),
                ids: "3,2;last".to_string(),
            },
        );
        m.save(dir.path()).unwrap();
        let back = Manifest::load(dir.path()).unwrap();
        assert_eq!(back.fingerprint, "abc");
        assert_eq!(back.entries, m.entries);
    }
}
