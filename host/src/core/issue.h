/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Token issuance, shared by /auth/token, /auth/login-token, refresh and
 * switch (docs/api.md "Endpoints served now"): build the AuthUser claims, sign the access
 * token, store the refresh token (hash only), touch last_login and record
 * the login activity. The caller wraps the call in a transaction, so a
 * failure leaves no partial rows. Workers only.
 */
#ifndef AUTHSVC_CORE_ISSUE_H
#define AUTHSVC_CORE_ISSUE_H

#include <jansson.h>

#include "http/request.h"
#include "store/clients.h"
#include "store/db.h"
#include "store/users.h"

/* On success *response_out is the TokenResponse (new reference). */
int core_issue_tokens(struct authsvc_req *req, struct db *db, const struct client *c,
		      const struct user_ctx *u, const char *login_type, const char *family_id,
		      json_t **response_out, struct err *err);

/* A login_activity row for req (device from User-Agent, IP from the peer or
 * a trusted proxy's forwarding header). */
int core_record_activity(struct authsvc_req *req, struct db *db, const char *login_type,
			 const char *user_id, const char *user_tenant_id, const char *tenant_id,
			 const json_t *payload, struct err *err);

/* The client's address: the peer, or, when the peer is one of
 * activity.trusted_proxies, the right-most address of the configured
 * forwarding header that is not a trusted proxy (http/forwarded.h).
 * Brute-force counters and login activity use it. Returns buf. */
const char *core_client_ip(struct authsvc_req *req, char *buf, size_t bufsz);

/* SHA-256 hex of a presented token, for lookups by hash. */
void core_token_hash(const char *token, char out[65]);

#endif
