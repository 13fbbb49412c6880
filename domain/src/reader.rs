//! Reading upload files: sniffing what a file really is, bounding what it may cost, and
//! turning its sheets into rows of cells.
//!
//! `.xlsx` is streamed cell by cell so that memory stays flat on large files; `.xls` and
//! `.ods` are read through calamine's ranges; CSV is decoded (UTF-8 with or without BOM,
//! UTF-16 with BOM, otherwise GB18030) and split with the csv crate.

use std::borrow::Cow;
use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use calamine::{Data, DataRef, Ods, Reader, SheetVisible, Xls, XlsOptions, Xlsx};
use chrono::NaiveDate;
use serde::Serialize;

use crate::error::FileError;

/// What one check may cost. Defaults fit a Lambda function with 1 GB of memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_file_bytes: usize,
    /// Sum of the inflated sizes of a zip container's entries.
    pub max_inflated_bytes: u64,
    pub max_zip_entries: usize,
    pub max_rows: usize,
    pub max_cells: usize,
    pub max_duration: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 30 * 1024 * 1024,
            max_inflated_bytes: 400 * 1024 * 1024,
            max_zip_entries: 2_000,
            max_rows: 200_000,
            max_cells: 4_000_000,
            max_duration: Duration::from_secs(120),
        }
    }
}

impl Limits {
    /// The defaults, each overridable by an environment variable: `XYCZ_LIMIT_FILE_MB`,
    /// `XYCZ_LIMIT_INFLATED_MB`, `XYCZ_LIMIT_ROWS`, `XYCZ_LIMIT_CELLS`, `XYCZ_LIMIT_SECONDS`.
    /// A value that is not a number is ignored with a warning.
    pub fn from_env() -> Self {
        fn var(name: &str) -> Option<u64> {
            let raw = std::env::var(name).ok()?;
            let parsed = raw.trim().parse().ok();
            if parsed.is_none() {
                tracing::warn!(name, value = %raw, "ignoring a limit that is not a number");
            }
            parsed
        }
        const MB: u64 = 1024 * 1024;
        let d = Self::default();
        Self {
            max_file_bytes: var("XYCZ_LIMIT_FILE_MB")
                .map_or(d.max_file_bytes, |v| (v * MB) as usize),
            max_inflated_bytes: var("XYCZ_LIMIT_INFLATED_MB")
                .map_or(d.max_inflated_bytes, |v| v * MB),
            max_zip_entries: d.max_zip_entries,
            max_rows: var("XYCZ_LIMIT_ROWS").map_or(d.max_rows, |v| v as usize),
            max_cells: var("XYCZ_LIMIT_CELLS").map_or(d.max_cells, |v| v as usize),
            max_duration: var("XYCZ_LIMIT_SECONDS").map_or(d.max_duration, Duration::from_secs),
        }
    }
}

/// The file formats the checker reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Xls,
    Ods,
    Csv,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Self::Xlsx => "xlsx",
            Self::Xls => "xls",
            Self::Ods => "ods",
            Self::Csv => "csv",
        }
    }
}

/// One cell as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Empty,
    /// Borrowed from the workbook's shared strings where it can be.
    Text(Cow<'a, str>),
    Int(i64),
    Float(f64),
    /// A date cell (the file's own date system already applied).
    Date(NaiveDate),
    Bool(bool),
    /// An Excel error value such as `#N/A`.
    Error(String),
}

impl Cell<'_> {
    pub fn is_blank(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Text(s) => crate::normalize::is_blank(s),
            _ => false,
        }
    }

    /// The cell as a user would read it, for reports.
    pub fn display(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(s) => s.to_string(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => format!("{f}"),
            Self::Date(d) => d.format("%Y-%m-%d").to_string(),
            Self::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Self::Error(e) => e.clone(),
        }
    }
}

/// A non-empty row: its number as a spreadsheet shows it (1-based) and its cells from column A.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub number: u32,
    pub cells: Vec<Cell<'a>>,
}

impl Row<'_> {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

/// A sheet of an opened file.
#[derive(Debug, Clone)]
pub struct SheetInfo {
    pub name: String,
    pub visible: bool,
}

/// Something that yields rows one at a time.
pub trait Rows<'a> {
    fn next_row(&mut self) -> Result<Option<Row<'a>>, FileError>;
}

/// An opened file, ready to give the rows of any of its sheets.
pub struct Workbook<'a> {
    pub format: Format,
    /// For CSV: the encoding that was detected.
    pub encoding: Option<&'static str>,
    /// Whether number cells in date columns count from 1904.
    pub is_1904: bool,
    pub sheets: Vec<SheetInfo>,
    inner: Inner<'a>,
    budget: Budget,
}

enum Inner<'a> {
    Xlsx(Box<Xlsx<Cursor<&'a [u8]>>>),
    Xls(Box<Xls<Cursor<&'a [u8]>>>),
    Ods(Box<Ods<Cursor<&'a [u8]>>>),
    Csv { text: String, delimiter: u8 },
}

/// The running limits of one check: rows, cells and time.
#[derive(Debug, Clone, Copy)]
struct Budget {
    limits: Limits,
    started: Instant,
}

impl Budget {
    fn check_time(&self) -> Result<(), FileError> {
        if self.started.elapsed() > self.limits.max_duration {
            return Err(FileError::TooSlow(self.limits.max_duration.as_secs()));
        }
        Ok(())
    }
}

/// Counts rows and cells of one sheet against the budget.
struct Counter {
    budget: Budget,
    rows: usize,
    cells: usize,
}

impl Counter {
    fn new(budget: Budget) -> Self {
        Self {
            budget,
            rows: 0,
            cells: 0,
        }
    }

    fn row(&mut self, cells: usize) -> Result<(), FileError> {
        self.rows += 1;
        self.cells += cells;
        if self.rows > self.budget.limits.max_rows {
            return Err(FileError::TooManyRows(self.budget.limits.max_rows));
        }
        if self.cells > self.budget.limits.max_cells {
            return Err(FileError::TooManyCells(self.budget.limits.max_cells));
        }
        if self.rows.is_multiple_of(1024) {
            self.budget.check_time()?;
        }
        Ok(())
    }
}

/// What the first bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Cfb,
    Zip,
    Html,
    Xml2003,
    Xml,
    Pdf,
    Text,
    Binary,
}

/// Sniffs the content, not the name.
pub fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Sniffed::Cfb;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Sniffed::Zip;
    }
    if bytes.starts_with(b"%PDF") {
        return Sniffed::Pdf;
    }

    let head = &bytes[..bytes.len().min(4096)];
    let head_text = String::from_utf8_lossy(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head));
    let trimmed = head_text.trim_start();
    if trimmed.starts_with('<') {
        let lower = trimmed.to_ascii_lowercase();
        if lower.contains("urn:schemas-microsoft-com:office:spreadsheet") {
            return Sniffed::Xml2003;
        }
        if lower.contains("<html") || lower.contains("<table") || lower.starts_with("<!doctype") {
            return Sniffed::Html;
        }
        return Sniffed::Xml;
    }

    let control = head
        .iter()
        .filter(|b| **b < 0x09 || (**b > 0x0D && **b < 0x20 && **b != 0x1B))
        .count();
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if utf16 || control * 20 <= head.len() {
        Sniffed::Text
    } else {
        Sniffed::Binary
    }
}

/// Opens a file's bytes within the limits.
pub fn open(bytes: &[u8], limits: Limits) -> Result<Workbook<'_>, FileError> {
    let budget = Budget {
        limits,
        started: Instant::now(),
    };
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.len() > limits.max_file_bytes {
        return Err(FileError::TooLarge(limits.max_file_bytes));
    }

    match sniff(bytes) {
        Sniffed::Cfb => open_xls(bytes, budget),
        Sniffed::Zip => open_zip(bytes, budget),
        Sniffed::Text => open_csv(bytes, budget),
        Sniffed::Html => Err(FileError::Html),
        Sniffed::Xml2003 => Err(FileError::Xml2003),
        Sniffed::Xml => Err(FileError::UnknownFormat("XML 文件".into())),
        Sniffed::Pdf => Err(FileError::UnknownFormat("PDF 文件".into())),
        Sniffed::Binary => Err(FileError::UnknownFormat("无法识别的二进制文件".into())),
    }
}

fn open_xls(bytes: &[u8], budget: Budget) -> Result<Workbook<'_>, FileError> {
    if xls_sheet_area(bytes) > budget.limits.max_cells as u64 {
        return Err(FileError::TooManyCells(budget.limits.max_cells));
    }
    let xls = Xls::new_with_options(Cursor::new(bytes), XlsOptions::default()).map_err(|e| {
        let text = e.to_string();
        if text.contains("EncryptedPackage") || text.to_lowercase().contains("password") {
            FileError::Encrypted
        } else {
            FileError::Corrupt(format!("xls: {text}"))
        }
    })?;
    let sheets = sheet_infos(xls.sheets_metadata());
    let is_1904 = xls.has_1904_epoch();
    Ok(Workbook {
        format: Format::Xls,
        encoding: None,
        is_1904,
        sheets,
        inner: Inner::Xls(Box::new(xls)),
        budget,
    })
}

fn open_zip(bytes: &[u8], budget: Budget) -> Result<Workbook<'_>, FileError> {
    let names = inspect_zip(bytes, budget.limits)?;
    let has = |name: &str| names.iter().any(|n| n == name);

    if has("xl/workbook.xml") {
        let xlsx: Xlsx<_> =
            Xlsx::new(Cursor::new(bytes)).map_err(|e| FileError::Corrupt(format!("xlsx: {e}")))?;
        let sheets = sheet_infos(xlsx.sheets_metadata());
        let is_1904 = xlsx.has_1904_epoch();
        return Ok(Workbook {
            format: Format::Xlsx,
            encoding: None,
            is_1904,
            sheets,
            inner: Inner::Xlsx(Box::new(xlsx)),
            budget,
        });
    }
    if has("content.xml") && has("mimetype") {
        let cells = ods_value_cells(&read_entry(bytes, "content.xml")?);
        if cells > budget.limits.max_cells as u64 {
            return Err(FileError::TooManyCells(budget.limits.max_cells));
        }
        let ods: Ods<_> =
            Ods::new(Cursor::new(bytes)).map_err(|e| FileError::Corrupt(format!("ods: {e}")))?;
        let sheets = sheet_infos(ods.sheets_metadata());
        return Ok(Workbook {
            format: Format::Ods,
            encoding: None,
            is_1904: false,
            sheets,
            inner: Inner::Ods(Box::new(ods)),
            budget,
        });
    }
    if names.iter().any(|n| n.starts_with("word/")) {
        return Err(FileError::UnknownFormat("Word 文档".into()));
    }
    if has("xl/workbook.bin") {
        return Err(FileError::UnknownFormat(
            "Excel 二进制工作簿 (.xlsb)".into(),
        ));
    }
    Err(FileError::UnknownFormat("不是表格的压缩包".into()))
}

/// Checks a zip container before any parser sees it: the number of entries and the size each
/// really inflates to (declared sizes can lie, so the entries are inflated and counted).
fn inspect_zip(bytes: &[u8], limits: Limits) -> Result<Vec<String>, FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| FileError::Corrupt(format!("zip: {e}")))?;
    if archive.len() > limits.max_zip_entries {
        return Err(FileError::ZipBomb);
    }

    let mut names = Vec::with_capacity(archive.len());
    let mut total: u64 = 0;
    let mut sink = [0u8; 64 * 1024];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| match e {
            zip::result::ZipError::UnsupportedArchive(m) if m.contains("ncrypt") => {
                FileError::Encrypted
            }
            other => FileError::Corrupt(format!("zip: {other}")),
        })?;
        if entry.encrypted() {
            return Err(FileError::Encrypted);
        }
        names.push(entry.name().map(|n| n.into_owned()).unwrap_or_default());
        if total.saturating_add(entry.size()) > limits.max_inflated_bytes {
            return Err(FileError::ZipBomb);
        }
        loop {
            let n = entry
                .read(&mut sink)
                .map_err(|e| FileError::Corrupt(format!("zip: {e}")))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limits.max_inflated_bytes {
                return Err(FileError::ZipBomb);
            }
        }
    }
    Ok(names)
}

/// BIFF record types that carry a cell (row and column in their first four bytes).
const XLS_CELL_RECORDS: [u16; 9] = [
    0x0203, 0x027E, 0x00FD, 0x0204, 0x0201, 0x0006, 0x0205, 0x00BD, 0x00BE,
];
const XLS_BOF: u16 = 0x0809;

/// The cells an `.xls` file's sheets span, rows times columns from the first to the furthest
/// cell: the reader builds that rectangle in memory, so two cells in opposite corners cost as
/// much as a full sheet. Counted from the BIFF records before any reader runs; 0 when the file
/// is not a readable workbook (the reader then reports what is wrong).
fn xls_sheet_area(bytes: &[u8]) -> u64 {
    let Ok(mut compound) = cfb::CompoundFile::open(Cursor::new(bytes)) else {
        return 0;
    };
    let stream = ["/Workbook", "/Book"]
        .into_iter()
        .find(|name| compound.is_stream(name));
    let Some(mut stream) = stream.and_then(|name| compound.open_stream(name).ok()) else {
        return 0;
    };
    let mut data = Vec::new();
    if stream.read_to_end(&mut data).is_err() {
        return 0;
    }

    let mut total: u64 = 0;
    let (mut max_row, mut max_col): (Option<u64>, u64) = (None, 0);
    let mut finish = |max_row: &mut Option<u64>, max_col: &mut u64| {
        if let Some(rows) = max_row.take() {
            total = total.saturating_add((rows + 1).saturating_mul(*max_col + 1));
        }
        *max_col = 0;
    };
    let mut at = 0;
    while at + 4 <= data.len() {
        let kind = u16::from_le_bytes([data[at], data[at + 1]]);
        let len = usize::from(u16::from_le_bytes([data[at + 2], data[at + 3]]));
        let body = &data[at + 4..(at + 4 + len).min(data.len())];
        if kind == XLS_BOF {
            finish(&mut max_row, &mut max_col);
        } else if XLS_CELL_RECORDS.contains(&kind) && body.len() >= 4 {
            let row = u64::from(u16::from_le_bytes([body[0], body[1]]));
            let mut col = u64::from(u16::from_le_bytes([body[2], body[3]]));
            if matches!(kind, 0x00BD | 0x00BE) && body.len() >= 6 {
                let last = &body[body.len() - 2..];
                col = col.max(u64::from(u16::from_le_bytes([last[0], last[1]])));
            }
            max_row = Some(max_row.unwrap_or(0).max(row));
            max_col = max_col.max(col);
        }
        at += 4 + len;
    }
    finish(&mut max_row, &mut max_col);
    total
}

/// One entry of a zip that [`inspect_zip`] has already bounded.
fn read_entry(bytes: &[u8], name: &str) -> Result<Vec<u8>, FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| FileError::Corrupt(format!("zip: {e}")))?;
    let mut entry = archive
        .by_name(name)
        .map_err(|e| FileError::Corrupt(format!("zip: {e}")))?;
    let mut out = Vec::new();
    entry
        .read_to_end(&mut out)
        .map_err(|e| FileError::Corrupt(format!("zip: {e}")))?;
    Ok(out)
}

/// How many cells with a value an ODS sheet expands to. ODS compresses repeats
/// (`number-rows-repeated`, `number-columns-repeated`): a few bytes can stand for billions of
/// cells, which a reader would build in memory. Empty repeated cells (trailing blank columns and
/// rows that office suites write) cost nothing and are not counted.
fn ods_value_cells(content: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(content);
    let mut total: u64 = 0;
    for row in text.split("<table:table-row").skip(1) {
        let row = row.split("</table:table-row>").next().unwrap_or_default();
        let tag_end = row.find('>').unwrap_or(row.len());
        let rows = repeat_count(&row[..tag_end], "table:number-rows-repeated");
        let mut cells: u64 = 0;
        for cell in row.split("table-cell").skip(1) {
            let tag = &cell[..cell.find('>').unwrap_or(cell.len())];
            if tag.contains("office:value-type") || tag.contains("calcext:value-type") {
                cells = cells.saturating_add(repeat_count(tag, "table:number-columns-repeated"));
            }
        }
        total = total.saturating_add(rows.saturating_mul(cells));
    }
    total
}

fn repeat_count(tag: &str, attribute: &str) -> u64 {
    tag.find(attribute)
        .and_then(|at| tag[at + attribute.len()..].split('"').nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

fn open_csv(bytes: &[u8], budget: Budget) -> Result<Workbook<'_>, FileError> {
    let (text, encoding) = decode_text(bytes);
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if !first_line.contains(',') && first_line.contains('\t') {
        b'\t'
    } else {
        b','
    };
    Ok(Workbook {
        format: Format::Csv,
        encoding: Some(encoding),
        is_1904: false,
        sheets: vec![SheetInfo {
            name: String::new(),
            visible: true,
        }],
        inner: Inner::Csv { text, delimiter },
        budget,
    })
}

/// Decodes a text file: a BOM decides; else valid UTF-8 is UTF-8; else GB18030 (what Chinese
/// Windows Excel writes, a superset of GBK).
pub fn decode_text(bytes: &[u8]) -> (String, &'static str) {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        let name = match encoding.name() {
            "UTF-8" => "UTF-8 (BOM)",
            "UTF-16LE" => "UTF-16LE",
            _ => "UTF-16BE",
        };
        return (text.into_owned(), name);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::GB18030.decode(bytes);
            (text.into_owned(), "GB18030")
        }
    }
}

fn sheet_infos(sheets: &[calamine::Sheet]) -> Vec<SheetInfo> {
    sheets
        .iter()
        .filter(|s| s.typ == calamine::SheetType::WorkSheet)
        .map(|s| SheetInfo {
            name: s.name.clone(),
            visible: s.visible == SheetVisible::Visible,
        })
        .collect()
}

impl<'data> Workbook<'data> {
    /// The rows of the named sheet, one at a time, blank rows skipped.
    pub fn rows<'b>(&'b mut self, sheet: &str) -> Result<Box<dyn Rows<'b> + Send + 'b>, FileError> {
        let counter = Counter::new(self.budget);
        match &mut self.inner {
            Inner::Xlsx(xlsx) => {
                let reader = xlsx
                    .worksheet_cells_reader(sheet)
                    .map_err(|e| FileError::Corrupt(format!("xlsx: {e}")))?;
                Ok(Box::new(XlsxRows {
                    reader,
                    pending: None,
                    counter,
                    done: false,
                    width: 0,
                }))
            }
            Inner::Xls(xls) => {
                let range = xls
                    .worksheet_range(sheet)
                    .map_err(|e| FileError::Corrupt(format!("xls: {e}")))?;
                RangeRows::boxed(range, counter)
            }
            Inner::Ods(ods) => {
                let range = ods
                    .worksheet_range(sheet)
                    .map_err(|e| FileError::Corrupt(format!("ods: {e}")))?;
                RangeRows::boxed(range, counter)
            }
            Inner::Csv { text, delimiter } => {
                let reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .delimiter(*delimiter)
                    .from_reader(Cursor::new(text.as_bytes()));
                Ok(Box::new(CsvRows {
                    reader,
                    number: 0,
                    counter,
                }))
            }
        }
    }

    /// Whether a sheet holds any non-blank cell.
    pub fn sheet_has_data(&mut self, sheet: &str) -> bool {
        match self.rows(sheet) {
            Ok(mut rows) => matches!(rows.next_row(), Ok(Some(_))),
            Err(_) => false,
        }
    }
}

fn from_data_ref(value: DataRef<'_>) -> Cell<'_> {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(Cow::Owned(s)),
        DataRef::SharedString(s) => Cell::Text(Cow::Borrowed(s)),
        DataRef::Int(i) => Cell::Int(i),
        DataRef::Float(f) => Cell::Float(f),
        DataRef::Bool(b) => Cell::Bool(b),
        DataRef::DateTime(dt) => date_cell(dt),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(Cow::Owned(s)),
        DataRef::Error(e) => Cell::Error(format!("{e}")),
    }
}

fn from_data(value: &Data) -> Cell<'static> {
    match value {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(Cow::Owned(s.clone())),
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => date_cell(*dt),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(Cow::Owned(s.clone())),
        Data::Error(e) => Cell::Error(format!("{e}")),
    }
}

fn date_cell(dt: calamine::ExcelDateTime) -> Cell<'static> {
    match dt.as_datetime() {
        Some(value) if dt.is_datetime() => Cell::Date(value.date()),
        _ => Cell::Float(dt.as_f64()),
    }
}

struct XlsxRows<'b, 'data> {
    reader: calamine::XlsxCellReader<'b, Cursor<&'data [u8]>>,
    pending: Option<(u32, u32, Cell<'b>)>,
    counter: Counter,
    done: bool,
    /// The widest row so far: the next row's vector is allocated at once.
    width: usize,
}

/// The widest row the checker builds; cells further right are ignored (no template is wider).
const MAX_COLUMNS: u32 = 512;

impl<'b> Rows<'b> for XlsxRows<'b, '_> {
    fn next_row(&mut self) -> Result<Option<Row<'b>>, FileError> {
        loop {
            if self.done && self.pending.is_none() {
                return Ok(None);
            }
            let mut cells: Vec<Cell<'b>> = Vec::with_capacity(self.width);
            let mut current: Option<u32> = None;
            if let Some((r, c, cell)) = self.pending.take() {
                current = Some(r);
                place(&mut cells, c, cell);
            }
            while !self.done {
                match self.reader.next_cell() {
                    Ok(Some(cell)) => {
                        let (r, c) = cell.get_position();
                        let value = from_data_ref(cell.get_value().clone());
                        match current {
                            Some(row) if row != r => {
                                self.pending = Some((r, c, value));
                                break;
                            }
                            _ => {
                                current = Some(r);
                                place(&mut cells, c, value);
                            }
                        }
                    }
                    Ok(None) => self.done = true,
                    Err(e) => return Err(FileError::Corrupt(format!("xlsx: {e}"))),
                }
            }
            let Some(number) = current else {
                return Ok(None);
            };
            self.counter.row(cells.len())?;
            self.width = self.width.max(cells.len());
            let row = Row {
                number: number + 1,
                cells,
            };
            if !row.is_blank() {
                return Ok(Some(row));
            }
        }
    }
}

fn place<'a>(cells: &mut Vec<Cell<'a>>, column: u32, value: Cell<'a>) {
    if column >= MAX_COLUMNS || matches!(value, Cell::Empty) {
        return;
    }
    let column = column as usize;
    if cells.len() <= column {
        cells.resize(column + 1, Cell::Empty);
    }
    cells[column] = value;
}

struct RangeRows {
    rows: std::vec::IntoIter<Row<'static>>,
}

impl RangeRows {
    fn boxed<'b>(
        range: calamine::Range<Data>,
        mut counter: Counter,
    ) -> Result<Box<dyn Rows<'b> + Send + 'b>, FileError> {
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let mut rows = Vec::new();
        for (i, data) in range.rows().enumerate() {
            let mut cells = vec![Cell::Empty; first_col.min(MAX_COLUMNS) as usize];
            cells.extend(
                data.iter()
                    .take(MAX_COLUMNS.saturating_sub(first_col) as usize)
                    .map(from_data),
            );
            counter.row(cells.len())?;
            let row = Row {
                number: first_row + i as u32 + 1,
                cells,
            };
            if !row.is_blank() {
                rows.push(row);
            }
        }
        Ok(Box::new(Self {
            rows: rows.into_iter(),
        }))
    }
}

impl<'b> Rows<'b> for RangeRows {
    fn next_row(&mut self) -> Result<Option<Row<'b>>, FileError> {
        Ok(self.rows.next())
    }
}

struct CsvRows<'a> {
    reader: csv::Reader<Cursor<&'a [u8]>>,
    number: u32,
    counter: Counter,
}

impl<'b> Rows<'b> for CsvRows<'_> {
    fn next_row(&mut self) -> Result<Option<Row<'b>>, FileError> {
        let mut record = csv::StringRecord::new();
        loop {
            let more = self
                .reader
                .read_record(&mut record)
                .map_err(|e| FileError::Corrupt(format!("csv: {e}")))?;
            if !more {
                return Ok(None);
            }
            self.number += 1;
            self.counter.row(record.len())?;
            let cells: Vec<Cell<'b>> = record
                .iter()
                .take(MAX_COLUMNS as usize)
                .map(|s| {
                    if s.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(Cow::Owned(s.to_string()))
                    }
                })
                .collect();
            let row = Row {
                number: self.number,
                cells,
            };
            if !row.is_blank() {
                return Ok(Some(row));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_looks_at_content() {
        assert_eq!(sniff(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), Sniffed::Cfb);
        assert_eq!(sniff(b"PK\x03\x04rest"), Sniffed::Zip);
        assert_eq!(sniff(b"\xEF\xBB\xBF<html><table>"), Sniffed::Html);
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">"),
            Sniffed::Xml2003
        );
        assert_eq!(sniff("名称,日期\n".as_bytes()), Sniffed::Text);
        assert_eq!(sniff(b"%PDF-1.7"), Sniffed::Pdf);
        assert_eq!(
            sniff(&[0u8, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0]),
            Sniffed::Binary
        );
    }

    #[test]
    fn text_decoding_names_the_encoding() {
        let (text, enc) = decode_text("\u{FEFF}名称".as_bytes());
        assert_eq!((text.as_str(), enc), ("名称", "UTF-8 (BOM)"));
        let (text, enc) = decode_text("名称".as_bytes());
        assert_eq!((text.as_str(), enc), ("名称", "UTF-8"));
        let (gbk, _, _) = encoding_rs::GB18030.encode("行政相对人名称");
        let (text, enc) = decode_text(&gbk);
        assert_eq!((text.as_str(), enc), ("行政相对人名称", "GB18030"));
    }

    #[test]
    fn csv_rows_keep_their_numbers_and_skip_blank_ones() {
        let data = "a,b\n1,2\n,\n3,4\n";
        let mut wb = open(data.as_bytes(), Limits::default()).unwrap();
        let mut rows = wb.rows("").unwrap();
        let mut numbers = Vec::new();
        while let Some(row) = rows.next_row().unwrap() {
            numbers.push(row.number);
        }
        assert_eq!(numbers, [1, 2, 4]);
    }

    #[test]
    fn too_many_rows_fail_the_file() {
        let data = "a\n".repeat(50);
        let limits = Limits {
            max_rows: 10,
            ..Limits::default()
        };
        let mut wb = open(data.as_bytes(), limits).unwrap();
        let mut rows = wb.rows("").unwrap();
        let err = loop {
            match rows.next_row() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("limit not applied"),
                Err(e) => break e,
            }
        };
        assert!(matches!(err, FileError::TooManyRows(10)));
    }

    #[test]
    fn ods_repeats_are_counted_before_reading() {
        let content = r#"<table:table-row table:number-rows-repeated="6000"><table:table-cell table:number-columns-repeated="16000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
        assert_eq!(ods_value_cells(content.as_bytes()), 96_000_000);
        let plain = r#"<table:table-row><table:table-cell office:value-type="string"/><table:table-cell table:number-columns-repeated="3" office:value-type="float"/></table:table-row>"#;
        assert_eq!(ods_value_cells(plain.as_bytes()), 4);
    }

    #[test]
    fn xls_area_spans_from_the_first_to_the_furthest_cell() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let far = std::fs::read(data.join("xls_far_corner.xls")).unwrap();
        assert_eq!(xls_sheet_area(&far), 65_536 * 256);
        let normal = std::fs::read(data.join("licensing_office.xls")).unwrap();
        assert!(
            xls_sheet_area(&normal) < 20 * 40,
            "{}",
            xls_sheet_area(&normal)
        );
    }

    #[test]
    fn empty_and_oversized_files_fail() {
        assert!(matches!(
            open(b"", Limits::default()),
            Err(FileError::Empty)
        ));
        let limits = Limits {
            max_file_bytes: 4,
            ..Limits::default()
        };
        assert!(matches!(
            open(b"abcdef", limits),
            Err(FileError::TooLarge(4))
        ));
    }
}
