/* SPDX-License-Identifier: Apache-2.0 */
#include "store/activity.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tokens/opaque.h"
#include "util/hex.h"

char *activity_encrypt(const unsigned char key[32], const char *text)
{
	size_t len = strlen(text);
	unsigned char iv[12], tag[16], *ct = malloc(len + 16);
	char *ivh = NULL, *cth = NULL, *tagh = NULL, *out = NULL;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;

	if (ct == NULL || ctx == NULL || tokens_random_bytes(iv, sizeof(iv)) < 0)
		goto done;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &n, (const unsigned char *)text, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, ct + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto done;
	ivh = malloc(25);
	cth = malloc(2 * (size_t)(n + fin) + 1);
	tagh = malloc(33);
	if (ivh == NULL || cth == NULL || tagh == NULL)
		goto done;
	hex_encode(iv, sizeof(iv), ivh);
	hex_encode(ct, (size_t)(n + fin), cth);
	hex_encode(tag, sizeof(tag), tagh);
	{
		json_t *j =
		    json_pack("{s:s, s:s, s:s}", "iv", ivh, "encryptedData", cth, "authTag", tagh);

		out = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
	}
done:
	EVP_CIPHER_CTX_free(ctx);
	free(ct);
	free(ivh);
	free(cth);
	free(tagh);
	return out;
}

char *activity_decrypt(const unsigned char key[32], const char *stored)
{
	json_t *j = json_loads(stored, 0, NULL);
	const char *ivh = json_string_value(json_object_get(j, "iv"));
	const char *cth = json_string_value(json_object_get(j, "encryptedData"));
	const char *tagh = json_string_value(json_object_get(j, "authTag"));
	unsigned char iv[12], tag[16], *ct = NULL;
	size_t ctmax;
	ssize_t ctl;
	char *pt = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	int n = 0, fin = 0;

	if (ivh == NULL || cth == NULL || tagh == NULL)
		goto done;
	ctmax = strlen(cth) / 2;
	ct = malloc(ctmax + 1);
	pt = malloc(ctmax + 1);
	ctx = EVP_CIPHER_CTX_new();
	if (ct == NULL || pt == NULL || ctx == NULL ||
	    hex_decode(ivh, strlen(ivh), iv, sizeof(iv), 0) != (ssize_t)sizeof(iv) ||
	    hex_decode(tagh, strlen(tagh), tag, sizeof(tag), 0) != (ssize_t)sizeof(tag))
		goto fail;
	ctl = hex_decode(cth, strlen(cth), ct, ctmax, 0);
	if (ctl < 0)
		goto fail;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv) != 1 ||
	    EVP_DecryptUpdate(ctx, (unsigned char *)pt, &n, ct, (int)ctl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, (unsigned char *)pt + n, &fin) != 1)
		goto fail;
	pt[n + fin] = '\0';
	goto done;
fail:
	free(pt);
	pt = NULL;
done:
	EVP_CIPHER_CTX_free(ctx);
	free(ct);
	json_decref(j);
	return pt;
}

int store_activity_insert(struct db *db, const struct activity *a, const unsigned char *key,
			  struct err *err)
{
	char *payload = json_dumps(a->payload, JSON_COMPACT | JSON_SORT_KEYS);
	char *enc_payload = NULL, *enc_ip = NULL;
	const char *params[6];
	int rc = -1;

	if (payload == NULL)
		return err_set(err, 500, "out of memory");
	if (key != NULL) {
		enc_payload = activity_encrypt(key, payload);
		enc_ip = a->ip_address ? activity_encrypt(key, a->ip_address) : NULL;
		if (enc_payload == NULL || (a->ip_address != NULL && enc_ip == NULL)) {
			err_set(err, 500, "cannot encrypt activity");
			goto out;
		}
	}
	params[0] = a->actor;
	params[1] = a->tenant_id;
	params[2] = enc_payload ? enc_payload : payload;
	params[3] = a->login_type;
	params[4] = a->device_info;
	params[5] = key ? enc_ip : a->ip_address;
	rc = db_defer_prepared(
	    db,
	    "INSERT INTO login_activity (actor, tenant_id, token_payload, login_type,"
	    " device_info, ip_address) VALUES ($1, $2, $3, $4, $5, $6)",
	    6, params, err);
out:
	free(payload);
	free(enc_payload);
	free(enc_ip);
	return rc;
}
