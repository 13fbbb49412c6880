//! Records as the generator receives them, and what the public pages may show of them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use xycz_domain::checkdigit::mask_id;
use xycz_domain::publicity::{self, RecordState, Verdict};
use xycz_domain::{Dataset, Field, FieldKind};

/// One record as the store hands it to the generator: its current version's normalised values
/// (label → value) and its state. Only records that pass the publicity rules are published.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicRecordInput {
    pub id: i64,
    pub dataset: String,
    /// The reporting unit's name.
    pub unit_name: String,
    pub values: BTreeMap<String, String>,
    #[serde(default)]
    pub state: RecordState,
    /// When the record last changed (shown on its page), e.g. `2026-03-01 10:20`.
    #[serde(default)]
    pub updated_at: String,
}

/// A field as a public page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ShownField {
    pub label: String,
    pub value: String,
}

/// What list pages and the search index need of a public record.
#[derive(Debug, Clone)]
pub struct Summary {
    pub id: i64,
    /// Index into the published datasets.
    pub dataset: usize,
    pub name: String,
    /// 统一社会信用代码, or a natural person's masked 证件号码.
    pub code: String,
    /// The code to search by (never a personal ID).
    pub search_code: String,
    pub document: String,
    pub date: String,
    pub unit: String,
}

/// The verdict for a record of `dataset` on `today`.
pub fn verdict(dataset: &Dataset, record: &PublicRecordInput, today: NaiveDate) -> Verdict {
    publicity::evaluate(dataset, &record.values, record.state, today)
}

/// The record's subject is a natural person.
pub fn is_natural_person(dataset: &Dataset, values: &BTreeMap<String, String>) -> bool {
    dataset
        .publicity
        .category_field
        .as_ref()
        .and_then(|label| values.get(label))
        .is_some_and(|v| v.trim() == "自然人")
}

/// A personal field that holds an ID number: shown masked, never whole.
fn is_id_field(field: &Field) -> bool {
    field.kind == FieldKind::IdNumber || field.label.contains("证件号码")
}

/// The value a public page shows for a field, or `None` when the field is not shown.
pub fn shown_value(
    dataset: &Dataset,
    field: &Field,
    value: &str,
    natural_person: bool,
) -> Option<String> {
    let value = value.trim();
    if !field.public || value.is_empty() {
        return None;
    }
    if field.personal {
        if is_id_field(field) {
            return Some(mask_id(value));
        }
        if natural_person {
            // A person's address or phone is never published.
            return None;
        }
    }
    let display = dataset
        .codelist(field)
        .and_then(|list| list.values.iter().find(|v| v.value == value))
        .and_then(|v| v.label.clone())
        .unwrap_or_else(|| value.to_string());
    Some(display)
}

/// The fields shown on the record's page, in template order.
pub fn shown_fields(dataset: &Dataset, record: &PublicRecordInput) -> Vec<ShownField> {
    let natural = is_natural_person(dataset, &record.values);
    dataset
        .fields
        .iter()
        .filter_map(|field| {
            let value = record.values.get(&field.label)?;
            let shown = shown_value(dataset, field, value, natural)?;
            Some(ShownField {
                label: field.label.clone(),
                value: shown,
            })
        })
        .collect()
}

/// The summary of a public record for lists and search.
pub fn summarize(dataset: &Dataset, index: usize, record: &PublicRecordInput) -> Summary {
    let get = |label: &str| {
        record
            .values
            .get(label)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let natural = is_natural_person(dataset, &record.values);

    // The first filled subject identifier, masked when it is personal.
    let mut code = String::new();
    let mut search_code = String::new();
    for label in &dataset.key.subject {
        if label == &dataset.key.name {
            continue;
        }
        let value = get(label);
        if value.is_empty() {
            continue;
        }
        let Some(field) = dataset.field(label) else {
            continue;
        };
        if field.personal || natural {
            code = mask_id(&value);
        } else {
            search_code = value.clone();
            code = value;
        }
        break;
    }

    Summary {
        id: record.id,
        dataset: index,
        name: get(&dataset.key.name),
        code,
        search_code,
        document: get(&dataset.key.document),
        date: get(&dataset.key.date),
        unit: record.unit_name.clone(),
    }
}

/// How the end of the window reads on a page.
pub fn until_text(until: Option<NaiveDate>) -> String {
    match until {
        Some(date) => date.format("%Y-%m-%d").to_string(),
        None => "长期".to_string(),
    }
}
