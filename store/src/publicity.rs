//! What the site generator reads: the active records of a dataset, and every change since the
//! last build (revoked and withdrawn records included, so the site can drop them).

use chrono::{DateTime, Utc};

use crate::db::{with_pool, Store};
use crate::error::StoreError;
use crate::model::RecordState;
use crate::records::MAX_PAGE_SIZE;

/// What the site generator needs of a record: fewer columns than [`crate::Record`], since a
/// build reads every public record (and a refresh every changed one).
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct SiteRecord {
    pub id: i64,
    pub unit_id: i64,
    pub dataset: String,
    #[sqlx(try_from = "String")]
    pub state: RecordState,
    /// The field values as the JSON object text the database holds: a build reads every
    /// public record, so the reader parses them where and how it needs them.
    #[sqlx(rename = "field_values")]
    pub values_json: String,
    pub changed_seq: i64,
    pub updated_at: DateTime<Utc>,
}

/// `field_values` is `jsonb` on PostgreSQL, hence the cast (a no-op on SQLite's text).
const SITE_COLUMNS: &str =
    "id, unit_id, dataset, state, CAST(field_values AS TEXT) AS field_values, \
                            changed_seq, updated_at";

impl Store {
    /// Active records of `dataset` with an id above `after_id`, in id order. Start with 0 and
    /// pass the last id of each page until a page comes back empty.
    pub async fn publicity_page(
        &self,
        dataset: &str,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<SiteRecord>, StoreError> {
        let limit = i64::from(limit.clamp(1, MAX_PAGE_SIZE));
        let sql = format!(
            "SELECT {SITE_COLUMNS} FROM records WHERE dataset = $1 AND state = 'active' \
             AND id > $2 ORDER BY id LIMIT $3"
        );
        let records = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(dataset)
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(records)
    }

    /// Records changed after `after_seq`, in change order, whatever their state now. Keep the
    /// last `changed_seq` seen and pass it next time.
    pub async fn changes_since(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<SiteRecord>, StoreError> {
        self.changes_between(after_seq, i64::MAX, limit).await
    }

    /// Like [`Store::changes_since`], up to `changed_seq` `up_to` included: a reader can split
    /// a long range into parts and read them at once.
    pub async fn changes_between(
        &self,
        after_seq: i64,
        up_to: i64,
        limit: u32,
    ) -> Result<Vec<SiteRecord>, StoreError> {
        let limit = i64::from(limit.clamp(1, MAX_PAGE_SIZE));
        let sql = format!(
            "SELECT {SITE_COLUMNS} FROM records WHERE changed_seq > $1 AND changed_seq <= $2 \
             ORDER BY changed_seq LIMIT $3"
        );
        let records = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(after_seq)
                .bind(up_to)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(records)
    }

    /// The highest `changed_seq` so far (0 when there is no record).
    pub async fn latest_change_seq(&self) -> Result<i64, StoreError> {
        let seq = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COALESCE(MAX(changed_seq), 0) FROM records")
                .fetch_one(pool)
                .await?
        });
        Ok(seq)
    }
}
