//! The static-site generator of the credit portal: portal pages and the manual from Markdown,
//! Excel templates and field pages from the dataset catalog, and the publicity pages and the
//! search index from the records the store hands over. Output is plain files that any web
//! server or object-store bucket can serve.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! let catalog = xycz_domain::Catalog::builtin();
//! let config = xycz_site::SiteConfig::default();
//! let records = Vec::<xycz_site::PublicRecordInput>::new();
//! let summary = xycz_site::build(&config, &catalog, records, xycz_site::BuildMode::Full)?;
//! eprintln!("{} pages written", summary.pages_written);
//! # Ok(())
//! # }
//! ```

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use chrono::NaiveDate;
use xycz_domain::Catalog;

mod build;
pub mod config;
mod console;
mod content;
pub mod fields;
pub mod markdown;
pub mod output;
mod paging;
pub mod records;
pub mod sample;
pub mod search;
mod state;
pub mod xlsx_template;

pub use records::PublicRecordInput;
pub use xycz_domain::publicity::{RecordState, RecordStatus};

/// Where the generator reads content and templates and writes the site.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// `content/`: `site.toml`, `pages/`, `manual/`.
    pub content_dir: PathBuf,
    /// `templates/`: tera templates and `static/` assets.
    pub templates_dir: PathBuf,
    /// The site folder (default `public/`); it also holds the build manifest.
    pub output_dir: PathBuf,
    /// No progress or timing lines.
    pub quiet: bool,
    /// The day the publicity windows are computed for.
    pub today: NaiveDate,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            content_dir: PathBuf::from("content"),
            templates_dir: PathBuf::from("templates"),
            output_dir: PathBuf::from("public"),
            quiet: false,
            today: chrono::Local::now().date_naive(),
        }
    }
}

/// A full build reads every record, renders and writes everything, and drops records whose
/// window ended (run it daily). An incremental build takes the current version of the changed
/// records only (records whose id is not in `changed_ids` are skipped; a changed id without a
/// record counts as deleted) and rewrites only the pages that show them: their detail pages,
/// the list pages that contain them or link to their pages, and the search index files of
/// their tokens. When the output holds no state from an earlier build, or content, templates
/// or the catalog changed since, it fails with [`FullBuildRequired`] and writes nothing: run a
/// full build with every record then.
///
/// `ChangedRecords` is an incremental build whose records are exactly the changed ones (their
/// current version, whatever their state): every record given has changed, every other one
/// has not. The ids need not be known before the records are read, so pages are rendered
/// while the records arrive.
#[derive(Debug, Clone)]
pub enum BuildMode {
    Full,
    Incremental { changed_ids: HashSet<i64> },
    ChangedRecords,
}

/// An incremental build cannot run; a full build with every record is needed.
#[derive(Debug, Clone)]
pub struct FullBuildRequired {
    pub reason: &'static str,
}

impl std::fmt::Display for FullBuildRequired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a full build is required: {}", self.reason)
    }
}

impl std::error::Error for FullBuildRequired {}

/// What a build did.
#[derive(Debug, Clone)]
pub struct BuildSummary {
    /// Whether the build ran incrementally.
    pub incremental: bool,
    pub pages_written: usize,
    /// Pages an incremental build left as they were.
    pub pages_unchanged: usize,
    pub pages_removed: usize,
    pub records_public: usize,
    pub records_hidden: usize,
    pub elapsed: Duration,
}

/// Builds the site into `config.output_dir` from the content, the catalog and the records
/// (public or not: the publicity rules decide what is shown). See [`BuildMode`] for which
/// records each mode needs.
pub fn build(
    config: &SiteConfig,
    catalog: &Catalog,
    records: impl IntoIterator<Item = PublicRecordInput>,
    mode: BuildMode,
) -> Result<BuildSummary> {
    build::run(config, catalog, &mut records.into_iter(), mode)
}
