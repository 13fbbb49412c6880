//! Login, logout and `/api/me`; the session extractor that every other handler starts with.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use xycz_store::{Actor, LoginOutcome, LoginRejection, Role, Scope, User};

use crate::config::CookieSecurity;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::net::ClientAddr;
use crate::state::{AppState, SESSION_COOKIE};

/// Header that state-changing requests carry, equal to the session's `csrf` value.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in user. Extracting it checks the cookie, the session's expiry and, on
/// state-changing methods, the CSRF token.
pub(crate) struct Session {
    pub user: User,
    pub csrf: String,
    token: String,
    pub address: Option<String>,
}

impl Session {
    /// The user as the audit log names them.
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user, self.address.as_deref())
    }

    /// What the user may read: their unit's rows, or all rows for an administrator.
    pub fn scope(&self) -> Scope {
        Scope::of(&self.user)
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token =
            cookie_value(&parts.headers, SESSION_COOKIE).ok_or(ApiError::Unauthenticated)?;
        let info = state
            .store()
            .session(&token, &state.config().auth)
            .await?
            .ok_or(ApiError::Unauthenticated)?;

        if changes_state(&parts.method) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same_secret(sent, &info.csrf_token) {
                return Err(ApiError::Csrf);
            }
        }

        let address = parts
            .extensions
            .get::<ClientAddr>()
            .map(|ClientAddr(ip)| ip.to_string());
        Ok(Session {
            user: info.user,
            csrf: info.csrf_token,
            token,
            address,
        })
    }
}

/// A signed-in administrator; a reporter gets 403.
pub(crate) struct Admin(pub Session);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = Session::from_request_parts(parts, state).await?;
        if !session.is_admin() {
            return Err(ApiError::Forbidden);
        }
        Ok(Admin(session))
    }
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Compares without stopping at the first difference.
fn same_secret(sent: &str, expected: &str) -> bool {
    sent.len() == expected.len()
        && !expected.is_empty()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// `Secure` unless a browser talks plain HTTP to a loopback host and the settings allow that.
fn secure_cookie(security: CookieSecurity, headers: &HeaderMap) -> bool {
    if security == CookieSecurity::Always {
        return true;
    }
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    https || !is_loopback_host(host)
}

fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn session_cookie(
    value: &str,
    max_age_seconds: i64,
    secure: bool,
) -> Result<HeaderValue, ApiError> {
    let mut cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/api; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}"
    );
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).map_err(ApiError::internal)
}

/// What login and `/api/me` answer: the user, the unit, the role and the CSRF token.
async fn whoami(state: &AppState, user: &User, csrf: &str) -> Result<Value, ApiError> {
    let unit = state.store().get_unit(user.unit_id).await?;
    Ok(json!({
        "user": { "id": user.id, "username": user.username, "unit_id": user.unit_id },
        "unit": { "id": unit.id, "name": unit.name, "code": unit.code, "datasets": unit.datasets },
        "role": user.role,
        "csrf": csrf,
    }))
}

#[derive(Deserialize)]
pub(crate) struct LoginRequest {
    username: String,
    password: String,
}

/// `POST /api/auth/login`
pub(crate) async fn login(
    State(state): State<AppState>,
    address: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Result<Response, ApiError> {
    let address = address.map(|axum::Extension(ClientAddr(ip))| ip.to_string());
    let policy = &state.config().auth;
    let outcome = state
        .store()
        .login(
            body.username.trim(),
            &body.password,
            address.as_deref(),
            policy,
        )
        .await?;
    let session = match outcome {
        LoginOutcome::Success(session) => session,
        LoginOutcome::Rejected(rejection) => return Err(login_error(&rejection)),
    };

    let body = whoami(&state, &session.user, &session.csrf_token).await?;
    let secure = secure_cookie(state.config().cookie, &headers);
    let cookie = session_cookie(
        &session.token,
        policy.session_absolute.num_seconds(),
        secure,
    )?;
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

fn login_error(rejection: &LoginRejection) -> ApiError {
    let (status, code) = match rejection {
        LoginRejection::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
        LoginRejection::Locked { .. } => (StatusCode::LOCKED, "account_locked"),
        LoginRejection::Disabled => (StatusCode::FORBIDDEN, "account_disabled"),
    };
    ApiError::Login {
        status,
        code,
        message: rejection.message(),
    }
}

/// `POST /api/auth/logout`
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
) -> Result<Response, ApiError> {
    state
        .store()
        .logout(&session.token, session.address.as_deref())
        .await?;
    let secure = secure_cookie(state.config().cookie, &headers);
    let cookie = session_cookie("", 0, secure)?;
    Ok(([(header::SET_COOKIE, cookie)], crate::error::ok_body()).into_response())
}

#[derive(Deserialize)]
pub(crate) struct PasswordChange {
    old_password: String,
    new_password: String,
}

/// `POST /api/auth/password`: the signed-in user changes their own password (修改密码). This
/// session stays open; the user's other sessions end.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    session: Session,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<Json<Value>, ApiError> {
    if body.new_password == body.old_password {
        return Err(ApiError::BadRequest("新密码不能与原密码相同".into()));
    }
    state
        .store()
        .change_own_password(
            &session.actor(),
            session.user.id,
            &body.old_password,
            &body.new_password,
            &session.token,
            &state.config().auth,
        )
        .await?;
    Ok(crate::error::ok_body())
}

/// `GET /api/me`
pub(crate) async fn me(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(whoami(&state, &session.user, &session.csrf).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; xycz_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(
            cookie_value(&headers, SESSION_COOKIE).as_deref(),
            Some("abc")
        );
        assert_eq!(cookie_value(&headers, "c"), None);
    }

    #[test]
    fn secure_except_plain_http_on_loopback() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(!secure_cookie(CookieSecurity::ExceptLoopbackHttp, &headers));
        assert!(secure_cookie(CookieSecurity::Always, &headers));
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        assert!(secure_cookie(CookieSecurity::ExceptLoopbackHttp, &headers));
        headers.remove("x-forwarded-proto");
        headers.insert(header::HOST, "credit.example.gov.cn".parse().unwrap());
        assert!(secure_cookie(CookieSecurity::ExceptLoopbackHttp, &headers));
        headers.insert(header::HOST, "[::1]:8080".parse().unwrap());
        assert!(!secure_cookie(CookieSecurity::ExceptLoopbackHttp, &headers));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("", ""));
        assert!(!same_secret("ab", "abc"));
    }
}
