/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SIGHUP: read the configuration file again into a new snapshot
 * (config/reload.h) for the server to swap in, or keep the running one
 * when the file does not load or validate. docs/architecture.md
 * "Configuration reload" has the design, docs/operator-guide.md "Reload"
 * what changes live.
 */
#include "app/serve.h"

#include <string.h>

#include "config/config.h"
#include "config/reload.h"
#include "core/app.h"
#include "core/hooks.h"
#include "log/log.h"
#include "notify/notify.h"
#include "util/metrics.h"

/* What app_build checks of the settings a reload may change. */
static int reload_check(const struct app *app, const struct config *next, struct err *err)
{
	if (strcmp(next->mfa.mode, "off") != 0 && strcmp(next->mfa.method, "totp") == 0 &&
	    hooks_count(&app->hooks, AUTHSVC_HOOK_MFA_VERIFY) == 0)
		return err_set(err, 0,
			       "mfa.method = \"totp\": no plugin verifies app codes "
			       "(enable the totp plugin)");
	return 0;
}

static struct config_snap *refuse(struct config *next, const char *why)
{
	log_error("config reload refused, the running configuration stays detail=\"%s\"", why);
	config_release(next);
	metrics_reload(false);
	return NULL;
}

struct config_snap *app_reload(struct app *app)
{
	struct config next;
	struct config_snap *snap;
	struct err err = {0};
	char changed[512];

	if (config_load(app->cfg->path, &next, &err) < 0)
		return refuse(&next, err.msg);
	if (config_reload_merge(app->cfg, &next, changed, sizeof(changed)) < 0)
		return refuse(&next, "out of memory");
	if (reload_check(app, &next, &err) < 0)
		return refuse(&next, err.msg);
	if (changed[0] != '\0')
		log_warn("config reload: needs restart, running values kept keys=%s", changed);
	log_set_level((enum log_level)log_level_parse(next.log_level));
	snap = config_snap_adopt(&next);
	if (snap == NULL) {
		metrics_reload(false);
		log_error("config reload refused, the running configuration stays "
			  "detail=\"out of memory\"");
		return NULL;
	}
	notify_reconfigure(app->notifier, snap);	 /* its next attempt uses the new server */
	log_info("config read path=%s", app->cfg->path); /* the server says when it runs */
	return snap;
}
