-- A member's library: named collections of saved papers ("Saved", the default one, is made on
-- first use and keeps its name), each private unless published under an unguessable id; and a
-- private note per saved paper. All of it goes with the account.
CREATE TABLE collections (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    public_id  TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, name)
);
CREATE UNIQUE INDEX collections_public_id ON collections (public_id) WHERE public_id IS NOT NULL;

CREATE TABLE collection_papers (
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    paper_id      TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    added_at      BIGINT NOT NULL,
    PRIMARY KEY (collection_id, paper_id)
);
CREATE INDEX collection_papers_paper ON collection_papers (paper_id);

CREATE TABLE paper_notes (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    paper_id   TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    note       TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, paper_id)
);
