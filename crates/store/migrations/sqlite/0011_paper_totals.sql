-- How many papers there are and how many came with votes, kept by triggers in the transaction
-- that changes them, so that /metrics reads one row instead of counting millions at every scrape.
CREATE TABLE paper_totals (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    papers     INTEGER NOT NULL,
    with_votes INTEGER NOT NULL
);

INSERT INTO paper_totals (id, papers, with_votes) SELECT 1, COUNT(*), COUNT(imported_votes) FROM papers;

CREATE TRIGGER paper_totals_insert AFTER INSERT ON papers
BEGIN
    UPDATE paper_totals SET papers = papers + 1, with_votes = with_votes + (NEW.imported_votes IS NOT NULL)
    WHERE id = 1;
END;

CREATE TRIGGER paper_totals_delete AFTER DELETE ON papers
BEGIN
    UPDATE paper_totals SET papers = papers - 1, with_votes = with_votes - (OLD.imported_votes IS NOT NULL)
    WHERE id = 1;
END;

CREATE TRIGGER paper_totals_votes AFTER UPDATE OF imported_votes ON papers
WHEN (OLD.imported_votes IS NULL) <> (NEW.imported_votes IS NULL)
BEGIN
    UPDATE paper_totals
    SET with_votes = with_votes + (NEW.imported_votes IS NOT NULL) - (OLD.imported_votes IS NOT NULL)
    WHERE id = 1;
END;
