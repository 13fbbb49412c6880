//! The Markdown content: portal pages (`content/pages/*.md`) and the manual
//! (`content/manual/SUMMARY.toml` and its chapters).

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::markdown::{self, FrontMatter};

/// A portal page before rendering.
#[derive(Debug, Clone)]
pub struct PageSource {
    /// The output path: `index.html`, `about.html`.
    pub path: String,
    pub source: String,
    pub front: FrontMatter,
    pub body: String,
}

/// The manual's table of contents.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub chapters: Vec<ChapterEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChapterEntry {
    pub file: String,
    pub title: String,
}

/// A manual chapter before rendering.
#[derive(Debug, Clone)]
pub struct Chapter {
    pub title: String,
    /// The output path: the first chapter is `manual/index.html`.
    pub path: String,
    /// The anchor of the chapter on the printable page.
    pub anchor: String,
    pub source: String,
    pub body: String,
}

/// Loads every `*.md` in `content/pages`, sorted by name.
pub fn load_pages(content_dir: &Path) -> Result<Vec<PageSource>> {
    let dir = content_dir.join("pages");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();

    let mut pages = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let (front, body) = markdown::split_front_matter(&text)
            .with_context(|| format!("in {}", file.display()))?;
        let stem = stem(&file)?;
        if front.title.is_empty() {
            bail!("{}: the front matter needs a title", file.display());
        }
        pages.push(PageSource {
            path: format!("{stem}.html"),
            source: format!("content/pages/{stem}.md"),
            front,
            body: body.to_string(),
        });
    }
    Ok(pages)
}

/// Loads the manual's table of contents and chapters.
pub fn load_manual(content_dir: &Path) -> Result<(Summary, Vec<Chapter>)> {
    let dir = content_dir.join("manual");
    let summary_file = dir.join("SUMMARY.toml");
    let text = std::fs::read_to_string(&summary_file)
        .with_context(|| format!("cannot read {}", summary_file.display()))?;
    let summary: Summary =
        toml::from_str(&text).with_context(|| format!("invalid {}", summary_file.display()))?;
    if summary.chapters.is_empty() {
        bail!("{} lists no chapters", summary_file.display());
    }

    let mut chapters = Vec::with_capacity(summary.chapters.len());
    for (i, entry) in summary.chapters.iter().enumerate() {
        let file = dir.join(&entry.file);
        let text = std::fs::read_to_string(&file).with_context(|| {
            format!(
                "{} lists {}, which cannot be read",
                summary_file.display(),
                entry.file
            )
        })?;
        let (_, body) = markdown::split_front_matter(&text)
            .with_context(|| format!("in {}", file.display()))?;
        let stem = stem(&file)?;
        let path = if i == 0 {
            "manual/index.html".to_string()
        } else {
            format!("manual/{stem}.html")
        };
        chapters.push(Chapter {
            title: entry.title.clone(),
            path,
            anchor: format!("chapter-{stem}"),
            source: format!("content/manual/{}", entry.file),
            body: body.to_string(),
        });
    }
    Ok((summary, chapters))
}

fn stem(file: &Path) -> Result<String> {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .with_context(|| format!("{} has no usable name", file.display()))?;
    if !stem
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        bail!(
            "{}: content file names must be lower-case letters, digits and hyphens",
            file.display()
        );
    }
    Ok(stem.to_string())
}
