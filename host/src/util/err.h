/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct err: how library-level code (parsers, store, tokens) reports a
 * failure without logging. The caller owns the struct and decides whether
 * and how to log or answer. code is an HTTP-ish status the caller may map
 * (0 when unset); msg is a short, client-safe sentence without secrets.
 */
#ifndef AUTHSVC_UTIL_ERR_H
#define AUTHSVC_UTIL_ERR_H

struct err {
	int code;
	char msg[256];
};

/* Fill err (may be NULL) and return -1, so callers can `return err_set(...)`. */
int err_set(struct err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Why a file could not be opened, for "cannot read file: <why>": "missing"
 * (ENOENT), "permission denied" (EACCES, EPERM), else strerror's text.
 * Static strings; thread-safe. */
const char *err_file_reason(int errnum);

#endif
