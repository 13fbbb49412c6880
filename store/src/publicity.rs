//! What the site generator reads: the active records of a dataset, and every change since the
//! last build (revoked and withdrawn records included, so the site can drop them).

use crate::db::{with_pool, Store};
use crate::error::StoreError;
use crate::model::Record;
use crate::records::MAX_PAGE_SIZE;

impl Store {
    /// Active records of `dataset` with an id above `after_id`, in id order. Start with 0 and
    /// pass the last id of each page until a page comes back empty.
    pub async fn publicity_page(
        &self,
        dataset: &str,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<Record>, StoreError> {
        let limit = i64::from(limit.clamp(1, MAX_PAGE_SIZE));
        let records = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT * FROM records WHERE dataset = $1 AND state = 'active' AND id > $2 \
                 ORDER BY id LIMIT $3",
            )
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
    ) -> Result<Vec<Record>, StoreError> {
        let limit = i64::from(limit.clamp(1, MAX_PAGE_SIZE));
        let records = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT * FROM records WHERE changed_seq > $1 ORDER BY changed_seq LIMIT $2",
            )
            .bind(after_seq)
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
