/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request pipeline shared by every route, core or plugin (docs/api.md
 * "Requests and errors"): body validation and bearer authentication + permission (loop
 * thread, pipeline_front), then client authentication and the handler
 * (pipeline_run, on a worker or, for ROUTE_ON_LOOP routes, the loop).
 * Whatever the handler returns ends as exactly one reply on req.
 */
#ifndef AUTHSVC_CORE_PIPELINE_H
#define AUTHSVC_CORE_PIPELINE_H

#include <stdbool.h>

#include "http/request.h"

struct worker;

/* false when the request already has its (error) reply. Loop thread. */
bool pipeline_front(struct authsvc_req *req);
/* w is NULL on the loop thread. */
void pipeline_run(struct authsvc_req *req, struct worker *w);

#endif
