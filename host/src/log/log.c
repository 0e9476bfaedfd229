#include "log/log.h"

#include <stdarg.h>
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

void log_vmsg(enum log_level level, const char *prefix, const char *fmt, va_list ap)
{
	char line[2048], text[1600], ts[32];
	struct timeval tv;
	struct tm tm;
	size_t msglen;
	int n;

	if (!log_enabled(level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(text, sizeof(text), fmt, ap);
	msglen = msg_length(text);
	n = snprintf(line, sizeof(line), "ts=%s.%03dZ level=%s %smsg=\"%.*s\"%s\n", ts,
		     (int)(tv.tv_usec / 1000), level_names[level], prefix ? prefix : "",
		     (int)msglen, text, text + msglen);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1, line[n - 1] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}
