//! Uploads: one row per file a unit sent, with its check results and import counters.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::audit::{page, write_audit, AuditEvent};
use crate::db::{bind_params, with_pool, BeginWrite, Param, SqlBuilder, Store};
use crate::error::StoreError;
use crate::model::{Actor, NewUpload, Page, Scope, Upload, UploadStatus};
use crate::records::MAX_PAGE_SIZE;

/// What the check of an upload came to, as 我的上报 filters it. Deleted uploads match none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadResult {
    /// Checked, and every row valid (全部通过).
    Passed,
    /// Checked, with some invalid rows (部分有误).
    Partial,
    /// The file could not be read, or no row passed (无法导入).
    Failed,
}

impl UploadResult {
    /// The SQL condition on `uploads` for this result.
    fn condition(self) -> &'static str {
        match self {
            UploadResult::Passed => " AND status = 'checked' AND invalid_count = 0",
            UploadResult::Partial => " AND status = 'checked' AND invalid_count > 0",
            UploadResult::Failed => " AND status = 'failed'",
        }
    }
}

/// Filters of the upload history (我的上报); rows come newest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UploadFilter {
    pub scope: Option<Scope>,
    pub dataset: Option<String>,
    /// Any of these datasets (a menu's group); empty means no such filter.
    pub datasets: Vec<String>,
    pub status: Option<UploadStatus>,
    pub result: Option<UploadResult>,
    pub created_from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub created_to: Option<DateTime<Utc>>,
    /// The `next_cursor` of the previous page.
    pub before_id: Option<i64>,
    pub limit: u32,
}

fn scoped_upload(scope: Scope, id: i64) -> SqlBuilder {
    let mut sql = SqlBuilder::new("SELECT * FROM uploads WHERE id = ");
    sql.bind(Param::Int(id));
    if let Some(unit_id) = scope.unit_id() {
        sql.push(" AND unit_id = ").bind(Param::Int(unit_id));
    }
    sql
}

/// Inserts a [`NewUpload`] in the transaction `$tx` at `$now` and audits it; a file the
/// unit already sent for the dataset is a [`StoreError::Conflict`]. Evaluates to the upload.
macro_rules! insert_upload {
    ($tx:expr, $actor:expr, $upload:expr, $now:expr) => {{
        let upload: &$crate::model::NewUpload = $upload;
        let now: chrono::DateTime<chrono::Utc> = $now;
        async {
            let created: $crate::model::Upload = sqlx::query_as(
                "INSERT INTO uploads (unit_id, user_id, dataset, file_name, sha256, size, \
                 object_key, status, row_count, valid_count, invalid_count, report, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *",
            )
            .bind(upload.unit_id)
            .bind(upload.user_id)
            .bind(&upload.dataset)
            .bind(&upload.file_name)
            .bind(&upload.sha256)
            .bind(upload.size)
            .bind(&upload.object_key)
            .bind(upload.status.as_str())
            .bind(upload.row_count)
            .bind(upload.valid_count)
            .bind(upload.invalid_count)
            .bind(sqlx::types::Json(&upload.report))
            .bind(now)
            .fetch_one(&mut *$tx)
            .await
            .map_err($crate::error::conflict_on_unique("上报文件"))?;

            let event = $crate::audit::AuditEvent::new($actor, "upload.create")
                .unit(upload.unit_id)
                .target(created.id)
                .upload(Some(created.id))
                .detail(serde_json::json!({
                    "dataset": upload.dataset,
                    "file_name": upload.file_name,
                    "sha256": upload.sha256,
                    "size": upload.size,
                    "status": upload.status.as_str(),
                }));
            $crate::audit::write_audit!(&mut *$tx, now, event)?;
            Ok::<_, $crate::error::StoreError>(created)
        }
        .await
    }};
}
pub(crate) use insert_upload;

impl Store {
    /// Records an upload. The same file (same SHA-256) already uploaded by the unit for the same
    /// dataset and not deleted is a [`StoreError::Conflict`]; look it up with
    /// [`Store::find_upload_by_sha256`].
    pub async fn create_upload(
        &self,
        actor: &Actor,
        upload: &NewUpload,
    ) -> Result<Upload, StoreError> {
        let now = self.now();
        let created: Upload = with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let created = insert_upload!(tx, actor, upload, now)?;
            tx.commit().await?;
            created
        });
        Ok(created)
    }

    /// The unit's live upload of a file with this SHA-256, for re-upload detection.
    pub async fn find_upload_by_sha256(
        &self,
        unit_id: i64,
        dataset: &str,
        sha256: &str,
    ) -> Result<Option<Upload>, StoreError> {
        let found = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT * FROM uploads WHERE unit_id = $1 AND dataset = $2 AND sha256 = $3 \
                 AND status <> 'deleted' ORDER BY id LIMIT 1",
            )
            .bind(unit_id)
            .bind(dataset)
            .bind(sha256)
            .fetch_optional(pool)
            .await?
        });
        Ok(found)
    }

    /// One upload; another unit's upload is [`StoreError::NotFound`].
    pub async fn get_upload(&self, scope: Scope, id: i64) -> Result<Upload, StoreError> {
        let lookup = scoped_upload(scope, id);
        let upload: Option<Upload> = with_pool!(self, |pool| {
            bind_params!(sqlx::query_as(&lookup.sql), &lookup.params)
                .fetch_optional(pool)
                .await?
        });
        upload.ok_or(StoreError::NotFound)
    }

    /// One page of the upload history, newest first; `report` is null in a list.
    pub async fn list_uploads(&self, filter: &UploadFilter) -> Result<Page<Upload>, StoreError> {
        let limit = filter.limit.clamp(1, MAX_PAGE_SIZE);
        // `dataset` and `datasets` both hold: a dataset outside the group matches nothing.
        let datasets: Vec<&String> = match &filter.dataset {
            Some(one) if filter.datasets.is_empty() || filter.datasets.contains(one) => vec![one],
            Some(_) => {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                })
            }
            None => filter.datasets.iter().collect(),
        };
        let single = match datasets.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        let index = match (filter.scope.and_then(Scope::unit_id), single) {
            (Some(_), Some(_)) => Some("uploads_unit_dataset_id"),
            (Some(_), None) => Some("uploads_unit_id"),
            (None, Some(_)) => Some("uploads_dataset_id"),
            // The primary key already walks ids in order.
            (None, None) => None,
        };
        let hint = index.map_or_else(String::new, |index| self.db.index_hint(index));
        // The report can be large; a list leaves it out (null) and `get_upload` has it.
        let mut sql = SqlBuilder::new(&format!(
            "SELECT id, unit_id, user_id, dataset, file_name, sha256, size, object_key, status, \
             row_count, valid_count, invalid_count, imported_count, updated_count, \
             duplicate_count, {} AS report, created_at, deleted_at, records_withdrawn_at \
             FROM uploads{hint} WHERE 1 = 1",
            self.db.json_null()
        ));
        if let Some(unit_id) = filter.scope.and_then(Scope::unit_id) {
            sql.push(" AND unit_id = ").bind(Param::Int(unit_id));
        }
        if let Some(dataset) = single {
            sql.push(" AND dataset = ")
                .bind(Param::Text(dataset.clone()));
        } else if !datasets.is_empty() {
            sql.push(" AND dataset IN (");
            for (n, dataset) in datasets.iter().enumerate() {
                if n > 0 {
                    sql.push(", ");
                }
                sql.bind(Param::Text((*dataset).clone()));
            }
            sql.push(")");
        }
        if let Some(status) = filter.status {
            sql.push(" AND status = ")
                .bind(Param::Text(status.as_str().into()));
        }
        if let Some(result) = filter.result {
            sql.push(result.condition());
        }
        if let Some(from) = filter.created_from {
            sql.push(" AND created_at >= ").bind(Param::Time(from));
        }
        if let Some(to) = filter.created_to {
            sql.push(" AND created_at < ").bind(Param::Time(to));
        }
        if let Some(before) = filter.before_id {
            sql.push(" AND id < ").bind(Param::Int(before));
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .bind(Param::Int(i64::from(limit)));

        let items: Vec<Upload> = with_pool!(self, |pool| {
            bind_params!(sqlx::query_as(&sql.sql), &sql.params)
                .fetch_all(pool)
                .await?
        });
        Ok(page(items, limit, |u| u.id))
    }

    /// Deletes an upload's entry (删除): the row stays, marked deleted. Its records are not
    /// touched; see [`Store::withdraw_upload_records`].
    pub async fn delete_upload(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
    ) -> Result<Upload, StoreError> {
        let now = self.now();
        let lookup = scoped_upload(scope, id);
        let deleted: Upload = with_pool!(self, |pool| {
            // Reads before it writes: take the write lock first (see `BeginWrite`).
            let mut tx = pool.begin_write().await?;
            let current: Upload = bind_params!(sqlx::query_as(&lookup.sql), &lookup.params)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            if current.status == UploadStatus::Deleted {
                return Err(StoreError::InvalidState("该上报记录已删除"));
            }
            let deleted = sqlx::query_as(
                "UPDATE uploads SET status = 'deleted', deleted_at = $2 WHERE id = $1 RETURNING *",
            )
            .bind(id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;

            let event = AuditEvent::new(actor, "upload.delete")
                .unit(current.unit_id)
                .target(id)
                .upload(Some(id))
                .detail(json!({ "previous_status": current.status.as_str() }));
            write_audit!(&mut *tx, now, event)?;
            tx.commit().await?;
            deleted
        });
        Ok(deleted)
    }

    /// Stores the outcome of a (re)check: status, row counts and the report.
    pub async fn update_upload_check(
        &self,
        id: i64,
        status: UploadStatus,
        row_count: i64,
        valid_count: i64,
        invalid_count: i64,
        report: &Value,
    ) -> Result<Upload, StoreError> {
        let updated: Option<Upload> = with_pool!(self, |pool| {
            sqlx::query_as(
                "UPDATE uploads SET status = $2, row_count = $3, valid_count = $4, \
                 invalid_count = $5, report = $6 WHERE id = $1 RETURNING *",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(row_count)
            .bind(valid_count)
            .bind(invalid_count)
            .bind(sqlx::types::Json(report))
            .fetch_optional(pool)
            .await?
        });
        updated.ok_or(StoreError::NotFound)
    }
}
