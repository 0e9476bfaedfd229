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

enum session_flags {
	/* a refresh token that was already rotated revokes its whole family */
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

/* For refresh and switch: session_open, the issuing client (401 "Client
 * Invalid"), then burn the refresh token and revoke its access token. Same
 * return convention. */
int session_rotate(struct authsvc_req *req, struct db *db, const char *refresh, const char *access,
		   struct refresh_row *row, struct client *c);

/* Load the user in tenant_id (NULL: default tenant), check eligibility, issue
 * a new pair in family (NULL: a new one), record activity, commit and reply.
 * Expects the transaction open; always closes it. */
enum authsvc_status session_issue(struct authsvc_req *req, struct db *db, const struct client *c,
				  const char *user_id, const char *tenant_id, const char *type,
				  const char *family);

#endif
