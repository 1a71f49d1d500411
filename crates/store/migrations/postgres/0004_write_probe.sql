-- The row /readyz rewrites (see migrations/sqlite/0012_write_probe.sql).
CREATE TABLE write_probe (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at BIGINT NOT NULL
);
