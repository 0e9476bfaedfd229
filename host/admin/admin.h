/* SPDX-License-Identifier: Apache-2.0 */
/*
 * authsvc-admin internals: the state every subcommand shares (config and
 * database connection, both opened on demand) and small helpers for option
 * parsing, errors and output. One admin_*.c file per subcommand group.
 *
 * Exit codes: 0 success, 1 failure (database, config, duplicates, unknown
 * references, weak password), 2 usage error. Errors are one line on stderr:
 * "authsvc-admin: <message>".
 */
#ifndef AUTHSVC_ADMIN_H
#define AUTHSVC_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <getopt.h>

#include "config/config.h"
#include "store/db.h"

#define ADMIN_PROG "authsvc-admin"
/* The build passes the configured prefix's path (CMakeLists.txt). */
#ifndef AUTHSVC_CONFIG_FILE
#define AUTHSVC_CONFIG_FILE "/etc/authsvc/authsvc.conf"
#endif
#define ADMIN_DEFAULT_CONFIG AUTHSVC_CONFIG_FILE

enum { ADMIN_OK = 0, ADMIN_FAIL = 1, ADMIN_USAGE = 2 };

struct admin {
	const char *config_path;
	struct config cfg;
	bool cfg_loaded;
	struct db db;
	bool db_open;
};

/* Print the one line "authsvc-admin: <message>" to stderr; return ADMIN_FAIL
 * or ADMIN_USAGE. */
int admin_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int admin_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void admin_usage(FILE *out);

/* Load the config / connect to the database once; 0 or -1 (message printed). */
int admin_config(struct admin *a);
int admin_connect(struct admin *a);
void admin_release(struct admin *a);

/*
 * getopt_long over argv (argv[0] is the subcommand's action, e.g. "add"),
 * with messages in our format (prefixed "cmd: " unless cmd is NULL). Returns the option, -1 at the
 * end, or '?' after printing a usage error. Call admin_getopt_reset() first.
 */
void admin_getopt_reset(void);
/* The index of argv[1] (the action after the group) in the NULL-terminated
 * actions, or -1 after printing a usage error. */
int admin_action(int argc, char **argv, const char *group, const char *const *actions);
int admin_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
		 const char *cmd);
/* After the options: a usage error for anything left over. 0 or ADMIN_USAGE. */
int admin_no_operands(int argc, char **argv, const char *cmd);

/* Decimal integer in [min, max] for option opt; 0 or ADMIN_USAGE (printed). */
int admin_parse_int(const char *opt, const char *s, long min, long max, int *out);

/*
 * The first line of stdin (trailing "\n" or "\r\n" stripped), echo off when
 * stdin is a terminal. Returns a malloc'd string the caller wipes with
 * admin_secret_free, or NULL (message printed).
 */
char *admin_read_secret(const char *what);
void admin_secret_free(char *s);

/* Print a query result as an aligned table with a header (column names). */
void admin_print_table(const PGresult *res);

int admin_cmd_migrate(struct admin *a, int argc, char **argv);
int admin_cmd_tenant(struct admin *a, int argc, char **argv);
int admin_cmd_role(struct admin *a, int argc, char **argv);
int admin_cmd_client(struct admin *a, int argc, char **argv);
int admin_cmd_user(struct admin *a, int argc, char **argv);
int admin_cmd_keys(struct admin *a, int argc, char **argv);
/* import-upstream: admin_import.c */
int admin_cmd_import(struct admin *a, int argc, char **argv);

#endif
