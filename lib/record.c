#include <stdlib.h>
#include <string.h>

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

int
record_check(const json_t *rec, struct ms_err *e)
{
	const char *key;
	json_t *v;

	if (!json_is_object(rec))
		return ms_err_set(e, "not a JSON object");
	json_object_foreach((json_t *)rec, key, v) {
		int t = record_field_type(key);

		switch (t) {
		case RT_STRING:
			if (!json_is_string(v))
				return ms_err_set(e, "field \"%s\" must be a "
				    "string", key);
			break;
		case RT_INT:
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return ms_err_set(e, "field \"%s\" must be an "
				    "integer >= 0", key);
			break;
		case RT_NUMBER:
			if (!json_is_number(v) || json_number_value(v) < 0)
				return ms_err_set(e, "field \"%s\" must be a "
				    "number >= 0", key);
			break;
		case RT_BOOL:
			if (!json_is_boolean(v))
				return ms_err_set(e, "field \"%s\" must be true "
				    "or false", key);
			break;
		case RT_STRARRAY: {
			size_t i;
			json_t *x;

			if (!json_is_array(v))
				return ms_err_set(e, "field \"%s\" must be an "
				    "array of strings", key);
			json_array_foreach(v, i, x)
				if (!json_is_string(x))
					return ms_err_set(e, "field \"%s\" "
					    "must be an array of strings", key);
			break;
		}
		default:
			break;
		}
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

const char *
record_identity(const json_t *rec)
{
	static const char *keys[] = { "serial", "mac", "ip", "host" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = record_str(rec, keys[i]);

		if (s != NULL && *s != '\0')
			return s;
	}
	return NULL;
}
