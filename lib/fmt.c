/*
 * fmt.c - see fmt.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "fmt.h"
#include "record.h"
#include "util.h"

#define GB 1000000000LL

int
fmt_lang_parse(const char *s, enum ms_lang *out)
{
	static const struct {
		const char *code;
		enum ms_lang lang;
	} langs[] = { { "fr", MS_LANG_FR }, { "en", MS_LANG_EN } };
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (strncmp(s, langs[i].code, 2) == 0 && (s[2] == '\0' ||
		    s[2] == '_' || s[2] == '-' || s[2] == '.')) {
			*out = langs[i].lang;
			return 0;
		}
	return -1;
}

const char *
fmt_lang_code(enum ms_lang lang)
{
	return lang == MS_LANG_FR ? "fr" : "en";
}

char *
fmt_name(const json_t *rec, size_t max)
{
	static const char *const keys[] = { "computer_name", "hostname",
	    "host", "ip", "id" };
	const char *s = NULL;
	size_t i, n, cut;
	char *c;

	if (max == 0)
		max = FMT_NAME_MAX;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((s = record_str(rec, keys[i])) == NULL)
			continue;
		/* Blanks alone say nothing: try the next key. */
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s != '\0')
			break;
		s = NULL;
	}
	if (s == NULL)
		s = "?";
	if ((c = esc_clean(s, strlen(s))) == NULL)
		return NULL;
	n = strlen(c);
	while (n > 0 && (c[n - 1] == ' ' || c[n - 1] == '\t'))
		c[--n] = '\0';
	if (n > max) {
		/* Room for the ellipsis (3 bytes) within max. */
		cut = ms_utf8_cut(c, n, max > 3 ? max - 3 : 0);
		memcpy(c + cut, "\xe2\x80\xa6", 4);
	}
	return c;
}

char *
fmt_bytes(long long bytes, enum ms_lang lang, int flags, char *buf,
    size_t len)
{
	int fr = lang == MS_LANG_FR;
	const char *tb = fr ? "To" : "TB", *gb = fr ? "Go" : "GB";
	const char *mb = fr ? "Mo" : "MB";
	char sep = fr ? ',' : '.';
	long long v;

	if (bytes < 0) {
		snprintf(buf, len, "?");
	} else if (flags & FMT_BYTES_GB) {
		v = bytes / 100000000 + (bytes % 100000000 >= 50000000);
		snprintf(buf, len, "%lld%c%lld", v / 10, sep, v % 10);
	} else if ((v = bytes / 1000000 + (bytes % 1000000 >= 500000)) <
	    1000) {
		snprintf(buf, len, "%lld %s", v, mb);
	} else if ((v = bytes / 100000000 + (bytes % 100000000 >=
	    50000000)) < 1000) {
		snprintf(buf, len, "%lld%c%lld %s", v / 10, sep, v % 10, gb);
	} else if ((v = bytes / GB + (bytes % GB >= GB / 2)) < 1000) {
		snprintf(buf, len, "%lld %s", v, gb);
	} else {
		v = bytes / 100000000000LL +
		    (bytes % 100000000000LL >= 50000000000LL);
		snprintf(buf, len, "%lld%c%lld %s", v / 10, sep, v % 10, tb);
	}
	return buf;
}

char *
fmt_pct(long long v, enum ms_lang lang, char *buf, size_t len)
{
	/* French puts a (no-break) space before the sign. */
	snprintf(buf, len, lang == MS_LANG_FR ? "%lld\xc2\xa0%%" : "%lld%%",
	    v);
	return buf;
}

char *
fmt_days(double d, enum ms_lang lang, char *buf, size_t len)
{
	long long n = (long long)d;

	if (d < 0)
		snprintf(buf, len, "%s", "");
	else if (n < 1)
		snprintf(buf, len, lang == MS_LANG_FR ? "moins d'un jour" :
		    "less than a day");
	else if (lang == MS_LANG_FR)
		snprintf(buf, len, "~%lld jour%s", n, n > 1 ? "s" : "");
	else
		snprintf(buf, len, "~%lld day%s", n, n > 1 ? "s" : "");
	return buf;
}

char *
fmt_time(time_t t, enum ms_lang lang, char *buf, size_t len)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "?");
	else if (lang == MS_LANG_FR)
		snprintf(buf, len, "%02d/%02d/%04d \xc3\xa0 %02d:%02d",
		    tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour,
		    tm.tm_min);
	else
		snprintf(buf, len, "%04d-%02d-%02d %02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min);
	return buf;
}

char *
fmt_duration(long long s, enum ms_lang lang, char *buf, size_t len)
{
	const char *d = lang == MS_LANG_FR ? "j" : "d";

	if (s < 0)
		snprintf(buf, len, "?");
	else if (s >= 86400)
		snprintf(buf, len, "%lld %s %lld h", s / 86400, d,
		    s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lld min", s / 60);
	return buf;
}
