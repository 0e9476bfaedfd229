/* SPDX-License-Identifier: Apache-2.0 */
/* The listening sockets, and who holds a port when it is taken. */
#include "http/listen.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The local address as /proc/net/tcp and tcp6 print it: the raw 32-bit
 * words of the address in hex, a colon, the port in hex. */
static void proc_addr(const struct addrinfo *ai, char *out, size_t size, unsigned *port)
{
	out[0] = '\0';
	*port = 0;
	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ai->ai_addr;
		uint32_t a;

		memcpy(&a, &sin->sin_addr, sizeof(a));
		*port = ntohs(sin->sin_port);
		snprintf(out, size, "%08X:%04X", a, *port);
	} else if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;
		uint32_t w[4];

		memcpy(w, &sin6->sin6_addr, sizeof(w));
		*port = ntohs(sin6->sin6_port);
		snprintf(out, size, "%08X%08X%08X%08X:%04X", w[0], w[1], w[2], w[3], *port);
	}
}

/* The inode of a TCP socket listening on local (proc_addr's form) that is
 * not one of ours[n]; 0 when there is none. Lines of the table:
 * "sl local_address rem_address st ... inode". */
static unsigned long foreign_listener(const char *table, const char *local,
				      const unsigned long *ours, int n, bool port_only)
{
	const char *want = port_only ? strrchr(local, ':') : local;
	FILE *f = fopen(table, "r");
	char line[512];
	unsigned long inode = 0;

	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL) { /* the header */
		fclose(f);
		return 0;
	}
	while (inode == 0 && fgets(line, sizeof(line), f) != NULL) {
		char addr[64], st[8];
		unsigned long ino;
		bool mine = false;

		if (sscanf(line, "%*s %63s %*s %7s %*s %*s %*s %*s %*s %lu", addr, st, &ino) != 3)
			continue;
		if (strcmp(st, "0A") != 0) /* TCP_LISTEN */
			continue;
		if (port_only
			? strrchr(addr, ':') == NULL || strcasecmp(strrchr(addr, ':'), want) != 0
			: strcasecmp(addr, want) != 0)
			continue;
		for (int i = 0; i < n && !mine; i++)
			mine = ours[i] == ino;
		if (!mine)
			inode = ino;
	}
	fclose(f);
	return inode;
}

/* The pid whose descriptors include socket:[inode] (and its name), or 0.
 * Only processes we may look into are seen: all of them as root, our own
 * user's otherwise. */
static long socket_owner(unsigned long inode, char *comm, size_t commsz)
{
	char want[64], path[PATH_MAX], link[128];
	DIR *proc = opendir("/proc");
	struct dirent *p;
	long found = 0;

	if (proc == NULL)
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (found == 0 && (p = readdir(proc)) != NULL) {
		char *end;
		long pid = strtol(p->d_name, &end, 10);
		DIR *fds;
		struct dirent *fd;

		if (*end != '\0' || pid <= 0 || pid == (long)getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		fds = opendir(path);
		if (fds == NULL)
			continue;
		while (found == 0 && (fd = readdir(fds)) != NULL) {
			ssize_t n;

			if (fd->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/fd/%s", pid, fd->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				if (strcmp(link, want) == 0)
					found = pid;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	comm[0] = '\0';
	if (found > 0) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%ld/comm", found);
		f = fopen(path, "r");
		if (f != NULL) {
			if (fgets(comm, (int)commsz, f) == NULL)
				comm[0] = '\0';
			comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
	}
	return found;
}

/* err: addr is in use by the process holding the listener inode (0:
 * unknown). */
static int in_use(unsigned long inode, unsigned port, const char *addr, struct err *err)
{
	char comm[64];
	long pid = inode != 0 ? socket_owner(inode, comm, sizeof(comm)) : 0;

	if (pid > 0)
		return err_set(
		    err, 0, "cannot listen on %s: address in use by another process (pid %ld, %s)",
		    addr, pid, comm[0] ? comm : "?");
	return err_set(err, 0,
		       "cannot listen on %s: address in use by another process "
		       "(ss -ltnp 'sport = :%u' shows which)",
		       addr, port);
}

static unsigned long any_foreign(const struct addrinfo *ai, const unsigned long *ours, int n,
				 unsigned *port)
{
	char local[64];
	unsigned long inode;

	proc_addr(ai, local, sizeof(local), port);
	if (local[0] == '\0')
		return 0;
	inode = foreign_listener(ai->ai_family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp",
				 local, ours, n, false);
	if (inode == 0 && n == 0) /* a wildcard or other-family listener on the port */
		inode = foreign_listener("/proc/net/tcp", local, NULL, 0, true);
	if (inode == 0 && n == 0)
		inode = foreign_listener("/proc/net/tcp6", local, NULL, 0, true);
	return inode;
}

static int socket_for(const struct addrinfo *ai, bool reuseport, const char *addr, struct err *err)
{
	int fd =
	    socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	int one = 1;

	if (fd < 0)
		return err_set(err, 0, "cannot listen on %s: socket: %s", addr,
			       strerrordesc_np(errno));
	/* SO_REUSEADDR binds past TIME_WAIT connections of a stopped instance;
	 * on Linux it never lets two sockets listen on one address */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)) {
		err_set(err, 0, "cannot listen on %s: %s", addr, strerrordesc_np(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int http_listen_probe(const struct addrinfo *ai, const char *addr, struct err *err)
{
	int fd = socket_for(ai, false, addr, err), e;
	unsigned port = 0;
	unsigned long inode;

	if (fd < 0)
		return -1;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		close(fd);
		return 0;
	}
	e = errno;
	close(fd);
	if (e != EADDRINUSE)
		return err_set(err, 0, "cannot listen on %s: %s", addr, strerrordesc_np(e));
	inode = any_foreign(ai, NULL, 0, &port);
	return in_use(inode, port, addr, err);
}

int http_listen_socket(const struct addrinfo *ai, const char *addr, struct err *err)
{
	int fd = socket_for(ai, true, addr, err), e;
	unsigned port = 0;

	if (fd < 0)
		return -1;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
		return fd;
	e = errno;
	close(fd);
	if (e == EADDRINUSE)
		return in_use(any_foreign(ai, NULL, 0, &port), port, addr, err);
	return err_set(err, 0, "cannot listen on %s: %s", addr, strerrordesc_np(e));
}

int http_listen_only_ours(const struct addrinfo *ai, const char *addr, const int *fds, int n,
			  struct err *err)
{
	unsigned long ours[64], inode;
	unsigned port = 0;
	struct stat st;

	if (n > (int)(sizeof(ours) / sizeof(ours[0])))
		n = (int)(sizeof(ours) / sizeof(ours[0]));
	for (int i = 0; i < n; i++)
		ours[i] = fstat(fds[i], &st) == 0 ? (unsigned long)st.st_ino : 0;
	inode = any_foreign(ai, ours, n, &port);
	if (inode == 0)
		return 0;
	return in_use(inode, port, addr, err);
}
