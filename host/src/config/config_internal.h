/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the files of host/src/config/ (not used elsewhere).
 * Each reads one setting of a libconfig group (grp may be NULL: the
 * default applies) and fails with a message naming the key.
 */
#ifndef AUTHSVC_CONFIG_INTERNAL_H
#define AUTHSVC_CONFIG_INTERNAL_H

#include <libconfig.h>

#include "config/config.h"

/* A string setting, or (secret) `<key>_env` naming an environment variable. */
int cfg_get_str(const config_setting_t *grp, const char *key, const char *def, bool secret,
		char **out, struct err *err);
int cfg_get_int(const config_setting_t *grp, const char *key, int def, int min, int max, int *out,
		struct err *err);
int cfg_get_bool(const config_setting_t *grp, const char *key, bool def, bool *out,
		 struct err *err);
/* Refuse keys not in known (NULL-terminated); `<key>_env` passes for key. */
int cfg_check_keys(const config_setting_t *grp, const char *where, const char *const *known,
		   struct err *err);
void config_free_secret(char *s);

/* config_flows.c: the notify, otp, mfa and account groups. */
int config_load_flows(const config_setting_t *root, struct config *c, struct err *err);
void config_release_flows(struct config *c);

#endif
