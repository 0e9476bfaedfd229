/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A session is a refresh-token family: the refresh token and the access
 * token issued with it. Every route that presents both (token-refresh,
 * token-switch, logout, change-password) opens it the same way here.
 * Workers only.
 */
#ifndef AUTHSVC_CORE_SESSION_H
#define AUTHSVC_CORE_SESSION_H

#include "http/request.h"
#include "store/clients.h"
#include "store/db.h"
#include "store/sessions.h"
#include "store/users.h"

enum session_flags {
	/* a refresh token that was already rotated revokes its whole family,
	 * unless it was rotated less than tokens.refresh_token_grace ago */
	SESSION_REUSE_REVOKES_FAMILY = 1 << 0,
};

/*
 * Begin a transaction and lock the refresh token; it must be live (401
 * "Token Expired") and paired with `access` (401 "Token Invalid").
 * Returns 0 with the transaction open; -1 with the reply set and the
 * transaction closed.
 */
int session_open(struct authsvc_req *req, struct db *db, const char *refresh, const char *access,
		 unsigned flags, struct refresh_row *row);

/* For refresh and switch: the refresh token rotated (as session_open
 * checks it, reuse revoking the family), its client (401 "Client Invalid"),
 * its access token revoked, and the user's context in tenant (NULL: the
 * token's own tenant) read into u (u->claims NULL: no such user there) —
 * in one statement when the tokens are in order. Same return convention;
 * on 0 the caller owns u (session_issue_user releases it). */
int session_rotate(struct authsvc_req *req, struct db *db, const char *refresh, const char *access,
		   const char *tenant, struct refresh_row *row, struct client *c,
		   struct user_ctx *u);

/* Check the user's eligibility (401 "UserDoesNotExist" when u->claims is
 * NULL), issue a new pair in family (NULL: a new one), record activity,
 * commit and reply. Expects the transaction open; always closes it and
 * releases u. */
enum authsvc_status session_issue_user(struct authsvc_req *req, struct db *db,
				       const struct client *c, struct user_ctx *u, const char *type,
				       const char *family);

/* session_issue_user for the user in tenant_id (NULL or "": the default
 * tenant), loaded first; provider (NULL or "": none) is the social
 * provider instance of the login, added to the claims as "provider". */
enum authsvc_status session_issue(struct authsvc_req *req, struct db *db, const struct client *c,
				  const char *user_id, const char *tenant_id, const char *type,
				  const char *family, const char *provider);

#endif
