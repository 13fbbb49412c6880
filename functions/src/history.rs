//! The history function (我的上报): the upload list, one upload's report, its original file and
//! the workbook of its invalid rows.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

use xycz_store::{Page, Scope, Store, Upload, UploadFilter, UploadResult, UploadStatus};

use crate::auth::Session;
use crate::checked::{china_day, china_midnight};
use crate::error::ApiError;
use crate::extract::{Id, QueryParams};
use crate::state::AppState;
use crate::uploads::{answer, check_file};

/// Rows per page when the caller does not say.
const DEFAULT_PAGE_SIZE: u32 = 50;

/// Filters of the upload list.
#[derive(Deserialize, Default)]
pub(crate) struct UploadQuery {
    /// One dataset, or several separated by commas (a menu's group).
    dataset: Option<String>,
    status: Option<String>,
    /// What the check came to: `passed` (全部通过), `partial` (部分有误), `failed` (无法导入).
    result: Option<String>,
    /// First day (China time), inclusive.
    from: Option<NaiveDate>,
    /// Last day (China time), inclusive.
    to: Option<NaiveDate>,
    /// The `next_cursor` of the previous page.
    before: Option<i64>,
    limit: Option<u32>,
    /// Administrators only: one unit.
    unit: Option<i64>,
}

impl UploadQuery {
    pub(crate) fn filter(&self, scope: Scope) -> Result<UploadFilter, ApiError> {
        let status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(UploadStatus::try_from(s.to_owned()).map_err(|_| {
                ApiError::BadRequest(format!(
                    "未知的上报状态“{s}”（可选：checked、failed、deleted）"
                ))
            })?),
        };
        let result = match self.result.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some("passed") => Some(UploadResult::Passed),
            Some("partial") => Some(UploadResult::Partial),
            Some("failed") => Some(UploadResult::Failed),
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "未知的校验结果“{other}”（可选：passed 全部通过、partial 部分有误、failed 无法导入）"
                )))
            }
        };
        let datasets: Vec<String> = self
            .dataset
            .iter()
            .flat_map(|d| d.split(','))
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect();
        let scope = match (scope, self.unit) {
            (Scope::All, Some(unit)) => Scope::Unit(unit),
            (scope, _) => scope,
        };
        Ok(UploadFilter {
            scope: Some(scope),
            dataset: None,
            datasets,
            status,
            result,
            created_from: self.from.map(china_midnight),
            created_to: self.to.and_then(|to| to.succ_opt()).map(china_midnight),
            before_id: self.before,
            limit: self.limit.unwrap_or(DEFAULT_PAGE_SIZE),
        })
    }
}

/// An upload in a list: everything but the report, with the uploader's `username` (经办人).
fn list_item(upload: &Upload, usernames: &HashMap<i64, String>) -> Value {
    let mut item = serde_json::to_value(upload).unwrap_or_default();
    if let Some(object) = item.as_object_mut() {
        object.remove("report");
        let username = upload.user_id.and_then(|id| usernames.get(&id));
        object.insert("username".into(), json!(username));
    }
    item
}

/// A page of uploads as the API answers it.
pub(crate) async fn page_body(store: &Store, page: &Page<Upload>) -> Result<Value, ApiError> {
    let ids: Vec<i64> = page.items.iter().filter_map(|u| u.user_id).collect();
    let usernames = store.usernames(&ids).await?;
    Ok(json!({
        "items": page.items.iter().map(|u| list_item(u, &usernames)).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
    }))
}

/// `GET /api/uploads`
pub(crate) async fn list(
    State(state): State<AppState>,
    session: Session,
    QueryParams(query): QueryParams<UploadQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = query.filter(session.scope())?;
    let page = state.store().list_uploads(&filter).await?;
    Ok(Json(page_body(state.store(), &page).await?))
}

/// `GET /api/uploads/{id}`: the upload and its report.
pub(crate) async fn get(
    State(state): State<AppState>,
    session: Session,
    Id(id): Id,
) -> Result<Json<Value>, ApiError> {
    let store = state.store();
    let upload = store.get_upload(session.scope(), id).await?;
    let usernames = store.usernames(upload.user_id.as_slice()).await?;
    let mut body = list_item(&upload, &usernames);
    if let Some(object) = body.as_object_mut() {
        object.insert("report".into(), upload.report.clone());
        let result = answer(&upload, false).unwrap_or_else(|e| e.body());
        object.insert("result".into(), result);
    }
    Ok(Json(body))
}

/// `GET /api/uploads/{id}/file`: the original, as uploaded.
pub(crate) async fn file(
    State(state): State<AppState>,
    session: Session,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let upload = state.store().get_upload(session.scope(), id).await?;
    let bytes = state.objects().get(&upload.object_key).await?;
    Ok(attachment(
        &upload.file_name,
        content_type(&upload.file_name),
        bytes,
    ))
}

/// `GET /api/uploads/{id}/errors.xlsx`: the invalid rows with 错误原因, made again from the
/// stored original with the options of the day it was uploaded.
pub(crate) async fn errors_xlsx(
    State(state): State<AppState>,
    session: Session,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let store = state.store();
    let upload = store.get_upload(session.scope(), id).await?;
    let unit = store.get_unit(upload.unit_id).await?;
    let bytes = state.objects().get(&upload.object_key).await?;
    let today = china_day(upload.created_at);
    let checked = check_file(
        &state,
        &unit,
        &upload.dataset,
        &upload.file_name,
        bytes,
        today,
        true,
    )
    .await?
    .map_err(|error| ApiError::File {
        code: error.code(),
        message: error.to_string(),
        upload_id: Some(upload.id),
    })?;
    let workbook = checked.errors_xlsx.unwrap_or_default();
    let stem = upload
        .file_name
        .rsplit_once('.')
        .map_or(upload.file_name.as_str(), |(stem, _)| stem);
    Ok(attachment(
        &format!("{stem}-错误行.xlsx"),
        XLSX_TYPE,
        workbook,
    ))
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn content_type(file_name: &str) -> &'static str {
    let lower = file_name.to_lowercase();
    if lower.ends_with(".xlsx") {
        XLSX_TYPE
    } else if lower.ends_with(".xls") {
        "application/vnd.ms-excel"
    } else if lower.ends_with(".ods") {
        "application/vnd.oasis.opendocument.spreadsheet"
    } else if lower.ends_with(".csv") {
        "text/csv"
    } else {
        "application/octet-stream"
    }
}

/// A download with its file name (RFC 6266 `filename*` for Chinese names).
fn attachment(file_name: &str, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encode(file_name)
    );
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_encoded_for_downloads() {
        assert_eq!(percent_encode("处罚 1.xlsx"), "%E5%A4%84%E7%BD%9A%201.xlsx");
        assert_eq!(content_type("A.XLSX"), XLSX_TYPE);
    }
}
