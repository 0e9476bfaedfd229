-- One-time codes, MFA transactions, action tokens (reset, signup), send
-- rate limits, password history and the TOTP columns.

-- MFA switches (docs/api.md "Second factor and passwordless login"): a per-user flag read when
-- mfa.mode = "users".
ALTER TABLE main.users ADD COLUMN mfa_enabled boolean NOT NULL DEFAULT false;

-- TOTP: secret_key holds the secret encrypted by the host ("enc1:..."), or
-- an upstream row's plain base32 secret. A new secret is pending until the
-- first code verifies; last_step refuses a code used again in its step.
ALTER TABLE main.user_credentials
	ADD COLUMN totp_confirmed boolean NOT NULL DEFAULT false,
	ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0;
UPDATE main.user_credentials SET totp_confirmed = true WHERE coalesce(secret_key, '') <> '';

-- Pending one-time codes, one per (space, key). space: 'mfa' (key = the
-- user id; code_hash binds it to the MFA-flagged code of the password step)
-- or 'passwordless' (key = the lower-cased key as typed; user_id NULL for an
-- unknown key, so both cases do the same work). otp_hash is the SHA-256 hex
-- of the code; NULL while only an app (TOTP) code is expected.
CREATE TABLE main.otp_pending (
	space varchar(32) NOT NULL,
	key text NOT NULL,
	user_id uuid REFERENCES main.users(id),
	client_id varchar(50) NOT NULL,
	otp_hash char(64),
	code_hash char(64) UNIQUE,
	attempts integer NOT NULL DEFAULT 0,
	otp_expires_at timestamptz,
	expires_at timestamptz NOT NULL,
	created_on timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (space, key)
);
CREATE INDEX otp_pending_expires ON main.otp_pending (expires_at);

-- Reset-password and signup tokens: opaque, stored as SHA-256 hex, each
-- with its own purpose so no other token passes for it (docs/api.md "Forgotten passwords and sign-up").
CREATE TABLE main.action_tokens (
	token_hash char(64) PRIMARY KEY,
	purpose varchar(16) NOT NULL CHECK (purpose IN ('reset', 'signup')),
	client_id varchar(50) NOT NULL,
	user_id uuid REFERENCES main.users(id),
	email varchar(150),
	data jsonb,
	expires_at timestamptz NOT NULL,
	used_at timestamptz,
	created_on timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX action_tokens_user ON main.action_tokens (user_id);
CREATE INDEX action_tokens_expires ON main.action_tokens (expires_at);

-- Fixed-window counters for sends (OTP, reset mail, signup mail) per
-- subject: kind 'otp_user', 'otp_ip', 'reset_user', ...
CREATE TABLE main.send_counters (
	kind varchar(16) NOT NULL,
	subject text NOT NULL,
	count integer NOT NULL DEFAULT 0,
	window_start timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (kind, subject)
);
CREATE INDEX send_counters_window ON main.send_counters (window_start);

-- Earlier password hashes, for "not one of the last N passwords".
CREATE TABLE main.password_history (
	user_id uuid NOT NULL REFERENCES main.users(id),
	hash text NOT NULL,
	created_on timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_history_user ON main.password_history (user_id, created_on DESC);
