//! `xycz build`: generates the public site into a folder.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Args;
use xycz_domain::Catalog;
use xycz_site::{BuildMode, PublicRecordInput, SiteConfig};

#[derive(Args)]
pub struct BuildArgs {
    /// The content folder (site.toml, pages, manual).
    #[arg(long, value_name = "DIR", default_value = "content")]
    content: PathBuf,
    /// The templates folder.
    #[arg(long, value_name = "DIR", default_value = "templates")]
    templates: PathBuf,
    /// The output folder.
    #[arg(long, value_name = "DIR", default_value = "public")]
    out: PathBuf,
    /// No progress or timing lines.
    #[arg(long)]
    quiet: bool,
    /// Rebuild everything (default: rewrite only what changed since the last build).
    #[arg(long)]
    full: bool,
    /// Records as JSON lines (one `PublicRecordInput` per line), for testing.
    #[arg(long, value_name = "FILE")]
    records: Option<PathBuf>,
    /// Ids of the records changed since the last build, comma-separated.
    #[arg(long, value_delimiter = ',')]
    changed: Vec<i64>,
    /// The day the publicity windows are computed for (default: today).
    #[arg(long)]
    today: Option<NaiveDate>,
}

pub fn run(datasets: Option<&Path>, args: BuildArgs) -> ExitCode {
    let result = if args.quiet {
        build(datasets, &args)
    } else {
        // Progress lines of the generator are shown unless RUST_LOG says otherwise.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,xycz_site=info"));
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .finish();
        tracing::subscriber::with_default(subscriber, || build(datasets, &args))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn build(datasets: Option<&Path>, args: &BuildArgs) -> Result<()> {
    let catalog = Catalog::load(datasets)?;
    let records = match &args.records {
        Some(file) => read_records(file)?,
        None => Vec::new(),
    };
    let mut config = SiteConfig {
        content_dir: crate::site_source(&args.content),
        templates_dir: crate::site_source(&args.templates),
        output_dir: args.out.clone(),
        quiet: args.quiet,
        ..SiteConfig::default()
    };
    if let Some(today) = args.today {
        config.today = today;
    }
    let mode = if args.full {
        BuildMode::Full
    } else {
        BuildMode::Incremental {
            changed_ids: args.changed.iter().copied().collect::<HashSet<i64>>(),
        }
    };
    // The records file holds every record, so a full build can stand in for an incremental
    // one that cannot run.
    let summary = match xycz_site::build(&config, &catalog, records.clone(), mode) {
        Err(e) if e.downcast_ref::<xycz_site::FullBuildRequired>().is_some() => {
            tracing::info!("{e}");
            xycz_site::build(&config, &catalog, records, BuildMode::Full)?
        }
        other => other?,
    };
    if !args.quiet {
        eprintln!(
            "网站已生成到 {}：写入 {} 个文件，未变 {} 个，删除 {} 个；公示记录 {} 条；用时 {:.2} 秒。",
            args.out.display(),
            summary.pages_written,
            summary.pages_unchanged,
            summary.pages_removed,
            summary.records_public,
            summary.elapsed.as_secs_f64()
        );
    }
    Ok(())
}

fn read_records(file: &Path) -> Result<Vec<PublicRecordInput>> {
    let reader = std::io::BufReader::new(
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?,
    );
    let mut records = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}: not a record", file.display(), n + 1))?;
        records.push(record);
    }
    Ok(records)
}
