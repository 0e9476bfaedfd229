/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ISO-8601 date-times for the login-activity API (loginTime values,
 * startDate/endDate). Pure code: no allocation, no shared state, any thread.
 */
#ifndef AUTHSVC_ACTIVITY_TIME_H
#define AUTHSVC_ACTIVITY_TIME_H

#include <stddef.h>
#include <stdint.h>

/*
 * An ISO-8601 date-time ("2024-03-22", "2024-03-22T13:28:51.596Z",
 * "...+02:00"; no offset means UTC). *us_out: microseconds since the epoch.
 * canon (>= 32 bytes) receives "YYYY-MM-DDTHH:MM:SS.ffffffZ" in UTC. 0 or -1.
 */
int activity_time_parse(const char *s, int64_t *us_out, char *canon, size_t canonsz);

#endif
