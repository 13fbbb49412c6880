//! Units, users, login with lockout, sessions, and the accepted 统一社会信用代码 exceptions.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{write_audit, AuditEvent};
use crate::db::{bind_params, with_pool, Param, SqlBuilder, Store};
use crate::error::{conflict_on_unique, StoreError};
use crate::model::{Actor, NewUnit, NewUser, Scope, Unit, UsccException, User};
use crate::password::{hash_password, random_token, token_hash, verify_password};

/// Login and session rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthPolicy {
    /// Failed logins in a row that lock the account.
    pub max_failed_logins: i64,
    /// How long a locked account stays locked.
    pub lockout: TimeDelta,
    /// A session unused for this long ends.
    pub session_idle: TimeDelta,
    /// A session ends this long after login, however active.
    pub session_absolute: TimeDelta,
    /// The shortest password accepted, in characters.
    pub min_password_chars: usize,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            max_failed_logins: 5,
            lockout: TimeDelta::minutes(15),
            session_idle: TimeDelta::minutes(30),
            session_absolute: TimeDelta::hours(12),
            min_password_chars: 10,
        }
    }
}

/// China Standard Time, UTC+8, for times shown to users.
const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;

/// `last_seen_at` is written at most this often, so that every request is not a write.
const SESSION_TOUCH_INTERVAL: TimeDelta = TimeDelta::seconds(60);

/// A session just opened. The token goes into the cookie and is never stored in clear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewSession {
    pub token: String,
    /// The value every state-changing request must send as `X-CSRF-Token`.
    pub csrf_token: String,
    pub user: User,
    pub expires_at: DateTime<Utc>,
}

/// A live session found by its token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: User,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// Why a login was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginRejection {
    /// Unknown user or wrong password (never said which).
    BadCredentials,
    /// Too many failures; try again after `until`.
    Locked { until: DateTime<Utc> },
    /// The account or its unit is disabled.
    Disabled,
}

impl LoginRejection {
    /// The sentence shown to the user.
    pub fn message(&self) -> String {
        match self {
            LoginRejection::BadCredentials => "用户名或密码错误".to_owned(),
            LoginRejection::Locked { until } => {
                format!(
                    "登录失败次数过多，账号已锁定，请于 {} 后再试",
                    china_minute(until)
                )
            }
            LoginRejection::Disabled => "账号已停用，请联系信用办".to_owned(),
        }
    }
}

/// A time as users read it: China time, to the minute.
pub(crate) fn china_minute(at: &DateTime<Utc>) -> String {
    chrono::FixedOffset::east_opt(CHINA_OFFSET_SECONDS)
        .map(|tz| at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| at.to_rfc3339())
}

/// A wrong password to count: the audit action and reason, and whether a lock it causes
/// ends the user's sessions.
struct Failure {
    action: &'static str,
    reason: &'static str,
    end_sessions: bool,
}

/// The result of a login attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LoginOutcome {
    Success(NewSession),
    Rejected(LoginRejection),
}

/// A user row with what only the store may see.
#[derive(sqlx::FromRow)]
struct Credentials {
    #[sqlx(flatten)]
    user: User,
    password_hash: String,
    unit_active: bool,
}

const USER_COLUMNS: &str = "u.id, u.username, u.unit_id, u.role, u.active, u.failed_attempts, \
     u.locked_until, u.password_changed_at, u.created_at";

impl Store {
    /// Adds a reporting unit.
    pub async fn create_unit(&self, actor: &Actor, unit: &NewUnit) -> Result<Unit, StoreError> {
        let now = self.now();
        let created: Unit = with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let created: Unit = sqlx::query_as(
                "INSERT INTO units (name, code, datasets, active, created_at) \
                 VALUES ($1, $2, $3, TRUE, $4) RETURNING *",
            )
            .bind(&unit.name)
            .bind(&unit.code)
            .bind(sqlx::types::Json(&unit.datasets))
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict_on_unique("统一社会信用代码"))?;
            let event = AuditEvent::new(actor, "unit.create")
                .unit(created.id)
                .target(&created.code)
                .detail(json!({ "name": unit.name, "datasets": unit.datasets }));
            write_audit!(&mut *tx, now, event)?;
            tx.commit().await?;
            created
        });
        Ok(created)
    }

    /// Changes a unit's name, datasets and whether it may log in.
    pub async fn update_unit(
        &self,
        actor: &Actor,
        id: i64,
        name: &str,
        datasets: &[String],
        active: bool,
    ) -> Result<Unit, StoreError> {
        let now = self.now();
        let updated: Unit = with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let updated: Unit = sqlx::query_as(
                "UPDATE units SET name = $2, datasets = $3, active = $4 WHERE id = $1 RETURNING *",
            )
            .bind(id)
            .bind(name)
            .bind(sqlx::types::Json(datasets))
            .bind(active)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let event = AuditEvent::new(actor, "unit.update")
                .unit(id)
                .target(&updated.code)
                .detail(json!({ "name": name, "datasets": datasets, "active": active }));
            write_audit!(&mut *tx, now, event)?;
            tx.commit().await?;
            updated
        });
        Ok(updated)
    }

    /// A unit by id.
    pub async fn get_unit(&self, id: i64) -> Result<Unit, StoreError> {
        let unit: Option<Unit> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT * FROM units WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        unit.ok_or(StoreError::NotFound)
    }

    /// A unit by its 统一社会信用代码.
    pub async fn find_unit_by_code(&self, code: &str) -> Result<Option<Unit>, StoreError> {
        let unit = with_pool!(self, |pool| {
            sqlx::query_as("SELECT * FROM units WHERE code = $1")
                .bind(code)
                .fetch_optional(pool)
                .await?
        });
        Ok(unit)
    }

    /// Every unit, by name.
    pub async fn list_units(&self) -> Result<Vec<Unit>, StoreError> {
        let units = with_pool!(self, |pool| {
            sqlx::query_as("SELECT * FROM units ORDER BY name, id")
                .fetch_all(pool)
                .await?
        });
        Ok(units)
    }

    /// Adds an account. The password must be at least `policy.min_password_chars` long.
    pub async fn create_user(
        &self,
        actor: &Actor,
        user: &NewUser,
        policy: &AuthPolicy,
    ) -> Result<User, StoreError> {
        check_password_strength(&user.password, policy)?;
        let hash = hash_password(&user.password).await?;
        let now = self.now();
        let created: User = with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let created: User = sqlx::query_as(
                "INSERT INTO users (username, unit_id, role, password_hash, active, \
                 failed_attempts, password_changed_at, created_at) \
                 VALUES ($1, $2, $3, $4, TRUE, 0, $5, $5) \
                 RETURNING id, username, unit_id, role, active, failed_attempts, locked_until, \
                 password_changed_at, created_at",
            )
            .bind(&user.username)
            .bind(user.unit_id)
            .bind(user.role.as_str())
            .bind(&hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict_on_unique("用户名"))?;
            let event = AuditEvent::new(actor, "user.create")
                .unit(user.unit_id)
                .target(&user.username)
                .detail(json!({ "role": user.role.as_str() }));
            write_audit!(&mut *tx, now, event)?;
            tx.commit().await?;
            created
        });
        Ok(created)
    }

    /// A user by id.
    pub async fn get_user(&self, id: i64) -> Result<User, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        let user: Option<User> = with_pool!(self, |pool| {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        user.ok_or(StoreError::NotFound)
    }

    /// A user by username.
    pub async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1");
        let user = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(username)
                .fetch_optional(pool)
                .await?
        });
        Ok(user)
    }

    /// The users of one unit, or of all units.
    pub async fn list_users(&self, scope: Scope) -> Result<Vec<User>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE ($1 IS NULL OR u.unit_id = $1) \
             ORDER BY u.username"
        );
        let users = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(scope.unit_id())
                .fetch_all(pool)
                .await?
        });
        Ok(users)
    }

    /// The usernames of these user ids (经办人 in lists); unknown ids are left out.
    pub async fn usernames(&self, ids: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
        let mut wanted: Vec<i64> = ids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let mut sql = SqlBuilder::new("SELECT id, username FROM users WHERE id IN (");
        for (n, id) in wanted.iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.bind(Param::Int(*id));
        }
        sql.push(")");
        let rows: Vec<(i64, String)> = with_pool!(self, |pool| {
            bind_params!(sqlx::query_as(&sql.sql), &sql.params)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().collect())
    }

    /// Checks a username and password from `address`. Every outcome is audited; after
    /// `policy.max_failed_logins` failures in a row the account is locked for `policy.lockout`.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        address: Option<&str>,
        policy: &AuthPolicy,
    ) -> Result<LoginOutcome, StoreError> {
        let now = self.now();
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash, n.active AS unit_active \
             FROM users u JOIN units n ON n.id = u.unit_id WHERE u.username = $1"
        );
        let found: Option<Credentials> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(username)
                .fetch_optional(pool)
                .await?
        });

        let anonymous = Actor {
            user_id: None,
            unit_id: None,
            address: address.map(str::to_owned),
        };
        let Some(found) = found else {
            verify_password(password, None).await?;
            let event = AuditEvent::new(&anonymous, "login.failure")
                .target(username)
                .detail(json!({ "reason": "unknown user" }));
            with_pool!(self, |pool| write_audit!(pool, now, event))?;
            return Ok(LoginOutcome::Rejected(LoginRejection::BadCredentials));
        };
        let user = found.user;
        let actor = Actor::user(&user, address);

        if let Some(until) = user.locked_until.filter(|until| *until > now) {
            let event = AuditEvent::new(&actor, "login.refused_locked").target(username);
            with_pool!(self, |pool| write_audit!(pool, now, event))?;
            return Ok(LoginOutcome::Rejected(LoginRejection::Locked { until }));
        }

        if !verify_password(password, Some(found.password_hash)).await? {
            let failure = Failure {
                action: "login.failure",
                reason: "wrong password",
                end_sessions: false,
            };
            let rejection = match self
                .count_failure(&actor, &user, now, policy, failure)
                .await?
            {
                Some(until) => LoginRejection::Locked { until },
                None => LoginRejection::BadCredentials,
            };
            return Ok(LoginOutcome::Rejected(rejection));
        }

        if !user.active || !found.unit_active {
            let event = AuditEvent::new(&actor, "login.refused_disabled").target(username);
            with_pool!(self, |pool| write_audit!(pool, now, event))?;
            return Ok(LoginOutcome::Rejected(LoginRejection::Disabled));
        }

        let session = self.open_session(&actor, user, now, policy).await?;
        Ok(LoginOutcome::Success(session))
    }

    /// Counts a wrong password of `user` and audits it as `failure.action`. After
    /// `policy.max_failed_logins` in a row the account is locked for `policy.lockout` (and, for
    /// `failure.end_sessions`, every session of the user ends); returns until when.
    async fn count_failure(
        &self,
        actor: &Actor,
        user: &User,
        now: DateTime<Utc>,
        policy: &AuthPolicy,
        failure: Failure,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let until = now + policy.lockout;
        let locked: Option<DateTime<Utc>> = with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            // A lock that has run out starts a fresh count.
            let failures: i64 = sqlx::query_scalar(
                "UPDATE users SET \
                 failed_attempts = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 \
                     THEN 1 ELSE failed_attempts + 1 END, \
                 locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 \
                     THEN NULL ELSE locked_until END \
                 WHERE id = $1 RETURNING failed_attempts",
            )
            .bind(user.id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let event = AuditEvent::new(actor, failure.action)
                .target(&user.username)
                .detail(json!({ "reason": failure.reason, "failures": failures }));
            write_audit!(&mut *tx, now, event)?;

            let locked = if failures >= policy.max_failed_logins {
                sqlx::query(
                    "UPDATE users SET locked_until = $2, failed_attempts = 0 WHERE id = $1",
                )
                .bind(user.id)
                .bind(until)
                .execute(&mut *tx)
                .await?;
                let mut sessions_ended = 0;
                if failure.end_sessions {
                    sessions_ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(user.id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                let event = AuditEvent::new(actor, "user.locked")
                    .target(&user.username)
                    .detail(json!({
                        "failures": failures,
                        "until": until,
                        "sessions_ended": sessions_ended,
                    }));
                write_audit!(&mut *tx, now, event)?;
                Some(until)
            } else {
                None
            };
            tx.commit().await?;
            locked
        });
        Ok(locked)
    }

    async fn open_session(
        &self,
        actor: &Actor,
        mut user: User,
        now: DateTime<Utc>,
        policy: &AuthPolicy,
    ) -> Result<NewSession, StoreError> {
        let token = random_token();
        let csrf_token = random_token();
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, address, created_at, \
                 last_seen_at) VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(token_hash(&token))
            .bind(user.id)
            .bind(&csrf_token)
            .bind(actor.address.as_deref())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let event = AuditEvent::new(actor, "login.success").target(&user.username);
            write_audit!(&mut *tx, now, event)?;
            tx.commit().await?;
        });

        user.failed_attempts = 0;
        user.locked_until = None;
        Ok(NewSession {
            token,
            csrf_token,
            user,
            expires_at: now + policy.session_idle.min(policy.session_absolute),
        })
    }

    /// The live session of `token`, or `None` when unknown, expired or its user is disabled.
    /// Marks the session as used.
    pub async fn session(
        &self,
        token: &str,
        policy: &AuthPolicy,
    ) -> Result<Option<SessionInfo>, StoreError> {
        let now = self.now();
        let hash = token_hash(token);
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.created_at AS session_created_at, \
             s.last_seen_at, n.active AS unit_active \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN units n ON n.id = u.unit_id \
             WHERE s.token_hash = $1"
        );
        let found: Option<SessionRow> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(&hash)
                .fetch_optional(pool)
                .await?
        });
        let Some(found) = found else {
            return Ok(None);
        };

        let expired = now - found.session_created_at >= policy.session_absolute
            || now - found.last_seen_at >= policy.session_idle;
        if expired || !found.user.active || !found.unit_active {
            with_pool!(self, |pool| {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(&hash)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
            return Ok(None);
        }

        let mut last_seen_at = found.last_seen_at;
        if now - last_seen_at >= SESSION_TOUCH_INTERVAL {
            with_pool!(self, |pool| {
                sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
                    .bind(&hash)
                    .bind(now)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
            last_seen_at = now;
        }
        Ok(Some(SessionInfo {
            user: found.user,
            csrf_token: found.csrf_token,
            created_at: found.session_created_at,
            last_seen_at,
        }))
    }

    /// Ends the session of `token`.
    pub async fn logout(&self, token: &str, address: Option<&str>) -> Result<(), StoreError> {
        let now = self.now();
        let hash = token_hash(token);
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let user_id: Option<i64> =
                sqlx::query_scalar("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
                    .bind(&hash)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(user_id) = user_id {
                let actor = Actor {
                    user_id: Some(user_id),
                    unit_id: None,
                    address: address.map(str::to_owned),
                };
                write_audit!(&mut *tx, now, AuditEvent::new(&actor, "logout"))?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets a new password. A user changing their own password gives the old one; an
    /// administrator resetting someone else's passes `None`. Every session of the user ends.
    pub async fn change_password(
        &self,
        actor: &Actor,
        user_id: i64,
        old_password: Option<&str>,
        new_password: &str,
        policy: &AuthPolicy,
    ) -> Result<(), StoreError> {
        self.set_password(actor, user_id, old_password, new_password, None, policy)
            .await
    }

    /// A signed-in user changes their own password (修改密码): the old one must be right. The
    /// session of `current_token` stays open; every other session of the user ends. A wrong
    /// old password counts towards the lockout as a failed login does; the lock it causes ends
    /// every session ([`StoreError::AccountLocked`]).
    pub async fn change_own_password(
        &self,
        actor: &Actor,
        user_id: i64,
        old_password: &str,
        new_password: &str,
        current_token: &str,
        policy: &AuthPolicy,
    ) -> Result<(), StoreError> {
        let changed = self
            .set_password(
                actor,
                user_id,
                Some(old_password),
                new_password,
                Some(current_token),
                policy,
            )
            .await;
        if matches!(changed, Err(StoreError::WrongPassword)) {
            // Guessing the old password counts like guessing at login: whoever holds a
            // stolen session cannot try passwords without end.
            let user = self.get_user(user_id).await?;
            let failure = Failure {
                action: "user.password_refused",
                reason: "wrong old password",
                end_sessions: true,
            };
            if let Some(until) = self
                .count_failure(actor, &user, self.now(), policy, failure)
                .await?
            {
                return Err(StoreError::AccountLocked { until });
            }
        }
        changed
    }

    async fn set_password(
        &self,
        actor: &Actor,
        user_id: i64,
        old_password: Option<&str>,
        new_password: &str,
        keep_session: Option<&str>,
        policy: &AuthPolicy,
    ) -> Result<(), StoreError> {
        check_password_strength(new_password, policy)?;
        let user = self.get_user(user_id).await?;
        if let Some(old) = old_password {
            let stored: String = with_pool!(self, |pool| {
                sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_one(pool)
                    .await?
            });
            if !verify_password(old, Some(stored)).await? {
                return Err(StoreError::WrongPassword);
            }
        }
        let hash = hash_password(new_password).await?;
        let now = self.now();
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE users SET password_hash = $2, password_changed_at = $3, \
                 failed_attempts = 0, locked_until = NULL WHERE id = $1",
            )
            .bind(user_id)
            .bind(&hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // An empty hash matches no session: every session ends.
            let kept = keep_session.map(token_hash).unwrap_or_default();
            let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user_id)
                .bind(&kept)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let event = AuditEvent::new(actor, "user.password")
                .unit(user.unit_id)
                .target(&user.username)
                .detail(json!({
                    "own": old_password.is_some(),
                    "sessions_ended": ended,
                }));
            write_audit!(&mut *tx, now, event)?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Enables or disables an account; disabling ends its sessions.
    pub async fn set_user_active(
        &self,
        actor: &Actor,
        user_id: i64,
        active: bool,
    ) -> Result<User, StoreError> {
        let user = self.get_user(user_id).await?;
        let now = self.now();
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET active = $2 WHERE id = $1")
                .bind(user_id)
                .bind(active)
                .execute(&mut *tx)
                .await?;
            if !active {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let action = if active {
                "user.enable"
            } else {
                "user.disable"
            };
            let event = AuditEvent::new(actor, action)
                .unit(user.unit_id)
                .target(&user.username);
            write_audit!(&mut *tx, now, event)?;
            tx.commit().await?;
        });
        self.get_user(user_id).await
    }

    /// Lifts a lock before it runs out.
    pub async fn unlock_user(&self, actor: &Actor, user_id: i64) -> Result<User, StoreError> {
        let user = self.get_user(user_id).await?;
        let now = self.now();
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let event = AuditEvent::new(actor, "user.unlock")
                .unit(user.unit_id)
                .target(&user.username);
            write_audit!(&mut *tx, now, event)?;
            tx.commit().await?;
        });
        self.get_user(user_id).await
    }

    /// Accepts a 统一社会信用代码 that fails its check digit but is known to be real.
    pub async fn add_uscc_exception(
        &self,
        actor: &Actor,
        code: &str,
        note: &str,
    ) -> Result<UsccException, StoreError> {
        let now = self.now();
        let added: UsccException = with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let added: UsccException = sqlx::query_as(
                "INSERT INTO uscc_exceptions (code, note, added_by, added_at) \
                 VALUES ($1, $2, $3, $4) RETURNING *",
            )
            .bind(code)
            .bind(note)
            .bind(actor.user_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict_on_unique("统一社会信用代码"))?;
            let event = AuditEvent::new(actor, "uscc_exception.add")
                .target(code)
                .detail(json!({ "note": note }));
            write_audit!(&mut *tx, now, event)?;
            tx.commit().await?;
            added
        });
        Ok(added)
    }

    /// Every accepted exception, by code.
    pub async fn list_uscc_exceptions(&self) -> Result<Vec<UsccException>, StoreError> {
        let list = with_pool!(self, |pool| {
            sqlx::query_as("SELECT * FROM uscc_exceptions ORDER BY code")
                .fetch_all(pool)
                .await?
        });
        Ok(list)
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: User,
    csrf_token: String,
    session_created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    unit_active: bool,
}

fn check_password_strength(password: &str, policy: &AuthPolicy) -> Result<(), StoreError> {
    if password.chars().count() < policy.min_password_chars {
        return Err(StoreError::WeakPassword {
            min: policy.min_password_chars,
        });
    }
    Ok(())
}
