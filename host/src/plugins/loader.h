/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strategy plugins: loading, checking, settings, lifecycle.
 *
 * plugins_load dlopens every enabled plugin instance of the config
 * (RTLD_NOW | RTLD_LOCAL), checks the file (root- or own-user-owned, not
 * group/world writable), the descriptor (ABI major equal, minor not newer,
 * size, name, init/fini present), validates the instance's settings
 * against its schema, registers its routes, runs init with the host API
 * table the caller passes (routes added through host->route_add during
 * init are registered too), and finally fills app->hooks (core/hooks.h)
 * with every instance's hooks. An instance is a group under `plugins`:
 * one .so may be loaded as several instances, each with its own settings
 * and state; instance names are unique. Any refusal is one log line naming
 * the file, and the server does not start. Main thread only. Plugins are
 * never dlclosed while the process runs.
 */
#ifndef AUTHSVC_PLUGINS_LOADER_H
#define AUTHSVC_PLUGINS_LOADER_H

#include <pthread.h>
#include <stddef.h>

#include "authsvc/plugin.h"
#include "config/config.h"
#include "core/hooks.h"
#include "util/err.h"

struct app;
struct worker;

struct plugin;

/* The host's side of the opaque struct authsvc_cfg: one per instance. */
struct authsvc_cfg {
	const struct plugin_conf *pc; /* pc->name is the instance name */
	const struct authsvc_setting *schema;
	struct plugin *pl; /* the instance, for host->route_add */
};

struct plugin {
	char *file;
	void *dl;
	const struct authsvc_plugin *desc;
	void *state;
	struct authsvc_cfg cfg;
	int index;
	int started;
	pthread_mutex_t serial; /* for AUTHSVC_PLUGIN_THREAD_UNSAFE */
	int serial_init;
	struct app *app;	 /* set while init runs: route_add works only then */
	char route_msg[200];	 /* the first route_add refusal; "" when none */
	struct hook_owner owner; /* what app->hooks entries of this instance name */
	char **paths;		 /* copies of the method and path strings of route_add */
	size_t npaths;
};

struct plugin_set {
	struct plugin *v;
	size_t n;
	struct hook_table *hooks; /* the table this set filled (app->hooks) */
};

/* The table handed to every plugin (host/src/plugins/hostapi.c). */
extern const struct authsvc_host host_api;

/* host->route_add: register a route of the instance whose init is running.
 * 0, or -1 with pl->route_msg set. */
int plugin_route_add(struct plugin *pl, const struct authsvc_route *r);

/* Descriptor checks shared by the loader and plugin-load-check. 0 or -1 + msg. */
int plugin_check_descriptor(const struct authsvc_plugin *p, char *msg, size_t msgsz);
/* Settings check against the schema; 0 or -1 + msg. */
int plugin_check_settings(const struct authsvc_plugin *p, const struct plugin_conf *pc, char *msg,
			  size_t msgsz);
/* dlopen + symbol + descriptor checks only (no init): for --list-plugins and tests. */
int plugin_open(const char *file, void **dl_out, const struct authsvc_plugin **desc_out, char *msg,
		size_t msgsz);

/* host is the table every plugin's init receives and keeps (the server
 * passes host_api). On -1 *out may hold a partly loaded set: unload it. */
int plugins_load(struct app *app, const struct authsvc_host *host, const struct config *cfg,
		 struct plugin_set **out, struct err *err);
int plugins_start(struct plugin_set *set, struct err *err);
void plugins_thread_init(struct plugin_set *set, struct worker *w);
void plugins_thread_fini(struct plugin_set *set, struct worker *w);
/* stop + fini every plugin (reverse order), empty the hook table it filled
 * and free the set. */
void plugins_unload(struct plugin_set *set);

#endif
