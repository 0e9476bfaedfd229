/* SPDX-License-Identifier: Apache-2.0 */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {"GET",    "POST",	"PUT",	"PATCH",
					   "DELETE", "OPTIONS", "HEAD", "OTHER"};

enum req_method http_method_parse(const char *m)
{
	for (int i = 0; i < M_OTHER; i++)
		if (strcmp(m, method_names[i]) == 0)
			return (enum req_method)i;
	return M_OTHER;
}

const char *http_method_name(enum req_method m)
{
	return method_names[m <= M_OTHER ? m : M_OTHER];
}

/* A path parameter in full: the path keeps %2F and %25 as escapes
 * (http_path_decode), every other escape is already decoded. */
static char *param_decode(char *p)
{
	size_t o = 0;

	if (p == NULL)
		return NULL;
	for (size_t i = 0; p[i] != '\0'; i++) {
		if (p[i] == '%' && p[i + 1] == '2' && (p[i + 2] == 'F' || p[i + 2] == '5')) {
			p[o++] = p[i + 2] == 'F' ? '/' : '%';
			i += 2;
		} else {
			p[o++] = p[i];
		}
	}
	p[o] = '\0';
	return p;
}

/* Compare pattern with path; store up to two {param} segments. */
static int path_match(const char *pat, const char *path, struct authsvc_req *req, int store)
{
	int np = 0;

	while (*pat != '\0' && *path != '\0') {
		if (*pat == '{') {
			const char *pe = strchr(pat, '}');
			size_t seg = strcspn(path, "/");

			if (pe == NULL || seg == 0 || np >= 2)
				return 0;
			if (store)
				req->params[np] =
				    param_decode(arena_strndup(&req->arena, path, seg));
			np++;
			pat = pe + 1;
			path += seg;
			continue;
		}
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}
	return *pat == '\0' && *path == '\0';
}

static int route_same(const struct route *a, const struct route *b)
{
	return a->method == b->method && strcmp(a->path, b->path) == 0;
}

int router_add(struct router *r, const struct route *route, char *msg, size_t msgsz)
{
	for (size_t i = 0; i < r->n; i++) {
		if (route_same(&r->routes[i], route)) {
			snprintf(msg, msgsz, "duplicate route %s %s",
				 http_method_name(route->method), route->path);
			return -1;
		}
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct route *nr = realloc(r->routes, cap * sizeof(*nr));

		if (nr == NULL) {
			snprintf(msg, msgsz, "out of memory");
			return -1;
		}
		r->routes = nr;
		r->cap = cap;
	}
	r->routes[r->n++] = *route;
	return 0;
}

const struct route *router_match(const struct router *r, struct authsvc_req *req)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct route *rt = &r->routes[i];

		if (rt->method == req->method && path_match(rt->path, req->path, req, 0)) {
			path_match(rt->path, req->path, req, 1);
			return rt;
		}
	}
	return NULL;
}

int router_path_known(const struct router *r, const char *path)
{
	for (size_t i = 0; i < r->n; i++)
		if (path_match(r->routes[i].path, path, NULL, 0))
			return 1;
	return 0;
}

void router_release(struct router *r)
{
	free(r->routes);
	memset(r, 0, sizeof(*r));
}
