//! The dataset catalog: one TOML definition per reportable kind of data.
//!
//! A definition names the fields in template order, their types, limits and code lists, the
//! cross-field rules, the natural key and the publicity rule. Everything a province may do
//! differently lives here, so adding a dataset or a field needs no code change.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::normalize::header_key;

/// All dataset definitions, in a stable order (by file name).
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    pub datasets: Vec<Dataset>,
}

/// One reportable kind of data.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    pub id: String,
    pub title: String,
    /// The console menu it belongs to: `双公示` or `数据报送`.
    #[serde(default = "default_group")]
    pub group: String,
    #[serde(default)]
    pub description: String,
    pub fields: Vec<Field>,
    #[serde(default)]
    pub codelists: BTreeMap<String, CodeList>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    pub key: NaturalKey,
    pub publicity: Publicity,
    /// The field whose value must be the uploader's unit code, if any.
    #[serde(default)]
    pub uploader_code_field: Option<String>,
    /// Older header names that identify an outdated template (matched like labels).
    #[serde(default)]
    pub obsolete_headers: Vec<String>,
}

fn default_group() -> String {
    "数据报送".to_string()
}

/// A column of the template.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub label: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(rename = "type", default)]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: Requirement,
    #[serde(default)]
    pub max_len: Option<usize>,
    /// For `digits`: the allowed lengths.
    #[serde(default)]
    pub lengths: Vec<usize>,
    /// For `enum` and `multi_enum`: the code list name (in `codelists`).
    #[serde(default)]
    pub codelist: Option<String>,
    /// For amounts: decimals kept.
    #[serde(default)]
    pub scale: Option<u32>,
    /// For amounts: a value at or above this is suspicious (a warning).
    #[serde(default)]
    pub warn_at_least: Option<f64>,
    /// For dates: the value may not be after the day of the upload.
    #[serde(default)]
    pub not_after_upload: bool,
    /// For dates: the text 长期 (and 2099-12-31) means "no end".
    #[serde(default)]
    pub allow_forever: bool,
    /// The value written into the template when empty: e.g. 当前状态 blank = 0.
    #[serde(default)]
    pub default: Option<String>,
    /// Help text for the template note and the field documentation page.
    #[serde(default)]
    pub help: String,
    /// Personal data: masked on public pages when the subject is a natural person.
    #[serde(default)]
    pub personal: bool,
    /// Shown on public pages.
    #[serde(default = "yes")]
    pub public: bool,
    /// Written into the generated template. Columns that only some templates carry (such as
    /// 信息使用范围) are recognised when present but not written.
    #[serde(default = "yes")]
    pub template: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    #[default]
    Text,
    /// 统一社会信用代码, GB 32100.
    Uscc,
    /// 居民身份证号码, GB 11643.
    IdNumber,
    /// 组织机构代码, GB 11714.
    OrgCode,
    /// 15-digit 工商注册号, ISO 7064 MOD 11,10.
    RegNo,
    /// 税务登记号 / 纳税人识别号: 15, 17, 18 or 20 alphanumerics.
    TaxNo,
    /// Only digits, of one of `lengths`.
    Digits,
    /// Any other identifier (证件号码 of any type): normalised like a code, no check digit.
    Code,
    Date,
    Amount,
    Enum,
    MultiEnum,
    Year,
}

impl FieldKind {
    /// Code-like columns: a number cell there is formatted as an integer, never through a float.
    pub fn is_code(self) -> bool {
        matches!(
            self,
            Self::Uscc
                | Self::IdNumber
                | Self::OrgCode
                | Self::RegNo
                | Self::TaxNo
                | Self::Digits
                | Self::Code
        )
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Mandatory,
    Conditional,
    #[default]
    Optional,
}

/// A code list: the allowed values, their synonyms, and free text after a prefix.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CodeList {
    pub values: Vec<CodeValue>,
    /// Free text allowed after this prefix, e.g. `其他-`.
    #[serde(default)]
    pub other_prefix: Option<String>,
    /// For multi-valued fields: the separators between values.
    #[serde(default)]
    pub separators: Vec<String>,
    /// Old combined names that stand for several values: `没收违法所得、没收非法财物` →
    /// `没收违法所得;没收非法财物`.
    #[serde(default)]
    pub combined: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CodeValue {
    /// The stored value.
    pub value: String,
    /// The Chinese name, if the stored value is a code (当前状态: 0 → 正常).
    #[serde(default)]
    pub label: Option<String>,
    /// Other spellings that mean this value (a multi-valued field may map one synonym to
    /// several values, separated by `;`).
    #[serde(default)]
    pub synonyms: Vec<String>,
}

impl CodeValue {
    /// How the value is shown to people: `0 正常` or `普通`.
    pub fn display(&self) -> String {
        match &self.label {
            Some(label) => format!("{} {}", self.value, label),
            None => self.value.clone(),
        }
    }
}

/// A cross-field rule. Conditions name a field and a test; effects apply when the test holds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `when`, `not_before` or `any_required`.
    pub kind: String,
    #[serde(default)]
    pub field: Option<String>,
    /// `when`: the field's normalised value equals one of these.
    #[serde(default)]
    pub equals: Vec<String>,
    /// `when`: the field's value contains this text.
    #[serde(default)]
    pub contains: Option<String>,
    /// `when`: the field is filled.
    #[serde(default)]
    pub filled: bool,
    /// Effects of `when`: these fields must be filled.
    #[serde(default)]
    pub required: Vec<String>,
    /// Effects of `when`: these fields must be empty.
    #[serde(default)]
    pub empty: Vec<String>,
    /// Effects of `when`: these amounts must be greater than zero.
    #[serde(default)]
    pub positive: Vec<String>,
    /// Effects of `when`: check these fields as the given kind (e.g. 证件号码 as id_number).
    #[serde(default)]
    pub check_as: BTreeMap<String, FieldKind>,
    /// Effects of `when`: this field must not start with `prefix` (an error).
    #[serde(default)]
    pub must_not_start_with: Option<PrefixRule>,
    /// Effects of `when`: this field should start with `prefix` (a warning).
    #[serde(default)]
    pub should_start_with: Option<PrefixRule>,
    /// `not_before`: `field` may not be before `other`. `any_required`: `fields`.
    #[serde(default)]
    pub other: Option<String>,
    #[serde(default)]
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrefixRule {
    pub field: String,
    pub prefix: String,
}

/// The natural key: unit and dataset are implied; these fields complete it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NaturalKey {
    /// The decision document number (compared on a normalised key).
    pub document: String,
    /// The subject identifier: the first filled of these.
    pub subject: Vec<String>,
    /// The decision date.
    pub date: String,
    /// The subject's display name.
    pub name: String,
}

/// When a record of this dataset is shown on the public site.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Publicity {
    /// `none` (never public), `licence` (while valid), `window` (a publicity window from the
    /// decision date, by severity), `list` (until 公示截止期, if any).
    pub kind: String,
    #[serde(default)]
    pub valid_until: Option<String>,
    #[serde(default)]
    pub end_field: Option<String>,
    #[serde(default)]
    pub status_field: Option<String>,
    #[serde(default)]
    pub severity_field: Option<String>,
    #[serde(default)]
    pub scope_field: Option<String>,
    /// The field holding the subject category (法人及非法人组织 / 自然人 / 个体工商户).
    #[serde(default)]
    pub category_field: Option<String>,
    /// Months of publicity by severity: minimum and maximum.
    #[serde(default)]
    pub windows: BTreeMap<String, WindowMonths>,
    #[serde(default)]
    pub default_severity: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WindowMonths {
    pub min: u32,
    pub max: u32,
}

const RULE_KINDS: [&str; 3] = ["when", "not_before", "any_required"];
const PUBLICITY_KINDS: [&str; 4] = ["none", "licence", "window", "list"];

impl Catalog {
    /// Loads every `*.toml` in `dir` and checks each definition.
    pub fn load_dir(dir: &Path) -> Result<Self> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the dataset folder {}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();

        let mut datasets = Vec::with_capacity(paths.len());
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let dataset = Dataset::from_toml(&text)
                .with_context(|| format!("invalid dataset definition {}", path.display()))?;
            datasets.push(dataset);
        }
        Self::from_datasets(datasets)
    }

    /// The nine datasets shipped with the product, compiled into the binary.
    pub fn builtin() -> Self {
        let datasets = crate::builtin::DEFINITIONS
            .iter()
            .map(|(name, text)| {
                Dataset::from_toml(text)
                    .unwrap_or_else(|e| panic!("built-in dataset {name} is invalid: {e:#}"))
            })
            .collect();
        Self::from_datasets(datasets).expect("built-in catalog is consistent")
    }

    /// Loads from `dir` when given, else the built-in definitions.
    pub fn load(dir: Option<&Path>) -> Result<Self> {
        match dir {
            Some(dir) => Self::load_dir(dir),
            None => Ok(Self::builtin()),
        }
    }

    fn from_datasets(datasets: Vec<Dataset>) -> Result<Self> {
        let mut ids = HashSet::new();
        for d in &datasets {
            if !ids.insert(d.id.clone()) {
                bail!("dataset id `{}` is defined twice", d.id);
            }
        }
        Ok(Self { datasets })
    }

    pub fn get(&self, id: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.id == id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.datasets.iter().map(|d| d.id.as_str()).collect()
    }
}

impl Dataset {
    /// Parses and checks one definition.
    pub fn from_toml(text: &str) -> Result<Self> {
        let dataset: Dataset = toml::from_str(text)?;
        dataset.check()?;
        Ok(dataset)
    }

    /// The fields written into the template, in template order.
    pub fn template_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.template)
    }

    pub fn field(&self, label: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.label == label)
    }

    pub fn field_index(&self, label: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.label == label)
    }

    /// Header text (normalised) → field index, for every label and alias.
    pub fn header_index(&self) -> HashMap<String, usize> {
        let mut map = HashMap::new();
        for (i, f) in self.fields.iter().enumerate() {
            map.insert(header_key(&f.label), i);
            for alias in &f.aliases {
                map.insert(header_key(alias), i);
            }
        }
        map
    }

    pub fn codelist(&self, field: &Field) -> Option<&CodeList> {
        field
            .codelist
            .as_ref()
            .and_then(|name| self.codelists.get(name))
    }

    /// Checks the definition's internal consistency.
    fn check(&self) -> Result<()> {
        if self.id.is_empty() || !self.id.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            bail!(
                "dataset id `{}` must be lower-case letters and hyphens",
                self.id
            );
        }
        if self.fields.is_empty() {
            bail!("dataset `{}` has no fields", self.id);
        }

        let mut seen = HashMap::new();
        for (i, f) in self.fields.iter().enumerate() {
            for name in std::iter::once(&f.label).chain(&f.aliases) {
                if let Some(other) = seen.insert(header_key(name), i) {
                    if other != i {
                        bail!(
                            "label `{name}` is used by two fields in dataset `{}`",
                            self.id
                        );
                    }
                    if name != &f.label {
                        continue;
                    }
                    bail!("field `{name}` is defined twice in dataset `{}`", self.id);
                }
            }
            self.check_field(f)?;
        }

        for (name, list) in &self.codelists {
            if list.separators.iter().any(|s| s.chars().count() != 1) {
                bail!(
                    "code list `{name}` in `{}`: each separator must be one character",
                    self.id
                );
            }
        }
        for rule in &self.rules {
            self.check_rule(rule)?;
        }

        let key = &self.key;
        for label in [&key.document, &key.date, &key.name]
            .into_iter()
            .chain(&key.subject)
        {
            self.known(label, "natural key")?;
        }
        if let Some(label) = &self.uploader_code_field {
            self.known(label, "uploader_code_field")?;
        }
        self.check_publicity()
    }

    fn check_field(&self, f: &Field) -> Result<()> {
        match f.kind {
            FieldKind::Enum | FieldKind::MultiEnum => {
                let Some(name) = &f.codelist else {
                    bail!(
                        "field `{}` is a code list field without `codelist`",
                        f.label
                    );
                };
                if !self.codelists.contains_key(name) {
                    bail!("field `{}` names an unknown code list `{name}`", f.label);
                }
            }
            FieldKind::Digits if f.lengths.is_empty() => {
                bail!("field `{}` of type digits needs `lengths`", f.label);
            }
            _ => {}
        }
        if f.codelist.is_some() && !matches!(f.kind, FieldKind::Enum | FieldKind::MultiEnum) {
            bail!(
                "field `{}` has a code list but is not of type enum",
                f.label
            );
        }
        Ok(())
    }

    fn check_rule(&self, rule: &Rule) -> Result<()> {
        if !RULE_KINDS.contains(&rule.kind.as_str()) {
            bail!(
                "unknown rule kind `{}` in dataset `{}` (known: {})",
                rule.kind,
                self.id,
                RULE_KINDS.join(", ")
            );
        }
        let mut labels: Vec<&String> = Vec::new();
        labels.extend(rule.field.iter());
        labels.extend(rule.other.iter());
        labels.extend(&rule.fields);
        labels.extend(&rule.required);
        labels.extend(&rule.empty);
        labels.extend(&rule.positive);
        labels.extend(rule.check_as.keys());
        labels.extend(rule.must_not_start_with.iter().map(|p| &p.field));
        labels.extend(rule.should_start_with.iter().map(|p| &p.field));
        for label in labels {
            self.known(label, &format!("rule `{}`", rule.kind))?;
        }

        match rule.kind.as_str() {
            "when" => {
                if rule.field.is_none() {
                    bail!("a `when` rule in `{}` needs `field`", self.id);
                }
                let tests = usize::from(!rule.equals.is_empty())
                    + usize::from(rule.contains.is_some())
                    + usize::from(rule.filled);
                if tests != 1 {
                    bail!(
                        "a `when` rule on `{}` needs exactly one of equals, contains, filled",
                        rule.field.as_deref().unwrap_or_default()
                    );
                }
            }
            "not_before" if rule.field.is_none() || rule.other.is_none() => {
                bail!(
                    "a `not_before` rule in `{}` needs `field` and `other`",
                    self.id
                );
            }
            "any_required" if rule.fields.len() < 2 => {
                bail!(
                    "an `any_required` rule in `{}` needs two or more `fields`",
                    self.id
                );
            }
            _ => {}
        }
        Ok(())
    }

    fn check_publicity(&self) -> Result<()> {
        let p = &self.publicity;
        if !PUBLICITY_KINDS.contains(&p.kind.as_str()) {
            bail!(
                "unknown publicity kind `{}` in `{}` (known: {})",
                p.kind,
                self.id,
                PUBLICITY_KINDS.join(", ")
            );
        }
        let named = [
            &p.valid_until,
            &p.end_field,
            &p.status_field,
            &p.severity_field,
            &p.scope_field,
            &p.category_field,
        ];
        for label in named.into_iter().flatten() {
            self.known(label, "publicity")?;
        }
        if p.kind == "window" && p.windows.is_empty() {
            bail!("publicity kind `window` in `{}` needs `windows`", self.id);
        }
        for (severity, w) in &p.windows {
            if w.min > w.max {
                bail!(
                    "publicity window `{severity}` in `{}` has min > max",
                    self.id
                );
            }
        }
        Ok(())
    }

    fn known(&self, label: &str, context: &str) -> Result<()> {
        if self.field(label).is_none() {
            bail!(
                "{context} in dataset `{}` names an unknown field `{label}`",
                self.id
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_has_the_nine_datasets() {
        let catalog = Catalog::builtin();
        let mut ids = catalog.ids();
        ids.sort();
        assert_eq!(
            ids,
            [
                "annual-report",
                "black-list",
                "dishonest-debtor",
                "filing",
                "licensing",
                "penalty",
                "red-list",
                "tax-arrears",
                "tax-payment"
            ]
        );
        let template_fields = |id| catalog.get(id).unwrap().template_fields().count();
        assert_eq!(template_fields("licensing"), 28);
        assert_eq!(template_fields("penalty"), 30);
    }

    #[test]
    fn the_shipped_folder_matches_the_builtin_catalog() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/datasets");
        let loaded = Catalog::load_dir(&dir).unwrap();
        assert_eq!(loaded.ids(), Catalog::builtin().ids());
    }

    const MINIMAL: &str = r#"
id = "x"
title = "测试"
[[fields]]
label = "名称"
required = "mandatory"
[[fields]]
label = "日期"
type = "date"
[key]
document = "名称"
subject = ["名称"]
date = "日期"
name = "名称"
[publicity]
kind = "none"
"#;

    #[test]
    fn a_minimal_definition_loads() {
        let d = Dataset::from_toml(MINIMAL).unwrap();
        assert_eq!(d.fields.len(), 2);
    }

    #[test]
    fn unknown_rule_kind_is_rejected_with_its_name() {
        let text = format!("{MINIMAL}\n[[rules]]\nkind = \"sometimes\"\nfield = \"名称\"\n");
        let err = Dataset::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("sometimes"), "{err}");
    }

    #[test]
    fn duplicate_labels_are_rejected() {
        let text = MINIMAL.replace("label = \"日期\"", "label = \"名称\"");
        let err = Dataset::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("名称"), "{err}");
    }

    #[test]
    fn rule_naming_an_unknown_field_is_rejected() {
        let text = format!(
            "{MINIMAL}\n[[rules]]\nkind = \"when\"\nfield = \"名称\"\nfilled = true\nrequired = [\"不存在\"]\n"
        );
        let err = Dataset::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("不存在"), "{err}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let text = MINIMAL.replace("required = \"mandatory\"", "requird = \"mandatory\"");
        assert!(Dataset::from_toml(&text).is_err());
    }
}
