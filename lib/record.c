#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "escape.h"
#include "record.h"

const struct record_field record_fields[] = {
	{ "ip", RT_STRING },
	{ "host", RT_STRING },
	{ "mac", RT_STRING },
	{ "vendor", RT_STRING },
	{ "rtt_ms", RT_NUMBER },
	{ "seen_by", RT_STRING },
	{ "probe", RT_STRING },
	{ "probe_error", RT_STRING },
	{ "probe_incomplete", RT_STRARRAY },
	{ "hostname", RT_STRING },
	{ "computer_name", RT_STRING },
	{ "serial", RT_STRING },
	{ "model", RT_STRING },
	{ "model_name", RT_STRING },
	{ "chip", RT_STRING },
	{ "memory_bytes", RT_INT },
	{ "os_name", RT_STRING },
	{ "os_version", RT_STRING },
	{ "os_build", RT_STRING },
	{ "arch", RT_STRING },
	{ "disk_total_bytes", RT_INT },
	{ "disk_free_bytes", RT_INT },
	{ "disk_available_bytes", RT_INT },
	{ "battery_present", RT_BOOL },
	{ "battery_percent", RT_INT },
	{ "battery_state", RT_STRING },
	{ "ac_power", RT_BOOL },
	{ "battery_cycles", RT_INT },
	{ "battery_health_percent", RT_INT },
	{ "battery_condition", RT_STRING },
	{ "uptime_s", RT_INT },
	{ "console_user", RT_STRING },
	{ "scanned_at", RT_STRING },
	{ "filevault", RT_STRING },
	{ "filevault_percent", RT_INT },
	{ "sip", RT_STRING },
	{ "ssv", RT_STRING },
	{ "gatekeeper", RT_STRING },
	{ "firewall", RT_STRING },
	{ "updates_pending", RT_INT },
	{ "updates_restart", RT_INT },
	{ "updates_restart_since", RT_STRING },
	{ "updates_checked_at", RT_STRING },
	{ "xprotect_version", RT_STRING },
	{ "backup", RT_STRING },
	{ "backup_last_at", RT_STRING },
	{ "disk_smart", RT_STRING },
	{ "memory_pressure", RT_STRING },
	{ "platform_uuid", RT_STRING },
	{ "hw_macs", RT_STRARRAY },
	{ "mdm_enrolled", RT_BOOL },
	{ "dep_enrolled", RT_BOOL },
	{ "id", RT_STRING },
	{ "identity_conflict", RT_BOOL },
	{ "first_seen", RT_STRING },
	{ "last_seen", RT_STRING },
	{ "online", RT_BOOL },
	{ NULL, RT_STRING }
};

int
record_field_type(const char *name)
{
	const struct record_field *f;

	for (f = record_fields; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return (int)f->type;
	return -1;
}

json_t *
record_new(void)
{
	return json_object();
}

const char *
record_type_rule(enum record_type t)
{
	switch (t) {
	case RT_STRING:
		return "a string";
	case RT_INT:
		return "an integer >= 0";
	case RT_NUMBER:
		return "a number >= 0";
	case RT_BOOL:
		return "true or false";
	case RT_STRARRAY:
		return "an array of strings";
	}
	return "?";
}

static int
strings(const json_t *v)
{
	size_t i;
	json_t *s;

	if (!json_is_array(v))
		return 0;
	json_array_foreach((json_t *)v, i, s)
		if (!json_is_string(s))
			return 0;
	return 1;
}

int
record_check(const json_t *rec, struct ms_err *e)
{
	const char *key;
	json_t *v;

	if (!json_is_object(rec))
		return ms_err_set(e, "not a JSON object");
	json_object_foreach((json_t *)rec, key, v) {
		int t = record_field_type(key), ok;

		switch (t) {
		case RT_STRING:
			ok = json_is_string(v);
			break;
		case RT_INT:
			ok = json_is_integer(v) && json_integer_value(v) >= 0;
			break;
		case RT_NUMBER:
			ok = json_is_number(v) && json_number_value(v) >= 0;
			break;
		case RT_BOOL:
			ok = json_is_boolean(v);
			break;
		case RT_STRARRAY:
			ok = strings(v);
			break;
		default:
			ok = 1;
			break;
		}
		if (!ok)
			return ms_err_set(e, "field \"%s\" must be %s", key,
			    record_type_rule((enum record_type)t));
	}
	return 0;
}

json_t *
record_parse(const char *text, size_t len, struct ms_err *e)
{
	json_error_t je;
	json_t *rec;

	rec = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (rec == NULL) {
		ms_err_set(e, "column %d: %s", je.column, je.text);
		return NULL;
	}
	if (!json_is_object(rec)) {
		json_decref(rec);
		ms_err_set(e, "not a JSON object");
		return NULL;
	}
	if (record_check(rec, e) == -1) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

char *
record_dump(const json_t *rec)
{
	return json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

const char *
record_str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

int
record_int(const json_t *rec, const char *key, long long *out)
{
	json_t *v = json_object_get(rec, key);

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d > -9.2e18 && d < 9.2e18) {
			*out = (long long)d;
			return 0;
		}
	}
	return -1;
}

int
record_real(const json_t *rec, const char *key, double *out)
{
	json_t *v = json_object_get(rec, key);

	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

int
record_bool(const json_t *rec, const char *key, int *out)
{
	json_t *v = json_object_get(rec, key);

	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

char *
record_utf8_clean(const char *s, size_t len)
{
	return esc_clean(s, len);
}

int
record_set_strn(json_t *rec, const char *key, const char *val, size_t len)
{
	char *c = esc_clean(val, len);
	json_t *v;

	/* The one sanitizer for strings from Macs (lib/escape.h). */
	if (c == NULL)
		return -1;
	v = json_string(c);
	free(c);
	if (v == NULL)
		return -1;
	/* json_object_set_new steals v, also on failure. */
	return json_object_set_new(rec, key, v);
}

int
record_set_str(json_t *rec, const char *key, const char *val)
{
	return record_set_strn(rec, key, val, strlen(val));
}

int
record_set_int(json_t *rec, const char *key, long long val)
{
	return json_object_set_new(rec, key, json_integer(val));
}

int
record_set_real(json_t *rec, const char *key, double val)
{
	return json_object_set_new(rec, key, json_real(val));
}

int
record_set_bool(json_t *rec, const char *key, int val)
{
	return json_object_set_new(rec, key, json_boolean(val));
}

int
record_del(json_t *rec, const char *key)
{
	json_object_del(rec, key);
	return 0;
}

/* The first of hw_macs, when it is a non-empty string. */
static const char *
first_hw_mac(const json_t *rec)
{
	const char *s = json_string_value(json_array_get(json_object_get(rec,
	    "hw_macs"), 0));

	return s != NULL && *s != '\0' ? s : NULL;
}

const char *
record_identity(const json_t *rec)
{
	static const char *keys[] = { "serial", "platform_uuid", "hw_macs",
	    "mac", "ip", "host" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = i == 2 ? first_hw_mac(rec) :
		    record_str(rec, keys[i]);

		if (s != NULL && *s != '\0')
			return s;
	}
	return NULL;
}

int
record_identified(const json_t *rec)
{
	const char *s;

	return ((s = record_str(rec, "serial")) != NULL && *s != '\0') ||
	    ((s = record_str(rec, "platform_uuid")) != NULL && *s != '\0') ||
	    first_hw_mac(rec) != NULL;
}

/* Is mac one of hw_macs (MACs compare without case)? */
static int
has_mac(const json_t *hw, const char *mac)
{
	size_t i;
	json_t *v;

	json_array_foreach((json_t *)hw, i, v) {
		const char *s = json_string_value(v);

		if (s != NULL && *s != '\0' && strcasecmp(s, mac) == 0)
			return 1;
	}
	return 0;
}

/* hw_macs with at least one address, else NULL. */
static const json_t *
known_hw(const json_t *rec)
{
	const json_t *hw = json_object_get(rec, "hw_macs");
	size_t i;
	json_t *v;

	json_array_foreach((json_t *)hw, i, v) {
		const char *s = json_string_value(v);

		if (s != NULL && *s != '\0')
			return hw;
	}
	return NULL;
}

static const char *
known_str(const json_t *rec, const char *key)
{
	const char *s = record_str(rec, key);

	return s != NULL && *s != '\0' ? s : NULL;
}

int
record_differ(const json_t *a, const json_t *b)
{
	const json_t *ha = known_hw(a), *hb = known_hw(b);
	const char *ua = known_str(a, "platform_uuid");
	const char *ub = known_str(b, "platform_uuid");
	const char *ma = known_str(a, "mac"), *mb = known_str(b, "mac");
	size_t i;
	json_t *v;

	if (ua != NULL && ub != NULL)
		return strcasecmp(ua, ub) != 0;
	if (ha != NULL && hb != NULL) {
		json_array_foreach((json_t *)ha, i, v) {
			const char *s = json_string_value(v);

			if (s != NULL && *s != '\0' && has_mac(hb, s))
				return 0;
		}
		return 1;
	}
	if (ma != NULL && mb != NULL)
		return strcasecmp(ma, mb) != 0 &&
		    (hb == NULL || !has_mac(hb, ma)) &&
		    (ha == NULL || !has_mac(ha, mb));
	return 0;
}
