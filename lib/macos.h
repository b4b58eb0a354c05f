/*
 * macos.h - parsers of what share/probe.sh prints on a Mac.
 *
 * The probe (share/probe.sh, run by macprobe as `/bin/sh -s`) prints
 * marked sections. A marker is a line of its own:
 *
 *	@@macscan:NONCE:NAME@@
 *
 * NONCE is 1 to 64 characters of [0-9A-Za-z], drawn afresh on the Mac by
 * each run (od of /dev/urandom, else the shell's pid), so that no output
 * of a command (a computer name, a volume name) can forge a marker: a line
 * is a marker only if it carries the nonce of the first marker. NAME is
 * [a-z_]. The text of a section is everything between its marker and the
 * next one. The first marker is "probe" (its text is the format version,
 * "1"); the last is "end" (no text), so a truncated output can be told
 * apart. The sections, in order:
 *
 *	probe		format version, "1"
 *	uname		uname -sm ("Darwin arm64"); when not Darwin the probe
 *			prints "end" right after it and stops
 *	hostname	hostname
 *	computer_name	scutil --get ComputerName
 *	hw_model	sysctl -n hw.model
 *	hw_memsize	sysctl -n hw.memsize
 *	boottime	sysctl -n kern.boottime
 *	cpu_brand	sysctl -n machdep.cpu.brand_string
 *	now		date +%s, the Mac's clock, read right after boottime
 *	sw_vers		sw_vers
 *	pmset		pmset -g batt
 *	ioreg		ioreg -rn AppleSmartBattery -w0 (empty on desktops)
 *	system_profiler	system_profiler SPHardwareDataType, plus
 *			SPPowerDataType in the same run on Macs with a battery
 *	df		df -k of the data volume
 *	disk_available	the data volume's "available for important usage"
 *			(osascript), a plain integer of bytes
 *	console_user	stat -f%Su /dev/console
 *	end
 *
 * A section whose command is missing, fails or times out is empty. The
 * output is untrusted: every parser below takes (text, len), needs no NUL
 * terminator, reads no byte outside [text, text + len), runs in linear
 * time, and sets a field only from a value that passed its checks
 * (absent means unknown: no field is ever set to a made-up 0).
 *
 * Every parser takes a record (lib/record.h) and sets the fields of
 * DESIGN.md it finds. It returns the number of fields set (0 when the text
 * holds none), or -1 when the record could not be changed (out of memory).
 * None of them prints, exits or keeps a pointer to its arguments.
 */
#ifndef MACSCAN_MACOS_H
#define MACSCAN_MACOS_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"

/* Longest string value kept (hostname, model, serial...); longer is
 * dropped, as a value that long cannot be a real one. */
#define MACOS_STR_MAX 256

/*
 * The whole output of share/probe.sh. Sets every field the sections give.
 * Returns 0 on a macOS host, 1 when the host is not macOS (sets
 * probe=not_macos), -1 when the output holds no probe marker (e says what;
 * nothing is set). "probe" is not set on success: macprobe decides it.
 */
int macos_parse_probe(const char *out, size_t len, json_t *rec,
    struct ms_err *e);

/*
 * Find section NAME in a probe output: 1 and its text in *text, *tlen
 * (pointing into out), 0 when absent, -1 when out holds no marker. The
 * first section of a name wins.
 */
int macos_section(const char *out, size_t len, const char *name,
    const char **text, size_t *tlen);

/* uname -sm: sets arch (arm64, x86_64) on Darwin. Returns 1 for Darwin,
 * 0 for another system, -1 when the text says neither (empty, garbage). */
int macos_parse_uname(const char *text, size_t len, json_t *rec);

/* The first line of text, trimmed, as field KEY (hostname, computer_name,
 * model, chip...) when it is 1..MACOS_STR_MAX bytes without control
 * characters. */
int macos_parse_line(const char *text, size_t len, json_t *rec,
    const char *key);

/* sysctl -n hw.memsize: memory_bytes. */
int macos_parse_memsize(const char *text, size_t len, json_t *rec);

/* sysctl -n kern.boottime ("{ sec = 1700000000, usec = 5 } Tue ...").
 * Returns 0 and *sec, or -1. */
int macos_parse_boottime(const char *text, size_t len, long long *sec);

/* uptime_s from the boottime and `date +%s` texts, both of the Mac's own
 * clock; not set when either is unreadable or now is before the boot. */
int macos_parse_uptime(const char *boottime, size_t blen, const char *now,
    size_t nlen, json_t *rec);

/* sw_vers: os_name ("macOS", or "Mac OS X" as 10.15 and older print it),
 * os_version (ProductVersion only: a Rapid Security Response's
 * ProductVersionExtra "(a)" is left out so versions compare), os_build. */
int macos_parse_sw_vers(const char *text, size_t len, json_t *rec);

/* system_profiler SPHardwareDataType: model_name, chip (Chip:, else
 * Processor Name:), serial, model (Model Identifier:, only when not yet
 * set), memory_bytes ("Memory: 16 GB", binary units, only when not yet
 * set). Reads the "Hardware:" block when the text has several. */
int macos_parse_hardware(const char *text, size_t len, json_t *rec);

/* system_profiler SPPowerDataType: battery_condition ("Normal",
 * "Service Recommended"...); battery_cycles and battery_health_percent
 * ("Maximum Capacity: 89%") only when not yet set. Reads the "Power:"
 * block when the text has several. */
int macos_parse_power(const char *text, size_t len, json_t *rec);

/*
 * pmset -g batt: ac_power from "Now drawing from 'X'" ('AC Power' and
 * 'UPS Power' are true: on a UPS the Mac is still powered; 'Battery
 * Power' is false); from the InternalBattery line battery_present,
 * battery_percent and battery_state (charged, charging, discharging,
 * finishing, not_charging). A parsed output without an InternalBattery
 * line (a desktop, on AC or on a UPS) sets battery_present false. Lines of
 * UPS devices are not the Mac's battery and are skipped.
 */
int macos_parse_pmset(const char *text, size_t len, json_t *rec);

/*
 * ioreg -rn AppleSmartBattery: battery_cycles (CycleCount) and
 * battery_health_percent: full charge capacity against DesignCapacity,
 * rounded, at most 100 (as System Settings shows it). The full charge
 * capacity is AppleRawMaxCapacity (mAh; Apple silicon, recent Intel),
 * else NominalChargeCapacity, else the same keys in the nested
 * BatteryData dictionary (where macOS 27 moved them, with
 * FullChargeCapacity), else MaxCapacity when it is mAh (> 100; on Apple
 * silicon MaxCapacity is a percentage and always 100). battery_present
 * (BatteryInstalled) and ac_power (ExternalConnected) only when not yet
 * set: pmset is the better source for those.
 */
int macos_parse_ioreg_battery(const char *text, size_t len, json_t *rec);

/*
 * df -k PATH: disk_total_bytes (blocks) and disk_free_bytes (Available),
 * scaled by the header's block size (1024-blocks, 512-blocks, 1K-blocks;
 * 1024 when unknown). The columns are found from the right of the first
 * "N N N N%" run, so spaces in the file system or mount names are fine.
 */
int macos_parse_df(const char *text, size_t len, json_t *rec);

/* The osascript answer: disk_available_bytes (a plain integer). */
int macos_parse_available(const char *text, size_t len, json_t *rec);

/* stat -f%Su /dev/console: console_user, not set for root, loginwindow,
 * _mbsetupuser (Setup Assistant) or nothing: nobody is at the screen. */
int macos_parse_console_user(const char *text, size_t len, json_t *rec);

#endif
