//! The error workbook: the invalid rows of a check in the template's layout, with an added
//! 错误原因 column, ready to be fixed and uploaded again.

use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};

use crate::catalog::Dataset;
use crate::report::Report;

/// Writes the invalid rows of `report` as an xlsx file.
pub fn invalid_rows_xlsx(dataset: &Dataset, report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(&dataset.title)?;

    let header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let reason = Format::new().set_font_color("#C00000").set_text_wrap();
    let text = Format::new().set_num_format("@");

    let fields: Vec<(usize, &crate::Field)> = dataset
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.template)
        .collect();
    for (col, (_, field)) in fields.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, &field.label, &header)?;
        sheet.set_column_width(col as u16, 16)?;
        sheet.set_column_format(col as u16, &text)?;
    }
    let reason_col = fields.len() as u16;
    sheet.write_string_with_format(0, reason_col, "错误原因", &header)?;
    sheet.set_column_width(reason_col, 60)?;
    sheet.set_column_width(reason_col + 1, 10)?;
    sheet.write_string_with_format(0, reason_col + 1, "原行号", &header)?;
    sheet.set_freeze_panes(1, 0)?;

    let invalid = report.records.iter().flatten().filter(|r| !r.valid);
    for (i, record) in invalid.enumerate() {
        let row = i as u32 + 1;
        for (col, (field_index, _)) in fields.iter().enumerate() {
            let value = record
                .original
                .get(*field_index)
                .map(String::as_str)
                .unwrap_or_default();
            sheet.write_string(row, col as u16, value)?;
        }
        sheet.write_string_with_format(row, reason_col, report.reasons(record.row), &reason)?;
        sheet.write_number(row, reason_col + 1, record.row)?;
    }
    workbook.save_to_buffer()
}
