#include "store/clients.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokens/opaque.h"

int client_read(const PGresult *res, int row, int col, struct client *out, struct err *err)
{
	const struct db_copy cols[] = {
	    {col + 1, out->client_id, sizeof(out->client_id)},
	    {col + 2, out->secret, sizeof(out->secret)},
	    {col + 7, out->redirect_url, sizeof(out->redirect_url)},
	    {col + 8, out->logout_redirect_url, sizeof(out->logout_redirect_url)},
	};

	if (db_copy_values(res, row, cols, sizeof(cols) / sizeof(cols[0]), err) < 0)
		return -1;
	out->id = (int)strtol(PQgetvalue(res, row, col), NULL, 10);
	out->is_public = strcmp(PQgetvalue(res, row, col + 3), "public") == 0;
	out->access_ttl = (int)strtol(PQgetvalue(res, row, col + 4), NULL, 10);
	out->refresh_ttl = (int)strtol(PQgetvalue(res, row, col + 5), NULL, 10);
	out->code_ttl = (int)strtol(PQgetvalue(res, row, col + 6), NULL, 10);
	return 0;
}

int store_client_find(struct db *db, const char *client_id, struct client *out, struct err *err)
{
	const char *params[1] = {client_id};
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strlen(client_id) > 50)
		return 0;
	res = db_exec_prepared(
	    db, "SELECT " CLIENT_COLS " FROM auth_clients WHERE client_id = $1 AND NOT deleted", 1,
	    params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	rc = client_read(res, 0, 0, out, err);
	PQclear(res);
	return rc < 0 ? -1 : 1;
}

bool client_check_secret(const struct client *c, const char *presented)
{
	char hex[65];

	if (c->secret[0] == '\0')
		return c->is_public; /* no stored secret: only public clients pass */
	if (presented == NULL || presented[0] == '\0')
		return false;
	if (strncmp(c->secret, "sha256:", 7) == 0) {
		tokens_sha256_hex(presented, strlen(presented), hex);
		return tokens_equal_ct(c->secret + 7, hex);
	}
	return tokens_equal_ct(c->secret, presented); /* upstream rows keep it in clear */
}
