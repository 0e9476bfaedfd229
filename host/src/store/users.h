/*
 * Users as the login flows need them. Workers only (blocking).
 *
 * store_user_credentials: the password hash and provider of a username
 * (compared lower-case, soft-deleted users invisible).
 *
 * store_user_context: everything the core needs to decide whether a user
 * may get tokens for a tenant (BEHAVIOUR §2.5, §4) together with the
 * AuthUser claim set (§3.2), built by PostgreSQL as JSON: role name,
 * effective permissions (role permissions minus denied plus granted user
 * permissions), userPreferences.locale (user_tenant, then the tenant's
 * profile config, then "en"), age from dob.
 */
#ifndef AUTHSVC_STORE_USERS_H
#define AUTHSVC_STORE_USERS_H

#include <stdbool.h>

#include <jansson.h>

#include "store/db.h"

struct user_cred {
	char user_id[40];
	char username[160];
	char provider[32];
	char *hash; /* malloc'd, wiped and freed by user_cred_release */
};

struct user_ctx {
	char user_id[40];
	char user_tenant_id[40];
	char tenant_id[40];
	char username[160];
	int ut_status;	   /* user_tenants.status */
	int tenant_status; /* tenants.status */
	bool role_found;
	bool client_allowed; /* the client's id is in users.auth_client_ids */
	int nclients;	     /* cardinality(auth_client_ids) */
	json_t *claims;	     /* AuthUser claims, new reference */
};

/* 1 found, 0 unknown, -1 error. */
int store_user_credentials(struct db *db, const char *username, struct user_cred *out,
			   struct err *err);
void user_cred_release(struct user_cred *c);
int store_user_set_password(struct db *db, const char *user_id, const char *hash, struct err *err);

/* tenant_id NULL: the user's default tenant. 1 found, 0 no such user/user_tenant, -1 error. */
int store_user_context(struct db *db, const char *user_id, const char *tenant_id, int client_id,
		       struct user_ctx *out, struct err *err);
void user_ctx_release(struct user_ctx *u);

/* last_login = now(), unless the user_tenant is REGISTERED or PASSWORD_CHANGE_NEEDED. */
int store_user_touch_login(struct db *db, const struct user_ctx *u, struct err *err);

#endif
