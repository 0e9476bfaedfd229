/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One-time codes and per-user secrets as the host API offers them to
 * plugins (ABI 1.1: user_find, otp_send, otp_check, secret_get,
 * secret_set, secret_use_step), and the host API's mfa_lookup and
 * POST /auth/verify-otp (mfa.c; the gate itself is mfa_gate.h).
 * Workers only.
 */
#ifndef AUTHSVC_CORE_OTP_H
#define AUTHSVC_CORE_OTP_H

#include <stdbool.h>

#include "authsvc/plugin.h"
#include "store/contacts.h"
#include "store/db.h"
#include "store/users.h"

enum authsvc_status core_user_find(struct authsvc_req *req, const char *username,
				   struct authsvc_identity *who_out);
/* The host API's otp_send_ex and otp_check_ex (flags: enum authsvc_otp_flags). */
enum authsvc_status core_otp_send(struct authsvc_req *req, const char *space, const char *key,
				  uint32_t flags);
enum authsvc_status core_otp_check(struct authsvc_req *req, const char *space, const char *key,
				   const char *otp, uint32_t flags,
				   struct authsvc_identity *who_out);
enum authsvc_status core_secret_get(struct authsvc_req *req, const char *user_id, const char *kind,
				    char *buf, size_t bufsz, int *confirmed);
enum authsvc_status core_secret_set(struct authsvc_req *req, const char *user_id, const char *kind,
				    const char *secret);
enum authsvc_status core_secret_use_step(struct authsvc_req *req, const char *user_id,
					 const char *kind, int64_t step);

/* A code per the [otp] settings and its hash for space/key. */
enum authsvc_status core_otp_make(struct authsvc_req *req, const char *space, const char *key,
				  char code[16], char hash[65]);
/* Queue code to c with the event's template; wipes code. */
enum authsvc_status core_otp_deliver(struct authsvc_req *req, const char *event,
				     const struct user_contact *c, char code[16]);
/* Set req->client to the client of that id (a code's stored client). */
enum authsvc_status core_use_client(struct authsvc_req *req, const char *client_id);

/* ---- mfa.c ---- */

/* The host API's mfa_lookup. */
enum authsvc_status core_mfa_lookup(struct authsvc_req *req, const char *code,
				    const char *client_id, struct authsvc_identity *who_out);
/* POST /auth/verify-otp. */
enum authsvc_status h_verify_otp(void *state, void *tstate, struct authsvc_req *req);

#endif
