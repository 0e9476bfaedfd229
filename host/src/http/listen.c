/* The listening socket, and who holds a port when it is taken. */
#include "http/listen.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The inode of a TCP socket listening on port, from /proc/net/tcp or tcp6;
 * 0 when none is found. Lines: "sl local_address rem_address st ... inode". */
static unsigned long listener_inode(const char *table, unsigned port)
{
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
		char local[64], st[8];
		unsigned p;
		unsigned long ino;
		const char *colon;

		if (sscanf(line, "%*s %63s %*s %7s %*s %*s %*s %*s %*s %lu", local, st, &ino) != 3)
			continue;
		colon = strrchr(local, ':');
		if (colon == NULL || sscanf(colon + 1, "%x", &p) != 1)
			continue;
		if (p == port && strcmp(st, "0A") == 0) /* TCP_LISTEN */
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

static int in_use(const struct addrinfo *ai, const char *addr, struct err *err)
{
	unsigned port = 0;
	unsigned long inode;
	char comm[64];
	long pid = 0;

	if (ai->ai_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_port);
	else if (ai->ai_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_port);
	inode = listener_inode("/proc/net/tcp", port);
	if (inode == 0)
		inode = listener_inode("/proc/net/tcp6", port);
	if (inode != 0)
		pid = socket_owner(inode, comm, sizeof(comm));
	if (pid > 0)
		return err_set(
		    err, 0, "cannot listen on %s: address in use by another process (pid %ld, %s)",
		    addr, pid, comm[0] ? comm : "?");
	return err_set(err, 0,
		       "cannot listen on %s: address in use by another process "
		       "(ss -ltnp 'sport = :%u' shows which)",
		       addr, port);
}

int http_listen_socket(const struct addrinfo *ai, const char *addr, struct err *err)
{
	int fd =
	    socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	int one = 1, e;

	if (fd < 0)
		return err_set(err, 0, "cannot listen on %s: socket: %s", addr,
			       strerrordesc_np(errno));
	/* SO_REUSEADDR binds past TIME_WAIT connections of a stopped instance;
	 * on Linux it never lets two sockets listen on one address */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
		return fd;
	e = errno;
	close(fd);
	if (e == EADDRINUSE)
		return in_use(ai, addr, err);
	return err_set(err, 0, "cannot listen on %s: %s", addr, strerrordesc_np(e));
}
