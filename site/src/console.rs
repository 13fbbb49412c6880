//! The reporting console's pages: `templates/console/*.html` rendered to `console/*.html`
//! around the site's base layout, and `console/datasets.json`, the field definitions from
//! which the console's pages build their entry forms.

use std::collections::HashMap;

use serde::Serialize;
use xycz_domain::catalog::Requirement;
use xycz_domain::{Catalog, Dataset, Field, FieldKind};

use crate::fields;

/// The folder under `templates/` that holds the console's templates.
pub(crate) const TEMPLATE_DIR: &str = "console";

/// One dataset as the console's pages see it.
#[derive(Serialize)]
pub(crate) struct ConsoleDataset<'a> {
    id: &'a str,
    title: &'a str,
    /// `双公示` or `数据报送`: the menu the dataset belongs to.
    group: &'a str,
    description: &'a str,
    /// The Excel template's address.
    template_url: Option<&'a str>,
    fields: Vec<ConsoleField<'a>>,
}

/// One field of an entry form.
#[derive(Serialize)]
struct ConsoleField<'a> {
    label: &'a str,
    #[serde(rename = "type")]
    kind: FieldKind,
    required: Requirement,
    /// 必填 / 条件必填 / 选填.
    requirement: &'static str,
    /// The format line of the field documentation page.
    format: String,
    help: &'a str,
    max_len: Option<usize>,
    /// Code-list values: what is stored and what people read.
    options: Vec<ConsoleOption<'a>>,
    /// Several code-list values may be chosen.
    multiple: bool,
    /// Free text allowed after this prefix, e.g. `其他-`.
    other_prefix: Option<&'a str>,
    /// The text 长期 is accepted for "no end".
    allow_forever: bool,
    default: Option<&'a str>,
}

#[derive(Serialize)]
struct ConsoleOption<'a> {
    value: &'a str,
    text: String,
}

/// The datasets in catalog order; `template_urls` maps a dataset id to its template.
pub(crate) fn datasets<'a>(
    catalog: &'a Catalog,
    template_urls: &'a HashMap<String, String>,
) -> Vec<ConsoleDataset<'a>> {
    catalog
        .datasets
        .iter()
        .map(|dataset| ConsoleDataset {
            id: &dataset.id,
            title: &dataset.title,
            group: &dataset.group,
            description: &dataset.description,
            template_url: template_urls.get(&dataset.id).map(String::as_str),
            fields: dataset
                .fields
                .iter()
                .map(|field| console_field(dataset, field))
                .collect(),
        })
        .collect()
}

fn console_field<'a>(dataset: &'a Dataset, field: &'a Field) -> ConsoleField<'a> {
    let list = dataset.codelist(field);
    ConsoleField {
        label: &field.label,
        kind: field.kind,
        required: field.required,
        requirement: fields::requirement_text(field),
        format: fields::format_text(dataset, field),
        help: &field.help,
        max_len: field.max_len,
        options: list
            .map(|list| {
                list.values
                    .iter()
                    .map(|v| ConsoleOption {
                        value: &v.value,
                        text: v.display(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        multiple: field.kind == FieldKind::MultiEnum,
        other_prefix: list.and_then(|l| l.other_prefix.as_deref()),
        allow_forever: field.allow_forever,
        default: field.default.as_deref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_get_code_lists_and_the_template_address() {
        let catalog = Catalog::builtin();
        let urls = HashMap::from([("penalty".to_string(), "/downloads/p.xlsx".to_string())]);
        let datasets = datasets(&catalog, &urls);
        let penalty = datasets.iter().find(|d| d.id == "penalty").unwrap();
        assert_eq!(penalty.template_url, Some("/downloads/p.xlsx"));
        assert_eq!(penalty.group, "双公示");

        let kinds = penalty
            .fields
            .iter()
            .find(|f| f.label == "处罚类别")
            .unwrap();
        assert!(kinds.multiple);
        assert!(kinds.options.iter().any(|o| o.value == "罚款"));
        assert_eq!(kinds.requirement, "必填");

        let licensing = datasets.iter().find(|d| d.id == "licensing").unwrap();
        let status = licensing
            .fields
            .iter()
            .find(|f| f.label == "当前状态")
            .unwrap();
        assert!(status
            .options
            .iter()
            .any(|o| o.value == "0" && o.text == "0 正常"));
    }
}
