/* SPDX-License-Identifier: Apache-2.0 */
/*
 * outbound/fetch's network behaviour against a loopback HTTP server run by
 * the test (a thread with a listening socket): the response size cap (an
 * answer over it is a 502, never a truncated body), connection refused
 * (502), the total timeout (504), https required except for http on
 * loopback with allow_http, and redirects not followed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "outbound/fetch.h"

/* One connection's worth of answer: head and body are written after the
 * request has been read; with hold set, the server then waits until the
 * client gives up and closes (the timeout case), without any sleep. */
struct peer {
	int lfd;
	int port;
	const char *head;
	const char *body;
	size_t body_len;
	bool hold;
	int requests; /* requests read (one per connection) */
	char first_line[256];
	pthread_t thread;
};

static int listen_loopback(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return; /* the client went away: what the cap case does */
		p += w;
		n -= (size_t)w;
	}
}

static void *serve_one(void *arg)
{
	struct peer *p = arg;
	char buf[4096];
	size_t got = 0;
	int fd = accept(p->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	while (got < sizeof(buf) - 1) {
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL) {
			const char *eol = strstr(buf, "\r\n");
			size_t n = (size_t)(eol - buf);

			if (n >= sizeof(p->first_line))
				n = sizeof(p->first_line) - 1;
			memcpy(p->first_line, buf, n);
			p->first_line[n] = '\0';
			p->requests++;
			break;
		}
	}
	write_all(fd, p->head, strlen(p->head));
	if (p->body != NULL)
		write_all(fd, p->body, p->body_len);
	if (p->hold)
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			; /* until the client closes */
	close(fd);
	return NULL;
}

static void peer_start(struct peer *p, const char *head, const char *body, size_t body_len,
		       bool hold)
{
	memset(p, 0, sizeof(*p));
	p->lfd = listen_loopback(&p->port);
	assert_int_equal(listen(p->lfd, 4), 0);
	p->head = head;
	p->body = body;
	p->body_len = body_len;
	p->hold = hold;
	assert_int_equal(pthread_create(&p->thread, NULL, serve_one, p), 0);
}

static void peer_join(struct peer *p)
{
	assert_int_equal(pthread_join(p->thread, NULL), 0);
	close(p->lfd);
}

static int fetch(const struct outbound_opts *o, const char *url, struct outbound_resp *r,
		 struct err *e)
{
	memset(e, 0, sizeof(*e));
	return outbound_fetch(o, url, NULL, NULL, NULL, NULL, r, e);
}

static void url_for(char *buf, size_t n, const char *scheme, const char *host, int port)
{
	snprintf(buf, n, "%s://%s:%d/x", scheme, host, port);
}

static void test_plain_answer_is_read_whole(void **state)
{
	static const char body[] = "{\"ok\":true}";
	struct outbound_opts o = {.allow_http = true};
	struct outbound_resp r;
	struct err e;
	struct peer p;
	char url[64];

	(void)state;
	peer_start(&p,
		   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		   "Content-Length: 11\r\nConnection: close\r\n\r\n",
		   body, strlen(body), false);
	url_for(url, sizeof(url), "http", "127.0.0.1", p.port);
	assert_int_equal(fetch(&o, url, &r, &e), 0);
	peer_join(&p);
	assert_int_equal(r.status, 200);
	assert_string_equal(sbuf_str(&r.body), body);
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(p.first_line, "GET /x HTTP/1.1");
	outbound_resp_release(&r);
}

/* An answer one byte over the cap is refused (502), with or without a
 * Content-Length; one exactly at the cap is kept. */
static void test_answer_over_the_cap_is_a_502(void **state)
{
	static char big[1025];
	static const char *heads[] = {
	    "HTTP/1.1 200 OK\r\nContent-Length: 1025\r\nConnection: close\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", /* read to the close */
	};
	struct outbound_opts o = {.allow_http = true, .max_response = 1024};
	struct outbound_resp r;
	struct err e;
	struct peer p;
	char url[64];

	(void)state;
	memset(big, 'a', sizeof(big));
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		peer_start(&p, heads[i], big, sizeof(big), false);
		url_for(url, sizeof(url), "http", "127.0.0.1", p.port);
		assert_int_equal(fetch(&o, url, &r, &e), -1);
		peer_join(&p);
		assert_int_equal(e.code, 502);
		assert_non_null(strstr(e.msg, "too large"));
		assert_null(r.body.buf); /* released, not a truncated body */
	}
	peer_start(&p, "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nConnection: close\r\n\r\n", big,
		   1024, false);
	url_for(url, sizeof(url), "http", "127.0.0.1", p.port);
	assert_int_equal(fetch(&o, url, &r, &e), 0);
	peer_join(&p);
	assert_int_equal(r.body.len, 1024);
	outbound_resp_release(&r);
}

/* A bound port nobody listens on refuses the connection: 502. */
static void test_connection_refused_is_a_502(void **state)
{
	struct outbound_opts o = {.allow_http = true};
	struct outbound_resp r;
	struct err e;
	char url[64];
	int port, fd = listen_loopback(&port); /* bound, not listening */

	(void)state;
	url_for(url, sizeof(url), "http", "127.0.0.1", port);
	assert_int_equal(fetch(&o, url, &r, &e), -1);
	close(fd);
	assert_int_equal(e.code, 502);
	assert_non_null(strstr(e.msg, "unreachable"));
	assert_null(r.body.buf);
}

/* A server that sends the head and then nothing hits the total timeout: 504. */
static void test_slow_answer_is_a_504(void **state)
{
	struct outbound_opts o = {.allow_http = true, .timeout_ms = 300};
	struct outbound_resp r;
	struct err e;
	struct peer p;
	char url[64];

	(void)state;
	peer_start(&p, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{", NULL, 0, true);
	url_for(url, sizeof(url), "http", "127.0.0.1", p.port);
	assert_int_equal(fetch(&o, url, &r, &e), -1);
	peer_join(&p);
	assert_int_equal(e.code, 504);
	assert_null(r.body.buf);
}

/* http is refused (400, nothing sent) without allow_http, and for any
 * host that is not loopback even with it; https is refused for nothing. */
static void test_http_only_on_loopback_with_allow_http(void **state)
{
	struct outbound_opts strict = {0}, lax = {.allow_http = true};
	struct outbound_resp r;
	struct err e;
	char url[64];
	int port, fd = listen_loopback(&port);

	(void)state;
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	url_for(url, sizeof(url), "http", "127.0.0.1", port);
	assert_int_equal(fetch(&strict, url, &r, &e), -1);
	assert_int_equal(e.code, 400);
	url_for(url, sizeof(url), "http", "localhost", port);
	assert_int_equal(fetch(&strict, url, &r, &e), -1);
	assert_int_equal(e.code, 400);
	/* nothing reached the server */
	assert_int_equal(accept(fd, NULL, NULL), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	close(fd);
	for (size_t i = 0; i < 3; i++) {
		static const char *hosts[] = {"example.com", "10.0.0.1", "127.0.0.1.example.com"};

		url_for(url, sizeof(url), "http", hosts[i], 80);
		assert_int_equal(fetch(&lax, url, &r, &e), -1);
		assert_int_equal(e.code, 400);
		assert_null(r.body.buf);
	}
}

/* A 302 is handed to the caller as it is: the Location is not fetched. */
static void test_redirects_are_not_followed(void **state)
{
	struct outbound_opts o = {.allow_http = true};
	struct outbound_resp r;
	struct err e;
	struct peer p, target;
	char head[160], url[64];

	(void)state;
	/* the redirect's target: a listening socket that must see no request */
	peer_start(&target, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", NULL, 0, false);
	snprintf(head, sizeof(head),
		 "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/y\r\n"
		 "Content-Length: 0\r\nConnection: close\r\n\r\n",
		 target.port);
	peer_start(&p, head, NULL, 0, false);
	url_for(url, sizeof(url), "http", "127.0.0.1", p.port);
	assert_int_equal(fetch(&o, url, &r, &e), 0);
	peer_join(&p);
	assert_int_equal(r.status, 302);
	assert_int_equal(p.requests, 1);
	outbound_resp_release(&r);
	/* release the target's thread with a connection of our own, then check
	 * that ours was the only one it saw */
	{
		struct sockaddr_in a = {.sin_family = AF_INET};
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons((uint16_t)target.port);
		assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		write_all(fd, "PROBE / HTTP/1.1\r\n\r\n", 20);
		peer_join(&target);
		close(fd);
	}
	assert_string_equal(target.first_line, "PROBE / HTTP/1.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_answer_is_read_whole),
	    cmocka_unit_test(test_answer_over_the_cap_is_a_502),
	    cmocka_unit_test(test_connection_refused_is_a_502),
	    cmocka_unit_test(test_slow_answer_is_a_504),
	    cmocka_unit_test(test_http_only_on_loopback_with_allow_http),
	    cmocka_unit_test(test_redirects_are_not_followed),
	};
	/* the test's server is on loopback: no proxy in between */
	static const char *proxies[] = {"http_proxy",  "https_proxy", "HTTP_PROXY",
					"HTTPS_PROXY", "all_proxy",   "ALL_PROXY"};

	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	outbound_init(4);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
