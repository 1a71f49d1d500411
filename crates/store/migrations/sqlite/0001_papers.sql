-- Papers. Lists (authors, categories, listing dates, code links, imported votes) are kept as JSON
-- on the row so that a paper loads in one read; the tables below index what pages filter on.
CREATE TABLE papers (
    id                  TEXT PRIMARY KEY NOT NULL,   -- canonical arXiv id, no version
    latest_version      INTEGER,
    title               TEXT NOT NULL,
    abstract            TEXT NOT NULL,
    authors             TEXT NOT NULL,               -- JSON array of names, in order
    primary_category    TEXT,
    categories          TEXT NOT NULL,               -- JSON array, primary first
    comment             TEXT,
    journal_ref         TEXT,
    doi                 TEXT,
    license             TEXT,
    first_version_date  TEXT,                        -- YYYY-MM-DD
    latest_version_date TEXT,
    listing_dates       TEXT NOT NULL,               -- JSON array of YYYY-MM-DD, ascending
    first_listed        TEXT,                        -- the first of listing_dates
    code_links          TEXT NOT NULL,               -- JSON array of {host, url}
    code_link_count     INTEGER NOT NULL,
    community_votes     TEXT NOT NULL,               -- JSON array of {source, votes, read_at, featured_on}
    imported_votes      INTEGER,                     -- sum over sources; NULL when no source has counted
    created_at          BIGINT NOT NULL,             -- unix seconds
    updated_at          BIGINT NOT NULL
);

CREATE INDEX papers_first_listed ON papers (first_listed);
CREATE INDEX papers_primary_category ON papers (primary_category);

-- One row per (day, paper) the paper was announced on: the daily pages read this.
CREATE TABLE paper_listings (
    listing_date TEXT NOT NULL,
    paper_id     TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    PRIMARY KEY (listing_date, paper_id)
);
CREATE INDEX paper_listings_paper ON paper_listings (paper_id);

-- One row per (category, paper), cross-lists included: category filters read this.
CREATE TABLE paper_categories (
    category   TEXT NOT NULL,
    paper_id   TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    is_primary BOOLEAN NOT NULL,
    PRIMARY KEY (category, paper_id)
);
CREATE INDEX paper_categories_paper ON paper_categories (paper_id);
