/* SPDX-License-Identifier: Apache-2.0 */
#include "core/deliver.h"

#include <stdio.h>
#include <string.h>

#include "core/app.h"
#include "core/issue.h"
#include "http/request.h"
#include "http/workers.h"
#include "log/log.h"
#include "store/ratelimit.h"

enum authsvc_status core_send_limit(struct authsvc_req *req, const char *what, const char *subject)
{
	const struct notify_conf *nc = &req->cfg->notify;
	struct db *db = &req->worker->db;
	char kind[24], ip[64];
	struct err err = {0};
	int left;

	core_client_ip(req, ip, sizeof(ip));
	if (subject != NULL && *subject != '\0') {
		snprintf(kind, sizeof(kind), "%s_u", what);
		left =
		    store_send_take(db, kind, subject, nc->send_per_user, nc->send_window_s, &err);
		if (left != 0)
			goto limited;
	}
	snprintf(kind, sizeof(kind), "%s_ip", what);
	left = store_send_take(db, kind, ip, nc->send_per_ip, nc->send_window_s, &err);
	if (left == 0)
		return AUTHSVC_OK;
limited:
	if (left < 0)
		return AUTHSVC_UNAVAILABLE;
	req->retry_after = left;
	log_info("send limit reached what=%s kind=%s retry_after=%d", what, kind, left);
	return AUTHSVC_THROTTLED;
}

enum authsvc_status core_delivery_ready(struct authsvc_req *req)
{
	int retry = 0;

	if (notify_ready(req->app->notifier, &retry))
		return AUTHSVC_OK;
	req->retry_after = retry > 0 ? retry : 1;
	return AUTHSVC_UNAVAILABLE;
}

enum authsvc_status core_deliver(struct authsvc_req *req, const char *event,
				 const struct notify_to *to, const json_t *vars)
{
	struct err err = {0};
	int retry = 0;

	/* the templates of the request's configuration: they change on reload */
	if (notify_send_templates(req->app->notifier, &req->cfg->notify, event, to, vars, &retry,
				  &err) == 0)
		return AUTHSVC_OK;
	log_warn("notify: not queued event=%s reason=%s", event, LOG_Q(err.msg));
	req->retry_after = retry > 0 ? retry : 1;
	return AUTHSVC_UNAVAILABLE;
}
