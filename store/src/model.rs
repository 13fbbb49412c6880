//! The rows the store hands out and the inputs it takes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Who performs a change, for the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub unit_id: Option<i64>,
    /// The client address as the gate saw it.
    pub address: Option<String>,
}

impl Actor {
    /// A signed-in user acting from `address`.
    pub fn user(user: &User, address: Option<&str>) -> Actor {
        Actor {
            user_id: Some(user.id),
            unit_id: Some(user.unit_id),
            address: address.map(str::to_owned),
        }
    }

    /// The command line (no user, no address).
    pub fn system() -> Actor {
        Actor::default()
    }
}

/// Which rows a reader may see: one unit's, or every unit's (administrators).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    Unit(i64),
    All,
}

impl Scope {
    /// The scope a user reads in: administrators see all units.
    pub fn of(user: &User) -> Scope {
        match user.role {
            Role::Admin => Scope::All,
            Role::Reporter => Scope::Unit(user.unit_id),
        }
    }

    pub(crate) fn unit_id(self) -> Option<i64> {
        match self {
            Scope::Unit(id) => Some(id),
            Scope::All => None,
        }
    }
}

/// A reporting unit (数据报送单位).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Unit {
    pub id: i64,
    pub name: String,
    /// 统一社会信用代码, normalised.
    pub code: String,
    /// The dataset ids this unit reports.
    #[sqlx(json)]
    pub datasets: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// A new unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewUnit {
    pub name: String,
    pub code: String,
    pub datasets: Vec<String>,
}

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reports data for its own unit.
    Reporter,
    /// The credit office: manages units and users, sees every unit.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reporter => "reporter",
            Role::Admin => "admin",
        }
    }
}

impl TryFrom<String> for Role {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "reporter" => Ok(Role::Reporter),
            "admin" => Ok(Role::Admin),
            _ => Err(format!("unknown role {value:?}")),
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::try_from(s.to_owned())
    }
}

/// An account. The password hash never leaves the store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub unit_id: i64,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub active: bool,
    pub failed_attempts: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub password_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A new account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub unit_id: i64,
    pub role: Role,
    pub password: String,
}

/// Where an upload stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadStatus {
    /// Read and validated; valid rows may have been imported.
    Checked,
    /// The file could not be read or had no valid row.
    Failed,
    /// The entry was deleted (删除); its data may still be live unless withdrawn.
    Deleted,
}

impl UploadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadStatus::Checked => "checked",
            UploadStatus::Failed => "failed",
            UploadStatus::Deleted => "deleted",
        }
    }
}

impl TryFrom<String> for UploadStatus {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "checked" => Ok(UploadStatus::Checked),
            "failed" => Ok(UploadStatus::Failed),
            "deleted" => Ok(UploadStatus::Deleted),
            _ => Err(format!("unknown upload status {value:?}")),
        }
    }
}

/// One uploaded file and what its check and import found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Upload {
    pub id: i64,
    pub unit_id: i64,
    pub user_id: Option<i64>,
    pub dataset: String,
    pub file_name: String,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub size: i64,
    pub object_key: String,
    #[sqlx(try_from = "String")]
    pub status: UploadStatus,
    pub row_count: i64,
    pub valid_count: i64,
    pub invalid_count: i64,
    pub imported_count: i64,
    pub updated_count: i64,
    pub duplicate_count: i64,
    /// The validation report as JSON.
    #[sqlx(json)]
    pub report: Value,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub records_withdrawn_at: Option<DateTime<Utc>>,
}

/// A new upload, after the file was stored and checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewUpload {
    pub unit_id: i64,
    pub user_id: Option<i64>,
    pub dataset: String,
    pub file_name: String,
    pub sha256: String,
    pub size: i64,
    pub object_key: String,
    pub status: UploadStatus,
    pub row_count: i64,
    pub valid_count: i64,
    pub invalid_count: i64,
    pub report: Value,
}

/// Import counters of one upload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    /// New records, including records brought back after their data was withdrawn.
    pub imported: i64,
    /// Existing records that got a new version.
    pub updated: i64,
    /// Rows identical to the current version: nothing written.
    pub duplicates: i64,
}

/// Where a record stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordState {
    Active,
    /// 撤销: off the public listing, kept with reason, time and who.
    Revoked,
    /// 删除数据: its upload's data was withdrawn; kept for audit.
    Deleted,
}

impl RecordState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::Active => "active",
            RecordState::Revoked => "revoked",
            RecordState::Deleted => "deleted",
        }
    }
}

impl TryFrom<String> for RecordState {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "active" => Ok(RecordState::Active),
            "revoked" => Ok(RecordState::Revoked),
            "deleted" => Ok(RecordState::Deleted),
            _ => Err(format!("unknown record state {value:?}")),
        }
    }
}

/// A validated, normalised record as the checker produced it. The store does not validate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewRecord {
    /// The normalised natural key within the unit and dataset.
    pub natural_key: String,
    pub subject_name: String,
    pub subject_code: Option<String>,
    pub doc_no: Option<String>,
    pub decision_date: Option<NaiveDate>,
    /// Canonical label → value.
    pub values: Value,
}

impl NewRecord {
    /// SHA-256 over the record's content; equal content gives an equal hash whatever the key
    /// order of `values`.
    pub fn content_hash(&self) -> String {
        self.hash_and_json().0
    }

    /// The content hash and the values as canonical JSON text (keys sorted, compact), which is
    /// what the database keeps: one serialisation serves the hash and every insert.
    pub fn hash_and_json(&self) -> (String, String) {
        let json = canonical_json(&self.values);
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(self.subject_name.as_bytes());
        field(self.subject_code.as_deref().unwrap_or("\u{0}").as_bytes());
        field(self.doc_no.as_deref().unwrap_or("\u{0}").as_bytes());
        let date = self.decision_date.map(|d| d.to_string());
        field(date.as_deref().unwrap_or("\u{0}").as_bytes());
        field(json.as_bytes());
        (hex::encode(hasher.finalize()), json)
    }
}

/// [`NewRecord::hash_and_json`] of every record, in order, on every core for a large import
/// (hashing 100,000 rows takes about half a second on one).
pub(crate) fn hash_and_json_all(records: &[NewRecord]) -> Vec<(String, String)> {
    const PER_THREAD_AT_LEAST: usize = 2_000;
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(records.len() / PER_THREAD_AT_LEAST)
        .max(1);
    if threads == 1 {
        return records.iter().map(NewRecord::hash_and_json).collect();
    }
    let part = records.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = records
            .chunks(part)
            .map(|chunk| {
                scope.spawn(|| {
                    chunk
                        .iter()
                        .map(NewRecord::hash_and_json)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// JSON with object keys sorted, so that equal values serialise equally: compact, as
/// `serde_json::to_string` writes it.
fn canonical_json(value: &Value) -> String {
    let mut out = Vec::with_capacity(512);
    write_canonical(value, &mut out);
    // Only serde_json's own output and ASCII punctuation were written.
    String::from_utf8(out).unwrap_or_default()
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // Writing JSON into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, key);
                out.push(b':');
                write_canonical(member, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        other => {
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

/// A record with its current version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Record {
    pub id: i64,
    pub unit_id: i64,
    pub dataset: String,
    pub natural_key: String,
    pub version: i64,
    #[sqlx(try_from = "String")]
    pub state: RecordState,
    pub revoked_reason: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<i64>,
    /// The upload of the last change, if it came from a file.
    pub upload_id: Option<i64>,
    pub subject_name: String,
    pub subject_code: Option<String>,
    pub doc_no: Option<String>,
    pub decision_date: Option<NaiveDate>,
    /// The decision date, or the day the record was first stored when it has none.
    pub sort_date: NaiveDate,
    #[sqlx(rename = "field_values", json)]
    pub values: Value,
    pub content_hash: String,
    /// Grows with every change to any record; the site generator builds from it.
    pub changed_seq: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The columns of a record that a list shows; [`crate::Store::get_record`] has the rest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RecordSummary {
    pub id: i64,
    pub unit_id: i64,
    pub dataset: String,
    pub version: i64,
    #[sqlx(try_from = "String")]
    pub state: RecordState,
    pub upload_id: Option<i64>,
    pub subject_name: String,
    pub subject_code: Option<String>,
    pub doc_no: Option<String>,
    pub decision_date: Option<NaiveDate>,
    pub sort_date: NaiveDate,
    pub updated_at: DateTime<Utc>,
}

/// The columns [`RecordSummary`] reads.
pub(crate) const RECORD_SUMMARY_COLUMNS: &str = "id, unit_id, dataset, version, state, upload_id, \
     subject_name, subject_code, doc_no, decision_date, sort_date, updated_at";

/// One kept version of a record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RecordVersion {
    pub record_id: i64,
    pub version: i64,
    pub natural_key: String,
    pub subject_name: String,
    pub subject_code: Option<String>,
    pub doc_no: Option<String>,
    pub decision_date: Option<NaiveDate>,
    #[sqlx(rename = "field_values", json)]
    pub values: Value,
    pub content_hash: String,
    pub upload_id: Option<i64>,
    pub user_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A record with every version, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordDetail {
    pub record: Record,
    pub versions: Vec<RecordVersion>,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub address: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub upload_id: Option<i64>,
    #[sqlx(json)]
    pub detail: Value,
}

/// A 统一社会信用代码 that fails the check digit yet is real, accepted by an administrator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct UsccException {
    pub code: String,
    pub note: String,
    pub added_by: Option<i64>,
    pub added_at: DateTime<Utc>,
}

/// A page of rows and the cursor for the next one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T, C = i64> {
    pub items: Vec<T>,
    /// Pass back in the filter to get the next page; `None` on the last page.
    pub next_cursor: Option<C>,
}

/// Where the next page of the record list starts: after this record in (sort_date, id) order,
/// newest first. Written `YYYY-MM-DD.ID` in URLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCursor {
    pub sort_date: NaiveDate,
    pub id: i64,
}

impl RecordCursor {
    /// The cursor that continues after `record`.
    pub fn after(record: &RecordSummary) -> RecordCursor {
        RecordCursor {
            sort_date: record.sort_date,
            id: record.id,
        }
    }
}

impl std::fmt::Display for RecordCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.sort_date, self.id)
    }
}

impl std::str::FromStr for RecordCursor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("invalid record cursor {s:?}");
        let (date, id) = s.split_once('.').ok_or_else(invalid)?;
        Ok(RecordCursor {
            sort_date: date.parse().map_err(|_| invalid())?,
            id: id.parse().map_err(|_| invalid())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(values: Value) -> NewRecord {
        NewRecord {
            natural_key: "k".into(),
            subject_name: "某某公司".into(),
            subject_code: Some("91110000101623741K".into()),
            doc_no: Some("京罚〔2024〕1号".into()),
            decision_date: NaiveDate::from_ymd_opt(2024, 3, 1),
            values,
        }
    }

    #[test]
    fn canonical_json_sorts_keys_and_is_compact() {
        let value: Value = serde_json::from_str(
            r#"{"b": [1, {"y": "\"引号\"", "x": null}], "a": "长治\n", "c": {"k": 1.5, "j": true}}"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&value),
            r#"{"a":"长治\n","b":[1,{"x":null,"y":"\"引号\""}],"c":{"j":true,"k":1.5}}"#
        );
        let (hash, json) = record(value.clone()).hash_and_json();
        assert_eq!(json, canonical_json(&value));
        assert_eq!(hash, record(value).content_hash());
    }

    #[test]
    fn content_hash_ignores_key_order() {
        let a = record(json!({"a": "1", "b": "2"}));
        let b = record(serde_json::from_str(r#"{"b":"2","a":"1"}"#).unwrap());
        assert_eq!(a.content_hash(), b.content_hash());
    }

    #[test]
    fn hashing_on_several_threads_keeps_the_order() {
        let records: Vec<NewRecord> = (0..5_001)
            .map(|n| record(json!({ "处罚内容": format!("罚款{n}") })))
            .collect();
        let serial: Vec<(String, String)> = records.iter().map(NewRecord::hash_and_json).collect();
        assert_eq!(hash_and_json_all(&records), serial);
        assert_eq!(hash_and_json_all(&records[..3]), serial[..3]);
    }

    #[test]
    fn record_cursors_round_trip() {
        let cursor = RecordCursor {
            sort_date: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
            id: 42,
        };
        assert_eq!(cursor.to_string(), "2024-03-01.42");
        assert_eq!("2024-03-01.42".parse::<RecordCursor>(), Ok(cursor));
        assert!("2024-03-01".parse::<RecordCursor>().is_err());
        assert!("x.1".parse::<RecordCursor>().is_err());
    }

    #[test]
    fn content_hash_sees_every_field() {
        let a = record(json!({"a": "1"}));
        let mut b = a.clone();
        b.doc_no = None;
        assert_ne!(a.content_hash(), b.content_hash());
        let c = record(json!({"a": "2"}));
        assert_ne!(a.content_hash(), c.content_hash());
    }
}
