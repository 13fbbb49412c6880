//! From the checker's output to the store's input: check options for a unit, a checked row as a
//! [`NewRecord`], and a record typed by hand as a one-row CSV the checker can read.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use xycz_domain::{CheckOptions, CheckedRecord, Dataset, Limits, Report};
use xycz_store::{NewRecord, Unit};

use crate::error::ApiError;
use crate::state::AppState;

/// China Standard Time: the day of an upload is counted in UTC+8.
const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;

/// The calendar day in China at `at`.
pub(crate) fn china_day(at: DateTime<Utc>) -> NaiveDate {
    FixedOffset::east_opt(CHINA_OFFSET_SECONDS)
        .map_or(at.date_naive(), |tz| at.with_timezone(&tz).date_naive())
}

/// Midnight of `day` in China, as UTC.
pub(crate) fn china_midnight(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    DateTime::<Utc>::from_naive_utc_and_offset(midnight, Utc)
        - chrono::TimeDelta::seconds(i64::from(CHINA_OFFSET_SECONDS))
}

/// Options for checking a file of the unit `unit_code` on `today`.
pub(crate) fn check_options(
    today: NaiveDate,
    unit_code: &str,
    uscc_exceptions: HashSet<String>,
    max_file_bytes: usize,
) -> CheckOptions {
    CheckOptions {
        today,
        uploader_code: Some(unit_code.to_owned()),
        uscc_exceptions,
        limits: {
            let limits = Limits::from_env();
            Limits {
                max_file_bytes: max_file_bytes.max(limits.max_file_bytes),
                ..limits
            }
        },
        keep_records: true,
    }
}

/// Options for checking a file of `unit` on `today`, with the platform's USCC exceptions and
/// the functions' size limit.
pub(crate) async fn unit_check_options(
    state: &AppState,
    unit: &Unit,
    today: NaiveDate,
) -> Result<CheckOptions, ApiError> {
    let exceptions: HashSet<String> = state
        .store()
        .list_uscc_exceptions()
        .await?
        .into_iter()
        .map(|e| e.code)
        .collect();
    Ok(check_options(
        today,
        &unit.code,
        exceptions,
        state.config().max_upload_bytes,
    ))
}

/// The store's input for a valid checked row; the row's values move into it.
pub(crate) fn new_record(dataset: &Dataset, labels: &[String], record: CheckedRecord) -> NewRecord {
    let value = |label: &str| {
        dataset
            .field_index(label)
            .and_then(|i| record.values.get(i).cloned().flatten())
    };
    let key = &dataset.key;
    let subject_name = value(&key.name).unwrap_or_default();
    let subject_code = key.subject.iter().find_map(|label| value(label));
    let doc_no = value(&key.document);
    let decision_date =
        value(&key.date).and_then(|date| NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok());
    let values: Map<String, Value> = labels
        .iter()
        .zip(record.values)
        .filter_map(|(label, value)| value.map(|v| (label.clone(), Value::String(v))))
        .collect();
    NewRecord {
        natural_key: record.natural_key,
        subject_name,
        subject_code,
        doc_no,
        decision_date,
        values: Value::Object(values),
    }
}

/// Takes the checked rows out of `report` and returns the valid ones as store input, so that
/// a large file's rows are held once, not twice.
pub(crate) fn take_valid_records(dataset: &Dataset, report: &mut Report) -> Vec<NewRecord> {
    let records = report.records.take().unwrap_or_default();
    let mut valid = Vec::with_capacity(report.valid);
    for record in records.into_iter().filter(|record| record.valid) {
        valid.push(new_record(dataset, &report.labels, record));
    }
    valid
}

/// A record typed by hand (`{label: value}`) as a UTF-8 CSV with the dataset's header and one
/// row, so that it goes through exactly the checks of an upload.
pub(crate) fn single_record_csv(
    dataset: &Dataset,
    values: &BTreeMap<String, String>,
) -> Result<Vec<u8>, ApiError> {
    let unknown: Vec<&str> = values
        .keys()
        .filter(|label| dataset.field(label).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "“{}”没有这些字段：{}",
            dataset.title,
            unknown.join("、")
        )));
    }

    let quote = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let header: Vec<String> = dataset.fields.iter().map(|f| quote(&f.label)).collect();
    let row: Vec<String> = dataset
        .fields
        .iter()
        .map(|f| quote(values.get(&f.label).map_or("", String::as_str)))
        .collect();
    Ok(format!("{}\r\n{}\r\n", header.join(","), row.join(",")).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use xycz_domain::{check_bytes, Catalog};

    #[test]
    fn china_days_turn_at_midnight_beijing_time() {
        let at: DateTime<Utc> = "2026-03-01T16:30:00Z".parse().unwrap();
        assert_eq!(china_day(at), NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
        let midnight = china_midnight(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
        assert_eq!(
            midnight,
            "2026-03-01T16:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn a_typed_record_is_checked_like_an_upload() {
        let catalog = Catalog::builtin();
        let dataset = catalog.get("penalty").unwrap();
        let mut values = BTreeMap::new();
        values.insert("行政相对人名称".to_owned(), "某某\"引号\"公司".to_owned());
        let csv = single_record_csv(dataset, &values).unwrap();
        let options = check_options(
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            "11140400PF0B26Q50G",
            HashSet::new(),
            1024,
        );
        let report = check_bytes(dataset, "record.csv", &csv, &options).unwrap();
        assert_eq!(report.rows, 1);
        assert_eq!(report.invalid, 1, "most mandatory fields are missing");
        let records = report.records.as_ref().unwrap();
        assert_eq!(
            report.values_map(&records[0])["行政相对人名称"],
            "某某\"引号\"公司"
        );

        values.insert("不存在的列".to_owned(), "x".to_owned());
        assert!(single_record_csv(dataset, &values).is_err());
    }
}
