//! Writes a large penalty workbook for the checker benchmark:
//! `cargo run --release -p xycz-domain --example gen_penalty -- OUT.xlsx [ROWS]`.
//!
//! Rows look like real uploads: organisations and natural persons, text and date cells, amounts
//! with float noise, and one row in a hundred with an error.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use xycz_domain::Catalog;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [usize; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

fn uscc(body: &str) -> String {
    let sum: usize = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| ALPHABET.iter().position(|a| *a == b).unwrap_or(0) * w)
        .sum();
    format!("{body}{}", ALPHABET[(31 - sum % 31) % 31] as char)
}

fn id_number(body: &str) -> String {
    let sum: u32 = body
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().ok_or("usage: gen_penalty OUT.xlsx [ROWS]")?;
    let rows: u32 = args
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(100_000);

    let catalog = Catalog::builtin();
    let dataset = catalog.get("penalty").ok_or("no penalty dataset")?;
    let labels: Vec<&str> = dataset
        .template_fields()
        .map(|f| f.label.as_str())
        .collect();
    let col = |label: &str| labels.iter().position(|l| *l == label).unwrap_or(0) as u16;

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("行政处罚")?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, label) in labels.iter().enumerate() {
        sheet.write_string(0, c as u16, *label)?;
    }

    let unit = "长治市市场监督管理局";
    let unit_code = "11140400PF0B26Q50G";
    for i in 0..rows {
        let r = i + 1;
        let person = i % 10 == 3;
        let name = if person {
            "赵某某".to_string()
        } else {
            format!("长治市测试商贸有限公司第{i}分公司")
        };
        sheet.write_string(r, col("行政相对人名称"), &name)?;
        if person {
            sheet.write_string(r, col("行政相对人类别"), "自然人")?;
            sheet.write_string(r, col("证件类型"), "身份证")?;
            let body = format!("140402{}{:03}", 19800101 + (i % 28), i % 1000);
            sheet.write_string(r, col("证件号码"), id_number(&body))?;
        } else {
            sheet.write_string(r, col("行政相对人类别"), "法人及非法人组织")?;
            let mut code = uscc(&format!("91140400MA{i:07}"));
            if i % 100 == 7 {
                code.replace_range(17.., if code.ends_with('1') { "2" } else { "1" });
            }
            sheet.write_string(r, col("统一社会信用代码"), &code)?;
            sheet.write_string(r, col("法定代表人"), "李某某")?;
        }
        sheet.write_string(
            r,
            col("行政处罚决定书文号"),
            format!("长市监罚〔2025〕{i}号"),
        )?;
        sheet.write_string(r, col("违法行为类型"), "违反《中华人民共和国食品安全法》")?;
        sheet.write_string(
            r,
            col("违法事实"),
            "经营超过保质期的食品，货值金额较小，当事人积极配合调查并主动整改。",
        )?;
        sheet.write_string(
            r,
            col("处罚依据"),
            "《中华人民共和国食品安全法》第一百二十四条第一款",
        )?;
        sheet.write_string(r, col("处罚类别"), "警告;罚款")?;
        sheet.write_string(r, col("处罚内容"), "警告，并处罚款")?;
        sheet.write_number(r, col("罚款金额(万元)"), 0.1 * f64::from(i % 50 + 1) + 0.2)?;
        let day = ExcelDateTime::from_ymd(2025, (i % 12 + 1) as u8, (i % 28 + 1) as u8)?;
        sheet.write_datetime_with_format(r, col("处罚决定日期"), &day, &date)?;
        sheet.write_string(
            r,
            col("处罚有效期"),
            format!("2026年{}月{}日", i % 12 + 1, i % 28 + 1),
        )?;
        sheet.write_string(r, col("处罚机关"), unit)?;
        sheet.write_string(r, col("处罚机关统一社会信用代码"), unit_code)?;
        sheet.write_string(r, col("数据来源单位"), unit)?;
        sheet.write_string(r, col("数据来源单位统一社会信用代码"), unit_code)?;
    }
    book.save(&out)?;
    eprintln!("wrote {rows} rows to {out}");
    Ok(())
}
