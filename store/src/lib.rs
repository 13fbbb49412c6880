//! Storage for the platform: the database (SQLite by default, PostgreSQL when configured) with
//! records, uploads, units, users, sessions and the audit log; and the object store that keeps
//! original uploads (a local folder by default, S3 when configured).

mod accounts;
mod audit;
mod config;
mod db;
mod error;
mod model;
mod objects;
mod password;
mod publicity;
mod records;
mod stats;
mod uploads;

pub use accounts::{AuthPolicy, LoginOutcome, LoginRejection, NewSession, SessionInfo};
pub use config::{
    ConfigError, ObjectsConfig, StorageConfig, ENV_DATABASE_URL, ENV_OBJECTS, ENV_S3_PATH_STYLE,
};
pub use db::{is_postgres_url, Clock, Db, Store};
pub use error::StoreError;
pub use model::{
    Actor, AuditEntry, ImportCounts, NewRecord, NewUnit, NewUpload, NewUser, Page, Record,
    RecordCursor, RecordDetail, RecordState, RecordSummary, RecordVersion, Role, Scope, Unit,
    Upload, UploadStatus, UsccException, User,
};
pub use objects::{upload_key, ObjectError, ObjectStore, PresignedPut, PutOutcome};
pub use publicity::SiteRecord;
pub use records::{RecordFilter, MAX_PAGE_SIZE};
pub use stats::{is_timely, UnitDatasetStats, TIMELINESS_WORKING_DAYS};
pub use uploads::{UploadFilter, UploadResult};

/// Opens the database of `config` and applies its migrations.
pub async fn open(config: &StorageConfig) -> Result<Store, StoreError> {
    Store::open(&config.database_url).await
}

/// Applies pending migrations to the database at `database_url` (`xycz migrate`).
pub async fn migrate(database_url: &str) -> Result<(), StoreError> {
    let store = Store::connect(database_url).await?;
    store.migrate().await?;
    store.close().await;
    Ok(())
}
