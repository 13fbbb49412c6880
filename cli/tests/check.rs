//! `xycz check` as a user runs it: exit codes, the JSON shape, the records and the error
//! workbook.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(name)
}

fn own(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../domain/tests/data")
        .join(name)
}

fn xycz(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xycz"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn invalid_rows_exit_1_with_a_json_report() {
    let file = fixture("penalty_sample.xlsx");
    let (code, stdout, _) = xycz(&[
        "check",
        "--dataset",
        "penalty",
        file.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "dataset",
        "file",
        "format",
        "sheet",
        "header_row",
        "rows",
        "valid",
        "invalid",
        "warnings",
        "issues",
    ] {
        assert!(json.get(key).is_some(), "missing {key}: {json}");
    }
    assert_eq!(json["format"], "xlsx");
    assert_eq!(json["header_row"], 2);
    assert_eq!(
        (json["rows"].as_u64(), json["invalid"].as_u64()),
        (Some(20), Some(4))
    );
    let issue = &json["issues"][0];
    for key in ["row", "field", "severity", "code", "message", "value"] {
        assert!(issue.get(key).is_some(), "issue lacks {key}: {issue}");
    }
    assert!(json.get("records").is_none());
}

#[test]
fn csv_reports_name_their_encoding_and_records_are_normalised() {
    let file = fixture("licensing_sample_gbk.csv");
    let args = [
        "check",
        "--dataset",
        "licensing",
        file.to_str().unwrap(),
        "--json",
        "--records",
    ];
    let (code, stdout, _) = xycz(&args);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["encoding"], "GB18030");
    let records = json["records"].as_array().unwrap();
    assert_eq!(records.len(), 7);
    let first = &records[0];
    assert_eq!(first["row"], 2);
    assert_eq!(first["valid"], true);
    assert_eq!(first["values"]["许可决定日期"], "2025-05-29");
    assert_eq!(first["values"]["当前状态"], "0");
}

#[test]
fn a_valid_file_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    // The header and the three valid rows of a fixture.
    let csv = dir.path().join("ok.csv");
    let text = std::fs::read_to_string(own("licensing_utf8_bom.csv")).unwrap();
    let kept: Vec<&str> = text.lines().take(4).collect();
    std::fs::write(&csv, kept.join("\n")).unwrap();
    let (code, stdout, _) = xycz(&["check", "--dataset", "licensing", csv.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("正确 3 行"), "{stdout}");
}

#[test]
fn a_file_that_cannot_be_checked_exits_2_with_an_error_object() {
    let file = own("zip_bomb.xlsx");
    let (code, stdout, _) = xycz(&[
        "check",
        "--dataset",
        "penalty",
        file.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 2);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["error"]["code"], "zip_bomb");
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("压缩炸弹"));

    let (code, _, stderr) = xycz(&["check", "--dataset", "nonsense", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("未知的数据类型"), "{stderr}");
}

#[test]
fn the_error_workbook_holds_the_invalid_rows_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("errors.xlsx");
    let file = fixture("penalty_sample.xlsx");
    let args = [
        "check",
        "--dataset",
        "penalty",
        file.to_str().unwrap(),
        "--errors-out",
        out.to_str().unwrap(),
    ];
    let (code, _, _) = xycz(&args);
    assert_eq!(code, 1);

    // Re-read it with the checker: the template's columns plus 错误原因, four rows.
    let (_, stdout, _) = xycz(&[
        "check",
        "--dataset",
        "penalty",
        out.to_str().unwrap(),
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["rows"], 4);
    assert_eq!(json["invalid"], 4);
    let unknown: Vec<&str> = json["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == "unknown_column")
        .map(|i| i["field"].as_str().unwrap())
        .collect();
    assert_eq!(unknown, ["错误原因", "原行号"]);
}

#[test]
fn limits_come_from_the_environment() {
    let file = fixture("penalty_sample.xlsx");
    let out = Command::new(env!("CARGO_BIN_EXE_xycz"))
        .args([
            "check",
            "--dataset",
            "penalty",
            file.to_str().unwrap(),
            "--json",
        ])
        .env("XYCZ_LIMIT_ROWS", "5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["error"]["code"], "too_many_rows");
}
