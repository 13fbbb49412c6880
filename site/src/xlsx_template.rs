//! The Excel template of a dataset, generated from its definition: the header in template
//! order with （必填） marks and a note on each cell, drop-down lists for code lists, code
//! columns as text, date columns with a date format, the header frozen, and an instructions
//! sheet. The same definition drives the checker, so a filled template validates.

use anyhow::{Context, Result};
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DocProperties, ExcelDateTime, Format, FormatAlign,
    FormatBorder, Note, Workbook, Worksheet,
};
use sha2::{Digest, Sha256};
use xycz_domain::catalog::Requirement;
use xycz_domain::{Dataset, Field, FieldKind};

use crate::fields;

/// The instructions sheet's name.
pub const INSTRUCTIONS_SHEET: &str = "填写说明";
/// Rows that carry the column formats and drop-down lists (Excel's last row).
const LAST_ROW: u32 = 1_048_575;
/// Excel limits an inline list to 255 characters.
const INLINE_LIST_LIMIT: usize = 255;
/// Characters of the content hash kept in the file name.
const HASH_CHARS: usize = 8;

/// A generated template.
#[derive(Debug, Clone)]
pub struct Template {
    pub dataset: String,
    pub title: String,
    /// `penalty-3fa9c2d1.xlsx`: the name changes whenever the content does.
    pub file_name: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// Generates the template of one dataset. The output is the same for the same definition.
pub fn generate(dataset: &Dataset) -> Result<Template> {
    let bytes = workbook_bytes(dataset, &[])
        .with_context(|| format!("cannot generate the template of `{}`", dataset.id))?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    Ok(Template {
        dataset: dataset.id.clone(),
        title: dataset.title.clone(),
        file_name: format!("{}-{}.xlsx", dataset.id, &sha256[..HASH_CHARS]),
        sha256,
        bytes,
    })
}

/// The template with data rows below the header (each row's cells in template order).
pub fn workbook_bytes(dataset: &Dataset, rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2024, 1, 1)?;
    let properties = DocProperties::new()
        .set_title(format!("{}数据上报模板", dataset.title))
        .set_creation_datetime(&created);
    workbook.set_properties(&properties);

    let sheet = workbook.add_worksheet();
    sheet.set_name(&dataset.title)?;
    write_data_sheet(sheet, dataset, rows)?;

    let help = workbook.add_worksheet();
    help.set_name(INSTRUCTIONS_SHEET)?;
    write_instructions(help, dataset)?;

    Ok(workbook.save_to_buffer()?)
}

fn write_data_sheet(sheet: &mut Worksheet, dataset: &Dataset, rows: &[Vec<String>]) -> Result<()> {
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color(0xDDEBF7);
    let mandatory_header = header.clone().set_font_color(0xC00000);
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("yyyy-mm-dd");

    for (col, field) in dataset.template_fields().enumerate() {
        let col = u16::try_from(col).context("too many fields")?;
        let format = if field.required == Requirement::Mandatory {
            &mandatory_header
        } else {
            &header
        };
        sheet.write_string_with_format(0, col, fields::header_text(field), format)?;
        sheet.insert_note(0, col, &header_note(dataset, field))?;
        sheet.set_column_width(col, column_width(field))?;

        if field.kind == FieldKind::Date {
            sheet.set_column_format(col, &date)?;
        } else if fields::is_text_column(field) {
            sheet.set_column_format(col, &text)?;
        }
        if let Some(validation) = drop_down(dataset, field)? {
            sheet.add_data_validation(1, col, LAST_ROW, col, &validation)?;
        }
    }
    sheet.set_row_height(0, 36)?;
    sheet.set_freeze_panes(1, 0)?;

    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).context("too many rows")?;
        for (col, value) in row.iter().enumerate() {
            if !value.is_empty() {
                let col = u16::try_from(col).context("too many fields")?;
                sheet.write_string_with_format(r, col, value, &text)?;
            }
        }
    }
    Ok(())
}

fn header_note(dataset: &Dataset, field: &Field) -> Note {
    let mut text = format!(
        "{}（{}）\n格式：{}",
        field.label,
        fields::requirement_text(field),
        fields::format_text(dataset, field)
    );
    if !field.help.is_empty() {
        text.push('\n');
        text.push_str(&field.help);
    }
    Note::new(text)
        .add_author_prefix(false)
        .set_width(300)
        .set_height(160)
}

fn column_width(field: &Field) -> f64 {
    let chars = fields::header_text(field).chars().count() as f64;
    (chars * 2.2 + 2.0).clamp(12.0, 40.0)
}

/// A drop-down list for a code-list field. Lists that also take free text (`其他-…`) or several
/// values warn instead of refusing other input.
fn drop_down(dataset: &Dataset, field: &Field) -> Result<Option<DataValidation>> {
    if !matches!(field.kind, FieldKind::Enum | FieldKind::MultiEnum) {
        return Ok(None);
    }
    let values = fields::code_values(dataset, field);
    let inline_len: usize = values.iter().map(|v| v.chars().count() + 1).sum();
    if values.is_empty() || inline_len > INLINE_LIST_LIMIT {
        return Ok(None);
    }

    let open = field.kind == FieldKind::MultiEnum
        || dataset
            .codelist(field)
            .is_some_and(|l| l.other_prefix.is_some());
    let mut validation = DataValidation::new()
        .allow_list_strings(&values)?
        .ignore_blank(true)
        .set_input_title(truncate(&field.label, 32))?
        .set_input_message(truncate(&fields::format_text(dataset, field), 255))?;
    if open {
        validation = validation
            .set_error_style(DataValidationErrorStyle::Information)
            .set_error_message("不在列表中的值请按填写说明书写。")?;
    } else {
        validation = validation.set_error_message("请从下拉列表中选择。")?;
    }
    Ok(Some(validation))
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn write_instructions(sheet: &mut Worksheet, dataset: &Dataset) -> Result<()> {
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold().set_border(FormatBorder::Thin);
    let cell = Format::new().set_text_wrap().set_border(FormatBorder::Thin);

    sheet.write_string_with_format(
        0,
        0,
        format!("{}数据上报模板填写说明", dataset.title),
        &title,
    )?;
    let notes = [
        "1. 在第一个工作表中从第 2 行开始逐行填写，每行一条记录；不要修改、删除或移动表头。",
        "2. 标有“（必填）”的列必须填写；“条件必填”的列在满足说明中的条件时必须填写。",
        "3. 统一社会信用代码、证件号码等代码列已设为文本格式，请勿改成数字格式，否则长代码会被截断。",
        "4. 日期请填写为 2024-03-01 的形式；有下拉箭头的列请从列表中选择。",
        "5. 每次上报前请从平台重新下载模板，旧模板可能无法通过校验。",
    ];
    let mut row = 1;
    for note in notes {
        sheet.write_string(row, 0, note)?;
        row += 1;
    }
    if !dataset.description.is_empty() {
        sheet.write_string(row, 0, &dataset.description)?;
        row += 1;
    }

    row += 1;
    for (col, heading) in ["列", "字段", "要求", "格式", "说明"].iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *heading, &bold)?;
    }
    for (i, field) in dataset.template_fields().enumerate() {
        row += 1;
        sheet.write_string_with_format(row, 0, xycz_domain::check::column_name(i), &cell)?;
        sheet.write_string_with_format(row, 1, &field.label, &cell)?;
        sheet.write_string_with_format(row, 2, fields::requirement_text(field), &cell)?;
        sheet.write_string_with_format(row, 3, fields::format_text(dataset, field), &cell)?;
        sheet.write_string_with_format(row, 4, &field.help, &cell)?;
    }
    sheet.set_column_width(0, 6)?;
    sheet.set_column_width(1, 30)?;
    sheet.set_column_width(2, 10)?;
    sheet.set_column_width(3, 50)?;
    sheet.set_column_width(4, 60)?;
    Ok(())
}
