/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Password checks for strategies: the host API's password_verify, with
 * the PASSWORD_CHECK hooks and the brute-force counters around the
 * built-in check. How a login then ends is finish.h.
 *
 * Workers only (database, hashing).
 */
#ifndef AUTHSVC_CORE_LOGIN_H
#define AUTHSVC_CORE_LOGIN_H

#include "authsvc/plugin.h"

/* The host API's password_verify: constant time for unknown users; an
 * outdated hash (bcrypt, other argon2 cost) is re-hashed on success. */
enum authsvc_status core_password_verify(struct authsvc_req *req, const char *username,
					 const char *password, struct authsvc_identity *who_out);

#endif
