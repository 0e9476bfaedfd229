/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hooks: the points where a plugin joins a flow the core owns
 * (PASSWORD_CHECK, MFA_VERIFY, LOGIN_SUCCEEDED; their rules are in the SDK
 * header). The table lives in struct app and knows nothing of plugins:
 * each entry names its owner (state, lock, tstate slot), so the core runs
 * hooks without calling into plugins/. The loader fills it on the main
 * thread after every plugin loaded (hooks_add per hook, then hooks_sort);
 * it is read-only once workers run, and the hooks_* run functions are
 * called from workers. An empty table (all zero) is valid and declines.
 */
#ifndef AUTHSVC_CORE_HOOKS_H
#define AUTHSVC_CORE_HOOKS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "authsvc/plugin.h"

#define HOOK_POINTS (AUTHSVC_HOOK_MFA_VERIFY + 1)

/* Who a hook belongs to. Owned by the filler (the loader), which keeps it
 * alive and unchanged while the table is in use. */
struct hook_owner {
	void *state;		 /* the plugin instance's state, set after its init */
	pthread_mutex_t *serial; /* non-NULL: held around each call (THREAD_UNSAFE) */
	int slot;		 /* index into the worker's tstates */
	const char *name;	 /* instance name, for logs */
};

/* One hook of one point: exactly one of the function pointers is set.
 * legacy is the 1.0/1.1 form (one authsvc_hook_fn for every point). */
struct hook_entry {
	int32_t order;
	const struct hook_owner *owner;
	authsvc_hook_fn legacy;
	authsvc_password_check_fn password_check;
	authsvc_mfa_verify_fn mfa_verify;
	authsvc_login_succeeded_fn login_succeeded;
	size_t seq; /* set by hooks_add: ties of order keep the order of adding */
};

struct hook_table {
	struct hook_entry *v[HOOK_POINTS];
	size_t n[HOOK_POINTS];
	size_t cap[HOOK_POINTS];
	size_t added;
};

/* Copy e into the point's list. 0, or -1 (unknown point, no function of
 * that point's kind, out of memory). */
int hooks_add(struct hook_table *t, uint32_t point, const struct hook_entry *e);
/* Order every point's list by order, then by the order of adding. */
void hooks_sort(struct hook_table *t);
size_t hooks_count(const struct hook_table *t, uint32_t point);
void hooks_release(struct hook_table *t);

/* Run a point's hooks in order until one answers other than DECLINED;
 * that answer, or DECLINED when every hook declined (or there is none). */
enum authsvc_status hooks_password_check(const struct hook_table *t, struct authsvc_req *req,
					 const char *username, const char *password,
					 struct authsvc_identity *who_out);
enum authsvc_status hooks_mfa_verify(const struct hook_table *t, struct authsvc_req *req,
				     const struct authsvc_identity *who, const char *otp);
/* Every LOGIN_SUCCEEDED hook, in order; notification only. */
void hooks_login_succeeded(const struct hook_table *t, struct authsvc_req *req,
			   const struct authsvc_identity *who);

#endif
