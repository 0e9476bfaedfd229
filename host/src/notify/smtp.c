/* SPDX-License-Identifier: Apache-2.0 */
/* The smtp channel: one mail per message through libcurl (RFC 5321). */
#include "notify/channels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "notify/notify.h"
#include "util/sbuf.h"

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

/* An SMTP path is at most 256 octets, angle brackets included (RFC 5321 4.5.3.1.3). */
#define PATH_MAX_LEN 256
/* The whole mail: headers, then the body with, at worst, every LF made CRLF. */
#define MAIL_MAX (4096 + 2 * NOTIFY_TEXT_MAX)

/* The address of "Name <a@b>" or "a@b" as "<a@b>" into sb; -1 when
 * malformed or too long. */
static int angle_address(const char *from, struct sbuf *sb)
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
	if (n == 0 || memchr(from, '@', n) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strchr(" \t\r\n<>,", from[i]) != NULL)
			return -1;
	sbuf_addch(sb, '<');
	sbuf_add(sb, from, n);
	return sbuf_addch(sb, '>');
}

/* The whole message (headers, blank line, CRLF body); malloc'd or NULL. */
static char *compose(const struct notify_conf *nc, const struct notify_msg *m, size_t *len)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	struct sbuf sb;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sbuf_init_wipe(&sb, MAIL_MAX); /* the body carries codes and links */
	sbuf_addf(&sb,
		  "Date: %s\r\nFrom: %s\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: "
		  "<%s@authsvc>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
		  "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nAuto-Submitted: "
		  "auto-generated\r\n\r\n",
		  date, nc->from, m->email, m->subject, m->id);
	for (const char *s = m->text; *s != '\0'; s++) { /* bare LF -> CRLF */
		if (*s == '\n' && (s == m->text || s[-1] != '\r'))
			sbuf_addch(&sb, '\r');
		sbuf_addch(&sb, *s);
	}
	return sbuf_detach(&sb, len);
}

int channel_smtp_send(const struct notify_conf *nc, const struct notify_msg *m, char *why,
		      size_t whysz)
{
	struct sbuf from = SBUF_INIT(PATH_MAX_LEN), rcpt = SBUF_INIT(PATH_MAX_LEN);
	struct curl_slist *rcpts = NULL;
	struct upload up = {0};
	CURL *c = NULL;
	CURLcode rc = CURLE_FAILED_INIT; /* until curl_easy_perform answers */
	char *mail = NULL;
	size_t len = 0;

	if (angle_address(nc->from, &from) < 0) {
		snprintf(why, whysz, "notify.from has no usable address");
		goto out;
	}
	if (angle_address(m->email, &rcpt) < 0) {
		snprintf(why, whysz, "recipient address is malformed");
		goto out;
	}
	mail = compose(nc, m, &len);
	if (mail == NULL) {
		snprintf(why, whysz, "cannot compose the mail (out of memory, or too long)");
		goto out;
	}
	c = curl_easy_init();
	rcpts = curl_slist_append(NULL, sbuf_str(&rcpt));
	if (c == NULL || rcpts == NULL) {
		snprintf(why, whysz, "out of memory");
		goto out;
	}
	up.data = mail;
	up.len = len;
	curl_easy_setopt(c, CURLOPT_URL, nc->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, sbuf_str(&from));
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
	sbuf_release(&from);
	sbuf_release(&rcpt);
	curl_slist_free_all(rcpts);
	if (c != NULL)
		curl_easy_cleanup(c);
	if (mail != NULL) {
		OPENSSL_cleanse(mail, len);
		free(mail);
	}
	return rc == CURLE_OK ? 0 : -1;
}
