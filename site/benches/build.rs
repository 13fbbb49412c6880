//! Build benchmark: a full build of the site with generated penalty and licensing records,
//! then the incremental rebuild after changing a few of them. Run by `scripts/bench-site`,
//! which also times Hugo on Markdown written by `--hugo-content`.
//!
//! Usage: `build [--records N] [--changed N] [--out DIR]` or
//! `build --hugo-content DIR [--records N]`.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use xycz_domain::Catalog;
use xycz_site::{sample, BuildMode, PublicRecordInput, RecordStatus, SiteConfig};

struct Args {
    records: usize,
    changed: usize,
    out: PathBuf,
    hugo_content: Option<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        records: 100_000,
        changed: 10,
        out: std::env::temp_dir().join("xycz-bench-site"),
        hugo_content: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--records" => args.records = it.next().context("--records N")?.parse()?,
            "--changed" => args.changed = it.next().context("--changed N")?.parse()?,
            "--out" => args.out = it.next().context("--out DIR")?.into(),
            "--hugo-content" => {
                args.hugo_content = Some(it.next().context("--hugo-content DIR")?.into())
            }
            // Flags cargo passes to every bench target.
            "--bench" => {}
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(args)
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() -> Result<()> {
    let args = parse_args()?;
    if let Some(dir) = &args.hugo_content {
        return write_hugo_content(dir, args.records);
    }

    // XYCZ_BENCH_LOG=1 shows the generator's phase timings.
    let verbose = std::env::var_os("XYCZ_BENCH_LOG").is_some();
    if verbose {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::INFO)
            .init();
    }
    let config = SiteConfig {
        content_dir: repo().join("content"),
        templates_dir: repo().join("templates"),
        output_dir: args.out.clone(),
        quiet: !verbose,
        today: today(),
    };
    let catalog = Catalog::builtin();
    if args.out.exists() {
        std::fs::remove_dir_all(&args.out)?;
    }

    let started = Instant::now();
    let full = xycz_site::build(
        &config,
        &catalog,
        sample::mixed(args.records, today()),
        BuildMode::Full,
    )?;
    let full_seconds = started.elapsed().as_secs_f64();
    let html_pages = count_html(&args.out)?;

    // Change `changed` records spread over the range: half renamed, half revoked.
    let step = (args.records / args.changed.max(1)).max(1);
    let changed: HashSet<i64> = (0..args.changed)
        .map(|i| (i * step + 2) as i64)
        .filter(|&id| id as usize <= args.records)
        .collect();
    let revoked: HashSet<i64> = changed
        .iter()
        .copied()
        .filter(|id| (id - 2) / step as i64 % 2 == 1)
        .collect();
    // Only the changed records are handed over, as the store does after a change.
    let records: Vec<PublicRecordInput> = sample::mixed(args.records, today())
        .filter(|r| changed.contains(&r.id))
        .map(|mut r| {
            if revoked.contains(&r.id) {
                r.state.status = RecordStatus::Revoked;
            } else {
                r.values.insert(
                    "行政相对人名称".into(),
                    format!("长治市更名示例{}有限公司", r.id),
                );
            }
            r
        })
        .collect();
    let started = Instant::now();
    let incremental = xycz_site::build(
        &config,
        &catalog,
        records,
        BuildMode::Incremental {
            changed_ids: changed.clone(),
        },
    )?;
    let incremental_seconds = started.elapsed().as_secs_f64();

    println!("records={}", args.records);
    println!("public_records={}", full.records_public);
    println!("html_pages={html_pages}");
    println!("full_files_written={}", full.pages_written);
    println!("full_seconds={full_seconds:.3}");
    println!(
        "full_ms_per_html_page={:.4}",
        full_seconds * 1000.0 / html_pages.max(1) as f64
    );
    println!("changed_records={}", changed.len());
    println!("incremental_ran_incrementally={}", incremental.incremental);
    println!("incremental_files_written={}", incremental.pages_written);
    println!("incremental_files_removed={}", incremental.pages_removed);
    println!("incremental_seconds={incremental_seconds:.3}");
    Ok(())
}

fn count_html(dir: &Path) -> Result<usize> {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                count += 1;
            }
        }
    }
    Ok(count)
}

/// A Hugo site with the same records as Markdown pages of similar size: one page per record
/// in a section per dataset, paginated lists of 20, the same kind of table.
fn write_hugo_content(dir: &Path, count: usize) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let layouts = dir.join("layouts/_default");
    std::fs::create_dir_all(&layouts)?;
    std::fs::write(
        dir.join("hugo.toml"),
        "baseURL = 'https://credit.example.org/'\nlanguageCode = 'zh-CN'\ntitle = '信用长治'\ndisableKinds = ['taxonomy', 'term', 'RSS']\n[pagination]\npagerSize = 20\n",
    )?;
    std::fs::write(
        layouts.join("baseof.html"),
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{{ .Title }} - {{ site.Title }}</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body><header><a href=\"/\">{{ site.Title }}</a> <a href=\"/console/login.html\">政务登录</a></header><main>{{ block \"main\" . }}{{ end }}</main><footer>信用长治</footer></body></html>\n",
    )?;
    std::fs::write(
        layouts.join("single.html"),
        "{{ define \"main\" }}<p><a href=\"{{ .Parent.RelPermalink }}\">{{ .Parent.Title }}</a></p><h1>{{ .Title }}</h1>{{ .Content }}{{ end }}\n",
    )?;
    std::fs::write(
        layouts.join("list.html"),
        "{{ define \"main\" }}<h1>{{ .Title }}</h1><table>{{ range .Paginator.Pages }}<tr><td><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></td><td>{{ .Params.code }}</td><td>{{ .Params.document }}</td><td>{{ .Date.Format \"2006-01-02\" }}</td></tr>{{ end }}</table>{{ with .Paginator.Next }}<a href=\"{{ .URL }}\">下一页</a>{{ end }}{{ end }}\n",
    )?;

    let catalog = Catalog::builtin();
    for section in ["penalty", "licensing"] {
        let d = dir.join("content/publicity").join(section);
        std::fs::create_dir_all(&d)?;
        let title = catalog
            .get(section)
            .map(|d| d.title.clone())
            .unwrap_or_default();
        std::fs::write(
            d.join("_index.md"),
            format!("+++\ntitle = \"{title}公示\"\n+++\n"),
        )?;
    }
    for record in sample::mixed(count, today()) {
        let Some(dataset) = catalog.get(&record.dataset) else {
            continue;
        };
        let name = record
            .values
            .get(&dataset.key.name)
            .cloned()
            .unwrap_or_default();
        let date = record
            .values
            .get(&dataset.key.date)
            .cloned()
            .unwrap_or_default();
        let document = record
            .values
            .get(&dataset.key.document)
            .cloned()
            .unwrap_or_default();
        let code = record
            .values
            .get("统一社会信用代码")
            .cloned()
            .unwrap_or_default();
        let path = dir
            .join("content/publicity")
            .join(&record.dataset)
            .join(format!("{}.md", record.id));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        writeln!(
            file,
            "+++\ntitle = \"{name}\"\ndate = {date}\ncode = \"{code}\"\ndocument = \"{document}\"\n+++\n"
        )?;
        writeln!(file, "| 字段 | 内容 |\n|---|---|")?;
        for field in &dataset.fields {
            if let Some(value) = record.values.get(&field.label) {
                if field.public && !field.personal {
                    writeln!(file, "| {} | {} |", field.label, value.replace('|', "/"))?;
                }
            }
        }
        writeln!(file, "\n本信息由{}报送。", record.unit_name)?;
    }
    Ok(())
}
