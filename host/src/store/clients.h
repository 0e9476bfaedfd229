/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth_clients rows. A client's secret is stored as
 * "hmac-sha256:<hex of HMAC-SHA-256(clients.secret_key, secret)>", so that
 * a copy of the table is no dictionary of weak operator-chosen secrets
 * without the key, which lives outside the database. Rows written without
 * a key are "sha256:<hex>" (unsalted), and a database migrated from
 * upstream keeps them in clear; those still match, and once the key is
 * set each is rewritten in the keyed form when it is next presented
 * (client_secret_check says so, store_client_secret_upgrade does it).
 * Comparisons are constant time. Workers only (blocking).
 */
#ifndef AUTHSVC_STORE_CLIENTS_H
#define AUTHSVC_STORE_CLIENTS_H

#include <stdbool.h>

#include "store/db.h"

struct client {
	int id;
	char client_id[51];
	char secret[160]; /* stored form, never logged */
	bool is_public;
	int access_ttl, refresh_ttl, code_ttl;
	char redirect_url[201];
	char logout_redirect_url[201];
};

/* The columns client_read parses, in order (table alias-free). */
#define CLIENT_COLS                                                                                \
	"id, client_id, client_secret, client_type, access_token_expiration,"                      \
	" refresh_token_expiration, auth_code_expiration,"                                         \
	" coalesce(redirect_url, '') AS redirect_url,"                                             \
	" coalesce(logout_redirect_url, '') AS logout_redirect_url"
#define CLIENT_NCOLS 9

/* Fill out from CLIENT_COLS starting at column col of a result row: 0, or
 * -1 (err, 500) when a value does not fit its field. */
int client_read(const PGresult *res, int row, int col, struct client *out, struct err *err);

/* 1 found, 0 not found, -1 database error (err). */
int store_client_find(struct db *db, const char *client_id, struct client *out, struct err *err);
#define CLIENT_SECRET_KEY_LEN  32
#define CLIENT_SECRET_FORM_MAX 80 /* "hmac-sha256:" + 64 hex digits + NUL fits */

/* The stored form of secret: keyed with key (CLIENT_SECRET_KEY_LEN bytes)
 * or, key NULL, "sha256:<hex>". 0, or -1 (err). */
int client_secret_form(const char *secret, const unsigned char *key,
		       char out[CLIENT_SECRET_FORM_MAX], struct err *err);

enum client_secret_match {
	CLIENT_SECRET_WRONG = 0,
	CLIENT_SECRET_OK,
	CLIENT_SECRET_OK_OLD, /* matches an older form: rewrite it with the key */
};
/* Whether presented matches c's stored secret; public clients need none.
 * key NULL (none configured): keyed rows never match. */
enum client_secret_match client_secret_check(const struct client *c, const char *presented,
					     const unsigned char *key);
/* client_secret_check without a key, as a yes or no. */
bool client_check_secret(const struct client *c, const char *presented);
/* Rewrite c's stored secret in the keyed form of presented (which matched
 * it), unless the row changed since it was read. 0, or -1 (err). */
int store_client_secret_upgrade(struct db *db, const struct client *c, const char *presented,
				const unsigned char *key, struct err *err);

#endif
