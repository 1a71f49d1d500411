-- One row that /readyz rewrites to learn whether the database still takes writes: a full disk or
-- a read-only file lets every read succeed.
CREATE TABLE write_probe (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at INTEGER NOT NULL
);
