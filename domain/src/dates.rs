//! Dates as spreadsheets hold them: date cells, serial numbers (1900 and 1904 systems) and text
//! in the spellings clerks type.

use chrono::{Duration, NaiveDate};

use crate::normalize;

/// The text that means "no end" in an end-date column, and the date it stands for.
pub const FOREVER_TEXT: &str = "长期";
pub fn forever() -> NaiveDate {
    NaiveDate::from_ymd_opt(2099, 12, 31).expect("valid constant date")
}

fn earliest() -> NaiveDate {
    NaiveDate::from_ymd_opt(1949, 1, 1).expect("valid constant date")
}

/// Why a date could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFault {
    /// Not a date in any accepted spelling.
    Unreadable,
    /// Written with a two-digit year.
    TwoDigitYear,
    /// Before 1949-01-01 or after 2099-12-31.
    OutOfRange,
}

/// Checks the accepted range.
pub fn in_range(date: NaiveDate) -> Result<NaiveDate, DateFault> {
    if date < earliest() || date > forever() {
        return Err(DateFault::OutOfRange);
    }
    Ok(date)
}

/// An Excel serial number, in the 1900 or 1904 system; the time of day is dropped.
pub fn from_serial(serial: f64, is_1904: bool) -> Result<NaiveDate, DateFault> {
    if !serial.is_finite() || serial < 1.0 {
        return Err(DateFault::Unreadable);
    }
    let days = serial.floor() as i64;
    let date = if is_1904 {
        NaiveDate::from_ymd_opt(1904, 1, 1).map(|d| d + Duration::days(days))
    } else {
        // 1900 system: day 1 is 1900-01-01 and Excel counts a 29 February 1900 that never was.
        let base = NaiveDate::from_ymd_opt(1899, 12, 30);
        base.map(|d| d + Duration::days(if days < 60 { days + 1 } else { days }))
    };
    date.ok_or(DateFault::OutOfRange).and_then(in_range)
}

/// Text in any accepted spelling: `2018-02-02`, `2018/2/2`, `2018.2.2`, `2018年2月2日`,
/// `20180202`, with or without a time, in full-width digits too.
pub fn from_text(raw: &str) -> Result<NaiveDate, DateFault> {
    let text = normalize::text(raw);
    let date_part = text
        .split([' ', 'T'])
        .next()
        .unwrap_or_default()
        .trim_end_matches('日');

    if date_part.len() == 8 && date_part.bytes().all(|b| b.is_ascii_digit()) {
        return ymd(&date_part[..4], &date_part[4..6], &date_part[6..]);
    }

    let parts: Vec<&str> = date_part.split(['-', '/', '.', '年', '月']).collect();
    match parts.as_slice() {
        [y, m, d] if [y, m, d].iter().all(|p| is_number(p)) => {
            if y.len() != 4 {
                return Err(if y.len() <= 2 {
                    DateFault::TwoDigitYear
                } else {
                    DateFault::Unreadable
                });
            }
            ymd(y, m, d)
        }
        _ => Err(DateFault::Unreadable),
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit())
}

fn ymd(y: &str, m: &str, d: &str) -> Result<NaiveDate, DateFault> {
    let (Ok(y), Ok(m), Ok(d)) = (y.parse(), m.parse(), d.parse()) else {
        return Err(DateFault::Unreadable);
    };
    if m > 12 || d > 31 || m == 0 || d == 0 {
        return Err(DateFault::Unreadable);
    }
    NaiveDate::from_ymd_opt(y, m, d)
        .ok_or(DateFault::Unreadable)
        .and_then(in_range)
}

/// Adds whole months, clamping to the month's last day.
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .unwrap_or_else(forever)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn every_listed_spelling_reads() {
        for text in [
            "2018-02-02",
            "2018/2/2",
            "2018.2.2",
            "2018年2月2日",
            "20180202",
            "2018-02-02 10:30:00",
            "2018/2/2 0:00",
            "２０１８年２月２日",
            "2018-02-02T08:00:00",
            " 2018-2-2 ",
        ] {
            assert_eq!(from_text(text), Ok(d(2018, 2, 2)), "{text}");
        }
    }

    #[test]
    fn bad_dates_are_rejected() {
        assert_eq!(from_text("18-2-2"), Err(DateFault::TwoDigitYear));
        assert_eq!(from_text("2018-02-30"), Err(DateFault::Unreadable));
        assert_eq!(from_text("2018-13-01"), Err(DateFault::Unreadable));
        assert_eq!(from_text("1948-12-31"), Err(DateFault::OutOfRange));
        assert_eq!(from_text("2100-01-01"), Err(DateFault::OutOfRange));
        assert_eq!(from_text("明天"), Err(DateFault::Unreadable));
        assert_eq!(from_text("2018-02"), Err(DateFault::Unreadable));
    }

    #[test]
    fn serial_numbers_in_both_systems() {
        assert_eq!(from_serial(43133.0, false), Ok(d(2018, 2, 2)));
        assert_eq!(from_serial(43133.75, false), Ok(d(2018, 2, 2)));
        assert_eq!(from_serial(41671.0, true), Ok(d(2018, 2, 2)));
        assert_eq!(from_serial(1.0, false), Err(DateFault::OutOfRange));
    }

    #[test]
    fn month_arithmetic_clamps() {
        assert_eq!(add_months(d(2025, 1, 31), 1), d(2025, 2, 28));
        assert_eq!(add_months(d(2025, 3, 1), 12), d(2026, 3, 1));
    }
}
