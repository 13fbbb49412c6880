//! Check digits of the national identifier standards. Inputs are already normalised
//! (see [`crate::normalize::code`]).

use chrono::NaiveDate;

/// The 31 characters of GB 32100-2015, each worth its index.
const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// Not a code but what systems put where the code is unknown.
const USCC_PLACEHOLDER: &str = "00000000000000000X";

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [u8; 11] = *b"10X98765432";

const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Why an identifier is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFault {
    Length,
    Characters,
    CheckDigit,
    Placeholder,
    BirthDate,
}

/// 统一社会信用代码: 18 characters, GB 32100 check character; the embedded 组织机构代码 body
/// is not checked separately because the standard's own check already covers every position.
pub fn uscc(code: &str) -> Result<(), CodeFault> {
    if code == USCC_PLACEHOLDER {
        return Err(CodeFault::Placeholder);
    }
    let values: Vec<u32> = code
        .chars()
        .map(|c| USCC_ALPHABET.find(c).map(|i| i as u32))
        .collect::<Option<_>>()
        .ok_or(CodeFault::Characters)?;
    if values.len() != 18 {
        return Err(CodeFault::Length);
    }
    let sum: u32 = values[..17]
        .iter()
        .zip(USCC_WEIGHTS)
        .map(|(v, w)| v * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    if values[17] != check {
        return Err(CodeFault::CheckDigit);
    }
    Ok(())
}

/// 居民身份证号码, GB 11643: 17 digits and a check character, with a real birth date that is
/// not after `today`.
pub fn id_number(id: &str, today: NaiveDate) -> Result<(), CodeFault> {
    let bytes = id.as_bytes();
    if bytes.len() != 18 {
        return Err(CodeFault::Length);
    }
    if !bytes[..17].iter().all(u8::is_ascii_digit) || !matches!(bytes[17], b'0'..=b'9' | b'X') {
        return Err(CodeFault::Characters);
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    if bytes[17] != ID_CHECK[(sum % 11) as usize] {
        return Err(CodeFault::CheckDigit);
    }
    match NaiveDate::parse_from_str(&id[6..14], "%Y%m%d") {
        Ok(birth) if birth <= today && chrono::Datelike::year(&birth) >= 1900 => Ok(()),
        _ => Err(CodeFault::BirthDate),
    }
}

/// 组织机构代码, GB 11714: 8 characters and a check character (the hyphen is already gone).
pub fn org_code(code: &str) -> Result<(), CodeFault> {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 9 {
        return Err(CodeFault::Length);
    }
    let values: Vec<u32> = chars[..8]
        .iter()
        .map(|c| {
            c.to_digit(36)
                .filter(|_| c.is_ascii_digit() || c.is_ascii_uppercase())
        })
        .collect::<Option<_>>()
        .ok_or(CodeFault::Characters)?;
    let sum: u32 = values.iter().zip(ORG_WEIGHTS).map(|(v, w)| v * w).sum();
    let expected = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).unwrap_or('?'),
    };
    if chars[8] != expected {
        return Err(CodeFault::CheckDigit);
    }
    Ok(())
}

/// 15-digit 工商注册号, ISO 7064 MOD 11,10.
pub fn reg_no(code: &str) -> Result<(), CodeFault> {
    if code.len() != 15 {
        return Err(CodeFault::Length);
    }
    let digits: Vec<u32> = code
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()
        .ok_or(CodeFault::Characters)?;
    let mut p = 10;
    for d in &digits[..14] {
        let s = p % 11 + d;
        let m = s % 10;
        p = if m == 0 { 10 } else { m } * 2;
    }
    if digits[14] != (11 - p % 11) % 10 {
        return Err(CodeFault::CheckDigit);
    }
    Ok(())
}

/// 税务登记号 / 纳税人识别号: 15, 17, 18 or 20 letters and digits.
pub fn tax_no(code: &str) -> Result<(), CodeFault> {
    if !matches!(code.len(), 15 | 17 | 18 | 20) {
        return Err(CodeFault::Length);
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        return Err(CodeFault::Characters);
    }
    Ok(())
}

/// Masks the middle of an ID number for public pages: `1101**********002X`.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    #[test]
    fn uscc_examples_from_the_standard() {
        assert_eq!(uscc("91110000101623741K"), Ok(()));
        assert_eq!(uscc("911101066976941872"), Ok(()));
        assert_eq!(uscc("11140400PF0B26Q50G"), Ok(()));
        assert_eq!(uscc("91110000101623741A"), Err(CodeFault::CheckDigit));
        assert_eq!(uscc("9111000010162374"), Err(CodeFault::Length));
        assert_eq!(uscc("91110000101623741I"), Err(CodeFault::Characters));
        assert_eq!(uscc("00000000000000000X"), Err(CodeFault::Placeholder));
    }

    #[test]
    fn id_number_examples() {
        assert_eq!(id_number("11010519491231002X", today()), Ok(()));
        assert_eq!(
            id_number("110105194912310021", today()),
            Err(CodeFault::CheckDigit)
        );
        assert_eq!(
            id_number("11010519491231002", today()),
            Err(CodeFault::Length)
        );
        // A check digit that is right for an impossible birth date (1949-02-30).
        assert_eq!(
            id_number(&with_check("11010519490230002"), today()),
            Err(CodeFault::BirthDate)
        );
        // Born in the future.
        assert_eq!(
            id_number(&with_check("11010520301231002"), today()),
            Err(CodeFault::BirthDate)
        );
    }

    fn with_check(body: &str) -> String {
        let sum: u32 = body
            .bytes()
            .zip(ID_WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        format!("{body}{}", ID_CHECK[(sum % 11) as usize] as char)
    }

    #[test]
    fn org_code_examples() {
        assert_eq!(org_code("79013765X"), Ok(()));
        assert_eq!(org_code("790137651"), Err(CodeFault::CheckDigit));
        assert_eq!(org_code("101623741"), Ok(()));
        assert_eq!(org_code("7901376"), Err(CodeFault::Length));
    }

    #[test]
    fn reg_no_examples() {
        assert_eq!(reg_no("310115600985533"), Ok(()));
        assert_eq!(reg_no("310115600985534"), Err(CodeFault::CheckDigit));
        assert_eq!(reg_no("31011560098553"), Err(CodeFault::Length));
    }

    #[test]
    fn tax_no_lengths() {
        assert_eq!(tax_no("91110000101623741K"), Ok(()));
        assert_eq!(tax_no("310115600985533"), Ok(()));
        assert_eq!(tax_no("3101156009855"), Err(CodeFault::Length));
    }

    #[test]
    fn masking_keeps_four_and_four() {
        assert_eq!(mask_id("11010519491231002X"), "1101**********002X");
    }
}
