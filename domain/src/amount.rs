//! Amounts: decimals in a fixed unit, read from number cells (with float noise) or text.

use crate::normalize;

/// Why an amount could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountFault {
    Unreadable,
    Negative,
}

/// A number cell's value rounded to `scale` decimals, as a decimal string without trailing
/// zeros: `7.0000000000000009` → `7`.
pub fn from_number(value: f64, scale: u32) -> Result<String, AmountFault> {
    if !value.is_finite() {
        return Err(AmountFault::Unreadable);
    }
    if value < 0.0 {
        return Err(AmountFault::Negative);
    }
    Ok(trim_zeros(format!("{value:.*}", scale as usize)))
}

/// Text such as `1,200.50`, `１２００.５`, `3.5万元`-free digits; rounded to `scale` decimals.
pub fn from_text(raw: &str, scale: u32) -> Result<String, AmountFault> {
    let text: String = normalize::text(raw)
        .chars()
        .filter(|c| *c != ',' && *c != ' ')
        .collect();
    let body = text.strip_prefix('+').unwrap_or(&text);
    if let Some(negative) = body.strip_prefix('-') {
        return match negative.parse::<f64>() {
            Ok(0.0) => Ok("0".to_string()),
            Ok(_) => Err(AmountFault::Negative),
            Err(_) => Err(AmountFault::Unreadable),
        };
    }

    let mut parts = body.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let frac = parts.next().unwrap_or_default();
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits_only(whole) || !digits_only(frac) {
        return Err(AmountFault::Unreadable);
    }
    if frac.len() as u32 <= scale && whole.len() <= 15 {
        let whole = whole.trim_start_matches('0');
        let whole = if whole.is_empty() { "0" } else { whole };
        return Ok(trim_zeros(format!("{whole}.{frac}")));
    }
    let value: f64 = body.parse().map_err(|_| AmountFault::Unreadable)?;
    from_number(value, scale)
}

fn trim_zeros(s: String) -> String {
    if !s.contains('.') {
        return s;
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The value of a normalised amount string.
pub fn value(normalised: &str) -> f64 {
    normalised.parse().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_noise_is_rounded_away() {
        assert_eq!(from_number(7.000_000_000_000_001, 6).unwrap(), "7");
        assert_eq!(from_number(0.1 + 0.2, 6).unwrap(), "0.3");
        assert_eq!(from_number(12.5, 6).unwrap(), "12.5");
        assert_eq!(from_number(0.0000004, 6).unwrap(), "0");
        assert_eq!(from_number(-1.0, 6), Err(AmountFault::Negative));
    }

    #[test]
    fn text_amounts() {
        assert_eq!(from_text("1,200.50", 6).unwrap(), "1200.5");
        assert_eq!(from_text("１２.５", 6).unwrap(), "12.5");
        assert_eq!(from_text("0.05", 6).unwrap(), "0.05");
        assert_eq!(from_text("007", 6).unwrap(), "7");
        assert_eq!(from_text(".5", 6).unwrap(), "0.5");
        assert_eq!(from_text("1.23456789", 6).unwrap(), "1.234568");
        assert_eq!(from_text("五千", 6), Err(AmountFault::Unreadable));
        assert_eq!(from_text("3万", 6), Err(AmountFault::Unreadable));
        assert_eq!(from_text("-2", 6), Err(AmountFault::Negative));
        assert_eq!(from_text("1.2.3", 6), Err(AmountFault::Unreadable));
        assert_eq!(from_text("100.", 2).unwrap(), "100");
    }
}
