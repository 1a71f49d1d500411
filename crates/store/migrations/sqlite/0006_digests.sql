-- E-mail digests: subscriptions (double opt-in), the delivery queue, what each subscriber has
-- been sent, which periods the scheduler has handled, and the instance's signing secrets.
CREATE TABLE subscriptions (
    id                 INTEGER PRIMARY KEY,
    email              TEXT NOT NULL UNIQUE,        -- as typed, domain lower-cased
    email_key          TEXT NOT NULL UNIQUE,        -- lower-cased: one subscription per mailbox
    status             TEXT NOT NULL,               -- pending | active | unsubscribed | bounced
    frequency          TEXT NOT NULL,               -- daily | weekly
    categories         TEXT NOT NULL DEFAULT '',    -- space-separated category codes
    keywords           TEXT NOT NULL DEFAULT '[]',  -- JSON array of lower-case phrases
    max_papers         INTEGER NOT NULL,
    confirm_token_hash TEXT UNIQUE,                 -- SHA-256 of the confirmation link's secret
    confirm_expires_at BIGINT,
    failures           INTEGER NOT NULL DEFAULT 0,  -- permanent delivery failures since the last success
    created_at         BIGINT NOT NULL,
    confirmed_at       BIGINT,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX subscriptions_by_status ON subscriptions (status, frequency, id);

-- The queue: one row per subscription and period, so nothing can enqueue a second copy.
-- queued → sending (claimed, lease running) → handed_over (committed just before the SMTP
-- server is told to accept; never retried) → sent; or back to queued (transient failure),
-- failed (permanent), cancelled (unsubscribed before it went out).
CREATE TABLE digest_deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    period          TEXT NOT NULL,                  -- daily:2026-02-13 | weekly:2026-W07
    papers          TEXT NOT NULL,                  -- JSON array of arXiv ids, in digest order
    state           TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claim           TEXT,                           -- random per claim: a stale worker cannot hand over
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    UNIQUE (subscription_id, period)
);
CREATE INDEX digest_deliveries_due ON digest_deliveries (state, next_attempt_at);
CREATE INDEX digest_deliveries_period ON digest_deliveries (period, state);

-- Every paper a subscriber has been sent (or has queued): never the same paper twice.
CREATE TABLE digest_papers (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    paper_id        TEXT NOT NULL,
    delivery_id     INTEGER NOT NULL REFERENCES digest_deliveries (id) ON DELETE CASCADE,
    PRIMARY KEY (subscription_id, paper_id)
);

-- Periods whose digests have been composed, so the scheduler runs each once.
CREATE TABLE digest_runs (
    period      TEXT PRIMARY KEY NOT NULL,
    frequency   TEXT NOT NULL,
    deliveries  INTEGER NOT NULL,
    composed_at BIGINT NOT NULL
);

-- Secrets every replica must share (the key that signs manage links), made on first use.
CREATE TABLE instance_secrets (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
