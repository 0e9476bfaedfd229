/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sending codes and links from a request: the send rate limits and the
 * hand-over to the notifier (notify/notify.h). Flows that must not reveal
 * whether an account exists call core_delivery_ready and core_send_limit
 * for known and unknown users alike, and core_deliver only for known ones.
 * Workers only.
 */
#ifndef AUTHSVC_CORE_DELIVER_H
#define AUTHSVC_CORE_DELIVER_H

#include "authsvc/plugin.h"
#include "notify/notify.h"

/* Count one send of `what` ("otp", "pwl", "reset", "signup") against the
 * subject (a username or e-mail, lower-cased; NULL: none) and against the
 * client address, per notify.send_per_user / send_per_ip / send_window.
 * OK, THROTTLED (req->retry_after set), UNAVAILABLE (database). */
enum authsvc_status core_send_limit(struct authsvc_req *req, const char *what, const char *subject);

/* OK when the notifier would take a message now; UNAVAILABLE (Retry-After
 * set) while its channel is failing or its queue is full. */
enum authsvc_status core_delivery_ready(struct authsvc_req *req);

/* Queue event for `to`; vars borrowed. OK or UNAVAILABLE (logged, Retry-After set). */
enum authsvc_status core_deliver(struct authsvc_req *req, const char *event,
				 const struct notify_to *to, const json_t *vars);

#endif
