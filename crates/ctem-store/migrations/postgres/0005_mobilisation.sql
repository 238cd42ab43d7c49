-- PostgreSQL spelling of migrations/sqlite/0005_mobilisation.sql (same tables, columns and
-- indexes; BIGINT for integers and times, DOUBLE PRECISION for reals,
-- identity columns for ids).

-- 0005: mobilisation — ticket sync state, the risk-acceptance lifecycle.
-- Times are Unix seconds. Added columns have defaults so existing rows stay valid.

ALTER TABLE tickets ADD COLUMN title TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN closed BIGINT NOT NULL DEFAULT 0;
-- Hash of the content last written to the tracker: a failed update keeps
-- the old hash, so the next sync retries it.
ALTER TABLE tickets ADD COLUMN content_hash TEXT COLLATE "C" NOT NULL DEFAULT '';
-- When ctem first saw the ticket closed by someone else (a fix claimed).
ALTER TABLE tickets ADD COLUMN remote_closed_at BIGINT;
-- Closed by ctem because a rescan verified the fix.
ALTER TABLE tickets ADD COLUMN closed_by_ctem BIGINT NOT NULL DEFAULT 0;

ALTER TABLE risk_acceptances ADD COLUMN revoked_at BIGINT;
ALTER TABLE risk_acceptances ADD COLUMN revoked_by TEXT COLLATE "C";
ALTER TABLE risk_acceptances ADD COLUMN revoke_reason TEXT COLLATE "C";
-- When ctem processed the expiry (reopened the exposure).
ALTER TABLE risk_acceptances ADD COLUMN expired_at BIGINT;
ALTER TABLE risk_acceptances ADD COLUMN created_by TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX risk_acceptances_exposure ON risk_acceptances(exposure_id);
