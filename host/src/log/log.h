/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Structured logging: one line per event on stderr in logfmt, `key=value`
 * pairs (journald and grep friendly). Thread-safe: each line is written
 * with a single write(2). Never pass a secret (password, token, code, client
 * secret, Authorization header) to these functions.
 *
 *	log_info("listening addr=%s", addr);
 *	-> ts=2026-11-28T03:10:00.123Z level=info msg="listening" addr=127.0.0.1:3000
 *
 * The leading words before the first key=value word become msg (quoted and
 * escaped here); the rest is appended as the caller wrote it, so callers
 * write "what happened key=value ...", every word after the message a
 * key=value pair. A value that is not a fixed word of ours (an error text,
 * a path, anything from a request or a peer) goes through LOG_Q(), which
 * quotes and escapes it:
 *
 *	log_error("startup failed detail=%s", LOG_Q(err.msg));
 *	-> ... msg="startup failed" detail="plugin refused file=x reason=\"...\""
 *
 * Control characters that still reach the line (newlines in a plugin's
 * text) are written as escapes, so one event is always one line.
 */
#ifndef AUTHSVC_LOG_H
#define AUTHSVC_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
/* Parse "error", "warn", "info", "debug"; -1 if unknown. */
int log_level_parse(const char *s);
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *prefix, const char *fmt, __builtin_va_list ap)
    __attribute__((format(printf, 3, 0)));

/* s as a logfmt value in buf (size bytes, at least 8): as is when it is a
 * non-empty run of printable characters other than space, `"`, `=` and `\`;
 * otherwise in double quotes with `\"`, `\\`, `\n`, `\r`, `\t` and `\u00XX`
 * for other control characters. A value too long for buf is cut at a
 * character boundary and ends in "...". NULL is written as "(null)".
 * Returns buf. */
const char *log_quote(char *buf, size_t size, const char *s);

#define LOG_QUOTE_MAX 640
/* log_quote() into a buffer that lives until the end of the caller's block. */
#define LOG_Q(s) log_quote((char[LOG_QUOTE_MAX]){0}, LOG_QUOTE_MAX, (s))

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
