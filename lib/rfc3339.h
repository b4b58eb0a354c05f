/*
 * rfc3339.h - RFC 3339 UTC time stamps, as every record carries them:
 * "2026-11-24T16:15:53Z".
 */
#ifndef MACSCAN_RFC3339_H
#define MACSCAN_RFC3339_H

#include <time.h>

#include "util.h"

#define RFC3339_LEN 21	/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL */

/* Format t (UTC) into buf; returns buf, or NULL if the year has no four
 * digits. */
char *rfc3339_format(time_t t, char buf[RFC3339_LEN]);

/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" ('t', 'z' and a
 * space for 'T' accepted, as RFC 3339 allows); the fraction is dropped.
 * Returns 0 and *out (seconds since the epoch), or -1 with e set.
 */
int rfc3339_parse(const char *s, time_t *out, struct ms_err *e);

/* Seconds since the epoch of a UTC calendar date, without the TZ. */
long long rfc3339_timegm(int year, int mon, int day, int h, int m, int s);

#endif
