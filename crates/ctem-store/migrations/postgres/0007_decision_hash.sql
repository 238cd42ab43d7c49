-- PostgreSQL spelling of migrations/sqlite/0007_decision_hash.sql.
ALTER TABLE decisions ADD COLUMN content_hash BIGINT;
