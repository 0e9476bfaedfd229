/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The webhook channel: POST of a JSON event, signed so the receiver can
 * check it came from here and is fresh:
 *
 *   X-Authsvc-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * Body: {"id","event","time","to":{"email","phone","username"},
 *        "subject","text","data":{template variables}}.
 */
#include "notify/channels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "util/hex.h"

static size_t discard(char *p, size_t size, size_t nmemb, void *arg)
{
	(void)p;
	(void)arg;
	return size * nmemb;
}

static char *event_body(const struct notify_msg *m, time_t now)
{
	json_t *data = json_loads(m->data, 0, NULL), *ev;
	char *out;

	ev = json_pack("{s:s, s:s, s:I, s:{s:s, s:s, s:s}, s:s, s:s, s:o}", "id", m->id, "event",
		       m->event, "time", (json_int_t)now, "to", "email", m->email, "phone",
		       m->phone, "username", m->username, "subject", m->subject, "text", m->text,
		       "data", data != NULL ? data : json_object());
	if (ev == NULL)
		return NULL;
	out = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return out;
}

int channel_webhook_send(const struct notify_conf *nc, const struct notify_msg *m, char *why,
			 size_t whysz)
{
	time_t now = time(NULL);
	char *body = event_body(m, now), sig[64 + 2 * EVP_MAX_MD_SIZE], ts[24],
	     machex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct curl_slist *hdrs = NULL;
	CURL *c = NULL;
	long status = 0;
	int rc = -1;

	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	if (body == NULL)
		goto oom;
	{
		EVP_MAC *emac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		EVP_MAC_CTX *ctx = emac ? EVP_MAC_CTX_new(emac) : NULL;
		OSSL_PARAM params[2] = {OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
					OSSL_PARAM_construct_end()};
		size_t outl = 0;
		int ok = ctx != NULL &&
			 EVP_MAC_init(ctx, (const unsigned char *)nc->webhook_secret,
				      strlen(nc->webhook_secret), params) == 1 &&
			 EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) == 1 &&
			 EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
			 EVP_MAC_update(ctx, (const unsigned char *)body, strlen(body)) == 1 &&
			 EVP_MAC_final(ctx, mac, &outl, sizeof(mac)) == 1;

		EVP_MAC_CTX_free(ctx);
		EVP_MAC_free(emac);
		if (!ok)
			goto oom;
		maclen = (unsigned int)outl;
	}
	hex_encode(mac, maclen, machex);
	snprintf(sig, sizeof(sig), "X-Authsvc-Signature: t=%s,v1=%s", ts, machex);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = hdrs ? curl_slist_append(hdrs, sig) : NULL;
	c = curl_easy_init();
	if (hdrs == NULL || c == NULL)
		goto oom;
	curl_easy_setopt(c, CURLOPT_URL, nc->webhook_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)nc->timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)nc->timeout_s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "authsvc-notify");
	if (nc->webhook_ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, nc->webhook_ca_file);
	{
		CURLcode cc = curl_easy_perform(c);

		if (cc != CURLE_OK) {
			snprintf(why, whysz, "%s", curl_easy_strerror(cc));
			goto out;
		}
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		snprintf(why, whysz, "receiver answered HTTP %ld", status);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(why, whysz, "out of memory");
out:
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	if (body != NULL) {
		OPENSSL_cleanse(body, strlen(body));
		free(body);
	}
	return rc;
}
