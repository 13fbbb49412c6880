//! The admin function (信用办): units, users, every unit's uploads and the statistics.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use xycz_domain::{checkdigit, normalize};
use xycz_store::{NewUnit, NewUser, Role, Scope};

use crate::auth::Admin;
use crate::error::ApiError;
use crate::extract::{Id, JsonBody, QueryParams};
use crate::history::{page_body, UploadQuery};
use crate::state::AppState;

/// `GET /api/admin/units`
pub(crate) async fn list_units(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "items": state.store().list_units().await? })))
}

#[derive(Deserialize)]
pub(crate) struct UnitRequest {
    name: String,
    code: String,
    #[serde(default)]
    datasets: Vec<String>,
}

/// `POST /api/admin/units`
pub(crate) async fn create_unit(
    State(state): State<AppState>,
    Admin(session): Admin,
    JsonBody(body): JsonBody<UnitRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let unit = new_unit(&state, body.name, &body.code, body.datasets)?;
    let created = state.store().create_unit(&session.actor(), &unit).await?;
    Ok((StatusCode::CREATED, Json(json!(created))))
}

/// Checks a unit's name, 统一社会信用代码 and datasets.
pub fn new_unit_checked(
    catalog: &xycz_domain::Catalog,
    name: String,
    code: &str,
    datasets: Vec<String>,
) -> Result<NewUnit, String> {
    let name = name.trim().to_owned();
    if name.is_empty() {
        return Err("请填写单位名称".into());
    }
    let code = normalize::code(code);
    if checkdigit::uscc(&code).is_err() {
        return Err(format!("“{code}”不是有效的统一社会信用代码"));
    }
    let unknown: Vec<&str> = datasets
        .iter()
        .filter(|d| catalog.get(d).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "未知的数据类型：{}（可选：{}）",
            unknown.join("、"),
            catalog.ids().join("、")
        ));
    }
    Ok(NewUnit {
        name,
        code,
        datasets,
    })
}

fn new_unit(
    state: &AppState,
    name: String,
    code: &str,
    datasets: Vec<String>,
) -> Result<NewUnit, ApiError> {
    new_unit_checked(state.catalog(), name, code, datasets).map_err(ApiError::BadRequest)
}

/// `GET /api/admin/users`
pub(crate) async fn list_users(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "items": state.store().list_users(Scope::All).await? }),
    ))
}

#[derive(Deserialize)]
pub(crate) struct UserRequest {
    username: String,
    /// The unit by id, or by its code.
    unit_id: Option<i64>,
    unit_code: Option<String>,
    role: Role,
    password: String,
}

/// `POST /api/admin/users`
pub(crate) async fn create_user(
    State(state): State<AppState>,
    Admin(session): Admin,
    JsonBody(body): JsonBody<UserRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let store = state.store();
    let unit_id = match (body.unit_id, body.unit_code.as_deref()) {
        (Some(id), _) => store.get_unit(id).await?.id,
        (None, Some(code)) => {
            store
                .find_unit_by_code(&normalize::code(code))
                .await?
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("没有统一社会信用代码为“{code}”的单位"))
                })?
                .id
        }
        (None, None) => return Err(ApiError::BadRequest("请指定用户所属单位".into())),
    };
    let username = body.username.trim();
    if username.is_empty() {
        return Err(ApiError::BadRequest("请填写用户名".into()));
    }
    let user = NewUser {
        username: username.to_owned(),
        unit_id,
        role: body.role,
        password: body.password,
    };
    let created = store
        .create_user(&session.actor(), &user, &state.config().auth)
        .await?;
    Ok((StatusCode::CREATED, Json(json!(created))))
}

#[derive(Deserialize)]
pub(crate) struct PasswordRequest {
    password: String,
}

/// `POST /api/admin/users/{id}/password`: an administrator sets a new password.
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    Admin(session): Admin,
    Id(id): Id,
    JsonBody(body): JsonBody<PasswordRequest>,
) -> Result<Json<Value>, ApiError> {
    state
        .store()
        .change_password(
            &session.actor(),
            id,
            None,
            &body.password,
            &state.config().auth,
        )
        .await?;
    Ok(crate::error::ok_body())
}

#[derive(Deserialize)]
pub(crate) struct ActiveRequest {
    active: bool,
}

/// `POST /api/admin/users/{id}/active`: enable or disable an account.
pub(crate) async fn set_active(
    State(state): State<AppState>,
    Admin(session): Admin,
    Id(id): Id,
    JsonBody(body): JsonBody<ActiveRequest>,
) -> Result<Json<Value>, ApiError> {
    let user = state
        .store()
        .set_user_active(&session.actor(), id, body.active)
        .await?;
    Ok(Json(json!(user)))
}

/// `POST /api/admin/users/{id}/unlock`: lifts a lockout after too many failed logins (解锁).
pub(crate) async fn unlock(
    State(state): State<AppState>,
    Admin(session): Admin,
    Id(id): Id,
) -> Result<Json<Value>, ApiError> {
    let user = state.store().unlock_user(&session.actor(), id).await?;
    Ok(Json(json!(user)))
}

/// `GET /api/admin/uscc-exceptions`: the accepted 统一社会信用代码 that fail their check digit.
pub(crate) async fn list_uscc_exceptions(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "items": state.store().list_uscc_exceptions().await? }),
    ))
}

#[derive(Deserialize)]
pub(crate) struct UsccExceptionRequest {
    code: String,
    note: String,
}

/// `POST /api/admin/uscc-exceptions`: accepts an early pilot code whose check digit fails.
pub(crate) async fn add_uscc_exception(
    State(state): State<AppState>,
    Admin(session): Admin,
    JsonBody(body): JsonBody<UsccExceptionRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let code = normalize::code(&body.code);
    let note = body.note.trim();
    if note.is_empty() {
        return Err(ApiError::BadRequest("请填写说明（例如核实的依据）".into()));
    }
    match checkdigit::uscc(&code) {
        Err(checkdigit::CodeFault::CheckDigit) => {}
        Ok(()) => {
            return Err(ApiError::BadRequest(format!(
                "“{code}”能通过校验，不需要登记为例外"
            )))
        }
        Err(_) => {
            return Err(ApiError::BadRequest(format!(
                "“{code}”不是 18 位统一社会信用代码，只有校验位不符的代码可以登记为例外"
            )))
        }
    }
    let added = state
        .store()
        .add_uscc_exception(&session.actor(), &code, note)
        .await?;
    Ok((StatusCode::CREATED, Json(json!(added))))
}

/// `GET /api/admin/uploads`: every unit's uploads (`unit` filters one).
pub(crate) async fn list_uploads(
    State(state): State<AppState>,
    _admin: Admin,
    QueryParams(query): QueryParams<UploadQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = query.filter(Scope::All)?;
    let page = state.store().list_uploads(&filter).await?;
    Ok(Json(page_body(state.store(), &page).await?))
}

/// `GET /api/admin/stats`: per unit and dataset.
pub(crate) async fn stats(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<Value>, ApiError> {
    let units = state.store().list_units().await?;
    let stats = state.store().unit_stats(Scope::All).await?;
    let items: Vec<Value> = stats
        .into_iter()
        .map(|s| {
            let unit = units.iter().find(|u| u.id == s.unit_id);
            let mut item = json!(s);
            if let Some(object) = item.as_object_mut() {
                object.insert("unit_name".into(), json!(unit.map(|u| u.name.as_str())));
                object.insert("unit_code".into(), json!(unit.map(|u| u.code.as_str())));
            }
            item
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}
