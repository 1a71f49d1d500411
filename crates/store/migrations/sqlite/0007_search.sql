-- The search index's change log (an outbox). Triggers write a row, in the same transaction as the
-- change, whenever something the index holds changes; the indexer follows the log by `seq` and
-- records in the index how far it got, so a crash at any moment loses nothing.
CREATE TABLE search_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: a gap means pruned rows
    paper_id   TEXT NOT NULL,
    changed_at BIGINT NOT NULL DEFAULT (unixepoch())
);

CREATE TRIGGER search_changes_paper_insert AFTER INSERT ON papers
BEGIN
    INSERT INTO search_changes (paper_id) VALUES (NEW.id);
END;

CREATE TRIGGER search_changes_paper_update AFTER UPDATE ON papers
WHEN OLD.title IS NOT NEW.title OR OLD.abstract IS NOT NEW.abstract OR OLD.authors IS NOT NEW.authors
  OR OLD.categories IS NOT NEW.categories OR OLD.first_listed IS NOT NEW.first_listed
  OR OLD.first_version_date IS NOT NEW.first_version_date OR OLD.imported_votes IS NOT NEW.imported_votes
  OR OLD.local_votes IS NOT NEW.local_votes OR OLD.hidden IS NOT NEW.hidden
BEGIN
    INSERT INTO search_changes (paper_id) VALUES (NEW.id);
END;

CREATE TRIGGER search_changes_paper_delete AFTER DELETE ON papers
BEGIN
    INSERT INTO search_changes (paper_id) VALUES (OLD.id);
END;

-- Sentence embeddings of title + abstract, one per paper, tagged with the model that made them.
-- `seq` grows with every write, so a process can follow what others embedded.
CREATE TABLE paper_embeddings (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    paper_id    TEXT NOT NULL UNIQUE REFERENCES papers (id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    vector      BLOB NOT NULL,                      -- little-endian f32s
    embedded_at BIGINT NOT NULL
);

-- A changed text makes its embedding wrong: drop it, and the embedder makes a new one.
CREATE TRIGGER paper_embeddings_stale AFTER UPDATE ON papers
WHEN OLD.title IS NOT NEW.title OR OLD.abstract IS NOT NEW.abstract
BEGIN
    DELETE FROM paper_embeddings WHERE paper_id = NEW.id;
END;
