/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The delivery channels behind notify.c. Each sends one rendered message
 * synchronously (on a notifier thread) and returns 0, or -1 with a short
 * reason in why (no secrets: never the body).
 */
#ifndef AUTHSVC_NOTIFY_CHANNELS_H
#define AUTHSVC_NOTIFY_CHANNELS_H

#include <stddef.h>

#include "config/config.h"

struct notify_msg {
	char id[33];	/* random hex, also the Message-ID's local part */
	char *event;	/* "otp", ... */
	char *email;	/* "" when none */
	char *phone;	/* "" when none */
	char *username; /* "" when none */
	char *subject;	/* rendered, no CR/LF */
	char *text;	/* rendered body */
	char *data;	/* the template variables as compact JSON */
	int attempts;
	long long next_at; /* monotonic ms */
	struct notify_msg *next;
};

int channel_smtp_send(const struct notify_conf *nc, const struct notify_msg *m, char *why,
		      size_t whysz);
int channel_webhook_send(const struct notify_conf *nc, const struct notify_msg *m, char *why,
			 size_t whysz);
int channel_log_send(const struct notify_conf *nc, const struct notify_msg *m, char *why,
		     size_t whysz);

#endif
