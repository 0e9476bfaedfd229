/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MFA gate: whether a login needs a second factor (mfa.mode, the
 * listed clients, the user's own switch), and stopping the login there
 * with an MFA-flagged code, which /auth/token refuses; with mfa.method
 * "otp" a code is sent too. The MFA transaction (otp_pending, space
 * 'mfa', key = the user id) is what /auth/verify-otp (mfa.c) checks.
 * Called by finish.c only; calls nothing above it. Workers only.
 */
#ifndef AUTHSVC_CORE_MFA_GATE_H
#define AUTHSVC_CORE_MFA_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "authsvc/plugin.h"
#include "store/db.h"
#include "store/users.h"

/* true when mfa.method is "otp" (a code sent to the user), false for
 * "totp" (the MFA_VERIFY hooks). */
bool core_mfa_method_otp(const struct authsvc_req *req);
/* true when the MFA gate holds this login back (mfa.mode, clients, user flag). */
bool core_mfa_applies(struct authsvc_req *req, const struct user_ctx *u);
/* Stop a login at the gate: an MFA-flagged code (and an OTP sent when
 * mfa.method = "otp"), or 401 for a direct-token login. Replies. */
enum authsvc_status core_mfa_begin(struct authsvc_req *req, struct db *db, const struct user_ctx *u,
				   uint32_t flags);
/* true when hash is an MFA-flagged code (for /auth/token's message). */
bool core_mfa_code_known(struct db *db, const char *code_hash);

#endif
