#include "plugins/loader.h"

#include <dlfcn.h>
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
	for (const struct authsvc_route *r = p->routes; r != NULL && r->method != NULL; r++) {
		if (r->path == NULL || r->path[0] != '/' || r->handler == NULL ||
		    http_method_parse(r->method) == M_OTHER) {
			snprintf(msg, msgsz, "invalid route %s", r->path ? r->path : "(null)");
			return -1;
		}
		if (r->flags >> 16) {
			snprintf(msg, msgsz, "route %s uses reserved flags", r->path);
			return -1;
		}
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
		snprintf(msg, msgsz, "cannot stat file");
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

static int register_routes(struct app *app, struct plugin *pl, char *msg, size_t msgsz)
{
	for (const struct authsvc_route *r = pl->desc->routes; r != NULL && r->method != NULL;
	     r++) {
		struct route rt = {
		    .method = http_method_parse(r->method),
		    .path = r->path,
		    .fn = r->handler,
		    .plugin = pl,
		    .flags = r->flags,
		    .fields = r->fields,
		};

		if (router_add(&app->router, &rt, msg, msgsz) < 0)
			return -1;
	}
	return 0;
}

static int load_one(struct app *app, const struct config *cfg, const struct plugin_conf *pc,
		    struct plugin *pl, struct err *err)
{
	struct authsvc_err perr = {0};
	char msg[256] = "";

	pl->file = plugin_path(cfg, pc->file);
	if (pl->file == NULL)
		return err_set(err, 0, "plugin refused file=%s reason=\"path too long\"", pc->file);
	if (plugin_open(pl->file, &pl->dl, &pl->desc, msg, sizeof(msg)) < 0)
		goto refuse;
	for (int i = 0; i < pl->index; i++) {
		if (strcmp(app->plugins->v[i].desc->name, pl->desc->name) == 0) {
			snprintf(msg, sizeof(msg), "duplicate plugin name %s", pl->desc->name);
			goto refuse;
		}
	}
	if (plugin_check_settings(pl->desc, pc, msg, sizeof(msg)) < 0)
		goto refuse;
	pl->cfg.pc = pc;
	pl->cfg.schema = pl->desc->settings;
	pthread_mutex_init(&pl->serial, NULL);
	if (register_routes(app, pl, msg, sizeof(msg)) < 0)
		goto refuse;
	if (pl->desc->init(&host_api, &pl->cfg, &pl->state, &perr) < 0) {
		perr.msg[sizeof(perr.msg) - 1] = '\0';
		snprintf(msg, sizeof(msg), "init failed: %.200s", perr.msg);
		goto refuse;
	}
	return 0;
refuse:
	return err_set(err, 0, "plugin refused file=%s reason=\"%s\"", pl->file, msg);
}

static int hook_cmp(const void *a, const void *b)
{
	const struct hook_entry *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->plugin->index - y->plugin->index;
}

static int hooks_collect(struct plugin_set *set, struct err *err)
{
	for (uint32_t pt = AUTHSVC_HOOK_PASSWORD_CHECK; pt <= AUTHSVC_HOOK_MFA_VERIFY; pt++) {
		size_t n = 0;

		for (size_t i = 0; i < set->n; i++)
			for (const struct authsvc_hook *h = set->v[i].desc->hooks;
			     h != NULL && h->point != AUTHSVC_HOOK_END; h++)
				n += h->point == pt;
		set->hooks[pt] = calloc(n + 1, sizeof(struct hook_entry));
		if (set->hooks[pt] == NULL)
			return err_set(err, 0, "out of memory");
		for (size_t i = 0; i < set->n; i++)
			for (const struct authsvc_hook *h = set->v[i].desc->hooks;
			     h != NULL && h->point != AUTHSVC_HOOK_END; h++)
				if (h->point == pt)
					set->hooks[pt][set->nhooks[pt]++] =
					    (struct hook_entry){h->order, h->fn, &set->v[i]};
		qsort(set->hooks[pt], set->nhooks[pt], sizeof(struct hook_entry), hook_cmp);
	}
	return 0;
}

enum authsvc_status plugins_run_hooks(struct plugin_set *set, uint32_t point,
				      struct authsvc_req *req, const char *username,
				      const char *secret, struct authsvc_identity *who)
{
	if (set == NULL || point > AUTHSVC_HOOK_MFA_VERIFY)
		return AUTHSVC_DECLINED;
	for (size_t i = 0; i < set->nhooks[point]; i++) {
		const struct hook_entry *h = &set->hooks[point][i];
		bool serial = (h->plugin->desc->flags & AUTHSVC_PLUGIN_THREAD_UNSAFE) != 0;
		enum authsvc_status st;

		if (serial)
			pthread_mutex_lock(&h->plugin->serial);
		st = h->fn(h->plugin->state, req, username, secret, who);
		if (serial)
			pthread_mutex_unlock(&h->plugin->serial);
		if (st != AUTHSVC_DECLINED && point != AUTHSVC_HOOK_LOGIN_SUCCEEDED)
			return st;
	}
	return AUTHSVC_DECLINED;
}

int plugins_load(struct app *app, const struct config *cfg, struct plugin_set **out,
		 struct err *err)
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
		if (load_one(app, cfg, &cfg->plugins[i], pl, err) < 0) {
			free(pl->file);
			pl->file = NULL;
			return -1;
		}
		set->n++;
		log_info("plugin loaded name=%s version=%s abi=%u.%u file=%s", pl->desc->name,
			 pl->desc->version, pl->desc->abi_major, pl->desc->abi_minor, pl->file);
	}
	return hooks_collect(set, err);
}

int plugins_start(struct plugin_set *set, struct err *err)
{
	for (size_t i = 0; i < set->n; i++) {
		struct plugin *pl = &set->v[i];
		struct authsvc_err perr = {0};

		if (pl->desc->start != NULL && pl->desc->start(pl->state, &perr) < 0)
			return err_set(err, 0, "plugin refused file=%s reason=\"start failed: %s\"",
				       pl->file, perr.msg);
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
		pthread_mutex_destroy(&pl->serial);
		free(pl->file);
		/* no dlclose: keeps symbols for leak reports and avoids unload races */
	}
	for (size_t pt = 0; pt <= AUTHSVC_HOOK_MFA_VERIFY; pt++)
		free(set->hooks[pt]);
	free(set->v);
	free(set);
}
