/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One source, many broken plugins: each BAD_* macro builds a descriptor the
 * loader must refuse (tests/unit/test_loader.c checks each refusal).
 */
#include <stddef.h>
#include <string.h>

#define UNUSED __attribute__((unused))

#include <authsvc/plugin.h>

UNUSED static enum authsvc_status h(void *s, void *t, struct authsvc_req *r)
{
	(void)s;
	(void)t;
	(void)r;
	return AUTHSVC_DENIED;
}

UNUSED static int ok_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg, void **st,
			  struct authsvc_err *err)
{
	(void)host;
	(void)cfg;
	(void)err;
	*st = NULL;
#ifdef BAD_INIT_FULL
	memset(err->msg, 'x', sizeof(err->msg));
	return -1;
#elif defined(BAD_INIT)
	err->code = 1;
	err->msg[0] = 'n';
	err->msg[1] = 'o';
	err->msg[2] = '\0';
	return -1;
#else
	return 0;
#endif
}

/* BAD_START, BAD_INIT_FULL: fill the whole message, no terminator */
UNUSED static int full_start(void *st, struct authsvc_err *err)
{
	(void)st;
	memset(err->msg, 'x', sizeof(err->msg));
	return -1;
}

UNUSED static void fini(void *st)
{
	(void)st;
}

UNUSED static const struct authsvc_route routes[] = {
    {"POST", "/test/a", h, 0, NULL},
#ifdef BAD_DUP_ROUTE
    {"POST", "/test/a", h, 0, NULL},
#endif
#ifdef BAD_CORE_ROUTE
    {"POST", "/auth/token", h, 0, NULL},
#endif
    {0},
};

#ifdef BAD_HOOKS_SIZE
static const struct authsvc_login_succeeded_hook login_hooks[] = {{0}};
static const struct authsvc_hooks typed = {.login_succeeded = login_hooks}; /* no .size */
#endif

#ifndef BAD_NO_SYMBOL
AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
#ifdef BAD_MAJOR
    .abi_major = AUTHSVC_ABI_MAJOR + 1,
    .abi_minor = 0,
    .size = sizeof(struct authsvc_plugin),
#elif defined(BAD_MINOR)
    .abi_major = AUTHSVC_ABI_MAJOR,
    .abi_minor = AUTHSVC_ABI_MINOR + 1,
    .size = sizeof(struct authsvc_plugin),
#elif defined(BAD_SIZE)
    .abi_major = AUTHSVC_ABI_MAJOR,
    .abi_minor = AUTHSVC_ABI_MINOR,
    .size = offsetof(struct authsvc_plugin, init),
#else
    AUTHSVC_PLUGIN_HEADER,
#endif
    .name = "bad",
    .version = "0.0.1",
    .routes = routes,
    .init = ok_init,
#ifdef BAD_START
    .start = full_start,
#endif
#ifdef BAD_HOOKS_SIZE
    .typed_hooks = &typed,
#endif
    .fini = fini,
};
#else
AUTHSVC_EXPORT const int authsvc_plugin_misnamed = 1;
#endif
