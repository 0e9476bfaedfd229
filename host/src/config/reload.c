/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration snapshots and the reload merge of reload.h.
 */
#include "config/reload.h"
#include "config/config_internal.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct config_snap {
	_Atomic long refs;
	const struct config *cfg; /* &own, or the borrowed one */
	struct config own;
};

struct config_snap *config_snap_borrow(const struct config *cfg)
{
	struct config_snap *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	atomic_init(&s->refs, 1);
	s->cfg = cfg;
	return s;
}

struct config_snap *config_snap_adopt(struct config *cfg)
{
	struct config_snap *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		config_release(cfg);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->own = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	s->cfg = &s->own;
	return s;
}

const struct config *config_snap_cfg(const struct config_snap *s)
{
	return s->cfg;
}

struct config_snap *config_snap_ref(struct config_snap *s)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void config_snap_unref(struct config_snap *s)
{
	/* release: every reader's use happens before the free (acquire) */
	if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (s->cfg == &s->own)
		config_release(&s->own);
	free(s);
}

/* ---- the merge ---- */

enum kind { K_STR, K_SECRET, K_INT, K_U32, K_BOOL, K_SIZE, K_ALG };

/* A setting only a restart applies: its key and where it lives. */
struct fixed {
	const char *key;
	size_t off;
	enum kind kind;
};

#define F(key, field, kind)                                                                        \
	{                                                                                          \
		key, offsetof(struct config, field), kind                                          \
	}

static const struct fixed fixed[] = {
    F("listen", listen, K_STR),
    F("loops", loops, K_INT),
    F("workers", workers, K_INT),
    F("worker_nice", worker_nice, K_INT),
    F("worker_sched", worker_sched_idle, K_BOOL),
    F("queue_max", queue_max, K_INT),
    F("max_body_bytes", max_body_bytes, K_SIZE),
    F("max_header_bytes", max_header_bytes, K_SIZE),
    F("timeout", timeout_s, K_INT),
    F("header_timeout", header_timeout_s, K_INT),
    F("body_timeout", body_timeout_s, K_INT),
    F("max_connections", max_connections, K_INT),
    F("connection_rate", connection_rate, K_INT),
    F("drain_timeout", drain_timeout_s, K_INT),
    F("database_url", database_url, K_SECRET),
    F("statement_timeout_ms", statement_timeout_ms, K_INT),
    F("sql_dir", sql_dir, K_STR),
    F("migrate_on_start", migrate_on_start, K_BOOL),
    F("plugin_dir", plugin_dir, K_STR),
    F("tokens.issuer", issuer, K_STR),
    F("tokens.algorithm", jwt_alg, K_ALG),
    F("tokens.private_key_file", jwt_private_key_file, K_STR),
    F("tokens.public_key_file", jwt_public_key_file, K_STR),
    F("tokens.key_passphrase", jwt_key_passphrase, K_SECRET),
    F("tokens.hs_secret", jwt_hs_secret, K_SECRET),
    F("tokens.revocation_poll", revocation_poll_s, K_INT),
    F("tokens.revocation_batch_ms", revocation_batch_ms, K_INT),
    F("activity.key", activity_key, K_SECRET),
    F("activity.query_timeout_ms", activity_query_timeout_ms, K_INT),
    F("activity.max_workers", activity_max_workers, K_INT),
    F("clients.secret_key", client_secret_key, K_SECRET),
    F("password.argon2_t_cost", password.argon2_t_cost, K_U32),
    F("password.argon2_m_cost_kib", password.argon2_m_cost_kib, K_U32),
    F("password.argon2_parallelism", password.argon2_parallelism, K_U32),
    F("password.hash_concurrency", password.hash_concurrency, K_INT),
    F("notify.channel", notify.channel, K_STR),
    F("notify.allow_log_channel", notify.allow_log_channel, K_BOOL),
    F("notify.threads", notify.threads, K_INT),
    F("notify.queue_max", notify.queue_max, K_INT),
    F("notify.drain", notify.drain_s, K_INT),
    /* notify.from, .smtp.*, .webhook.*, .timeout, .retries and .retry_delay
     * change live: the notifier sends each attempt with the latest reload's
     * (notify/notify.h, notify_reconfigure) */
    F("mfa.secret_key", mfa.secret_key, K_SECRET),
    F("metrics.enabled", metrics_enabled, K_BOOL),
    F("metrics.listen", metrics_listen, K_STR),
};

static bool str_eq(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Compare one fixed setting and give next boot's value; -1 out of memory. */
static int carry(const struct fixed *f, const struct config *boot, struct config *next,
		 bool *differs)
{
	const unsigned char *a = (const unsigned char *)boot + f->off;
	unsigned char *b = (unsigned char *)next + f->off;

	*differs = false;
	switch (f->kind) {
	case K_STR:
	case K_SECRET: {
		char *const *as = (char *const *)(const void *)a;
		char **bs = (char **)(void *)b;

		*differs = !str_eq(*as, *bs);
		if (f->kind == K_SECRET)
			config_free_secret(*bs);
		else
			free(*bs);
		*bs = dup_or_null(*as);
		return *as != NULL && *bs == NULL ? -1 : 0;
	}
	case K_INT:
		*differs = memcmp(a, b, sizeof(int)) != 0;
		memcpy(b, a, sizeof(int));
		return 0;
	case K_U32:
		*differs = memcmp(a, b, sizeof(uint32_t)) != 0;
		memcpy(b, a, sizeof(uint32_t));
		return 0;
	case K_BOOL:
		*differs = memcmp(a, b, sizeof(bool)) != 0;
		memcpy(b, a, sizeof(bool));
		return 0;
	case K_SIZE:
		*differs = memcmp(a, b, sizeof(size_t)) != 0;
		memcpy(b, a, sizeof(size_t));
		return 0;
	case K_ALG:
		*differs = memcmp(a, b, sizeof(enum jwt_alg_kind)) != 0;
		memcpy(b, a, sizeof(enum jwt_alg_kind));
		return 0;
	}
	return 0;
}

/* Two libconfig settings (a plugin's settings group) alike in every value. */
static bool settings_equal(const config_setting_t *a, const config_setting_t *b)
{
	int t, n;

	if (a == NULL || b == NULL)
		return a == b;
	t = config_setting_type(a);
	if (t != config_setting_type(b))
		return false;
	switch (t) {
	case CONFIG_TYPE_INT:
		return config_setting_get_int(a) == config_setting_get_int(b);
	case CONFIG_TYPE_INT64:
		return config_setting_get_int64(a) == config_setting_get_int64(b);
	case CONFIG_TYPE_FLOAT:
		return config_setting_get_float(a) == config_setting_get_float(b);
	case CONFIG_TYPE_BOOL:
		return config_setting_get_bool(a) == config_setting_get_bool(b);
	case CONFIG_TYPE_STRING:
		return str_eq(config_setting_get_string(a), config_setting_get_string(b));
	default: /* group, array, list */
		n = config_setting_length(a);
		if (n != config_setting_length(b))
			return false;
		for (int i = 0; i < n; i++) {
			const config_setting_t *ea = config_setting_get_elem(a, (unsigned)i);
			const config_setting_t *eb = config_setting_get_elem(b, (unsigned)i);

			if (!str_eq(config_setting_name(ea), config_setting_name(eb)) ||
			    !settings_equal(ea, eb))
				return false;
		}
		return true;
	}
}

static bool plugins_equal(const struct config *a, const struct config *b)
{
	if (a->nplugins != b->nplugins)
		return false;
	for (size_t i = 0; i < a->nplugins; i++) {
		const struct plugin_conf *x = &a->plugins[i], *y = &b->plugins[i];

		if (!str_eq(x->name, y->name) || !str_eq(x->file, y->file) ||
		    x->enabled != y->enabled || !settings_equal(x->settings, y->settings))
			return false;
	}
	return true;
}

static void note(char *changed, size_t changedsz, const char *key)
{
	size_t len = strlen(changed), need = strlen(key) + (len > 0 ? 1 : 0);

	if (changedsz == 0 || (len >= 3 && strcmp(changed + len - 3, "...") == 0))
		return;
	if (len + need + 5 > changedsz) { /* room for ",..." and the NUL */
		if (len + 5 <= changedsz)
			snprintf(changed + len, changedsz - len, "%s...", len > 0 ? "," : "");
		return;
	}
	snprintf(changed + len, changedsz - len, "%s%s", len > 0 ? "," : "", key);
}

int config_reload_merge(const struct config *boot, struct config *next, char *changed,
			size_t changedsz)
{
	bool differs = false;

	if (changedsz > 0)
		changed[0] = '\0';
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (carry(&fixed[i], boot, next, &differs) < 0)
			return -1;
		if (differs)
			note(changed, changedsz, fixed[i].key);
	}
	/* plugins stay as loaded (the new snapshot's list is never read) */
	if (!plugins_equal(boot, next))
		note(changed, changedsz, "plugins");
	return 0;
}
