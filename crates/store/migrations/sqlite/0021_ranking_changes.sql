-- Rankings kept in memory follow the search index's change log (0007_search.sql), so it now
-- also records what places a paper on a list: its listing days, Hugging Face's day and code
-- links (which carry star growth), members' submissions and their hiding, and bans (which take
-- a member's submissions off the lists). The index re-reads such a paper; nothing else changes.
DROP TRIGGER search_changes_paper_update;
CREATE TRIGGER search_changes_paper_update AFTER UPDATE ON papers
WHEN OLD.title IS NOT NEW.title OR OLD.abstract IS NOT NEW.abstract OR OLD.authors IS NOT NEW.authors
  OR OLD.categories IS NOT NEW.categories OR OLD.first_listed IS NOT NEW.first_listed
  OR OLD.first_version_date IS NOT NEW.first_version_date OR OLD.imported_votes IS NOT NEW.imported_votes
  OR OLD.local_votes IS NOT NEW.local_votes OR OLD.hidden IS NOT NEW.hidden
  OR OLD.listing_dates IS NOT NEW.listing_dates OR OLD.hf_daily_date IS NOT NEW.hf_daily_date
  OR OLD.code_links IS NOT NEW.code_links
BEGIN
    INSERT INTO search_changes (paper_id) VALUES (NEW.id);
END;

CREATE TRIGGER search_changes_submission_insert AFTER INSERT ON submissions
BEGIN
    INSERT INTO search_changes (paper_id) VALUES (NEW.paper_id);
END;

CREATE TRIGGER search_changes_submission_update AFTER UPDATE ON submissions
WHEN OLD.hidden IS NOT NEW.hidden OR OLD.listing_date IS NOT NEW.listing_date OR OLD.user_id IS NOT NEW.user_id
BEGIN
    INSERT INTO search_changes (paper_id) VALUES (NEW.paper_id);
END;

CREATE TRIGGER search_changes_submission_delete AFTER DELETE ON submissions
BEGIN
    INSERT INTO search_changes (paper_id) VALUES (OLD.paper_id);
END;

CREATE TRIGGER search_changes_ban AFTER UPDATE OF role ON users
WHEN (OLD.role = 'banned') IS NOT (NEW.role = 'banned')
BEGIN
    INSERT INTO search_changes (paper_id) SELECT paper_id FROM submissions WHERE user_id = NEW.id;
END;

-- Star growth is read from repo_stars through a paper's code links; a change there would touch
-- every paper that links the repository, which no index finds cheaply. So it moves a counter
-- instead, and rankings kept in memory start again from the database when it moves (stars are
-- read about once a day per repository).
CREATE TABLE ranking_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch INTEGER NOT NULL
);
INSERT INTO ranking_epoch (id, epoch) VALUES (1, 0);

CREATE TRIGGER ranking_epoch_star_insert AFTER INSERT ON repo_stars
WHEN NEW.growth <> 0
BEGIN
    UPDATE ranking_epoch SET epoch = epoch + 1 WHERE id = 1;
END;

CREATE TRIGGER ranking_epoch_star_update AFTER UPDATE ON repo_stars
WHEN OLD.growth IS NOT NEW.growth OR OLD.gone IS NOT NEW.gone
BEGIN
    UPDATE ranking_epoch SET epoch = epoch + 1 WHERE id = 1;
END;

CREATE TRIGGER ranking_epoch_star_delete AFTER DELETE ON repo_stars
BEGIN
    UPDATE ranking_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
