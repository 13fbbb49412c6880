//! Errors a caller decides on: not found, conflicts, weak passwords; everything else is a
//! database or I/O failure.

use std::path::PathBuf;

/// What went wrong in a storage call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist, or belongs to another unit.
    #[error("未找到该记录")]
    NotFound,

    /// A unique key is already taken (unit code, username, natural key, upload hash).
    #[error("已存在相同的{0}")]
    Conflict(&'static str),

    /// The new password is shorter than the policy allows.
    #[error("密码至少需要 {min} 个字符")]
    WeakPassword { min: usize },

    /// The old password given to a password change is wrong.
    #[error("原密码不正确")]
    WrongPassword,

    /// Too many wrong old passwords in a row: the account is locked and its sessions ended.
    #[error(
        "原密码错误次数过多，账号已锁定，请于 {} 后重新登录",
        crate::accounts::china_minute(until)
    )]
    AccountLocked {
        until: chrono::DateTime<chrono::Utc>,
    },

    /// The operation does not apply to the row in its current state.
    #[error("{0}")]
    InvalidState(&'static str),

    #[error("cannot create {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("database error: {0}")]
    Database(sqlx::Error),

    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error("password hashing failed: {0}")]
    PasswordHash(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            _ => StoreError::Database(error),
        }
    }
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`] naming `what`.
pub(crate) fn conflict_on_unique(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::from(error),
    }
}
