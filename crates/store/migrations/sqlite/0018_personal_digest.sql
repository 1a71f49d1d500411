-- A member's digest can follow their "For you" list instead of the trending one.
ALTER TABLE subscriptions ADD COLUMN for_you BOOLEAN NOT NULL DEFAULT FALSE;
