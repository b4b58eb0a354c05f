/*
 * csv.c - machines as CSV: see csv.h for the format and the columns.
 */
#include <string.h>

#include "csv.h"

const char *const csv_columns[] = {
	"id", "name", "ip", "mac", "online", "first_seen", "last_seen",
	"probe", "probe_error", "serial", "model", "model_name", "chip",
	"memory_bytes", "os_name", "os_version", "os_build", "arch",
	"disk_free_bytes", "disk_total_bytes", "disk_available_bytes",
	"battery_percent", "battery_state", "ac_power", "battery_cycles",
	"battery_health_percent", "battery_condition", "console_user",
	"uptime_s", "filevault", "filevault_percent", "sip", "ssv",
	"gatekeeper", "firewall", "updates_pending", "updates_restart",
	"updates_checked_at", "xprotect_version", "backup", "backup_last_at",
	"disk_smart", "memory_pressure", "mdm_enrolled", "dep_enrolled",
	"identity_conflict", "probe_incomplete", "platform_uuid", "hw_macs",
	"hostname", "computer_name", "vendor", "scanned_at", NULL
};

int
csv_text(struct ms_buf *b, const char *s, size_t n)
{
	int quote = 0;
	size_t i, from;

	for (i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' ||
		    s[i] == '\n';
	/* What a spreadsheet would run is shown as text: a quote first
	 * (a cell starting with TAB or CR included: some trim them). */
	if (n > 0 && strchr("=+-@\t\r", s[0]) != NULL) {
		if ((quote && ms_buf_append(b, "\"", 1) == -1) ||
		    ms_buf_append(b, "'", 1) == -1)
			return -1;
	} else if (quote && ms_buf_append(b, "\"", 1) == -1) {
		return -1;
	}
	if (!quote)
		return ms_buf_append(b, s, n);
	for (from = i = 0; i < n; i++) {
		if (s[i] != '"')
			continue;
		if (ms_buf_append(b, s + from, i + 1 - from) == -1 ||
		    ms_buf_append(b, "\"", 1) == -1)
			return -1;
		from = i + 1;
	}
	if (ms_buf_append(b, s + from, n - from) == -1)
		return -1;
	return ms_buf_append(b, "\"", 1);
}

/* One value as a cell. */
static int
cell(struct ms_buf *b, const json_t *v)
{
	struct ms_buf t = { 0 };
	size_t i;
	json_t *x;
	int r;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return csv_text(b, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		return ms_buf_printf(b, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	case JSON_REAL:
		/* As the record prints it: 15 significant digits. */
		return ms_buf_printf(b, "%.15g", json_real_value(v));
	case JSON_TRUE:
		return ms_buf_puts(b, "true");
	case JSON_FALSE:
		return ms_buf_puts(b, "false");
	case JSON_ARRAY:
		json_array_foreach((json_t *)v, i, x) {
			const char *s = json_string_value(x);

			if (s == NULL)
				continue;
			if ((t.len > 0 && ms_buf_puts(&t, " ") == -1) ||
			    ms_buf_puts(&t, s) == -1) {
				ms_buf_free(&t);
				return -1;
			}
		}
		r = csv_text(b, t.data != NULL ? t.data : "", t.len);
		ms_buf_free(&t);
		return r;
	default:
		return 0;	/* null, an object: nothing a cell can say */
	}
}

int
csv_header(struct ms_buf *b)
{
	size_t i;

	for (i = 0; csv_columns[i] != NULL; i++)
		if ((i > 0 && ms_buf_puts(b, ",") == -1) ||
		    ms_buf_puts(b, csv_columns[i]) == -1)
			return -1;
	return ms_buf_puts(b, "\r\n");
}

int
csv_row(struct ms_buf *b, const json_t *rec)
{
	static const char *const names[] = { "computer_name", "hostname",
	    "host" };
	size_t i, k;

	for (i = 0; csv_columns[i] != NULL; i++) {
		const json_t *v = json_object_get(rec, csv_columns[i]);

		if (i > 0 && ms_buf_puts(b, ",") == -1)
			return -1;
		if (strcmp(csv_columns[i], "name") == 0) {
			for (k = 0, v = NULL; k < 3 && v == NULL; k++) {
				v = json_object_get(rec, names[k]);
				if (!json_is_string(v) ||
				    json_string_length(v) == 0)
					v = NULL;
			}
		}
		if (v != NULL && cell(b, v) == -1)
			return -1;
	}
	return ms_buf_puts(b, "\r\n");
}
