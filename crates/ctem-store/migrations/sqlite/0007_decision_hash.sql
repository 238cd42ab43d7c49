-- Schema version 7: a hash of each decision's stored form, so that a
-- re-prioritisation rewrites only the decisions that changed (at a million
-- exposures, rewriting every row cost most of the run). NULL for decisions
-- written before: they are rewritten once.
ALTER TABLE decisions ADD COLUMN content_hash INTEGER;
