/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The listening sockets, one per event loop, bound with SO_REUSEPORT so the
 * kernel spreads connections over the loops. Linux lets another socket join
 * such a group when it sets SO_REUSEPORT too and belongs to the same
 * effective user, so before binding its own the server binds a probe
 * without SO_REUSEPORT (refused with EADDRINUSE when any process listens
 * there), and after binding them it checks /proc/net/tcp that every
 * listener on the address is one of its own (a second instance started at
 * the same moment). Either way it refuses to start, naming the holder
 * (docs/operator-guide.md, "Ports and restarts").
 */
#ifndef AUTHSVC_HTTP_LISTEN_H
#define AUTHSVC_HTTP_LISTEN_H

#include <netdb.h>

#include "util/err.h"

/* 0 when nothing listens on ai, else -1 with err naming addr (the
 * configured HOST:PORT) and, when /proc tells, the process holding it:
 * "address in use by another process (pid 812, authsvc)". */
int http_listen_probe(const struct addrinfo *ai, const char *addr, struct err *err);

/* A non-blocking, close-on-exec socket listening on ai with SO_REUSEADDR
 * and SO_REUSEPORT, or -1 with err (as above when the address is taken). */
int http_listen_socket(const struct addrinfo *ai, const char *addr, struct err *err);

/* 0 when every socket listening on ai is one of fds[n] (ours), else -1 with
 * err naming the process that holds another one. */
int http_listen_only_ours(const struct addrinfo *ai, const char *addr, const int *fds, int n,
			  struct err *err);

#endif
