//! The checker: finds the sheet and header row, maps columns to fields, normalises every cell
//! and applies the dataset's rules, row by row.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use chrono::NaiveDate;

use crate::catalog::{CodeList, Dataset, Field, FieldKind, Requirement, Rule};
use crate::checkdigit::{self, CodeFault};
use crate::error::FileError;
use crate::reader::{self, Cell, Limits, Row, Rows, Workbook};
use crate::report::{CheckedRecord, Issue, Report, Severity};
use crate::{amount, dates, normalize};

/// How many rows from the top are searched for the header.
const HEADER_SEARCH_ROWS: usize = 30;

/// Excel keeps 15 significant digits: a number cell at or above this in a code column has lost
/// digits that no reader can recover.
const DAMAGED_NUMBER: f64 = 1e15;

/// Options of one check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The day of the upload: dates after it are errors where the rule says so.
    pub today: NaiveDate,
    /// The uploader's unit code: rows naming another unit as the source are errors.
    pub uploader_code: Option<String>,
    /// 统一社会信用代码 that fail the check yet are real (administrator-managed).
    pub uscc_exceptions: HashSet<String>,
    pub limits: Limits,
    /// Keep the normalised records in the report.
    pub keep_records: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            today: chrono::Local::now().date_naive(),
            uploader_code: None,
            uscc_exceptions: HashSet::new(),
            limits: Limits::default(),
            keep_records: false,
        }
    }
}

/// Checks a file's bytes against a dataset. A parser panic is contained and reported as a
/// file-level failure of this check only.
pub fn check_bytes(
    dataset: &Dataset,
    file_name: &str,
    bytes: &[u8],
    options: &CheckOptions,
) -> Result<Report, FileError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        check_inner(dataset, file_name, bytes, options)
    }));
    match outcome {
        Ok(result) => result,
        Err(panic) => {
            let text = panic_text(panic.as_ref());
            tracing::error!(file = file_name, panic = %text, "parser panicked");
            Err(FileError::ParserPanic(text))
        }
    }
}

fn check_inner(
    dataset: &Dataset,
    file_name: &str,
    bytes: &[u8],
    options: &CheckOptions,
) -> Result<Report, FileError> {
    let mut workbook = reader::open(bytes, options.limits)?;
    let found = find_sheet(dataset, &mut workbook)?;

    let mut checker = RowChecker::new(dataset, options, &found.columns, workbook.is_1904);
    let mut report = Report {
        dataset: dataset.id.clone(),
        file: file_name.to_string(),
        format: workbook.format,
        encoding: workbook.encoding,
        sheet: found.sheet.clone(),
        header_row: found.header_row,
        rows: 0,
        valid: 0,
        invalid: 0,
        warnings: 0,
        issues: found.warnings,
        labels: dataset.fields.iter().map(|f| f.label.clone()).collect(),
        records: options.keep_records.then(Vec::new),
    };

    let rows = workbook.rows(&found.sheet)?;
    let header_row = found.header_row;
    read_in_background(rows, |row| {
        if row.number <= header_row {
            return;
        }
        let record = checker.check_row(&row, &mut report.issues, options.keep_records);
        report.rows += 1;
        if record.valid {
            report.valid += 1;
        } else {
            report.invalid += 1;
        }
        if let Some(records) = &mut report.records {
            records.push(record);
        }
    })?;

    if report.rows == 0 {
        return Err(FileError::NoRows);
    }
    report.warnings = report
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Warning)
        .count();
    Ok(report)
}

/// Rows travel from the reading thread to the checking one in batches of this many.
const BATCH_ROWS: usize = 256;

/// Reads the rows on a second thread while `check` runs on this one: parsing the file and
/// checking its rows take about the same time, so a two-core machine (or a Lambda function
/// with two vCPUs) finishes in about half the time. The channel is bounded, so memory stays
/// flat; a panic in the reader is contained like any parser panic.
fn read_in_background<'b>(
    mut rows: Box<dyn Rows<'b> + Send + 'b>,
    mut check: impl FnMut(Row<'b>),
) -> Result<(), FileError> {
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Row<'b>>>(4);
        let reader = scope.spawn(move || -> Result<(), FileError> {
            let mut batch = Vec::with_capacity(BATCH_ROWS);
            while let Some(row) = rows.next_row()? {
                batch.push(row);
                if batch.len() == BATCH_ROWS {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
                    if sender.send(full).is_err() {
                        return Ok(());
                    }
                }
            }
            if !batch.is_empty() {
                let _ = sender.send(batch);
            }
            Ok(())
        });
        for batch in receiver {
            batch.into_iter().for_each(&mut check);
        }
        match reader.join() {
            Ok(result) => result,
            Err(panic) => Err(FileError::ParserPanic(panic_text(panic.as_ref()))),
        }
    })
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The sheet and header that were found, with warnings about the file's layout.
struct FoundSheet {
    sheet: String,
    header_row: u32,
    /// Field index → column index.
    columns: Vec<Option<usize>>,
    warnings: Vec<Issue>,
}

/// Finds the first visible sheet whose header matches the dataset; hidden sheets that hold data
/// are mentioned as warnings.
fn find_sheet(dataset: &Dataset, workbook: &mut Workbook) -> Result<FoundSheet, FileError> {
    let index = dataset.header_index();
    let sheets = workbook.sheets.clone();
    let mut best_failure: Option<FileError> = None;
    let mut found: Option<FoundSheet> = None;

    for sheet in sheets.iter().filter(|s| s.visible) {
        let mut rows = workbook.rows(&sheet.name)?;
        match find_header(dataset, &index, rows.as_mut())? {
            HeaderSearch::Found(row, cells) => {
                drop(rows);
                match map_columns(dataset, &index, &sheet.name, row, &cells) {
                    Ok(f) => {
                        found = Some(f);
                        break;
                    }
                    Err(e) => best_failure = best_failure.or(Some(e)),
                }
            }
            HeaderSearch::NotFound => {}
        }
    }

    let Some(mut found) = found else {
        return Err(best_failure.unwrap_or_else(|| no_header(dataset)));
    };
    for sheet in sheets.iter().filter(|s| !s.visible) {
        if workbook.sheet_has_data(&sheet.name) {
            found.warnings.push(Issue {
                row: 0,
                field: String::new(),
                severity: Severity::Warning,
                code: "hidden_sheet",
                message: format!(
                    "隐藏的工作表“{}”中有数据，这些数据不会被导入；只检查工作表“{}”。",
                    sheet.name, found.sheet
                ),
                value: sheet.name.clone(),
            });
        }
    }
    Ok(found)
}

fn no_header(dataset: &Dataset) -> FileError {
    let expected = dataset
        .fields
        .iter()
        .filter(|f| f.required == Requirement::Mandatory)
        .take(4)
        .map(|f| f.label.as_str())
        .collect::<Vec<_>>()
        .join("、");
    FileError::NoHeader {
        dataset: dataset.title.clone(),
        expected,
    }
}

enum HeaderSearch {
    Found(u32, Vec<String>),
    NotFound,
}

/// The header is the row among the first rows that matches the most field labels.
fn find_header(
    dataset: &Dataset,
    index: &HashMap<String, usize>,
    rows: &mut dyn Rows<'_>,
) -> Result<HeaderSearch, FileError> {
    let needed = 3.min(dataset.fields.len());
    let mut best: Option<(usize, Row<'_>)> = None;
    for _ in 0..HEADER_SEARCH_ROWS {
        let Some(row) = rows.next_row()? else { break };
        let matched: HashSet<usize> = row
            .cells
            .iter()
            .filter_map(|c| match c {
                Cell::Text(t) => match_header(index, t),
                _ => None,
            })
            .collect();
        if matched.len() >= needed && best.as_ref().is_none_or(|(n, _)| matched.len() > *n) {
            best = Some((matched.len(), row));
        }
    }
    Ok(match best {
        Some((_, row)) => {
            HeaderSearch::Found(row.number, row.cells.iter().map(Cell::display).collect())
        }
        None => HeaderSearch::NotFound,
    })
}

/// A header cell's field: the whole text, else the name in its last brackets
/// (`行政相对人代码_1(统一社会信用代码)`), else the text before the brackets.
fn match_header(index: &HashMap<String, usize>, text: &str) -> Option<usize> {
    let key = normalize::header_key(text);
    if key.is_empty() {
        return None;
    }
    index
        .get(&key)
        .or_else(|| normalize::bracketed(&key).and_then(|inner| index.get(inner)))
        .or_else(|| index.get(normalize::unbracketed(&key)))
        .copied()
}

fn map_columns(
    dataset: &Dataset,
    index: &HashMap<String, usize>,
    sheet: &str,
    header_row: u32,
    cells: &[String],
) -> Result<FoundSheet, FileError> {
    let mut columns = vec![None; dataset.fields.len()];
    let mut warnings = Vec::new();

    for (col, text) in cells.iter().enumerate() {
        let text = text.clone();
        if normalize::header_key(&text).is_empty() {
            continue;
        }
        match match_header(index, &text) {
            Some(field) if columns[field].is_none() => columns[field] = Some(col),
            Some(field) => warnings.push(Issue {
                row: header_row,
                field: dataset.fields[field].label.clone(),
                severity: Severity::Warning,
                code: "duplicate_column",
                message: format!(
                    "第 {} 列与前面的列重复（都是“{}”），只读取第一列。",
                    column_name(col),
                    dataset.fields[field].label
                ),
                value: text,
            }),
            None => warnings.push(Issue {
                row: header_row,
                field: normalize::text(&text),
                severity: Severity::Warning,
                code: "unknown_column",
                message: format!(
                    "第 {} 列“{}”不是模板中的列，已忽略。",
                    column_name(col),
                    text.trim()
                ),
                value: text,
            }),
        }
    }

    let missing: Vec<&str> = dataset
        .fields
        .iter()
        .zip(&columns)
        .filter(|(f, c)| f.required == Requirement::Mandatory && c.is_none())
        .map(|(f, _)| f.label.as_str())
        .collect();
    if !missing.is_empty() {
        let missing = missing.join("、");
        let obsolete = cells.iter().find(|text| {
            let key = normalize::header_key(text);
            dataset
                .obsolete_headers
                .iter()
                .any(|o| normalize::header_key(o) == key)
        });
        return Err(match obsolete {
            Some(old) => FileError::ObsoleteTemplate(old.clone(), missing),
            None => FileError::MissingColumns(missing),
        });
    }

    Ok(FoundSheet {
        sheet: sheet.to_string(),
        header_row,
        columns,
        warnings,
    })
}

/// `A`, `B`, ..., `AA` for a zero-based column index.
pub fn column_name(mut col: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// A field's value in one row after normalisation.
#[derive(Debug, Clone, PartialEq)]
enum Value<'v> {
    Blank,
    /// Borrowed from the cell when normalising changed nothing.
    Ok(Cow<'v, str>),
    /// Filled but unreadable; an error was already reported.
    Bad,
}

impl Value<'_> {
    fn filled(&self) -> bool {
        !matches!(self, Value::Blank)
    }

    fn text(&self) -> Option<&str> {
        match self {
            Value::Ok(s) => Some(s.as_ref()),
            _ => None,
        }
    }
}

/// Checks rows one by one; remembers natural keys to find repeats inside the file.
struct RowChecker<'a> {
    dataset: &'a Dataset,
    options: &'a CheckOptions,
    columns: &'a [Option<usize>],
    is_1904: bool,
    seen_keys: HashMap<String, u32>,
    key_fields: KeyFields,
    /// Field label → index, so that rules find their fields without a scan.
    positions: HashMap<&'a str, usize>,
    /// Code list name → every accepted spelling (normalised) → stored value.
    spellings: HashMap<&'a str, HashMap<String, String>>,
}

struct KeyFields {
    document: usize,
    subject: Vec<usize>,
    date: usize,
}

impl<'a> RowChecker<'a> {
    fn new(
        dataset: &'a Dataset,
        options: &'a CheckOptions,
        columns: &'a [Option<usize>],
        is_1904: bool,
    ) -> Self {
        let positions: HashMap<&str, usize> = dataset
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.label.as_str(), i))
            .collect();
        let position = |label: &str| positions.get(label).copied().unwrap_or_default();
        let key_fields = KeyFields {
            document: position(&dataset.key.document),
            subject: dataset.key.subject.iter().map(|l| position(l)).collect(),
            date: position(&dataset.key.date),
        };
        Self {
            dataset,
            options,
            columns,
            is_1904,
            seen_keys: HashMap::new(),
            key_fields,
            spellings: dataset
                .codelists
                .iter()
                .map(|(name, list)| (name.as_str(), spellings(list)))
                .collect(),
            positions,
        }
    }

    fn index(&self, label: &str) -> usize {
        self.positions.get(label).copied().unwrap_or_default()
    }

    fn check_row(&mut self, row: &Row, issues: &mut Vec<Issue>, keep: bool) -> CheckedRecord {
        let fields = &self.dataset.fields;
        let first_issue = issues.len();
        let cells: Vec<&Cell> = self
            .columns
            .iter()
            .map(|c| c.and_then(|c| row.cells.get(c)).unwrap_or(&Cell::Empty))
            .collect();
        let mut sink = Sink {
            row: row.number,
            issues,
            cells: &cells,
        };

        let mut values: Vec<Value> = fields
            .iter()
            .zip(&cells)
            .enumerate()
            .map(|(i, (field, cell))| self.read_value(field, cell, i, &mut sink))
            .collect();

        for (i, field) in fields.iter().enumerate() {
            if field.required == Requirement::Mandatory && !values[i].filled() {
                sink.error(i, field, "required", "必填项为空。".into());
            }
        }
        for rule in &self.dataset.rules {
            self.apply_rule(rule, &mut values, &mut sink);
        }
        self.check_uploader(&values, &mut sink);

        let natural_key = self.natural_key(&values);
        let has_error = sink.issues[first_issue..]
            .iter()
            .any(|i| i.severity == Severity::Error);
        if !has_error {
            if let Some(first) = self.seen_keys.get(&natural_key) {
                let d = self.key_fields.document;
                let message = format!(
                    "与第 {first} 行重复（文书号、主体标识和决定日期都相同），本行不导入。"
                );
                sink.error(d, &fields[d], "duplicate_key", message);
            } else {
                self.seen_keys.insert(natural_key.clone(), row.number);
            }
        }

        let valid = !sink.issues[first_issue..]
            .iter()
            .any(|i| i.severity == Severity::Error);
        CheckedRecord {
            row: row.number,
            valid,
            values: if keep {
                values
                    .into_iter()
                    .map(|v| match v {
                        Value::Ok(s) => Some(s.into_owned()),
                        _ => None,
                    })
                    .collect()
            } else {
                Vec::new()
            },
            original: if valid {
                Vec::new()
            } else {
                cells.iter().map(|c| c.display()).collect()
            },
            natural_key,
        }
    }

    /// Reads one cell as the field's type; reports what is wrong with it.
    fn read_value<'v>(
        &self,
        field: &Field,
        cell: &'v Cell<'_>,
        i: usize,
        sink: &mut Sink,
    ) -> Value<'v> {
        if cell.is_blank() {
            return match &field.default {
                Some(default) => Value::Ok(Cow::Owned(default.clone())),
                None => Value::Blank,
            };
        }
        if let Cell::Error(e) = cell {
            let message = format!("单元格是公式错误值 {e}，请填写实际内容。");
            sink.error(i, field, "cell_error", message);
            return Value::Bad;
        }

        let result = match field.kind {
            FieldKind::Date => self.read_date(field, cell).map(Cow::Owned),
            FieldKind::Amount => read_amount(field, cell).map(Cow::Owned),
            kind if kind.is_code() || kind == FieldKind::Year => read_code(field, cell),
            FieldKind::Enum | FieldKind::MultiEnum => {
                let list = self.dataset.codelist(field);
                let spellings = field
                    .codelist
                    .as_deref()
                    .and_then(|n| self.spellings.get(n));
                read_enum(field, list, spellings, &text_of(cell)).map(Cow::Owned)
            }
            _ => Ok(text_of(cell)),
        };
        let value = match result {
            Ok(v) => v,
            Err((code, message)) => {
                sink.error(i, field, code, message);
                return Value::Bad;
            }
        };
        if value.is_empty() {
            return Value::Blank;
        }

        if let Some(max) = field.max_len {
            let len = value.chars().count();
            if len > max {
                let message = format!("内容过长：{len} 个字，最多 {max} 个字。");
                sink.error(i, field, "too_long", message);
                return Value::Bad;
            }
        }
        if let Err((code, message)) = self.check_kind(field.kind, field, &value) {
            sink.error(i, field, code, message);
            return Value::Bad;
        }
        if let (Some(limit), FieldKind::Amount) = (field.warn_at_least, field.kind) {
            if amount::value(&value) >= limit {
                let message = format!(
                    "金额 {value} 万元过大（不少于 {limit} 万元），是否把“元”填进了“万元”列？请核对。"
                );
                sink.warning(i, field, "amount_suspicious", message);
            }
        }
        Value::Ok(value)
    }

    fn read_date(&self, field: &Field, cell: &Cell) -> Result<String, (&'static str, String)> {
        let parsed = match cell {
            Cell::Date(d) => dates::in_range(*d),
            Cell::Int(n) => dates::from_serial(*n as f64, self.is_1904),
            Cell::Float(f) => dates::from_serial(*f, self.is_1904),
            Cell::Text(t) => {
                if field.allow_forever && normalize::text(t) == dates::FOREVER_TEXT {
                    Ok(dates::forever())
                } else {
                    dates::from_text(t)
                }
            }
            _ => Err(dates::DateFault::Unreadable),
        };
        let date = parsed.map_err(|fault| match fault {
            dates::DateFault::TwoDigitYear => (
                "two_digit_year",
                "年份只写了两位，请写完整的四位年份，如 2025-03-18。".to_string(),
            ),
            dates::DateFault::OutOfRange => (
                "date_out_of_range",
                "日期超出范围：应在 1949-01-01 至 2099-12-31 之间。".to_string(),
            ),
            dates::DateFault::Unreadable => (
                "invalid_date",
                "不是有效的日期。请写成 2025-03-18、2025/3/18 或 2025年3月18日 的形式。"
                    .to_string(),
            ),
        })?;
        if field.not_after_upload && date > self.options.today {
            return Err((
                "date_in_future",
                format!(
                    "日期 {} 晚于上报当天（{}），请核对。",
                    date.format("%Y-%m-%d"),
                    self.options.today.format("%Y-%m-%d")
                ),
            ));
        }
        Ok(date.format("%Y-%m-%d").to_string())
    }

    /// Type checks that depend on the kind (also used by `check_as` rules).
    fn check_kind(
        &self,
        kind: FieldKind,
        field: &Field,
        value: &str,
    ) -> Result<(), (&'static str, String)> {
        let fault = match kind {
            FieldKind::Uscc if self.options.uscc_exceptions.contains(value) => Ok(()),
            FieldKind::Uscc => checkdigit::uscc(value),
            FieldKind::IdNumber => checkdigit::id_number(value, self.options.today),
            FieldKind::OrgCode => checkdigit::org_code(value),
            FieldKind::RegNo => checkdigit::reg_no(value),
            FieldKind::TaxNo => checkdigit::tax_no(value),
            FieldKind::Digits => {
                if !value.bytes().all(|b| b.is_ascii_digit()) {
                    Err(CodeFault::Characters)
                } else if !field.lengths.contains(&value.len()) {
                    Err(CodeFault::Length)
                } else {
                    Ok(())
                }
            }
            FieldKind::Year => {
                return match value.parse::<u32>() {
                    Ok(1949..=2099) if value.len() == 4 => Ok(()),
                    _ => Err(("invalid_year", "年度应为四位数字，如 2025。".to_string())),
                }
            }
            _ => Ok(()),
        };
        fault.map_err(|f| code_fault_message(kind, field, f))
    }

    fn apply_rule(&self, rule: &Rule, values: &mut [Value], sink: &mut Sink) {
        let fields = &self.dataset.fields;
        let index = |label: &str| self.index(label);
        match rule.kind.as_str() {
            "when" => {
                let Some(label) = &rule.field else { return };
                let subject = &values[index(label)];
                let holds = if !rule.equals.is_empty() {
                    subject
                        .text()
                        .is_some_and(|v| rule.equals.iter().any(|e| e == v))
                } else if let Some(part) = &rule.contains {
                    subject.text().is_some_and(|v| v.contains(part.as_str()))
                } else {
                    subject.filled()
                };
                if !holds {
                    return;
                }
                let condition = condition_text(rule, label);
                for target in &rule.required {
                    let i = index(target);
                    if !values[i].filled() {
                        let message = format!("{condition}时必须填写。");
                        sink.error(i, &fields[i], "required", message);
                    }
                }
                for target in &rule.empty {
                    let i = index(target);
                    if values[i].filled() {
                        let message = format!("{condition}时应为空。");
                        sink.error(i, &fields[i], "must_be_empty", message);
                        values[i] = Value::Bad;
                    }
                }
                for target in &rule.positive {
                    let i = index(target);
                    if values[i].text().is_some_and(|v| amount::value(v) <= 0.0) {
                        let message = format!("{condition}时金额必须大于 0。");
                        sink.error(i, &fields[i], "amount_not_positive", message);
                        values[i] = Value::Bad;
                    }
                }
                for (target, kind) in &rule.check_as {
                    let i = index(target);
                    if let Some(v) = values[i].text() {
                        if let Err((code, message)) = self.check_kind(*kind, &fields[i], v) {
                            sink.error(i, &fields[i], code, message);
                            values[i] = Value::Bad;
                        }
                    }
                }
                if let Some(p) = &rule.must_not_start_with {
                    let i = index(&p.field);
                    if values[i].text().is_some_and(|v| v.starts_with(&p.prefix)) {
                        let message = format!(
                            "{condition}时，代码不应以 {} 开头（{} 开头的是个体工商户）。",
                            p.prefix, p.prefix
                        );
                        sink.error(i, &fields[i], "code_prefix", message);
                        values[i] = Value::Bad;
                    }
                }
                if let Some(p) = &rule.should_start_with {
                    let i = index(&p.field);
                    if values[i].text().is_some_and(|v| !v.starts_with(&p.prefix)) {
                        let message =
                            format!("{condition}时，代码通常以 {} 开头，请核对。", p.prefix);
                        sink.warning(i, &fields[i], "code_prefix", message);
                    }
                }
            }
            "not_before" => {
                let (Some(a), Some(b)) = (&rule.field, &rule.other) else {
                    return;
                };
                let (ia, ib) = (index(a), index(b));
                if let (Some(later), Some(earlier)) = (values[ia].text(), values[ib].text()) {
                    // Normalised dates compare as text.
                    if later < earlier {
                        let message = format!("{a}（{later}）早于{b}（{earlier}）。");
                        sink.error(ia, &fields[ia], "date_order", message);
                        values[ia] = Value::Bad;
                    }
                }
            }
            "any_required" if rule.fields.iter().all(|l| !values[index(l)].filled()) => {
                let i = index(&rule.fields[0]);
                let message = format!("{} 至少填写一项。", rule.fields.join("、"));
                sink.error(i, &fields[i], "required", message);
            }
            _ => {}
        }
    }

    fn check_uploader(&self, values: &[Value], sink: &mut Sink) {
        let (Some(label), Some(uploader)) = (
            &self.dataset.uploader_code_field,
            &self.options.uploader_code,
        ) else {
            return;
        };
        let i = self.index(label);
        if let Some(v) = values[i].text() {
            if v != uploader {
                let message = format!(
                    "数据来源单位代码 {v} 不是本单位（{uploader}）的代码，只能上报本单位的数据。"
                );
                let fields = &self.dataset.fields;
                sink.error(i, &fields[i], "not_uploader_unit", message);
            }
        }
    }

    /// Document number key, subject identifier and decision date.
    fn natural_key(&self, values: &[Value]) -> String {
        let k = &self.key_fields;
        let document = values[k.document]
            .text()
            .map(normalize::document_key)
            .unwrap_or_default();
        let subject = k
            .subject
            .iter()
            .find_map(|i| values[*i].text())
            .unwrap_or_default();
        let date = values[k.date].text().unwrap_or_default();
        format!("{document}|{}|{date}", normalize::code(subject))
    }
}

fn condition_text(rule: &Rule, label: &str) -> String {
    if !rule.equals.is_empty() {
        format!("{label}为“{}”", rule.equals.join("/"))
    } else if let Some(part) = &rule.contains {
        format!("{label}含“{part}”")
    } else {
        format!("填写了{label}")
    }
}

/// Collects a row's issues.
struct Sink<'a> {
    row: u32,
    issues: &'a mut Vec<Issue>,
    cells: &'a [&'a Cell<'a>],
}

impl Sink<'_> {
    fn error(&mut self, i: usize, field: &Field, code: &'static str, message: String) {
        self.push(i, field, Severity::Error, code, message);
    }

    fn warning(&mut self, i: usize, field: &Field, code: &'static str, message: String) {
        self.push(i, field, Severity::Warning, code, message);
    }

    fn push(
        &mut self,
        i: usize,
        field: &Field,
        severity: Severity,
        code: &'static str,
        message: String,
    ) {
        self.issues.push(Issue {
            row: self.row,
            field: field.label.clone(),
            severity,
            code,
            message,
            value: self.cells.get(i).map(|c| c.display()).unwrap_or_default(),
        });
    }
}

/// A text cell's normalised text; numbers written as a person would.
fn text_of<'v>(cell: &'v Cell<'_>) -> Cow<'v, str> {
    match cell {
        Cell::Text(s) => normalize::text_cow(s),
        Cell::Float(f) if f.fract() == 0.0 && f.abs() < DAMAGED_NUMBER => {
            Cow::Owned(format!("{}", *f as i64))
        }
        other => Cow::Owned(other.display()),
    }
}

fn read_code<'v>(
    field: &Field,
    cell: &'v Cell<'_>,
) -> Result<Cow<'v, str>, (&'static str, String)> {
    match cell {
        Cell::Float(f) if f.abs() >= DAMAGED_NUMBER || f.fract() != 0.0 => Err((
            "number_damaged",
            format!(
                "该单元格是数字格式，Excel 只保留 15 位有效数字，{}已被截断、无法恢复。请把这一列设置为“文本”格式后重新输入。",
                field.label
            ),
        )),
        Cell::Float(f) => Ok(Cow::Owned(format!("{}", *f as i64))),
        Cell::Int(i) => Ok(Cow::Owned(i.to_string())),
        Cell::Text(s) => Ok(normalize::code_cow(s)),
        other => Ok(Cow::Owned(normalize::code(&other.display()))),
    }
}

fn read_amount(field: &Field, cell: &Cell) -> Result<String, (&'static str, String)> {
    let scale = field.scale.unwrap_or(2);
    let result = match cell {
        Cell::Float(f) => amount::from_number(*f, scale),
        Cell::Int(i) => amount::from_number(*i as f64, scale),
        Cell::Text(s) => amount::from_text(s, scale),
        _ => Err(amount::AmountFault::Unreadable),
    };
    result.map_err(|fault| match fault {
        amount::AmountFault::Negative => ("negative_amount", "金额不能为负数。".to_string()),
        amount::AmountFault::Unreadable => (
            "invalid_amount",
            "不是有效的金额，请只填写数字（如 0.5），不要带单位或文字。".to_string(),
        ),
    })
}

/// Every accepted spelling of a code list (value, name, `value name`, synonyms and old
/// combined names), normalised, mapped to the stored value.
fn spellings(list: &CodeList) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for v in &list.values {
        let mut names = vec![v.value.clone(), v.display()];
        names.extend(v.label.iter().cloned());
        names.extend(v.synonyms.iter().cloned());
        for name in names {
            map.insert(normalize::text(&name), v.value.clone());
        }
    }
    for (old, values) in &list.combined {
        map.insert(normalize::text(old), values.clone());
    }
    map
}

/// Matches a code list value (or several, for multi-valued fields), by any accepted spelling
/// or as free text after the list's `其他-` prefix.
fn read_enum(
    field: &Field,
    list: Option<&CodeList>,
    spellings: Option<&HashMap<String, String>>,
    text: &str,
) -> Result<String, (&'static str, String)> {
    let (Some(list), Some(spellings)) = (list, spellings) else {
        return Ok(text.to_string());
    };
    let invalid = || {
        let allowed = list
            .values
            .iter()
            .map(|v| v.display())
            .collect::<Vec<_>>()
            .join("、");
        let other = list
            .other_prefix
            .as_ref()
            .map(|p| format!("，或以“{p}”开头的说明"))
            .unwrap_or_default();
        (
            "invalid_code",
            format!("“{text}”不在可选值中。可选值：{allowed}{other}。"),
        )
    };
    let lookup = |part: &str| -> Option<String> {
        if let Some(value) = spellings.get(part.trim()) {
            return Some(value.clone());
        }
        let prefix = normalize::text(list.other_prefix.as_deref()?);
        let part = part.trim();
        (part.starts_with(&prefix) && part.len() > prefix.len()).then(|| part.to_string())
    };

    if let Some(whole) = lookup(text) {
        return Ok(whole);
    }
    if field.kind == FieldKind::Enum || list.separators.is_empty() {
        return Err(invalid());
    }

    let mut parts: Vec<String> = Vec::new();
    let pieces = text.split(|c: char| list.separators.iter().any(|s| s.starts_with(c)));
    for part in pieces.map(str::trim).filter(|p| !p.is_empty()) {
        let matched = lookup(part).ok_or_else(invalid)?;
        for value in matched.split(';') {
            if !parts.iter().any(|p| p == value) {
                parts.push(value.to_string());
            }
        }
    }
    if parts.is_empty() {
        return Err(invalid());
    }
    Ok(parts.join(";"))
}

fn code_fault_message(kind: FieldKind, field: &Field, fault: CodeFault) -> (&'static str, String) {
    let (code, what) = match kind {
        FieldKind::Uscc => ("invalid_uscc", "统一社会信用代码"),
        FieldKind::IdNumber => ("invalid_id_number", "身份证号码"),
        FieldKind::OrgCode => ("invalid_org_code", "组织机构代码"),
        FieldKind::RegNo => ("invalid_reg_no", "工商注册号"),
        FieldKind::TaxNo => ("invalid_tax_no", "税务登记号"),
        _ => ("invalid_code", field.label.as_str()),
    };
    let detail = match (kind, fault) {
        (_, CodeFault::Placeholder) => "00000000000000000X 是占位符，不是真实代码".to_string(),
        (FieldKind::Uscc, CodeFault::Length) => "应为 18 位".to_string(),
        (FieldKind::IdNumber, CodeFault::Length) => "应为 18 位".to_string(),
        (FieldKind::OrgCode, CodeFault::Length) => "应为 9 位（8 位本体加 1 位校验码）".to_string(),
        (FieldKind::RegNo, CodeFault::Length) => "应为 15 位数字".to_string(),
        (FieldKind::TaxNo, CodeFault::Length) => "应为 15、17、18 或 20 位".to_string(),
        (FieldKind::Digits, CodeFault::Length) => format!(
            "应为 {} 位数字",
            field
                .lengths
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join("或")
        ),
        (FieldKind::Uscc, CodeFault::Characters) => {
            "含有不允许的字符（只能是数字和除 I、O、S、V、Z 以外的大写字母）".to_string()
        }
        (_, CodeFault::Characters) => "含有不允许的字符".to_string(),
        (_, CodeFault::CheckDigit) => "校验位不正确，请核对是否抄错".to_string(),
        (_, CodeFault::BirthDate) => "其中的出生日期不存在或晚于今天".to_string(),
        (_, CodeFault::Length) => "长度不正确".to_string(),
    };
    (code, format!("{what}{detail}。"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }
}
