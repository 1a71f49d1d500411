-- Live harvesting: where each harvest stands, and what each run did.

-- One row per position the harvester keeps (the announcement feed, an OAI-PMH list, a
-- back-fill), as JSON only the harvester reads. It is written in the same transaction as the
-- papers of the page that moved it, so after a crash the position and the papers agree.
CREATE TABLE harvest_checkpoints (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Finished runs, for /healthz, /metrics and the operator.
CREATE TABLE harvest_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    succeeded INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    papers_new INTEGER NOT NULL,
    papers_updated INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX harvest_runs_succeeded ON harvest_runs (succeeded, finished_at);
