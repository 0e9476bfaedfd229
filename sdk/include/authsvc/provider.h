/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parts every social provider plugin that lets the host do the login
 * writes the same way: its state, the start and callback route handlers,
 * init's version check and allocation, and fini. A provider plugin then
 * holds only what is its own: its routes, settings and defaults (and a
 * claims check, if it has one). See docs/providers.md, "Writing a
 * provider plugin".
 *
 * Header-only: every function here is static inline and compiled into the
 * plugin, so nothing in this file is part of the ABI (plugin.h is). It
 * needs ABI 1.3 for an OpenID Connect provider (host->oidc_new) and 1.4
 * for a plain OAuth 2.0 one (host->oauth_new).
 *
 *	static const struct authsvc_field start_fields[] = {
 *	    AUTHSVC_PROVIDER_START_FIELDS, {0}};
 *	static const struct authsvc_route routes[] = {
 *	    {"POST", "/auth/gitlab", authsvc_provider_start,
 *	     AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY, start_fields},
 *	    {"GET", "/auth/gitlab-redirect", authsvc_provider_callback, 0, NULL},
 *	    {0}};
 *	static int gitlab_init(const struct authsvc_host *host,
 *	                       const struct authsvc_cfg *cfg, void **state,
 *	                       struct authsvc_err *err)
 *	{
 *		return authsvc_provider_new(host, cfg, &gitlab_defaults, NULL,
 *		                            NULL, state, err);
 *	}
 *	... .init = gitlab_init, .fini = authsvc_provider_fini, ...
 */
#ifndef AUTHSVC_PROVIDER_H
#define AUTHSVC_PROVIDER_H

#include <stdio.h>
#include <stdlib.h>

#include <authsvc/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A provider plugin's state: what authsvc_provider_new made. */
struct authsvc_provider {
	const struct authsvc_host *host;
	struct authsvc_oidc *oidc; /* from oidc_new or oauth_new; oidc_free frees both */
	const void *data;	   /* the plugin's own (e.g. for its claims check), or NULL */
};

/* The form of the seed's POST /auth/<provider> start, before the {0}. */
#define AUTHSVC_PROVIDER_START_FIELDS                                                              \
	{"client_id", AUTHSVC_FIELD_STRING, 1}, {"client_secret", AUTHSVC_FIELD_STRING, 0},        \
	{                                                                                          \
		"state", AUTHSVC_FIELD_STRING, 0                                                   \
	}

/* Route handlers: a confidential client's start, a public client's start
 * (client_id and a PKCE challenge in the query, no secret), the callback. */
static inline enum authsvc_status authsvc_provider_start(void *state, void *tstate,
							 struct authsvc_req *req)
{
	const struct authsvc_provider *p = (const struct authsvc_provider *)state;

	(void)tstate;
	return p->host->oidc_start(req, p->oidc, 0);
}

static inline enum authsvc_status authsvc_provider_start_public(void *state, void *tstate,
								struct authsvc_req *req)
{
	const struct authsvc_provider *p = (const struct authsvc_provider *)state;

	(void)tstate;
	return p->host->oidc_start(req, p->oidc, AUTHSVC_OIDC_PUBLIC_START);
}

static inline enum authsvc_status authsvc_provider_callback(void *state, void *tstate,
							    struct authsvc_req *req)
{
	const struct authsvc_provider *p = (const struct authsvc_provider *)state;

	(void)tstate;
	return p->host->oidc_callback(req, p->oidc);
}

/* init's work: check the host's ABI, make the state, and the host's
 * provider from oidc (an OpenID Connect provider; its claims_check gets
 * the struct authsvc_provider as its state) or, when oidc is NULL, from
 * oauth (plain OAuth 2.0). data is kept in the state for the plugin.
 * 0 with *state_out, or -1 with err->msg. */
static inline int authsvc_provider_new(const struct authsvc_host *host,
				       const struct authsvc_cfg *cfg,
				       const struct authsvc_oidc_defaults *oidc,
				       const struct authsvc_oauth_defaults *oauth, const void *data,
				       void **state_out, struct authsvc_err *err)
{
	struct authsvc_provider *p;
	int rc;

	if (host->abi_major != AUTHSVC_ABI_MAJOR ||
	    (oidc != NULL && !AUTHSVC_HAS(struct authsvc_host, host, oidc_callback)) ||
	    (oidc == NULL && !AUTHSVC_HAS(struct authsvc_host, host, oauth_new))) {
		snprintf(err->msg, sizeof(err->msg), "host API too old (needs %s)",
			 oidc != NULL ? "1.3" : "1.4");
		return -1;
	}
	p = (struct authsvc_provider *)calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	p->host = host;
	p->data = data;
	rc = oidc != NULL ? host->oidc_new(cfg, oidc, p, &p->oidc, err)
			  : host->oauth_new(cfg, oauth, &p->oidc, err);
	if (rc < 0) {
		free(p);
		return -1;
	}
	*state_out = p;
	return 0;
}

/* fini: the host's provider, then the state. */
static inline void authsvc_provider_fini(void *state)
{
	struct authsvc_provider *p = (struct authsvc_provider *)state;

	p->host->oidc_free(p->oidc);
	free(p);
}

#ifdef __cplusplus
}
#endif

#endif
