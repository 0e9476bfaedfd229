/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An OpenID Connect provider's caches and calls (outbound/provider.h).
 */
#include "outbound/provider.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "tokens/jwt_codec.h"
#include "util/metrics.h"
#include "util/sbuf.h"

struct jwks_ref {
	struct oidc_jwks keys;
	int refs; /* under the provider's mutex */
};

struct oidc_provider {
	struct oidc_provider_conf conf; /* strings below are owned copies */
	char *strs[16];
	pthread_mutex_t mu;
	bool mu_ready;
	struct oidc_endpoints ep; /* discovered, or from the configuration */
	time_t ep_at;		  /* 0: not yet */
	struct jwks_ref *jwks;
	time_t jwks_refresh_at;	   /* last refresh for an unknown kid; 0: none yet */
	struct keyring apple_ring; /* OIDC_AUTH_APPLE_SECRET: the team's key */
	bool apple_ready;
	char *apple_jwt; /* the client secret signed last (under mu) */
	long long apple_iat, apple_exp;
	int metric_id; /* util/metrics.h provider id */
};

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static const char *own(struct oidc_provider *p, size_t slot, const char *s, bool *oom)
{
	if (s == NULL || s[0] == '\0')
		return NULL;
	p->strs[slot] = strdup(s);
	if (p->strs[slot] == NULL)
		*oom = true;
	return p->strs[slot];
}

struct oidc_provider *oidc_provider_new(const struct oidc_provider_conf *conf, struct err *err)
{
	struct oidc_provider *p = calloc(1, sizeof(*p));
	struct oidc_provider_conf *c;
	bool oom = false;

	if (p == NULL) {
		err_set(err, 500, "out of memory");
		return NULL;
	}
	p->conf = *conf;
	c = &p->conf;
	c->name = own(p, 0, conf->name, &oom);
	c->issuer = own(p, 1, conf->issuer, &oom);
	c->issuer_template = own(p, 2, conf->issuer_template, &oom);
	c->discovery_url = own(p, 3, conf->discovery_url, &oom);
	c->authorization_url = own(p, 4, conf->authorization_url, &oom);
	c->token_url = own(p, 5, conf->token_url, &oom);
	c->userinfo_url = own(p, 6, conf->userinfo_url, &oom);
	c->jwks_url = own(p, 7, conf->jwks_url, &oom);
	c->client_id = own(p, 8, conf->client_id, &oom);
	c->client_secret = own(p, 9, conf->client_secret, &oom);
	c->redirect_uri = own(p, 10, conf->redirect_uri, &oom);
	c->scope = own(p, 11, conf->scope, &oom);
	c->apple.team_id = own(p, 12, conf->apple.team_id, &oom);
	c->apple.key_id = own(p, 13, conf->apple.key_id, &oom);
	c->apple.audience = own(p, 14, conf->apple.audience, &oom);
	c->apple.key_pem = NULL; /* not kept: the ring holds the key */
	p->metric_id = metrics_provider_register(c->name != NULL ? c->name : "unnamed");
	if (c->apple.ttl_s <= 0)
		c->apple.ttl_s = 3600;
	if (!oom && c->token_auth == OIDC_AUTH_APPLE_SECRET) {
		keyring_init(&p->apple_ring, JWT_KIND_ES256);
		p->apple_ready = true;
		if (c->apple.team_id == NULL || c->apple.key_id == NULL ||
		    c->apple.audience == NULL || conf->apple.key_pem == NULL ||
		    keyring_add_private_pem(&p->apple_ring, c->apple.key_id, conf->apple.key_pem,
					    strlen(conf->apple.key_pem), NULL, err) < 0) {
			if (c->apple.team_id == NULL || c->apple.key_id == NULL ||
			    c->apple.audience == NULL || conf->apple.key_pem == NULL)
				err_set(err, 500,
					"team_id, key_id and private_key_file are needed");
			oidc_provider_free(p);
			return NULL;
		}
	}
	if (c->discovery_ttl_s <= 0)
		c->discovery_ttl_s = 3600;
	if (c->jwks_min_refresh_s <= 0)
		c->jwks_min_refresh_s = 30;
	if (oom || c->name == NULL || c->client_id == NULL || c->redirect_uri == NULL ||
	    (!c->no_id_token && c->issuer == NULL && c->issuer_template == NULL) ||
	    (c->no_id_token &&
	     (c->authorization_url == NULL || c->token_url == NULL || c->userinfo_url == NULL))) {
		err_set(err, 500,
			oom		 ? "out of memory"
			: c->no_id_token ? "provider needs authorization, token and profile URLs, "
					   "client_id, redirect_uri"
					 : "provider needs issuer, client_id, redirect_uri");
		oidc_provider_free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	p->mu_ready = true;
	return p;
}

static void jwks_put(struct oidc_provider *p, struct jwks_ref *j)
{
	bool last;

	if (j == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	last = --j->refs == 0;
	pthread_mutex_unlock(&p->mu);
	if (last) {
		oidc_jwks_release(&j->keys);
		free(j);
	}
}

void oidc_provider_free(struct oidc_provider *p)
{
	if (p == NULL)
		return;
	if (p->jwks != NULL) {
		oidc_jwks_release(&p->jwks->keys);
		free(p->jwks);
	}
	oidc_endpoints_release(&p->ep);
	if (p->apple_ready)
		keyring_release(&p->apple_ring);
	if (p->apple_jwt != NULL) {
		OPENSSL_cleanse(p->apple_jwt, strlen(p->apple_jwt));
		free(p->apple_jwt);
	}
	if (p->strs[9] != NULL)
		OPENSSL_cleanse(p->strs[9], strlen(p->strs[9]));
	for (size_t i = 0; i < sizeof(p->strs) / sizeof(p->strs[0]); i++)
		free(p->strs[i]);
	if (p->mu_ready)
		pthread_mutex_destroy(&p->mu);
	free(p);
}

const char *oidc_provider_name(const struct oidc_provider *p)
{
	return p->conf.name;
}

/* GET url and parse it as a JSON object: new reference, or NULL with err. */
static json_t *fetch_json(struct oidc_provider *p, const char *url, const char *form,
			  const char *const *headers, bool basic, struct err *err, long *status)
{
	struct outbound_resp r;
	json_t *doc;
	uint64_t t0 = metrics_enabled() ? metrics_now_ns() : 0;
	int rc = outbound_fetch(&p->conf.http, url, form, headers, basic ? p->conf.client_id : NULL,
				basic ? p->conf.client_secret : NULL, &r, err);

	if (t0 != 0)
		metrics_outbound(p->metric_id,
				 rc == 0	    ? METRICS_OUT_OK
				 : err->code == 504 ? METRICS_OUT_TIMEOUT
						    : METRICS_OUT_ERROR,
				 metrics_now_ns() - t0);
	if (rc < 0)
		return NULL;
	*status = r.status;
	doc = json_loadb(sbuf_str(&r.body), r.body.len, JSON_REJECT_DUPLICATES, NULL);
	outbound_resp_release(&r);
	if (!json_is_object(doc)) {
		json_decref(doc);
		err_set(err, 502, "identity provider answered %ld without a JSON object", *status);
		return NULL;
	}
	return doc;
}

static char *dup_or(const char *a, const char *b)
{
	const char *s = a != NULL ? a : b;

	return s != NULL ? strdup(s) : NULL;
}

/* Fill p->ep (under p->mu) from the configuration and, where it lacks an
 * endpoint, from discovery. 0 or -1. */
static int endpoints_locked(struct oidc_provider *p, struct err *err)
{
	const struct oidc_provider_conf *c = &p->conf;
	struct oidc_endpoints d = {0};
	struct sbuf url = SBUF_INIT(4096);
	long status = 0;
	json_t *doc;
	char *text;

	if (p->ep_at != 0 && mono_now() - p->ep_at < c->discovery_ttl_s)
		return 0;
	if (c->authorization_url == NULL || c->token_url == NULL ||
	    (c->jwks_url == NULL && !c->no_id_token)) {
		if (c->discovery_url != NULL)
			sbuf_addstr(&url, c->discovery_url);
		else if (c->issuer != NULL)
			sbuf_addf(&url, "%s/.well-known/openid-configuration", c->issuer);
		if (sbuf_failed(&url) || url.len == 0) {
			sbuf_release(&url);
			return err_set(err, 500, "provider %s has no endpoints configured",
				       c->name);
		}
		doc = fetch_json(p, sbuf_str(&url), NULL, NULL, false, err, &status);
		sbuf_release(&url);
		if (doc == NULL)
			return -1;
		text = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
		if (text == NULL || status != 200 ||
		    oidc_discovery_parse(text, strlen(text), c->issuer, c->http.allow_http, &d,
					 err) < 0) {
			free(text);
			if (status != 200)
				err_set(err, 502, "identity provider discovery answered %ld",
					status);
			return -1;
		}
		free(text);
	}
	oidc_endpoints_release(&p->ep);
	p->ep.issuer = dup_or(c->issuer, d.issuer);
	p->ep.authorization = dup_or(c->authorization_url, d.authorization);
	p->ep.token = dup_or(c->token_url, d.token);
	p->ep.jwks = dup_or(c->jwks_url, d.jwks);
	p->ep.userinfo = dup_or(c->userinfo_url, d.userinfo);
	oidc_endpoints_release(&d);
	if (p->ep.authorization == NULL || p->ep.token == NULL ||
	    (p->ep.jwks == NULL && !c->no_id_token)) {
		oidc_endpoints_release(&p->ep);
		return err_set(err, 500, "out of memory");
	}
	p->ep_at = mono_now();
	return 0;
}

/* A copy of one endpoint (malloc'd), discovering first when needed. */
static char *endpoint(struct oidc_provider *p, int which, struct err *err)
{
	char *out = NULL;
	const char *s;

	pthread_mutex_lock(&p->mu);
	if (endpoints_locked(p, err) == 0) {
		s = which == 0	 ? p->ep.authorization
		    : which == 1 ? p->ep.token
		    : which == 2 ? p->ep.jwks
				 : p->ep.userinfo;
		if (s == NULL)
			err_set(err, 502, "identity provider has no userinfo endpoint");
		else if ((out = strdup(s)) == NULL)
			err_set(err, 500, "out of memory");
	}
	pthread_mutex_unlock(&p->mu);
	return out;
}

char *oidc_provider_authorize_url(struct oidc_provider *p, const char *state, const char *nonce,
				  const char *challenge, const char *const *extra, struct err *err)
{
	char *ep = endpoint(p, 0, err), *url;

	if (ep == NULL)
		return NULL;
	url = oidc_authorize_url(ep, p->conf.client_id, p->conf.redirect_uri, p->conf.scope, state,
				 nonce, challenge, extra, err);
	free(ep);
	return url;
}

char *oidc_provider_apple_secret(struct oidc_provider *p, long long now, struct err *err)
{
	const struct oidc_apple_secret *a = &p->conf.apple;
	char *out = NULL, *fresh;
	json_t *claims;

	if (!p->apple_ready) {
		err_set(err, 500, "provider has no client-secret key");
		return NULL;
	}
	pthread_mutex_lock(&p->mu);
	/* reuse while more than a quarter of its life is left */
	if (p->apple_jwt != NULL && now >= p->apple_iat &&
	    p->apple_exp - now > (long long)a->ttl_s / 4)
		out = strdup(p->apple_jwt);
	pthread_mutex_unlock(&p->mu);
	if (out != NULL)
		return out;
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", a->team_id, "sub", p->conf.client_id,
			   "aud", a->audience, "iat", (json_int_t)now, "exp",
			   (json_int_t)(now + a->ttl_s));
	if (claims == NULL) {
		err_set(err, 500, "out of memory");
		return NULL;
	}
	fresh = tokens_jwt_sign(&p->apple_ring, claims, err);
	json_decref(claims);
	if (fresh == NULL || (out = strdup(fresh)) == NULL) {
		if (fresh != NULL) {
			OPENSSL_cleanse(fresh, strlen(fresh));
			free(fresh);
		}
		err_set(err, 500, "client secret not signed");
		return NULL;
	}
	pthread_mutex_lock(&p->mu);
	if (p->apple_jwt != NULL) {
		OPENSSL_cleanse(p->apple_jwt, strlen(p->apple_jwt));
		free(p->apple_jwt);
	}
	p->apple_jwt = fresh;
	p->apple_iat = now;
	p->apple_exp = now + a->ttl_s;
	pthread_mutex_unlock(&p->mu);
	return out;
}

int oidc_provider_exchange(struct oidc_provider *p, const char *code, const char *verifier,
			   json_t **tokens_out, struct err *err)
{
	bool apple = p->conf.token_auth == OIDC_AUTH_APPLE_SECRET;
	bool post = p->conf.token_auth == OIDC_AUTH_POST || apple;
	char *apple_secret = NULL;
	const char *pairs[] = {"grant_type",
			       "authorization_code",
			       "code",
			       code,
			       "redirect_uri",
			       p->conf.redirect_uri,
			       "code_verifier",
			       verifier,
			       "client_id",
			       post ? p->conf.client_id : NULL,
			       "client_secret",
			       post ? p->conf.client_secret : NULL,
			       NULL};
	struct timespec wall;
	char *ep, *form;
	json_t *doc;
	long status = 0;

	*tokens_out = NULL;
	if (p->conf.token_auth == OIDC_AUTH_PRIVATE_KEY_JWT)
		return err_set(err, 500, "private_key_jwt is not available yet");
	if (apple) {
		clock_gettime(CLOCK_REALTIME, &wall);
		apple_secret = oidc_provider_apple_secret(p, (long long)wall.tv_sec, err);
		if (apple_secret == NULL)
			return -1;
		pairs[11] = apple_secret;
	}
	ep = endpoint(p, 1, err);
	if (ep == NULL) {
		if (apple_secret != NULL) {
			OPENSSL_cleanse(apple_secret, strlen(apple_secret));
			free(apple_secret);
		}
		return -1;
	}
	form = oidc_form_encode(pairs);
	if (apple_secret != NULL) {
		OPENSSL_cleanse(apple_secret, strlen(apple_secret));
		free(apple_secret);
	}
	if (form == NULL) {
		free(ep);
		return err_set(err, 500, "out of memory");
	}
	doc = fetch_json(p, ep, form, NULL, !post, err, &status);
	OPENSSL_cleanse(form, strlen(form));
	free(form);
	free(ep);
	if (doc == NULL)
		return -1;
	if (status != 200) {
		json_decref(doc);
		return err_set(err, status >= 500 ? 502 : 401,
			       "identity provider refused the code (%ld)", status);
	}
	*tokens_out = doc;
	return 0;
}

/* The current JWKS with a reference, fetching it when missing or when
 * refresh is asked and allowed. NULL with err. */
static struct jwks_ref *jwks_get(struct oidc_provider *p, bool refresh, struct err *err)
{
	struct jwks_ref *j = NULL, *fresh;
	long status = 0;
	json_t *doc;
	char *ep, *text;
	time_t now = mono_now();

	pthread_mutex_lock(&p->mu);
	if (p->jwks != NULL && refresh && p->jwks_refresh_at != 0 &&
	    now - p->jwks_refresh_at < p->conf.jwks_min_refresh_s)
		refresh = false; /* refreshed for an unknown kid a moment ago */
	if (p->jwks != NULL && !refresh) {
		j = p->jwks;
		j->refs++;
	} else if (refresh) {
		p->jwks_refresh_at = now; /* the attempt counts, even when it fails */
	}
	pthread_mutex_unlock(&p->mu);
	if (j != NULL)
		return j;
	ep = endpoint(p, 2, err);
	if (ep == NULL)
		return NULL;
	doc = fetch_json(p, ep, NULL, NULL, false, err, &status);
	free(ep);
	if (doc == NULL)
		return NULL;
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	fresh = calloc(1, sizeof(*fresh));
	if (text == NULL || fresh == NULL || status != 200 ||
	    oidc_jwks_parse(text, strlen(text), &fresh->keys, err) < 0) {
		if (status != 200)
			err_set(err, 502, "identity provider JWKS answered %ld", status);
		else if (text == NULL || fresh == NULL)
			err_set(err, 500, "out of memory");
		free(text);
		if (fresh != NULL)
			oidc_jwks_release(&fresh->keys);
		free(fresh);
		return NULL;
	}
	free(text);
	fresh->refs = 2; /* the provider's and the caller's */
	pthread_mutex_lock(&p->mu);
	j = p->jwks;
	p->jwks = fresh;
	pthread_mutex_unlock(&p->mu);
	jwks_put(p, j);
	return fresh;
}

int oidc_provider_verify(struct oidc_provider *p, const char *id_token, const char *nonce,
			 long long now, json_t **claims_out, struct err *err)
{
	struct oidc_expect x = {
	    .issuer = p->conf.issuer,
	    .issuer_template = p->conf.issuer != NULL ? NULL : p->conf.issuer_template,
	    .client_id = p->conf.client_id,
	    .nonce = nonce,
	    .algs = p->conf.algs,
	    .now = now,
	    .skew = p->conf.skew_s,
	};
	struct jwks_ref *j;
	enum oidc_check rc;

	*claims_out = NULL;
	j = jwks_get(p, false, err);
	if (j == NULL)
		return -1;
	rc = oidc_id_token_check(&j->keys, id_token, &x, claims_out, err);
	jwks_put(p, j);
	if (rc == OIDC_UNKNOWN_KID) {
		/* a rotation at the provider, or a forged kid: one refresh */
		j = jwks_get(p, true, err);
		if (j == NULL)
			return -1;
		rc = oidc_id_token_check(&j->keys, id_token, &x, claims_out, err);
		jwks_put(p, j);
		if (rc == OIDC_UNKNOWN_KID)
			return err_set(err, 401, "ID token signed by an unknown key");
	}
	return rc == OIDC_VALID ? 0 : -1;
}

int oidc_provider_userinfo(struct oidc_provider *p, const char *access_token, json_t **out,
			   struct err *err)
{
	struct sbuf auth = SBUF_INIT(8192);
	const char *headers[2] = {NULL, NULL};
	char *ep = endpoint(p, 3, err);
	long status = 0;
	json_t *doc;

	*out = NULL;
	if (ep == NULL)
		return -1;
	sbuf_init_wipe(&auth, 8192);
	sbuf_addf(&auth, "Authorization: Bearer %s", access_token);
	if (sbuf_failed(&auth)) {
		free(ep);
		return err_set(err, 502, "identity provider access token too long");
	}
	headers[0] = sbuf_str(&auth);
	doc = fetch_json(p, ep, NULL, headers, false, err, &status);
	sbuf_release(&auth);
	free(ep);
	if (doc == NULL)
		return -1;
	if (status != 200) {
		json_decref(doc);
		return err_set(err, 502, "identity provider userinfo answered %ld", status);
	}
	*out = doc;
	return 0;
}

int oidc_provider_profile(struct oidc_provider *p, const char *access_token,
			  const char *const *query, json_t **out, struct err *err)
{
	struct sbuf auth = SBUF_INIT(8192), url = SBUF_INIT(8192);
	const char *headers[2] = {NULL, NULL};
	char *ep = endpoint(p, 3, err), *q;
	long status = 0;
	json_t *doc;

	*out = NULL;
	if (ep == NULL)
		return -1;
	q = oidc_form_encode(query);
	sbuf_init_wipe(&auth, 8192);
	sbuf_init_wipe(&url, 8192);
	if (access_token != NULL)
		sbuf_addf(&auth, "Authorization: Bearer %s", access_token);
	sbuf_addstr(&url, ep);
	if (q != NULL && q[0] != '\0') {
		sbuf_addch(&url, strchr(ep, '?') != NULL ? '&' : '?');
		sbuf_addstr(&url, q);
	}
	if (q != NULL) { /* it may hold the access token */
		OPENSSL_cleanse(q, strlen(q));
		free(q);
	}
	free(ep);
	if (sbuf_failed(&auth) || sbuf_failed(&url)) {
		sbuf_release(&auth);
		sbuf_release(&url);
		return err_set(err, 502, "identity provider access token too long");
	}
	headers[0] = access_token != NULL ? sbuf_str(&auth) : NULL;
	doc = fetch_json(p, sbuf_str(&url), NULL, headers, false, err, &status);
	sbuf_release(&auth);
	sbuf_release(&url);
	if (doc == NULL)
		return -1;
	if (status != 200) {
		json_decref(doc);
		return err_set(err, status >= 500 ? 502 : 401,
			       "identity provider profile answered %ld", status);
	}
	*out = doc;
	return 0;
}
