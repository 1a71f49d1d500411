-- Rankings kept in memory follow the search change log (see the SQLite migration
-- 0021_ranking_changes.sql): listing days, Hugging Face's day, code links, submissions and bans
-- are logged too, and a change of star growth moves the ranking epoch.
CREATE OR REPLACE FUNCTION log_search_change() RETURNS TRIGGER AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO search_changes (paper_id) VALUES (OLD.id);
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND NOT (
        OLD.title IS DISTINCT FROM NEW.title OR OLD.abstract IS DISTINCT FROM NEW.abstract
        OR OLD.authors IS DISTINCT FROM NEW.authors OR OLD.categories IS DISTINCT FROM NEW.categories
        OR OLD.first_listed IS DISTINCT FROM NEW.first_listed
        OR OLD.first_version_date IS DISTINCT FROM NEW.first_version_date
        OR OLD.imported_votes IS DISTINCT FROM NEW.imported_votes
        OR OLD.local_votes IS DISTINCT FROM NEW.local_votes OR OLD.hidden IS DISTINCT FROM NEW.hidden
        OR OLD.listing_dates IS DISTINCT FROM NEW.listing_dates
        OR OLD.hf_daily_date IS DISTINCT FROM NEW.hf_daily_date
        OR OLD.code_links IS DISTINCT FROM NEW.code_links
    ) THEN
        RETURN NEW;
    END IF;
    INSERT INTO search_changes (paper_id) VALUES (NEW.id);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION log_submission_change() RETURNS TRIGGER AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO search_changes (paper_id) VALUES (OLD.paper_id);
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND NOT (
        OLD.hidden IS DISTINCT FROM NEW.hidden OR OLD.listing_date IS DISTINCT FROM NEW.listing_date
        OR OLD.user_id IS DISTINCT FROM NEW.user_id
    ) THEN
        RETURN NEW;
    END IF;
    INSERT INTO search_changes (paper_id) VALUES (NEW.paper_id);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER search_changes_submission AFTER INSERT OR UPDATE OR DELETE ON submissions
    FOR EACH ROW EXECUTE FUNCTION log_submission_change();

CREATE FUNCTION log_ban() RETURNS TRIGGER AS $$
BEGIN
    IF (OLD.role = 'banned') IS DISTINCT FROM (NEW.role = 'banned') THEN
        INSERT INTO search_changes (paper_id) SELECT paper_id FROM submissions WHERE user_id = NEW.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER search_changes_ban AFTER UPDATE OF role ON users
    FOR EACH ROW EXECUTE FUNCTION log_ban();

CREATE TABLE ranking_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO ranking_epoch (id, epoch) VALUES (1, 0);

CREATE FUNCTION move_ranking_epoch() RETURNS TRIGGER AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.growth = 0 THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NOT (OLD.growth IS DISTINCT FROM NEW.growth OR OLD.gone IS DISTINCT FROM NEW.gone) THEN
        RETURN NEW;
    END IF;
    UPDATE ranking_epoch SET epoch = epoch + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ranking_epoch_stars AFTER INSERT OR UPDATE OR DELETE ON repo_stars
    FOR EACH ROW EXECUTE FUNCTION move_ranking_epoch();
