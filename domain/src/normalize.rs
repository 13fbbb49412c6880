//! Text normalisation: what hides in names and codes that spreadsheets really hold.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// Zero-width and invisible characters that users paste along with values.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// A text value: full-width letters, digits and spaces made half-width, non-breaking and other
/// spaces folded to one space, invisible characters dropped, trimmed. Chinese punctuation
/// (，：（）) is kept: it is part of names and prose, and public pages show it.
pub fn text(raw: &str) -> String {
    text_cow(raw).into_owned()
}

/// [`text`] without a copy when the text is already normalised.
pub fn text_cow(raw: &str) -> Cow<'_, str> {
    if is_plain(raw) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for c in raw.chars() {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(half_width_alphanumeric(c));
    }
    Cow::Owned(out)
}

/// `Ａ`→`A`, `１`→`1`; everything else as it is.
fn half_width_alphanumeric(c: char) -> char {
    match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
}

/// Already normalised text: no outer or doubled white space, no invisible characters and no
/// full-width letters or digits (the common case, checked without allocating).
fn is_plain(raw: &str) -> bool {
    let mut previous_space = true;
    for c in raw.chars() {
        let space = c.is_whitespace();
        if (space && (previous_space || c != ' '))
            || is_invisible(c)
            || half_width_alphanumeric(c) != c
        {
            return false;
        }
        previous_space = space;
    }
    !previous_space
}

/// Whether a value is blank once white space and invisible characters are dropped.
pub fn is_blank(raw: &str) -> bool {
    raw.chars().all(|c| c.is_whitespace() || is_invisible(c))
}

/// A code or ID number: NFKC, no spaces, hyphens or invisible characters, upper case.
pub fn code(raw: &str) -> String {
    code_cow(raw).into_owned()
}

/// [`code`] without a copy when the code is already normalised.
pub fn code_cow(raw: &str) -> Cow<'_, str> {
    if raw
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return Cow::Borrowed(raw);
    }
    if raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Cow::Owned(raw.to_ascii_uppercase());
    }
    if raw.chars().all(nfkc_stable) {
        let kept = raw
            .chars()
            .filter(|c| !c.is_whitespace() && !is_invisible(*c) && !is_dash(*c))
            .flat_map(char::to_uppercase);
        return Cow::Owned(kept.collect());
    }
    Cow::Owned(code_slow(raw))
}

/// Characters that NFKC leaves as they are: ASCII, CJK unified ideographs and the CJK
/// punctuation block (brackets such as 〔〕【】) but its ideographic space.
fn nfkc_stable(c: char) -> bool {
    c.is_ascii() || ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3001}'..='\u{303F}').contains(&c)
}

fn code_slow(raw: &str) -> String {
    raw.nfkc()
        .filter(|c| !c.is_whitespace() && !is_invisible(*c) && !is_dash(*c))
        .flat_map(char::to_uppercase)
        .collect()
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '－' | '−')
}

/// The comparison key of a decision document number: brackets of every kind made alike,
/// spaces dropped. The original is what gets stored.
pub fn document_key(raw: &str) -> String {
    code(raw)
        .chars()
        .map(|c| match c {
            '〔' | '【' | '[' | '(' | '（' | '［' | '｛' | '{' | '〖' => '[',
            '〕' | '】' | ']' | ')' | '）' | '］' | '｝' | '}' | '〗' => ']',
            other => other,
        })
        .collect()
}

/// The comparison key of a header cell: the text without `（必填）` style markers, stars,
/// spaces and line breaks, brackets made half-width.
pub fn header_key(raw: &str) -> String {
    let mut s: String = raw
        .nfkc()
        .filter(|c| !c.is_whitespace() && !is_invisible(*c) && *c != '*')
        .collect();
    for marker in [
        "(必填)",
        "(必填项)",
        "(选填)",
        "(可选)",
        "(非必填)",
        "[必填]",
        "必填:",
    ] {
        s = s.replace(marker, "");
    }
    s
}

/// The text inside the last pair of brackets, if any: `行政相对人代码_1(统一社会信用代码)`
/// → `统一社会信用代码`.
pub fn bracketed(key: &str) -> Option<&str> {
    let open = key.rfind('(')?;
    let inner = key[open + 1..].strip_suffix(')')?;
    (!inner.is_empty()).then_some(inner)
}

/// The text before the first bracket: `罚款金额(万元)` → `罚款金额`.
pub fn unbracketed(key: &str) -> &str {
    key.split('(').next().unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_kept_as_it_is() {
        assert_eq!(text("长治市 某某公司"), "长治市 某某公司");
        assert_eq!(text("a  b"), "a b");
        assert_eq!(text("ab "), "ab");
        assert!(is_blank(" \u{3000}\u{200B}"));
        assert!(!is_blank(" x"));
    }

    #[test]
    fn text_folds_full_width_and_invisible_characters() {
        assert_eq!(
            text("\u{3000}长治市\u{00A0}\u{200B}某某 公司 \n"),
            "长治市 某某 公司"
        );
        assert_eq!(text("ＡＢＣ１２３"), "ABC123");
        assert_eq!(
            text("经营超过保质期的食品，货值（较小）"),
            "经营超过保质期的食品，货值（较小）"
        );
    }

    #[test]
    fn code_drops_spaces_hyphens_and_upper_cases() {
        assert_eq!(code(" 79013765-x "), "79013765X");
        assert_eq!(
            code("９１１１ ００００\u{200B}１０１６２３７４１ｋ"),
            "91110000101623741K"
        );
    }

    #[test]
    fn code_fast_paths_agree_with_nfkc() {
        for raw in [
            "长市监罚〔2025〕12号",
            "abc-12 3",
            "ＡＢ１２",
            "x\u{3000}y",
            "【2025】",
        ] {
            assert_eq!(code(raw), code_slow(raw), "{raw}");
        }
    }

    #[test]
    fn document_keys_ignore_bracket_style() {
        let a = document_key("长市监罚〔2025〕12号");
        assert_eq!(a, document_key("长市监罚[2025]12号"));
        assert_eq!(a, document_key("长市监罚【2025】12号"));
        assert_eq!(a, document_key("长市监罚（2025）12号"));
        assert_eq!(a, document_key("长市监罚 (2025) 12号"));
    }

    #[test]
    fn header_keys_drop_markers() {
        assert_eq!(header_key("行政相对人名称（必填）"), "行政相对人名称");
        assert_eq!(header_key("*许可类别\n"), "许可类别");
        assert_eq!(
            header_key("行政相对人代码_1（统一社会信用代码）"),
            "行政相对人代码_1(统一社会信用代码)"
        );
        assert_eq!(
            bracketed("行政相对人代码_1(统一社会信用代码)"),
            Some("统一社会信用代码")
        );
        assert_eq!(unbracketed("罚款金额(万元)"), "罚款金额");
    }
}
