-- GitHub star counts of the repositories papers link to, for the trending score's star growth.

-- One row per repository URL as papers hold it (https://github.com/owner/name).
CREATE TABLE repo_stars (
    url TEXT PRIMARY KEY,
    stars INTEGER NOT NULL,
    -- Stars gained over the last week of counts (0 until a week of counts exists).
    growth INTEGER NOT NULL,
    -- GitHub's ETag, for conditional requests (a 304 costs no rate limit).
    etag TEXT,
    checked_at INTEGER NOT NULL,
    -- GitHub answered 404 or 451: no longer asked.
    gone INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX repo_stars_checked ON repo_stars (checked_at);

-- The count as read on each day (UTC), the history growth is measured on.
CREATE TABLE repo_star_counts (
    url TEXT NOT NULL,
    day TEXT NOT NULL,
    stars INTEGER NOT NULL,
    PRIMARY KEY (url, day)
);
