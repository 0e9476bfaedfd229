/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Schema migrations: the files host/sql/NNNN_name.sql, applied in lexical
 * order and recorded by name (without ".sql") in
 * public.authsvc_migrations(version, applied_on), which is created when
 * missing. Used by `authsvc-admin migrate` and, with migrate_on_start, by the
 * server before it starts workers.
 *
 * Each file runs in its own transaction together with its record, under
 * pg_advisory_xact_lock(hashtext('authsvc-migrate')), so concurrent runs
 * (several instances starting at once) apply each file exactly once; a file
 * that fails leaves nothing behind and stops the run. The statement timeout
 * is lifted inside those transactions. Files whose names do not match
 * ^[0-9]{4}_[a-z0-9_]+\.sql$ are skipped. The file text is sent as is
 * (several statements); it must not contain BEGIN or COMMIT itself.
 *
 * Blocks; main thread (server start) or the admin CLI only.
 */
#ifndef AUTHSVC_STORE_MIGRATE_H
#define AUTHSVC_STORE_MIGRATE_H

#include "store/db.h"
#include "util/err.h"

/* Apply what sql_dir has and the database lacks. *applied_out (may be NULL)
 * counts the files applied by this call, also when it fails half-way.
 * 0 or -1 with err (503 when the database is unreachable). */
int store_migrate(struct db *db, const char *sql_dir, int *applied_out, struct err *err);

/* How many files of sql_dir the database has not recorded (a database never
 * migrated fails with err: the table is missing). 0 or -1. */
int store_migrate_pending(struct db *db, const char *sql_dir, int *pending_out, struct err *err);

#endif
