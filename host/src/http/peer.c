/* SPDX-License-Identifier: Apache-2.0 */
/* Whether a queued request's client is still there (peer.h). */
#include "http/peer.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

static const char probe[] = "HTTP/1.1 100 Continue\r\n\r\n";

static bool socket_failed(ssize_t n)
{
	return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

bool peer_gone(int fd, bool http11)
{
	struct pollfd p = {.fd = fd, .events = 0};
	char c;
	ssize_t n;

	if (fd < 0)
		return false;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n != 0)
		return socket_failed(n);
	/* end of stream: a half-close or a close */
	if (!http11)
		return false;
	n = send(fd, probe, sizeof(probe) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (socket_failed(n))
		return true;
	/* events 0: only POLLERR and POLLHUP, which a reset raises; a peer that
	 * only shut its side down leaves both clear until the timeout */
	if (poll(&p, 1, PEER_PROBE_MS) > 0 && (p.revents & (POLLERR | POLLHUP)) != 0)
		return true;
	return false;
}
