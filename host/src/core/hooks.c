/* SPDX-License-Identifier: Apache-2.0 */
/* The hook table and its run functions (core/hooks.h). */
#include "core/hooks.h"

#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "http/workers.h"

static int entry_fits(uint32_t point, const struct hook_entry *e)
{
	int typed;

	if (e->legacy != NULL)
		return e->password_check == NULL && e->mfa_verify == NULL &&
		       e->login_succeeded == NULL;
	typed =
	    (e->password_check != NULL) + (e->mfa_verify != NULL) + (e->login_succeeded != NULL);
	if (typed != 1)
		return 0;
	switch (point) {
	case AUTHSVC_HOOK_PASSWORD_CHECK:
		return e->password_check != NULL;
	case AUTHSVC_HOOK_MFA_VERIFY:
		return e->mfa_verify != NULL;
	case AUTHSVC_HOOK_LOGIN_SUCCEEDED:
		return e->login_succeeded != NULL;
	default:
		return 0;
	}
}

int hooks_add(struct hook_table *t, uint32_t point, const struct hook_entry *e)
{
	if (point == AUTHSVC_HOOK_END || point >= HOOK_POINTS || e->owner == NULL ||
	    !entry_fits(point, e))
		return -1;
	if (t->n[point] == t->cap[point]) {
		size_t cap = t->cap[point] ? t->cap[point] * 2 : 4;
		struct hook_entry *v = realloc(t->v[point], cap * sizeof(*v));

		if (v == NULL)
			return -1;
		t->v[point] = v;
		t->cap[point] = cap;
	}
	t->v[point][t->n[point]] = *e;
	t->v[point][t->n[point]].seq = t->added++;
	t->n[point]++;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct hook_entry *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void hooks_sort(struct hook_table *t)
{
	for (size_t pt = 0; pt < HOOK_POINTS; pt++)
		if (t->n[pt] > 1)
			qsort(t->v[pt], t->n[pt], sizeof(struct hook_entry), entry_cmp);
}

size_t hooks_count(const struct hook_table *t, uint32_t point)
{
	return t != NULL && point < HOOK_POINTS ? t->n[point] : 0;
}

void hooks_release(struct hook_table *t)
{
	for (size_t pt = 0; pt < HOOK_POINTS; pt++)
		free(t->v[pt]);
	memset(t, 0, sizeof(*t));
}

static void *owner_tstate(const struct hook_owner *o, const struct authsvc_req *req)
{
	const struct worker *w = req != NULL ? req->worker : NULL;

	return w != NULL && w->tstates != NULL ? w->tstates[o->slot] : NULL;
}

static void owner_lock(const struct hook_owner *o)
{
	if (o->serial != NULL)
		pthread_mutex_lock(o->serial);
}

static void owner_unlock(const struct hook_owner *o)
{
	if (o->serial != NULL)
		pthread_mutex_unlock(o->serial);
}

enum authsvc_status hooks_password_check(const struct hook_table *t, struct authsvc_req *req,
					 const char *username, const char *password,
					 struct authsvc_identity *who_out)
{
	const uint32_t pt = AUTHSVC_HOOK_PASSWORD_CHECK;

	for (size_t i = 0; i < hooks_count(t, pt); i++) {
		const struct hook_entry *h = &t->v[pt][i];
		enum authsvc_status st;

		owner_lock(h->owner);
		if (h->legacy != NULL)
			st = h->legacy(h->owner->state, req, username, password, who_out);
		else
			st = h->password_check(h->owner->state, owner_tstate(h->owner, req), req,
					       username, password, who_out);
		owner_unlock(h->owner);
		if (st != AUTHSVC_DECLINED)
			return st;
	}
	return AUTHSVC_DECLINED;
}

enum authsvc_status hooks_mfa_verify(const struct hook_table *t, struct authsvc_req *req,
				     const struct authsvc_identity *who, const char *otp)
{
	const uint32_t pt = AUTHSVC_HOOK_MFA_VERIFY;

	for (size_t i = 0; i < hooks_count(t, pt); i++) {
		const struct hook_entry *h = &t->v[pt][i];
		struct authsvc_identity copy = *who; /* the 1.1 form takes it writable */
		enum authsvc_status st;

		owner_lock(h->owner);
		if (h->legacy != NULL)
			st = h->legacy(h->owner->state, req, copy.username, otp, &copy);
		else
			st = h->mfa_verify(h->owner->state, owner_tstate(h->owner, req), req, who,
					   otp);
		owner_unlock(h->owner);
		if (st != AUTHSVC_DECLINED)
			return st;
	}
	return AUTHSVC_DECLINED;
}

void hooks_login_succeeded(const struct hook_table *t, struct authsvc_req *req,
			   const struct authsvc_identity *who)
{
	const uint32_t pt = AUTHSVC_HOOK_LOGIN_SUCCEEDED;

	for (size_t i = 0; i < hooks_count(t, pt); i++) {
		const struct hook_entry *h = &t->v[pt][i];
		struct authsvc_identity copy = *who;

		owner_lock(h->owner);
		if (h->legacy != NULL)
			(void)h->legacy(h->owner->state, req, copy.username, NULL, &copy);
		else
			h->login_succeeded(h->owner->state, owner_tstate(h->owner, req), req, who);
		owner_unlock(h->owner);
	}
}
