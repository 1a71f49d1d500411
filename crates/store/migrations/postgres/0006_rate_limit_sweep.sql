-- See migrations/sqlite/0014_rate_limit_sweep.sql.
CREATE INDEX rate_limits_window ON rate_limits (window_start);
