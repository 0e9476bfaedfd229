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

static const char sql_select[] = "SELECT key_id, public_key, private_key FROM jwt_keys"
				 " WHERE alg = $1 ORDER BY created_on DESC, id DESC";

static const char sql_count[] = "SELECT count(*) FROM jwt_keys WHERE alg = $1";

static const char sql_insert[] = "INSERT INTO jwt_keys (key_id, alg, public_key, private_key)"
				 " VALUES ($1, $2, $3, $4)";

static const char sql_encrypt[] = "UPDATE jwt_keys SET private_key = $2"
				  " WHERE key_id = $1 AND private_key = $3";

static const char sql_prune[] = "DELETE FROM jwt_keys WHERE alg = $1 AND id NOT IN"
				" (SELECT id FROM jwt_keys WHERE alg = $1"
				" ORDER BY created_on DESC, id DESC LIMIT $2::int)";

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
		     struct err *err)
{
	const char *params[1] = {jwt_alg_kind_name(tmp->alg)};
	PGresult *res = db_exec(db, sql_select, 1, params, err);
	int i, rc = 0;

	if (res == NULL)
		return -1;
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
		      struct err *err)
{
	const char *params[4];
	char *stored = private_pem_for_storage(key, passphrase);
	PGresult *res;

	if (stored == NULL)
		return err_set(err, 500,
			       "cannot encrypt the new signing key (tokens.key_passphrase set?)");
	params[0] = key->kid;
	params[1] = jwt_alg_kind_name(key->alg);
	params[2] = key->public_pem;
	params[3] = stored;
	res = db_exec(db, sql_insert, 4, params, err);
	OPENSSL_cleanse(stored, strlen(stored));
	free(stored);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static int alg_has_rows(struct db *db, enum jwt_alg_kind alg, long *count_out, struct err *err)
{
	const char *params[1] = {jwt_alg_kind_name(alg)};
	PGresult *res = db_exec(db, sql_count, 1, params, err);

	if (res == NULL)
		return -1;
	*count_out = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
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

/* In one locked transaction: insert a new key unless only_if_empty and rows exist; then prune. */
static int create_key(struct db *db, enum jwt_alg_kind alg, const char *passphrase,
		      bool only_if_empty, int keep, struct err *err)
{
	struct signing_key key = {0};
	long count = 0;

	if (db_begin(db, err) < 0)
		return -1;
	if (lock_keys(db, err) < 0 || alg_has_rows(db, alg, &count, err) < 0)
		goto out_rollback;
	if (!(only_if_empty && count > 0)) {
		if (keyring_generate(alg, &key, err) < 0)
			goto out_rollback;
		if (insert_key(db, &key, passphrase, err) < 0)
			goto out_rollback;
	}
	if (keep > 0) {
		char keep_s[16];
		const char *params[2] = {jwt_alg_kind_name(alg), keep_s};
		PGresult *res;

		snprintf(keep_s, sizeof(keep_s), "%d", keep);
		res = db_exec(db, sql_prune, 2, params, err);
		if (res == NULL)
			goto out_rollback;
		PQclear(res);
	}
	if (db_commit(db, err) < 0)
		goto out_rollback;
	signing_key_release(&key);
	return 0;
out_rollback:
	db_rollback(db);
	signing_key_release(&key);
	return -1;
}

static int load_into(struct db *db, struct keyring *kr, const char *passphrase, int *encrypted_out,
		     struct err *err)
{
	struct keyring tmp;
	size_t i, before = kr->nkeys;

	if (keyring_init(&tmp, kr->alg) < 0)
		return err_set(err, 500, "unknown JWT algorithm");
	if (load_rows(db, &tmp, passphrase, encrypted_out, err) < 0)
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

int keys_store_load(struct db *db, struct keyring *kr, const char *passphrase, int *encrypted_out,
		    struct err *err)
{
	int encrypted = 0;

	if (encrypted_out != NULL)
		*encrypted_out = 0;
	if (kr->alg != JWT_KIND_RS256 && kr->alg != JWT_KIND_ES256)
		return err_set(err, 500, "only RS256 and ES256 keys are kept in the database");
	if (passphrase == NULL || *passphrase == '\0')
		return err_set(err, 500,
			       "signing keys are kept in the database only encrypted: "
			       "set tokens.key_passphrase (or private_key_file)");
	if (load_into(db, kr, passphrase, &encrypted, err) < 0)
		return -1;
	if (encrypted_out != NULL)
		*encrypted_out = encrypted;
	return 0;
}

int keys_store_load_or_create(struct db *db, struct keyring *kr, const char *passphrase,
			      int *encrypted_out, struct err *err)
{
	size_t before = kr->nkeys;
	int encrypted = 0;

	if (keys_store_load(db, kr, passphrase, encrypted_out, err) < 0)
		return -1;
	if (kr->nkeys > before)
		return 0;
	if (create_key(db, kr->alg, passphrase, true, 0, err) < 0)
		return -1;
	if (load_into(db, kr, passphrase, &encrypted, err) < 0)
		return -1;
	if (kr->nkeys == before)
		return err_set(err, 500, "no %s signing key after creating one",
			       jwt_alg_kind_name(kr->alg));
	return 0;
}

int keys_store_rotate(struct db *db, enum jwt_alg_kind alg, const char *passphrase, int keep,
		      struct err *err)
{
	if (alg != JWT_KIND_RS256 && alg != JWT_KIND_ES256)
		return err_set(err, 400, "only RS256 and ES256 keys are kept in the database");
	if (keep < 1)
		return err_set(err, 400, "keep must be at least 1");
	if (passphrase == NULL || *passphrase == '\0')
		return err_set(err, 400,
			       "signing keys are kept in the database only encrypted: "
			       "set tokens.key_passphrase");
	return create_key(db, alg, passphrase, false, keep, err);
}
