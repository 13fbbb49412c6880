//! Per unit and dataset figures for the credit office: records, uploads, invalid rows and
//! timeliness (online within 7 working days of the decision).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::db::{with_pool, Store};
use crate::error::StoreError;
use crate::model::Scope;

/// Decisions must be online within this many working days.
pub const TIMELINESS_WORKING_DAYS: u32 = 7;

/// China Standard Time: the working day of a timestamp is counted in UTC+8.
const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;

/// Figures of one unit's dataset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitDatasetStats {
    pub unit_id: i64,
    pub dataset: String,
    pub active_records: i64,
    pub revoked_records: i64,
    pub deleted_records: i64,
    /// Uploads not deleted.
    pub uploads: i64,
    pub rows: i64,
    pub invalid_rows: i64,
    /// invalid_rows / rows, 0 without rows.
    pub invalid_share: f64,
    /// Records with a decision date that are not withdrawn.
    pub timeliness_base: i64,
    /// Of those, records first online within 7 working days of the decision.
    pub timely: i64,
    /// timely / timeliness_base, `None` without a base.
    pub timeliness: Option<f64>,
}

type Key = (i64, String);

impl Store {
    /// Figures per unit and dataset, for one unit or all.
    pub async fn unit_stats(&self, scope: Scope) -> Result<Vec<UnitDatasetStats>, StoreError> {
        let unit = scope.unit_id();
        let (states, uploads, dated) = with_pool!(self, |pool| {
            let states: Vec<(i64, String, String, i64)> = sqlx::query_as(
                "SELECT unit_id, dataset, state, COUNT(*) FROM records \
                 WHERE ($1 IS NULL OR unit_id = $1) GROUP BY unit_id, dataset, state",
            )
            .bind(unit)
            .fetch_all(pool)
            .await?;
            let uploads: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
                "SELECT unit_id, dataset, COUNT(*), CAST(COALESCE(SUM(row_count), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(invalid_count), 0) AS BIGINT) FROM uploads \
                 WHERE status <> 'deleted' AND ($1 IS NULL OR unit_id = $1) \
                 GROUP BY unit_id, dataset",
            )
            .bind(unit)
            .fetch_all(pool)
            .await?;
            // Rows of one import share `created_at`, so these groups stay few.
            let dated: Vec<(i64, String, NaiveDate, DateTime<Utc>, i64)> = sqlx::query_as(
                "SELECT unit_id, dataset, decision_date, created_at, COUNT(*) FROM records \
                 WHERE decision_date IS NOT NULL AND state <> 'deleted' \
                 AND ($1 IS NULL OR unit_id = $1) \
                 GROUP BY unit_id, dataset, decision_date, created_at",
            )
            .bind(unit)
            .fetch_all(pool)
            .await?;
            (states, uploads, dated)
        });

        let mut stats: BTreeMap<Key, UnitDatasetStats> = BTreeMap::new();
        for (unit_id, dataset, state, count) in states {
            let s = stats_entry(&mut stats, unit_id, dataset);
            match state.as_str() {
                "active" => s.active_records += count,
                "revoked" => s.revoked_records += count,
                _ => s.deleted_records += count,
            }
        }
        for (unit_id, dataset, count, rows, invalid) in uploads {
            let s = stats_entry(&mut stats, unit_id, dataset);
            s.uploads = count;
            s.rows = rows;
            s.invalid_rows = invalid;
        }
        for (unit_id, dataset, decided, online, count) in dated {
            let s = stats_entry(&mut stats, unit_id, dataset);
            s.timeliness_base += count;
            if is_timely(decided, online) {
                s.timely += count;
            }
        }

        Ok(stats
            .into_values()
            .map(|mut s| {
                s.invalid_share = if s.rows > 0 {
                    s.invalid_rows as f64 / s.rows as f64
                } else {
                    0.0
                };
                s.timeliness =
                    (s.timeliness_base > 0).then(|| s.timely as f64 / s.timeliness_base as f64);
                s
            })
            .collect())
    }
}

fn stats_entry(
    stats: &mut BTreeMap<Key, UnitDatasetStats>,
    unit_id: i64,
    dataset: String,
) -> &mut UnitDatasetStats {
    stats
        .entry((unit_id, dataset.clone()))
        .or_insert_with(|| UnitDatasetStats {
            unit_id,
            dataset,
            ..Default::default()
        })
}

/// True when `online` (a timestamp) falls within the allowed working days after `decided`.
/// Working days are Monday to Friday; public holidays are not known here.
pub fn is_timely(decided: NaiveDate, online: DateTime<Utc>) -> bool {
    let online_day = match FixedOffset::east_opt(CHINA_OFFSET_SECONDS) {
        Some(tz) => online.with_timezone(&tz).date_naive(),
        None => online.date_naive(),
    };
    working_days_between(decided, online_day) <= i64::from(TIMELINESS_WORKING_DAYS)
}

/// Working days after `from` up to and including `to`; 0 when `to` is not after `from`.
fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    if to <= from {
        return 0;
    }
    let days = (to - from).num_days();
    let full_weeks = days / 7;
    let mut count = full_weeks * 5;
    let mut day = from + chrono::Days::new((full_weeks * 7) as u64);
    while day < to {
        day = day.succ_opt().unwrap_or(to);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn counts_only_weekdays() {
        // 2024-03-01 is a Friday.
        assert_eq!(working_days_between(date(2024, 3, 1), date(2024, 3, 1)), 0);
        assert_eq!(working_days_between(date(2024, 3, 1), date(2024, 3, 3)), 0);
        assert_eq!(working_days_between(date(2024, 3, 1), date(2024, 3, 4)), 1);
        assert_eq!(working_days_between(date(2024, 3, 1), date(2024, 3, 12)), 7);
        assert_eq!(working_days_between(date(2024, 3, 1), date(2024, 3, 13)), 8);
        assert_eq!(
            working_days_between(date(2024, 3, 1), date(2024, 3, 29)),
            20
        );
    }

    #[test]
    fn timeliness_uses_china_time() {
        // 2024-03-12 23:30 in Beijing is still the 7th working day after Friday 2024-03-01.
        let online = Utc.with_ymd_and_hms(2024, 3, 12, 15, 30, 0).unwrap();
        assert!(is_timely(date(2024, 3, 1), online));
        // 2024-03-13 00:30 in Beijing is the 8th.
        let late = Utc.with_ymd_and_hms(2024, 3, 12, 16, 30, 0).unwrap();
        assert!(!is_timely(date(2024, 3, 1), late));
    }
}
