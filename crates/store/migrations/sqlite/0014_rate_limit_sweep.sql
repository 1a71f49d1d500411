-- Windows of every bucket older than the longest window (a day) are swept when a new window
-- starts: a client address that never comes back would otherwise leave its rows for ever.
CREATE INDEX rate_limits_window ON rate_limits (window_start);
