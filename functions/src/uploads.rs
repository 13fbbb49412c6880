//! The uploads function: `POST /api/uploads` (store the original, check it, import the valid
//! rows), `DELETE /api/uploads/{id}` (删除) and `DELETE /api/uploads/{id}/records` (删除数据).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::Json;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use xycz_domain::{check_bytes, Catalog, FileError};
use xycz_store::{
    upload_key, NewRecord, NewUpload, ObjectError, StoreError, Unit, Upload, UploadStatus,
};

use crate::auth::Session;
use crate::checked::{china_day, take_valid_records, unit_check_options};
use crate::error::ApiError;
use crate::extract::{Id, JsonBody};
use crate::state::AppState;

/// Reads and drops what a client is still sending of a refused body, so that it reads the
/// refusal: a server that closes the connection on unread data resets it, and the client may
/// see the reset instead of the answer. At most [`DRAIN_BYTES`] for at most [`DRAIN_TIME`]:
/// beyond that the connection is dropped.
async fn drain(body: Body) {
    let mut body = body;
    let mut read = 0usize;
    let reading = async {
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, |data| data.len());
            if read > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, reading).await;
}

/// What [`drain`] reads of a refused upload at most: the largest file the checker would take.
const DRAIN_BYTES: usize = 32 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// Room for the multipart framing and the `dataset` field around the file.
pub(crate) const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// `POST /api/uploads` (multipart: `dataset`, `file`).
pub(crate) async fn create(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let limit = state.config().max_upload_bytes;
    let too_large = ApiError::TooLarge {
        limit_mb: limit.div_ceil(1024 * 1024),
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit + MULTIPART_OVERHEAD) {
        drain(request.into_body()).await;
        return Err(too_large);
    }

    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|_| {
            ApiError::BadRequest(
                "上传的内容不是表单：请以 multipart/form-data 提交 dataset 和 file 两个字段".into(),
            )
        })?;
    let form = read_form(multipart, limit).await?;
    let Some((file_name, bytes)) = form.file else {
        return Err(ApiError::BadRequest(
            "请选择要上传的文件（表单字段 file）".into(),
        ));
    };
    let Some(dataset) = form.dataset else {
        return Err(ApiError::BadRequest(
            "请选择数据类型（表单字段 dataset）".into(),
        ));
    };
    upload(
        &state,
        &session,
        dataset.trim(),
        &file_name,
        bytes,
        Original::InRequest,
    )
    .await
}

/// How long a presigned upload URL stays valid.
const PRESIGN_EXPIRES: Duration = Duration::from_secs(15 * 60);

/// A file sent straight to the object store: what it is and which dataset it is for.
#[derive(Deserialize)]
pub(crate) struct DirectUpload {
    dataset: String,
    file_name: String,
    /// SHA-256 of the file, lowercase hex: the object's key and the proof of its content.
    sha256: String,
    /// Size in bytes, when the client knows it (checked against the limit before the upload).
    size: Option<u64>,
}

impl DirectUpload {
    /// The dataset, the unit and the object key, after checking what the client sent.
    async fn resolve(
        &self,
        state: &AppState,
        session: &Session,
    ) -> Result<(Unit, String), ApiError> {
        let dataset = state
            .catalog()
            .get(self.dataset.trim())
            .ok_or_else(|| ApiError::BadRequest(format!("未知的数据类型“{}”", self.dataset)))?;
        let unit = state.store().get_unit(session.user.unit_id).await?;
        ensure_reports(&unit, &dataset.id, &dataset.title)?;
        let is_hex = self.sha256.len() == 64
            && self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !is_hex {
            return Err(ApiError::BadRequest(
                "sha256 应为文件的 SHA-256 校验值（64 位小写十六进制）".into(),
            ));
        }
        if self.file_name.trim().is_empty() {
            return Err(ApiError::BadRequest("请提供文件名 file_name".into()));
        }
        let key = upload_key(&unit.code, &self.sha256, self.file_name.trim());
        Ok((unit, key))
    }
}

/// The largest file a presigned upload takes: the checker's file limit.
fn direct_limit() -> usize {
    xycz_domain::Limits::from_env().max_file_bytes
}

/// `POST /api/uploads/presign`: for a file above the request size limit, a URL through which
/// the browser PUTs it straight into the uploads bucket (objects on S3 only). Then
/// `POST /api/uploads/complete` checks and imports it.
pub(crate) async fn presign(
    State(state): State<AppState>,
    session: Session,
    JsonBody(body): JsonBody<DirectUpload>,
) -> Result<Json<Value>, ApiError> {
    let (_, key) = body.resolve(&state, &session).await?;
    let limit = direct_limit();
    if body.size.is_some_and(|size| size > limit as u64) {
        return Err(too_large(limit));
    }
    let presigned = match state.objects().presign_put(&key, PRESIGN_EXPIRES).await {
        Ok(presigned) => presigned,
        Err(ObjectError::Unsupported(_)) => {
            return Err(ApiError::BadRequest(format!(
                "本平台的文件保存在服务器本地，不支持大文件直传；请上传不超过 {} MB 的文件，或拆分成几个文件分别上传",
                state.config().max_upload_bytes.div_ceil(1024 * 1024)
            )))
        }
        Err(other) => return Err(other.into()),
    };
    let headers: Map<String, Value> = presigned
        .headers
        .into_iter()
        .map(|(name, value)| (name, Value::String(value)))
        .collect();
    Ok(Json(json!({
        "url": presigned.url,
        "method": presigned.method,
        "headers": headers,
        "expires_in": PRESIGN_EXPIRES.as_secs(),
        "max_bytes": limit,
    })))
}

/// `POST /api/uploads/complete`: checks and imports a file sent through a presigned URL, after
/// verifying that the stored bytes are the file the client named.
pub(crate) async fn complete(
    State(state): State<AppState>,
    session: Session,
    JsonBody(body): JsonBody<DirectUpload>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (_, key) = body.resolve(&state, &session).await?;
    let bytes = match state.objects().get(&key).await {
        Ok(bytes) => bytes,
        Err(ObjectError::NotFound(_)) => {
            return Err(ApiError::BadRequest(
                "没有找到直传的文件：请先用 /api/uploads/presign 给出的地址上传文件，再确认".into(),
            ))
        }
        Err(ObjectError::Unsupported(_)) => {
            return Err(ApiError::BadRequest(
                "本平台的文件保存在服务器本地，不支持大文件直传".into(),
            ))
        }
        Err(other) => return Err(other.into()),
    };
    let limit = direct_limit();
    if bytes.len() > limit {
        return Err(too_large(limit));
    }
    if hex::encode(Sha256::digest(&bytes)) != body.sha256 {
        return Err(ApiError::BadRequest(
            "直传的文件内容与声明的 SHA-256 校验值不符，请重新上传".into(),
        ));
    }
    upload(
        &state,
        &session,
        body.dataset.trim(),
        body.file_name.trim(),
        bytes,
        Original::Stored,
    )
    .await
}

struct Form {
    dataset: Option<String>,
    file: Option<(String, Vec<u8>)>,
}

async fn read_form(mut multipart: Multipart, limit: usize) -> Result<Form, ApiError> {
    let mut form = Form {
        dataset: None,
        file: None,
    };
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| form_error(e, limit))?
    {
        match field.name() {
            Some("dataset") => {
                form.dataset = Some(field.text().await.map_err(|e| form_error(e, limit))?);
            }
            Some("file") => {
                let name = field
                    .file_name()
                    .map(str::to_owned)
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| "upload".to_owned());
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| form_error(e, limit))? {
                    if bytes.len() + chunk.len() > limit {
                        return Err(too_large(limit));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                form.file = Some((name, bytes));
            }
            _ => {}
        }
    }
    Ok(form)
}

fn too_large(limit: usize) -> ApiError {
    ApiError::TooLarge {
        limit_mb: limit.div_ceil(1024 * 1024),
    }
}

fn form_error(error: MultipartError, limit: usize) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::BadRequest(format!(
            "上传内容无法读取，请用 multipart/form-data 提交 dataset 和 file 两个字段（{}）",
            error.body_text()
        ))
    }
}

/// Where an upload's original is when its check starts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Original {
    /// In the request: it is stored first.
    InRequest,
    /// Already in the object store (sent through a presigned URL).
    Stored,
}

/// Stores, checks and imports one file for the session's unit.
async fn upload(
    state: &AppState,
    session: &Session,
    dataset_id: &str,
    file_name: &str,
    bytes: Vec<u8>,
    original: Original,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let store = state.store();
    let dataset = state
        .catalog()
        .get(dataset_id)
        .ok_or_else(|| ApiError::BadRequest(format!("未知的数据类型“{dataset_id}”")))?;
    let unit = store.get_unit(session.user.unit_id).await?;
    ensure_reports(&unit, dataset_id, &dataset.title)?;

    let sha256 = hex::encode(Sha256::digest(&bytes));
    if let Some(first) = store
        .find_upload_by_sha256(unit.id, dataset_id, &sha256)
        .await?
    {
        return answer(&first, true).map(|body| (StatusCode::OK, Json(body)));
    }

    // The original is kept before anything else happens to it.
    let started = std::time::Instant::now();
    let object_key = upload_key(&unit.code, &sha256, file_name);
    if original == Original::InRequest {
        state.objects().put(&object_key, &bytes).await?;
    }
    let stored_at = started.elapsed();

    let size = bytes.len() as i64;
    let checked = check(
        state,
        &unit,
        dataset_id,
        file_name,
        bytes,
        china_day(chrono::Utc::now()),
    )
    .await?;
    let checked_at = started.elapsed();
    let mut new_upload = NewUpload {
        unit_id: unit.id,
        user_id: Some(session.user.id),
        dataset: dataset_id.to_owned(),
        file_name: file_name.to_owned(),
        sha256: sha256.clone(),
        size,
        object_key,
        status: UploadStatus::Failed,
        row_count: 0,
        valid_count: 0,
        invalid_count: 0,
        report: Value::Null,
    };
    let records = match &checked {
        Ok(checked) => {
            new_upload.status = if checked.valid > 0 {
                UploadStatus::Checked
            } else {
                UploadStatus::Failed
            };
            new_upload.row_count = checked.rows as i64;
            new_upload.valid_count = checked.valid as i64;
            new_upload.invalid_count = checked.invalid as i64;
            new_upload.report = checked.report.clone();
            checked.records.as_slice()
        }
        Err(error) => {
            new_upload.report =
                json!({ "error": { "code": error.code(), "message": error.to_string() } });
            &[]
        }
    };

    // The entry and its rows are recorded together: if the import fails, nothing is recorded
    // and the same file can be sent again (its original stays in the object store).
    let actor = session.actor();
    let recorded = if records.is_empty() {
        store
            .create_upload(&actor, &new_upload)
            .await
            .map(|created| (created, false))
    } else {
        store
            .create_upload_with_records(&actor, &new_upload, records)
            .await
            .map(|(created, counts)| (created, counts.imported + counts.updated > 0))
    };
    let created = match recorded {
        Ok((created, changed)) => {
            if changed {
                state.publisher().changed(dataset_id).await;
            }
            if !records.is_empty() {
                tracing::info!(
                    upload_id = created.id,
                    rows = records.len(),
                    store_ms = stored_at.as_millis() as u64,
                    check_ms = (checked_at - stored_at).as_millis() as u64,
                    import_ms = (started.elapsed() - checked_at).as_millis() as u64,
                    "upload imported"
                );
            }
            created
        }
        // The same file raced in from another request of the unit: answer with that one.
        Err(StoreError::Conflict(_)) => {
            let first = store
                .find_upload_by_sha256(unit.id, dataset_id, &sha256)
                .await?
                .ok_or(ApiError::NotFound)?;
            return answer(&first, true).map(|body| (StatusCode::OK, Json(body)));
        }
        Err(other) => return Err(other.into()),
    };
    // A large file's rows are many small allocations: free them off the request's path.
    if records.len() >= 1_000 {
        tokio::task::spawn_blocking(move || drop(checked));
    }
    answer(&created, false).map(|body| (StatusCode::CREATED, Json(body)))
}

/// A unit reports only the datasets it was set up for (all when none are listed).
fn ensure_reports(unit: &Unit, dataset_id: &str, title: &str) -> Result<(), ApiError> {
    if unit.datasets.is_empty() || unit.datasets.iter().any(|d| d == dataset_id) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "本单位未开通“{title}”的报送，请联系信用办"
        )))
    }
}

/// What the checker made of a file.
pub(crate) struct Checked {
    pub rows: usize,
    pub valid: usize,
    pub invalid: usize,
    /// The report as JSON, without the records.
    pub report: Value,
    pub records: Vec<NewRecord>,
    /// The error workbook, when asked for.
    pub errors_xlsx: Option<Vec<u8>>,
}

/// Checks `bytes` on a blocking thread, so that a huge or hostile file costs only its own
/// request. The outer error is a failure of ours, the inner one the file's.
async fn check(
    state: &AppState,
    unit: &Unit,
    dataset_id: &str,
    file_name: &str,
    bytes: Vec<u8>,
    today: chrono::NaiveDate,
) -> Result<Result<Checked, FileError>, ApiError> {
    check_file(state, unit, dataset_id, file_name, bytes, today, false).await
}

/// Checks a file; with `errors_xlsx`, also writes the invalid rows workbook.
pub(crate) async fn check_file(
    state: &AppState,
    unit: &Unit,
    dataset_id: &str,
    file_name: &str,
    bytes: Vec<u8>,
    today: chrono::NaiveDate,
    errors_xlsx: bool,
) -> Result<Result<Checked, FileError>, ApiError> {
    let options = unit_check_options(state, unit, today).await?;
    let catalog: Arc<Catalog> = state.catalog().clone();
    let dataset_id = dataset_id.to_owned();
    let file_name = file_name.to_owned();

    tokio::task::spawn_blocking(move || {
        let dataset = catalog
            .get(&dataset_id)
            .ok_or_else(|| FileError::UnknownDataset(dataset_id.clone()))?;
        let mut report = check_bytes(dataset, &file_name, &bytes, &options)?;
        drop(bytes);
        let workbook = if errors_xlsx {
            let book = xycz_domain::errors_xlsx::invalid_rows_xlsx(dataset, &report)
                .map_err(|e| FileError::Corrupt(e.to_string()))?;
            Some(book)
        } else {
            None
        };
        let records = if errors_xlsx {
            Vec::new()
        } else {
            take_valid_records(dataset, &mut report)
        };
        report.records = None;
        let json = report.to_json();
        Ok(Checked {
            rows: report.rows,
            valid: report.valid,
            invalid: report.invalid,
            report: json,
            records,
            errors_xlsx: workbook,
        })
    })
    .await
    .map_err(ApiError::internal)
}

/// The answer to an upload: its report with the upload's id, status and import counts. A file
/// that could not be checked answers 422 with the checker's message.
pub(crate) fn answer(upload: &Upload, repeated: bool) -> Result<Value, ApiError> {
    if let Some(error) = upload.report.get("error") {
        let code = error
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("file_failed");
        return Err(ApiError::File {
            code: file_error_code(code),
            message: error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("文件无法检查")
                .to_owned(),
            upload_id: Some(upload.id),
        });
    }
    let mut body = match &upload.report {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    body.insert("id".into(), upload.id.into());
    body.insert("status".into(), upload.status.as_str().into());
    body.insert("imported".into(), upload.imported_count.into());
    body.insert("updated".into(), upload.updated_count.into());
    body.insert("duplicates".into(), upload.duplicate_count.into());
    body.insert("repeated".into(), repeated.into());
    body.insert("file_name".into(), upload.file_name.clone().into());
    body.insert("created_at".into(), json!(upload.created_at));
    Ok(Value::Object(body))
}

/// The stored code as a `'static` one (the checker's codes are a closed set).
fn file_error_code(code: &str) -> &'static str {
    const CODES: [&str; 17] = [
        "file_empty",
        "file_too_large",
        "zip_bomb",
        "too_many_rows",
        "too_many_cells",
        "time_limit",
        "file_encrypted",
        "html_disguised_as_xls",
        "xml_spreadsheet_2003",
        "unknown_format",
        "file_corrupt",
        "header_not_found",
        "missing_columns",
        "obsolete_template",
        "no_rows",
        "parser_panic",
        "unknown_dataset",
    ];
    CODES
        .into_iter()
        .find(|c| *c == code)
        .unwrap_or("file_failed")
}

/// `DELETE /api/uploads/{id}` (删除): the entry and its data.
pub(crate) async fn delete(
    State(state): State<AppState>,
    session: Session,
    Id(id): Id,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let upload = store.get_upload(session.scope(), id).await?;
    let withdrawn = if upload.records_withdrawn_at.is_none() {
        store
            .withdraw_upload_records(&session.actor(), session.scope(), id)
            .await?
    } else {
        0
    };
    store
        .delete_upload(&session.actor(), session.scope(), id)
        .await?;
    if withdrawn > 0 {
        state.publisher().changed(&upload.dataset).await;
    }
    Ok(Json(
        json!({ "id": id, "deleted": true, "withdrawn": withdrawn }),
    ))
}

/// `DELETE /api/uploads/{id}/records` (删除数据): withdraw what the upload imported.
pub(crate) async fn withdraw_records(
    State(state): State<AppState>,
    session: Session,
    Id(id): Id,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let upload = store.get_upload(session.scope(), id).await?;
    let withdrawn = store
        .withdraw_upload_records(&session.actor(), session.scope(), id)
        .await?;
    if withdrawn > 0 {
        state.publisher().changed(&upload.dataset).await;
    }
    Ok(Json(json!({ "id": id, "withdrawn": withdrawn })))
}
