-- What a member follows: authors (as written on papers), categories (or archives), and saved
-- searches (a query with its filters, as the search page's query string). Each can be turned
-- off without being forgotten.
CREATE TABLE follows (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL, -- author | category | search
    value      TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind, value)
);
