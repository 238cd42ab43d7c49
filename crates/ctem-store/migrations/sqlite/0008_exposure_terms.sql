-- Schema version 8: a word index for the exposure list's text search. Each
-- prioritised exposure's title, weakness id and asset name are split into
-- lower-case words; a search word matches a word it begins. Filled when a
-- decision is first written (and once for every decision after upgrading).
CREATE TABLE exposure_terms (
    term         TEXT NOT NULL,
    exposure_id  TEXT NOT NULL,
    PRIMARY KEY (term, exposure_id)
) WITHOUT ROWID;
CREATE INDEX exposure_terms_exposure ON exposure_terms(exposure_id);
