//! The record state of the last build: one line per public record with what list pages and
//! the search index show of it. An incremental build reads it instead of every record, so its
//! cost grows with the number of changed records, not with the size of the site.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::records::Summary;

/// The state's file name in the output folder.
pub const STATE_FILE: &str = ".xycz-records";
const STATE_HEADER: &str = "xycz-site-records 1";

/// Writes the summaries; `datasets` maps a summary's dataset index to its id.
pub fn save(dir: &Path, summaries: &[Summary], datasets: &[&str]) -> Result<()> {
    let mut text = String::with_capacity(summaries.len() * 160);
    text.push_str(STATE_HEADER);
    text.push('\n');
    for s in summaries {
        let _ = writeln!(
            text,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            s.id,
            datasets.get(s.dataset).copied().unwrap_or_default(),
            clean(&s.name),
            clean(&s.code),
            clean(&s.search_code),
            clean(&s.document),
            clean(&s.date),
            clean(&s.unit)
        );
    }
    let file = dir.join(STATE_FILE);
    std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))
}

/// Reads the summaries; `None` when there is no usable state (the build then runs in full).
pub fn load(dir: &Path, datasets: &[&str]) -> Option<Vec<Summary>> {
    let text = std::fs::read_to_string(dir.join(STATE_FILE)).ok()?;
    let mut lines = text.lines();
    if lines.next()? != STATE_HEADER {
        return None;
    }
    let index: HashMap<&str, usize> = datasets.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let mut summaries = Vec::new();
    for line in lines {
        let mut f = line.split('\t');
        let mut next = || f.next().map(str::to_string);
        let id = next()?.parse().ok()?;
        let dataset = *index.get(next()?.as_str())?;
        summaries.push(Summary {
            id,
            dataset,
            name: next()?,
            code: next()?,
            search_code: next()?,
            document: next()?,
            date: next()?,
            unit: next()?,
        });
    }
    Some(summaries)
}

/// Tabs and line breaks would break the line format; they carry no meaning in these values.
fn clean(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains(['\t', '\n', '\r']) {
        value.replace(['\t', '\n', '\r'], " ").into()
    } else {
        value.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let s = Summary {
            id: 42,
            dataset: 1,
            name: "长治市\t示例有限公司".to_string(),
            code: "91110000101623741K".to_string(),
            search_code: "91110000101623741K".to_string(),
            document: "长市监罚〔2026〕1号".to_string(),
            date: "2026-05-01".to_string(),
            unit: "某局".to_string(),
        };
        save(
            dir.path(),
            std::slice::from_ref(&s),
            &["licensing", "penalty"],
        )
        .unwrap();
        let back = load(dir.path(), &["licensing", "penalty"]).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].id, 42);
        assert_eq!(back[0].dataset, 1);
        assert_eq!(back[0].name, "长治市 示例有限公司");
        assert_eq!(back[0].document, s.document);
        assert!(load(dir.path(), &["licensing"]).is_none());
    }
}
