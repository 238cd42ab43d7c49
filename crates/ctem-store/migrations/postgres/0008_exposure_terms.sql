-- PostgreSQL spelling of migrations/sqlite/0008_exposure_terms.sql.
CREATE TABLE exposure_terms (
    term         TEXT COLLATE "C" NOT NULL,
    exposure_id  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (term, exposure_id)
);
CREATE INDEX exposure_terms_exposure ON exposure_terms(exposure_id);
