-- Votes cast on this instance (issue: community); ranking adds them to imported votes.
ALTER TABLE papers ADD COLUMN local_votes INTEGER NOT NULL DEFAULT 0;

-- Bumped by every write that changes what pages show, so caches know when to drop pages.
CREATE TABLE content_version (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    BIGINT NOT NULL,
    changed_at BIGINT NOT NULL            -- unix seconds of the last change
);
INSERT INTO content_version (id, version, changed_at) VALUES (1, 0, 0);
