#include <stdio.h>
#include <string.h>

#include "rfc3339.h"

char *
rfc3339_format(time_t t, char buf[RFC3339_LEN])
{
	struct tm tm;
	char tmp[64];

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999)
		return NULL;
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	memcpy(buf, tmp, RFC3339_LEN - 1);
	buf[RFC3339_LEN - 1] = '\0';
	return buf;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
long long
rfc3339_timegm(int year, int mon, int day, int h, int m, int s)
{
	long long y = year - (mon <= 2);
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	long long days = era * 146097 + doe - 719468;

	return days * 86400 + h * 3600 + m * 60 + s;
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
rfc3339_parse(const char *s, time_t *out, struct ms_err *e)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p;
	long long t;

	if (s == NULL || strlen(s) < 20)
		return ms_err_set(e, "not an RFC 3339 time: '%.40s'",
		    s ? s : "");
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &sec))
		return ms_err_set(e, "not an RFC 3339 time: '%.40s'", s);
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0)) || h > 23 || mi > 59 || sec > 60)
		return ms_err_set(e, "date or time out of range: '%.40s'", s);
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return ms_err_set(e, "bad fraction of a second: "
			    "'%.40s'", s);
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return ms_err_set(e, "bad time zone offset: '%.40s'",
			    s);
		p += 6;
	} else {
		return ms_err_set(e, "missing time zone (Z or +hh:mm): "
		    "'%.40s'", s);
	}
	if (*p != '\0')
		return ms_err_set(e, "trailing characters after time: "
		    "'%.40s'", s);
	if (sec == 60)
		sec = 59;	/* a leap second, as POSIX time has none */
	t = rfc3339_timegm(y, mo, d, h, mi, sec);
	t -= sign * (oh * 3600 + om * 60);
	*out = (time_t)t;
	return 0;
}
