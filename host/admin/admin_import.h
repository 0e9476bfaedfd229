/* SPDX-License-Identifier: Apache-2.0 */
/*
 * authsvc-admin import-upstream: what is read from an upstream
 * authentication-service database (schema "main", created by the upstream
 * package's pg migrations) and how each table is written into authsvc's.
 * docs/migrating.md is the operator's description.
 *
 * Each table is copied in batches ordered by id. The read statement runs on
 * the upstream connection: $1 the last id of the previous batch (NULL for
 * the first), $2 the batch size; it returns one row (the batch as a JSON
 * array of row objects, the number of rows, the batch's last id). The write
 * statement runs on authsvc's connection with the JSON array as $1 and
 * returns one text row per row it wrote: "inserted" or "updated"; any
 * other text is a row that cannot be mapped, said in one sentence.
 */
#ifndef AUTHSVC_ADMIN_IMPORT_H
#define AUTHSVC_ADMIN_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

enum import_transform {
	IMPORT_AS_IS = 0,
	IMPORT_CLIENT_SECRETS, /* client_secret: hashed as `client add` stores it */
};

struct import_table {
	const char *name; /* authsvc's table, for the report */
	const char *read;
	const char *write;
	enum import_transform transform;
	bool activity; /* login_activity: only with --with-activity */
};

extern const struct import_table import_tables[];
extern const size_t import_ntables;

/* The upstream migrations (db-migrate's public.migrations names, in order)
 * of the schema this import knows. */
extern const char *const import_known_migrations[];
extern const size_t import_nknown_migrations;

/* Statements run on the upstream connection for the report's notes: each
 * returns rows of one text column, each a sentence to print. */
extern const char *const import_notes[];
extern const size_t import_nnotes;

#endif
