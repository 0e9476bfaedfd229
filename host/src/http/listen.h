/*
 * The server's one listening socket. It is bound without SO_REUSEPORT, so
 * the kernel refuses a second process on an address this one holds (and
 * this one on an address another process holds) with EADDRINUSE, instead
 * of silently sharing the traffic; the event loops share the socket by
 * each accepting on its own dup() of it (docs/operator-guide.md, "Ports and
 * restarts").
 */
#ifndef AUTHSVC_HTTP_LISTEN_H
#define AUTHSVC_HTTP_LISTEN_H

#include <netdb.h>

#include "util/err.h"

/* A non-blocking, close-on-exec socket listening on ai (SO_REUSEADDR
 * only), or -1 with err. When the address is in use, err names addr (the
 * configured HOST:PORT) and, when /proc tells, the process holding it:
 * "address in use by another process (pid 812, authsvc)". */
int http_listen_socket(const struct addrinfo *ai, const char *addr, struct err *err);

#endif
