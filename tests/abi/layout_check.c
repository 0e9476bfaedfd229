/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compiled once per header (LAYOUT_HEADER: a frozen copy or the current
 * SDK header): every field of tests/abi/layout.h sits at its listed offset.
 * A moved field fails the build.
 */
#include <stddef.h>

#include LAYOUT_HEADER

#include "layout.h"

#define LAYOUT_OFFSET(T, f, off) _Static_assert(offsetof(struct T, f) == (off), #T "." #f " moved");
#define LAYOUT_SIZE(T, n)	 _Static_assert(sizeof(struct T) == (n), #T " size changed");

#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ == 8
LAYOUT_10
#if AUTHSVC_ABI_MINOR >= 1
LAYOUT_11
#endif
#endif

/* An object file must not be empty (ISO C). */
int authsvc_layout_checked(void);
int authsvc_layout_checked(void)
{
	return (int)AUTHSVC_ABI_MINOR;
}
