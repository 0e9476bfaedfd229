-- Failure counters for brute-force protection, shared by every instance.
-- kind: 'account' (lower-cased username as presented, whether or not it
-- exists, so a lockout says nothing about existence) or 'ip'.
CREATE TABLE main.auth_failures (
	kind varchar(16) NOT NULL,
	subject text NOT NULL,
	failures integer NOT NULL DEFAULT 0,
	window_start timestamptz NOT NULL DEFAULT now(),
	locked_until timestamptz,
	PRIMARY KEY (kind, subject)
);
CREATE INDEX auth_failures_window ON main.auth_failures (window_start);
