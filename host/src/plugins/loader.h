/*
 * Strategy plugins: loading, checking, settings, lifecycle.
 *
 * plugins_load dlopens every enabled plugin of the config (RTLD_NOW |
 * RTLD_LOCAL), checks the file (root- or own-user-owned, not group/world
 * writable), the descriptor (ABI major equal, minor not newer, size, name,
 * init/fini present), validates the plugin's settings against its schema,
 * runs init with the host API table, and registers its routes. Any
 * refusal is one log line naming the file, and the server does not start.
 * Main thread only. Plugins are never dlclosed while the process runs.
 */
#ifndef AUTHSVC_PLUGINS_LOADER_H
#define AUTHSVC_PLUGINS_LOADER_H

#include <pthread.h>
#include <stddef.h>

#include "authsvc/plugin.h"
#include "config/config.h"
#include "util/err.h"

struct app;
struct worker;

/* The host's side of the opaque struct authsvc_cfg. */
struct authsvc_cfg {
	const struct plugin_conf *pc;
	const struct authsvc_setting *schema;
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
};

struct hook_entry {
	int32_t order;
	authsvc_hook_fn fn;
	struct plugin *plugin;
};

struct plugin_set {
	struct plugin *v;
	size_t n;
	/* hooks by point, sorted by order; built after every plugin loaded */
	struct hook_entry *hooks[AUTHSVC_HOOK_MFA_VERIFY + 1];
	size_t nhooks[AUTHSVC_HOOK_MFA_VERIFY + 1];
};

/* The table handed to every plugin (host/src/plugins/hostapi.c). */
extern const struct authsvc_host host_api;

/* Descriptor checks shared by the loader and plugin-load-check. 0 or -1 + msg. */
int plugin_check_descriptor(const struct authsvc_plugin *p, char *msg, size_t msgsz);
/* Settings check against the schema; 0 or -1 + msg. */
int plugin_check_settings(const struct authsvc_plugin *p, const struct plugin_conf *pc, char *msg,
			  size_t msgsz);
/* dlopen + symbol + descriptor checks only (no init): for --list-plugins and tests. */
int plugin_open(const char *file, void **dl_out, const struct authsvc_plugin **desc_out, char *msg,
		size_t msgsz);

int plugins_load(struct app *app, const struct config *cfg, struct plugin_set **out,
		 struct err *err);
int plugins_start(struct plugin_set *set, struct err *err);
/* Run the hooks of a point in order; see the SDK header for each point's
 * rules. Returns the first answer that is not DECLINED, or DECLINED. */
enum authsvc_status plugins_run_hooks(struct plugin_set *set, uint32_t point,
				      struct authsvc_req *req, const char *username,
				      const char *secret, struct authsvc_identity *who);
void plugins_thread_init(struct plugin_set *set, struct worker *w);
void plugins_thread_fini(struct plugin_set *set, struct worker *w);
/* stop + fini every plugin (reverse order) and free the set. */
void plugins_unload(struct plugin_set *set);

#endif
