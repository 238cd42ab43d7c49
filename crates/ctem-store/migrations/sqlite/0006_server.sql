-- ctem serve (issue 7): people, API tokens and web sessions, and the indexes
-- that keep the dashboard's pages fast at millions of exposures.
-- Secrets are never stored: passwords as argon2id PHC strings, API tokens and
-- session ids as their SHA-256. Times are Unix seconds, lists JSON text, so
-- the same shape ports to PostgreSQL.

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL,
    services       TEXT NOT NULL DEFAULT '[]',
    created_at     INTEGER NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    token_sha256  TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    services      TEXT NOT NULL DEFAULT '[]',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);

CREATE TABLE web_sessions (
    id_sha256   TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions(expires_at);

-- Keyset pagination of the exposure list in priority order (tier, highest
-- score first, id), overall and per service; `-score` so that one ascending
-- row-value comparison walks the index (works the same on PostgreSQL).
CREATE INDEX decisions_rank ON decisions(tier, -score, exposure_id);
CREATE INDEX decisions_service_rank ON decisions(service_id, tier, -score, exposure_id);
-- The SLA board: due and overdue work in due-date order.
CREATE INDEX decisions_due ON decisions(due, exposure_id) WHERE due IS NOT NULL;
CREATE INDEX IF NOT EXISTS risk_acceptances_exposure_expires ON risk_acceptances(exposure_id, expires_at);
CREATE INDEX IF NOT EXISTS imports_sha256 ON imports(sha256);
CREATE INDEX feed_snapshots_sha256 ON feed_snapshots(sha256);
