/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The core's own route handlers, one file per controller of the seed API:
 * handlers_tokens.c (TokensController), handlers_logout.c
 * (LogoutController), handlers_password.c (change-password),
 * handlers_meta.c (health, readiness, JWKS, OpenAPI). Registered by
 * core_routes_register (routes.c). Shared helpers live here.
 */
#ifndef AUTHSVC_CORE_HANDLERS_H
#define AUTHSVC_CORE_HANDLERS_H

#include "authsvc/plugin.h"
#include "http/request.h"
#include "util/err.h"

enum authsvc_status h_token(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_token_refresh(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_token_switch(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_me(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_logout(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_logout_redirect(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_change_password(void *state, void *tstate, struct authsvc_req *req);
/* handlers_reset.c (ForgetPasswordController), handlers_signup.c (SignupController) */
enum authsvc_status h_forget_password(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_verify_reset_link(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_reset_password(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_signup_create_token(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_signup_verify_token(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_signup_create_user(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_signup_fast(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_health(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_ready(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_jwks(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_openapi(void *state, void *tstate, struct authsvc_req *req);

#endif
