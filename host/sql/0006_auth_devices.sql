-- Devices that have logged in before (docs/security.md, "Brute force and
-- lockout"): a successful login hands the client a random device token
-- and keeps only its SHA-256 hex here. A client that presents a live one
-- for the account it tries is not held by the account-wide rate limit,
-- so guesses from elsewhere cannot keep its owner out. A token dies at
-- expires_on, and with every password change or reset: it only counts
-- while created_on is not before user_credentials.password_changed_on.
CREATE TABLE main.auth_devices (
	token_hash char(64) PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES main.users(id) ON DELETE CASCADE,
	created_on timestamptz NOT NULL DEFAULT now(),
	expires_on timestamptz NOT NULL
);
CREATE INDEX auth_devices_user ON main.auth_devices (user_id);

-- The counters change meaning: 'account' rows (a lock on the whole
-- account) are no longer read; the account-wide limit is the 'acct' rows.
DELETE FROM main.auth_failures WHERE kind = 'account';
