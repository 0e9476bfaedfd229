/* SPDX-License-Identifier: Apache-2.0 */
/* The log channel: development only (config refuses it unless
 * notify.allow_log_channel is set), since its point is to show the code. */
#include "notify/channels.h"

#include <stdio.h>

#include "log/log.h"

int channel_log_send(const struct notify_conf *nc, const struct notify_msg *m, char *why,
		     size_t whysz)
{
	(void)nc;
	(void)why;
	(void)whysz;
	char to[512];

	snprintf(to, sizeof(to), "%s%s%s", m->email, m->phone[0] ? " " : "", m->phone);
	log_warn("notify.log id=%s event=%s to=%s data=%s", m->id, m->event, LOG_Q(to),
		 LOG_Q(m->data));
	return 0;
}
