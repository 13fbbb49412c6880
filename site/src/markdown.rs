//! Markdown to HTML with tables, footnotes and heading anchors that keep Chinese text, plus the
//! `xlsx:DATASET` link form that points at the current template of a dataset.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

/// The link scheme that names a dataset's Excel template: `[模板](xlsx:penalty)`.
pub const TEMPLATE_SCHEME: &str = "xlsx:";

/// A heading of a rendered page, for the in-page table of contents.
#[derive(Debug, Clone, Serialize)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    pub id: String,
}

/// The HTML of one Markdown text and its headings.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: String,
    pub headings: Vec<Heading>,
}

/// Front matter between `+++` lines at the top of a page.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The tera template that renders the page (default `page.html`).
    #[serde(default)]
    pub template: Option<String>,
}

/// Splits a page into its front matter and its Markdown body.
pub fn split_front_matter(text: &str) -> Result<(FrontMatter, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text.strip_prefix("+++") else {
        return Ok((FrontMatter::default(), text));
    };
    let Some(end) = rest.find("\n+++") else {
        bail!("front matter starts with +++ but has no closing +++ line");
    };
    let front: FrontMatter = toml::from_str(&rest[..end]).context("invalid front matter")?;
    let body = rest[end + 4..].trim_start_matches(['\r', '\n']);
    Ok((front, body))
}

/// Renders Markdown. `template_url` resolves a dataset id to its template's address; an
/// unknown dataset is an error naming the link.
pub fn render(text: &str, template_url: &dyn Fn(&str) -> Option<String>) -> Result<Rendered> {
    render_with_anchors(text, template_url, &mut HashMap::new())
}

/// Renders Markdown whose heading anchors must not repeat those in `used` (several texts on
/// one page, such as the printable manual).
pub fn render_with_anchors(
    text: &str,
    template_url: &dyn Fn(&str) -> Option<String>,
    used: &mut HashMap<String, usize>,
) -> Result<Rendered> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut events: Vec<Event> = Parser::new_ext(text, options).collect();

    rewrite_template_links(&mut events, template_url)?;
    let headings = anchor_headings(&mut events, used);

    let mut html = String::with_capacity(text.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Ok(Rendered { html, headings })
}

fn rewrite_template_links(
    events: &mut [Event],
    template_url: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    for event in events.iter_mut() {
        if let Event::Start(Tag::Link { dest_url, .. }) = event {
            if let Some(dataset) = dest_url.strip_prefix(TEMPLATE_SCHEME) {
                let Some(url) = template_url(dataset) else {
                    bail!("broken template link `{dest_url}`: no dataset `{dataset}`");
                };
                *dest_url = CowStr::from(url);
            }
        }
    }
    Ok(())
}

/// Gives every heading without an explicit id one made from its text, unique in the page.
fn anchor_headings(events: &mut [Event], used: &mut HashMap<String, usize>) -> Vec<Heading> {
    let mut headings = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let Event::Start(Tag::Heading { level, id, .. }) = &events[i] else {
            i += 1;
            continue;
        };
        let level = *level;
        let explicit = id.as_ref().map(|s| s.to_string());

        let mut text = String::new();
        let mut j = i + 1;
        while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
            if let Event::Text(t) | Event::Code(t) = &events[j] {
                text.push_str(t);
            }
            j += 1;
        }

        let base = explicit.unwrap_or_else(|| slug(&text));
        let count = used.entry(base.clone()).or_insert(0);
        let anchor = if *count == 0 {
            base
        } else {
            format!("{base}-{count}")
        };
        *count += 1;

        if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
            *id = Some(CowStr::from(anchor.clone()));
        }
        headings.push(Heading {
            level: level_number(level),
            text,
            id: anchor,
        });
        i = j;
    }
    headings
}

fn level_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// An anchor from heading text: letters (Chinese included) and digits kept, spaces become
/// hyphens, other punctuation dropped, ASCII lower-cased.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "section".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_templates(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn chinese_headings_keep_their_text_as_anchor() {
        let r = render(
            "## 阅读校验报告\n\n## 删除与删除数据\n\n## 阅读校验报告\n",
            &no_templates,
        )
        .unwrap();
        assert!(r.html.contains(r#"<h2 id="阅读校验报告">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="删除与删除数据">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="阅读校验报告-1">"#), "{}", r.html);
        assert_eq!(r.headings.len(), 3);
    }

    #[test]
    fn slug_drops_punctuation_and_joins_words() {
        assert_eq!(slug("360 浏览器（极速模式）"), "360-浏览器极速模式");
        assert_eq!(slug("Hello, World"), "hello-world");
        assert_eq!(slug("？！"), "section");
    }

    #[test]
    fn tables_and_footnotes_render() {
        let r = render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n正文[^1]\n\n[^1]: 注释\n",
            &no_templates,
        )
        .unwrap();
        assert!(r.html.contains("<table>"), "{}", r.html);
        assert!(r.html.contains("footnote-definition"), "{}", r.html);
    }

    #[test]
    fn template_links_resolve_and_unknown_ones_fail() {
        let resolve = |id: &str| (id == "penalty").then(|| "/downloads/penalty-1.xlsx".to_string());
        let r = render("[模板](xlsx:penalty)", &resolve).unwrap();
        assert!(r.html.contains(r#"href="/downloads/penalty-1.xlsx""#));
        let err = render("[模板](xlsx:nothing)", &resolve).unwrap_err();
        assert!(err.to_string().contains("xlsx:nothing"));
    }

    #[test]
    fn front_matter_is_split() {
        let (front, body) = split_front_matter("+++\ntitle = \"关于\"\n+++\n\n正文\n").unwrap();
        assert_eq!(front.title, "关于");
        assert_eq!(body, "正文\n");
    }
}
