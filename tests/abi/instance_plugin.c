/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_instance: one .so meant to be loaded several times under different
 * instance names (plugins.a = { file = "test_instance.so"; ... }). Each
 * instance registers GET /test/<instance>/hello through host->route_add
 * in init and answers {"instance": <its name>, "greeting": <its setting>},
 * so a test can tell that each instance kept its own settings and state.
 * With the setting twice = true, init registers its route twice (the
 * host must refuse the second).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <authsvc/plugin.h>

struct instance {
	const struct authsvc_host *host;
	const char *name;     /* borrowed until fini */
	const char *greeting; /* borrowed until fini */
};

static const struct authsvc_setting settings[] = {
    {.key = "greeting", .type = AUTHSVC_SET_STRING, .def_str = "hi", .help = "answered"},
    {.key = "twice", .type = AUTHSVC_SET_BOOL, .def_int = 0, .help = "register the route twice"},
    {0},
};

static enum authsvc_status hello(void *state, void *tstate, struct authsvc_req *req)
{
	const struct instance *in = state;

	(void)tstate;
	in->host->reply_json(
	    req, 200, json_pack("{s:s, s:s}", "instance", in->name, "greeting", in->greeting));
	return AUTHSVC_OK;
}

static int instance_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
			 void **state_out, struct authsvc_err *err)
{
	struct authsvc_route route = {.method = "GET", .handler = hello};
	struct instance *in;
	char path[128];

	if (!AUTHSVC_HAS(struct authsvc_host, host, route_add)) {
		snprintf(err->msg, sizeof(err->msg), "host too old: needs ABI 1.2");
		return -1;
	}
	in = calloc(1, sizeof(*in));
	if (in == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	in->host = host;
	in->name = host->instance_name(cfg);
	in->greeting = host->cfg_str(cfg, "greeting");
	snprintf(path, sizeof(path), "/test/%s/hello", in->name);
	route.path = path; /* copied by the host */
	if (host->route_add(cfg, &route) < 0 ||
	    (host->cfg_int(cfg, "twice") && host->route_add(cfg, &route) < 0)) {
		snprintf(err->msg, sizeof(err->msg), "route %s refused", path);
		free(in);
		return -1;
	}
	*state_out = in;
	return 0;
}

static void instance_fini(void *state)
{
	free(state);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER, .name = "test_instance", .version = "1.0.0",
    .settings = settings,  .init = instance_init,   .fini = instance_fini,
};
