//! Records and their versions: import, manual entry (新增), modification (修改), revocation
//! (撤销), withdrawal of an upload's data (删除数据), lists and details.
//!
//! Nothing is ever deleted: a change adds a version or changes the state, and every change
//! takes the next `changed_seq` so the site generator can rebuild incrementally.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::audit::{page, write_audit, AuditEvent};
use crate::db::{bind_params, execute, with_pool, BeginWrite, Db, Param, SqlBuilder, Store};
use crate::error::{conflict_on_unique, StoreError};
use crate::model::{
    hash_and_json_all, Actor, ImportCounts, NewRecord, NewUpload, Page, Record, RecordCursor,
    RecordDetail, RecordState, RecordSummary, RecordVersion, Scope, Upload, RECORD_SUMMARY_COLUMNS,
};
use crate::uploads::insert_upload;

/// Most rows a list call returns.
pub const MAX_PAGE_SIZE: u32 = 500;

const NEXT_SEQ: &str = "SELECT COALESCE(MAX(changed_seq), 0) FROM records";

/// Filters of the record list; rows come newest first by decision date (`sort_date`), then id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordFilter {
    pub scope: Option<Scope>,
    pub dataset: Option<String>,
    pub state: Option<RecordState>,
    /// Substring of the subject name, subject code or document number.
    pub search: Option<String>,
    /// Inclusive decision date bounds; records without a decision date are left out when set.
    pub decided_from: Option<NaiveDate>,
    pub decided_to: Option<NaiveDate>,
    /// The `next_cursor` of the previous page.
    pub after: Option<RecordCursor>,
    pub limit: u32,
}

/// What an incoming record does to the stored one with the same natural key.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    Insert,
    Duplicate,
    NewVersion {
        id: i64,
        version: i64,
        restore: bool,
    },
}

/// The stored record with the same natural key: id, version, state, content hash.
type Existing = (i64, i64, String, String);

fn plan_change(existing: Option<Existing>, content_hash: &str) -> Change {
    match existing {
        None => Change::Insert,
        Some((id, version, state, hash)) => {
            let deleted = state == RecordState::Deleted.as_str();
            if hash == content_hash && !deleted {
                Change::Duplicate
            } else {
                Change::NewVersion {
                    id,
                    version,
                    restore: deleted,
                }
            }
        }
    }
}

/// The order of an import: round `n` holds the indexes of the `n`-th row of each natural key, so
/// a key given twice is compared with what the round before it wrote.
fn import_rounds(records: &[NewRecord]) -> Vec<Vec<usize>> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let count = seen.entry(record.natural_key.as_str()).or_insert(0);
        if rounds.len() <= *count {
            rounds.push(Vec::new());
        }
        rounds[*count].push(i);
        *count += 1;
    }
    rounds
}

/// The upload an import belongs to: one already recorded, or one to record in the import's
/// transaction.
enum ImportInto<'a> {
    Upload {
        id: i64,
        unit_id: i64,
        dataset: &'a str,
    },
    NewUpload(&'a NewUpload),
}

/// Where a version comes from.
#[derive(Clone, Copy, Debug)]
struct Origin {
    upload_id: Option<i64>,
    user_id: Option<i64>,
    at: DateTime<Utc>,
}

impl Origin {
    /// The list position of a new record: its decision date, else the day (China time) it was
    /// stored.
    fn sort_date(&self, record: &NewRecord) -> NaiveDate {
        record.decision_date.unwrap_or_else(|| {
            chrono::FixedOffset::east_opt(CHINA_OFFSET_SECONDS).map_or(self.at.date_naive(), |tz| {
                self.at.with_timezone(&tz).date_naive()
            })
        })
    }
}

/// China Standard Time, UTC+8.
const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;

/// Rows per multi-row statement of an import: 16 parameters a row stays far below SQLite's
/// 32,766 and PostgreSQL's 65,535 bound parameters.
const IMPORT_CHUNK: usize = 500;

/// A new record row: the record, its content hash, its values as JSON text and its
/// `changed_seq`.
struct NewRow<'a> {
    record: &'a NewRecord,
    hash: &'a str,
    json: &'a str,
    seq: i64,
}

/// `INSERT INTO records` for `rows` (at least one). Their versions are written afterwards by
/// [`versions_of_changes`].
fn records_insert(
    db: &Db,
    unit_id: i64,
    dataset: &str,
    rows: &[NewRow<'_>],
    origin: Origin,
) -> SqlBuilder {
    let mut sql = SqlBuilder::for_db(
        db,
        "INSERT INTO records (unit_id, dataset, natural_key, version, state, upload_id, \
         subject_name, subject_code, doc_no, decision_date, sort_date, field_values, \
         content_hash, changed_seq, created_at, updated_at) VALUES ",
    );
    for row in rows {
        let record = row.record;
        sql.push_row(vec![
            Param::Int(unit_id),
            Param::Text(dataset.to_owned()),
            Param::Text(record.natural_key.clone()),
            Param::Int(1),
            Param::Text(RecordState::Active.as_str().to_owned()),
            Param::OptInt(origin.upload_id),
            Param::Text(record.subject_name.clone()),
            Param::OptText(record.subject_code.clone()),
            Param::OptText(record.doc_no.clone()),
            Param::OptDate(record.decision_date),
            Param::Date(origin.sort_date(record)),
            Param::JsonText(row.json.to_owned()),
            Param::Text(row.hash.to_owned()),
            Param::Int(row.seq),
            Param::Time(origin.at),
            Param::Time(origin.at),
        ]);
    }
    sql
}

/// Writes the version row of every record whose content was written with a `changed_seq` in
/// `after_seq + 1 ..= up_to`: a copy of the record's current content, made by the database
/// instead of binding the values a second time.
///
/// Only for content changes (insert or new version) made in the same write transaction: that
/// transaction holds the write lock and gives out the sequence numbers, so every record in the
/// range is one it just wrote.
fn versions_of_changes(db: &Db, after_seq: i64, up_to: i64, origin: Origin) -> SqlBuilder {
    let mut sql = SqlBuilder::for_db(
        db,
        "INSERT INTO record_versions (record_id, version, natural_key, subject_name, \
         subject_code, doc_no, decision_date, field_values, content_hash, upload_id, user_id, \
         created_at) SELECT id, version, natural_key, subject_name, subject_code, doc_no, \
         decision_date, field_values, content_hash, upload_id, ",
    );
    sql.bind(Param::OptInt(origin.user_id))
        .push(", ")
        .bind(Param::Time(origin.at))
        .push(" FROM records WHERE changed_seq > ")
        .bind(Param::Int(after_seq))
        .push(" AND changed_seq <= ")
        .bind(Param::Int(up_to));
    sql
}

/// `SELECT natural_key, id, version, state, content_hash` of the stored records of a unit and
/// dataset whose keys are among `keys` (at least one).
fn stored_by_keys(db: &Db, unit_id: i64, dataset: &str, keys: &[&str]) -> SqlBuilder {
    let mut sql = SqlBuilder::for_db(
        db,
        "SELECT natural_key, id, version, state, content_hash FROM records WHERE unit_id = ",
    );
    sql.bind(Param::Int(unit_id))
        .push(" AND dataset = ")
        .bind(Param::Text(dataset.to_owned()))
        .push(" AND natural_key IN (");
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Param::Text((*key).to_owned()));
    }
    sql.push(")");
    sql
}

/// Makes `record` the current version `version` of record `id`, with its content hash and
/// values as JSON text; a withdrawn record comes back.
fn record_update(db: &Db, id: i64, version: i64, row: &NewRow<'_>, origin: Origin) -> SqlBuilder {
    let record = row.record;
    let mut sql = SqlBuilder::for_db(db, "UPDATE records SET ");
    let columns = [
        ("version", Param::Int(version)),
        ("natural_key", Param::Text(record.natural_key.clone())),
        ("upload_id", Param::OptInt(origin.upload_id)),
        ("subject_name", Param::Text(record.subject_name.clone())),
        ("subject_code", Param::OptText(record.subject_code.clone())),
        ("doc_no", Param::OptText(record.doc_no.clone())),
        ("decision_date", Param::OptDate(record.decision_date)),
        ("field_values", Param::JsonText(row.json.to_owned())),
        ("content_hash", Param::Text(row.hash.to_owned())),
        ("changed_seq", Param::Int(row.seq)),
        ("updated_at", Param::Time(origin.at)),
    ];
    for (column, value) in columns {
        sql.push(column).push(" = ").bind(value).push(", ");
    }
    sql.push("sort_date = COALESCE(")
        .bind(Param::OptDate(record.decision_date))
        .push(", sort_date), state = CASE WHEN state = 'deleted' THEN 'active' ELSE state END")
        .push(" WHERE id = ")
        .bind(Param::Int(id));
    sql
}

/// `SELECT * FROM records WHERE id = $1`, limited to the scope's unit.
fn scoped_record(scope: Scope, id: i64) -> SqlBuilder {
    let mut sql = SqlBuilder::new("SELECT * FROM records WHERE id = ");
    sql.bind(Param::Int(id));
    if let Some(unit_id) = scope.unit_id() {
        sql.push(" AND unit_id = ").bind(Param::Int(unit_id));
    }
    sql
}

impl Store {
    /// Imports validated rows of one upload in one transaction: unknown keys are inserted, known
    /// keys with other content get a new version, identical rows are counted as duplicates.
    /// The counts are also written to the upload.
    pub async fn import_records(
        &self,
        actor: &Actor,
        unit_id: i64,
        upload_id: i64,
        dataset: &str,
        records: &[NewRecord],
    ) -> Result<ImportCounts, StoreError> {
        let target = ImportInto::Upload {
            id: upload_id,
            unit_id,
            dataset,
        };
        let (_, counts) = self.import(actor, target, records).await?;
        Ok(counts)
    }

    /// Records an upload and imports its validated rows (as [`Store::import_records`]) in one
    /// transaction: if the import fails, the upload is not recorded either, so the same file
    /// can simply be sent again. The returned upload carries the counts.
    pub async fn create_upload_with_records(
        &self,
        actor: &Actor,
        upload: &NewUpload,
        records: &[NewRecord],
    ) -> Result<(Upload, ImportCounts), StoreError> {
        let (created, counts) = self
            .import(actor, ImportInto::NewUpload(upload), records)
            .await?;
        let created = created.ok_or(StoreError::NotFound)?;
        Ok((
            Upload {
                imported_count: counts.imported,
                updated_count: counts.updated,
                duplicate_count: counts.duplicates,
                ..created
            },
            counts,
        ))
    }

    /// The import of [`Store::import_records`] and [`Store::create_upload_with_records`]; returns
    /// the upload it created, if it created one.
    async fn import(
        &self,
        actor: &Actor,
        target: ImportInto<'_>,
        records: &[NewRecord],
    ) -> Result<(Option<Upload>, ImportCounts), StoreError> {
        let at = self.now();
        let contents = hash_and_json_all(records);
        let mut counts = ImportCounts::default();

        let (created, unit_id, upload_id) = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let (created, unit_id, upload_id, dataset) = match target {
                ImportInto::Upload {
                    id,
                    unit_id,
                    dataset,
                } => (None, unit_id, id, dataset),
                ImportInto::NewUpload(upload) => {
                    let created = insert_upload!(tx, actor, upload, at)?;
                    let id = created.id;
                    (Some(created), upload.unit_id, id, upload.dataset.as_str())
                }
            };
            let origin = Origin {
                upload_id: Some(upload_id),
                user_id: actor.user_id,
                at,
            };
            let mut seq: i64 = sqlx::query_scalar(NEXT_SEQ).fetch_one(&mut *tx).await?;

            for round in import_rounds(records) {
                // What is stored under this round's keys, read before the round writes.
                let mut stored: HashMap<String, Existing> = HashMap::with_capacity(round.len());
                for chunk in round.chunks(IMPORT_CHUNK) {
                    let keys: Vec<&str> = chunk
                        .iter()
                        .map(|&i| records[i].natural_key.as_str())
                        .collect();
                    let lookup = stored_by_keys(&self.db, unit_id, dataset, &keys);
                    let rows: Vec<(String, i64, i64, String, String)> =
                        bind_params!(sqlx::query_as(&lookup.sql), &lookup.params)
                            .fetch_all(&mut *tx)
                            .await?;
                    stored.extend(
                        rows.into_iter().map(|(key, id, version, state, hash)| {
                            (key, (id, version, state, hash))
                        }),
                    );
                }

                let round_start = seq;
                let mut inserts = Vec::new();
                let mut updates = Vec::new();
                for &i in &round {
                    let existing = stored.remove(&records[i].natural_key);
                    let (hash, json) = &contents[i];
                    match plan_change(existing, hash) {
                        Change::Duplicate => counts.duplicates += 1,
                        Change::Insert => {
                            seq += 1;
                            inserts.push(NewRow {
                                record: &records[i],
                                hash,
                                json,
                                seq,
                            });
                            counts.imported += 1;
                        }
                        Change::NewVersion {
                            id,
                            version,
                            restore,
                        } => {
                            seq += 1;
                            let row = NewRow {
                                record: &records[i],
                                hash,
                                json,
                                seq,
                            };
                            updates.push(record_update(&self.db, id, version + 1, &row, origin));
                            if restore {
                                counts.imported += 1;
                            } else {
                                counts.updated += 1;
                            }
                        }
                    }
                }

                for chunk in inserts.chunks(IMPORT_CHUNK) {
                    execute!(
                        &mut *tx,
                        records_insert(&self.db, unit_id, dataset, chunk, origin)
                    )?;
                }
                for update in updates {
                    execute!(&mut *tx, update)?;
                }
                if seq > round_start {
                    execute!(
                        &mut *tx,
                        versions_of_changes(&self.db, round_start, seq, origin)
                    )?;
                }
            }

            sqlx::query(
                "UPDATE uploads SET imported_count = $2, updated_count = $3, \
                 duplicate_count = $4 WHERE id = $1",
            )
            .bind(upload_id)
            .bind(counts.imported)
            .bind(counts.updated)
            .bind(counts.duplicates)
            .execute(&mut *tx)
            .await?;

            let event = AuditEvent::new(actor, "records.import")
                .unit(unit_id)
                .target(dataset)
                .upload(Some(upload_id))
                .detail(json!({
                    "rows": records.len(),
                    "imported": counts.imported,
                    "updated": counts.updated,
                    "duplicates": counts.duplicates,
                }));
            write_audit!(&mut *tx, origin.at, event)?;
            tx.commit().await?;
            (created, unit_id, upload_id)
        });

        tracing::info!(
            unit_id,
            upload_id,
            imported = counts.imported,
            updated = counts.updated,
            duplicates = counts.duplicates,
            "records imported"
        );
        Ok((created, counts))
    }

    /// Adds one record by hand (新增). A record with the same natural key is a conflict.
    pub async fn create_record(
        &self,
        actor: &Actor,
        unit_id: i64,
        dataset: &str,
        record: &NewRecord,
    ) -> Result<Record, StoreError> {
        let origin = Origin {
            upload_id: None,
            user_id: actor.user_id,
            at: self.now(),
        };
        let (hash, json) = record.hash_and_json();

        let created: Record = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let seq: i64 = sqlx::query_scalar(NEXT_SEQ).fetch_one(&mut *tx).await?;

            let row = NewRow {
                record,
                hash: &hash,
                json: &json,
                seq: seq + 1,
            };
            execute!(
                &mut *tx,
                records_insert(&self.db, unit_id, dataset, &[row], origin)
            )
            .map_err(conflict_on_unique("记录"))?;
            execute!(
                &mut *tx,
                versions_of_changes(&self.db, seq, seq + 1, origin)
            )?;
            let created: Record = sqlx::query_as("SELECT * FROM records WHERE changed_seq = $1")
                .bind(seq + 1)
                .fetch_one(&mut *tx)
                .await?;
            let id = created.id;

            let event = AuditEvent::new(actor, "record.create")
                .unit(unit_id)
                .target(id)
                .detail(json!({ "dataset": dataset, "natural_key": record.natural_key }));
            write_audit!(&mut *tx, origin.at, event)?;
            tx.commit().await?;
            created
        });
        Ok(created)
    }

    /// Replaces a record's content with a new version (修改); the old version is kept.
    pub async fn modify_record(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        record: &NewRecord,
    ) -> Result<Record, StoreError> {
        let origin = Origin {
            upload_id: None,
            user_id: actor.user_id,
            at: self.now(),
        };
        let (hash, json) = record.hash_and_json();
        let lookup = scoped_record(scope, id);

        let modified: Record = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let current: Record = bind_params!(sqlx::query_as(&lookup.sql), &lookup.params)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            if current.state == RecordState::Deleted {
                return Err(StoreError::InvalidState("该记录的数据已删除，不能修改"));
            }
            let seq: i64 = sqlx::query_scalar(NEXT_SEQ).fetch_one(&mut *tx).await?;

            let version = current.version + 1;
            let row = NewRow {
                record,
                hash: &hash,
                json: &json,
                seq: seq + 1,
            };
            execute!(&mut *tx, record_update(&self.db, id, version, &row, origin))
                .map_err(conflict_on_unique("记录"))?;
            execute!(
                &mut *tx,
                versions_of_changes(&self.db, seq, seq + 1, origin)
            )?;

            let event = AuditEvent::new(actor, "record.modify")
                .unit(current.unit_id)
                .target(id)
                .detail(json!({ "from_version": current.version, "to_version": version }));
            write_audit!(&mut *tx, origin.at, event)?;

            let modified = sqlx::query_as("SELECT * FROM records WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            modified
        });
        Ok(modified)
    }

    /// Revokes an active record (撤销): it leaves the public listing and stays in the database
    /// with the reason, the time and who revoked it.
    pub async fn revoke_record(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        reason: &str,
    ) -> Result<Record, StoreError> {
        let now = self.now();
        let lookup = scoped_record(scope, id);

        let revoked: Record = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let current: Record = bind_params!(sqlx::query_as(&lookup.sql), &lookup.params)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            if current.state != RecordState::Active {
                return Err(StoreError::InvalidState("只能撤销状态正常的记录"));
            }
            let seq: i64 = sqlx::query_scalar(NEXT_SEQ).fetch_one(&mut *tx).await?;

            sqlx::query(
                "UPDATE records SET state = 'revoked', revoked_reason = $2, revoked_at = $3, \
                 revoked_by = $4, changed_seq = $5, updated_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(reason)
            .bind(now)
            .bind(actor.user_id)
            .bind(seq + 1)
            .execute(&mut *tx)
            .await?;

            let event = AuditEvent::new(actor, "record.revoke")
                .unit(current.unit_id)
                .target(id)
                .detail(json!({ "reason": reason }));
            write_audit!(&mut *tx, now, event)?;

            let revoked = sqlx::query_as("SELECT * FROM records WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            revoked
        });
        Ok(revoked)
    }

    /// Withdraws the data of an upload (删除数据): every record whose last change came from that
    /// upload is marked deleted and kept. Returns how many records changed.
    pub async fn withdraw_upload_records(
        &self,
        actor: &Actor,
        scope: Scope,
        upload_id: i64,
    ) -> Result<i64, StoreError> {
        let now = self.now();
        let mut lookup = SqlBuilder::new("SELECT unit_id FROM uploads WHERE id = ");
        lookup.bind(Param::Int(upload_id));
        if let Some(unit_id) = scope.unit_id() {
            lookup.push(" AND unit_id = ").bind(Param::Int(unit_id));
        }

        let withdrawn: i64 = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let unit_id: i64 = bind_params!(sqlx::query_scalar(&lookup.sql), &lookup.params)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;

            // Ids are unique, so `base + id` gives each row its own sequence number above every
            // number handed out so far.
            let (min_id, seq): (Option<i64>, i64) = sqlx::query_as(
                "SELECT (SELECT MIN(id) FROM records WHERE upload_id = $1 AND state <> 'deleted'), \
                 (SELECT COALESCE(MAX(changed_seq), 0) FROM records)",
            )
            .bind(upload_id)
            .fetch_one(&mut *tx)
            .await?;
            let withdrawn = match min_id {
                None => 0,
                Some(min_id) => sqlx::query(
                    "UPDATE records SET state = 'deleted', changed_seq = $2 + id, updated_at = $3 \
                     WHERE upload_id = $1 AND state <> 'deleted'",
                )
                .bind(upload_id)
                .bind(seq + 1 - min_id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected() as i64,
            };

            sqlx::query("UPDATE uploads SET records_withdrawn_at = $2 WHERE id = $1")
                .bind(upload_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let event = AuditEvent::new(actor, "upload.withdraw_records")
                .unit(unit_id)
                .target(upload_id)
                .upload(Some(upload_id))
                .detail(json!({ "records": withdrawn }));
            write_audit!(&mut *tx, now, event)?;
            tx.commit().await?;
            withdrawn
        });
        Ok(withdrawn)
    }

    /// A record with all its versions; another unit's record is [`StoreError::NotFound`].
    pub async fn get_record(&self, scope: Scope, id: i64) -> Result<RecordDetail, StoreError> {
        let lookup = scoped_record(scope, id);
        let detail = with_pool!(self, |pool| {
            let record: Record = bind_params!(sqlx::query_as(&lookup.sql), &lookup.params)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)?;
            let versions: Vec<RecordVersion> = sqlx::query_as(
                "SELECT * FROM record_versions WHERE record_id = $1 ORDER BY version",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            RecordDetail { record, versions }
        });
        Ok(detail)
    }

    /// One page of record summaries, newest decision first.
    pub async fn list_records(
        &self,
        filter: &RecordFilter,
    ) -> Result<Page<RecordSummary, RecordCursor>, StoreError> {
        let limit = filter.limit.clamp(1, MAX_PAGE_SIZE);
        let index = match (filter.scope.and_then(Scope::unit_id), &filter.dataset) {
            (Some(_), Some(_)) => "records_unit_dataset_sort",
            (Some(_), None) => "records_unit_sort",
            (None, Some(_)) => "records_dataset_sort",
            (None, None) => "records_sort",
        };
        let mut sql = SqlBuilder::new(&format!(
            "SELECT {RECORD_SUMMARY_COLUMNS} FROM records{} WHERE 1 = 1",
            self.db.index_hint(index)
        ));
        if let Some(unit_id) = filter.scope.and_then(Scope::unit_id) {
            sql.push(" AND unit_id = ").bind(Param::Int(unit_id));
        }
        if let Some(dataset) = &filter.dataset {
            sql.push(" AND dataset = ")
                .bind(Param::Text(dataset.clone()));
        }
        if let Some(state) = filter.state {
            sql.push(" AND state = ")
                .bind(Param::Text(state.as_str().into()));
        }
        // `sort_date` equals `decision_date` where there is one, and is indexed.
        if filter.decided_from.is_some() || filter.decided_to.is_some() {
            sql.push(" AND decision_date IS NOT NULL");
        }
        if let Some(from) = filter.decided_from {
            sql.push(" AND sort_date >= ").bind(Param::Date(from));
        }
        // One upper bound only: with two, SQLite cannot tell which is lower and may start the
        // index scan at the wrong one.
        let upper = match (filter.decided_to, filter.after) {
            (Some(to), Some(after)) => Some(to.min(after.sort_date)),
            (to, after) => to.or(after.map(|a| a.sort_date)),
        };
        if let Some(upper) = upper {
            sql.push(" AND sort_date <= ").bind(Param::Date(upper));
        }
        if let Some(search) = filter.search.as_deref().map(str::trim) {
            if !search.is_empty() {
                let pattern = Param::Text(crate::db::like_pattern(search));
                sql.push(" AND (subject_name LIKE ")
                    .bind(pattern.clone())
                    .push(" ESCAPE '\\' OR subject_code LIKE ")
                    .bind(pattern.clone())
                    .push(" ESCAPE '\\' OR doc_no LIKE ")
                    .bind(pattern)
                    .push(" ESCAPE '\\')");
            }
        }
        if let Some(after) = filter.after {
            sql.push(" AND (sort_date, id) < (")
                .bind(Param::Date(after.sort_date))
                .push(", ")
                .bind(Param::Int(after.id))
                .push(")");
        }
        sql.push(" ORDER BY sort_date DESC, id DESC LIMIT ")
            .bind(Param::Int(i64::from(limit)));

        let items: Vec<RecordSummary> = with_pool!(self, |pool| {
            bind_params!(sqlx::query_as(&sql.sql), &sql.params)
                .fetch_all(pool)
                .await?
        });
        Ok(page(items, limit, RecordCursor::after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_go_to_later_rounds() {
        let row = |key: &str| NewRecord {
            natural_key: key.to_owned(),
            subject_name: String::new(),
            subject_code: None,
            doc_no: None,
            decision_date: None,
            values: json!({}),
        };
        let rows = [row("a"), row("b"), row("a"), row("c"), row("a"), row("b")];
        assert_eq!(
            import_rounds(&rows),
            vec![vec![0, 1, 3], vec![2, 5], vec![4]]
        );
        assert!(import_rounds(&[]).is_empty());
    }

    #[test]
    fn plans_follow_the_stored_state() {
        assert_eq!(plan_change(None, "h"), Change::Insert);
        let stored = |state: &str| Some((7, 2, state.to_owned(), "h".to_owned()));
        assert_eq!(plan_change(stored("active"), "h"), Change::Duplicate);
        assert_eq!(plan_change(stored("revoked"), "h"), Change::Duplicate);
        assert_eq!(
            plan_change(stored("active"), "other"),
            Change::NewVersion {
                id: 7,
                version: 2,
                restore: false
            }
        );
        assert_eq!(
            plan_change(stored("deleted"), "h"),
            Change::NewVersion {
                id: 7,
                version: 2,
                restore: true
            }
        );
    }
}
