//! The records function: the unit's records with search and paging, one record with its
//! versions, 新增 and 修改 checked by the same rules as an upload, and 撤销.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};
use xycz_domain::{check_bytes, Catalog, Severity};
use xycz_store::{NewRecord, RecordCursor, RecordFilter, RecordState, Unit};

use crate::auth::Session;
use crate::checked::{china_day, new_record, single_record_csv, unit_check_options};
use crate::error::ApiError;
use crate::extract::{Id, JsonBody, QueryParams};
use crate::state::AppState;

const DEFAULT_PAGE_SIZE: u32 = 50;

/// Filters of the record list.
#[derive(Deserialize, Default)]
pub(crate) struct RecordQuery {
    dataset: Option<String>,
    /// Part of the subject name, the subject code or the document number.
    q: Option<String>,
    state: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// The `next_cursor` of the previous page (`YYYY-MM-DD.ID`).
    after: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/records`
pub(crate) async fn list(
    State(state): State<AppState>,
    session: Session,
    QueryParams(query): QueryParams<RecordQuery>,
) -> Result<Json<Value>, ApiError> {
    let record_state = match query.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(RecordState::try_from(s.to_owned()).map_err(|_| {
            ApiError::BadRequest(format!(
                "未知的记录状态“{s}”（可选：active、revoked、deleted）"
            ))
        })?),
    };
    let after = match query.after.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.parse::<RecordCursor>()
                .map_err(|_| ApiError::BadRequest(format!("分页参数 after 无效：{s}")))?,
        ),
    };
    let filter = RecordFilter {
        scope: Some(session.scope()),
        dataset: query.dataset.filter(|d| !d.is_empty()),
        state: record_state,
        search: query.q,
        decided_from: query.from,
        decided_to: query.to,
        after,
        limit: query.limit.unwrap_or(DEFAULT_PAGE_SIZE),
    };
    let page = state.store().list_records(&filter).await?;
    Ok(Json(json!({
        "items": page.items,
        "next_cursor": page.next_cursor.map(|c| c.to_string()),
    })))
}

/// `GET /api/records/{id}`: the record and its versions, oldest first.
pub(crate) async fn get(
    State(state): State<AppState>,
    session: Session,
    Id(id): Id,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let detail = store.get_record(session.scope(), id).await?;
    let ids: Vec<i64> = detail.versions.iter().filter_map(|v| v.user_id).collect();
    let usernames = store.usernames(&ids).await?;
    let mut body = json!(detail);
    // Each version names who made it (经办人), as the upload lists do.
    if let Some(versions) = body.get_mut("versions").and_then(Value::as_array_mut) {
        for version in versions {
            let name = version
                .get("user_id")
                .and_then(Value::as_i64)
                .and_then(|id| usernames.get(&id))
                .cloned();
            if let Some(object) = version.as_object_mut() {
                object.insert("username".into(), name.into());
            }
        }
    }
    Ok(Json(body))
}

#[derive(Deserialize)]
pub(crate) struct CreateRequest {
    dataset: String,
    values: BTreeMap<String, String>,
}

/// `POST /api/records` (新增)
pub(crate) async fn create(
    State(state): State<AppState>,
    session: Session,
    JsonBody(body): JsonBody<CreateRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let store = state.store();
    let dataset = state
        .catalog()
        .get(&body.dataset)
        .ok_or_else(|| ApiError::BadRequest(format!("未知的数据类型“{}”", body.dataset)))?;
    let unit = store.get_unit(session.user.unit_id).await?;
    if !unit.datasets.is_empty() && !unit.datasets.contains(&dataset.id) {
        return Err(ApiError::BadRequest(format!(
            "本单位未开通“{}”的报送，请联系信用办",
            dataset.title
        )));
    }

    let record = check_record(&state, &unit, &body.dataset, &body.values).await?;
    let created = store
        .create_record(&session.actor(), unit.id, &body.dataset, &record)
        .await
        .map_err(|e| match e {
            xycz_store::StoreError::Conflict(_) => ApiError::Conflict(
                "已存在相同决定文书号、相对人和决定日期的记录，请在该记录上使用“修改”".into(),
            ),
            other => other.into(),
        })?;
    state.publisher().changed(&body.dataset).await;
    Ok((StatusCode::CREATED, Json(json!(created))))
}

#[derive(Deserialize)]
pub(crate) struct ModifyRequest {
    values: BTreeMap<String, String>,
}

/// `PUT /api/records/{id}` (修改): the checked values become a new version.
pub(crate) async fn modify(
    State(state): State<AppState>,
    session: Session,
    Id(id): Id,
    JsonBody(body): JsonBody<ModifyRequest>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let current = store.get_record(session.scope(), id).await?.record;
    let unit = store.get_unit(current.unit_id).await?;
    let record = check_record(&state, &unit, &current.dataset, &body.values).await?;
    let modified = store
        .modify_record(&session.actor(), session.scope(), id, &record)
        .await?;
    state.publisher().changed(&current.dataset).await;
    Ok(Json(json!(modified)))
}

#[derive(Deserialize)]
pub(crate) struct RevokeRequest {
    reason: String,
}

/// `POST /api/records/{id}/revoke` (撤销)
pub(crate) async fn revoke(
    State(state): State<AppState>,
    session: Session,
    Id(id): Id,
    JsonBody(body): JsonBody<RevokeRequest>,
) -> Result<Json<Value>, ApiError> {
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::BadRequest("请填写撤销原因".into()));
    }
    let revoked = state
        .store()
        .revoke_record(&session.actor(), session.scope(), id, reason)
        .await?;
    state.publisher().changed(&revoked.dataset).await;
    Ok(Json(json!(revoked)))
}

/// Runs a typed record through the checker as a one-row file of `unit`.
async fn check_record(
    state: &AppState,
    unit: &Unit,
    dataset_id: &str,
    values: &BTreeMap<String, String>,
) -> Result<NewRecord, ApiError> {
    let catalog: Arc<Catalog> = state.catalog().clone();
    let dataset = catalog
        .get(dataset_id)
        .ok_or_else(|| ApiError::BadRequest(format!("未知的数据类型“{dataset_id}”")))?;
    let csv = single_record_csv(dataset, values)?;
    let options = unit_check_options(state, unit, china_day(chrono::Utc::now())).await?;
    let dataset_id = dataset_id.to_owned();

    tokio::task::spawn_blocking(move || {
        let dataset = catalog
            .get(&dataset_id)
            .ok_or_else(|| ApiError::BadRequest(format!("未知的数据类型“{dataset_id}”")))?;
        let mut report = check_bytes(dataset, "record.csv", &csv, &options).map_err(|error| {
            ApiError::File {
                code: error.code(),
                message: error.to_string(),
                upload_id: None,
            }
        })?;
        let record = report.records.take().and_then(|r| r.into_iter().next());
        match record {
            Some(record) if record.valid => Ok(new_record(dataset, &report.labels, record)),
            _ => {
                let issues: Vec<Value> = report
                    .issues
                    .iter()
                    .filter(|i| i.severity == Severity::Error)
                    .map(|i| json!({ "field": i.field, "code": i.code, "message": i.message, "value": i.value }))
                    .collect();
                Err(ApiError::InvalidRecord {
                    issues: Value::Array(issues),
                })
            }
        }
    })
    .await
    .map_err(ApiError::internal)?
}
