-- Paper totals kept by a trigger (see migrations/sqlite/0011_paper_totals.sql).
CREATE TABLE paper_totals (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    papers     BIGINT NOT NULL,
    with_votes BIGINT NOT NULL
);

INSERT INTO paper_totals (id, papers, with_votes) SELECT 1, COUNT(*), COUNT(imported_votes) FROM papers;

CREATE FUNCTION count_papers() RETURNS TRIGGER AS $$
DECLARE
    added BIGINT := 0;
    voted BIGINT := 0;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        added := added + 1;
        voted := voted + (NEW.imported_votes IS NOT NULL)::INT;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        added := added - 1;
        voted := voted - (OLD.imported_votes IS NOT NULL)::INT;
    END IF;
    IF added <> 0 OR voted <> 0 THEN
        UPDATE paper_totals SET papers = papers + added, with_votes = with_votes + voted WHERE id = 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER paper_totals AFTER INSERT OR UPDATE OF imported_votes OR DELETE ON papers
    FOR EACH ROW EXECUTE FUNCTION count_papers();
