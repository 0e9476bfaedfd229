/* SPDX-License-Identifier: Apache-2.0 */
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

const char *err_file_reason(int errnum)
{
	const char *s;

	if (errnum == ENOENT)
		return "missing";
	if (errnum == EACCES || errnum == EPERM)
		return "permission denied";
	s = strerrordesc_np(errnum);
	return s != NULL ? s : "unknown error";
}
