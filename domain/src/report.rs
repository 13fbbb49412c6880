//! The check report: counts, issues and (on request) the normalised records.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::reader::Format;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Error => "错误",
            Self::Warning => "警告",
        }
    }
}

/// One problem found in a file.
#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    /// The row number as a spreadsheet shows it; 0 for the file as a whole.
    pub row: u32,
    /// The canonical field label (or the header text of an unknown column).
    pub field: String,
    pub severity: Severity,
    /// A stable machine code.
    pub code: &'static str,
    /// What is wrong and what to do, in Chinese.
    pub message: String,
    /// The value as the file holds it.
    pub value: String,
}

/// A data row after checking: its values normalised, in template order.
#[derive(Debug, Clone)]
pub struct CheckedRecord {
    pub row: u32,
    pub valid: bool,
    /// Normalised values by field index; `None` where blank or unreadable.
    pub values: Vec<Option<String>>,
    /// The cells as the user wrote them, by field index (for the error workbook).
    pub original: Vec<String>,
    /// Natural key (unit and dataset implied).
    pub natural_key: String,
}

/// The outcome of checking one file.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dataset: String,
    pub file: String,
    pub format: Format,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    pub sheet: String,
    pub header_row: u32,
    pub rows: usize,
    pub valid: usize,
    pub invalid: usize,
    pub warnings: usize,
    pub issues: Vec<Issue>,
    /// Field labels in template order, for rendering records.
    #[serde(skip)]
    pub labels: Vec<String>,
    #[serde(skip)]
    pub records: Option<Vec<CheckedRecord>>,
}

impl Report {
    /// The record values as `{label: value}`, blank fields left out.
    pub fn values_map(&self, record: &CheckedRecord) -> BTreeMap<String, String> {
        self.labels
            .iter()
            .zip(&record.values)
            .filter_map(|(label, value)| value.clone().map(|v| (label.clone(), v)))
            .collect()
    }

    /// The issues of one row.
    pub fn issues_of(&self, row: u32) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(move |i| i.row == row)
    }

    /// The issue messages of a row joined for a 错误原因 cell.
    pub fn reasons(&self, row: u32) -> String {
        self.issues_of(row)
            .filter(|i| i.severity == Severity::Error)
            .map(|i| format!("{}：{}", i.field, i.message))
            .collect::<Vec<_>>()
            .join("；")
    }
}

impl Report {
    /// The report as JSON; `records` (as `{row, valid, values: {label: value}}`) when kept.
    pub fn to_json(&self) -> serde_json::Value {
        let mut json = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let (Some(records), Some(object)) = (&self.records, json.as_object_mut()) {
            let records: Vec<serde_json::Value> = records
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "row": r.row,
                        "valid": r.valid,
                        "values": self.values_map(r),
                    })
                })
                .collect();
            object.insert("records".into(), records.into());
        }
        json
    }
}
