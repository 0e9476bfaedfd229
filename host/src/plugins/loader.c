/* SPDX-License-Identifier: Apache-2.0 */
#include "plugins/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/app.h"
#include "http/router.h"
#include "http/workers.h"
#include "log/log.h"

static int route_check(const struct authsvc_route *r, char *msg, size_t msgsz)
{
	if (r->method == NULL || r->path == NULL || r->path[0] != '/' || r->handler == NULL ||
	    http_method_parse(r->method) == M_OTHER) {
		snprintf(msg, msgsz, "invalid route %s", r->path ? r->path : "(null)");
		return -1;
	}
	if (r->flags >> 16) {
		snprintf(msg, msgsz, "route %s uses reserved flags", r->path);
		return -1;
	}
	return 0;
}

int plugin_check_descriptor(const struct authsvc_plugin *p, char *msg, size_t msgsz)
{
	if (p->abi_major != AUTHSVC_ABI_MAJOR || p->abi_minor > AUTHSVC_ABI_MINOR) {
		snprintf(msg, msgsz, "abi %u.%u, host %u.%u", p->abi_major, p->abi_minor,
			 AUTHSVC_ABI_MAJOR, AUTHSVC_ABI_MINOR);
		return -1;
	}
	if (!AUTHSVC_HAS(struct authsvc_plugin, p, flags) || p->init == NULL || p->fini == NULL) {
		snprintf(msg, msgsz, "incomplete descriptor");
		return -1;
	}
	if (p->name == NULL || p->name[0] == '\0' || strlen(p->name) > 64 || p->version == NULL) {
		snprintf(msg, msgsz, "descriptor without name or version");
		return -1;
	}
	for (const struct authsvc_hook *h = p->hooks; h != NULL && h->point != AUTHSVC_HOOK_END;
	     h++) {
		if (h->point > AUTHSVC_HOOK_MFA_VERIFY || h->fn == NULL) {
			snprintf(msg, msgsz, "invalid hook point %u", h->point);
			return -1;
		}
	}
	/* a forgotten AUTHSVC_HOOKS_HEADER would silently drop every typed hook */
	if (AUTHSVC_HAS(struct authsvc_plugin, p, typed_hooks) && p->typed_hooks != NULL &&
	    !AUTHSVC_HAS(struct authsvc_hooks, p->typed_hooks, password_check)) {
		snprintf(msg, msgsz, "typed_hooks without size (AUTHSVC_HOOKS_HEADER)");
		return -1;
	}
	for (const struct authsvc_route *r = p->routes; r != NULL && r->method != NULL; r++) {
		if (route_check(r, msg, msgsz) < 0)
			return -1;
		for (const struct authsvc_route *q = p->routes; q != r; q++) {
			if (strcmp(q->method, r->method) == 0 && strcmp(q->path, r->path) == 0) {
				snprintf(msg, msgsz, "duplicate route %s %s", r->method, r->path);
				return -1;
			}
		}
	}
	return 0;
}

static const struct authsvc_setting *schema_find(const struct authsvc_setting *s, const char *key)
{
	for (; s != NULL && s->key != NULL; s++)
		if (strcmp(s->key, key) == 0)
			return s;
	return NULL;
}

static int check_one(const struct authsvc_setting *s, const struct plugin_conf *pc, char *msg,
		     size_t msgsz)
{
	const char *str;
	int64_t i;
	bool b;
	int rc;

	switch (s->type) {
	case AUTHSVC_SET_STRING:
		rc = config_plugin_str(pc, s->key, &str);
		break;
	case AUTHSVC_SET_INT:
		rc = config_plugin_int(pc, s->key, &i);
		if (rc == 0 && s->min <= s->max && (i < s->min || i > s->max)) {
			snprintf(msg, msgsz, "setting %s must be between %lld and %lld", s->key,
				 (long long)s->min, (long long)s->max);
			return -1;
		}
		break;
	case AUTHSVC_SET_BOOL:
		rc = config_plugin_bool(pc, s->key, &b);
		break;
	default:
		snprintf(msg, msgsz, "setting %s has an unknown type", s->key);
		return -1;
	}
	if (rc < 0) {
		snprintf(msg, msgsz, "setting %s has the wrong type", s->key);
		return -1;
	}
	if (rc == 1 && (s->flags & AUTHSVC_SET_REQUIRED)) {
		snprintf(msg, msgsz, "setting %s is required", s->key);
		return -1;
	}
	return 0;
}

int plugin_check_settings(const struct authsvc_plugin *p, const struct plugin_conf *pc, char *msg,
			  size_t msgsz)
{
	const char *names[128];
	size_t n = config_plugin_keys(pc, names, 128);

	for (size_t i = 0; i < n; i++) {
		char base[128];
		size_t len = strlen(names[i]);
		const struct authsvc_setting *s = schema_find(p->settings, names[i]);

		if (s == NULL && len > 4 && strcmp(names[i] + len - 4, "_env") == 0 &&
		    len - 4 < sizeof(base)) {
			memcpy(base, names[i], len - 4);
			base[len - 4] = '\0';
			s = schema_find(p->settings, base);
			if (s != NULL && !(s->flags & AUTHSVC_SET_SECRET))
				s = NULL;
		}
		if (s == NULL) {
			snprintf(msg, msgsz, "unknown setting %s", names[i]);
			return -1;
		}
	}
	for (const struct authsvc_setting *s = p->settings; s != NULL && s->key != NULL; s++)
		if (check_one(s, pc, msg, msgsz) < 0)
			return -1;
	return 0;
}

static int file_check(const char *file, char *msg, size_t msgsz)
{
	struct stat st;

	if (stat(file, &st) < 0) {
		snprintf(msg, msgsz, "cannot read file: %s", err_file_reason(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, msgsz, "not a regular file");
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(msg, msgsz, "file is group- or world-writable");
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(msg, msgsz, "file owned by another user");
		return -1;
	}
	return 0;
}

int plugin_open(const char *file, void **dl_out, const struct authsvc_plugin **desc_out, char *msg,
		size_t msgsz)
{
	const struct authsvc_plugin *desc;
	void *dl;

	if (file_check(file, msg, msgsz) < 0)
		return -1;
	dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		snprintf(msg, msgsz, "dlopen: %s", dlerror());
		return -1;
	}
	desc = dlsym(dl, "authsvc_plugin");
	if (desc == NULL) {
		snprintf(msg, msgsz, "missing symbol authsvc_plugin");
		dlclose(dl);
		return -1;
	}
	if (plugin_check_descriptor(desc, msg, msgsz) < 0) {
		dlclose(dl);
		return -1;
	}
	*dl_out = dl;
	*desc_out = desc;
	return 0;
}

static char *plugin_path(const struct config *cfg, const char *file)
{
	char buf[PATH_MAX];

	if (file[0] == '/')
		return strdup(file);
	if (snprintf(buf, sizeof(buf), "%s/%s", cfg->plugin_dir, file) >= (int)sizeof(buf))
		return NULL;
	return strdup(buf);
}

static int register_route(struct app *app, struct plugin *pl, const struct authsvc_route *r,
			  const char *path, char *msg, size_t msgsz)
{
	struct route rt = {
	    .method = http_method_parse(r->method),
	    .path = path,
	    .fn = r->handler,
	    .plugin = pl,
	    .flags = r->flags,
	    .fields = r->fields,
	};
	char why[160];

	if (router_add(&app->router, &rt, why, sizeof(why)) < 0) {
		if (strcmp(pl->desc->name, pl->cfg.pc->name) != 0)
			snprintf(msg, msgsz, "%s (instance %s of %s)", why, pl->cfg.pc->name,
				 pl->desc->name);
		else
			snprintf(msg, msgsz, "%s", why);
		return -1;
	}
	return 0;
}

static int register_routes(struct app *app, struct plugin *pl, char *msg, size_t msgsz)
{
	for (const struct authsvc_route *r = pl->desc->routes; r != NULL && r->method != NULL; r++)
		if (register_route(app, pl, r, r->path, msg, msgsz) < 0)
			return -1;
	return 0;
}

int plugin_route_add(struct plugin *pl, const struct authsvc_route *r)
{
	char **paths;
	char *path;

	if (pl->route_msg[0] != '\0')
		return -1; /* the load fails already; keep the first reason */
	if (pl->app == NULL) {
		snprintf(pl->route_msg, sizeof(pl->route_msg), "route_add outside init");
		return -1;
	}
	if (r == NULL) {
		snprintf(pl->route_msg, sizeof(pl->route_msg), "route_add without a route");
		return -1;
	}
	if (route_check(r, pl->route_msg, sizeof(pl->route_msg)) < 0)
		return -1;
	paths = realloc(pl->paths, (pl->npaths + 1) * sizeof(*paths));
	if (paths == NULL)
		goto out_oom;
	pl->paths = paths;
	path = strdup(r->path);
	if (path == NULL)
		goto out_oom;
	pl->paths[pl->npaths++] = path; /* the router keeps the pointer */
	return register_route(pl->app, pl, r, path, pl->route_msg, sizeof(pl->route_msg));
out_oom:
	snprintf(pl->route_msg, sizeof(pl->route_msg), "out of memory");
	return -1;
}

/* Free what the loader allocated for pl (not the plugin's own state). The
 * route_add copies go too: call only once the router is released or will
 * not serve again (a failed load stops the server). */
static void plugin_forget(struct plugin *pl)
{
	if (pl->serial_init)
		pthread_mutex_destroy(&pl->serial);
	pl->serial_init = 0;
	free(pl->file);
	pl->file = NULL;
	for (size_t i = 0; i < pl->npaths; i++)
		free(pl->paths[i]);
	free(pl->paths);
	pl->paths = NULL;
	pl->npaths = 0;
}

static int load_one(struct app *app, const struct authsvc_host *host, const struct config *cfg,
		    const struct plugin_conf *pc, struct plugin *pl, struct err *err)
{
	int rc;

	struct authsvc_err perr = {0};
	char msg[256] = "";

	pl->file = plugin_path(cfg, pc->file);
	if (pl->file == NULL)
		return err_set(err, 0, "plugin refused file=%s reason=\"path too long\"", pc->file);
	if (plugin_open(pl->file, &pl->dl, &pl->desc, msg, sizeof(msg)) < 0)
		goto refuse;
	/* instances are told apart by the operator's name, not the .so's */
	for (int i = 0; i < pl->index; i++) {
		if (strcmp(app->plugins->v[i].cfg.pc->name, pc->name) == 0) {
			snprintf(msg, sizeof(msg), "duplicate plugin instance %s", pc->name);
			goto refuse;
		}
	}
	if (plugin_check_settings(pl->desc, pc, msg, sizeof(msg)) < 0)
		goto refuse;
	pl->cfg.pc = pc;
	pl->cfg.schema = pl->desc->settings;
	pl->cfg.pl = pl;
	pthread_mutex_init(&pl->serial, NULL);
	pl->serial_init = 1;
	if (register_routes(app, pl, msg, sizeof(msg)) < 0)
		goto refuse;
	pl->app = app;
	rc = pl->desc->init(host, &pl->cfg, &pl->state, &perr);
	pl->app = NULL;
	if (pl->route_msg[0] != '\0') { /* a refused route_add names the cause best */
		if (rc == 0)
			pl->desc->fini(pl->state);
		snprintf(msg, sizeof(msg), "%s", pl->route_msg);
		goto refuse;
	}
	if (rc < 0) {
		perr.msg[sizeof(perr.msg) - 1] = '\0'; /* the plugin may have filled it all */
		snprintf(msg, sizeof(msg), "init failed: %.200s", perr.msg);
		goto refuse;
	}
	pl->owner = (struct hook_owner){
	    .state = pl->state,
	    .serial = (pl->desc->flags & AUTHSVC_PLUGIN_THREAD_UNSAFE) ? &pl->serial : NULL,
	    .slot = pl->index,
	    .name = pc->name,
	};
	return 0;
refuse:
	return err_set(err, 0, "plugin refused file=%s reason=\"%s\"", pl->file, msg);
}

static int fill_legacy(struct hook_table *t, const struct plugin *pl)
{
	for (const struct authsvc_hook *h = pl->desc->hooks;
	     h != NULL && h->point != AUTHSVC_HOOK_END; h++) {
		struct hook_entry e = {.order = h->order, .owner = &pl->owner, .legacy = h->fn};

		if (hooks_add(t, h->point, &e) < 0)
			return -1;
	}
	return 0;
}

static int fill_typed(struct hook_table *t, const struct plugin *pl)
{
	const struct authsvc_hooks *th;

	if (!AUTHSVC_HAS(struct authsvc_plugin, pl->desc, typed_hooks) ||
	    pl->desc->typed_hooks == NULL)
		return 0;
	th = pl->desc->typed_hooks;
	if (AUTHSVC_HAS(struct authsvc_hooks, th, password_check))
		for (const struct authsvc_password_check_hook *h = th->password_check;
		     h != NULL && h->fn != NULL; h++) {
			struct hook_entry e = {
			    .order = h->order, .owner = &pl->owner, .password_check = h->fn};

			if (hooks_add(t, AUTHSVC_HOOK_PASSWORD_CHECK, &e) < 0)
				return -1;
		}
	if (AUTHSVC_HAS(struct authsvc_hooks, th, mfa_verify))
		for (const struct authsvc_mfa_verify_hook *h = th->mfa_verify;
		     h != NULL && h->fn != NULL; h++) {
			struct hook_entry e = {
			    .order = h->order, .owner = &pl->owner, .mfa_verify = h->fn};

			if (hooks_add(t, AUTHSVC_HOOK_MFA_VERIFY, &e) < 0)
				return -1;
		}
	if (AUTHSVC_HAS(struct authsvc_hooks, th, login_succeeded))
		for (const struct authsvc_login_succeeded_hook *h = th->login_succeeded;
		     h != NULL && h->fn != NULL; h++) {
			struct hook_entry e = {
			    .order = h->order, .owner = &pl->owner, .login_succeeded = h->fn};

			if (hooks_add(t, AUTHSVC_HOOK_LOGIN_SUCCEEDED, &e) < 0)
				return -1;
		}
	return 0;
}

/* After every instance loaded: app->hooks in order, ties by load order. */
static int hooks_fill(struct plugin_set *set, struct hook_table *t, struct err *err)
{
	set->hooks = t;
	for (size_t i = 0; i < set->n; i++)
		if (fill_legacy(t, &set->v[i]) < 0 || fill_typed(t, &set->v[i]) < 0)
			return err_set(err, 0, "out of memory");
	hooks_sort(t);
	return 0;
}

int plugins_load(struct app *app, const struct authsvc_host *host, const struct config *cfg,
		 struct plugin_set **out, struct err *err)
{
	struct plugin_set *set = calloc(1, sizeof(*set));

	if (set == NULL)
		return err_set(err, 0, "out of memory");
	set->v = calloc(cfg->nplugins + 1, sizeof(*set->v));
	if (set->v == NULL) {
		free(set);
		return err_set(err, 0, "out of memory");
	}
	*out = set;
	app->plugins = set;
	for (size_t i = 0; i < cfg->nplugins; i++) {
		struct plugin *pl = &set->v[set->n];

		if (!cfg->plugins[i].enabled)
			continue;
		pl->index = (int)set->n;
		if (load_one(app, host, cfg, &cfg->plugins[i], pl, err) < 0) {
			plugin_forget(pl);
			return -1;
		}
		set->n++;
		log_info("plugin loaded name=%s instance=%s version=%s abi=%u.%u file=%s",
			 pl->desc->name, pl->cfg.pc->name, pl->desc->version, pl->desc->abi_major,
			 pl->desc->abi_minor, LOG_Q(pl->file));
	}
	return hooks_fill(set, &app->hooks, err);
}

int plugins_start(struct plugin_set *set, struct err *err)
{
	for (size_t i = 0; i < set->n; i++) {
		struct plugin *pl = &set->v[i];
		struct authsvc_err perr = {0};

		if (pl->desc->start != NULL && pl->desc->start(pl->state, &perr) < 0) {
			perr.msg[sizeof(perr.msg) - 1] =
			    '\0'; /* the plugin may have filled it all */
			return err_set(err, 0,
				       "plugin refused file=%s reason=\"start failed: %.200s\"",
				       pl->file, perr.msg);
		}
		pl->started = 1;
	}
	return 0;
}

void plugins_thread_init(struct plugin_set *set, struct worker *w)
{
	w->tstates = calloc(set->n + 1, sizeof(void *));
	if (w->tstates == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		const struct authsvc_plugin *d = set->v[i].desc;

		if (d->thread_init != NULL && d->thread_init(set->v[i].state, &w->tstates[i]) < 0)
			log_error("plugin thread_init failed name=%s worker=%d", d->name, w->index);
	}
}

void plugins_thread_fini(struct plugin_set *set, struct worker *w)
{
	if (w->tstates == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		const struct authsvc_plugin *d = set->v[i].desc;

		if (d->thread_fini != NULL)
			d->thread_fini(set->v[i].state, w->tstates[i]);
	}
	free(w->tstates);
	w->tstates = NULL;
}

void plugins_unload(struct plugin_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = set->n; i-- > 0;) {
		struct plugin *pl = &set->v[i];

		if (pl->started && pl->desc->stop != NULL)
			pl->desc->stop(pl->state);
		pl->desc->fini(pl->state);
		plugin_forget(pl);
		/* no dlclose: keeps symbols for leak reports and avoids unload races */
	}
	if (set->hooks != NULL)
		hooks_release(set->hooks);
	free(set->v);
	free(set);
}
