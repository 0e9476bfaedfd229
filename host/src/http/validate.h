/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request body validation against a route's field schema (LoopBack's
 * closed request models): a missing required field, a field of the wrong
 * type, or (unless the model is open) an unknown field gives 422 with the
 * VALIDATION_FAILED envelope. Runs on the loop thread before anything
 * else looks at the request, so `{}` gets 422 before client credentials
 * are checked (docs/api.md "Requests and errors").
 */
#ifndef AUTHSVC_HTTP_VALIDATE_H
#define AUTHSVC_HTTP_VALIDATE_H

#include <stdbool.h>

#include "authsvc/plugin.h"
#include "http/request.h"

/* true when the body passes; otherwise the 422 reply is set on req. */
bool http_body_validate(struct authsvc_req *req, const struct authsvc_field *fields, bool open);

#endif
