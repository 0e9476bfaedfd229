/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The offsets every 1.x reader relies on, on LP64 targets, as X-macros:
 * LAYOUT_10 lists the fields of ABI 1.0 (and the sizes of structs that are
 * array elements or caller-allocated), LAYOUT_11 those 1.1 appended.
 * tests/abi/layout_check.c checks them against the frozen 1.0 and 1.1
 * headers and the current one, so the static assertions at the end of
 * sdk/include/authsvc/plugin.h are shown to match the released headers.
 */
#ifndef AUTHSVC_TESTS_ABI_LAYOUT_H
#define AUTHSVC_TESTS_ABI_LAYOUT_H

#define LAYOUT_10                                                                                  \
	LAYOUT_OFFSET(authsvc_plugin, abi_major, 0)                                                \
	LAYOUT_OFFSET(authsvc_plugin, abi_minor, 4)                                                \
	LAYOUT_OFFSET(authsvc_plugin, size, 8)                                                     \
	LAYOUT_OFFSET(authsvc_plugin, name, 16)                                                    \
	LAYOUT_OFFSET(authsvc_plugin, version, 24)                                                 \
	LAYOUT_OFFSET(authsvc_plugin, settings, 32)                                                \
	LAYOUT_OFFSET(authsvc_plugin, routes, 40)                                                  \
	LAYOUT_OFFSET(authsvc_plugin, hooks, 48)                                                   \
	LAYOUT_OFFSET(authsvc_plugin, init, 56)                                                    \
	LAYOUT_OFFSET(authsvc_plugin, start, 64)                                                   \
	LAYOUT_OFFSET(authsvc_plugin, stop, 72)                                                    \
	LAYOUT_OFFSET(authsvc_plugin, fini, 80)                                                    \
	LAYOUT_OFFSET(authsvc_plugin, thread_init, 88)                                             \
	LAYOUT_OFFSET(authsvc_plugin, thread_fini, 96)                                             \
	LAYOUT_OFFSET(authsvc_plugin, flags, 104)                                                  \
	LAYOUT_OFFSET(authsvc_host, abi_major, 0)                                                  \
	LAYOUT_OFFSET(authsvc_host, abi_minor, 4)                                                  \
	LAYOUT_OFFSET(authsvc_host, size, 8)                                                       \
	LAYOUT_OFFSET(authsvc_host, log, 16)                                                       \
	LAYOUT_OFFSET(authsvc_host, cfg_str, 24)                                                   \
	LAYOUT_OFFSET(authsvc_host, cfg_int, 32)                                                   \
	LAYOUT_OFFSET(authsvc_host, req_body_str, 40)                                              \
	LAYOUT_OFFSET(authsvc_host, req_body, 48)                                                  \
	LAYOUT_OFFSET(authsvc_host, req_query, 56)                                                 \
	LAYOUT_OFFSET(authsvc_host, req_header, 64)                                                \
	LAYOUT_OFFSET(authsvc_host, req_alloc, 72)                                                 \
	LAYOUT_OFFSET(authsvc_host, reply_json, 80)                                                \
	LAYOUT_OFFSET(authsvc_host, reply_redirect, 88)                                            \
	LAYOUT_OFFSET(authsvc_host, reply_error, 96)                                               \
	LAYOUT_OFFSET(authsvc_host, password_verify, 104)                                          \
	LAYOUT_OFFSET(authsvc_host, complete_login, 112)                                           \
	LAYOUT_OFFSET(authsvc_host, random_bytes, 120)                                             \
	LAYOUT_OFFSET(authsvc_host, wipe, 128)                                                     \
	LAYOUT_OFFSET(authsvc_err, code, 0)                                                        \
	LAYOUT_OFFSET(authsvc_err, msg, 4)                                                         \
	LAYOUT_SIZE(authsvc_err, 260)                                                              \
	LAYOUT_OFFSET(authsvc_setting, key, 0)                                                     \
	LAYOUT_OFFSET(authsvc_setting, type, 8)                                                    \
	LAYOUT_OFFSET(authsvc_setting, flags, 12)                                                  \
	LAYOUT_OFFSET(authsvc_setting, def_str, 16)                                                \
	LAYOUT_OFFSET(authsvc_setting, def_int, 24)                                                \
	LAYOUT_OFFSET(authsvc_setting, min, 32)                                                    \
	LAYOUT_OFFSET(authsvc_setting, max, 40)                                                    \
	LAYOUT_OFFSET(authsvc_setting, help, 48)                                                   \
	LAYOUT_SIZE(authsvc_setting, 56)                                                           \
	LAYOUT_OFFSET(authsvc_field, name, 0)                                                      \
	LAYOUT_OFFSET(authsvc_field, type, 8)                                                      \
	LAYOUT_OFFSET(authsvc_field, required, 12)                                                 \
	LAYOUT_SIZE(authsvc_field, 16)                                                             \
	LAYOUT_OFFSET(authsvc_route, method, 0)                                                    \
	LAYOUT_OFFSET(authsvc_route, path, 8)                                                      \
	LAYOUT_OFFSET(authsvc_route, handler, 16)                                                  \
	LAYOUT_OFFSET(authsvc_route, flags, 24)                                                    \
	LAYOUT_OFFSET(authsvc_route, fields, 32)                                                   \
	LAYOUT_SIZE(authsvc_route, 40)                                                             \
	LAYOUT_OFFSET(authsvc_hook, point, 0)                                                      \
	LAYOUT_OFFSET(authsvc_hook, order, 4)                                                      \
	LAYOUT_OFFSET(authsvc_hook, fn, 8)                                                         \
	LAYOUT_SIZE(authsvc_hook, 16)                                                              \
	LAYOUT_OFFSET(authsvc_identity, user_id, 0)                                                \
	LAYOUT_OFFSET(authsvc_identity, username, 40)                                              \
	LAYOUT_OFFSET(authsvc_identity, provider, 200)                                             \
	LAYOUT_SIZE(authsvc_identity, 232)

#define LAYOUT_11                                                                                  \
	LAYOUT_OFFSET(authsvc_host, user_find, 136)                                                \
	LAYOUT_OFFSET(authsvc_host, otp_send, 144)                                                 \
	LAYOUT_OFFSET(authsvc_host, otp_check, 152)                                                \
	LAYOUT_OFFSET(authsvc_host, secret_get, 160)                                               \
	LAYOUT_OFFSET(authsvc_host, secret_set, 168)                                               \
	LAYOUT_OFFSET(authsvc_host, secret_use_step, 176)                                          \
	LAYOUT_OFFSET(authsvc_host, mfa_lookup, 184)

#endif
