//! Every upload fixture with a known right answer: the shared ones that reporting units
//! produce and the checker's own, made by real tools (see `tests/data/make_fixtures.py`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use xycz_domain::{check_bytes, Catalog, CheckOptions, FileError, Severity};

#[derive(Deserialize)]
struct Expected {
    dataset: String,
    rows: usize,
    valid: usize,
    invalid: usize,
    issues: Vec<ExpectedIssue>,
}

#[derive(Deserialize)]
struct ExpectedIssue {
    row: u32,
    field: String,
    severity: String,
}

fn shared_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

fn own_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn expected_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    files
}

/// Checks one fixture against its answer: the counts, every listed issue present, and no error
/// on a row or field that the answer does not list.
fn check_fixture(expected_path: &Path) -> Result<(), String> {
    let expected: Expected =
        serde_json::from_str(&std::fs::read_to_string(expected_path).unwrap()).unwrap();
    let file = PathBuf::from(
        expected_path
            .to_string_lossy()
            .trim_end_matches(".expected.json"),
    );
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let catalog = Catalog::builtin();
    let dataset = catalog.get(&expected.dataset).unwrap();
    let bytes = std::fs::read(&file).unwrap();

    let report = check_bytes(dataset, &name, &bytes, &CheckOptions::default())
        .map_err(|e| format!("{name}: file failed: {e}"))?;

    let mut problems = Vec::new();
    let counts = (report.rows, report.valid, report.invalid);
    if counts != (expected.rows, expected.valid, expected.invalid) {
        problems.push(format!(
            "counts (rows, valid, invalid) = {counts:?}, expected {:?}",
            (expected.rows, expected.valid, expected.invalid)
        ));
    }

    for want in &expected.issues {
        let found = report.issues.iter().any(|i| {
            i.row == want.row
                && (want.field == "*" || i.field == want.field)
                && format!("{:?}", i.severity).to_lowercase() == want.severity
        });
        if !found {
            problems.push(format!(
                "missing {} on row {} / {}",
                want.severity, want.row, want.field
            ));
        }
    }

    let allowed: BTreeSet<(u32, &str)> = expected
        .issues
        .iter()
        .filter(|i| i.severity == "error")
        .map(|i| (i.row, i.field.as_str()))
        .collect();
    for issue in report
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
    {
        let listed = allowed.contains(&(issue.row, issue.field.as_str()))
            || allowed.contains(&(issue.row, "*"));
        if !listed {
            problems.push(format!(
                "unexpected error on row {} / {}: {} ({})",
                issue.row, issue.field, issue.message, issue.value
            ));
        }
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{name}:\n  {}", problems.join("\n  ")))
    }
}

fn check_all(dir: &Path) {
    let files = expected_files(dir);
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| check_fixture(f).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn shared_fixtures_give_exactly_their_expected_answers() {
    check_all(&shared_fixtures());
}

#[test]
fn own_fixtures_give_exactly_their_expected_answers() {
    check_all(&own_fixtures());
}

fn file_error(dataset: &str, name: &str) -> FileError {
    let catalog = Catalog::builtin();
    let bytes = std::fs::read(own_fixtures().join(name)).unwrap();
    match check_bytes(
        catalog.get(dataset).unwrap(),
        name,
        &bytes,
        &CheckOptions::default(),
    ) {
        Ok(report) => panic!("{name} was read: {} rows", report.rows),
        Err(e) => e,
    }
}

#[test]
fn a_zip_bomb_is_refused_before_parsing() {
    let err = file_error("penalty", "zip_bomb.xlsx");
    assert_eq!(err.code(), "zip_bomb", "{err}");
    assert!(err.to_string().contains("压缩炸弹"));
}

#[test]
fn an_ods_whose_repeats_expand_to_millions_of_cells_is_refused() {
    let err = file_error("penalty", "ods_repeat_bomb.ods");
    assert_eq!(err.code(), "too_many_cells", "{err}");
}

#[test]
fn an_xls_with_cells_in_opposite_corners_is_refused_before_reading() {
    let err = file_error("penalty", "xls_far_corner.xls");
    assert_eq!(err.code(), "too_many_cells", "{err}");
}

#[test]
fn a_truncated_workbook_fails_with_a_clear_message() {
    let err = file_error("penalty", "truncated.xlsx");
    assert_eq!(err.code(), "file_corrupt", "{err}");
    assert!(err.to_string().contains("损坏"));
}

#[test]
fn html_and_xml_2003_named_xls_are_named_exactly() {
    assert_eq!(
        file_error("licensing", "html_disguised.xls").code(),
        "html_disguised_as_xls"
    );
    let err = file_error("licensing", "xml2003.xls");
    assert_eq!(err.code(), "xml_spreadsheet_2003");
    assert!(err.to_string().contains("XML 电子表格 2003"));
}

#[test]
fn hidden_sheets_with_data_are_mentioned() {
    let catalog = Catalog::builtin();
    let bytes = std::fs::read(own_fixtures().join("penalty_number_codes.xlsx")).unwrap();
    let report = check_bytes(
        catalog.get("penalty").unwrap(),
        "x.xlsx",
        &bytes,
        &CheckOptions::default(),
    )
    .unwrap();
    let hidden: Vec<_> = report
        .issues
        .iter()
        .filter(|i| i.code == "hidden_sheet")
        .collect();
    assert_eq!(hidden.len(), 1);
    assert_eq!(hidden[0].severity, Severity::Warning);
    assert!(hidden[0].message.contains("旧数据"));
}

#[test]
fn encodings_are_detected_and_named() {
    let catalog = Catalog::builtin();
    let dataset = catalog.get("licensing").unwrap();
    for (name, encoding) in [
        ("licensing_utf8_bom.csv", "UTF-8 (BOM)"),
        ("licensing_gb18030.csv", "GB18030"),
    ] {
        let bytes = std::fs::read(own_fixtures().join(name)).unwrap();
        let report = check_bytes(dataset, name, &bytes, &CheckOptions::default()).unwrap();
        assert_eq!(report.encoding, Some(encoding), "{name}");
    }
    let bytes = std::fs::read(shared_fixtures().join("licensing_sample_gbk.csv")).unwrap();
    let report = check_bytes(dataset, "gbk.csv", &bytes, &CheckOptions::default()).unwrap();
    assert_eq!(report.encoding, Some("GB18030"));
}
