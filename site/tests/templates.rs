//! Every generated template is read back by the project's own checker and opened by
//! LibreOffice.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use xycz_domain::catalog::Requirement;
use xycz_domain::{check_bytes, Catalog, CheckOptions, Dataset, FieldKind, FileError};
use xycz_site::xlsx_template;

fn options() -> CheckOptions {
    CheckOptions {
        today: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        ..Default::default()
    }
}

/// A plausible value for a field of this kind.
fn value_for(dataset: &Dataset, label: &str) -> String {
    let field = dataset.field(label).unwrap();
    match field.kind {
        FieldKind::Uscc => "91110000101623741K".into(),
        FieldKind::IdNumber => "11010519491231002X".into(),
        FieldKind::OrgCode => "79013765-X".into(),
        FieldKind::RegNo => "310115600985533".into(),
        FieldKind::TaxNo => "91110000101623741K".into(),
        FieldKind::Digits => "1".repeat(field.lengths[0]),
        FieldKind::Code => "11010519491231002X".into(),
        FieldKind::Date => "2026-01-05".into(),
        FieldKind::Amount => "1.5".into(),
        FieldKind::Year => "2025".into(),
        FieldKind::Enum | FieldKind::MultiEnum => dataset
            .codelist(field)
            .map(|l| l.values[0].value.clone())
            .unwrap_or_default(),
        FieldKind::Text => "示例".into(),
    }
}

/// One row that satisfies the dataset's rules: every mandatory field filled, then the
/// conditional rules applied until nothing changes.
fn filled_row(dataset: &Dataset) -> Vec<String> {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for f in dataset.template_fields() {
        if f.required == Requirement::Mandatory {
            values.insert(f.label.clone(), value_for(dataset, &f.label));
        }
    }
    for _ in 0..4 {
        for rule in &dataset.rules {
            let holds = match rule.kind.as_str() {
                "when" => {
                    let v = rule.field.as_ref().and_then(|l| values.get(l)).cloned();
                    match v {
                        Some(v) if !rule.equals.is_empty() => rule.equals.contains(&v),
                        Some(v) if rule.contains.is_some() => {
                            v.contains(rule.contains.as_deref().unwrap_or_default())
                        }
                        Some(v) => rule.filled && !v.is_empty(),
                        None => false,
                    }
                }
                "any_required" => {
                    if rule.fields.iter().all(|l| !values.contains_key(l)) {
                        values.insert(rule.fields[0].clone(), value_for(dataset, &rule.fields[0]));
                    }
                    false
                }
                _ => false,
            };
            if !holds {
                continue;
            }
            for label in &rule.required {
                values
                    .entry(label.clone())
                    .or_insert_with(|| value_for(dataset, label));
            }
            for label in &rule.empty {
                values.remove(label);
            }
        }
    }
    dataset
        .template_fields()
        .map(|f| values.get(&f.label).cloned().unwrap_or_default())
        .collect()
}

#[test]
fn every_empty_template_reads_as_having_no_rows() {
    for dataset in &Catalog::builtin().datasets {
        let template = xlsx_template::generate(dataset).unwrap();
        match check_bytes(dataset, &template.file_name, &template.bytes, &options()) {
            Err(FileError::NoRows) => {}
            other => panic!("{}: expected no rows, got {other:?}", dataset.id),
        }
    }
}

#[test]
fn every_template_with_one_filled_row_validates_without_issues() {
    for dataset in &Catalog::builtin().datasets {
        let row = filled_row(dataset);
        let bytes = xlsx_template::workbook_bytes(dataset, &[row]).unwrap();
        let report = check_bytes(dataset, "filled.xlsx", &bytes, &options())
            .unwrap_or_else(|e| panic!("{}: {e}", dataset.id));
        assert_eq!(report.rows, 1, "{}", dataset.id);
        assert_eq!(report.valid, 1, "{}: {:#?}", dataset.id, report.issues);
        assert!(
            report.issues.is_empty(),
            "{}: {:#?}",
            dataset.id,
            report.issues
        );
    }
}

#[test]
fn templates_are_reproducible_and_named_by_content() {
    let catalog = Catalog::builtin();
    let dataset = catalog.get("penalty").unwrap();
    let a = xlsx_template::generate(dataset).unwrap();
    let b = xlsx_template::generate(dataset).unwrap();
    assert_eq!(a.bytes, b.bytes);
    assert!(a.file_name.starts_with("penalty-") && a.file_name.ends_with(".xlsx"));
    assert_eq!(&a.file_name[8..16], &a.sha256[..8]);
}

#[test]
fn libreoffice_opens_every_template() {
    let soffice = ["soffice", "libreoffice"]
        .into_iter()
        .find(|cmd| Command::new(cmd).arg("--version").output().is_ok());
    let Some(soffice) = soffice else {
        let message =
            "LibreOffice (soffice) is not installed: apt-get install -y libreoffice-calc-nogui";
        if std::env::var_os("CI").is_some() {
            panic!("{message}");
        }
        eprintln!("skipped: {message}");
        return;
    };

    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let mut files = Vec::new();
    for dataset in &catalog.datasets {
        let template = xlsx_template::generate(dataset).unwrap();
        let path = dir.path().join(&template.file_name);
        std::fs::write(&path, &template.bytes).unwrap();
        files.push((dataset, path));
    }

    let out = dir.path().join("csv");
    let profile = format!("file://{}", dir.path().join("profile").display());
    let status = Command::new(soffice)
        .arg(format!("-env:UserInstallation={profile}"))
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
        ])
        .arg("--outdir")
        .arg(&out)
        .args(files.iter().map(|(_, p)| p.as_os_str()))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );

    for (dataset, path) in files {
        let stem = Path::new(path.file_name().unwrap()).with_extension("csv");
        let csv = std::fs::read_to_string(out.join(&stem))
            .unwrap_or_else(|e| panic!("LibreOffice did not convert {}: {e}", path.display()));
        let header = csv
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches('\u{feff}');
        let expected: Vec<String> = dataset
            .template_fields()
            .map(xycz_site::fields::header_text)
            .collect();
        let cells: Vec<&str> = header.split(',').map(|c| c.trim_matches('"')).collect();
        assert_eq!(cells, expected, "{}", dataset.id);
    }
}
