/*
 * auth_clients rows. A client's secret is stored as "sha256:<hex>" (or,
 * in a database migrated from upstream, in clear); client_check_secret
 * compares in constant time either way. Workers only (blocking).
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
/* true when the presented secret matches; public clients need none. */
bool client_check_secret(const struct client *c, const char *presented);

#endif
