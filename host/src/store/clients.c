/* SPDX-License-Identifier: Apache-2.0 */
#include "store/clients.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tokens/opaque.h"
#include "util/hex.h"
#include "util/utf8.h"

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
	if (utf8_chars(client_id) > 50)
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

#define HMAC_PREFIX   "hmac-sha256:"
#define SHA256_PREFIX "sha256:"

/* hex(HMAC-SHA-256(key, secret)) into out; 0 or -1. */
static int hmac_hex(const unsigned char key[CLIENT_SECRET_KEY_LEN], const char *secret,
		    char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha256(), key, CLIENT_SECRET_KEY_LEN, (const unsigned char *)secret,
		 strlen(secret), md, &mdlen) == NULL ||
	    mdlen != 32)
		return -1;
	hex_encode(md, mdlen, out);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int client_secret_form(const char *secret, const unsigned char *key,
		       char out[CLIENT_SECRET_FORM_MAX], struct err *err)
{
	char hex[65];

	if (key == NULL) {
		tokens_sha256_hex(secret, strlen(secret), hex);
		snprintf(out, CLIENT_SECRET_FORM_MAX, SHA256_PREFIX "%s", hex);
	} else if (hmac_hex(key, secret, hex) < 0) {
		return err_set(err, 500, "HMAC-SHA-256 failed");
	} else {
		snprintf(out, CLIENT_SECRET_FORM_MAX, HMAC_PREFIX "%s", hex);
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	return 0;
}

enum client_secret_match client_secret_check(const struct client *c, const char *presented,
					     const unsigned char *key)
{
	enum client_secret_match m = CLIENT_SECRET_WRONG;
	char hex[65];

	if (c->secret[0] == '\0') /* no stored secret: only public clients pass */
		return c->is_public ? CLIENT_SECRET_OK : CLIENT_SECRET_WRONG;
	if (presented == NULL || presented[0] == '\0')
		return CLIENT_SECRET_WRONG;
	if (strncmp(c->secret, HMAC_PREFIX, strlen(HMAC_PREFIX)) == 0) {
		/* without the key it was made with, nothing matches */
		if (key != NULL && hmac_hex(key, presented, hex) == 0 &&
		    tokens_equal_ct(c->secret + strlen(HMAC_PREFIX), hex))
			m = CLIENT_SECRET_OK;
	} else if (strncmp(c->secret, SHA256_PREFIX, strlen(SHA256_PREFIX)) == 0) {
		tokens_sha256_hex(presented, strlen(presented), hex);
		if (tokens_equal_ct(c->secret + strlen(SHA256_PREFIX), hex))
			m = key != NULL ? CLIENT_SECRET_OK_OLD : CLIENT_SECRET_OK;
	} else if (tokens_equal_ct(c->secret, presented)) { /* upstream rows keep it in clear */
		m = key != NULL ? CLIENT_SECRET_OK_OLD : CLIENT_SECRET_OK;
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	return m;
}

bool client_check_secret(const struct client *c, const char *presented)
{
	return client_secret_check(c, presented, NULL) != CLIENT_SECRET_WRONG;
}

int store_client_secret_upgrade(struct db *db, const struct client *c, const char *presented,
				const unsigned char *key, struct err *err)
{
	char form[CLIENT_SECRET_FORM_MAX], id[16];
	const char *params[3] = {id, form, c->secret};
	PGresult *res;

	if (client_secret_form(presented, key, form, err) < 0)
		return -1;
	snprintf(id, sizeof(id), "%d", c->id);
	/* only the row as it was read: a secret changed meanwhile stays */
	res = db_exec_prepared(db,
			       "UPDATE auth_clients SET client_secret = $2"
			       " WHERE id = $1::int AND client_secret = $3",
			       3, params, err);
	OPENSSL_cleanse(form, sizeof(form));
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}
