//! The publicity rules: whether a record is shown on the public site today, and until when.
//!
//! Pure functions of the dataset definition, the record's normalised values and its state, so
//! the site generator, the functions and the tests all decide the same way. Which fields hold
//! the scope, status, severity and dates, and how long each severity is shown, come from the
//! dataset's `[publicity]` table.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::catalog::Dataset;
use crate::dates;

/// The one value of 信息使用范围 that may be published (blank counts as this).
pub const PUBLIC_SCOPE: &str = "0";
/// The value of 当前状态 that means normal (blank counts as this).
pub const NORMAL_STATUS: &str = "0";
/// The severity used when a dataset names none and a record gives none.
pub const DEFAULT_SEVERITY: &str = "一般";

/// Where a record stands in the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    #[default]
    Active,
    /// 撤销: kept in the database, never public.
    Revoked,
    /// Withdrawn with its upload (删除数据 / 删除).
    Deleted,
}

/// A record's state beside its values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordState {
    pub status: RecordStatus,
    /// 信用修复 completed: the record leaves the public site.
    #[serde(default)]
    pub repaired: bool,
}

/// Why a record is not public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// The dataset is never published (publicity kind `none`).
    NotPublished,
    Revoked,
    Deleted,
    Repaired,
    /// 信息使用范围 is not 0.
    Scope,
    /// 当前状态 is not 0 (正常).
    Status,
    /// The severity's maximum window is zero (轻微).
    Minor,
    /// A date the rule needs is missing or unreadable.
    MissingDate,
    /// The decision date is after today.
    NotYet,
    /// Today is past the end of the window (or the licence's validity).
    Expired,
}

/// The verdict for one record on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Public; `until` is the last public day, `None` when there is no end (长期).
    Public {
        until: Option<NaiveDate>,
    },
    Hidden(Hidden),
}

impl Verdict {
    pub fn is_public(self) -> bool {
        matches!(self, Self::Public { .. })
    }

    /// The last public day, if public and the window ends.
    pub fn until(self) -> Option<NaiveDate> {
        match self {
            Self::Public { until } => until,
            Self::Hidden(_) => None,
        }
    }
}

/// Decides whether a record is public on `today`. `values` maps field labels to normalised
/// values (dates as `YYYY-MM-DD` or 长期).
pub fn evaluate(
    dataset: &Dataset,
    values: &BTreeMap<String, String>,
    state: RecordState,
    today: NaiveDate,
) -> Verdict {
    let rule = &dataset.publicity;
    let value = |label: &Option<String>| {
        label
            .as_ref()
            .and_then(|l| values.get(l))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    };

    if rule.kind == "none" {
        return Verdict::Hidden(Hidden::NotPublished);
    }
    match state.status {
        RecordStatus::Revoked => return Verdict::Hidden(Hidden::Revoked),
        RecordStatus::Deleted => return Verdict::Hidden(Hidden::Deleted),
        RecordStatus::Active => {}
    }
    if state.repaired {
        return Verdict::Hidden(Hidden::Repaired);
    }
    if !code_is(value(&rule.scope_field), PUBLIC_SCOPE) {
        return Verdict::Hidden(Hidden::Scope);
    }
    if !code_is(value(&rule.status_field), NORMAL_STATUS) {
        return Verdict::Hidden(Hidden::Status);
    }

    let decided = values.get(&dataset.key.date).and_then(|v| parse_date(v));
    if let Some(decided) = decided {
        if decided > today {
            return Verdict::Hidden(Hidden::NotYet);
        }
    }

    let until = match rule.kind.as_str() {
        "licence" => {
            let Some(valid_until) = value(&rule.valid_until).and_then(parse_date) else {
                return Verdict::Hidden(Hidden::MissingDate);
            };
            Some(valid_until)
        }
        "window" => {
            let Some(decided) = decided else {
                return Verdict::Hidden(Hidden::MissingDate);
            };
            let severity = value(&rule.severity_field);
            match window_end(dataset, decided, severity, value(&rule.end_field)) {
                Some(end) => Some(end),
                None => return Verdict::Hidden(Hidden::Minor),
            }
        }
        // `list`: until 公示截止期 when given.
        _ => value(&rule.end_field).and_then(parse_date),
    };

    match until {
        Some(end) if end < today => Verdict::Hidden(Hidden::Expired),
        Some(end) if end >= dates::forever() => Verdict::Public { until: None },
        _ => Verdict::Public { until },
    }
}

/// The last public day of a penalty-style window, or `None` when the severity is never
/// published. The window runs from the decision date for the severity's maximum months; an
/// uploaded end date may shorten it, but not below the severity's minimum.
pub fn window_end(
    dataset: &Dataset,
    decided: NaiveDate,
    severity: Option<&str>,
    uploaded_end: Option<&str>,
) -> Option<NaiveDate> {
    let rule = &dataset.publicity;
    let fallback = rule.default_severity.as_deref().unwrap_or(DEFAULT_SEVERITY);
    let months = severity
        .and_then(|s| rule.windows.get(s))
        .or_else(|| rule.windows.get(fallback))?;
    if months.max == 0 {
        return None;
    }

    let longest = dates::add_months(decided, months.max);
    let shortest = dates::add_months(decided, months.min);
    let end = match uploaded_end.and_then(parse_date) {
        Some(uploaded) => uploaded.clamp(shortest, longest),
        None => longest,
    };
    Some(end)
}

/// A code value equals `code`; blank counts as `code`. Accepts the display form `0 公示`.
fn code_is(value: Option<&str>, code: &str) -> bool {
    match value {
        None => true,
        Some(v) => v == code || v.split_whitespace().next() == Some(code),
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    if text.trim() == dates::FOREVER_TEXT {
        return Some(dates::forever());
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .or_else(|| dates::from_text(text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn today() -> NaiveDate {
        d(2026, 6, 1)
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn active() -> RecordState {
        RecordState::default()
    }

    fn penalty(decided: &str, extra: &[(&str, &str)]) -> Verdict {
        let catalog = Catalog::builtin();
        let dataset = catalog.get("penalty").unwrap();
        let mut v = values(&[("处罚决定日期", decided), ("行政相对人名称", "某公司")]);
        v.extend(values(extra));
        evaluate(dataset, &v, active(), today())
    }

    fn licence(valid_until: &str, extra: &[(&str, &str)]) -> Verdict {
        let catalog = Catalog::builtin();
        let dataset = catalog.get("licensing").unwrap();
        let mut v = values(&[("许可决定日期", "2025-01-10"), ("有效期至", valid_until)]);
        v.extend(values(extra));
        evaluate(dataset, &v, active(), today())
    }

    #[test]
    fn penalty_without_severity_is_shown_for_the_general_maximum() {
        assert_eq!(
            penalty("2026-01-15", &[]),
            Verdict::Public {
                until: Some(d(2027, 1, 15))
            }
        );
    }

    #[test]
    fn penalty_past_its_window_is_hidden() {
        assert_eq!(penalty("2025-05-31", &[]), Verdict::Hidden(Hidden::Expired));
        assert!(penalty("2025-06-01", &[]).is_public(), "last day is public");
    }

    #[test]
    fn serious_penalty_is_shown_up_to_three_years() {
        assert_eq!(
            penalty("2024-01-15", &[("处罚严重程度", "严重")]).until(),
            Some(d(2027, 1, 15))
        );
    }

    #[test]
    fn minor_penalty_is_never_published() {
        assert_eq!(
            penalty("2026-05-01", &[("处罚严重程度", "轻微")]),
            Verdict::Hidden(Hidden::Minor)
        );
    }

    #[test]
    fn uploaded_end_shortens_but_never_below_minimum_nor_beyond_maximum() {
        // Shortens within the window.
        assert_eq!(
            penalty("2026-01-15", &[("公示截止期", "2026-08-01")]).until(),
            Some(d(2026, 8, 1))
        );
        // Below the 3-month minimum: the minimum applies.
        assert_eq!(
            penalty("2026-05-01", &[("公示截止期", "2026-05-10")]).until(),
            Some(d(2026, 8, 1))
        );
        // Beyond the 1-year maximum: the maximum applies.
        assert_eq!(
            penalty("2026-01-15", &[("公示截止期", "2029-01-01")]).until(),
            Some(d(2027, 1, 15))
        );
    }

    #[test]
    fn shortened_window_that_ended_hides_the_record() {
        assert_eq!(
            penalty("2025-12-01", &[("公示截止期", "2026-03-01")]),
            Verdict::Hidden(Hidden::Expired)
        );
    }

    #[test]
    fn scope_other_than_zero_is_hidden_and_blank_counts_as_zero() {
        assert_eq!(
            penalty("2026-01-15", &[("信息使用范围", "1")]),
            Verdict::Hidden(Hidden::Scope)
        );
        assert_eq!(
            penalty("2026-01-15", &[("信息使用范围", "2 仅可授权查询")]),
            Verdict::Hidden(Hidden::Scope)
        );
        assert!(penalty("2026-01-15", &[("信息使用范围", "")]).is_public());
        assert!(penalty("2026-01-15", &[("信息使用范围", "0")]).is_public());
    }

    #[test]
    fn revoked_deleted_and_repaired_records_are_hidden() {
        let catalog = Catalog::builtin();
        let dataset = catalog.get("penalty").unwrap();
        let v = values(&[("处罚决定日期", "2026-01-15")]);
        let state = |status, repaired| RecordState { status, repaired };
        assert_eq!(
            evaluate(dataset, &v, state(RecordStatus::Revoked, false), today()),
            Verdict::Hidden(Hidden::Revoked)
        );
        assert_eq!(
            evaluate(dataset, &v, state(RecordStatus::Deleted, false), today()),
            Verdict::Hidden(Hidden::Deleted)
        );
        assert_eq!(
            evaluate(dataset, &v, state(RecordStatus::Active, true), today()),
            Verdict::Hidden(Hidden::Repaired)
        );
    }

    #[test]
    fn decision_in_the_future_is_not_yet_public() {
        assert_eq!(penalty("2026-06-02", &[]), Verdict::Hidden(Hidden::NotYet));
    }

    #[test]
    fn penalty_without_decision_date_is_hidden() {
        assert_eq!(penalty("", &[]), Verdict::Hidden(Hidden::MissingDate));
    }

    #[test]
    fn licence_is_shown_while_valid() {
        assert_eq!(
            licence("2026-06-01", &[]),
            Verdict::Public {
                until: Some(d(2026, 6, 1))
            }
        );
        assert_eq!(licence("2026-05-31", &[]), Verdict::Hidden(Hidden::Expired));
    }

    #[test]
    fn licence_valid_forever_has_no_end() {
        assert_eq!(licence("2099-12-31", &[]), Verdict::Public { until: None });
        assert_eq!(licence("长期", &[]), Verdict::Public { until: None });
    }

    #[test]
    fn licence_with_abnormal_status_is_hidden() {
        assert_eq!(
            licence("2030-01-01", &[("当前状态", "1")]),
            Verdict::Hidden(Hidden::Status)
        );
        assert_eq!(
            licence("2030-01-01", &[("当前状态", "2")]),
            Verdict::Hidden(Hidden::Status)
        );
        assert!(licence("2030-01-01", &[("当前状态", "0")]).is_public());
        assert!(licence("2030-01-01", &[("当前状态", "")]).is_public());
    }

    #[test]
    fn licence_without_validity_is_hidden() {
        assert_eq!(licence("", &[]), Verdict::Hidden(Hidden::MissingDate));
    }

    #[test]
    fn lists_run_until_their_end_date_or_without_end() {
        let catalog = Catalog::builtin();
        for id in ["red-list", "black-list"] {
            let dataset = catalog.get(id).unwrap();
            let date = dataset.key.date.clone();
            let open = values(&[(date.as_str(), "2020-01-01")]);
            assert_eq!(
                evaluate(dataset, &open, active(), today()),
                Verdict::Public { until: None },
                "{id}"
            );
            let ended = values(&[(date.as_str(), "2020-01-01"), ("公示截止期", "2026-05-31")]);
            assert_eq!(
                evaluate(dataset, &ended, active(), today()),
                Verdict::Hidden(Hidden::Expired),
                "{id}"
            );
            let running = values(&[(date.as_str(), "2020-01-01"), ("公示截止期", "2026-06-01")]);
            assert_eq!(
                evaluate(dataset, &running, active(), today()).until(),
                Some(d(2026, 6, 1)),
                "{id}"
            );
        }
    }

    #[test]
    fn datasets_of_kind_none_are_never_public() {
        let catalog = Catalog::builtin();
        for id in [
            "filing",
            "annual-report",
            "tax-payment",
            "tax-arrears",
            "dishonest-debtor",
        ] {
            let dataset = catalog.get(id).unwrap();
            assert_eq!(
                evaluate(dataset, &BTreeMap::new(), active(), today()),
                Verdict::Hidden(Hidden::NotPublished),
                "{id}"
            );
        }
    }
}
