/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the operator provisions with authsvc-admin: tenants, roles, auth
 * clients and users, and the listings of users and clients.
 *
 * Each call returns 0 or -1 with err: 400 for a bad value, 404 for an unknown
 * reference (tenant key, role name, client id), 409 for a duplicate, 503 when
 * the database is unreachable, 500 otherwise; err->msg is one sentence meant
 * for the operator. Secrets given here (client secrets) are never kept in
 * clear, and the caller passes user passwords already hashed.
 *
 * Blocks (database); the admin CLI, or a worker thread.
 */
#ifndef AUTHSVC_STORE_PROVISION_H
#define AUTHSVC_STORE_PROVISION_H

#include <stddef.h>

#include "store/db.h"
#include "util/err.h"

/* A tenant with status 1 (active). key: 1..20 characters, name: 1..100. */
int provision_tenant_add(struct db *db, const char *key, const char *name, struct err *err);

/* A global role (tenant_id NULL) with the permissions of a comma-separated
 * list (blanks around items trimmed, empty items dropped; NULL or "" none). */
int provision_role_add(struct db *db, const char *name, const char *permissions_csv,
		       struct err *err);

struct client_spec {
	const char *client_id;		       /* 1..50 characters */
	const char *secret;		       /* NULL or "": a public client */
	const char *redirect_url;	       /* up to 200 characters */
	const char *logout_redirect_url;       /* optional */
	int access_ttl, refresh_ttl, code_ttl; /* seconds, > 0 */
	const unsigned char *secret_key;       /* clients.secret_key (32 bytes), or NULL */
};

/* The secret is stored in client_secret_form (store/clients.h): keyed with
 * secret_key, "sha256:<hex>" without one; client_type is "confidential"
 * with a secret and "public" without; the `secret` column gets 32 random
 * bytes in hex. */
int provision_client_add(struct db *db, const struct client_spec *spec, struct err *err);

struct user_spec {
	const char *username;	       /* stored lower-cased, 1..150 characters */
	const char *password_hash;     /* from password_hash(); never a clear password */
	const char *email;	       /* optional */
	const char *first_name;	       /* optional: the username */
	const char *last_name;	       /* optional */
	const char *phone;	       /* optional, up to 15 characters */
	const char *tenant_key;	       /* optional: the only tenant, if exactly one exists */
	const char *role;	       /* optional: "user"; the tenant's, else the global one */
	const char *const *client_ids; /* client_id strings, allowed for this user */
	size_t nclients;
};

/*
 * In one transaction: the users row (default_tenant_id = the tenant,
 * auth_client_ids = the clients' ids), its user_credentials (provider
 * "internal", password_changed_on now()) and user_tenants (status 1, active).
 * id_out (may be NULL, >= 37 bytes) receives the new user's id.
 */
int provision_user_add(struct db *db, const struct user_spec *spec, char *id_out, size_t idsz,
		       struct err *err);

/* provision_user_add inside the caller's transaction (sign-up burns its
 * token in the same one); on -1 the caller rolls back. */
int provision_user_insert(struct db *db, const struct user_spec *spec, char *id_out, size_t idsz,
			  struct err *err);

/* 1 when a live user has this username or e-mail (case-insensitive;
 * either may be NULL), 0 when not, -1 on error. */
int provision_user_taken(struct db *db, const char *username, const char *email, struct err *err);

/*
 * Listings for display, NULL on error. Columns are named for a table header;
 * no secrets or hashes. users: id, username, email, tenant, role, status,
 * clients (comma list), created. clients: id, client_id, type, redirect_url,
 * access_ttl, refresh_ttl, code_ttl, created. The caller PQclear()s.
 */
PGresult *provision_user_list(struct db *db, struct err *err);
PGresult *provision_client_list(struct db *db, struct err *err);

#endif
