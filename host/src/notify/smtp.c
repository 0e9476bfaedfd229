/* The smtp channel: one mail per message through libcurl (RFC 5321). */
#include "notify/channels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

/* The bare address of "Name <a@b>" or "a@b" into out; -1 when malformed. */
static int bare_address(const char *from, char *out, size_t outsz)
{
	const char *lt = strchr(from, '<'), *gt;
	size_t n;

	if (lt != NULL) {
		gt = strchr(lt, '>');
		if (gt == NULL)
			return -1;
		n = (size_t)(gt - lt - 1);
		from = lt + 1;
	} else {
		n = strlen(from);
	}
	if (n == 0 || n >= outsz)
		return -1;
	memcpy(out, from, n);
	out[n] = '\0';
	return strchr(out, '@') != NULL && strpbrk(out, " \t\r\n<>,") == NULL ? 0 : -1;
}

/* The whole message (headers, blank line, CRLF body); malloc'd or NULL. */
static char *compose(const struct notify_conf *nc, const struct notify_msg *m, size_t *len)
{
	char date[64], *out, *p;
	size_t cap;
	time_t now = time(NULL);
	struct tm tm;
	int hl;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	cap = strlen(nc->from) + strlen(m->email) + strlen(m->subject) + 2 * strlen(m->text) + 512;
	out = malloc(cap);
	if (out == NULL)
		return NULL;
	hl = snprintf(out, cap,
		      "Date: %s\r\nFrom: %s\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: "
		      "<%s@authsvc>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
		      "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nAuto-Submitted: "
		      "auto-generated\r\n\r\n",
		      date, nc->from, m->email, m->subject, m->id);
	if (hl < 0 || (size_t)hl >= cap) {
		free(out);
		return NULL;
	}
	p = out + hl;
	for (const char *s = m->text; *s != '\0'; s++) { /* bare LF -> CRLF */
		if (*s == '\n' && (s == m->text || s[-1] != '\r'))
			*p++ = '\r';
		*p++ = *s;
	}
	*p = '\0';
	*len = (size_t)(p - out);
	return out;
}

int channel_smtp_send(const struct notify_conf *nc, const struct notify_msg *m, char *why,
		      size_t whysz)
{
	char from[160], rcpt[170];
	struct curl_slist *rcpts = NULL;
	struct upload up = {0};
	CURL *c;
	CURLcode rc;
	char *mail;
	size_t len = 0;

	if (bare_address(nc->from, from, sizeof(from) - 2) < 0) {
		snprintf(why, whysz, "notify.from has no usable address");
		return -1;
	}
	if (bare_address(m->email, rcpt + 1, sizeof(rcpt) - 2) < 0) {
		snprintf(why, whysz, "recipient address is malformed");
		return -1;
	}
	rcpt[0] = '<';
	memcpy(rcpt + strlen(rcpt), ">", 2); /* room kept by the size - 2 above */
	memmove(from + 1, from, strlen(from) + 1);
	from[0] = '<';
	memcpy(from + strlen(from), ">", 2);
	mail = compose(nc, m, &len);
	c = curl_easy_init();
	rcpts = curl_slist_append(NULL, rcpt);
	if (mail == NULL || c == NULL || rcpts == NULL) {
		snprintf(why, whysz, "out of memory");
		rc = CURLE_OUT_OF_MEMORY;
		goto out;
	}
	up.data = mail;
	up.len = len;
	curl_easy_setopt(c, CURLOPT_URL, nc->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)nc->timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)nc->timeout_s);
	curl_easy_setopt(c, CURLOPT_USE_SSL,
			 strcmp(nc->smtp_starttls, "require") == 0 ? (long)CURLUSESSL_ALL
			 : strcmp(nc->smtp_starttls, "off") == 0   ? (long)CURLUSESSL_NONE
								   : (long)CURLUSESSL_TRY);
	if (nc->smtp_ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, nc->smtp_ca_file);
	if (nc->smtp_username[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, nc->smtp_username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, nc->smtp_password);
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		snprintf(why, whysz, "%s", curl_easy_strerror(rc));
out:
	curl_slist_free_all(rcpts);
	if (c != NULL)
		curl_easy_cleanup(c);
	if (mail != NULL) {
		OPENSSL_cleanse(mail, len);
		free(mail);
	}
	return rc == CURLE_OK ? 0 : -1;
}
