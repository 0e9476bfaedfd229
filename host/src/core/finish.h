/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How every authentication ends: a strategy (a plugin through the host
 * API's complete_login, or /auth/verify-otp after the second factor)
 * hands over an identity; core_finish_login checks the user's
 * eligibility for the client and tenant, stops the login at the MFA gate
 * (mfa_gate.h) when it needs a second factor, and otherwise issues the
 * auth code or the token pair, then runs the LOGIN_SUCCEEDED hooks.
 * Strategies never issue tokens.
 *
 * Calls go one way: the handlers (login.c, mfa.c, the plugins) call this
 * file, and this file calls the gate, never the other way round.
 * Workers only (database).
 */
#ifndef AUTHSVC_CORE_FINISH_H
#define AUTHSVC_CORE_FINISH_H

#include <stdbool.h>
#include <stdint.h>

#include "authsvc/plugin.h"
#include "store/clients.h"
#include "store/users.h"

/* The host API's complete_login: core_finish_login through the gate. */
enum authsvc_status core_complete_login(struct authsvc_req *req, const struct authsvc_identity *who,
					uint32_t flags);
/* core_complete_login with the MFA gate skipped when mfa_done (the second
 * factor was just verified by /auth/verify-otp). */
enum authsvc_status core_finish_login(struct authsvc_req *req, const struct authsvc_identity *who,
				      uint32_t flags, bool mfa_done);

/* What a login binds to the code it ends with (docs/api.md): the client's
 * S256 challenge and the social provider instance, either NULL. Carried
 * across the MFA step in the MFA transaction. */
struct login_bind {
	const char *challenge;
	const char *provider;
};
/* core_finish_login with bind: a code login binds bind's challenge (else
 * the request's code_challenge) and provider to its code, or to the MFA
 * transaction when the gate stops it. */
enum authsvc_status core_finish_login_bound(struct authsvc_req *req,
					    const struct authsvc_identity *who, uint32_t flags,
					    bool mfa_done, const struct login_bind *bind);

/* 0 when u may get tokens from client c; otherwise the error reply is set
 * on req and -1 returned. */
int core_check_eligible(struct authsvc_req *req, const struct client *c, const struct user_ctx *u);

#endif
