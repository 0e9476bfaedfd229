/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The outbound HTTP client: one libcurl easy handle per call, on the
 * calling worker thread, behind a process-wide counting semaphore.
 */
#include "outbound/fetch.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#define DEFAULT_CONNECT_MS     3000L
#define DEFAULT_TOTAL_MS       10000L
#define DEFAULT_MAX_RESPONSE   (256u * 1024u)
#define DEFAULT_MAX_CONCURRENT 16u

static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slots_cv = PTHREAD_COND_INITIALIZER;
static unsigned slots_max = DEFAULT_MAX_CONCURRENT;
static unsigned slots_used;

void outbound_init(unsigned max_concurrent)
{
	pthread_mutex_lock(&slots_mu);
	slots_max = max_concurrent > 0 ? max_concurrent : DEFAULT_MAX_CONCURRENT;
	pthread_mutex_unlock(&slots_mu);
}

unsigned outbound_in_flight(void)
{
	unsigned n;

	pthread_mutex_lock(&slots_mu);
	n = slots_used;
	pthread_mutex_unlock(&slots_mu);
	return n;
}

/* Wait at most wait_ms for a slot: 0, or -1 when none came free. */
static int slot_take(long wait_ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&slots_mu);
	while (slots_used >= slots_max && rc == 0)
		rc = pthread_cond_timedwait(&slots_cv, &slots_mu, &until);
	if (slots_used < slots_max) {
		slots_used++;
		rc = 0;
	} else {
		rc = -1;
	}
	pthread_mutex_unlock(&slots_mu);
	return rc;
}

static void slot_give(void)
{
	pthread_mutex_lock(&slots_mu);
	slots_used--;
	pthread_cond_signal(&slots_cv);
	pthread_mutex_unlock(&slots_mu);
}

/* The host part of an http(s) URL: [start, *len) of url, or NULL. */
static const char *url_host(const char *url, size_t *len)
{
	const char *p = strstr(url, "://"), *end;

	if (p == NULL)
		return NULL;
	p += 3;
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)) != NULL)
		return NULL; /* userinfo in a provider URL: refused */
	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL)
			return NULL;
		*len = (size_t)(end + 1 - p);
		return p;
	}
	end = p + strcspn(p, ":/?#");
	*len = (size_t)(end - p);
	return p;
}

static bool host_is_loopback(const char *h, size_t len)
{
	if (len == 9 && strncasecmp(h, "localhost", 9) == 0)
		return true;
	if (len == 5 && memcmp(h, "[::1]", 5) == 0)
		return true;
	if (len >= 7 && len <= 15 && strncmp(h, "127.", 4) == 0)
		return strspn(h, "0123456789.") == len;
	return false;
}

bool outbound_url_allowed(const char *url, bool allow_http)
{
	const char *h;
	size_t len = 0;

	if (url == NULL || strpbrk(url, " \t\r\n") != NULL)
		return false;
	h = url_host(url, &len);
	if (h == NULL || len == 0)
		return false;
	if (strncasecmp(url, "https://", 8) == 0)
		return true;
	return allow_http && strncasecmp(url, "http://", 7) == 0 && host_is_loopback(h, len);
}

struct sink {
	struct sbuf *body;
	bool too_large;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (sbuf_add(s->body, ptr, n) < 0) {
		s->too_large = true;
		return 0; /* abort the transfer */
	}
	return n;
}

static int curl_status(CURLcode rc, const struct sink *s, struct err *err)
{
	if (s->too_large)
		return err_set(err, 502, "identity provider answer too large");
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return err_set(err, 504, "identity provider did not answer in time");
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return err_set(err, 502, "identity provider unreachable");
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return err_set(err, 502, "identity provider TLS failure");
	default:
		return err_set(err, 502, "identity provider call failed (%s)",
			       curl_easy_strerror(rc));
	}
}

int outbound_fetch(const struct outbound_opts *o, const char *url, const char *form,
		   const char *const *headers, const char *basic_user, const char *basic_pass,
		   struct outbound_resp *resp, struct err *err)
{
	long connect_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : DEFAULT_CONNECT_MS;
	long total_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TOTAL_MS;
	struct curl_slist *hdrs = NULL, *h;
	struct sink sink;
	CURL *c = NULL;
	CURLcode rc;
	char *ct = NULL;
	int ret = -1;

	memset(resp, 0, sizeof(*resp));
	sbuf_init(&resp->body, o->max_response > 0 ? o->max_response : DEFAULT_MAX_RESPONSE);
	sink.body = &resp->body;
	sink.too_large = false;
	if (!outbound_url_allowed(url, o->allow_http))
		return err_set(err, 400, "identity provider URL must be https");
	if (slot_take(connect_ms) < 0)
		return err_set(err, 503, "too many identity provider calls in flight");
	c = curl_easy_init();
	h = curl_slist_append(NULL, "Accept: application/json");
	if (c == NULL || h == NULL) {
		curl_slist_free_all(h);
		err_set(err, 502, "out of memory");
		goto out;
	}
	hdrs = h;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
		h = curl_slist_append(hdrs, headers[i]);
		if (h == NULL) {
			err_set(err, 502, "out of memory");
			goto out;
		}
		hdrs = h;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, o->allow_http ? "https,http" : "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL && o->ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "authsvc");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	if (form != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	if (basic_user != NULL && basic_pass != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, basic_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, basic_pass);
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		curl_status(rc, &sink, err);
		goto out;
	}
	if (sbuf_failed(&resp->body)) {
		err_set(err, 502, "identity provider answer too large");
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL) {
		size_t n = strlen(ct);

		if (n >= sizeof(resp->content_type))
			n = sizeof(resp->content_type) - 1;
		memcpy(resp->content_type, ct, n);
		resp->content_type[n] = '\0';
	}
	ret = 0;
out:
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	slot_give();
	if (ret < 0)
		sbuf_release(&resp->body);
	return ret;
}

void outbound_resp_release(struct outbound_resp *resp)
{
	sbuf_release(&resp->body);
}
