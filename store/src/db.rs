//! The database handle: one `Store` over either SQLite or PostgreSQL.
//!
//! Both backends run the same SQL text (SQLite accepts `$1` placeholders), so a query is written
//! once inside [`with_pool!`], which expands its body for each backend's concrete pool type.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};

use crate::error::StoreError;

/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections per pool; the machine has two cores, more would only queue.
const SQLITE_MAX_CONNECTIONS: u32 = 8;
const POSTGRES_MAX_CONNECTIONS: u32 = 16;

/// Key of the PostgreSQL advisory lock that serialises record changes, so that `changed_seq`
/// grows in commit order and the site generator never skips a change.
const RECORD_WRITE_LOCK: i64 = 0x7879_637a_0001;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The connection pool of whichever backend the database URL selected.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Where the store reads the current time; tests move it forward.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock(Arc::new(Utc::now))
    }

    /// A clock that asks `now` for the time.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// The current time, truncated to microseconds as PostgreSQL keeps it.
    pub fn now(&self) -> DateTime<Utc> {
        let now = (self.0)();
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// The storage API: records, uploads, units, users, sessions and the audit log.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: Db,
    pub(crate) clock: Clock,
}

impl Store {
    /// Connects to `database_url` (`sqlite://PATH` or `postgres://...`) and applies migrations.
    pub async fn open(database_url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(database_url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without applying migrations.
    pub async fn connect(database_url: &str) -> Result<Store, StoreError> {
        let db = if is_postgres_url(database_url) {
            let pool = PgPoolOptions::new()
                .max_connections(POSTGRES_MAX_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(30))
                .connect(database_url)
                .await?;
            Db::Postgres(pool)
        } else {
            let options = SqliteConnectOptions::from_str(database_url)?;
            create_parent_dir(options.get_filename())?;
            let options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                // Read through the OS page cache instead of copying every page (256 MiB), and
                // keep 32 MiB of hot pages per connection: list pages then stay in memory.
                .pragma("mmap_size", "268435456")
                .pragma("cache_size", "-32768")
                // A checkpoint copies the WAL into the database and syncs both: after a large
                // import that is most of a second, and SQLite would do it inside the commit.
                // `xycz serve` checkpoints in the background instead (`Store::checkpoint`);
                // this only bounds the WAL (1 GiB) when nothing does, and the WAL file is
                // truncated back to 64 MiB after a checkpoint.
                .pragma("wal_autocheckpoint", "262144")
                .pragma("journal_size_limit", "67108864");
            let pool = SqlitePoolOptions::new()
                .max_connections(SQLITE_MAX_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(60))
                .connect_with(options)
                .await?;
            Db::Sqlite(pool)
        };
        Ok(Store {
            db,
            clock: Clock::system(),
        })
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite(pool) => SQLITE_MIGRATOR.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    /// Replaces the clock (tests use this to let sessions and locks expire).
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    /// The underlying pool, for bulk tools such as the benchmark loader.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// SQLite: copies what the write-ahead log holds into the database file, without waiting
    /// for readers or writers (a passive checkpoint). Background work for a long-running
    /// process, so that large commits do not pay for it. PostgreSQL: nothing to do.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if let Db::Sqlite(pool) = &self.db {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

impl Db {
    /// ` INDEXED BY index` on SQLite, nothing on PostgreSQL.
    ///
    /// Lists name the index that matches their order: after ANALYZE, SQLite's planner may
    /// otherwise pick a skip-scan over a few units and sort the whole date range in a temp tree.
    pub(crate) fn index_hint(&self, index: &str) -> String {
        match self {
            Db::Sqlite(_) => format!(" INDEXED BY {index}"),
            Db::Postgres(_) => String::new(),
        }
    }

    /// A JSON `null` literal of the backend's JSON column type.
    pub(crate) fn json_null(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "'null'",
            Db::Postgres(_) => "'null'::jsonb",
        }
    }
}

/// True for the URLs that select the PostgreSQL backend.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn create_parent_dir(file: &Path) -> Result<(), StoreError> {
    let name = file.to_string_lossy();
    if name == ":memory:" || name.is_empty() {
        return Ok(());
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    Ok(())
}

/// Opens a transaction that may change records.
///
/// Writers are serialised: SQLite takes the write lock up front (`BEGIN IMMEDIATE`, so a reader
/// never has to upgrade and fail), PostgreSQL takes a transaction-scoped advisory lock.
pub(crate) trait BeginWrite {
    type Database: sqlx::Database;

    async fn begin_write(&self) -> Result<Transaction<'static, Self::Database>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Database = Sqlite;

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Database = Postgres;

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(RECORD_WRITE_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// Runs `$body` with `$pool` bound to the concrete pool of the store's backend.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// A value bound to a dynamically built query.
#[derive(Clone, Debug)]
pub(crate) enum Param {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Date(chrono::NaiveDate),
    OptDate(Option<chrono::NaiveDate>),
    Time(DateTime<Utc>),
    /// JSON already serialised (bound as text; see [`SqlBuilder::bind`]).
    JsonText(String),
}

/// How [`SqlBuilder::bind`] writes a placeholder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// `$1`, `$2`, ...: both backends.
    #[default]
    Numbered,
    /// `?`, bound in order: SQLite only. SQLite finds a numbered parameter's name by a linear
    /// scan, so binding a statement with thousands of `$N` costs quadratic time.
    Positional,
}

/// A query text with placeholders and the values that go with them.
#[derive(Default, Debug)]
pub(crate) struct SqlBuilder {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
    placeholders: Placeholders,
    /// PostgreSQL: JSON text needs a cast to `jsonb`.
    cast_json_text: bool,
}

impl SqlBuilder {
    pub(crate) fn new(sql: &str) -> Self {
        SqlBuilder {
            sql: sql.to_owned(),
            params: Vec::new(),
            placeholders: Placeholders::Numbered,
            cast_json_text: false,
        }
    }

    /// A builder whose placeholders suit `db`: for statements with many parameters.
    pub(crate) fn for_db(db: &Db, sql: &str) -> Self {
        let (placeholders, cast_json_text) = match db {
            Db::Sqlite(_) => (Placeholders::Positional, false),
            Db::Postgres(_) => (Placeholders::Numbered, true),
        };
        SqlBuilder {
            placeholders,
            cast_json_text,
            ..SqlBuilder::new(sql)
        }
    }

    /// Appends text.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends `(p1, p2, ...)`, one row of a multi-row `VALUES` list, with a comma before it
    /// unless it is the first.
    pub(crate) fn push_row(&mut self, values: Vec<Param>) -> &mut Self {
        if self.sql.ends_with(')') {
            self.sql.push_str(", ");
        }
        self.sql.push('(');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.bind(value);
        }
        self.sql.push(')');
        self
    }

    /// Appends a placeholder for `param`. JSON text is cast to `jsonb` on PostgreSQL (so only
    /// builders made by [`SqlBuilder::for_db`] take it there).
    pub(crate) fn bind(&mut self, param: Param) -> &mut Self {
        let cast = self.cast_json_text && matches!(param, Param::JsonText(_));
        self.params.push(param);
        match self.placeholders {
            Placeholders::Numbered => {
                use std::fmt::Write;
                let _ = write!(self.sql, "${}", self.params.len());
            }
            Placeholders::Positional => self.sql.push('?'),
        }
        if cast {
            self.sql.push_str("::jsonb");
        }
        self
    }
}

/// Binds the parameters of a [`SqlBuilder`] to a `sqlx::query` or `sqlx::query_as`.
macro_rules! bind_params {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                $crate::db::Param::Int(v) => query.bind(*v),
                $crate::db::Param::OptInt(v) => query.bind(*v),
                $crate::db::Param::Text(v) => query.bind(v.as_str()),
                $crate::db::Param::OptText(v) => query.bind(v.as_deref()),
                $crate::db::Param::Date(v) => query.bind(*v),
                $crate::db::Param::OptDate(v) => query.bind(*v),
                $crate::db::Param::Time(v) => query.bind(*v),
                $crate::db::Param::JsonText(v) => query.bind(v.as_str()),
            };
        }
        query
    }};
}
pub(crate) use bind_params;

/// Executes a [`SqlBuilder`] statement on `$executor`; the result holds the rows affected.
macro_rules! execute {
    ($executor:expr, $statement:expr) => {{
        let statement: &$crate::db::SqlBuilder = &$statement;
        $crate::db::bind_params!(sqlx::query(&statement.sql), &statement.params)
            .execute($executor)
            .await
            .map(|done| done.rows_affected())
    }};
}
pub(crate) use execute;

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(crate) fn like_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }

    #[test]
    fn builder_numbers_placeholders() {
        let mut sql = SqlBuilder::new("SELECT 1 WHERE a = ");
        sql.bind(Param::Int(1))
            .push(" AND b = ")
            .bind(Param::Text("x".into()));
        assert_eq!(sql.sql, "SELECT 1 WHERE a = $1 AND b = $2");
        assert_eq!(sql.params.len(), 2);
    }

    #[tokio::test]
    async fn sqlite_builders_bind_by_position() {
        let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
        let db = Db::Sqlite(pool.clone());
        let mut sql = SqlBuilder::for_db(&db, "SELECT ");
        sql.bind(Param::Int(40))
            .push(" + ")
            .bind(Param::Int(2))
            .push(", ")
            .bind(Param::Text("x".into()));
        assert_eq!(sql.sql, "SELECT ? + ?, ?");
        let mut rows = SqlBuilder::for_db(&db, "VALUES ");
        rows.push_row(vec![Param::Int(1), Param::Text("a".into())])
            .push_row(vec![Param::Int(2), Param::Text("b".into())]);
        assert_eq!(rows.sql, "VALUES (?, ?), (?, ?)");
        let row: (i64, String) = bind_params!(sqlx::query_as(&sql.sql), &sql.params)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(row, (42, "x".to_owned()));
    }
}
