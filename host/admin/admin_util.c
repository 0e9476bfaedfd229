/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers of authsvc-admin: errors, config and database, options, output. */
#include "admin.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

__attribute__((format(printf, 1, 0))) static void vmessage(const char *fmt, va_list ap)
{
	fputs(ADMIN_PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int admin_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	return ADMIN_FAIL;
}

int admin_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	return ADMIN_USAGE;
}

void admin_usage(FILE *out)
{
	fputs("Usage: " ADMIN_PROG " [-c FILE] COMMAND ...\n"
	      "\n"
	      "Provision an authsvc database.\n"
	      "\n"
	      "Options:\n"
	      "  -c, --config FILE   configuration file (default " ADMIN_DEFAULT_CONFIG ");\n"
	      "                      AUTHSVC_DATABASE_URL overrides its database_url\n"
	      "  -h, --help          show this help\n"
	      "\n"
	      "Commands:\n"
	      "  migrate [--sql-dir DIR]\n"
	      "  tenant add --key KEY --name NAME\n"
	      "  role add --name NAME [--permissions P1,P2,...]\n"
	      "  client add --client-id ID [--secret S | --secret-stdin] --redirect-url URL\n"
	      "             [--logout-redirect-url URL] [--access-ttl SECONDS]\n"
	      "             [--refresh-ttl SECONDS] [--code-ttl SECONDS]\n"
	      "  client list\n"
	      "  user add --username NAME --password-stdin [--email EMAIL] [--tenant KEY]\n"
	      "           [--role ROLE] [--client ID[,ID...]]...\n"
	      "  user list\n"
	      "  user mfa --username NAME --on|--off|--reset-totp\n"
	      "  keys list\n"
	      "  keys rotate [--now]\n"
	      "  keys retire KID [--force]\n"
	      "  import-upstream --from URL [--dry-run] [--with-activity]\n"
	      "\n"
	      "Passwords and secrets given on stdin are read from its first line.\n"
	      "Exit status: 0 success, 1 failure, 2 usage error.\n",
	      out);
}

int admin_config(struct admin *a)
{
	struct err err = {0};

	if (a->cfg_loaded)
		return 0;
	memset(&a->cfg, 0, sizeof(a->cfg));
	if (config_load(a->config_path, &a->cfg, &err) < 0) {
		config_release(&a->cfg);
		memset(&a->cfg, 0, sizeof(a->cfg));
		admin_fail("%s", err.msg);
		return -1;
	}
	a->cfg_loaded = true;
	return 0;
}

int admin_connect(struct admin *a)
{
	struct err err = {0};

	if (a->db_open)
		return 0;
	if (admin_config(a) < 0)
		return -1;
	db_set_prepared(a->cfg.database_prepared);
	if (db_connect(&a->db, a->cfg.database_url, a->cfg.statement_timeout_ms, &err) < 0) {
		db_close(&a->db);
		admin_fail("%s", err.msg);
		return -1;
	}
	a->db_open = true;
	return 0;
}

void admin_release(struct admin *a)
{
	if (a->db_open)
		db_close(&a->db);
	if (a->cfg_loaded)
		config_release(&a->cfg);
	a->db_open = false;
	a->cfg_loaded = false;
}

void admin_getopt_reset(void)
{
	optind = 0; /* GNU: re-initialise for a new argv */
	opterr = 0;
}

int admin_action(int argc, char **argv, const char *group, const char *const *actions)
{
	int i;

	if (argc < 2) {
		admin_usage_error("%s: missing action", group);
		return -1;
	}
	for (i = 0; actions[i] != NULL; i++)
		if (strcmp(argv[1], actions[i]) == 0)
			return i;
	admin_usage_error("%s: unknown action '%s'", group, argv[1]);
	return -1;
}

int admin_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
		 const char *cmd)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);
	const char *opt = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	const char *sep = cmd != NULL ? ": " : "";

	if (cmd == NULL)
		cmd = "";
	if (c == '?') {
		if (optopt != 0 && strncmp(opt, "--", 2) != 0)
			admin_usage_error("%s%sunknown option '-%c' (see --help)", cmd, sep,
					  optopt);
		else
			admin_usage_error("%s%sunknown option '%s' (see --help)", cmd, sep, opt);
		return '?';
	}
	if (c == ':') {
		admin_usage_error("%s%soption '%s' needs a value", cmd, sep, opt);
		return '?';
	}
	return c;
}

int admin_no_operands(int argc, char **argv, const char *cmd)
{
	if (optind < argc)
		return admin_usage_error("%s: unexpected argument '%s'", cmd, argv[optind]);
	return 0;
}

int admin_parse_int(const char *opt, const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return admin_usage_error("%s: must be an integer between %ld and %ld", opt, min,
					 max);
	*out = (int)v;
	return 0;
}

char *admin_read_secret(const char *what)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (tty) {
		fprintf(stderr, "%s: ", what);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	len = getline(&line, &cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (len < 0) {
		free(line);
		admin_fail("no %s on stdin", what);
		return NULL;
	}
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	return line;
}

void admin_secret_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void admin_print_table(const PGresult *res)
{
	int rows = PQntuples(res), cols = PQnfields(res), r, c;
	int *w = calloc((size_t)(cols > 0 ? cols : 1), sizeof(*w));

	if (w == NULL) {
		admin_fail("out of memory");
		return;
	}
	for (c = 0; c < cols; c++) {
		w[c] = (int)strlen(PQfname(res, c));
		for (r = 0; r < rows; r++)
			if (PQgetlength(res, r, c) > w[c])
				w[c] = PQgetlength(res, r, c);
	}
	for (c = 0; c < cols; c++)
		printf("%-*s%s", c + 1 < cols ? w[c] : 0, PQfname(res, c),
		       c + 1 < cols ? "  " : "\n");
	for (r = 0; r < rows; r++)
		for (c = 0; c < cols; c++)
			printf("%-*s%s", c + 1 < cols ? w[c] : 0, PQgetvalue(res, r, c),
			       c + 1 < cols ? "  " : "\n");
	free(w);
}
