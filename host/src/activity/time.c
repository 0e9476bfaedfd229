/* SPDX-License-Identifier: Apache-2.0 */
/* ISO-8601 date-times and the civil-date arithmetic behind them (see time.h). */
#include "activity/time.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>

static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* n digits at *s into *out; advances. */
static bool digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return true;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

int activity_time_parse(const char *s, int64_t *us_out, char *canon, size_t canonsz)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, days, us;

	if (s == NULL || !digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
	    !digits(&s, 2, &d))
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
			return -1;
		if (*s == ':') {
			s++;
			if (!digits(&s, 2, &sec))
				return -1;
			if (*s == '.' || *s == ',') {
				int n = 0;

				s++;
				if (!isdigit((unsigned char)*s))
					return -1;
				for (; isdigit((unsigned char)*s); s++, n++)
					if (n < 6)
						frac = frac * 10 + (*s - '0');
				for (; n < 6; n++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (!digits(&s, 2, &oh))
				return -1;
			if (*s == ':')
				s++;
			if (*s != '\0' && !digits(&s, 2, &om))
				return -1;
			if (oh > 23 || om > 59)
				return -1;
		}
	}
	if (*s != '\0')
		return -1;
	days = days_from_civil(y, mo, d);
	us = ((days * 86400 + h * 3600 + mi * 60 + sec) - sign * (oh * 3600 + om * 60)) * 1000000 +
	     frac;
	if (us_out != NULL)
		*us_out = us;
	if (canon != NULL) {
		int64_t dd = us / 86400000000LL, rem = us % 86400000000LL;
		int cy, cm, cd;

		if (rem < 0) {
			rem += 86400000000LL;
			dd--;
		}
		civil_from_days(dd, &cy, &cm, &cd);
		if (cy < 1 || cy > 9999)
			return -1;
		snprintf(canon, canonsz, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", cy, cm, cd,
			 (int)(rem / 3600000000LL), (int)(rem / 60000000LL % 60),
			 (int)(rem / 1000000 % 60), (int)(rem % 1000000));
	}
	return 0;
}
