//! Errors of a request, each with an HTTP status, a stable code and a Chinese message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use xycz_store::StoreError;

/// Why a request failed. The `Display` text is the Chinese message the user reads.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("请先登录")]
    Unauthenticated,

    #[error("缺少或错误的 X-CSRF-Token 请求头，请刷新页面后重试")]
    Csrf,

    #[error("没有权限执行此操作")]
    Forbidden,

    #[error("本系统只能通过政务外网访问，请在政务外网内的电脑上使用")]
    NetworkDenied,

    #[error("未找到该记录")]
    NotFound,

    #[error("{0}")]
    BadRequest(String),

    #[error("文件超过 {limit_mb} MB 的上传大小上限，请拆分成几个较小的文件分别上传")]
    TooLarge { limit_mb: usize },

    /// The uploaded file as a whole could not be checked.
    #[error("{message}")]
    File {
        code: &'static str,
        message: String,
        upload_id: Option<i64>,
    },

    /// A record entered by hand failed the checker.
    #[error("记录未通过检查，请按提示修改后再提交")]
    InvalidRecord { issues: Value },

    #[error("{0}")]
    Conflict(String),

    /// A refused login; `code` says why.
    #[error("{message}")]
    Login {
        status: StatusCode,
        code: &'static str,
        message: String,
    },

    #[error("服务器内部错误，请稍后重试；如果问题持续，请联系信用办技术支持")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Csrf | ApiError::Forbidden | ApiError::NetworkDenied => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::File { .. } | ApiError::InvalidRecord { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Login { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Csrf => "csrf_token_invalid",
            ApiError::Forbidden => "forbidden",
            ApiError::NetworkDenied => "network_denied",
            ApiError::NotFound => "not_found",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::TooLarge { .. } => "file_too_large",
            ApiError::File { code, .. } => code,
            ApiError::InvalidRecord { .. } => "invalid_record",
            ApiError::Conflict(_) => "conflict",
            ApiError::Login { code, .. } => code,
            ApiError::Internal(_) => "internal",
        }
    }

    /// Wraps an unexpected failure.
    pub fn internal(error: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Internal(error.into())
    }

    /// The JSON body: `{code, message}` and what else the caller needs.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("code".into(), self.code().into());
        body.insert("message".into(), self.to_string().into());
        match self {
            ApiError::File {
                upload_id: Some(id),
                ..
            } => {
                body.insert("id".into(), (*id).into());
            }
            ApiError::InvalidRecord { issues } => {
                body.insert("issues".into(), issues.clone());
            }
            _ => {}
        }
        Value::Object(body)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(error) = &self {
            tracing::error!(error = format!("{error:#}"), "request failed");
        }
        (self.status(), Json(self.body())).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(what) => ApiError::Conflict(format!("已存在相同的{what}")),
            StoreError::WeakPassword { .. } | StoreError::WrongPassword => {
                ApiError::BadRequest(error.to_string())
            }
            StoreError::InvalidState(message) => ApiError::Conflict(message.to_owned()),
            StoreError::AccountLocked { .. } => ApiError::Login {
                status: StatusCode::LOCKED,
                code: "account_locked",
                message: error.to_string(),
            },
            other => ApiError::internal(other),
        }
    }
}

impl From<xycz_store::ObjectError> for ApiError {
    fn from(error: xycz_store::ObjectError) -> Self {
        match error {
            xycz_store::ObjectError::NotFound(_) => ApiError::NotFound,
            other => ApiError::internal(other),
        }
    }
}

/// The body of an error page for browsers that asked for HTML.
pub(crate) fn html_page(title: &str, message: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{message}</p></body></html>"
    )
}

/// `json!` shortcut for handlers that answer `{ok: true}`.
pub(crate) fn ok_body() -> Json<Value> {
    Json(json!({ "ok": true }))
}
