/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where to reach a user: the row a delivery needs (e-mail, phone) and the
 * flags the MFA gate reads. Workers only.
 */
#ifndef AUTHSVC_STORE_CONTACTS_H
#define AUTHSVC_STORE_CONTACTS_H

#include <stdbool.h>

#include "store/db.h"
#include "store/users.h"

struct user_contact {
	char user_id[40];
	char username[160];
	char email[VARCHAR150_BUF];
	char phone[24];
	char provider[32]; /* user_credentials.auth_provider; "" without credentials */
	bool mfa_enabled;
};

/* By username (case-insensitive) or, when by_id, by users.id. Soft-deleted
 * users are invisible. 1 found, 0 unknown, -1 error. */
int store_user_contact(struct db *db, const char *key, bool by_id, struct user_contact *out,
		       struct err *err);

#endif
