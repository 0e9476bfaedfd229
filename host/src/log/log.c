/* SPDX-License-Identifier: Apache-2.0 */
#include "log/log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* set again by a configuration reload while other threads log */
static _Atomic int log_level = LOG_LVL_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

int log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

int log_enabled(enum log_level level)
{
	return (int)level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

/* The message is the leading words before the first key=value word. */
static size_t msg_length(const char *text)
{
	size_t end = 0, i = 0;

	while (text[i] != '\0') {
		size_t w = strcspn(text + i, " ");

		if (memchr(text + i, '=', w) != NULL)
			break;
		end = i + w;
		i += w;
		while (text[i] == ' ')
			i++;
	}
	return end;
}

/* Append c to out (at *n, below size) as a character of a quoted logfmt
 * value; false when it does not fit. */
static bool put_escaped(char *out, size_t size, size_t *n, unsigned char c)
{
	char esc[8];
	size_t len;

	if (c == '"' || c == '\\')
		len = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
	else if (c == '\n')
		len = (size_t)snprintf(esc, sizeof(esc), "\\n");
	else if (c == '\r')
		len = (size_t)snprintf(esc, sizeof(esc), "\\r");
	else if (c == '\t')
		len = (size_t)snprintf(esc, sizeof(esc), "\\t");
	else if (c < 0x20 || c == 0x7f)
		len = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
	else
		esc[0] = (char)c, len = 1;
	if (*n + len >= size)
		return false;
	memcpy(out + *n, esc, len);
	*n += len;
	return true;
}

static bool needs_quotes(const char *s)
{
	if (*s == '\0')
		return true;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f)
			return true;
	}
	return false;
}

const char *log_quote(char *buf, size_t size, const char *s)
{
	static const char cut[] = "...\"";
	char one[8];
	size_t n = 0, need = 2, lim;

	if (size < 8) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	if (s == NULL)
		s = "(null)";
	if (!needs_quotes(s) && strlen(s) < size) {
		memcpy(buf, s, strlen(s) + 1);
		return buf;
	}
	for (const char *p = s; *p != '\0'; p++) {
		size_t k = 0;

		put_escaped(one, sizeof(one), &k, (unsigned char)*p);
		need += k;
	}
	/* cut: keep room for the mark */
	lim = need < size ? size : size - (sizeof(cut) - 1);
	buf[n++] = '"';
	for (; *s != '\0'; s++) {
		if (!put_escaped(buf, lim, &n, (unsigned char)*s)) {
			/* cut inside a UTF-8 sequence: drop its first bytes too */
			if (((unsigned char)*s & 0xc0) == 0x80) {
				while (n > 1 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
					n--;
				if (n > 1 && ((unsigned char)buf[n - 1] & 0xc0) == 0xc0)
					n--;
			}
			memcpy(buf + n, cut, sizeof(cut));
			return buf;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

static bool key_char(unsigned char c)
{
	return c > ' ' && c != '=' && c != '"' && c != '\\' && c != 0x7f;
}

/* Whether s (what follows the message) is " key=value" pairs only, as
 * tests/integration/logfmt.py reads them: a key of key_char()s, a bare
 * value of key_char()s or a closed quoted value with \" \\ \n \r \t \uXXXX
 * escapes, separated by single spaces, no control character. */
static bool is_pairs(const char *s)
{
	while (*s != '\0') {
		if (*s++ != ' ' || !key_char((unsigned char)*s))
			return false;
		while (key_char((unsigned char)*s))
			s++;
		if (*s++ != '=')
			return false;
		if (*s != '"') {
			while (key_char((unsigned char)*s))
				s++;
			continue;
		}
		for (s++; *s != '"'; s++) {
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				return false; /* also the end of the string */
			if (*s != '\\')
				continue;
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)s[i]))
						return false;
				s += 4;
			} else if (strchr("\"\\nrt", *s) == NULL || *s == '\0') {
				return false;
			}
		}
		s++;
	}
	return true;
}

void log_vmsg(enum log_level level, const char *prefix, const char *fmt, va_list ap)
{
	char line[4096], text[3072], ts[32];
	struct timeval tv;
	struct tm tm;
	size_t msglen, n = 0;
	int len;

	if (!log_enabled(level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(text, sizeof(text), fmt, ap);
	msglen = msg_length(text);
	len = snprintf(line, sizeof(line), "ts=%s.%03dZ level=%s %smsg=\"", ts,
		       (int)(tv.tv_usec / 1000), level_names[level], prefix ? prefix : "");
	if (len < 0 || (size_t)len >= sizeof(line) - 64)
		return;
	n = (size_t)len;
	/* room is kept for the closing quote and the newline */
	for (size_t i = 0; i < msglen; i++)
		if (!put_escaped(line, sizeof(line) - 2, &n, (unsigned char)text[i]))
			break;
	line[n++] = '"';
	if (is_pairs(text + msglen)) { /* the pairs as the caller wrote them */
		len = snprintf(line + n, sizeof(line) - n - 1, "%s", text + msglen);
		n = len < 0 ? n : (size_t)len < sizeof(line) - n - 1 ? n + (size_t)len : n;
	} else if (text[msglen] != '\0') {
		/* not key=value words (a plugin's free text, a raw newline):
		 * one quoted value, so the line stays one valid logfmt line */
		char q[sizeof(text) * 2];

		log_quote(q, sizeof(q), text + msglen + (text[msglen] == ' '));
		len = snprintf(line + n, sizeof(line) - n - 1, " text=%s", q);
		n = len < 0 ? n : (size_t)len < sizeof(line) - n - 1 ? n + (size_t)len : n;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}
