-- E-mail about discussions. Each member chooses what to hear of (replies to their comments; new
-- comments on papers they saved or submitted). A mail gathers one paper's new comments for one
-- member until a worker claims it; the next one for that member and paper is due an hour after
-- it, so nobody gets more than one an hour per paper. A mail moves through the digest queue's
-- states: queued → sending → handed_over → sent, or failed / cancelled.
ALTER TABLE users ADD COLUMN notify_replies BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN notify_papers BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE comment_mails (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    paper_id        TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    scheduled_at    BIGINT NOT NULL,             -- due no sooner; an hour after the previous mail's
    state           TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claim           TEXT,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX comment_mails_due ON comment_mails (state, next_attempt_at);
CREATE INDEX comment_mails_member_paper ON comment_mails (user_id, paper_id, scheduled_at);
-- At most one mail still gathering comments per member and paper.
CREATE UNIQUE INDEX comment_mails_open ON comment_mails (user_id, paper_id) WHERE state = 'queued' AND attempts = 0;

CREATE TABLE comment_mail_items (
    mail_id    INTEGER NOT NULL REFERENCES comment_mails (id) ON DELETE CASCADE,
    comment_id INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    reason     TEXT NOT NULL,                    -- reply | saved | submitted
    PRIMARY KEY (mail_id, comment_id)
);
