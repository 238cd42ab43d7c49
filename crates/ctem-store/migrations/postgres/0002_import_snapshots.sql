-- PostgreSQL spelling of migrations/sqlite/0002_import_snapshots.sql (same tables, columns and
-- indexes; BIGINT for integers and times, DOUBLE PRECISION for reals,
-- identity columns for ids).

-- ctem workspace schema, version 2: what each import snapshot covered, so an
-- unchanged report can be re-imported without parsing it again
-- (docs/performance.md).

-- Records the parser deliberately skipped (informational items, passed checks).
ALTER TABLE imports ADD COLUMN skipped BIGINT NOT NULL DEFAULT 0;
-- The tools whose evidence this import is a complete snapshot of, sorted and
-- separated by ', ' (the `tool` column is the report's own tool list).
ALTER TABLE imports ADD COLUMN evidence_tools TEXT COLLATE "C";
-- The ctem-ingest version that parsed the file: an unchanged file is only
-- reused when the same parser would read it.
ALTER TABLE imports ADD COLUMN parser TEXT COLLATE "C";
-- Set when this import re-used the snapshot of an earlier import of the
-- identical file (same SHA-256, same parser, still the latest of its tools):
-- the full import whose evidence rows and covered assets it repeats.
ALTER TABLE imports ADD COLUMN reused_import BIGINT REFERENCES imports(id);
CREATE INDEX imports_sha256 ON imports(sha256);

-- Every asset an import covered (had findings on, or scanned with none).
CREATE TABLE import_assets (
    import_id  BIGINT NOT NULL REFERENCES imports(id),
    asset_id   TEXT COLLATE "C" NOT NULL REFERENCES assets(id),
    PRIMARY KEY (import_id, asset_id)
);
