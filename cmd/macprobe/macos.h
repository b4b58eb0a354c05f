/*
 * macos.h - parsers of what share/probe.sh prints on a Mac.
 *
 * The probe (share/probe.sh, run by macprobe as `/bin/sh -s`) prints
 * marked sections. A marker is a line of its own:
 *
 *	@@macscan:NONCE:NAME@@			opens section NAME
 *	@@macscan:NONCE:NAME:EXIT:CAP@@		closes it
 *
 * NONCE is 1 to 64 characters of [0-9A-Za-z], drawn afresh on the Mac by
 * each run (od of /dev/urandom, else the shell's pid), so that no output
 * of a command (a computer name, a volume name) can forge a marker: a line
 * is a marker only if it carries the nonce of the first marker. NAME is
 * [a-z_]. The closing marker, preceded by one newline of the probe's own,
 * gives the command's exit status (0..255 as the shell's $?, 137 when its
 * time bound killed it, 153 when the size cap did, "-" when the command is
 * not on the Mac) and the section's size cap in bytes. The text of a
 * section is everything between its markers. The first section is "probe"
 * (its text is the format version, "2"); the last is "end" (no text), so a
 * truncated output can be told apart. The sections, in order:
 *
 *	probe		format version, "2"
 *	uname		uname -sm ("Darwin arm64"); when it is neither Darwin
 *			nor empty, the probe prints "end" right after it
 *	hostname	hostname
 *	computer_name	scutil --get ComputerName
 *	sysctl		sysctl hw.model hw.memsize kern.boottime
 *			machdep.cpu.brand_string
 *			kern.memorystatus_vm_pressure_level ("name: value")
 *	now		date '+%s %z': the Mac's clock and UTC offset
 *	sw_vers		sw_vers
 *	pmset		pmset -g batt
 *	ioreg		ioreg -rn AppleSmartBattery -w0 (empty on desktops)
 *	system_profiler	system_profiler SPHardwareDataType, plus
 *			SPPowerDataType in the same run on Macs with a battery
 *	df		df -k of the data volume
 *	disk_available	the data volume's "available for important usage"
 *			(osascript), a plain integer of bytes
 *	console_user	stat -f%Su /dev/console
 *	platform	ioreg -rd1 -c IOPlatformExpertDevice
 *	ports		networksetup -listallhardwareports
 *	filevault	fdesetup status
 *	sip		csrutil status (optional: not before 10.11)
 *	ssv		csrutil authenticated-root status (optional)
 *	gatekeeper	spctl --status, stderr kept
 *	firewall	socketfilterfw --getglobalstate
 *	updates		softwareupdate --list --no-scan, stderr kept: what
 *			macOS already knows, no scan of Apple's servers
 *	updates_prefs	defaults read /Library/Preferences/com.apple.SoftwareUpdate
 *	xprotect	defaults read XProtect.bundle's Info.plist
 *			CFBundleShortVersionString
 *	tm_destinations	tmutil destinationinfo, stderr kept
 *	tm_latest	tmutil latestbackup, stderr kept
 *	smart		diskutil info disk0
 *	enrollment	profiles status -type enrollment, stderr kept
 *	end
 *
 * Incomplete sections. A section is incomplete when its command was
 * killed by its time bound (exit 137), cut by its size cap (exit 153, or
 * a text as long as the cap), or is missing on the Mac ("-"), or when the
 * section was opened and never closed, or (in an output without "end")
 * never appeared. An incomplete section is not parsed at all: a cut or
 * killed output may end in the middle of a value. Not incomplete: a
 * command that answers with an error, a refusal or a prompt (it is parsed
 * and gives what it can: unknown, or the field's no-access value), a
 * non-zero exit status, and a missing command that a supported macOS may
 * lack (csrutil before 10.11: sip and ssv are optional). The record names
 * the incomplete sections in probe_incomplete, in the probe's order, and
 * leaves that field out when every section is whole.
 *
 * The output is untrusted: every parser below takes (text, len), needs no
 * NUL terminator, reads no byte outside [text, text + len), runs in linear
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
 * The whole output of share/probe.sh. Sets every field the whole sections
 * give, and probe_incomplete. Returns 0 on a macOS host, 1 when the host
 * is not macOS (sets probe=not_macos), -1 when the output holds no probe
 * marker or no section gave any field ("no recognisable macOS section",
 * with the incomplete ones named in e); then what was set is of no use.
 * "probe" is not set on success: macprobe decides it.
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

/* sysctl NAME... ("name: value" lines): model (hw.model), memory_bytes
 * (hw.memsize), uptime_s (kern.boottime, against the now section's
 * clock), memory_pressure (kern.memorystatus_vm_pressure_level: 1
 * normal, 2 warn, 4 critical; anything else unknown). */
int macos_parse_sysctl(const char *text, size_t len, const char *now,
    size_t nlen, json_t *rec);

/* chip from sysctl's machdep.cpu.brand_string (when system_profiler
 * did not say). */
int macos_parse_sysctl_chip(const char *text, size_t len, json_t *rec);

/* date '+%s %z' ("1700000000 +0100"): 0, *now and, when offset_s is not
 * NULL, the UTC offset in seconds (then the offset must be there); -1
 * when unreadable. A plain "%s" line reads too when offset_s is NULL. */
int macos_parse_now(const char *text, size_t len, long long *now,
    int *offset_s);

/* sysctl -n kern.boottime ("{ sec = 1700000000, usec = 5 } Tue ...").
 * Returns 0 and *sec, or -1. */
int macos_parse_boottime(const char *text, size_t len, long long *sec);

/* uptime_s from the boottime and `date +%s` (or '+%s %z') texts, both
 * of the Mac's own clock; not set when either is unreadable or now is
 * before the boot. */
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

/*
 * Posture (lib/macos_posture.c). Each sets its fields only from an answer
 * that says it plainly; errors, prompts and unknown wordings set nothing.
 */

/* fdesetup status: filevault (on, off, encrypting, decrypting, deferred:
 * off with "Deferred enablement appears to be active"), and
 * filevault_percent (the whole part of "Percent completed = 42.5") while
 * encrypting or decrypting. */
int macos_parse_fdesetup(const char *text, size_t len, json_t *rec);

/* csrutil status: sip (enabled, disabled, custom for "(Custom
 * Configuration)"). */
int macos_parse_csrutil(const char *text, size_t len, json_t *rec);

/* csrutil authenticated-root status: ssv (enabled, disabled); nothing for
 * the "Pick a macOS installation" prompt or an older csrutil. */
int macos_parse_authroot(const char *text, size_t len, json_t *rec);

/* spctl --status: gatekeeper ("assessments enabled" / "disabled"). */
int macos_parse_spctl(const char *text, size_t len, json_t *rec);

/* socketfilterfw --getglobalstate: firewall (off, on, block_all), from
 * "(State = N)" and the wording, which must agree: "Firewall is
 * enabled. (State = 2)" (old) and "Firewall is blocking all
 * non-essential incoming connections. (State = 2)" (new) are block_all. */
int macos_parse_firewall(const char *text, size_t len, json_t *rec);

/* softwareupdate --list --no-scan: updates_pending (the items listed)
 * and updates_restart (those with "Action: restart", "[restart]", or a
 * shut down); both 0 for "No new software available."; nothing for any
 * other answer (a banner alone, an error). */
int macos_parse_softwareupdate(const char *text, size_t len, json_t *rec);

/* defaults read com.apple.SoftwareUpdate: updates_checked_at from
 * LastSuccessfulDate ("2021-02-23 07:52:51 +0000"), as RFC 3339 UTC. */
int macos_parse_su_prefs(const char *text, size_t len, json_t *rec);

/* XProtect's CFBundleShortVersionString: xprotect_version (digits and
 * dots). */
int macos_parse_xprotect(const char *text, size_t len, json_t *rec);

/*
 * tmutil destinationinfo and tmutil latestbackup: backup and
 * backup_last_at. not_configured when destinationinfo (which needs no
 * Full Disk Access) says "No destinations configured"; else no_access
 * when either says it requires Full Disk Access; ok with the
 * latest backup's name (YYYY-MM-DD-HHMMSS, the Mac's local time, made
 * UTC with the offset of the now section: backup_last_at only when that
 * offset is known); never when no backup of this Mac is on a mounted
 * destination; else nothing (a destination that is not mounted).
 */
int macos_parse_tmutil(const char *dest, size_t dlen, const char *latest,
    size_t llen, const char *now, size_t nlen, json_t *rec);

/* diskutil info disk0: disk_smart from "SMART Status:" (Verified,
 * Failing, Not Supported). */
int macos_parse_smart(const char *text, size_t len, json_t *rec);

/* profiles status -type enrollment: dep_enrolled ("Enrolled via DEP:"),
 * mdm_enrolled ("MDM enrollment: Yes (User Approved)", "No"). */
int macos_parse_enrollment(const char *text, size_t len, json_t *rec);

/*
 * Identity (lib/macos_ident.c).
 */

/* ioreg -rd1 -c IOPlatformExpertDevice: platform_uuid, as printed, when
 * it is a whole UUID (not a masked or elided one). */
int macos_parse_platform(const char *text, size_t len, json_t *rec);

/*
 * networksetup -listallhardwareports: hw_macs, the whole addresses of the
 * Mac's own ports, lower case, in port order, each once: every port but
 * bridges (a name or device starting with "bridge", "Thunderbolt
 * Bridge"), VLANs (listed after "VLAN Configurations") and what is
 * plugged in (names with "USB", "iPhone", "Adapter", or "Thunderbolt
 * Ethernet"). Wi-Fi, built-in Ethernet, Bluetooth PAN and "Thunderbolt N"
 * count. Not set when no port qualifies.
 */
int macos_parse_ports(const char *text, size_t len, json_t *rec);

#endif
