-- Schema version 4: identity and topology sources for the attack graph, and
-- closure verification of exposures marked fixed.

-- One row per imported graph source (a SharpHound file, an identity file, a
-- topology file). A new import of the same label replaces the old one; the
-- document is the parsed, normalised content as JSON.
CREATE TABLE graph_sources (
    label      TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    loaded_at  INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    objects    INTEGER NOT NULL,
    relations  INTEGER NOT NULL,
    document   TEXT NOT NULL
);

-- A claim that an exposure is fixed, and how the re-test ended.
CREATE TABLE fix_claims (
    id           INTEGER PRIMARY KEY,
    exposure_id  TEXT NOT NULL REFERENCES exposures(id),
    claimed_at   INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    note         TEXT,
    -- pending, verified (closed) or failed (reopened)
    outcome      TEXT NOT NULL,
    outcome_at   INTEGER,
    reason       TEXT
);
CREATE INDEX fix_claims_exposure ON fix_claims(exposure_id, outcome);
