/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The notifier: a bounded FIFO of rendered messages and a few delivery
 * threads. A failed attempt is put back with a delay (up to
 * notify.retries more times) and marks the channel as failing for
 * notify.retry_delay seconds; while it fails, sends are refused so the
 * caller can answer 503 instead of queueing mail into a hole.
 */
#include "notify/notify.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "config/reload.h"
#include "log/log.h"
#include "notify/channels.h"
#include "util/hex.h"
#include "util/sbuf.h"

typedef int (*channel_fn)(const struct notify_conf *, const struct notify_msg *, char *, size_t);

struct notifier {
	const struct notify_conf *nc; /* the start's: channel, threads, queue, drain */
	/* the latest reload's (NULL: none yet), under mu: each attempt takes a
	 * reference and sends with its server, sender, timeout and retries */
	struct config_snap *snap;
	channel_fn send;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct notify_msg *head, *tail;
	int count;
	long long failing_until; /* monotonic ms; 0: healthy */
	bool stopping;
	long long drain_deadline;
	pthread_t *threads;
	int nthreads;
};

struct builtin {
	const char *event, *subject, *body;
};

static const struct builtin builtins[] = {
    {"otp", "Your verification code",
     "Hello {{username}},\n\nYour verification code is {{code}}\n\nIt expires in {{minutes}} "
     "minutes. If you did not just sign in, change your password.\n"},
    {"passwordless", "Your sign-in code",
     "Hello {{username}},\n\nYour sign-in code is {{code}}\n\nIt expires in {{minutes}} "
     "minutes. If you did not ask for it, ignore this message.\n"},
    {"reset", "Reset your password",
     "Hello {{username}},\n\nTo choose a new password, open this link:\n{{link}}\n\nIt expires "
     "in {{minutes}} minutes. If you did not ask for it, ignore this message.\n"},
    {"signup", "Finish signing up",
     "Hello,\n\nTo create your account for {{email}}, open this link:\n{{link}}\n\nIt expires in "
     "{{minutes}} minutes. If you did not ask for it, ignore this message.\n"},
    {"signup_exists", "You already have an account",
     "Hello,\n\nSomeone asked to sign up with {{email}}, which already has an account. If it "
     "was you, sign in; if you forgot your password, ask for a reset link on the sign-in "
     "page. If it was not you, ignore this message.\n"},
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- templates ---- */

/* The text of a template variable into sb: a string as it is, an integer
 * in decimal, anything else (or no variable) as "". */
static void add_var(struct sbuf *sb, const json_t *v)
{
	if (json_is_string(v))
		sbuf_addstr(sb, json_string_value(v));
	else if (json_is_integer(v))
		sbuf_addf(sb, "%lld", (long long)json_integer_value(v));
}

char *notify_render(const char *tmpl, const json_t *vars, bool header)
{
	struct sbuf sb;
	char *out;

	sbuf_init_wipe(&sb, NOTIFY_TEXT_MAX); /* codes and links: no copies left behind */
	for (const char *p = tmpl; *p != '\0';) {
		const char *end = p[0] == '{' && p[1] == '{' ? strstr(p + 2, "}}") : NULL;
		char name[64];

		if (end != NULL && (size_t)(end - p - 2) < sizeof(name)) {
			memcpy(name, p + 2, (size_t)(end - p - 2));
			name[end - p - 2] = '\0';
			add_var(&sb, vars != NULL ? json_object_get(vars, name) : NULL);
			p = end + 2;
		} else {
			sbuf_addch(&sb, *p++);
		}
	}
	out = sbuf_detach(&sb, NULL);
	if (out != NULL && header) /* a header never breaks into a second one */
		for (char *c = out; *c != '\0'; c++)
			if (*c == '\r' || *c == '\n')
				*c = ' ';
	return out;
}

static void template_for(const struct notify_conf *nc, const char *event, const char **subject,
			 const char **body)
{
	*subject = "Message from authsvc";
	*body = "{{code}}{{link}}\n";
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].event, event) == 0) {
			*subject = builtins[i].subject;
			*body = builtins[i].body;
		}
	for (size_t i = 0; i < nc->ntemplates; i++)
		if (strcmp(nc->templates[i].event, event) == 0) {
			if (nc->templates[i].subject != NULL)
				*subject = nc->templates[i].subject;
			if (nc->templates[i].body != NULL)
				*body = nc->templates[i].body;
		}
}

/* ---- messages ---- */

static void msg_free(struct notify_msg *m)
{
	if (m == NULL)
		return;
	free(m->event);
	free(m->email);
	free(m->phone);
	free(m->username);
	free(m->subject);
	if (m->text != NULL) {
		OPENSSL_cleanse(m->text, strlen(m->text));
		free(m->text);
	}
	if (m->data != NULL) {
		OPENSSL_cleanse(m->data, strlen(m->data));
		free(m->data);
	}
	free(m);
}

static char *dup0(const char *s)
{
	return strdup(s != NULL ? s : "");
}

static struct notify_msg *msg_build(const struct notify_conf *nc, const char *event,
				    const struct notify_to *to, const json_t *vars)
{
	struct notify_msg *m = calloc(1, sizeof(*m));
	unsigned char rnd[16];
	const char *subject, *body;

	if (m == NULL)
		return NULL;
	template_for(nc, event, &subject, &body);
	m->event = dup0(event);
	m->email = dup0(to->email);
	m->phone = dup0(to->phone);
	m->username = dup0(to->username);
	m->subject = notify_render(subject, vars, true);
	m->text = notify_render(body, vars, false);
	m->data = json_dumps(vars, JSON_COMPACT | JSON_SORT_KEYS);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || m->event == NULL || m->email == NULL ||
	    m->phone == NULL || m->username == NULL || m->subject == NULL || m->text == NULL ||
	    m->data == NULL) {
		msg_free(m);
		return NULL;
	}
	hex_encode(rnd, sizeof(rnd), m->id);
	return m;
}

/* ---- queue and threads ---- */

static void push(struct notifier *n, struct notify_msg *m)
{
	m->next = NULL;
	if (n->tail != NULL)
		n->tail->next = m;
	else
		n->head = m;
	n->tail = m;
	n->count++;
}

/* The first message due now, unlinked; NULL if none. *wait_ms: until the next. */
static struct notify_msg *take_due(struct notifier *n, long long now, long long *wait_ms)
{
	struct notify_msg *prev = NULL;

	*wait_ms = 1000;
	for (struct notify_msg *m = n->head; m != NULL; prev = m, m = m->next) {
		if (m->next_at <= now) {
			if (prev != NULL)
				prev->next = m->next;
			else
				n->head = m->next;
			if (n->tail == m)
				n->tail = prev;
			n->count--;
			return m;
		}
		if (m->next_at - now < *wait_ms)
			*wait_ms = m->next_at - now;
	}
	return NULL;
}

/* The settings of one attempt: the latest reload's, else the start's.
 * The reference returned (NULL for the start's) is dropped after it. */
static struct config_snap *attempt_conf(struct notifier *n, const struct notify_conf **nc)
{
	struct config_snap *s;

	pthread_mutex_lock(&n->mu);
	s = config_snap_ref(n->snap);
	pthread_mutex_unlock(&n->mu);
	*nc = s != NULL ? &config_snap_cfg(s)->notify : n->nc;
	return s;
}

static void deliver_one(struct notifier *n, struct notify_msg *m)
{
	const struct notify_conf *nc;
	struct config_snap *snap = attempt_conf(n, &nc);
	char why[256] = "";
	int rc = n->send(nc, m, why, sizeof(why));
	long long now = now_ms();

	pthread_mutex_lock(&n->mu);
	if (rc == 0) {
		n->failing_until = 0;
		pthread_mutex_unlock(&n->mu);
		log_info("notify: delivered id=%s event=%s channel=%s attempt=%d", m->id, m->event,
			 nc->channel, m->attempts + 1);
		msg_free(m);
		config_snap_unref(snap);
		return;
	}
	m->attempts++;
	n->failing_until = now + (long long)nc->retry_delay_s * 1000;
	if (m->attempts <= nc->retries && !n->stopping) {
		char id[sizeof(m->id)], event[32];
		int attempts = m->attempts;

		memcpy(id, m->id, sizeof(id));
		snprintf(event, sizeof(event), "%s", m->event);
		m->next_at = n->failing_until;
		push(n, m); /* another thread may take it once we unlock */
		pthread_mutex_unlock(&n->mu);
		log_warn("notify: attempt failed, will retry id=%s event=%s channel=%s attempt=%d "
			 "reason=%s retry_in=%ds",
			 id, event, nc->channel, attempts, LOG_Q(why), nc->retry_delay_s);
		config_snap_unref(snap);
		return;
	}
	pthread_mutex_unlock(&n->mu);
	log_error("notify: delivery failed, message dropped id=%s event=%s channel=%s attempts=%d "
		  "reason=%s",
		  m->id, m->event, nc->channel, m->attempts, LOG_Q(why));
	msg_free(m);
	config_snap_unref(snap);
}

void notify_reconfigure(struct notifier *n, struct config_snap *snap)
{
	struct config_snap *old;

	pthread_mutex_lock(&n->mu);
	old = n->snap;
	n->snap = config_snap_ref(snap);
	pthread_mutex_unlock(&n->mu);
	config_snap_unref(old);
}

static void *thread_main(void *arg)
{
	struct notifier *n = arg;

	pthread_mutex_lock(&n->mu);
	for (;;) {
		long long now = now_ms(), wait_ms;
		struct notify_msg *m;
		struct timespec ts;

		if (n->stopping && (n->head == NULL || now >= n->drain_deadline))
			break;
		m = take_due(n, now, &wait_ms);
		if (m != NULL) {
			pthread_mutex_unlock(&n->mu);
			deliver_one(n, m);
			pthread_mutex_lock(&n->mu);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		wait_ms = wait_ms < 1 ? 1 : wait_ms;
		ts.tv_sec += wait_ms / 1000;
		ts.tv_nsec += (wait_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&n->cv, &n->mu, &ts);
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

int notify_start(struct notifier **out, const struct config *cfg, struct err *err)
{
	const struct notify_conf *nc = &cfg->notify;
	struct notifier *n = calloc(1, sizeof(*n));

	*out = NULL;
	if (n == NULL)
		return err_set(err, 0, "out of memory");
	n->nc = nc;
	if (strcmp(nc->channel, "webhook") == 0)
		n->send = channel_webhook_send;
	else if (strcmp(nc->channel, "log") == 0)
		n->send = channel_log_send;
	else
		n->send = channel_smtp_send;
	if (strcmp(nc->channel, "log") == 0)
		log_warn("notify: channel \"log\" writes codes and links to the log; development "
			 "only");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	n->threads = calloc((size_t)nc->threads, sizeof(pthread_t));
	if (n->threads == NULL) {
		free(n);
		return err_set(err, 0, "out of memory");
	}
	for (; n->nthreads < nc->threads; n->nthreads++)
		if (pthread_create(&n->threads[n->nthreads], NULL, thread_main, n) != 0) {
			notify_stop(n);
			return err_set(err, 0, "notify: cannot start a delivery thread");
		}
	*out = n;
	return 0;
}

void notify_stop(struct notifier *n)
{
	int left;

	pthread_mutex_lock(&n->mu);
	n->stopping = true;
	n->drain_deadline = now_ms() + (long long)n->nc->drain_s * 1000;
	pthread_cond_broadcast(&n->cv);
	pthread_mutex_unlock(&n->mu);
	for (int i = 0; i < n->nthreads; i++)
		pthread_join(n->threads[i], NULL);
	left = n->count;
	while (n->head != NULL) {
		struct notify_msg *m = n->head;

		n->head = m->next;
		log_error("notify: undelivered at shutdown id=%s event=%s", m->id, m->event);
		msg_free(m);
	}
	if (left > 0)
		log_error("notify: %d message(s) undelivered at shutdown", left);
	config_snap_unref(n->snap);
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n->threads);
	free(n);
	curl_global_cleanup();
}

static bool ready_locked(struct notifier *n, long long now, int *retry_after)
{
	if (n->stopping) {
		*retry_after = 1;
		return false;
	}
	if (n->count >= n->nc->queue_max) {
		*retry_after = n->nc->retry_delay_s;
		return false;
	}
	if (n->failing_until > now) {
		*retry_after = (int)((n->failing_until - now + 999) / 1000);
		return false;
	}
	return true;
}

bool notify_ready(struct notifier *n, int *retry_after)
{
	bool ok;

	pthread_mutex_lock(&n->mu);
	ok = ready_locked(n, now_ms(), retry_after);
	pthread_mutex_unlock(&n->mu);
	return ok;
}

bool notify_can_reach(const struct notifier *n, const struct notify_to *to)
{
	bool email = to->email != NULL && to->email[0] != '\0';
	bool phone = to->phone != NULL && to->phone[0] != '\0';

	return n->send == channel_smtp_send ? email : email || phone;
}

int notify_send(struct notifier *n, const char *event, const struct notify_to *to,
		const json_t *vars, int *retry_after, struct err *err)
{
	return notify_send_templates(n, NULL, event, to, vars, retry_after, err);
}

int notify_send_templates(struct notifier *n, const struct notify_conf *tmpl, const char *event,
			  const struct notify_to *to, const json_t *vars, int *retry_after,
			  struct err *err)
{
	struct notify_msg *m;
	bool smtp = n->send == channel_smtp_send;
	char id[sizeof(m->id)];

	*retry_after = 0;
	if (smtp && (to->email == NULL || to->email[0] == '\0'))
		return err_set(err, 422, "the user has no e-mail address");
	if ((to->email == NULL || to->email[0] == '\0') &&
	    (to->phone == NULL || to->phone[0] == '\0'))
		return err_set(err, 422, "the user has no e-mail address or phone");
	m = msg_build(tmpl != NULL ? tmpl : n->nc, event, to, vars);
	if (m == NULL)
		return err_set(err, 500, "cannot build the message (out of memory, or too long)");
	pthread_mutex_lock(&n->mu);
	if (!ready_locked(n, now_ms(), retry_after)) {
		pthread_mutex_unlock(&n->mu);
		msg_free(m);
		return err_set(err, 503, "delivery is failing or its queue is full");
	}
	memcpy(id, m->id, sizeof(id));
	m->next_at = 0;
	push(n, m); /* from here on a delivery thread owns m */
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	log_info("notify: queued id=%s event=%s", id, event);
	return 0;
}
