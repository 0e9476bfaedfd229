/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bearer authentication (docs/api.md "Requests and errors"): the access token from
 * `Authorization: Bearer …` is verified (algorithm pinned, kid, signature,
 * issuer, purpose "access", expiry), then checked against the in-memory
 * revocation set and passwordExpiryTime. CPU only: runs on the loop thread.
 */
#ifndef AUTHSVC_CORE_BEARER_H
#define AUTHSVC_CORE_BEARER_H

#include <stdbool.h>

#include "http/request.h"

/* The token after "Bearer " (scheme case-insensitive), or NULL. */
const char *bearer_from_header(const char *authorization);

/* true: req->bearer holds the claims; false: the 401 reply is set. */
bool bearer_authenticate(struct authsvc_req *req);

#endif
