-- Policy versions ctem has prioritised with, and feed download checks.

-- One row each time `ctem prioritise` sees a policy (version or content)
-- different from the last run's; the newest row is the policy in force.
CREATE TABLE policy_versions (
    id          INTEGER PRIMARY KEY,
    version     TEXT NOT NULL,
    hash        TEXT NOT NULL,
    content     TEXT NOT NULL,
    first_used  INTEGER NOT NULL
);

-- Every download check of a feed: a new snapshot (200), not modified (304),
-- unchanged content, or a rejected download (the previous snapshot stays).
CREATE TABLE feed_checks (
    id           INTEGER PRIMARY KEY,
    feed         TEXT NOT NULL,
    url          TEXT NOT NULL,
    checked_at   INTEGER NOT NULL,
    outcome      TEXT NOT NULL,
    http_status  INTEGER,
    snapshot_id  INTEGER REFERENCES feed_snapshots(id),
    detail       TEXT NOT NULL
);
CREATE INDEX feed_checks_feed ON feed_checks(feed, id);
