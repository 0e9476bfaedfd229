/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the configuration loader (host/src/config/config.c,
 * libconfig underneath). The input is written to an anonymous memfd and
 * loaded through /proc/self/fd/N (nothing on disk to clean up), then
 * released; a success must hold the promises of config.h, a failure must
 * say why.
 *
 * Inputs with an @include directive are skipped: libconfig would open any
 * file they name (/dev/zero reads forever), and the config file is the
 * operator's, not an attacker's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

/*
 * libconfig 1.5 (Debian 12) leaks a string token the scanner made when a
 * parse error follows it (its grammar has no %destructor), e.g.
 * `a = 2"";` or `a = "x" b "y`. That is the library's, not ours; everything
 * config_load and config_release allocate themselves is still checked.
 */
const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* the environment overrides would hide what the file says */
	unsetenv("AUTHSVC_LISTEN");
	unsetenv("AUTHSVC_DATABASE_URL");
	/* one secret the input may name through <key>_env */
	setenv("AUTHSVC_FUZZ_SECRET", "0123456789abcdef0123456789abcdef", 1);
	fd = memfd_create("fuzz_config", 0);
	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

static void check_loaded(const struct config *c)
{
	if (c->listen == NULL || c->log_level == NULL || c->issuer == NULL ||
	    c->database_url == NULL || c->database_url[0] == '\0' || c->sql_dir == NULL ||
	    c->plugin_dir == NULL || c->activity_actor == NULL || c->trusted_proxies == NULL)
		abort();
	if (c->loops < 1 || c->loops > 64 || c->workers < 1 || c->workers > 256 ||
	    c->queue_max < 1 || c->max_body_bytes < 256 || c->max_header_bytes < 1024)
		abort();
	if (c->password.min_length > c->password.max_length)
		abort();
	if (c->jwt_alg == JWT_KIND_HS256 &&
	    (c->jwt_hs_secret == NULL || strlen(c->jwt_hs_secret) < 32))
		abort();
	if (c->nplugins > 0 && c->plugins == NULL)
		abort();
	for (size_t i = 0; i < c->nplugins; i++) {
		const struct plugin_conf *pc = &c->plugins[i];
		const char *names[32], *str;
		size_t n = config_plugin_keys(pc, names, 32);
		int64_t iv;
		bool bv;

		if (pc->name == NULL || pc->file == NULL)
			abort();
		/* what a plugin does with its settings group */
		for (size_t k = 0; k < n; k++) {
			if (names[k] == NULL)
				abort();
			if (config_plugin_str(pc, names[k], &str) == 0 && str == NULL)
				abort();
			(void)config_plugin_int(pc, names[k], &iv);
			(void)config_plugin_bool(pc, names[k], &bv);
		}
		(void)config_plugin_str(pc, "secret", &str); /* may come from secret_env */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct err err = {0};

	if (memmem(data, size, "@include", 8) != NULL)
		return 0;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (config_load(path, &c, &err) == 0)
		check_loaded(&c);
	else if (err.msg[0] == '\0')
		abort();
	config_release(&c);
	return 0;
}
