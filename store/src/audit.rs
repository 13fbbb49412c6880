//! The audit log: who did what, when, from which address, through which upload.

use serde_json::Value;

use crate::db::{bind_params, with_pool, Param, SqlBuilder, Store};
use crate::error::StoreError;
use crate::model::{Actor, AuditEntry, Page, Scope};

pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log \
     (at, user_id, unit_id, address, action, target, upload_id, detail) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// One event to record.
#[derive(Debug)]
pub(crate) struct AuditEvent<'a> {
    pub(crate) actor: &'a Actor,
    /// The unit whose data or account the event concerns.
    pub(crate) unit_id: Option<i64>,
    pub(crate) action: &'static str,
    pub(crate) target: Option<String>,
    pub(crate) upload_id: Option<i64>,
    pub(crate) detail: Value,
}

impl<'a> AuditEvent<'a> {
    pub(crate) fn new(actor: &'a Actor, action: &'static str) -> Self {
        AuditEvent {
            actor,
            unit_id: actor.unit_id,
            action,
            target: None,
            upload_id: None,
            detail: Value::Object(Default::default()),
        }
    }

    pub(crate) fn unit(mut self, unit_id: i64) -> Self {
        self.unit_id = Some(unit_id);
        self
    }

    pub(crate) fn target(mut self, target: impl ToString) -> Self {
        self.target = Some(target.to_string());
        self
    }

    pub(crate) fn upload(mut self, upload_id: Option<i64>) -> Self {
        self.upload_id = upload_id;
        self
    }

    pub(crate) fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
}

/// Inserts an [`AuditEvent`] through `$executor` (a pool or `&mut *tx`) at time `$at`.
macro_rules! write_audit {
    ($executor:expr, $at:expr, $event:expr) => {{
        let event: $crate::audit::AuditEvent<'_> = $event;
        sqlx::query($crate::audit::INSERT_AUDIT)
            .bind($at)
            .bind(event.actor.user_id)
            .bind(event.unit_id)
            .bind(event.actor.address.as_deref())
            .bind(event.action)
            .bind(event.target.as_deref())
            .bind(event.upload_id)
            .bind(sqlx::types::Json(&event.detail))
            .execute($executor)
            .await
            .map(|done| done.rows_affected())
    }};
}
pub(crate) use write_audit;

impl Store {
    /// Audit entries newest first, optionally limited to one unit and to ids below `before_id`.
    pub async fn list_audit(
        &self,
        scope: Scope,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let mut sql = SqlBuilder::new("SELECT * FROM audit_log WHERE 1 = 1");
        if let Some(unit_id) = scope.unit_id() {
            sql.push(" AND unit_id = ").bind(Param::Int(unit_id));
        }
        if let Some(before) = before_id {
            sql.push(" AND id < ").bind(Param::Int(before));
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .bind(Param::Int(i64::from(limit)));

        let items: Vec<AuditEntry> = with_pool!(self, |pool| {
            bind_params!(sqlx::query_as(&sql.sql), &sql.params)
                .fetch_all(pool)
                .await?
        });
        Ok(page(items, limit, |e| e.id))
    }

    /// Writes one audit entry outside any other change (for example a CLI action).
    pub async fn audit(
        &self,
        actor: &Actor,
        action: &'static str,
        target: Option<&str>,
        detail: Value,
    ) -> Result<(), StoreError> {
        let mut event = AuditEvent::new(actor, action).detail(detail);
        event.target = target.map(str::to_owned);
        let now = self.now();
        with_pool!(self, |pool| write_audit!(pool, now, event))?;
        Ok(())
    }
}

/// Wraps a full-or-short list into a [`Page`]: a full page has a cursor, a short one is the last.
pub(crate) fn page<T, C>(items: Vec<T>, limit: u32, cursor: impl Fn(&T) -> C) -> Page<T, C> {
    let next_cursor = if items.len() as u64 >= u64::from(limit) && limit > 0 {
        items.last().map(cursor)
    } else {
        None
    };
    Page { items, next_cursor }
}
