/*
 * csv.h - machines as CSV, for spreadsheets: `macstore latest -c` and
 * machttp's /machines.csv.
 *
 * RFC 4180: one header row, then one row per machine; fields separated
 * by commas, rows ended by CRLF; a field holding a comma, a double
 * quote, CR or LF is quoted, its quotes doubled. Text is UTF-8 as the
 * record has it (no byte order mark: a program that wants one for a
 * spreadsheet puts CSV_BOM first). Values are the record's, exactly,
 * with one exception: a text cell a spreadsheet would take for a
 * formula (starting with '=', '+', '-', '@', TAB or CR) gets a single
 * quote in front, so that it is shown as the text it is and never run
 * (a Mac's name is whatever its user typed). A number (a JSON number:
 * disk_free_bytes, battery_percent...) is written as the number, minus
 * sign included, and is never quoted or prefixed: it is not text. An
 * absent field is an empty cell; true and false are "true" and
 * "false"; an array (hw_macs, probe_incomplete) is its elements joined
 * by a space, as one text cell.
 *
 * The columns, in this order (csv_columns):
 *   id, name (computer_name, else hostname, else host), ip, mac,
 *   online, first_seen, last_seen, probe, probe_error,
 *   serial, model, model_name, chip, memory_bytes,
 *   os_name, os_version, os_build, arch,
 *   disk_free_bytes, disk_total_bytes, disk_available_bytes,
 *   battery_percent, battery_state, ac_power, battery_cycles,
 *   battery_health_percent, battery_condition, console_user, uptime_s,
 *   filevault, filevault_percent, sip, ssv, gatekeeper, firewall,
 *   updates_pending, updates_restart, updates_checked_at,
 *   xprotect_version, backup, backup_last_at, disk_smart,
 *   memory_pressure, mdm_enrolled, dep_enrolled,
 *   identity_conflict, probe_incomplete, platform_uuid, hw_macs,
 *   hostname, computer_name, vendor, scanned_at
 * Columns are only ever added at the end.
 *
 * The functions append to an ms_buf: 0, or -1 out of memory.
 */
#ifndef MACSCAN_CSV_H
#define MACSCAN_CSV_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"

#define CSV_BOM "\xef\xbb\xbf"

/* The column names, NULL-terminated. */
extern const char *const csv_columns[];

/* The header row. */
int csv_header(struct ms_buf *b);

/* One machine's row (a record of the merged view). */
int csv_row(struct ms_buf *b, const json_t *rec);

/* One text cell (n bytes at s): neutralised, quoted as needed. */
int csv_text(struct ms_buf *b, const char *s, size_t n);

#endif
