/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Structured logging: one line per event on stderr, `key=value` pairs
 * (journald and grep friendly). Thread-safe: each line is written with a
 * single write(2). Never pass a secret (password, token, code, client
 * secret, Authorization header) to these functions.
 *
 *	log_info("listening addr=%s", addr);
 *	-> ts=2026-11-28T03:10:00.123Z level=info msg="listening" addr=127.0.0.1:3000
 *
 * The leading words before the first key=value word become msg; the rest
 * is appended as is, so callers write "what happened key=value ...".
 */
#ifndef AUTHSVC_LOG_H
#define AUTHSVC_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
/* Parse "error", "warn", "info", "debug"; -1 if unknown. */
int log_level_parse(const char *s);
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *prefix, const char *fmt, __builtin_va_list ap)
    __attribute__((format(printf, 3, 0)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
