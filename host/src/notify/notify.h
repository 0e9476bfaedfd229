/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Delivery of one-time codes and links (docs/architecture.md).
 *
 * A message is an event name ("otp", "passwordless", "reset", "signup",
 * "signup_exists"),
 * a recipient and a few variables. notify_send renders it with the
 * event's template and puts it on a bounded queue; delivery threads send
 * it through the configured channel, so a slow mail server never holds a
 * worker and the event loop never waits:
 *
 *   smtp     libcurl SMTP (STARTTLS when offered, or required), one mail
 *   webhook  HTTPS POST of a JSON event signed with HMAC-SHA256 in
 *            X-Authsvc-Signature: t=<unix time>,v1=<hex>, over "<t>.<body>"
 *   log      one log line with the message (development only: the server
 *            refuses it unless notify.allow_log_channel is set)
 *
 * A failed attempt is retried (notify.retries, notify.retry_delay apart)
 * and logged; while the channel is failing, or the queue is full,
 * notify_ready/notify_send refuse so the caller answers 503 with
 * Retry-After instead of promising a mail that will not come.
 *
 * Templates: "{{name}}" is replaced by the variable of that name (missing
 * ones by ""); subjects and headers never carry CR or LF.
 *
 * Thread safety: notify_send and notify_ready from any thread.
 */
#ifndef AUTHSVC_NOTIFY_H
#define AUTHSVC_NOTIFY_H

#include <stdbool.h>

#include <jansson.h>

#include "config/config.h"
#include "util/err.h"

struct notifier;

struct notify_to {
	const char *email;    /* may be NULL or "" */
	const char *phone;    /* may be NULL or "" */
	const char *username; /* for templates and webhook events */
};

/* Build the notifier and start its threads. 0 or -1 with err. */
int notify_start(struct notifier **out, const struct config *cfg, struct err *err);
/* A reload (SIGHUP): from the next attempt on, messages go with snap's
 * server, sender, credentials, timeout and retries (notify.from,
 * notify.smtp.*, notify.webhook.*, notify.timeout, notify.retries,
 * notify.retry_delay); the channel, threads, queue and drain stay the
 * start's. Takes its own reference. Any thread. */
struct config_snap;
void notify_reconfigure(struct notifier *n, struct config_snap *snap);

/* Deliver what is queued (up to notify.drain seconds), stop, free. */
void notify_stop(struct notifier *n);

/* Whether a send would be accepted now; when not, *retry_after (seconds)
 * says when to try again. */
bool notify_ready(struct notifier *n, int *retry_after);

/* Whether the configured channel can reach `to` (smtp needs an e-mail
 * address; webhook and log take an e-mail address or a phone number). */
bool notify_can_reach(const struct notifier *n, const struct notify_to *to);

/* Queue a message. vars is borrowed (a JSON object of strings/numbers).
 * 0: queued. -1: refused (queue full, channel failing, no address for the
 * channel: err says which; *retry_after set when trying later may help). */
int notify_send(struct notifier *n, const char *event, const struct notify_to *to,
		const json_t *vars, int *retry_after, struct err *err);
/* notify_send with the templates of tmpl (the request's configuration,
 * which a reload may have changed since the notifier started) instead of
 * the notifier's own; tmpl NULL: the notifier's. The message is rendered
 * here, so tmpl need not outlive the call. */
int notify_send_templates(struct notifier *n, const struct notify_conf *tmpl, const char *event,
			  const struct notify_to *to, const json_t *vars, int *retry_after,
			  struct err *err);

/* The longest rendered subject or body, in bytes. */
#define NOTIFY_TEXT_MAX (64 * 1024)

/* Render a template: {{name}} from vars. Returns malloc'd text, or NULL when
 * out of memory or the text would pass NOTIFY_TEXT_MAX (never a cut text). */
char *notify_render(const char *tmpl, const json_t *vars, bool header);

#endif
