/* SPDX-License-Identifier: Apache-2.0 */
#include "store/keys_store.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

static const char sql_lock[] = "SELECT pg_advisory_xact_lock(hashtext('authsvc-jwt-keys'))";

/* The signing key first (the newest whose active_from has come), then keys
 * waiting to sign, then older ones. The last column: seconds until the
 * soonest waiting key starts signing (NULL when none waits). */
static const char sql_select[] =
    "SELECT key_id, public_key, private_key,"
    " (SELECT ceil(extract(epoch FROM min(active_from) - now()))::bigint FROM jwt_keys"
    "  WHERE alg = $1 AND active_from > now())"
    " FROM jwt_keys WHERE alg = $1"
    " ORDER BY (active_from <= now()) DESC, active_from DESC, id DESC";

static const char sql_insert[] =
    "INSERT INTO jwt_keys (key_id, alg, public_key, private_key, active_from)"
    " VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::int))";

/* Seconds since the newest key of alg started signing (NULL: no key). */
static const char sql_age[] =
    "SELECT floor(extract(epoch FROM now() - max(active_from)))::bigint FROM jwt_keys"
    " WHERE alg = $1";

/* Every key with its state (docs/operator-guide.md "Key rotation"): a key
 * is needed until its successor has signed for longer than the longest
 * access-token lifetime of any client, plus leeway ($1 seconds). */
#define KEYS_STATE_SQL                                                                             \
	"WITH k AS (SELECT id, key_id, alg, created_on, active_from,"                              \
	" lead(active_from) OVER (PARTITION BY alg ORDER BY active_from, id) AS succ"              \
	" FROM jwt_keys),"                                                                         \
	" r AS (SELECT make_interval(secs => coalesce((SELECT max(access_token_expiration)"        \
	" FROM auth_clients), 900) + $1::int) AS keep)"                                            \
	" SELECT k.id, k.key_id, k.alg,"                                                           \
	" CASE WHEN k.active_from > now() THEN 'next'"                                             \
	" WHEN k.succ IS NULL OR k.succ > now() THEN 'signing'"                                    \
	" WHEN k.succ + r.keep > now() THEN 'verifying'"                                           \
	" ELSE 'expired' END AS state,"                                                            \
	" k.created_on, k.active_from, CASE WHEN k.succ <= now() THEN k.succ + r.keep END"         \
	" AS needed_until FROM k, r"

static const char sql_list[] =
    "SELECT key_id AS kid, alg, state,"
    " to_char(active_from AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS signs_from,"
    " coalesce(to_char(needed_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-')"
    " AS needed_until"
    " FROM (" KEYS_STATE_SQL ") s ORDER BY alg, active_from DESC, id DESC";

static const char sql_state_of[] = "SELECT state FROM (" KEYS_STATE_SQL ") s WHERE key_id = $2";

static const char sql_delete_kid[] = "DELETE FROM jwt_keys WHERE key_id = $1";

static const char sql_retire_expired[] =
    "DELETE FROM jwt_keys WHERE alg = $2 AND id IN"
    " (SELECT id FROM (" KEYS_STATE_SQL ") s WHERE state = 'expired') RETURNING key_id";

static const char sql_fingerprint[] =
    "SELECT coalesce(string_agg(key_id || '@' || extract(epoch FROM active_from)::text, ','"
    " ORDER BY id), '') FROM jwt_keys WHERE alg = $1";

static const char sql_encrypt[] = "UPDATE jwt_keys SET private_key = $2"
				  " WHERE key_id = $1 AND private_key = $3";

/* Wipe every private_key value of a result before it is freed. */
static void wipe_column(PGresult *res, int col)
{
	int i;

	for (i = 0; i < PQntuples(res); i++)
		OPENSSL_cleanse(PQgetvalue(res, i, col), (size_t)PQgetlength(res, i, col));
}

static char *private_pem_for_storage(const struct signing_key *key, const char *passphrase);

/* A private key stored in the clear (rows from upstream, or from builds that
 * kept one when no passphrase was set). */
static bool pem_is_plain(const char *pem)
{
	return strncmp(pem, "-----BEGIN PRIVATE KEY-----", 27) == 0 ||
	       strncmp(pem, "-----BEGIN RSA PRIVATE KEY-----", 31) == 0 ||
	       strncmp(pem, "-----BEGIN EC PRIVATE KEY-----", 30) == 0;
}

/* Replace a plain private key row by the same key encrypted under passphrase. */
static int encrypt_row(struct db *db, const struct signing_key *key, const char *plain,
		       const char *passphrase, struct err *err)
{
	char *stored = private_pem_for_storage(key, passphrase);
	const char *params[3] = {key->kid, stored, plain};
	PGresult *res;

	if (stored == NULL)
		return err_set(err, 500, "cannot encrypt signing key %.100s", key->kid);
	res = db_exec(db, sql_encrypt, 3, params, err);
	OPENSSL_cleanse(stored, strlen(stored));
	free(stored);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static int load_rows(struct db *db, struct keyring *tmp, const char *passphrase, int *encrypted_out,
		     long *pending_s_out, struct err *err)
{
	const char *params[1] = {jwt_alg_kind_name(tmp->alg)};
	PGresult *res = db_exec(db, sql_select, 1, params, err);
	int i, rc = 0;

	if (res == NULL)
		return -1;
	*pending_s_out = -1;
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 3))
		*pending_s_out = strtol(PQgetvalue(res, 0, 3), NULL, 10);
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *kid = PQgetvalue(res, i, 0);
		const char *priv = PQgetvalue(res, i, 2);
		struct err row_err = {0};

		if (PQgetlength(res, i, 2) > 0)
			rc = keyring_add_private_pem(tmp, kid, priv, (size_t)PQgetlength(res, i, 2),
						     passphrase, &row_err);
		else
			rc = keyring_add_public_pem(tmp, kid, PQgetvalue(res, i, 1),
						    (size_t)PQgetlength(res, i, 1), &row_err);
		if (rc < 0) {
			err_set(err, 500, "jwt_keys row %.100s: %s", kid, row_err.msg);
		} else if (PQgetlength(res, i, 2) > 0 && pem_is_plain(priv)) {
			rc = encrypt_row(db, &tmp->keys[tmp->nkeys - 1], priv, passphrase, err);
			if (rc == 0)
				(*encrypted_out)++;
		}
	}
	wipe_column(res, 2);
	PQclear(res);
	return rc;
}

/* The private key as stored: encrypted PKCS#8 under passphrase, or plain. */
static char *private_pem_for_storage(const struct signing_key *key, const char *passphrase)
{
	BIO *bio;
	char *data = NULL, *copy = NULL;
	long n;

	if (passphrase == NULL || *passphrase == '\0')
		return NULL; /* never stored in the clear */
	if (strlen(passphrase) > INT_MAX)
		return NULL;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		return NULL;
	if (PEM_write_bio_PKCS8PrivateKey(bio, key->pkey, EVP_aes_256_cbc(), passphrase,
					  (int)strlen(passphrase), NULL, NULL) == 1) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0 && data != NULL) {
			copy = malloc((size_t)n + 1);
			if (copy != NULL) {
				memcpy(copy, data, (size_t)n);
				copy[n] = '\0';
			}
		}
	}
	ERR_clear_error();
	BIO_free(bio);
	return copy;
}

static int insert_key(struct db *db, const struct signing_key *key, const char *passphrase,
		      int delay_s, struct err *err)
{
	const char *params[5];
	char *stored = private_pem_for_storage(key, passphrase);
	char delay[16];
	PGresult *res;

	if (stored == NULL)
		return err_set(err, 500,
			       "cannot encrypt the new signing key (tokens.key_passphrase set?)");
	params[0] = key->kid;
	params[1] = jwt_alg_kind_name(key->alg);
	params[2] = key->public_pem;
	params[3] = stored;
	snprintf(delay, sizeof(delay), "%d", delay_s);
	params[4] = delay;
	res = db_exec(db, sql_insert, 5, params, err);
	OPENSSL_cleanse(stored, strlen(stored));
	free(stored);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* One bigint (or NULL: *isnull_out) from a one-row query with params. */
static int query_long(struct db *db, const char *sql, int n, const char *const *params, long *out,
		      bool *isnull_out, struct err *err)
{
	PGresult *res = db_exec(db, sql, n, params, err);

	if (res == NULL)
		return -1;
	*isnull_out = PQntuples(res) != 1 || PQgetisnull(res, 0, 0);
	*out = *isnull_out ? 0 : strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

static int lock_keys(struct db *db, struct err *err)
{
	PGresult *res = db_exec(db, sql_lock, 0, NULL, err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/*
 * In one transaction under the keys' advisory lock (so instances rotating at
 * once make one key): insert a new key signing in delay_s seconds, when
 * the newest key of alg started signing at least min_age_s seconds ago, or
 * there is none (min_age_s < 0: always). *created_out tells which.
 */
static int create_key(struct db *db, enum jwt_alg_kind alg, const char *passphrase, long min_age_s,
		      int delay_s, char *kid_out, bool *created_out, struct err *err)
{
	const char *params[1] = {jwt_alg_kind_name(alg)};
	struct signing_key key = {0};
	long age = 0;
	bool none = true;

	*created_out = false;
	if (db_begin(db, err) < 0)
		return -1;
	if (lock_keys(db, err) < 0 || query_long(db, sql_age, 1, params, &age, &none, err) < 0)
		goto out_rollback;
	if (none || min_age_s < 0 || age >= min_age_s) {
		if (keyring_generate(alg, &key, err) < 0)
			goto out_rollback;
		if (insert_key(db, &key, passphrase, delay_s, err) < 0)
			goto out_rollback;
		*created_out = true;
	}
	if (db_commit(db, err) < 0)
		goto out_rollback;
	if (kid_out != NULL && *created_out)
		memcpy(kid_out, key.kid, strlen(key.kid) + 1);
	signing_key_release(&key);
	return 0;
out_rollback:
	db_rollback(db);
	signing_key_release(&key);
	*created_out = false;
	return -1;
}

static int load_into(struct db *db, struct keyring *kr, const char *passphrase, int *encrypted_out,
		     long *pending_s_out, struct err *err)
{
	struct keyring tmp;
	size_t i, before = kr->nkeys;

	if (keyring_init(&tmp, kr->alg) < 0)
		return err_set(err, 500, "unknown JWT algorithm");
	if (load_rows(db, &tmp, passphrase, encrypted_out, pending_s_out, err) < 0)
		goto out_release;
	for (i = 0; i < tmp.nkeys; i++) {
		if (keyring_add_key(kr, &tmp.keys[i]) < 0) {
			err_set(err, 500, "cannot add key %.100s (duplicate key id?)",
				tmp.keys[i].kid);
			goto out_restore;
		}
	}
	keyring_release(&tmp); /* the moved entries are zeroed */
	return 0;
out_restore:
	while (kr->nkeys > before) /* leave kr as it was */
		signing_key_release(&kr->keys[--kr->nkeys]);
out_release:
	keyring_release(&tmp);
	return -1;
}

static int db_alg_check(enum jwt_alg_kind alg, const char *passphrase, struct err *err)
{
	if (alg != JWT_KIND_RS256 && alg != JWT_KIND_ES256)
		return err_set(err, 400, "only RS256 and ES256 keys are kept in the database");
	if (passphrase == NULL || *passphrase == '\0')
		return err_set(err, 400,
			       "signing keys are kept in the database only encrypted: "
			       "set tokens.key_passphrase (or private_key_file)");
	return 0;
}

int keys_store_load(struct db *db, struct keyring *kr, const char *passphrase, int *encrypted_out,
		    long *pending_s_out, struct err *err)
{
	int encrypted = 0;
	long pending = -1;

	if (encrypted_out != NULL)
		*encrypted_out = 0;
	if (pending_s_out != NULL)
		*pending_s_out = -1;
	if (db_alg_check(kr->alg, passphrase, err) < 0)
		return -1;
	if (load_into(db, kr, passphrase, &encrypted, &pending, err) < 0)
		return -1;
	if (encrypted_out != NULL)
		*encrypted_out = encrypted;
	if (pending_s_out != NULL)
		*pending_s_out = pending;
	return 0;
}

int keys_store_load_or_create(struct db *db, struct keyring *kr, const char *passphrase,
			      int *encrypted_out, long *pending_s_out, struct err *err)
{
	size_t before = kr->nkeys;
	int encrypted = 0;
	long pending = -1;
	bool created;

	if (keys_store_load(db, kr, passphrase, encrypted_out, pending_s_out, err) < 0)
		return -1;
	if (pending_s_out != NULL)
		pending = *pending_s_out;
	if (kr->nkeys == before) {
		/* none yet (or all retired): one that signs now, unless another
		 * instance made one meanwhile */
		if (create_key(db, kr->alg, passphrase, LONG_MAX, 0, NULL, &created, err) < 0 ||
		    load_into(db, kr, passphrase, &encrypted, &pending, err) < 0)
			return -1;
		if (kr->nkeys == before)
			return err_set(err, 500, "no %s signing key after creating one",
				       jwt_alg_kind_name(kr->alg));
	}
	if (pending_s_out != NULL)
		*pending_s_out = pending;
	return 0;
}

int keys_store_rotate(struct db *db, enum jwt_alg_kind alg, const char *passphrase, int delay_s,
		      char kid_out[64], struct err *err)
{
	bool created;

	if (db_alg_check(alg, passphrase, err) < 0)
		return -1;
	return create_key(db, alg, passphrase, -1, delay_s, kid_out, &created, err);
}

int keys_store_rotate_due(struct db *db, enum jwt_alg_kind alg, const char *passphrase,
			  int period_s, int delay_s, char kid_out[64], bool *rotated_out,
			  struct err *err)
{
	*rotated_out = false;
	if (db_alg_check(alg, passphrase, err) < 0)
		return -1;
	if (period_s <= 0)
		return 0;
	return create_key(db, alg, passphrase, period_s, delay_s, kid_out, rotated_out, err);
}

int keys_store_retire_expired(struct db *db, enum jwt_alg_kind alg, int leeway_s, int *retired_out,
			      struct err *err)
{
	char leeway[16];
	const char *params[2] = {leeway, jwt_alg_kind_name(alg)};
	PGresult *res;

	snprintf(leeway, sizeof(leeway), "%d", leeway_s);
	res = db_exec(db, sql_retire_expired, 2, params, err);
	if (res == NULL)
		return -1;
	*retired_out = PQntuples(res);
	PQclear(res);
	return 0;
}

int keys_store_retire(struct db *db, const char *kid, bool force, int leeway_s, char *state_out,
		      size_t state_size, struct err *err)
{
	char leeway[16];
	const char *params[2] = {leeway, kid};
	PGresult *res;
	int rc = -1;

	snprintf(leeway, sizeof(leeway), "%d", leeway_s);
	if (db_begin(db, err) < 0)
		return -1;
	if (lock_keys(db, err) < 0)
		goto out_rollback;
	res = db_exec(db, sql_state_of, 2, params, err);
	if (res == NULL)
		goto out_rollback;
	if (PQntuples(res) != 1) {
		PQclear(res);
		err_set(err, 404, "no signing key %.100s", kid);
		goto out_rollback;
	}
	snprintf(state_out, state_size, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!force && strcmp(state_out, "expired") != 0) {
		err_set(err, 409,
			strcmp(state_out, "verifying") == 0
			    ? "key %.100s still verifies tokens that have not expired"
			      " (see keys list; --force to retire it anyway)"
			    : "key %.100s is the signing key or the next one"
			      " (rotate first, or --force)",
			kid);
		goto out_rollback;
	}
	res = db_exec(db, sql_delete_kid, 1, &params[1], err);
	if (res == NULL)
		goto out_rollback;
	PQclear(res);
	rc = db_commit(db, err);
	if (rc < 0)
		goto out_rollback;
	return 0;
out_rollback:
	db_rollback(db);
	return -1;
}

PGresult *keys_store_list(struct db *db, int leeway_s, struct err *err)
{
	char leeway[16];
	const char *params[1] = {leeway};

	snprintf(leeway, sizeof(leeway), "%d", leeway_s);
	return db_exec(db, sql_list, 1, params, err);
}

char *keys_store_fingerprint(struct db *db, enum jwt_alg_kind alg, struct err *err)
{
	const char *params[1] = {jwt_alg_kind_name(alg)};
	PGresult *res = db_exec(db, sql_fingerprint, 1, params, err);
	char *fp = NULL;

	if (res == NULL)
		return NULL;
	if (PQntuples(res) == 1)
		fp = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (fp == NULL)
		err_set(err, 500, "out of memory");
	return fp;
}

int keys_store_leeway(int poll_s)
{
	return poll_s + KEYS_STORE_SKEW_S;
}
