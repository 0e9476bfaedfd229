/* SPDX-License-Identifier: Apache-2.0 */
// The SDK header must compile as C++ (a plugin may be written in C++):
// extern "C" linkage, static_assert instead of _Static_assert, no C-only
// syntax. Built by the abi_header_cxx test with -Wall -Wextra -Werror
// -pedantic.
#include <authsvc/plugin.h>
#include <authsvc/provider.h>

static enum authsvc_status check(void *, void *, struct authsvc_req *, const char *, const char *,
				 struct authsvc_identity *)
{
	return AUTHSVC_DECLINED;
}

static const struct authsvc_password_check_hook password_hooks[] = {{10, check}, {0, nullptr}};

extern const struct authsvc_hooks cxx_hooks;
const struct authsvc_hooks cxx_hooks = {sizeof(struct authsvc_hooks), password_hooks, nullptr,
					nullptr};

static_assert(AUTHSVC_ABI_MAJOR == 1u, "major");
