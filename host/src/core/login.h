/*
 * How every authentication ends (ARCHITECTURE "A request's way through"):
 * a strategy establishes an identity, then core_complete_login checks the
 * user's eligibility for the client and tenant (BEHAVIOUR §2.5, §4 [REC]),
 * and issues an auth code or the token pair. Strategies never issue tokens.
 *
 * Both run on workers (they block on the database and on hashing).
 */
#ifndef AUTHSVC_CORE_LOGIN_H
#define AUTHSVC_CORE_LOGIN_H

#include "authsvc/plugin.h"
#include "store/clients.h"
#include "store/users.h"

/* The host API's password_verify: constant time for unknown users; an
 * outdated hash (bcrypt, other argon2 cost) is re-hashed on success. */
enum authsvc_status core_password_verify(struct authsvc_req *req, const char *username,
					 const char *password, struct authsvc_identity *who_out);

enum authsvc_status core_complete_login(struct authsvc_req *req, const struct authsvc_identity *who,
					uint32_t flags);
/* core_complete_login with the MFA gate skipped when mfa_done (the second
 * factor was just verified by /auth/verify-otp). */
enum authsvc_status core_finish_login(struct authsvc_req *req, const struct authsvc_identity *who,
				      uint32_t flags, bool mfa_done);

/* 0 when u may get tokens from client c; otherwise the error reply is set
 * on req and -1 returned. */
int core_check_eligible(struct authsvc_req *req, const struct client *c, const struct user_ctx *u);

#endif
