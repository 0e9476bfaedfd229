/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Has the client of a queued request gone away?
 *
 * evhttp stops reading a connection while its request is being served, so
 * it notices neither a half-close nor a full close until it writes the
 * reply. A worker asks before starting costly work: peer_gone peeks at the
 * socket. Pending bytes or nothing to read: the client is there. A reset or
 * another socket error: it is gone. End of stream is the ambiguous case: a
 * client that called shutdown(SHUT_WR) after a complete request still
 * reads, and must get its answer; a client that closed the socket is gone,
 * but its FIN looks the same. Only a write tells them apart, as a closed
 * socket answers data with a reset. So, when the request is HTTP/1.1 (1xx
 * responses are allowed to it and every client must skip an unexpected
 * one, RFC 9110 §15.2), peer_gone writes an interim `100 Continue` and
 * waits up to PEER_PROBE_MS for the reset. A half-closed client reads the
 * 100 and then its answer; for HTTP/1.0 (no 1xx allowed) the request is
 * served, and a departed client shows up when the reply's write fails.
 *
 * Safe on a worker thread while the loop owns the connection: evhttp has
 * nothing to write on it before the reply, and the descriptor stays open
 * until then. Blocks for at most PEER_PROBE_MS, and only after end of
 * stream.
 */
#ifndef AUTHSVC_HTTP_PEER_H
#define AUTHSVC_HTTP_PEER_H

#include <stdbool.h>

/* Longest wait for a closed client's reset after the probe (loopback and
 * a nearby proxy answer in well under a millisecond). */
#define PEER_PROBE_MS 20

/* fd: the client's socket (-1: unknown, never gone); http11: the request
 * is HTTP/1.1 or later, so an interim response may probe it. */
bool peer_gone(int fd, bool http11);

#endif
