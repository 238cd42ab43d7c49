-- ctem workspace schema, version 1.
-- Times are Unix seconds (INTEGER); structured values are JSON text. The same
-- shape ports to PostgreSQL (BIGINT, TEXT/JSONB) without touching the phases.

CREATE TABLE imports (
    id           INTEGER PRIMARY KEY,
    tool         TEXT NOT NULL,
    format       TEXT NOT NULL,
    file         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL,
    findings     INTEGER NOT NULL,
    exposures    INTEGER NOT NULL,
    assets       INTEGER NOT NULL,
    new          INTEGER NOT NULL,
    reopened     INTEGER NOT NULL,
    resolved     INTEGER NOT NULL,
    unchanged    INTEGER NOT NULL
);

CREATE TABLE assets (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    identity    TEXT NOT NULL,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
);

CREATE TABLE asset_identifiers (
    identifier  TEXT PRIMARY KEY,
    asset_id    TEXT NOT NULL REFERENCES assets(id)
);
CREATE INDEX asset_identifiers_asset ON asset_identifiers(asset_id);

CREATE TABLE exposures (
    id                 TEXT PRIMARY KEY,
    asset_id           TEXT NOT NULL REFERENCES assets(id),
    weakness_kind      TEXT NOT NULL,
    weakness_id        TEXT NOT NULL,
    weakness           TEXT NOT NULL,
    component          TEXT,
    title              TEXT NOT NULL,
    severity           TEXT NOT NULL,
    cvss_vector        TEXT,
    cvss_score         REAL,
    port               INTEGER,
    location           TEXT,
    first_seen         INTEGER NOT NULL,
    last_seen          INTEGER NOT NULL,
    status             TEXT NOT NULL,
    status_changed_at  INTEGER NOT NULL
);
CREATE INDEX exposures_asset ON exposures(asset_id);
CREATE INDEX exposures_weakness ON exposures(weakness_id);

-- One row per exposure and tool: which sources are evidence of it, and
-- whether the latest snapshot of that tool still showed it.
CREATE TABLE evidence (
    exposure_id   TEXT NOT NULL REFERENCES exposures(id),
    tool          TEXT NOT NULL,
    first_import  INTEGER NOT NULL,
    last_import   INTEGER NOT NULL,
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    active        INTEGER NOT NULL,
    rule_id       TEXT,
    PRIMARY KEY (exposure_id, tool)
);
CREATE INDEX evidence_tool ON evidence(tool, last_import);

CREATE TABLE feed_snapshots (
    id         INTEGER PRIMARY KEY,
    feed       TEXT NOT NULL,
    version    TEXT NOT NULL,
    data_date  INTEGER NOT NULL,
    loaded_at  INTEGER NOT NULL,
    source     TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    rows       INTEGER NOT NULL
);

CREATE TABLE kev_entries (
    snapshot_id  INTEGER NOT NULL REFERENCES feed_snapshots(id),
    cve          TEXT NOT NULL,
    date_added   INTEGER NOT NULL,
    due_date     INTEGER,
    ransomware   INTEGER NOT NULL,
    vendor       TEXT NOT NULL,
    product      TEXT NOT NULL,
    name         TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, cve)
);

CREATE TABLE epss_scores (
    snapshot_id  INTEGER NOT NULL REFERENCES feed_snapshots(id),
    cve          TEXT NOT NULL,
    epss         REAL NOT NULL,
    percentile   REAL NOT NULL,
    PRIMARY KEY (snapshot_id, cve)
);

CREATE TABLE validations (
    id            INTEGER PRIMARY KEY,
    exposure_id   TEXT NOT NULL REFERENCES exposures(id),
    state         TEXT NOT NULL,
    method        TEXT NOT NULL,
    tool          TEXT NOT NULL,
    control       TEXT,
    reason        TEXT,
    evidence      TEXT,
    validated_at  INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL
);
CREATE INDEX validations_exposure ON validations(exposure_id, validated_at);

CREATE TABLE decisions (
    exposure_id        TEXT PRIMARY KEY REFERENCES exposures(id),
    tier               TEXT NOT NULL,
    score              REAL NOT NULL,
    in_scope           INTEGER NOT NULL,
    service_id         TEXT,
    owner              TEXT,
    exploitable_intel  INTEGER NOT NULL,
    reachable          INTEGER NOT NULL,
    validation         TEXT NOT NULL,
    sla_days           INTEGER,
    due                INTEGER,
    tier_since         INTEGER NOT NULL,
    decided_at         INTEGER NOT NULL,
    policy_version     TEXT NOT NULL,
    decision           TEXT NOT NULL
);
CREATE INDEX decisions_tier ON decisions(tier, score);

CREATE TABLE risk_acceptances (
    id             INTEGER PRIMARY KEY,
    exposure_id    TEXT NOT NULL REFERENCES exposures(id),
    approver       TEXT NOT NULL,
    justification  TEXT NOT NULL,
    control        TEXT,
    expires_at     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE tickets (
    action_id     TEXT NOT NULL,
    system        TEXT NOT NULL,
    external_key  TEXT NOT NULL,
    url           TEXT,
    status        TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (action_id, system)
);

CREATE TABLE cycles (
    id           INTEGER PRIMARY KEY,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL,
    summary      TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
