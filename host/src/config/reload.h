/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live reload of the configuration (SIGHUP; docs/architecture.md
 * "Configuration reload").
 *
 * A struct config_snap is one immutable configuration with a reference
 * count. The server holds the current one; every event loop holds its own
 * reference and each request takes one when it arrives (req->snap), reads
 * its settings from it for its whole life, and drops it with the request.
 * A reload builds a new snapshot and swaps it in; the old one is freed
 * when its last request ends. No request ever sees a half-applied file.
 *
 * What cannot change in a running process (addresses, threads, the
 * database, keys, plugins, the notifier's channel and threads) is carried over from
 * the configuration the server started with: config_reload_merge copies
 * those settings into the new snapshot and names the keys whose value in
 * the file differs, for the "needs restart" log line.
 */
#ifndef AUTHSVC_CONFIG_RELOAD_H
#define AUTHSVC_CONFIG_RELOAD_H

#include <stddef.h>

#include "config/config.h"
#include "util/err.h"

struct config_snap;

/* A snapshot of cfg, which it borrows (cfg must outlive every reference):
 * the configuration the server started with. NULL when out of memory. */
struct config_snap *config_snap_borrow(const struct config *cfg);
/* A snapshot that owns *cfg's contents (moved: *cfg is zeroed). NULL when
 * out of memory (*cfg is then released). */
struct config_snap *config_snap_adopt(struct config *cfg);
const struct config *config_snap_cfg(const struct config_snap *s);
/* Another reference (NULL passes through). Any thread. */
struct config_snap *config_snap_ref(struct config_snap *s);
/* Drop a reference; the last one frees an adopted configuration. NULL is
 * ignored. Any thread. */
void config_snap_unref(struct config_snap *s);

/*
 * Make next (freshly loaded) fit to replace the running configuration:
 * every setting that only a restart applies is set to its value in boot
 * (the configuration the process started with), and the names of those
 * whose value next had differs are written, comma-separated, to changed
 * ("" when none; cut short with "..." when it does not fit). 0, or -1
 * (out of memory; next is then unusable and must be released).
 */
int config_reload_merge(const struct config *boot, struct config *next, char *changed,
			size_t changedsz);

#endif
