/* SPDX-License-Identifier: Apache-2.0 */
/*
 * login_activity rows (docs/api.md "Login activity"). Token payload and IP address are
 * encrypted with AES-256-GCM when a key is configured — a fresh 12-byte
 * nonce per field, stored as {"iv","encryptedData","authTag"} hex JSON —
 * and kept in clear otherwise. Workers only; callers put the insert in the
 * same transaction as the tokens it records.
 */
#ifndef AUTHSVC_STORE_ACTIVITY_H
#define AUTHSVC_STORE_ACTIVITY_H

#include <jansson.h>

#include "store/db.h"

struct activity {
	const char *actor;
	const char *tenant_id;
	const char *login_type; /* ACCESS, RELOGIN, LOGOUT */
	const json_t *payload;
	const char *device_info; /* User-Agent, may be NULL */
	const char *ip_address;
};

/* key NULL: no encryption. Inside a transaction the insert is deferred
 * (db_defer_prepared): it goes out with the next statement or COMMIT. */
int store_activity_insert(struct db *db, const struct activity *a, const unsigned char *key,
			  struct err *err);
/* Encrypt text into the stored JSON form; malloc'd, NULL on failure. */
char *activity_encrypt(const unsigned char key[32], const char *text);
/* Decrypt the stored form; malloc'd plaintext or NULL (bad tag, bad format). */
char *activity_decrypt(const unsigned char key[32], const char *stored);

#endif
