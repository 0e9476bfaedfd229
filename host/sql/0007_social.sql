-- Social and enterprise logins (docs/providers.md): login transactions,
-- identities at providers, and a PKCE challenge bound to an auth code.

-- One row per started login at an identity provider, single-use: the
-- callback deletes it in the statement that reads it. state_hash is the
-- SHA-256 hex of the state sent to the provider, browser_hash that of the
-- HttpOnly cookie set on the browser at the start; both must match, and
-- the row must be live. code_verifier and nonce are the values this login
-- sent (as S256 challenge and nonce); caller_state is the client's own
-- state; client_challenge (S256) is bound to the code the login issues.
CREATE TABLE main.login_transactions (
	state_hash char(64) PRIMARY KEY,
	browser_hash char(64) NOT NULL,
	provider varchar(50) NOT NULL,
	client_id varchar(50) NOT NULL,
	code_verifier varchar(128) NOT NULL,
	nonce varchar(64) NOT NULL,
	caller_state text,
	client_challenge varchar(64),
	expires_at timestamptz NOT NULL,
	created_on timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_transactions_expires ON main.login_transactions (expires_at);

-- A local user's identity at a provider instance: (provider, subject) is
-- what a login matches first (subject: sub, Azure's oid).
CREATE TABLE main.user_identities (
	provider varchar(50) NOT NULL,
	subject varchar(255) NOT NULL,
	user_id uuid NOT NULL REFERENCES main.users(id),
	email varchar(150),
	created_on timestamptz NOT NULL DEFAULT now(),
	last_login timestamptz,
	PRIMARY KEY (provider, subject)
);
CREATE INDEX user_identities_user ON main.user_identities (user_id);

-- PKCE (S256) on auth codes: POST /auth/token then needs the verifier.
ALTER TABLE main.auth_codes ADD COLUMN code_challenge varchar(64);
