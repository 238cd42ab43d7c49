//! People and machines that use `ctem serve`: users (argon2id password
//! hashes), API tokens and web sessions (stored as SHA-256 digests only), and
//! the list of risk acceptances the server shows (they are recorded by
//! `Store::accept_risk`, the same path as `ctem accept`).
//!
//! The store never sees a secret in clear: callers hash tokens and session
//! ids before asking. Creating, changing or disabling a user and creating or
//! revoking a token is audited in the same transaction as the change.

use crate::audit::AuditWriter;
use crate::db::{OptionalExtension, params};
use crate::{Result, Store, db_err};
use ctem_model::RiskAcceptance;
use serde::Serialize;

/// A person who signs in to the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    /// The argon2id PHC string; never shown.
    #[serde(skip)]
    pub password_hash: String,
    /// `admin`, `analyst`, `service_owner` or `auditor`.
    pub role: String,
    /// The services a service owner owns (empty for other roles).
    pub services: Vec<String>,
    pub created_at: i64,
    pub disabled: bool,
}

/// An API token as stored (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub services: Vec<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A web session, found by the SHA-256 of its cookie value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user: UserRecord,
    pub csrf: String,
    pub expires_at: i64,
}

/// A risk acceptance with its row id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcceptanceRecord {
    pub id: i64,
    #[serde(flatten)]
    pub acceptance: RiskAcceptance,
}

fn services_json(services: &[String]) -> String {
    serde_json::to_string(services).unwrap_or_else(|_| "[]".into())
}

fn services_of(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

const USER_COLS: &str =
    "u.id, u.username, u.password_hash, u.role, u.services, u.created_at, u.disabled";

fn user_row(r: &crate::db::Row<'_>) -> crate::db::DbResult<UserRecord> {
    let services: String = r.get(4)?;
    Ok(UserRecord {
        id: r.get(0)?,
        username: r.get(1)?,
        password_hash: r.get(2)?,
        role: r.get(3)?,
        services: services_of(&services),
        created_at: r.get(5)?,
        disabled: r.get(6)?,
    })
}

impl Store {
    /// Adds a user, or replaces the password, role and services of an
    /// existing one (and ends their sessions). Audited without the hash.
    pub fn upsert_user(
        &mut self,
        username: &str,
        password_hash: &str,
        role: &str,
        services: &[String],
        actor: &str,
    ) -> Result<i64> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let now = ctem_model::now();
        let tx = self.conn.transaction().map_err(e)?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM users WHERE username = ?1",
                [username],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        let id = match existing {
            Some(id) => {
                tx.execute(
                    "UPDATE users SET password_hash = ?2, role = ?3, services = ?4, disabled = 0 WHERE id = ?1",
                    params![id, password_hash, role, services_json(services)],
                )
                .map_err(e)?;
                tx.execute("DELETE FROM web_sessions WHERE user_id = ?1", [id])
                    .map_err(e)?;
                id
            }
            None => {
                tx.insert(
                    "INSERT INTO users (username, password_hash, role, services, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![username, password_hash, role, services_json(services), now],
                )
                .map_err(e)?
            }
        };
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        audit
            .append(
                &tx,
                now,
                if existing.is_some() {
                    "user.update"
                } else {
                    "user.add"
                },
                username,
                &serde_json::json!({"role": role, "services": services}),
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(id)
    }

    /// Adds a user; `None` when the name is taken (nothing changes).
    /// Audited without the hash.
    pub fn create_user(
        &mut self,
        username: &str,
        password_hash: &str,
        role: &str,
        services: &[String],
        actor: &str,
    ) -> Result<Option<i64>> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let now = ctem_model::now();
        let tx = self.conn.transaction().map_err(e)?;
        let taken: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)",
                [username],
                |r| r.get(0),
            )
            .map_err(e)?;
        if taken {
            return Ok(None);
        }
        let id = tx
            .insert(
                "INSERT INTO users (username, password_hash, role, services, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![username, password_hash, role, services_json(services), now],
            )
            .map_err(e)?;
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        audit
            .append(
                &tx,
                now,
                "user.add",
                username,
                &serde_json::json!({"role": role, "services": services}),
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(Some(id))
    }

    /// Disables (ending their sessions) or re-enables a user. `false` when
    /// there is no such user. Audited.
    pub fn set_user_disabled(
        &mut self,
        username: &str,
        disabled: bool,
        actor: &str,
    ) -> Result<bool> {
        self.change_user(
            username,
            "disabled",
            &disabled,
            disabled,
            if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
            actor,
        )
    }

    /// Replaces a user's password and ends their sessions. `false` when
    /// there is no such user. Audited without the hash.
    pub fn set_user_password(
        &mut self,
        username: &str,
        password_hash: &str,
        actor: &str,
    ) -> Result<bool> {
        self.change_user(
            username,
            "password_hash",
            &password_hash,
            true,
            "user.password",
            actor,
        )
    }

    /// Sets one column of a user, optionally ends their sessions, and
    /// audits `action` (with no detail: never the value). `false` when
    /// there is no such user.
    fn change_user(
        &mut self,
        username: &str,
        column: &'static str,
        value: &dyn crate::db::ToDb,
        end_sessions: bool,
        action: &str,
        actor: &str,
    ) -> Result<bool> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let now = ctem_model::now();
        let tx = self.conn.transaction().map_err(e)?;
        let id: Option<i64> = tx
            .query_row(
                "SELECT id FROM users WHERE username = ?1",
                [username],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        let Some(id) = id else {
            return Ok(false);
        };
        tx.execute(
            &format!("UPDATE users SET {column} = ?2 WHERE id = ?1"),
            params![id, value],
        )
        .map_err(e)?;
        if end_sessions {
            tx.execute("DELETE FROM web_sessions WHERE user_id = ?1", [id])
                .map_err(e)?;
        }
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        audit
            .append(&tx, now, action, username, &serde_json::json!({}))
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(true)
    }

    /// A user by name.
    pub fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        self.conn
            .query_row(
                &format!("SELECT {USER_COLS} FROM users u WHERE u.username = ?1"),
                [username],
                user_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRecord>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {USER_COLS} FROM users u ORDER BY u.username"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], user_row).map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Records a new API token by the SHA-256 of its value. Audited.
    pub fn create_token(
        &mut self,
        token_sha256: &str,
        name: &str,
        role: &str,
        services: &[String],
        expires_at: Option<i64>,
        actor: &str,
    ) -> Result<i64> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let now = ctem_model::now();
        let tx = self.conn.transaction().map_err(e)?;
        let id = tx.insert(
            "INSERT INTO api_tokens (token_sha256, name, role, services, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![token_sha256, name, role, services_json(services), now, expires_at],
        )
        .map_err(e)?;
        let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
        audit
            .append(
                &tx,
                now,
                "token.create",
                &id.to_string(),
                &serde_json::json!({"name": name, "role": role, "services": services, "expires_at": expires_at}),
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(id)
    }

    /// Revokes a token by id. Audited; revoking twice is not an error.
    pub fn revoke_token(&mut self, id: i64, actor: &str) -> Result<bool> {
        let path = self.path.clone();
        let e = |e| db_err(&path, e);
        let now = ctem_model::now();
        let tx = self.conn.transaction().map_err(e)?;
        let n = tx
            .execute(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now],
            )
            .map_err(e)?;
        if n > 0 {
            let mut audit = AuditWriter::new(&tx, actor).map_err(e)?;
            audit
                .append(
                    &tx,
                    now,
                    "token.revoke",
                    &id.to_string(),
                    &serde_json::json!({}),
                )
                .map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(n > 0)
    }

    /// The live (not revoked, not expired) token with this digest.
    pub fn token_by_hash(&self, token_sha256: &str, now: i64) -> Result<Option<TokenRecord>> {
        self.conn
            .query_row(
                "SELECT id, name, role, services, created_at, expires_at, last_used_at, revoked_at FROM api_tokens
                 WHERE token_sha256 = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)",
                params![token_sha256, now],
                |r| {
                    let services: String = r.get(3)?;
                    Ok(TokenRecord {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        role: r.get(2)?,
                        services: services_of(&services),
                        created_at: r.get(4)?,
                        expires_at: r.get(5)?,
                        last_used_at: r.get(6)?,
                        revoked_at: r.get(7)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Notes when a token was last used (at most once a minute per token,
    /// so that busy pipelines do not turn reads into writes).
    pub fn touch_token(&self, id: i64, now: i64) -> Result<()> {
        self.conn
            .execute(
                "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2 - 60)",
                params![id, now],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Every token (without secrets), newest first.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, role, services, created_at, expires_at, last_used_at, revoked_at FROM api_tokens ORDER BY id DESC")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let services: String = r.get(3)?;
                Ok(TokenRecord {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    role: r.get(2)?,
                    services: services_of(&services),
                    created_at: r.get(4)?,
                    expires_at: r.get(5)?,
                    last_used_at: r.get(6)?,
                    revoked_at: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Starts a web session; also removes expired ones.
    pub fn create_session(
        &mut self,
        id_sha256: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()> {
        let now = ctem_model::now();
        self.conn
            .execute("DELETE FROM web_sessions WHERE expires_at <= ?1", [now])
            .map_err(|e| self.err(e))?;
        self.conn
            .execute(
                "INSERT INTO web_sessions (id_sha256, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id_sha256, user_id, csrf, now, expires_at],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The live session with this digest, with its (enabled) user.
    pub fn session(&self, id_sha256: &str, now: i64) -> Result<Option<SessionRecord>> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {USER_COLS}, s.csrf, s.expires_at FROM web_sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.id_sha256 = ?1 AND s.expires_at > ?2 AND u.disabled = 0"
                ),
                params![id_sha256, now],
                |r| {
                    Ok(SessionRecord {
                        user: user_row(r)?,
                        csrf: r.get(7)?,
                        expires_at: r.get(8)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Ends a session.
    pub fn delete_session(&mut self, id_sha256: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM web_sessions WHERE id_sha256 = ?1", [id_sha256])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Whether a report with this SHA-256 was already imported.
    pub fn imported_sha256(&self, sha256: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM imports WHERE sha256 = ?1)",
                [sha256],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Whether a feed file with this SHA-256 was already loaded.
    pub fn feed_loaded_sha256(&self, sha256: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM feed_snapshots WHERE sha256 = ?1)",
                [sha256],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Risk acceptances, newest first: of one exposure, or all of them
    /// (`limit` bounds the list).
    pub fn risk_acceptances(
        &self,
        exposure_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AcceptanceRecord>> {
        // Two statements, so that each uses its index.
        let sql = match exposure_id {
            Some(_) => {
                "SELECT id, exposure_id, approver, justification, control, expires_at, created_at FROM risk_acceptances
                 WHERE exposure_id = ?1 ORDER BY id DESC LIMIT ?2"
            }
            None => {
                "SELECT id, exposure_id, approver, justification, control, expires_at, created_at FROM risk_acceptances
                 WHERE CAST(?1 AS TEXT) IS NULL ORDER BY id DESC LIMIT ?2"
            }
        };
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![exposure_id, limit as i64], |r| {
                Ok(AcceptanceRecord {
                    id: r.get(0)?,
                    acceptance: RiskAcceptance {
                        exposure_id: r.get(1)?,
                        approver: r.get(2)?,
                        justification: r.get(3)?,
                        control: r.get(4)?,
                        expires_at: r.get(5)?,
                        created_at: r.get(6)?,
                    },
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<crate::db::DbResult<Vec<_>>>()
            .map_err(|e| self.err(e))
    }
}
