//! One build of the site: static pages from content and the catalog, then the publicity pages
//! from the records, then the search index, the sitemap, the link check and the manifest.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tera::Tera;
use xycz_domain::{Catalog, Dataset};

use crate::config::Settings;
use crate::content::{self, Chapter};
use crate::markdown;
use crate::output::{content_hash, url_of, Entry, Kind, Links, Manifest, Output};
use crate::paging;
use crate::records::{self, PublicRecordInput, Summary};
use crate::search;
use crate::state;
use crate::xlsx_template::{self, Template};
use crate::{BuildMode, BuildSummary, FullBuildRequired, SiteConfig};

/// Records handed to a rendering thread at once.
const BATCH: usize = 256;
/// Log a progress line every this many records.
const PROGRESS_EVERY: usize = 25_000;

/// What every page's context holds.
#[derive(Serialize)]
struct PageMeta<'a> {
    title: &'a str,
    description: &'a str,
    /// The page's address, e.g. `/manual/login.html`.
    path: String,
    /// The navigation entry to mark as current.
    section: &'a str,
    html: &'a str,
}

/// A dataset with public pages.
struct Published<'a> {
    dataset: &'a Dataset,
}

/// One list page: its rows and the addresses of its neighbours.
struct ListPage<'r, 's> {
    rows: &'r [&'s Summary],
    first: bool,
    prev: Option<String>,
    next: Option<String>,
}

/// The first list page is `index.html`; the others are named after their first record.
fn list_path(dataset: &str, first_id: Option<i64>) -> String {
    match first_id {
        None => format!("publicity/{dataset}/index.html"),
        Some(id) => format!("publicity/{dataset}/p/{id}.html"),
    }
}

/// The datasets with public pages, in catalog order.
fn published_datasets(catalog: &Catalog) -> impl Iterator<Item = &Dataset> {
    catalog
        .datasets
        .iter()
        .filter(|d| d.publicity.kind != "none")
}

fn detail_path(dataset: &str, id: i64) -> String {
    format!("publicity/{dataset}/{id}.html")
}

/// The public records after the record phase, how many were hidden, and (incremental builds)
/// the changed records' summaries before and after the change.
struct RecordPhase {
    summaries: Vec<Summary>,
    hidden: usize,
    before: Vec<Summary>,
    after: Vec<Summary>,
}

#[derive(Default)]
struct WorkerOut {
    written: usize,
    links: Links,
    error: Option<anyhow::Error>,
}

struct Job {
    record: PublicRecordInput,
    dataset: usize,
    until: Option<chrono::NaiveDate>,
}

pub(crate) struct Builder<'a> {
    config: &'a SiteConfig,
    catalog: &'a Catalog,
    settings: Settings,
    tera: Tera,
    base: tera::Context,
    output: Output,
    old: Manifest,
    new: Manifest,
    incremental: bool,
    /// Incremental builds: the ids of the changed records.
    changed: HashSet<i64>,
    /// Whether `changed` was given (`BuildMode::Incremental`): records outside it are skipped.
    /// Otherwise (`BuildMode::ChangedRecords`) it is the ids of the records given.
    changed_given: bool,
    links: Links,
    written: usize,
    unchanged: usize,
    /// Files an incremental build removed.
    removed: usize,
    template_urls: HashMap<String, String>,
}

pub(crate) fn run(
    config: &SiteConfig,
    catalog: &Catalog,
    records: &mut dyn Iterator<Item = PublicRecordInput>,
    mode: BuildMode,
) -> Result<BuildSummary> {
    let started = Instant::now();
    let settings = Settings::load(&config.content_dir)?;
    let tera = load_templates(&config.templates_dir)?;
    let fingerprint = fingerprint(config, catalog)?;
    let output = Output::new(&config.output_dir)?;

    let mut old = Manifest::load(&config.output_dir).unwrap_or_default();
    let published: Vec<&str> = published_datasets(catalog).map(|d| d.id.as_str()).collect();
    let state = if matches!(mode, BuildMode::Full) {
        None
    } else if old.fingerprint != fingerprint {
        return Err(FullBuildRequired {
            reason: "content, templates or the catalog changed since the last build",
        }
        .into());
    } else {
        Some(
            state::load(&config.output_dir, &published).ok_or(FullBuildRequired {
                reason: "the output folder holds no record state from an earlier build",
            })?,
        )
    };
    let (changed, changed_given) = match mode {
        BuildMode::Incremental { changed_ids } => (changed_ids, true),
        BuildMode::ChangedRecords | BuildMode::Full => (HashSet::new(), false),
    };
    let incremental = state.is_some();
    // A full build removes the pages of records the last build showed and this one does not.
    let earlier = if incremental {
        Vec::new()
    } else {
        state::load(&config.output_dir, &published).unwrap_or_default()
    };
    // An incremental build starts from the earlier manifest and updates it.
    let entries = if incremental {
        std::mem::take(&mut old.entries)
    } else {
        HashMap::new()
    };

    let mut builder = Builder {
        config,
        catalog,
        settings,
        tera,
        base: tera::Context::new(),
        output,
        old,
        new: Manifest {
            fingerprint,
            entries,
        },
        incremental,
        changed,
        changed_given,
        links: Links::default(),
        written: 0,
        unchanged: 0,
        removed: 0,
        template_urls: HashMap::new(),
    };
    builder.prepare_assets()?;

    let phase = Instant::now();
    if !builder.incremental {
        builder.build_static()?;
    }
    timing(config, "static pages", phase);

    let phase = Instant::now();
    let RecordPhase {
        summaries,
        hidden,
        before,
        after,
    } = match state {
        Some(state) => builder.update_records(records, state)?,
        None => {
            let (summaries, hidden) = builder.render_public(records)?;
            RecordPhase {
                summaries,
                hidden,
                before: Vec::new(),
                after: Vec::new(),
            }
        }
    };
    timing(config, "record pages", phase);

    let phase = Instant::now();
    let list_paths = builder.build_lists(&summaries)?;
    builder.build_search(&summaries, &before, &after)?;
    builder.build_sitemap(&list_paths)?;
    state::save(&config.output_dir, &summaries, &published)?;
    timing(config, "lists, search index and sitemap", phase);

    let entries = &builder.new.entries;
    let details: HashSet<String> = summaries
        .iter()
        .map(|s| detail_path(published[s.dataset], s.id))
        .collect();
    builder
        .links
        .check(|path| entries.contains_key(path) || details.contains(path))
        .context("the link check failed")?;

    let removed = builder.remove_stale(&earlier, &summaries)? + builder.removed;
    builder.new.save(&config.output_dir)?;

    let summary = BuildSummary {
        incremental: builder.incremental,
        pages_written: builder.written,
        pages_unchanged: builder.unchanged,
        pages_removed: removed,
        records_public: summaries.len(),
        records_hidden: hidden,
        elapsed: started.elapsed(),
    };
    if !config.quiet {
        tracing::info!(
            mode = if summary.incremental { "incremental" } else { "full" },
            written = summary.pages_written,
            unchanged = summary.pages_unchanged,
            removed = summary.pages_removed,
            public = summary.records_public,
            hidden = summary.records_hidden,
            seconds = summary.elapsed.as_secs_f64(),
            output = %config.output_dir.display(),
            "site built"
        );
    }
    Ok(summary)
}

fn timing(config: &SiteConfig, phase: &str, started: Instant) {
    if !config.quiet {
        tracing::info!(seconds = started.elapsed().as_secs_f64(), "{phase} done");
    }
}

/// Loads the `.html` and `.xml` templates; `static/` holds assets, not templates.
fn load_templates(dir: &Path) -> Result<Tera> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the templates folder {}", dir.display()))?
    {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_file() && (name.ends_with(".html") || name.ends_with(".xml")) {
            files.push((path.clone(), Some(name.to_string())));
        }
    }
    // The console's pages extend the base layout, so they join the same set, named
    // `console/NAME.html`.
    let console = dir.join(crate::console::TEMPLATE_DIR);
    if console.is_dir() {
        for entry in std::fs::read_dir(&console)
            .with_context(|| format!("cannot read the templates folder {}", console.display()))?
        {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_file() && name.ends_with(".html") {
                let name = format!("{}/{name}", crate::console::TEMPLATE_DIR);
                files.push((path.clone(), Some(name)));
            }
        }
    }
    let mut tera = Tera::default();
    tera.set_escape_fn(escape_html);
    tera.add_template_files(files)
        .map_err(|e| anyhow!("{}", error_chain(&e)))
        .with_context(|| format!("invalid templates in {}", dir.display()))?;
    Ok(tera)
}

/// Escapes text for HTML element content and quoted attributes. Unlike tera's default it
/// leaves `/` alone, so addresses read as written.
fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A hash of everything the static pages are made from; a change forces a full build.
fn fingerprint(config: &SiteConfig, catalog: &Catalog) -> Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(serde_json::to_vec(catalog)?);
    for dir in [&config.content_dir, &config.templates_dir] {
        let mut files = Vec::new();
        walk(dir, &mut files)?;
        files.sort();
        for file in files {
            hasher.update(file.to_string_lossy().as_bytes());
            hasher.update(
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?,
            );
        }
    }
    Ok(hex::encode(&hasher.finalize()[..12]))
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

impl<'a> Builder<'a> {
    /// Fingerprinted asset names (`static/style-1a2b3c4d.css`) into the base context; written
    /// only by a full build.
    fn prepare_assets(&mut self) -> Result<()> {
        let dir = self.config.templates_dir.join("static");
        let mut files = Vec::new();
        walk(&dir, &mut files)?;
        files.sort();

        let mut assets = BTreeMap::new();
        for file in files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let Some((stem, ext)) = name.rsplit_once('.') else {
                continue;
            };
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let hash = hex::encode(&Sha256::digest(&bytes)[..4]);
            let path = format!("static/{stem}-{hash}.{ext}");
            assets.insert(
                format!("{stem}_{ext}").replace('-', "_"),
                format!("/{path}"),
            );
            if !self.incremental {
                self.emit(&path, Kind::Static, String::new(), &bytes)?;
            }
        }

        self.base.insert("site", &self.settings);
        self.base.insert("assets", &assets);
        Ok(())
    }

    /// Writes a file and records it in the new manifest. An incremental build leaves a file
    /// whose content did not change untouched.
    fn emit(&mut self, path: &str, kind: Kind, ids: String, bytes: &[u8]) -> Result<()> {
        let hash = content_hash(bytes);
        let same = self.incremental
            && self
                .new
                .entries
                .get(path)
                .is_some_and(|e| e.hash == hash && self.config.output_dir.join(path).exists());
        if same {
            self.unchanged += 1;
        } else {
            self.output.write(path, bytes)?;
            self.written += 1;
        }
        if path.ends_with(".html") {
            let html = std::str::from_utf8(bytes).unwrap_or_default();
            self.links
                .collect(path, html, &self.settings.unchecked_links);
        }
        self.new
            .entries
            .insert(path.to_string(), Entry { kind, hash, ids });
        Ok(())
    }

    fn render(&self, template: &str, context: &tera::Context, page: &str) -> Result<String> {
        self.tera
            .render(template, context)
            .map_err(|e| anyhow!("{}", error_chain(&e)))
            .with_context(|| format!("cannot render {page} with template {template}"))
    }

    fn page_context(&self, meta: &PageMeta) -> tera::Context {
        let mut context = self.base.clone();
        context.insert("page", meta);
        context
    }

    fn build_static(&mut self) -> Result<()> {
        self.build_templates()?;
        self.build_pages()?;
        self.build_manual()?;
        self.build_publicity_index()?;
        self.build_console()?;

        for (path, template, title, section) in [
            ("search.html", "search.html", "信用查询", "/search.html"),
            ("404.html", "404.html", "页面不存在", ""),
        ] {
            let meta = PageMeta {
                title,
                description: "",
                path: url_of(path),
                section,
                html: "",
            };
            let html = self.render(template, &self.page_context(&meta), path)?;
            self.emit(path, Kind::Static, String::new(), html.as_bytes())?;
        }
        Ok(())
    }

    /// The console's pages (templates named `console/*.html`; names starting with `_` are
    /// partials) and `console/datasets.json`. Needs the template addresses.
    fn build_console(&mut self) -> Result<()> {
        let datasets =
            serde_json::to_value(crate::console::datasets(self.catalog, &self.template_urls))?;
        let json = serde_json::to_vec(&datasets)?;
        let prefix = format!("{}/", crate::console::TEMPLATE_DIR);
        let mut names: Vec<String> = self
            .tera
            .get_template_names()
            .filter(|name| {
                name.strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.starts_with('_'))
            })
            .map(str::to_owned)
            .collect();
        names.sort();

        for name in names {
            let meta = PageMeta {
                title: "数据报送平台",
                description: "",
                path: url_of(&name),
                section: "",
                html: "",
            };
            let mut context = self.page_context(&meta);
            context.insert("datasets", &datasets);
            let html = self.render(&name, &context, &name)?;
            self.emit(&name, Kind::Static, String::new(), html.as_bytes())?;
        }
        self.emit("console/datasets.json", Kind::Static, String::new(), &json)
    }

    /// The Excel templates, the downloads page and one field page per dataset.
    fn build_templates(&mut self) -> Result<()> {
        let templates: Vec<Template> = self
            .catalog
            .datasets
            .iter()
            .map(xlsx_template::generate)
            .collect::<Result<_>>()?;

        #[derive(Serialize)]
        struct Row<'a> {
            title: &'a str,
            group: &'a str,
            file_name: &'a str,
            url: String,
            size: String,
            sha256: &'a str,
            doc_url: String,
        }
        let mut rows = Vec::new();
        for (dataset, template) in self.catalog.datasets.iter().zip(&templates) {
            let path = format!("downloads/{}", template.file_name);
            self.emit(&path, Kind::Static, String::new(), &template.bytes)?;
            self.template_urls
                .insert(dataset.id.clone(), format!("/{path}"));
            rows.push(Row {
                title: &dataset.title,
                group: &dataset.group,
                file_name: &template.file_name,
                url: format!("/{path}"),
                size: size_text(template.bytes.len()),
                sha256: &template.sha256,
                doc_url: format!("/downloads/{}.html", dataset.id),
            });
        }

        let meta = PageMeta {
            title: "下载中心",
            description: "数据上报 Excel 模板与字段说明。",
            path: "/downloads/".to_string(),
            section: "/downloads/",
            html: "",
        };
        let mut context = self.page_context(&meta);
        context.insert("templates", &rows);
        let html = self.render("downloads.html", &context, "downloads/index.html")?;
        self.emit(
            "downloads/index.html",
            Kind::Static,
            String::new(),
            html.as_bytes(),
        )?;

        for (dataset, template) in self.catalog.datasets.iter().zip(&templates) {
            self.build_field_page(dataset, template)?;
        }
        Ok(())
    }

    fn build_field_page<'f>(&mut self, dataset: &'f Dataset, template: &Template) -> Result<()> {
        #[derive(Serialize)]
        struct FieldRow<'a> {
            column: String,
            label: &'a str,
            requirement: &'static str,
            requirement_class: &'static str,
            format: String,
            help: &'a str,
        }
        let row = |i: usize, f: &'f xycz_domain::Field| FieldRow {
            column: xycz_domain::check::column_name(i),
            label: &f.label,
            requirement: crate::fields::requirement_text(f),
            requirement_class: match f.required {
                xycz_domain::catalog::Requirement::Mandatory => "mandatory",
                xycz_domain::catalog::Requirement::Conditional => "conditional",
                xycz_domain::catalog::Requirement::Optional => "optional",
            },
            format: crate::fields::format_text(dataset, f),
            help: &f.help,
        };
        let fields: Vec<FieldRow> = dataset
            .template_fields()
            .enumerate()
            .map(|(i, f)| row(i, f))
            .collect();
        let extra: Vec<FieldRow> = dataset
            .fields
            .iter()
            .filter(|f| !f.template)
            .map(|f| row(0, f))
            .collect();

        let path = format!("downloads/{}.html", dataset.id);
        let title = format!("{}字段说明", dataset.title);
        let meta = PageMeta {
            title: &title,
            description: &dataset.description,
            path: url_of(&path),
            section: "/downloads/",
            html: "",
        };
        let mut context = self.page_context(&meta);
        context.insert("dataset", dataset);
        context.insert("fields", &fields);
        context.insert("extra_fields", &extra);
        context.insert(
            "template",
            &serde_json::json!({
                "url": format!("/downloads/{}", template.file_name),
                "size": size_text(template.bytes.len()),
            }),
        );
        let html = self.render("dataset.html", &context, &path)?;
        self.emit(&path, Kind::Static, String::new(), html.as_bytes())
    }

    fn markdown(
        &self,
        source: &str,
        text: &str,
        used: &mut HashMap<String, usize>,
    ) -> Result<markdown::Rendered> {
        let urls = &self.template_urls;
        let resolve = |id: &str| urls.get(id).cloned();
        markdown::render_with_anchors(text, &resolve, used).with_context(|| format!("in {source}"))
    }

    fn build_pages(&mut self) -> Result<()> {
        for page in content::load_pages(&self.config.content_dir)? {
            let rendered = self.markdown(&page.source, &page.body, &mut HashMap::new())?;
            let url = url_of(&page.path);
            let meta = PageMeta {
                title: &page.front.title,
                description: &page.front.description,
                path: url.clone(),
                section: &url,
                html: &rendered.html,
            };
            let template = page.front.template.as_deref().unwrap_or("page.html");
            let html = self.render(template, &self.page_context(&meta), &page.source)?;
            self.emit(&page.path, Kind::Static, String::new(), html.as_bytes())?;
        }
        Ok(())
    }

    fn build_manual(&mut self) -> Result<()> {
        let (summary, chapters) = content::load_manual(&self.config.content_dir)?;

        #[derive(Serialize)]
        struct Link<'a> {
            title: &'a str,
            url: String,
        }
        let toc: Vec<Link> = chapters
            .iter()
            .map(|c| Link {
                title: &c.title,
                url: url_of(&c.path),
            })
            .collect();
        let manual = serde_json::json!({ "title": summary.title, "chapters": toc });

        for (i, chapter) in chapters.iter().enumerate() {
            let rendered = self.markdown(&chapter.source, &chapter.body, &mut HashMap::new())?;
            let meta = PageMeta {
                title: &chapter.title,
                description: &summary.description,
                path: url_of(&chapter.path),
                section: "/manual/",
                html: &rendered.html,
            };
            let mut context = self.page_context(&meta);
            context.insert("manual", &manual);
            context.insert("number", &(i + 1));
            context.insert("prev", &i.checked_sub(1).map(|p| &toc[p]));
            context.insert("next", &toc.get(i + 1));
            let html = self.render("manual.html", &context, &chapter.source)?;
            self.emit(&chapter.path, Kind::Static, String::new(), html.as_bytes())?;
        }
        self.build_manual_print(&summary, &chapters)
    }

    fn build_manual_print(
        &mut self,
        summary: &content::Summary,
        chapters: &[Chapter],
    ) -> Result<()> {
        #[derive(Serialize)]
        struct Printed<'a> {
            title: &'a str,
            anchor: &'a str,
            html: String,
        }
        let mut used = HashMap::new();
        used.insert("toc".to_string(), 1);
        let mut printed = Vec::with_capacity(chapters.len());
        for chapter in chapters {
            used.insert(chapter.anchor.clone(), 1);
            used.insert(format!("{}-title", chapter.anchor), 1);
            let rendered = self.markdown(&chapter.source, &chapter.body, &mut used)?;
            printed.push(Printed {
                title: &chapter.title,
                anchor: &chapter.anchor,
                html: rendered.html,
            });
        }
        let path = "manual/print.html";
        let title = format!("{}（打印版）", summary.title);
        let meta = PageMeta {
            title: &title,
            description: &summary.description,
            path: url_of(path),
            section: "/manual/",
            html: "",
        };
        let mut context = self.page_context(&meta);
        context.insert("manual", &serde_json::json!({ "title": summary.title }));
        context.insert("chapters", &printed);
        let html = self.render("manual_print.html", &context, path)?;
        self.emit(path, Kind::Static, String::new(), html.as_bytes())
    }

    fn published(&self) -> Vec<Published<'a>> {
        published_datasets(self.catalog)
            .map(|dataset| Published { dataset })
            .collect()
    }

    fn build_publicity_index(&mut self) -> Result<()> {
        #[derive(Serialize)]
        struct Tile<'a> {
            title: &'a str,
            description: &'a str,
            url: String,
        }
        let (mut sgs, mut lists) = (Vec::new(), Vec::new());
        for p in self.published() {
            let tile = Tile {
                title: &p.dataset.title,
                description: &p.dataset.description,
                url: format!("/publicity/{}/", p.dataset.id),
            };
            if p.dataset.group == "双公示" {
                sgs.push(tile);
            } else {
                lists.push(tile);
            }
        }
        let path = "publicity/index.html";
        let meta = PageMeta {
            title: "公示信息",
            description: "行政许可、行政处罚和红黑名单公示。",
            path: url_of(path),
            section: "/publicity/#sgs",
            html: "",
        };
        let mut context = self.page_context(&meta);
        context.insert("sgs", &sgs);
        context.insert("lists", &lists);
        let html = self.render("publicity.html", &context, path)?;
        self.emit(path, Kind::Static, String::new(), html.as_bytes())
    }

    /// Renders the detail page of every public record among `records` on every core while
    /// reading them (the reader decides what is public and sends batches to the renderers).
    /// Returns the public records' summaries and how many were hidden.
    fn render_public(
        &mut self,
        records: &mut dyn Iterator<Item = PublicRecordInput>,
    ) -> Result<(Vec<Summary>, usize)> {
        let published = self.published();
        let index: HashMap<&str, usize> = published
            .iter()
            .enumerate()
            .map(|(i, p)| (p.dataset.id.as_str(), i))
            .collect();
        let datasets: Vec<&Dataset> = published.iter().map(|p| p.dataset).collect();
        let today = self.config.today;
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 8);

        let mut summaries = Vec::new();
        let mut hidden = 0;
        let mut unknown: HashSet<String> = HashSet::new();

        let (sender, receiver) = sync_channel::<Vec<Job>>(workers * 2);
        let receiver = Mutex::new(receiver);
        let this = &*self;
        let outs: Vec<WorkerOut> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| scope.spawn(|| this.render_details(&receiver, &datasets)))
                .collect();

            let mut batch = Vec::with_capacity(BATCH);
            for (n, record) in records.enumerate() {
                if n > 0 && n % PROGRESS_EVERY == 0 && !this.config.quiet {
                    tracing::info!(records = n, "reading records");
                }
                let Some(&i) = index.get(record.dataset.as_str()) else {
                    if this.catalog.get(&record.dataset).is_none()
                        && unknown.insert(record.dataset.clone())
                    {
                        tracing::warn!(dataset = %record.dataset, "records of an unknown dataset skipped");
                    }
                    hidden += 1;
                    continue;
                };
                let dataset = datasets[i];
                let verdict = records::verdict(dataset, &record, today);
                if !verdict.is_public() {
                    hidden += 1;
                    continue;
                }
                summaries.push(records::summarize(dataset, i, &record));
                batch.push(Job {
                    record,
                    dataset: i,
                    until: verdict.until(),
                });
                if batch.len() == BATCH
                    && sender
                        .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_err()
                {
                    break;
                }
            }
            if !batch.is_empty() {
                let _ = sender.send(batch);
            }
            drop(sender);
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| WorkerOut {
                        error: Some(anyhow!("a rendering thread panicked")),
                        ..Default::default()
                    })
                })
                .collect()
        });

        for out in outs {
            self.take_detail_pages(out)?;
        }
        Ok((summaries, hidden))
    }

    /// Counts a rendering thread's pages and takes its links. Detail pages are not listed in
    /// the manifest: the record state names them (one per public record).
    fn take_detail_pages(&mut self, out: WorkerOut) -> Result<()> {
        if let Some(error) = out.error {
            return Err(error);
        }
        self.written += out.written;
        self.links.merge(out.links);
        Ok(())
    }

    /// The incremental counterpart of a full build's `render_public`: applies the changed records to the
    /// summaries of the last build. Records whose id is not among the changed ones are
    /// skipped; a changed id without a record was deleted. Returns the summaries, the number
    /// of hidden changed records, and the changed records' summaries before and after.
    fn update_records(
        &mut self,
        records: &mut dyn Iterator<Item = PublicRecordInput>,
        mut summaries: Vec<Summary>,
    ) -> Result<RecordPhase> {
        // The changed records' pages are rendered while they are read; which summaries they
        // replace is settled afterwards, when every changed id is known.
        let given = std::mem::take(&mut self.changed);
        let changed_given = self.changed_given;
        let mut seen: HashSet<i64> = HashSet::new();
        let mut changed_records = records
            .filter(|r| !changed_given || given.contains(&r.id))
            .inspect(|r| {
                seen.insert(r.id);
            });
        let (after, hidden) = self.render_public(&mut changed_records)?;
        drop(changed_records);
        self.changed = if changed_given { given } else { seen };

        let (before, kept): (Vec<Summary>, Vec<Summary>) = summaries
            .drain(..)
            .partition(|s| self.changed.contains(&s.id));
        summaries = kept;

        // Pages of records that are no longer public.
        let published = self.published();
        let rendered: HashSet<i64> = after.iter().map(|s| s.id).collect();
        for s in before.iter().filter(|s| !rendered.contains(&s.id)) {
            self.output
                .remove(&detail_path(&published[s.dataset].dataset.id, s.id))?;
            self.removed += 1;
        }

        summaries.extend(after.iter().cloned());
        Ok(RecordPhase {
            summaries,
            hidden,
            before,
            after,
        })
    }

    /// A rendering thread: takes batches until the channel closes. After an error it keeps
    /// draining so the reader never blocks.
    fn render_details(
        &self,
        receiver: &Mutex<Receiver<Vec<Job>>>,
        datasets: &[&Dataset],
    ) -> WorkerOut {
        let mut out = WorkerOut::default();
        loop {
            let batch = match receiver.lock() {
                Ok(r) => match r.recv() {
                    Ok(batch) => batch,
                    Err(_) => break,
                },
                Err(_) => break,
            };
            if out.error.is_some() {
                continue;
            }
            for job in batch {
                if let Err(e) = self.render_detail(job, datasets, &mut out) {
                    out.error = Some(e);
                    break;
                }
            }
        }
        out
    }

    fn render_detail(&self, job: Job, datasets: &[&Dataset], out: &mut WorkerOut) -> Result<()> {
        let dataset = datasets[job.dataset];
        let record = &job.record;
        let path = detail_path(&dataset.id, record.id);
        let name = record
            .values
            .get(&dataset.key.name)
            .map(String::as_str)
            .unwrap_or_default();
        let title = format!("{name}（{}）", dataset.title);
        let meta = PageMeta {
            title: &title,
            description: "",
            path: url_of(&path),
            section: "",
            html: "",
        };
        let mut context = self.page_context(&meta);
        context.insert(
            "dataset",
            &serde_json::json!({"id": dataset.id, "title": dataset.title}),
        );
        context.insert("fields", &records::shown_fields(dataset, record));
        context.insert("until", &records::until_text(job.until));
        context.insert("unit", &record.unit_name);
        context.insert("updated", &record.updated_at);
        context.insert("list_url", &format!("/publicity/{}/", dataset.id));
        let html = self.render("detail.html", &context, &path)?;

        self.output.write(&path, html.as_bytes())?;
        out.links
            .collect(&path, &html, &self.settings.unchecked_links);
        out.written += 1;
        Ok(())
    }

    /// The list pages of each published dataset, newest decision first. Pages are cut by
    /// `paging`, named after their first record (the first page is `index.html`), and an
    /// incremental build renders only those whose records or neighbours changed.
    fn build_lists(&mut self, summaries: &[Summary]) -> Result<Vec<String>> {
        let published = self.published();
        let mut by_dataset: Vec<Vec<&Summary>> = vec![Vec::new(); published.len()];
        for s in summaries {
            by_dataset[s.dataset].push(s);
        }

        let mut paths = Vec::new();
        for (i, mut rows) in by_dataset.into_iter().enumerate() {
            rows.sort_unstable_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
            let dataset = published[i].dataset;
            let prefix = format!("publicity/{}/", dataset.id);
            let mut earlier: HashSet<String> = self
                .new
                .entries
                .iter()
                .filter(|(p, e)| e.kind == Kind::List && p.starts_with(&prefix))
                .map(|(p, _)| p.clone())
                .collect();
            let ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
            let ranges = paging::pages(&ids, self.settings.page_size);
            let names: Vec<String> = ranges
                .iter()
                .enumerate()
                .map(|(n, r)| list_path(&dataset.id, (n > 0).then(|| ids[r.start])))
                .collect();

            for (n, range) in ranges.iter().enumerate() {
                let chunk = &rows[range.clone()];
                let path = names[n].clone();
                let prev = n.checked_sub(1).map(|p| url_of(&names[p]));
                let next = names.get(n + 1).map(|p| url_of(p));
                let mut signature: Vec<String> = chunk.iter().map(|s| s.id.to_string()).collect();
                signature.push(format!(
                    "<{}>{}",
                    prev.as_deref().unwrap_or_default(),
                    next.as_deref().unwrap_or_default()
                ));
                let signature = signature.join(",");
                paths.push(path.clone());
                earlier.remove(&path);

                let old = self.new.entries.get(&path);
                let untouched = self.incremental
                    && old.is_some_and(|e| e.ids == signature)
                    && !chunk.iter().any(|s| self.changed.contains(&s.id));
                if let (true, Some(entry)) = (untouched, old) {
                    self.new.entries.insert(path, entry.clone());
                    self.unchanged += 1;
                    continue;
                }
                let page = ListPage {
                    rows: chunk,
                    first: n == 0,
                    prev,
                    next,
                };
                let html = self.render_list(dataset, &page, &path)?;
                self.emit(&path, Kind::List, signature, html.as_bytes())?;
            }
            for path in earlier {
                self.remove(&path)?;
            }
        }
        Ok(paths)
    }

    fn render_list(&self, dataset: &Dataset, page: &ListPage, path: &str) -> Result<String> {
        #[derive(Serialize)]
        struct Row<'a> {
            url: String,
            name: &'a str,
            code: &'a str,
            document: &'a str,
            date: &'a str,
            unit: &'a str,
        }
        let rows: Vec<Row> = page
            .rows
            .iter()
            .map(|s| Row {
                url: format!("/{}", detail_path(&dataset.id, s.id)),
                name: &s.name,
                code: &s.code,
                document: &s.document,
                date: &s.date,
                unit: &s.unit,
            })
            .collect();
        let title = format!("{}公示", dataset.title);
        let meta = PageMeta {
            title: &title,
            description: &dataset.description,
            path: url_of(path),
            section: if dataset.group == "双公示" {
                "/publicity/#sgs"
            } else {
                "/publicity/#lists"
            },
            html: "",
        };
        let mut context = self.page_context(&meta);
        context.insert(
            "dataset",
            &serde_json::json!({"id": dataset.id, "title": dataset.title}),
        );
        context.insert(
            "columns",
            &serde_json::json!({
                "name": dataset.key.name,
                "code": "统一社会信用代码/证件号码",
                "document": dataset.key.document,
                "date": dataset.key.date,
            }),
        );
        context.insert("rows", &rows);
        context.insert("first", &page.first);
        context.insert("newest", &page.rows.first().map(|s| s.date.as_str()));
        context.insert("oldest", &page.rows.last().map(|s| s.date.as_str()));
        context.insert("first_url", &url_of(&list_path(&dataset.id, None)));
        context.insert("prev_url", &page.prev);
        context.insert("next_url", &page.next);
        self.render("list.html", &context, path)
    }

    /// The search index: patched for the changed records in an incremental build, built
    /// anew otherwise (or when the earlier index cannot be read).
    fn build_search(
        &mut self,
        summaries: &[Summary],
        before: &[Summary],
        after: &[Summary],
    ) -> Result<()> {
        if self.incremental {
            if let Some(patch) = search::patch(&self.config.output_dir, before, after, summaries) {
                for (path, json) in patch.files {
                    self.emit(&path, Kind::Derived, String::new(), json.as_bytes())?;
                }
                for path in patch.removed {
                    self.remove(&path)?;
                }
                return Ok(());
            }
        }

        let mut earlier: HashSet<String> = self
            .new
            .entries
            .keys()
            .filter(|p| p.starts_with("search/"))
            .cloned()
            .collect();
        let published = self.published();
        let datasets: Vec<search::IndexedDataset> = published
            .iter()
            .map(|p| search::IndexedDataset {
                id: &p.dataset.id,
                title: &p.dataset.title,
            })
            .collect();
        let files = search::build(summaries, &datasets);
        for (path, json) in files {
            earlier.remove(&path);
            self.emit(&path, Kind::Derived, String::new(), json.as_bytes())?;
        }
        for path in earlier {
            self.remove(&path)?;
        }
        Ok(())
    }

    fn build_sitemap(&mut self, list_paths: &[String]) -> Result<()> {
        let mut urls: Vec<String> = self
            .new
            .entries
            .iter()
            .filter(|(path, e)| {
                e.kind == Kind::Static && path.ends_with(".html") && *path != "404.html"
            })
            .map(|(path, _)| url_of(path))
            .collect();
        urls.extend(list_paths.iter().map(|p| url_of(p)));
        urls.sort();
        let mut context = self.base.clone();
        context.insert("urls", &urls);
        let xml = self.render("sitemap.xml", &context, "sitemap.xml")?;
        self.emit("sitemap.xml", Kind::Derived, String::new(), xml.as_bytes())
    }

    /// Removes a page an incremental build no longer produces.
    fn remove(&mut self, path: &str) -> Result<()> {
        if self.new.entries.remove(path).is_some() {
            self.output.remove(path)?;
            self.removed += 1;
        }
        Ok(())
    }

    /// Removes what the previous full build wrote and this one did not.
    fn remove_stale(&mut self, earlier: &[Summary], now: &[Summary]) -> Result<usize> {
        let mut removed = 0;
        for path in self.old.entries.keys() {
            if !self.new.entries.contains_key(path) {
                self.output.remove(path)?;
                removed += 1;
            }
        }

        let published = self.published();
        let current: HashSet<(usize, i64)> = now.iter().map(|s| (s.dataset, s.id)).collect();
        for s in earlier {
            if !current.contains(&(s.dataset, s.id)) {
                self.output
                    .remove(&detail_path(&published[s.dataset].dataset.id, s.id))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

fn size_text(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} 字节")
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}
