/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The brute-force throttle every guess at a secret goes through: the
 * password (login, the host API's password_verify), change-password's
 * oldPassword, and the one-time codes (verify-otp, the OTP plugins).
 * docs/security.md says why it is built this way.
 *
 * An attempt is counted before it is judged (core_throttle_begin), on
 * - the pair: the account from this address, or from this device when the
 *   client presents a live device token for the account
 *   (bruteforce.account_max_failures per window, then a lockout of that
 *   pair only);
 * - the address (bruteforce.ip_max_failures);
 * - the account-wide rate (bruteforce.account_rate per window), for
 *   clients without a device token only, so guesses from any number of
 *   addresses are bounded and a device that logged in before is not held.
 * Its verdict then settles the counts (core_throttle_end): a failure
 * stays counted, a success clears the pair and hands the rest back, any
 * other outcome hands everything back. A count that cannot be written
 * fails closed (503). Workers only.
 */
#ifndef AUTHSVC_CORE_THROTTLE_H
#define AUTHSVC_CORE_THROTTLE_H

#include <stdbool.h>

#include "authsvc/plugin.h"
#include "http/request.h"
#include "store/db.h"
#include "store/users.h"

struct throttle {
	bool on;
	char account[VARCHAR150_BUF]; /* the name tried, lowercased, never cut */
	char pair[VARCHAR150_BUF + 80];
	char ip[64];
	char device_hash[65]; /* of the live device token presented, or "" */
	bool took_pair, took_ip, took_rate;
};

/* AUTHSVC_OK: go on and judge the attempt; AUTHSVC_THROTTLED with
 * req->retry_after set; or the status of a store failure (logged). Sets
 * req->device_known. */
enum authsvc_status core_throttle_begin(struct authsvc_req *req, struct db *db, const char *account,
					struct throttle *th);
/* Settle the attempt by its verdict: AUTHSVC_OK a success, AUTHSVC_DENIED
 * or AUTHSVC_NOT_FOUND a failure, anything else neither. Returns AUTHSVC_OK,
 * or a store status when the counters cannot be written. */
enum authsvc_status core_throttle_end(struct authsvc_req *req, struct db *db, struct throttle *th,
				      enum authsvc_status verdict);

/* After a successful login: a new device token for user_id, unless the
 * client presented a live one, sent as X-Device-Token and as the cookie
 * authsvc_device. A token that cannot be stored is logged and not sent:
 * the login itself stands. */
void core_device_issue(struct authsvc_req *req, struct db *db, const char *user_id);

#endif
