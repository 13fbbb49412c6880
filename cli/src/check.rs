//! `xycz check`: the upload checker on the command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Args;
use xycz_domain::{check_bytes, errors_xlsx, Catalog, CheckOptions, FileError, Report, Severity};

#[derive(Args)]
pub struct CheckArgs {
    /// The dataset id, e.g. `penalty` or `licensing`.
    #[arg(long)]
    dataset: String,
    /// The file to check (.xlsx, .xls, .ods or .csv).
    file: PathBuf,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    json: bool,
    /// With --json: add every row's normalised values.
    #[arg(long)]
    records: bool,
    /// Write the invalid rows with an added 错误原因 column to this .xlsx file.
    #[arg(long, value_name = "OUT.xlsx")]
    errors_out: Option<PathBuf>,
    /// The uploader's unit code: rows from another unit are errors.
    #[arg(long)]
    unit_code: Option<String>,
    /// The day of the upload (default: today).
    #[arg(long)]
    today: Option<NaiveDate>,
}

const EXIT_VALID: u8 = 0;
const EXIT_INVALID_ROWS: u8 = 1;
const EXIT_FILE_FAILED: u8 = 2;

pub fn run(datasets: Option<&Path>, args: CheckArgs) -> ExitCode {
    match check(datasets, &args) {
        Ok(Ok(report)) if report.invalid == 0 => ExitCode::from(EXIT_VALID),
        Ok(Ok(_)) => ExitCode::from(EXIT_INVALID_ROWS),
        Ok(Err(file_error)) => {
            if args.json {
                let json = serde_json::json!({
                    "error": { "code": file_error.code(), "message": file_error.to_string() }
                });
                println!("{json}");
            } else {
                eprintln!("无法检查文件 {}：{file_error}", args.file.display());
            }
            ExitCode::from(EXIT_FILE_FAILED)
        }
        Err(e) => {
            if args.json {
                let json = serde_json::json!({
                    "error": { "code": "usage", "message": format!("{e:#}") }
                });
                println!("{json}");
            } else {
                eprintln!("错误：{e:#}");
            }
            ExitCode::from(EXIT_FILE_FAILED)
        }
    }
}

/// The outer error is a usage or I/O problem; the inner one is the file's own failure.
fn check(datasets: Option<&Path>, args: &CheckArgs) -> Result<Result<Report, FileError>> {
    let catalog = Catalog::load(datasets)?;
    let Some(dataset) = catalog.get(&args.dataset) else {
        return Ok(Err(FileError::UnknownDataset(format!(
            "{}（可选：{}）",
            args.dataset,
            catalog.ids().join("、")
        ))));
    };
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    let mut options = CheckOptions {
        uploader_code: args.unit_code.clone(),
        keep_records: args.records || args.errors_out.is_some(),
        limits: xycz_domain::Limits::from_env(),
        ..CheckOptions::default()
    };
    if let Some(today) = args.today {
        options.today = today;
    }

    let report = match check_bytes(dataset, &file_name, &bytes, &options) {
        Ok(report) => report,
        Err(e) => return Ok(Err(e)),
    };

    if let Some(out) = &args.errors_out {
        let xlsx = errors_xlsx::invalid_rows_xlsx(dataset, &report)
            .context("cannot write the error workbook")?;
        std::fs::write(out, xlsx).with_context(|| format!("cannot write {}", out.display()))?;
    }

    if args.json {
        let mut json = report.to_json();
        if !args.records {
            if let Some(object) = json.as_object_mut() {
                object.remove("records");
            }
        }
        println!("{json}");
    } else {
        print_human(&report, &dataset.title);
    }
    Ok(Ok(report))
}

fn print_human(report: &Report, title: &str) {
    println!(
        "文件：{}（{}）",
        report.file,
        report.format.name().to_uppercase()
    );
    if let Some(encoding) = report.encoding {
        println!("编码：{encoding}");
    }
    if !report.sheet.is_empty() {
        println!(
            "工作表：{}，表头在第 {} 行",
            report.sheet, report.header_row
        );
    }
    println!(
        "数据类型：{title}；数据行 {} 行，正确 {} 行，有错误 {} 行，警告 {} 条。",
        report.rows, report.valid, report.invalid, report.warnings
    );
    if report.issues.is_empty() {
        println!("没有发现问题。");
        return;
    }
    println!();
    println!("{:<6}{:<6}{:<28}{:<40}问题", "行号", "级别", "列", "内容");
    for issue in &report.issues {
        let row = if issue.row == 0 {
            "-".to_string()
        } else {
            issue.row.to_string()
        };
        let level = match issue.severity {
            Severity::Error => "错误",
            Severity::Warning => "警告",
        };
        println!(
            "{row:<8}{level:<6}{:<28}{:<40}{}",
            issue.field,
            clip(&issue.value, 36),
            issue.message
        );
    }
}

fn clip(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out.replace('\n', " ")
}
