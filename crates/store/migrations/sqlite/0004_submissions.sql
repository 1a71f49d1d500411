-- Papers members put on a day's list. Kept apart from arXiv's own listings (paper_listings),
-- which imports rebuild; a list shows the union of both.
CREATE TABLE submissions (
    paper_id     TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    listing_date TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hidden       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT NOT NULL,
    -- One submission of a paper per day: the second gets a clear "already submitted".
    PRIMARY KEY (paper_id, listing_date)
);
CREATE INDEX submissions_user_day ON submissions (user_id, listing_date);
CREATE INDEX submissions_day ON submissions (listing_date);
