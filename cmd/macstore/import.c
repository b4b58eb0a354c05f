/*
 * import.c - macstore import: the JSON files of the Python service that
 * macstore replaces, mapped onto the record and added as one snapshot
 * each, at the time of the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "macstore.h"
#include "record.h"
#include "rfc3339.h"

#define IMPORT_MAX (256u << 20)

static int
is_unknown(const json_t *v)
{
	const char *s;

	if (json_is_null(v))
		return 1;
	if ((s = json_string_value(v)) == NULL)
		return 0;
	while (*s == ' ')
		s++;
	return *s == '\0' || strcasecmp(s, "unknown") == 0 ||
	    strcasecmp(s, "n/a") == 0 || strcasecmp(s, "none") == 0 ||
	    strcasecmp(s, "inconnu") == 0 || strcmp(s, "-") == 0;
}

/* A number from a JSON number or a numeric string ("87", "87%", "1,5"). */
static int
num_of(const json_t *v, double *out, const char **rest)
{
	static char tail[16];
	const char *s;
	char buf[64], *end;
	size_t i;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		if (rest != NULL)
			*rest = "";
		return 0;
	}
	if ((s = json_string_value(v)) == NULL)
		return -1;
	while (*s == ' ')
		s++;
	for (i = 0; s[i] != '\0' && i < sizeof(buf) - 1; i++)
		buf[i] = s[i] == ',' ? '.' : s[i];
	buf[i] = '\0';
	if (buf[0] == '\0' || !(buf[0] == '.' || (buf[0] >= '0' &&
	    buf[0] <= '9')))
		return -1;
	errno = 0;
	*out = strtod(buf, &end);
	if (errno != 0 || end == buf || *out != *out)
		return -1;
	while (*end == ' ')
		end++;
	snprintf(tail, sizeof(tail), "%s", end);
	if (rest != NULL)
		*rest = tail;
	else if (*end != '\0')
		return -1;
	return 0;
}

/* Bytes from a size: a number is GB (decimal); a string may carry a
 * unit, binary as df -h prints it (Gi) or decimal (G, GB). */
static int
bytes_of(const json_t *v, long long *out)
{
	static const struct {
		const char *u;
		double m;
	} units[] = {
		{ "", 1e9 }, { "B", 1 }, { "K", 1e3 }, { "KB", 1e3 },
		{ "Ki", 1024.0 }, { "KiB", 1024.0 }, { "M", 1e6 },
		{ "MB", 1e6 }, { "Mi", 1048576.0 }, { "MiB", 1048576.0 },
		{ "G", 1e9 }, { "GB", 1e9 }, { "Go", 1e9 },
		{ "Gi", 1073741824.0 }, { "GiB", 1073741824.0 },
		{ "T", 1e12 }, { "TB", 1e12 }, { "To", 1e12 },
		{ "Ti", 1099511627776.0 }, { "TiB", 1099511627776.0 },
	};
	const char *rest;
	double d;
	size_t i;

	if (num_of(v, &d, &rest) == -1 || d < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(rest, units[i].u) == 0 &&
		    (units[i].u[0] == '\0' || strcmp(rest, units[i].u) == 0 ||
		    strlen(rest) > 1)) {
			d *= units[i].m;
			if (d > 9.2e18)
				return -1;
			*out = (long long)(d + 0.5);
			return 0;
		}
	}
	return -1;
}

static int
pct_of(const json_t *v, long long *out)
{
	const char *rest;
	double d;

	if (num_of(v, &d, &rest) == -1 || (*rest != '\0' &&
	    strcmp(rest, "%") != 0) || d < 0 || d > 100)
		return -1;
	*out = (long long)(d + 0.5);
	return 0;
}

static int
int_of(const json_t *v, long long *out)
{
	double d;

	if (num_of(v, &d, NULL) == -1 || d < 0 || d > 9.2e18 ||
	    d != (double)(long long)d)
		return -1;
	*out = (long long)d;
	return 0;
}

/* "3C-22-FB-1-2-3", "3c22fb010203" -> "3c:22:fb:01:02:03". */
static int
mac_of(const char *s, char out[18])
{
	unsigned v[6];
	int i = 0, k;
	const char *p = s;

	if (strlen(s) == 12) {
		for (i = 0; i < 6; i++) {
			char h[3] = { s[2 * i], s[2 * i + 1], 0 };
			char *end;

			v[i] = (unsigned)strtoul(h, &end, 16);
			if (*end != '\0' || h[0] == '+' || h[0] == '-' ||
			    h[0] == ' ')
				return -1;
		}
	} else {
		for (i = 0; i < 6; i++) {
			unsigned x = 0;

			for (k = 0; k < 2 && ((*p >= '0' && *p <= '9') ||
			    (*p >= 'a' && *p <= 'f') ||
			    (*p >= 'A' && *p <= 'F')); k++, p++)
				x = x * 16 + (unsigned)(*p <= '9' ? *p - '0' :
				    (*p | 0x20) - 'a' + 10);
			if (k == 0)
				return -1;
			v[i] = x;
			if (i < 5 && *p != ':' && *p != '-')
				return -1;
			if (i < 5)
				p++;
		}
		if (*p != '\0')
			return -1;
	}
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", v[0], v[1], v[2],
	    v[3], v[4], v[5]);
	return 0;
}

/* An old time stamp: RFC 3339, a naive ISO time (local, as Python's
 * datetime.now() wrote it) or seconds since the epoch. */
static int
time_of(const json_t *v, time_t *out)
{
	const char *s = json_string_value(v);
	struct tm tm;
	char *end;

	if (json_is_number(v)) {
		double d = json_number_value(v);

		if (d > 1e12)
			d /= 1000;	/* milliseconds */
		if (d < 0 || d > 253402300799.0)
			return -1;
		*out = (time_t)d;
		return 0;
	}
	if (s == NULL)
		return -1;
	if (rfc3339_parse(s, out, NULL) == 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (end == NULL)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (*end != '\0')
		return -1;
	tm.tm_isdst = -1;
	if ((*out = mktime(&tm)) == (time_t)-1)
		return -1;
	return 0;
}

enum { M_STR, M_MAC, M_ARCH, M_BYTES, M_GB, M_PCT, M_INT, M_BOOL, M_USER,
	M_TIME, M_BSTATE };

static const struct alias {
	const char *from;
	const char *to;
	int kind;
} aliases[] = {
	/* DESIGN's own names first: they win over the old ones. */
	{ "ip", "ip", M_STR }, { "hostname", "hostname", M_STR },
	{ "computer_name", "computer_name", M_STR },
	{ "mac", "mac", M_MAC }, { "serial", "serial", M_STR },
	{ "model", "model", M_STR }, { "model_name", "model_name", M_STR },
	{ "chip", "chip", M_STR }, { "os_version", "os_version", M_STR },
	{ "os_build", "os_build", M_STR }, { "arch", "arch", M_ARCH },
	{ "memory_bytes", "memory_bytes", M_INT },
	{ "disk_free_bytes", "disk_free_bytes", M_INT },
	{ "disk_total_bytes", "disk_total_bytes", M_INT },
	{ "battery_percent", "battery_percent", M_PCT },
	{ "battery_state", "battery_state", M_BSTATE },
	{ "battery_cycles", "battery_cycles", M_INT },
	{ "battery_health_percent", "battery_health_percent", M_PCT },
	{ "battery_condition", "battery_condition", M_STR },
	{ "ac_power", "ac_power", M_BOOL },
	{ "console_user", "console_user", M_USER },
	{ "scanned_at", "scanned_at", M_TIME },
	/* The old service's names, and likely variants. */
	{ "ip_address", "ip", M_STR }, { "IP Address", "ip", M_STR },
	{ "host_name", "hostname", M_STR }, { "Hostname", "hostname", M_STR },
	{ "mac_address", "mac", M_MAC }, { "MAC Address", "mac", M_MAC },
	{ "serial_number", "serial", M_STR },
	{ "Serial Number", "serial", M_STR },
	{ "model_identifier", "model", M_STR },
	{ "Model Identifier", "model", M_STR },
	{ "macos_version", "os_version", M_STR },
	{ "macOS Version", "os_version", M_STR },
	{ "architecture", "arch", M_ARCH },
	{ "Architecture", "arch", M_ARCH },
	{ "disk_free_gb", "disk_free_bytes", M_GB },
	{ "disk_free", "disk_free_bytes", M_BYTES },
	{ "Disk Free", "disk_free_bytes", M_BYTES },
	{ "disk_total_gb", "disk_total_bytes", M_GB },
	{ "disk_total", "disk_total_bytes", M_BYTES },
	{ "battery", "battery_percent", M_PCT },
	{ "battery_level", "battery_percent", M_PCT },
	{ "battery_status", "battery_state", M_BSTATE },
	{ "charging", "battery_state", M_BSTATE },
	{ "cycle_count", "battery_cycles", M_INT },
	{ "battery_health", "battery_health_percent", M_PCT },
	{ "username", "console_user", M_USER },
	{ "user", "console_user", M_USER },
	{ "current_user", "console_user", M_USER },
	{ "Current User", "console_user", M_USER },
	{ "last_seen", "scanned_at", M_TIME },
	{ "timestamp", "scanned_at", M_TIME },
};

/* battery_status / charging as a DESIGN battery_state, else NULL. */
static const char *
bstate_of(const json_t *v)
{
	static const struct {
		const char *from, *to;
	} m[] = {
		{ "charging", "charging" }, { "discharging", "discharging" },
		{ "charged", "charged" }, { "fully charged", "charged" },
		{ "full", "charged" }, { "finishing", "finishing" },
		{ "finishing charge", "finishing" },
		{ "not charging", "not_charging" },
		{ "not_charging", "not_charging" },
		{ "ac attached", "not_charging" },
	};
	const char *s = json_string_value(v);
	size_t i;

	if (json_is_true(v))
		return "charging";
	if (s == NULL)
		return NULL;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (strcasecmp(s, m[i].from) == 0)
			return m[i].to;
	return NULL;
}

/* 1 if s holds w, ignoring case (strcasestr is not POSIX). */
static int
has_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, w, n) == 0)
			return 1;
	return 0;
}

/*
 * Convert one value; 1 set, 0 when it cannot be read (the field stays as
 * it was, under its own name), -1 out of memory.
 */
static int
map_value(json_t *out, const struct alias *a, const json_t *v)
{
	long long n;
	char mac[18];
	const char *s;
	time_t t;
	char ts[RFC3339_LEN];

	switch (a->kind) {
	case M_STR:
		if ((s = json_string_value(v)) == NULL)
			return 0;
		return record_set_str(out, a->to, s) == -1 ? -1 : 1;
	case M_MAC:
		if ((s = json_string_value(v)) == NULL || mac_of(s, mac) == -1)
			return 0;
		return record_set_str(out, a->to, mac) == -1 ? -1 : 1;
	case M_ARCH:
		if ((s = json_string_value(v)) == NULL)
			return 0;
		if (has_word(s, "arm") || has_word(s, "apple silicon"))
			s = "arm64";
		else if (has_word(s, "intel") || has_word(s, "x86_64"))
			s = "x86_64";
		else
			return 0;
		return record_set_str(out, a->to, s) == -1 ? -1 : 1;
	case M_BYTES:
	case M_GB:
		if (bytes_of(v, &n) == -1)
			return 0;
		return record_set_int(out, a->to, n) == -1 ? -1 : 1;
	case M_PCT:
		if (pct_of(v, &n) == -1)
			return 0;
		return record_set_int(out, a->to, n) == -1 ? -1 : 1;
	case M_INT:
		if (int_of(v, &n) == -1)
			return 0;
		return record_set_int(out, a->to, n) == -1 ? -1 : 1;
	case M_BOOL:
		if (!json_is_boolean(v))
			return 0;
		return record_set_bool(out, a->to, json_is_true(v)) == -1 ?
		    -1 : 1;
	case M_USER:
		if ((s = json_string_value(v)) == NULL)
			return 0;
		/* The login window owns the console when nobody is
		 * logged in: that is "no user", absent. */
		if (strcmp(s, "root") == 0 || strcmp(s, "loginwindow") == 0 ||
		    strcmp(s, "_mbsetupuser") == 0)
			return 1;
		return record_set_str(out, a->to, s) == -1 ? -1 : 1;
	case M_TIME:
		if (time_of(v, &t) == -1 || rfc3339_format(t, ts) == NULL)
			return 0;
		return record_set_str(out, a->to, ts) == -1 ? -1 : 1;
	case M_BSTATE:
		if ((s = bstate_of(v)) == NULL)
			return 0;
		return record_set_str(out, a->to, s) == -1 ? -1 : 1;
	}
	return 0;
}

/* "Model Name: MacBook Pro Model Identifier: MacBookPro18,3" */
static int
map_model_info(json_t *out, const char *s)
{
	const char *n = strstr(s, "Model Name:");
	const char *i = strstr(s, "Model Identifier:");

	if (i != NULL && record_str(out, "model") == NULL) {
		const char *p = i + 17;
		size_t len;

		while (*p == ' ')
			p++;
		for (len = 0; p[len] != '\0' && p[len] != ' ' &&
		    p[len] != '\n'; len++)
			;
		if (len > 0 && record_set_strn(out, "model", p, len) == -1)
			return -1;
	}
	if (n != NULL && record_str(out, "model_name") == NULL) {
		const char *p = n + 11, *e = i != NULL && i > n ? i :
		    p + strlen(p);

		while (*p == ' ')
			p++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\n'))
			e--;
		if (e > p && record_set_strn(out, "model_name", p,
		    (size_t)(e - p)) == -1)
			return -1;
	}
	return 0;
}

/* The nested objects of the old scanner: their parts that map. */
static int
map_nested(json_t *out, const json_t *in)
{
	const json_t *bs = json_object_get(in, "battery_status");
	const json_t *bd = json_object_get(in, "battery_details");
	long long n;
	const char *s;

	if (json_is_object(bs)) {
		if (record_str(out, "battery_percent") == NULL &&
		    !json_is_integer(json_object_get(out, "battery_percent")) &&
		    pct_of(json_object_get(bs, "percent"), &n) == 0 &&
		    record_set_int(out, "battery_percent", n) == -1)
			return -1;
		if (json_object_get(out, "ac_power") == NULL) {
			const json_t *pp = json_object_get(bs,
			    "power_plugged");

			s = json_string_value(json_object_get(bs,
			    "drawing_from"));
			if (json_is_boolean(pp)) {
				if (record_set_bool(out, "ac_power",
				    json_is_true(pp)) == -1)
					return -1;
			} else if (s != NULL && (strstr(s, "AC") != NULL ||
			    strstr(s, "Battery") != NULL)) {
				if (record_set_bool(out, "ac_power",
				    strstr(s, "AC") != NULL) == -1)
					return -1;
			}
		}
		if (json_object_get(out, "battery_percent") != NULL &&
		    json_object_get(out, "battery_present") == NULL &&
		    record_set_bool(out, "battery_present", 1) == -1)
			return -1;
	}
	if (json_is_object(bd)) {
		if (json_object_get(out, "battery_cycles") == NULL &&
		    int_of(json_object_get(bd, "cycle_count"), &n) == 0 &&
		    record_set_int(out, "battery_cycles", n) == -1)
			return -1;
		s = json_string_value(json_object_get(bd, "condition"));
		if (json_object_get(out, "battery_condition") == NULL &&
		    s != NULL && !is_unknown(json_object_get(bd,
		    "condition")) && record_set_str(out, "battery_condition",
		    s) == -1)
			return -1;
	}
	s = json_string_value(json_object_get(in, "model_info"));
	if (s != NULL && map_model_info(out, s) == -1)
		return -1;
	return 0;
}

/*
 * One machine of an old file as a record: what maps onto DESIGN's fields
 * is converted (and the old name dropped); "Unknown" and empty values are
 * dropped (absent means unknown); every other field is kept unchanged.
 */
static json_t *
map_old(const json_t *in, const char *file, size_t idx)
{
	json_t *out = json_object(), *v;
	const char *k;
	size_t i;

	if (out == NULL)
		return NULL;
	/* Unknown fields first, in their order. */
	json_object_foreach((json_t *)in, k, v) {
		int known = record_field_type(k) != -1;

		for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
			if (strcmp(aliases[i].from, k) == 0)
				known = 1;
		if (!known && !is_unknown(v) &&
		    json_object_set(out, k, v) == -1)
			goto fail;
	}
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		const struct alias *a = &aliases[i];
		int r;

		v = json_object_get(in, a->from);
		if (v == NULL || is_unknown(v) ||
		    json_object_get(out, a->to) != NULL)
			continue;
		if (json_is_object(v) || json_is_array(v)) {
			/* The old scanner's nested objects: kept, and their
			 * parts that map are read by map_nested. */
			if (record_field_type(a->from) == -1 &&
			    json_object_get(out, a->from) == NULL &&
			    json_object_set(out, a->from, v) == -1)
				goto fail;
			continue;
		}
		if ((r = map_value(out, a, v)) == -1)
			goto fail;
		if (r == 0) {
			char *d = json_dumps(v, JSON_ENCODE_ANY);
			char *sd = sanitize(d, 60);

			/* Kept under its old name, unless that name is one
			 * of ours with another meaning. */
			if (record_field_type(a->from) == -1 &&
			    json_object_get(out, a->from) == NULL &&
			    json_object_set(out, a->from, (json_t *)v) == -1) {
				free(d);
				free(sd);
				goto fail;
			}
			ms_warn("%s: machine %zu: %s: cannot read %s%s", file,
			    idx + 1, a->from, sd ? sd : "?",
			    record_field_type(a->from) != -1 ? ": dropped" :
			    ": kept as it is");
			free(d);
			free(sd);
		}
	}
	if (map_nested(out, in) == -1)
		goto fail;
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* The time of an old file: smartelia_machines_YYYYMMDD_HHMMSS.json in
 * local time, as the old service named them, else its mtime. */
static int
old_file_time(const char *path, time_t *when)
{
	const char *b = strrchr(path, '/');
	struct tm tm;
	struct stat sb;
	char *end;

	b = b != NULL ? b + 1 : path;
	if (strncmp(b, "smartelia_machines_", 19) == 0) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(b + 19, "%Y%m%d_%H%M%S", &tm);
		if (end != NULL && strncmp(end, ".json", 5) == 0) {
			tm.tm_isdst = -1;
			if ((*when = mktime(&tm)) != (time_t)-1)
				return 0;
		}
	}
	if (stat(path, &sb) == -1)
		return -1;
	*when = sb.st_mtim.tv_sec;
	return 0;
}

struct import {
	const char *path;
	time_t when;
	json_t *recs;
};

static int
import_cmp(const void *a, const void *b)
{
	const struct import *x = a, *y = b;

	if (x->when != y->when)
		return x->when < y->when ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Read and map one old file: its records, or NULL (reported). */
static json_t *
import_read(const char *path, unsigned long *bad)
{
	struct ms_err e;
	json_error_t je;
	json_t *doc, *recs, *m, *where;
	char *text;
	size_t len, i;

	if ((text = ms_read_file(path, IMPORT_MAX, &len, &e)) == NULL) {
		ms_error("%s", e.msg);
		(*bad)++;
		return NULL;
	}
	doc = json_loadb(text, len, 0, &je);
	free(text);
	if (doc == NULL) {
		ms_error("%s:%d:%d: %s", path, je.line, je.column, je.text);
		(*bad)++;
		return NULL;
	}
	if (!json_is_array(doc)) {
		ms_error("%s: not a JSON array of machines", path);
		json_decref(doc);
		(*bad)++;
		return NULL;
	}
	if ((recs = json_array()) == NULL || (where = json_object()) == NULL)
		die(EX_STORE, "out of memory");
	json_array_foreach(doc, i, m) {
		json_t *r, *at;
		const char *id;

		if (!json_is_object(m)) {
			ms_error("%s: machine %zu: not an object", path,
			    i + 1);
			(*bad)++;
			continue;
		}
		if ((r = map_old(m, path, i)) == NULL)
			die(EX_STORE, "out of memory");
		if (record_check(r, &e) == -1) {
			ms_error("%s: machine %zu: %s", path, i + 1, e.msg);
			json_decref(r);
			(*bad)++;
			continue;
		}
		if ((id = record_identity(r)) == NULL) {
			ms_error("%s: machine %zu: no serial, mac or ip", path,
			    i + 1);
			json_decref(r);
			(*bad)++;
			continue;
		}
		if ((at = json_object_get(where, id)) != NULL &&
		    !record_differ(json_array_get(recs, (size_t)
		    json_integer_value(at)), r)) {
			ms_warn("%s: machines %lld and %zu have the same id "
			    "%s: keeping the last", path,
			    (long long)json_integer_value(at) + 1, i + 1,
			    safe_id(id));
			json_array_set_new(recs, (size_t)json_integer_value(
			    json_object_get(where, id)), r);
			continue;
		}
		json_object_set_new(where, id,
		    json_integer((json_int_t)json_array_size(recs)));
		if (json_array_append_new(recs, r) == -1)
			die(EX_STORE, "out of memory");
	}
	json_decref(where);
	json_decref(doc);
	if (json_array_size(recs) == 0) {
		ms_error("%s: no machines to import", path);
		json_decref(recs);
		(*bad)++;
		return NULL;
	}
	return recs;
}

int
cmd_import(struct store *st, const struct opts *op, int argc, char **argv)
{
	struct import *v;
	struct store_snap *snaps;
	struct ms_err e;
	unsigned long bad = 0;
	size_t n = 0, nsnaps, i, j;
	int done = 0;

	if ((v = calloc((size_t)argc, sizeof(*v))) == NULL)
		die(EX_STORE, "out of memory");
	for (i = 0; i < (size_t)argc; i++) {
		json_t *recs = import_read(argv[i], &bad);

		if (recs == NULL)
			continue;
		if (old_file_time(argv[i], &v[n].when) == -1) {
			ms_error("%s:", argv[i]);
			json_decref(recs);
			bad++;
			continue;
		}
		v[n].path = argv[i];
		v[n].recs = recs;
		n++;
	}
	qsort(v, n, sizeof(*v), import_cmp);
	if (n > 0) {
		if (store_lock(st, STORE_LOCK_TIMEOUT, &e) == -1)
			die(EX_STORE, "cannot lock the store: %s", e.msg);
		if (store_list(st, &snaps, &nsnaps, &e) == -1)
			die(EX_STORE, "%s", e.msg);
		for (i = 0; i < n; i++) {
			char ts[RFC3339_LEN];

			for (j = 0; j < nsnaps; j++)
				if (snaps[j].when == v[i].when)
					break;
			if (j < nsnaps) {
				/* Importing twice must not double a scan. */
				ms_warn("%s: a snapshot of %s exists already "
				    "(%s): skipped", v[i].path,
				    rfc3339_format(v[i].when, ts) ? ts : "?",
				    snaps[j].name);
				continue;
			}
			if (store_add(st, v[i].recs, v[i].when, NULL, &e) == -1)
				die(EX_STORE, "%s: %s", v[i].path, e.msg);
			ms_info("%s: imported %zu machine%s as of %s",
			    v[i].path, json_array_size(v[i].recs),
			    json_array_size(v[i].recs) == 1 ? "" : "s",
			    rfc3339_format(v[i].when, ts) ? ts : "?");
			done++;
		}
		store_snaps_free(snaps, nsnaps);
		if (done > 0) {
			int k = store_prune(st, op->keep, &e);

			if (k == -1)
				die(EX_STORE, "%s", e.msg);
			if (k > 0)
				ms_info("removed %d old snapshot%s, keeping %u"
				    " (their history stays)", k,
				    k == 1 ? "" : "s", op->keep);
		}
		store_unlock(st);
	}
	for (i = 0; i < n; i++)
		json_decref(v[i].recs);
	free(v);
	return bad > 0 ? EX_BAD : EX_OK;
}

