//! One test per rule of DOMAIN.md, each with its right value. Rows are built in code from a
//! valid base row, one field changed at a time, and written as CSV or as a real xlsx.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_xlsxwriter::Workbook;
use xycz_domain::{check_bytes, Catalog, CheckOptions, FileError, Issue, Report, Severity};

const UNIT: &str = "长治市市场监督管理局";
const UNIT_CODE: &str = "11140400PF0B26Q50G";
const ORG_CODE: &str = "91140400MA0000001M";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
}

fn options() -> CheckOptions {
    CheckOptions {
        today: today(),
        keep_records: true,
        ..CheckOptions::default()
    }
}

/// A valid penalty row for an organisation.
fn penalty(changes: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut row: BTreeMap<String, String> = [
        ("行政相对人名称", "长治市某某商贸有限公司"),
        ("行政相对人类别", "法人及非法人组织"),
        ("统一社会信用代码", ORG_CODE),
        ("法定代表人", "张某某"),
        ("行政处罚决定书文号", "长市监罚〔2025〕1号"),
        ("违法行为类型", "违反食品安全法"),
        ("违法事实", "经营超过保质期的食品"),
        ("处罚依据", "《中华人民共和国食品安全法》第一百二十四条"),
        ("处罚类别", "警告;罚款"),
        ("处罚内容", "警告，并处罚款"),
        ("罚款金额(万元)", "0.5"),
        ("处罚决定日期", "2025-03-18"),
        ("处罚有效期", "2026-03-18"),
        ("处罚机关", UNIT),
        ("处罚机关统一社会信用代码", UNIT_CODE),
        ("数据来源单位", UNIT),
        ("数据来源单位统一社会信用代码", UNIT_CODE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in changes {
        row.insert(k.to_string(), v.to_string());
    }
    row
}

/// A valid licensing row for a natural person.
fn licence_for_person(changes: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut row: BTreeMap<String, String> = [
        ("行政相对人名称", "赵某某"),
        ("行政相对人类别", "自然人"),
        ("证件类型", "身份证"),
        ("证件号码", "11010519491231002X"),
        ("行政许可决定文书名称", "食品经营许可决定书"),
        ("行政许可决定文书号", "长市监许〔2025〕7号"),
        ("许可类别", "普通"),
        ("许可内容", "预包装食品销售"),
        ("许可决定日期", "2025-06-01"),
        ("有效期自", "2025-06-01"),
        ("有效期至", "2030-05-31"),
        ("许可机关", UNIT),
        ("许可机关统一社会信用代码", UNIT_CODE),
        ("数据来源单位", UNIT),
        ("数据来源单位统一社会信用代码", UNIT_CODE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in changes {
        row.insert(k.to_string(), v.to_string());
    }
    row
}

fn csv(dataset: &str, rows: &[BTreeMap<String, String>]) -> Vec<u8> {
    let labels = template_labels(dataset);
    let mut out = csv_writer();
    out.write_record(&labels).unwrap();
    for row in rows {
        out.write_record(
            labels
                .iter()
                .map(|l| row.get(l).map(String::as_str).unwrap_or("")),
        )
        .unwrap();
    }
    out.into_inner().unwrap()
}

/// The dataset's template labels, in template order.
fn template_labels(dataset: &str) -> Vec<String> {
    let catalog = Catalog::builtin();
    let fields = catalog.get(dataset).unwrap().template_fields();
    fields.map(|f| f.label.clone()).collect()
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

fn run(dataset: &str, bytes: &[u8], options: &CheckOptions) -> Report {
    let catalog = Catalog::builtin();
    check_bytes(catalog.get(dataset).unwrap(), "t.csv", bytes, options).unwrap()
}

/// Checks one penalty row; returns its issues.
fn penalty_issues(changes: &[(&str, &str)]) -> Vec<Issue> {
    run("penalty", &csv("penalty", &[penalty(changes)]), &options()).issues
}

fn licence_issues(changes: &[(&str, &str)]) -> Vec<Issue> {
    run(
        "licensing",
        &csv("licensing", &[licence_for_person(changes)]),
        &options(),
    )
    .issues
}

/// The (field, code) of each error.
fn errors(issues: &[Issue]) -> Vec<(String, &'static str)> {
    issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| (i.field.clone(), i.code))
        .collect()
}

fn warnings(issues: &[Issue]) -> Vec<(String, &'static str)> {
    issues
        .iter()
        .filter(|i| i.severity == Severity::Warning)
        .map(|i| (i.field.clone(), i.code))
        .collect()
}

fn one(field: &str, code: &'static str) -> Vec<(String, &'static str)> {
    vec![(field.to_string(), code)]
}

/// The normalised value of a field in the first record.
fn value(dataset: &str, row: BTreeMap<String, String>, field: &str) -> Option<String> {
    let report = run(dataset, &csv(dataset, &[row]), &options());
    let records = report.records.as_ref().unwrap();
    assert!(records[0].valid, "{:?}", report.issues);
    report.values_map(&records[0]).get(field).cloned()
}

#[test]
fn the_base_rows_are_valid() {
    assert_eq!(penalty_issues(&[]).len(), 0);
    assert_eq!(licence_issues(&[]).len(), 0);
}

#[test]
fn mandatory_fields_are_required() {
    assert_eq!(
        errors(&penalty_issues(&[("违法事实", "")])),
        one("违法事实", "required")
    );
    assert_eq!(
        errors(&penalty_issues(&[("处罚机关", " \u{3000}")])),
        one("处罚机关", "required")
    );
}

#[test]
fn length_limits_count_characters() {
    let long = "某".repeat(201);
    assert_eq!(
        errors(&penalty_issues(&[("行政相对人名称", &long)])),
        one("行政相对人名称", "too_long")
    );
    let fits = "某".repeat(200);
    assert!(errors(&penalty_issues(&[("行政相对人名称", &fits)])).is_empty());
}

#[test]
fn uscc_is_checked_and_normalised() {
    assert_eq!(
        errors(&penalty_issues(&[(
            "统一社会信用代码",
            "91140400MA0000001A"
        )])),
        one("统一社会信用代码", "invalid_uscc")
    );
    assert_eq!(
        errors(&penalty_issues(&[(
            "统一社会信用代码",
            "00000000000000000X"
        )])),
        one("统一社会信用代码", "invalid_uscc")
    );
    // Full-width, spaces and a zero-width space are normalised away.
    let messy = "９１１４０４００ＭＡ００\u{200B}00001m ";
    assert_eq!(
        value(
            "penalty",
            penalty(&[("统一社会信用代码", messy)]),
            "统一社会信用代码"
        )
        .unwrap(),
        ORG_CODE
    );
}

#[test]
fn accepted_uscc_exceptions_pass() {
    let odd = "91140400MA0000001A";
    let mut opts = options();
    opts.uscc_exceptions.insert(odd.to_string());
    let report = run(
        "penalty",
        &csv("penalty", &[penalty(&[("统一社会信用代码", odd)])]),
        &opts,
    );
    assert_eq!(report.invalid, 0, "{:?}", report.issues);
}

#[test]
fn id_numbers_are_checked_when_the_type_is_身份证() {
    assert_eq!(
        errors(&licence_issues(&[("证件号码", "110105194912310021")])),
        one("证件号码", "invalid_id_number")
    );
    // Lower-case x is upper-cased.
    assert_eq!(
        value(
            "licensing",
            licence_for_person(&[("证件号码", "11010519491231002x")]),
            "证件号码"
        ),
        Some("11010519491231002X".into())
    );
    // A passport number is not checked as an ID number.
    assert!(errors(&licence_issues(&[
        ("证件类型", "护照号"),
        ("证件号码", "E12345678")
    ]))
    .is_empty());
    // Free text after 其他-.
    assert!(errors(&licence_issues(&[
        ("证件类型", "其他-军官证"),
        ("证件号码", "军字123")
    ]))
    .is_empty());
    assert_eq!(
        errors(&licence_issues(&[("证件类型", "驾驶证")])),
        one("证件类型", "invalid_code")
    );
}

#[test]
fn other_codes_have_their_check_digits() {
    assert!(errors(&penalty_issues(&[("组织机构代码", "79013765-X")])).is_empty());
    assert_eq!(
        errors(&penalty_issues(&[("组织机构代码", "79013765-1")])),
        one("组织机构代码", "invalid_org_code")
    );
    assert!(errors(&penalty_issues(&[("工商注册号", "310115600985533")])).is_empty());
    assert_eq!(
        errors(&penalty_issues(&[("工商注册号", "310115600985534")])),
        one("工商注册号", "invalid_reg_no")
    );
    assert_eq!(
        errors(&penalty_issues(&[("税务登记号", "1234")])),
        one("税务登记号", "invalid_tax_no")
    );
    assert_eq!(
        errors(&penalty_issues(&[("事业单位证书号", "12345")])),
        one("事业单位证书号", "invalid_code")
    );
    assert!(errors(&penalty_issues(&[("事业单位证书号", "123456789012")])).is_empty());
}

#[test]
fn dates_in_every_spelling_are_echoed_normalised() {
    for text in [
        "2025-03-18",
        "2025/3/18",
        "2025.3.18",
        "2025年3月18日",
        "20250318",
        "2025-03-18 09:30",
        "２０２５年３月１８日",
    ] {
        assert_eq!(
            value(
                "penalty",
                penalty(&[("处罚决定日期", text)]),
                "处罚决定日期"
            ),
            Some("2025-03-18".into()),
            "{text}"
        );
    }
}

#[test]
fn bad_dates_are_errors() {
    assert_eq!(
        errors(&penalty_issues(&[("处罚决定日期", "25-3-18")])),
        one("处罚决定日期", "two_digit_year")
    );
    assert_eq!(
        errors(&penalty_issues(&[("处罚决定日期", "2025-02-30")])),
        one("处罚决定日期", "invalid_date")
    );
    assert_eq!(
        errors(&penalty_issues(&[("处罚决定日期", "1948-12-31")])),
        one("处罚决定日期", "date_out_of_range")
    );
    assert_eq!(
        errors(&penalty_issues(&[
            ("处罚决定日期", "2026-12-05"),
            ("处罚有效期", "2027-12-05")
        ])),
        one("处罚决定日期", "date_in_future")
    );
    // The day of the upload itself is allowed.
    assert!(errors(&penalty_issues(&[
        ("处罚决定日期", "2026-12-04"),
        ("处罚有效期", "2027-12-04")
    ]))
    .is_empty());
}

#[test]
fn date_order_rules() {
    assert_eq!(
        errors(&penalty_issues(&[("处罚有效期", "2025-03-17")])),
        one("处罚有效期", "date_order")
    );
    assert_eq!(
        errors(&penalty_issues(&[("公示截止期", "2025-01-01")])),
        one("公示截止期", "date_order")
    );
    assert_eq!(
        errors(&licence_issues(&[("有效期至", "2025-05-31")])),
        one("有效期至", "date_order")
    );
}

#[test]
fn 长期_means_no_end() {
    assert_eq!(
        value(
            "licensing",
            licence_for_person(&[("有效期至", "长期")]),
            "有效期至"
        ),
        Some("2099-12-31".into())
    );
    assert_eq!(
        value("penalty", penalty(&[("处罚有效期", "长期")]), "处罚有效期"),
        Some("2099-12-31".into())
    );
    // Not in a start-date column.
    assert_eq!(
        errors(&licence_issues(&[("有效期自", "长期")])),
        one("有效期自", "invalid_date")
    );
}

#[test]
fn amounts_are_decimal_strings() {
    assert_eq!(
        value(
            "penalty",
            penalty(&[("罚款金额(万元)", "1,200.50")]),
            "罚款金额(万元)"
        ),
        Some("1200.5".into())
    );
    assert_eq!(
        value(
            "penalty",
            penalty(&[("罚款金额(万元)", "0.1234567")]),
            "罚款金额(万元)"
        ),
        Some("0.123457".into())
    );
    assert_eq!(
        errors(&penalty_issues(&[("罚款金额(万元)", "五千")])),
        one("罚款金额(万元)", "invalid_amount")
    );
    assert_eq!(
        errors(&penalty_issues(&[("罚款金额(万元)", "-1")])),
        one("罚款金额(万元)", "negative_amount")
    );
}

#[test]
fn a_yuan_figure_in_a_万元_column_is_a_warning() {
    let issues = penalty_issues(&[("罚款金额(万元)", "50000")]);
    assert!(errors(&issues).is_empty());
    assert_eq!(
        warnings(&issues),
        one("罚款金额(万元)", "amount_suspicious")
    );
    assert!(warnings(&penalty_issues(&[("罚款金额(万元)", "9999.99")])).is_empty());
}

#[test]
fn 罚款_needs_a_positive_amount() {
    assert_eq!(
        errors(&penalty_issues(&[("罚款金额(万元)", "")])),
        one("罚款金额(万元)", "required")
    );
    assert_eq!(
        errors(&penalty_issues(&[("罚款金额(万元)", "0")])),
        one("罚款金额(万元)", "amount_not_positive")
    );
    assert!(errors(&penalty_issues(&[
        ("处罚类别", "警告"),
        ("罚款金额(万元)", "")
    ]))
    .is_empty());
}

#[test]
fn 没收_暂扣_吊销_need_their_fields() {
    let field = "没收违法所得、没收非法财物的金额(万元)";
    assert_eq!(
        errors(&penalty_issues(&[("处罚类别", "警告;没收违法所得")])),
        one(field, "required")
    );
    assert!(errors(&penalty_issues(&[
        ("处罚类别", "警告;没收违法所得"),
        (field, "3")
    ]))
    .is_empty());
    assert_eq!(
        errors(&penalty_issues(&[("处罚类别", "吊销许可证件")])),
        one("暂扣或吊销证照名称及编号", "required")
    );
}

#[test]
fn penalty_kinds_are_multi_valued_with_old_synonyms() {
    let kinds = |text: &str| {
        value(
            "penalty",
            penalty(&[
                ("处罚类别", text),
                ("没收违法所得、没收非法财物的金额(万元)", "1"),
                ("暂扣或吊销证照名称及编号", "食品经营许可证 JY1"),
            ]),
            "处罚类别",
        )
    };
    assert_eq!(kinds("警告、罚款"), Some("警告;罚款".into()));
    assert_eq!(kinds("警告；罚款，警告"), Some("警告;罚款".into()));
    assert_eq!(
        kinds("罚款;没收违法所得、没收非法财物"),
        Some("罚款;没收违法所得;没收非法财物".into())
    );
    assert_eq!(
        kinds("罚款;暂扣或者吊销许可证、暂扣或者吊销执照"),
        Some("罚款;暂扣许可证件;吊销许可证件".into())
    );
    assert_eq!(
        kinds("罚款;其他-责令改正"),
        Some("罚款;其他-责令改正".into())
    );
    assert_eq!(
        errors(&penalty_issues(&[("处罚类别", "罚款;批评")])),
        one("处罚类别", "invalid_code")
    );
}

#[test]
fn code_lists_accept_synonyms_and_defaults() {
    assert_eq!(
        value(
            "penalty",
            penalty(&[("行政相对人类别", "法人")]),
            "行政相对人类别"
        ),
        Some("法人及非法人组织".into())
    );
    assert_eq!(
        value("licensing", licence_for_person(&[]), "当前状态"),
        Some("0".into())
    );
    assert_eq!(
        value(
            "licensing",
            licence_for_person(&[("当前状态", "正常")]),
            "当前状态"
        ),
        Some("0".into())
    );
    assert_eq!(
        value(
            "licensing",
            licence_for_person(&[("许可类别", "其他-备案")]),
            "许可类别"
        ),
        Some("其他-备案".into())
    );
    assert_eq!(
        errors(&licence_issues(&[("当前状态", "9")])),
        one("当前状态", "invalid_code")
    );
}

#[test]
fn the_subject_category_matrix() {
    // Organisations: code and representative required, ID fields empty, no 92 prefix.
    assert_eq!(
        errors(&penalty_issues(&[("统一社会信用代码", "")])),
        one("统一社会信用代码", "required")
    );
    assert_eq!(
        errors(&penalty_issues(&[("法定代表人", "")])),
        one("法定代表人", "required")
    );
    assert_eq!(
        errors(&penalty_issues(&[
            ("证件类型", "身份证"),
            ("证件号码", "11010519491231002X")
        ])),
        vec![
            ("证件类型".to_string(), "must_be_empty"),
            ("证件号码".to_string(), "must_be_empty")
        ]
    );
    let sole = "92140400MA0000001J";
    assert_eq!(
        errors(&penalty_issues(&[("统一社会信用代码", sole)])),
        one("统一社会信用代码", "code_prefix")
    );
    // 个体工商户: a code not starting with 92 is only a warning.
    let issues = penalty_issues(&[("行政相对人类别", "个体工商户")]);
    assert!(errors(&issues).is_empty());
    assert_eq!(warnings(&issues), one("统一社会信用代码", "code_prefix"));
    assert!(
        penalty_issues(&[("行政相对人类别", "个体工商户"), ("统一社会信用代码", sole)]).is_empty()
    );
    // 自然人: ID fields required, organisation codes and representative empty.
    assert_eq!(
        errors(&licence_issues(&[("证件号码", "")])),
        one("证件号码", "required")
    );
    assert_eq!(
        errors(&licence_issues(&[("统一社会信用代码", ORG_CODE)])),
        one("统一社会信用代码", "must_be_empty")
    );
    assert_eq!(
        errors(&licence_issues(&[("法定代表人", "张某某")])),
        one("法定代表人", "must_be_empty")
    );
}

#[test]
fn representative_id_needs_its_type() {
    let org = |changes: &[(&str, &str)]| {
        let mut row = penalty(changes);
        row.insert("法定代表人证件号码".into(), "11010519491231002X".into());
        errors(&run("penalty", &csv("penalty", &[row]), &options()).issues)
    };
    assert_eq!(org(&[]), one("法定代表人证件类型", "required"));
    assert!(org(&[("法定代表人证件类型", "身份证")]).is_empty());
}

#[test]
fn rows_must_come_from_the_uploader_unit() {
    let mut opts = options();
    opts.uploader_code = Some("11140400PF0B26Q50G".into());
    assert_eq!(
        run("penalty", &csv("penalty", &[penalty(&[])]), &opts).invalid,
        0
    );
    opts.uploader_code = Some("91110000101623741K".into());
    let report = run("penalty", &csv("penalty", &[penalty(&[])]), &opts);
    assert_eq!(
        errors(&report.issues),
        one("数据来源单位统一社会信用代码", "not_uploader_unit")
    );
}

#[test]
fn a_repeated_natural_key_is_an_error_on_the_later_row() {
    let first = penalty(&[]);
    let same_with_other_brackets = penalty(&[
        ("行政处罚决定书文号", "长市监罚[2025]1号"),
        ("处罚内容", "改过的内容"),
    ]);
    let other = penalty(&[("行政处罚决定书文号", "长市监罚〔2025〕2号")]);
    let report = run(
        "penalty",
        &csv("penalty", &[first, other, same_with_other_brackets]),
        &options(),
    );
    assert_eq!((report.valid, report.invalid), (2, 1));
    assert_eq!(report.issues.len(), 1);
    assert_eq!(
        (report.issues[0].row, report.issues[0].code),
        (4, "duplicate_key")
    );
    assert!(report.issues[0].message.contains("第 2 行"));
}

#[test]
fn unknown_columns_are_warnings_and_columns_may_come_in_any_order() {
    let owned = template_labels("penalty");
    let mut labels: Vec<&str> = owned.iter().map(String::as_str).collect();
    labels.reverse();
    let row = penalty(&[]);
    let mut out = csv_writer();
    let mut header = vec!["序号"];
    header.extend(&labels);
    out.write_record(&header).unwrap();
    let mut record = vec!["1"];
    record.extend(
        labels
            .iter()
            .map(|l| row.get(*l).map(String::as_str).unwrap_or("")),
    );
    out.write_record(&record).unwrap();
    let report = run("penalty", &out.into_inner().unwrap(), &options());
    assert_eq!((report.valid, report.invalid), (1, 0));
    assert_eq!(warnings(&report.issues), one("序号", "unknown_column"));
}

#[test]
fn a_missing_mandatory_column_fails_the_file_naming_it() {
    let text = "行政相对人名称,行政相对人类别,统一社会信用代码\n某某,法人,91140400MA0000001M\n";
    let catalog = Catalog::builtin();
    let err = check_bytes(
        catalog.get("penalty").unwrap(),
        "t.csv",
        text.as_bytes(),
        &options(),
    )
    .unwrap_err();
    assert!(matches!(err, FileError::MissingColumns(_)), "{err}");
    assert!(err.to_string().contains("行政处罚决定书文号"));
}

#[test]
fn an_old_template_is_recognised() {
    let text = "行政相对人名称,行政相对人类别,统一社会信用代码,处罚名称,处罚事由\n某某,法人,91140400MA0000001M,x,y\n";
    let catalog = Catalog::builtin();
    let err = check_bytes(
        catalog.get("penalty").unwrap(),
        "t.csv",
        text.as_bytes(),
        &options(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "obsolete_template", "{err}");
}

#[test]
fn a_file_for_another_dataset_has_no_matching_header() {
    let text = "甲,乙,丙\n1,2,3\n";
    let catalog = Catalog::builtin();
    let err = check_bytes(
        catalog.get("penalty").unwrap(),
        "t.csv",
        text.as_bytes(),
        &options(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "header_not_found");
}

/// Writes a one-row penalty workbook with typed cells.
fn penalty_xlsx(write: impl Fn(&mut rust_xlsxwriter::Worksheet, &[&str])) -> Vec<u8> {
    let labels = template_labels("penalty");
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let row = penalty(&[]);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, label) in labels.iter().enumerate() {
        sheet.write_string(0, c as u16, *label).unwrap();
        if let Some(v) = row.get(*label) {
            sheet.write_string(1, c as u16, v).unwrap();
        }
    }
    write(sheet, &labels);
    book.save_to_buffer().unwrap()
}

fn col(labels: &[&str], label: &str) -> u16 {
    labels.iter().position(|l| *l == label).unwrap() as u16
}

#[test]
fn an_18_digit_number_cell_is_damaged_and_a_15_digit_one_is_an_integer() {
    let bytes = penalty_xlsx(|sheet, labels| {
        sheet
            .write_number(1, col(labels, "统一社会信用代码"), 9.114e17)
            .unwrap();
        sheet
            .write_number(1, col(labels, "工商注册号"), 310115600985533.0)
            .unwrap();
    });
    let report = run("penalty", &bytes, &options());
    assert_eq!(
        errors(&report.issues),
        one("统一社会信用代码", "number_damaged")
    );
    assert!(report.issues[0].message.contains("文本"));
    let record = &report.records.as_ref().unwrap()[0];
    assert_eq!(
        report.values_map(record).get("工商注册号"),
        Some(&"310115600985533".to_string())
    );
}

#[test]
fn amount_cells_lose_their_float_noise_and_dates_read_as_cells_and_serials() {
    let bytes = penalty_xlsx(|sheet, labels| {
        sheet
            .write_number(1, col(labels, "罚款金额(万元)"), 7.000_000_000_000_001)
            .unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 3, 18).unwrap();
        let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        sheet
            .write_datetime_with_format(1, col(labels, "处罚决定日期"), &date, &format)
            .unwrap();
        sheet
            .write_number(1, col(labels, "处罚有效期"), 46099.0)
            .unwrap();
    });
    let report = run("penalty", &bytes, &options());
    assert_eq!(report.invalid, 0, "{:?}", report.issues);
    let values = report.values_map(&report.records.as_ref().unwrap()[0]);
    assert_eq!(values["罚款金额(万元)"], "7");
    assert_eq!(values["处罚决定日期"], "2025-03-18");
    assert_eq!(values["处罚有效期"], "2026-03-18");
}

#[test]
fn a_title_row_and_marked_headers_are_found() {
    let labels = template_labels("penalty");
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let row = penalty(&[]);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .merge_range(
            0,
            0,
            0,
            10,
            "某某局行政处罚信息",
            &rust_xlsxwriter::Format::new(),
        )
        .unwrap();
    for (c, label) in labels.iter().enumerate() {
        let header = if c % 2 == 0 {
            format!("{label}（必填）")
        } else {
            format!(" {label}\n")
        };
        sheet
            .write_string(2, c as u16, header.replace('(', "（").replace(')', "）"))
            .unwrap();
        if let Some(v) = row.get(*label) {
            sheet.write_string(3, c as u16, v).unwrap();
        }
    }
    let report = run("penalty", &book.save_to_buffer().unwrap(), &options());
    assert_eq!(report.header_row, 3);
    assert_eq!((report.rows, report.invalid), (1, 0), "{:?}", report.issues);
    assert_eq!(report.records.as_ref().unwrap()[0].row, 4);
}
