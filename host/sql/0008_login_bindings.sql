-- What a login binds to the code it ends with, kept across the MFA step
-- (docs/api.md "PKCE on auth codes", "Login activity"): the client's S256
-- challenge and the social provider instance the login came through
-- travel from the MFA transaction to the code /auth/verify-otp issues,
-- and the provider from the code to the ACCESS row of login activity.
ALTER TABLE main.otp_pending ADD COLUMN code_challenge varchar(64);
ALTER TABLE main.otp_pending ADD COLUMN provider varchar(50);
ALTER TABLE main.auth_codes ADD COLUMN provider varchar(50);
