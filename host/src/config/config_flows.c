/* SPDX-License-Identifier: Apache-2.0 */
/* The notify, otp, mfa and account groups of the configuration. */
#include "config/config_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const notify_keys[] = {
    "channel",	   "allow_log_channel", "threads",     "queue_max",   "retries",
    "retry_delay", "timeout",		"drain",       "from",	      "smtp",
    "webhook",	   "send_per_user",	"send_per_ip", "send_window", "templates",
    NULL};
static const char *const smtp_keys[] = {"url", "starttls", "username", "password", "ca_file", NULL};
static const char *const webhook_keys[] = {"url", "secret", "ca_file", NULL};
static const char *const template_keys[] = {"subject", "body", NULL};
static const char *const events[] = {
    "otp", "passwordless", "reset", "signup", "signup_exists", NULL,
};
static const char *const otp_keys[] = {"length", "alphabet", "ttl", "max_attempts", NULL};
static const char *const mfa_keys[] = {"mode", "method", "clients", "ttl", "secret_key", NULL};
static const char *const account_keys[] = {
    "reset_ttl",   "reset_url",	  "signup_ttl",		 "signup_url",	     "signup_tenant",
    "signup_role", "signup_fast", "signup_fast_clients", "password_history", NULL};

static bool one_of(const char *v, const char *const *allowed)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(v, *allowed) == 0)
			return true;
	return false;
}

/* A list of strings into a NULL-terminated malloc'd array. */
static int get_list(const config_setting_t *grp, const char *key, char ***out, size_t *n,
		    struct err *err)
{
	const config_setting_t *s = grp ? config_setting_get_member(grp, key) : NULL;
	int len;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return 0;
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return err_set(err, 0, "%s: must be a list of strings", key);
	len = config_setting_length(s);
	*out = calloc((size_t)len + 1, sizeof(char *));
	if (*out == NULL)
		return err_set(err, 0, "out of memory");
	for (int i = 0; i < len; i++) {
		const char *v = config_setting_get_string_elem(s, i);

		if (v == NULL || *v == '\0')
			return err_set(err, 0, "%s: must be a list of non-empty strings", key);
		(*out)[*n] = strdup(v);
		if ((*out)[*n] == NULL)
			return err_set(err, 0, "out of memory");
		(*n)++;
	}
	return 0;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int load_templates(const config_setting_t *grp, struct notify_conf *nc, struct err *err)
{
	int n;

	if (grp == NULL)
		return 0;
	if (cfg_check_keys(grp, "notify.templates.", events, err) < 0)
		return -1;
	n = config_setting_length(grp);
	nc->templates = calloc((size_t)n + 1, sizeof(*nc->templates));
	if (nc->templates == NULL)
		return err_set(err, 0, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *t = config_setting_get_elem(grp, (unsigned)i);
		struct notify_template *nt = &nc->templates[nc->ntemplates++];

		nt->event = strdup(config_setting_name(t));
		if (nt->event == NULL ||
		    cfg_check_keys(t, "notify.templates.<event>.", template_keys, err) < 0 ||
		    cfg_get_str(t, "subject", NULL, false, &nt->subject, err) < 0 ||
		    cfg_get_str(t, "body", NULL, false, &nt->body, err) < 0)
			return err->msg[0] ? -1 : err_set(err, 0, "out of memory");
	}
	return 0;
}

static bool loopback_http(const char *url)
{
	static const char *const ok[] = {"http://127.", "http://[::1]",
					 "http://localhost:", "http://localhost/", NULL};

	for (const char *const *p = ok; *p != NULL; p++)
		if (strncmp(url, *p, strlen(*p)) == 0)
			return true;
	return false;
}

static int load_notify(const config_setting_t *grp, struct config *c, struct err *err)
{
	static const char *const channels[] = {"smtp", "webhook", "log", NULL};
	static const char *const tls[] = {"try", "require", "off", NULL};
	struct notify_conf *nc = &c->notify;
	const config_setting_t *smtp = grp ? config_setting_get_member(grp, "smtp") : NULL;
	const config_setting_t *hook = grp ? config_setting_get_member(grp, "webhook") : NULL;

	if (cfg_check_keys(grp, "notify.", notify_keys, err) < 0 ||
	    cfg_check_keys(smtp, "notify.smtp.", smtp_keys, err) < 0 ||
	    cfg_check_keys(hook, "notify.webhook.", webhook_keys, err) < 0 ||
	    cfg_get_str(grp, "channel", "smtp", false, &nc->channel, err) < 0 ||
	    cfg_get_bool(grp, "allow_log_channel", false, &nc->allow_log_channel, err) < 0 ||
	    cfg_get_int(grp, "threads", 1, 1, 16, &nc->threads, err) < 0 ||
	    cfg_get_int(grp, "queue_max", 256, 1, 100000, &nc->queue_max, err) < 0 ||
	    cfg_get_int(grp, "retries", 3, 0, 100, &nc->retries, err) < 0 ||
	    cfg_get_int(grp, "retry_delay", 5, 1, 3600, &nc->retry_delay_s, err) < 0 ||
	    cfg_get_int(grp, "timeout", 10, 1, 300, &nc->timeout_s, err) < 0 ||
	    cfg_get_int(grp, "drain", 5, 0, 300, &nc->drain_s, err) < 0 ||
	    cfg_get_str(grp, "from", "authsvc <no-reply@localhost>", false, &nc->from, err) < 0 ||
	    cfg_get_int(grp, "send_per_user", 5, 1, 1000000, &nc->send_per_user, err) < 0 ||
	    cfg_get_int(grp, "send_per_ip", 30, 1, 1000000, &nc->send_per_ip, err) < 0 ||
	    cfg_get_int(grp, "send_window", 900, 1, 86400, &nc->send_window_s, err) < 0 ||
	    cfg_get_str(smtp, "url", "smtp://127.0.0.1:25", false, &nc->smtp_url, err) < 0 ||
	    cfg_get_str(smtp, "starttls", "try", false, &nc->smtp_starttls, err) < 0 ||
	    cfg_get_str(smtp, "username", "", false, &nc->smtp_username, err) < 0 ||
	    cfg_get_str(smtp, "password", "", true, &nc->smtp_password, err) < 0 ||
	    cfg_get_str(smtp, "ca_file", "", false, &nc->smtp_ca_file, err) < 0 ||
	    cfg_get_str(hook, "url", "", false, &nc->webhook_url, err) < 0 ||
	    cfg_get_str(hook, "secret", "", true, &nc->webhook_secret, err) < 0 ||
	    cfg_get_str(hook, "ca_file", "", false, &nc->webhook_ca_file, err) < 0 ||
	    load_templates(grp ? config_setting_get_member(grp, "templates") : NULL, nc, err) < 0)
		return -1;
	if (!one_of(nc->channel, channels))
		return err_set(err, 0, "notify.channel: \"smtp\", \"webhook\" or \"log\"");
	if (!one_of(nc->smtp_starttls, tls))
		return err_set(err, 0, "notify.smtp.starttls: \"try\", \"require\" or \"off\"");
	if (strcmp(nc->channel, "log") == 0 && !nc->allow_log_channel)
		return err_set(err, 0,
			       "notify.channel: \"log\" writes codes to the log; set "
			       "notify.allow_log_channel = true to use it (development only)");
	if (strncmp(nc->smtp_url, "smtp://", 7) != 0 && strncmp(nc->smtp_url, "smtps://", 8) != 0)
		return err_set(err, 0, "notify.smtp.url: smtp://host:port or smtps://host:port");
	if (strcmp(nc->channel, "webhook") == 0) {
		if (strncmp(nc->webhook_url, "https://", 8) != 0 && !loopback_http(nc->webhook_url))
			return err_set(err, 0,
				       "notify.webhook.url: https://... (http:// only to a "
				       "loopback address)");
		if (strlen(nc->webhook_secret) < 32)
			return err_set(err, 0,
				       "notify.webhook.secret: at least 32 characters (or "
				       "secret_env)");
	}
	return 0;
}

static int load_otp(const config_setting_t *grp, struct config *c, struct err *err)
{
	struct otp_conf *o = &c->otp;
	size_t n;

	if (cfg_check_keys(grp, "otp.", otp_keys, err) < 0 ||
	    cfg_get_int(grp, "length", 6, 4, 12, &o->length, err) < 0 ||
	    cfg_get_str(grp, "alphabet", "0123456789", false, &o->alphabet, err) < 0 ||
	    cfg_get_int(grp, "ttl", 300, 1, 86400, &o->ttl_s, err) < 0 ||
	    cfg_get_int(grp, "max_attempts", 5, 1, 100, &o->max_attempts, err) < 0)
		return -1;
	n = strlen(o->alphabet);
	if (n < 2 || n > 64)
		return err_set(err, 0, "otp.alphabet: 2 to 64 characters");
	for (size_t i = 0; i < n; i++)
		if (o->alphabet[i] <= ' ' || o->alphabet[i] > '~' ||
		    strchr(o->alphabet + i + 1, o->alphabet[i]) != NULL)
			return err_set(err, 0, "otp.alphabet: distinct printable ASCII characters");
	return 0;
}

static int load_mfa(const config_setting_t *grp, struct config *c, struct err *err)
{
	static const char *const modes[] = {"off", "all", "users", NULL};
	static const char *const methods[] = {"otp", "totp", NULL};
	struct mfa_conf *m = &c->mfa;

	if (cfg_check_keys(grp, "mfa.", mfa_keys, err) < 0 ||
	    cfg_get_str(grp, "mode", "off", false, &m->mode, err) < 0 ||
	    cfg_get_str(grp, "method", "otp", false, &m->method, err) < 0 ||
	    get_list(grp, "clients", &m->clients, &m->nclients, err) < 0 ||
	    cfg_get_int(grp, "ttl", 300, 10, 3600, &m->ttl_s, err) < 0 ||
	    cfg_get_str(grp, "secret_key", "", true, &m->secret_key, err) < 0)
		return -1;
	if (!one_of(m->mode, modes))
		return err_set(err, 0, "mfa.mode: \"off\", \"all\" or \"users\"");
	if (!one_of(m->method, methods))
		return err_set(err, 0, "mfa.method: \"otp\" or \"totp\"");
	return 0;
}

static int load_account(const config_setting_t *grp, struct config *c, struct err *err)
{
	struct account_conf *a = &c->account;

	if (cfg_check_keys(grp, "account.", account_keys, err) < 0 ||
	    cfg_get_int(grp, "reset_ttl", 1800, 1, 7 * 86400, &a->reset_ttl_s, err) < 0 ||
	    cfg_get_str(grp, "reset_url", "http://localhost:4200/reset-password?token={{token}}",
			false, &a->reset_url, err) < 0 ||
	    cfg_get_int(grp, "signup_ttl", 1800, 1, 30 * 86400, &a->signup_ttl_s, err) < 0 ||
	    cfg_get_str(grp, "signup_url", "http://localhost:4200/signup?token={{token}}", false,
			&a->signup_url, err) < 0 ||
	    cfg_get_str(grp, "signup_tenant", "", false, &a->signup_tenant, err) < 0 ||
	    cfg_get_str(grp, "signup_role", "", false, &a->signup_role, err) < 0 ||
	    cfg_get_bool(grp, "signup_fast", false, &a->signup_fast, err) < 0 ||
	    get_list(grp, "signup_fast_clients", &a->signup_fast_clients, &a->nsignup_fast_clients,
		     err) < 0 ||
	    cfg_get_int(grp, "password_history", 5, 0, 100, &a->password_history, err) < 0)
		return -1;
	if ((*a->signup_tenant == '\0') != (*a->signup_role == '\0'))
		return err_set(err, 0, "account.signup_tenant and account.signup_role: set both");
	return 0;
}

int config_load_flows(const config_setting_t *root, struct config *c, struct err *err)
{
	if (load_notify(config_setting_get_member(root, "notify"), c, err) < 0 ||
	    load_otp(config_setting_get_member(root, "otp"), c, err) < 0 ||
	    load_mfa(config_setting_get_member(root, "mfa"), c, err) < 0 ||
	    load_account(config_setting_get_member(root, "account"), c, err) < 0)
		return -1;
	return 0;
}

bool config_client_listed(char *const *list, size_t n, const char *client_id)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (client_id != NULL && strcmp(list[i], client_id) == 0)
			return true;
	return false;
}

void config_release_flows(struct config *c)
{
	struct notify_conf *nc = &c->notify;

	free(nc->channel);
	free(nc->from);
	free(nc->smtp_url);
	free(nc->smtp_starttls);
	free(nc->smtp_username);
	config_free_secret(nc->smtp_password);
	free(nc->smtp_ca_file);
	free(nc->webhook_url);
	config_free_secret(nc->webhook_secret);
	free(nc->webhook_ca_file);
	for (size_t i = 0; i < nc->ntemplates; i++) {
		free(nc->templates[i].event);
		free(nc->templates[i].subject);
		free(nc->templates[i].body);
	}
	free(nc->templates);
	free(c->otp.alphabet);
	free(c->mfa.mode);
	free(c->mfa.method);
	free_list(c->mfa.clients, c->mfa.nclients);
	config_free_secret(c->mfa.secret_key);
	free(c->account.reset_url);
	free(c->account.signup_url);
	free(c->account.signup_tenant);
	free(c->account.signup_role);
	free_list(c->account.signup_fast_clients, c->account.nsignup_fast_clients);
}
