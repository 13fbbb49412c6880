//! How a field is described to people: its requirement and its format, in the words the
//! template notes, the instructions sheet and the field documentation page share.

use xycz_domain::catalog::Requirement;
use xycz_domain::{Dataset, Field, FieldKind};

/// 必填 / 条件必填 / 选填.
pub fn requirement_text(field: &Field) -> &'static str {
    match field.required {
        Requirement::Mandatory => "必填",
        Requirement::Conditional => "条件必填",
        Requirement::Optional => "选填",
    }
}

/// The header text written into the template: the label, with （必填） on mandatory fields.
pub fn header_text(field: &Field) -> String {
    if field.required == Requirement::Mandatory {
        format!("{}（必填）", field.label)
    } else {
        field.label.clone()
    }
}

/// The allowed values of a code-list field, as people see them (`0 正常`).
pub fn code_values(dataset: &Dataset, field: &Field) -> Vec<String> {
    dataset
        .codelist(field)
        .map(|list| list.values.iter().map(|v| v.display()).collect())
        .unwrap_or_default()
}

/// A one-line description of the field's format.
pub fn format_text(dataset: &Dataset, field: &Field) -> String {
    let text = match field.kind {
        FieldKind::Text => match field.max_len {
            Some(n) => format!("文本，不超过 {n} 个字"),
            None => "文本".to_string(),
        },
        FieldKind::Uscc => "18 位统一社会信用代码（文本格式）".to_string(),
        FieldKind::IdNumber => "18 位居民身份证号码（文本格式）".to_string(),
        FieldKind::OrgCode => "9 位组织机构代码，如 79013765-X（文本格式）".to_string(),
        FieldKind::RegNo => "15 位工商注册号（文本格式）".to_string(),
        FieldKind::Code => "证件号码或其他代码（文本格式）".to_string(),
        FieldKind::TaxNo => "15、17、18 或 20 位字母或数字（文本格式）".to_string(),
        FieldKind::Digits => {
            let lengths: Vec<String> = field.lengths.iter().map(|n| n.to_string()).collect();
            format!("{} 位数字（文本格式）", lengths.join("、"))
        }
        FieldKind::Date if field.allow_forever => {
            "日期，如 2024-03-01；长期有效的填 2099-12-31 或“长期”".to_string()
        }
        FieldKind::Date => "日期，如 2024-03-01".to_string(),
        FieldKind::Amount => match field.scale {
            Some(scale) => format!("数字，最多 {scale} 位小数"),
            None => "数字".to_string(),
        },
        FieldKind::Year => "四位年份，如 2024".to_string(),
        FieldKind::Enum => format!("从下列值中选择：{}", code_list_text(dataset, field)),
        FieldKind::MultiEnum => format!(
            "可填多个，用分号隔开，取值：{}",
            code_list_text(dataset, field)
        ),
    };
    if field.kind == FieldKind::Text || field.kind.is_code() {
        return text;
    }
    match (&field.default, field.kind) {
        (Some(default), _) => format!("{text}；不填视为 {default}"),
        _ => text,
    }
}

fn code_list_text(dataset: &Dataset, field: &Field) -> String {
    let mut text = code_values(dataset, field).join("、");
    if let Some(prefix) = dataset
        .codelist(field)
        .and_then(|l| l.other_prefix.as_deref())
    {
        text.push_str(&format!("，或“{prefix}说明”"));
    }
    text
}

/// Whether the template column is written as text (`@`), so that Excel keeps codes whole.
pub fn is_text_column(field: &Field) -> bool {
    !matches!(
        field.kind,
        FieldKind::Date | FieldKind::Amount | FieldKind::Year
    )
}
