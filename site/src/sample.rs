//! Generated records for tests, examples and the benchmark: deterministic, plausible values
//! with valid check digits. Never real people or companies.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use crate::records::PublicRecordInput;
use crate::RecordState;

const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8] = b"10X98765432";

const PLACES: [&str; 8] = [
    "长治", "潞州", "上党", "屯留", "潞城", "襄垣", "平顺", "黎城",
];
const WORDS: [&str; 16] = [
    "恒信", "瑞丰", "华泰", "鑫源", "宏达", "金石", "永安", "德润", "嘉禾", "晋东", "太行", "兴业",
    "博远", "安康", "正和", "长兴",
];
const TRADES: [&str; 8] = [
    "商贸",
    "建筑工程",
    "食品",
    "物流",
    "科技",
    "餐饮管理",
    "医药",
    "农业开发",
];
const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "杨", "赵", "郭"];
const GIVEN: [&str; 8] = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋"];

/// A valid 统一社会信用代码 derived from `n`.
pub fn uscc(n: u64) -> String {
    let body = format!("911404{:011}", n % 100_000_000_000);
    let mut chars: Vec<u8> = body.into_bytes();
    // Positions 9..17 must be a valid organisation code for some checkers: keep digits.
    let sum: u32 = chars
        .iter()
        .zip(USCC_WEIGHTS)
        .map(|(c, w)| (USCC_CHARS.iter().position(|x| x == c).unwrap_or(0) as u32) * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    chars.push(USCC_CHARS[check as usize]);
    String::from_utf8(chars).unwrap_or_default()
}

/// A valid 18-digit 居民身份证号码 derived from `n`.
pub fn id_number(n: u64) -> String {
    let birth = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default()
        + Duration::days((n % 15_000) as i64);
    let body = format!("140402{}{:03}", birth.format("%Y%m%d"), n % 1000);
    let sum: u32 = body
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    let mut id = body;
    id.push(char::from(ID_CHECK[(sum % 11) as usize]));
    id
}

fn company(n: u64) -> String {
    let n = n as usize;
    format!(
        "{}市{}{}{}有限公司",
        PLACES[n % 8],
        WORDS[(n / 8) % 16],
        WORDS[(n / 128) % 16],
        TRADES[(n / 2048) % 8]
    )
}

fn person(n: u64) -> String {
    let n = n as usize;
    format!(
        "{}{}{}",
        SURNAMES[n % 8],
        GIVEN[(n / 8) % 8],
        GIVEN[(n / 64) % 8]
    )
}

fn values(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// A penalty decided `days_ago` days before `today`; every 10th subject is a natural person.
pub fn penalty(id: i64, today: NaiveDate, days_ago: i64) -> PublicRecordInput {
    let n = id as u64;
    let natural = n % 10 == 3;
    let decided = today - Duration::days(days_ago);
    let (name, category, code, id_type, id_no, legal) = if natural {
        (
            person(n),
            "自然人",
            String::new(),
            "身份证",
            id_number(n),
            String::new(),
        )
    } else {
        (
            company(n),
            "法人及非法人组织",
            uscc(n),
            "",
            String::new(),
            person(n + 7),
        )
    };
    PublicRecordInput {
        id,
        dataset: "penalty".to_string(),
        unit_name: "长治市市场监督管理局".to_string(),
        values: values(&[
            ("行政相对人名称", name),
            ("行政相对人类别", category.to_string()),
            ("统一社会信用代码", code),
            ("法定代表人", legal),
            ("证件类型", id_type.to_string()),
            ("证件号码", id_no),
            (
                "行政处罚决定书文号",
                format!("长市监罚〔{}〕{}号", decided.format("%Y"), id),
            ),
            (
                "违法行为类型",
                "违反《中华人民共和国食品安全法》".to_string(),
            ),
            (
                "违法事实",
                "经查，当事人在经营场所销售超过保质期的预包装食品，货值金额较小，已责令当场改正。"
                    .repeat(2),
            ),
            (
                "处罚依据",
                "《中华人民共和国食品安全法》第一百二十四条第一款".to_string(),
            ),
            ("处罚类别", "警告;罚款".to_string()),
            ("处罚内容", format!("警告，并处罚款{}元。", 1000 + n % 9000)),
            (
                "罚款金额(万元)",
                format!("{:.4}", (1000 + n % 9000) as f64 / 10000.0),
            ),
            ("处罚决定日期", decided.format("%Y-%m-%d").to_string()),
            ("处罚有效期", "2099-12-31".to_string()),
            ("处罚机关", "长治市市场监督管理局".to_string()),
            ("处罚机关统一社会信用代码", uscc(1)),
            ("数据来源单位", "长治市市场监督管理局".to_string()),
            ("数据来源单位统一社会信用代码", uscc(1)),
        ]),
        state: RecordState::default(),
        updated_at: format!("{} 09:30", decided.format("%Y-%m-%d")),
    }
}

/// A licence decided `days_ago` days before `today`, valid for five years.
pub fn licence(id: i64, today: NaiveDate, days_ago: i64) -> PublicRecordInput {
    let n = id as u64;
    let decided = today - Duration::days(days_ago);
    let until = decided + Duration::days(5 * 365);
    PublicRecordInput {
        id,
        dataset: "licensing".to_string(),
        unit_name: "长治市行政审批服务管理局".to_string(),
        values: values(&[
            ("行政相对人名称", company(n)),
            ("行政相对人类别", "法人及非法人组织".to_string()),
            ("统一社会信用代码", uscc(n)),
            ("法定代表人", person(n + 3)),
            ("行政许可决定文书名称", "食品经营许可决定书".to_string()),
            (
                "行政许可决定文书号",
                format!("长审批食许〔{}〕{}号", decided.format("%Y"), id),
            ),
            ("许可类别", "普通".to_string()),
            ("许可证书名称", "食品经营许可证".to_string()),
            ("许可编号", format!("JY1{:013}", n)),
            (
                "许可内容",
                "预包装食品（含冷藏冷冻食品）销售；散装食品销售。".to_string(),
            ),
            ("许可决定日期", decided.format("%Y-%m-%d").to_string()),
            ("有效期自", decided.format("%Y-%m-%d").to_string()),
            ("有效期至", until.format("%Y-%m-%d").to_string()),
            ("许可机关", "长治市行政审批服务管理局".to_string()),
            ("许可机关统一社会信用代码", uscc(2)),
            ("当前状态", "0".to_string()),
            ("数据来源单位", "长治市行政审批服务管理局".to_string()),
            ("数据来源单位统一社会信用代码", uscc(2)),
        ]),
        state: RecordState::default(),
        updated_at: format!("{} 10:00", decided.format("%Y-%m-%d")),
    }
}

/// `count` records, alternating penalties and licences, decided over the last 300 days.
pub fn mixed(count: usize, today: NaiveDate) -> impl Iterator<Item = PublicRecordInput> {
    (1..=count as i64).map(move |id| {
        let days_ago = id % 300;
        if id % 2 == 0 {
            penalty(id, today, days_ago)
        } else {
            licence(id, today, days_ago)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_pass_the_domain_checks() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        for n in [1, 2, 77, 123_456] {
            assert_eq!(
                xycz_domain::checkdigit::uscc(&uscc(n)),
                Ok(()),
                "{}",
                uscc(n)
            );
            assert_eq!(
                xycz_domain::checkdigit::id_number(&id_number(n), today),
                Ok(()),
                "{}",
                id_number(n)
            );
        }
    }
}
