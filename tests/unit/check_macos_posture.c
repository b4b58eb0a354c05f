/*
 * check_macos_posture.c - the posture and identity parsers
 * (cmd/macprobe/macos_posture.c, cmd/macprobe/macos_ident.c, the sysctl parser of
 * cmd/macprobe/macos_system.c) on real macOS outputs, and the probe's section
 * rules of cmd/macprobe/macos.c (probe_incomplete, "no recognisable macOS
 * section").
 *
 * Data-driven, jq.test style: every tests/fixtures/posture/X.txt has its
 * expected record X.json beside it; the prefix of X names the command.
 * tmcase_X.json holds a Time Machine case: the two outputs it reads, the
 * `date '+%s %z'` line, and the record wanted. Sources of the outputs:
 * tests/fixtures/SOURCES.md.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macos.h"
#include "record.h"
#include "unit.h"
#include "util.h"

#define MAXFILE (1024 * 1024)

typedef int (*parser)(const char *, size_t, json_t *);

static const char *
srcdir(void)
{
	const char *d = getenv("MACSCAN_SRCDIR");

	return d != NULL && *d != '\0' ? d : ".";
}

static char *
slurp(const char *name, size_t *len)
{
	char path[PATH_MAX];
	struct ms_err e = { "" };
	char *s;

	snprintf(path, sizeof(path), "%s/tests/fixtures/posture/%s", srcdir(),
	    name);
	s = ms_read_file(path, MAXFILE, len, &e);
	ck_assert_msg(s != NULL, "%s: %s", path, e.msg);
	return s;
}

static int
p_sysctl(const char *t, size_t n, json_t *rec)
{
	return macos_parse_sysctl(t, n, "", 0, rec);
}

static const struct {
	const char *prefix;
	parser fn;
} parsers[] = {
	{ "fdesetup_", macos_parse_fdesetup },
	{ "csrutil_", macos_parse_csrutil },
	{ "authroot_", macos_parse_authroot },
	{ "spctl_", macos_parse_spctl },
	{ "firewall_", macos_parse_firewall },
	{ "softwareupdate_", macos_parse_softwareupdate },
	{ "su_prefs_", macos_parse_su_prefs },
	{ "xprotect_", macos_parse_xprotect },
	{ "smart_", macos_parse_smart },
	{ "enrollment_", macos_parse_enrollment },
	{ "platform_", macos_parse_platform },
	{ "ports_", macos_parse_ports },
	{ "pressure_", p_sysctl },
};

/* rec must equal want, field for field, and be a valid record. */
static void
same(json_t *rec, json_t *want, const char *what)
{
	char *got = json_dumps(rec, JSON_SORT_KEYS | JSON_COMPACT);
	char *exp = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);

	ck_assert_msg(json_equal(rec, want), "%s:\n got %s\nwant %s", what,
	    got, exp);
	ck_assert_msg(record_check(rec, NULL) == 0, "%s: record_check", what);
	free(got);
	free(exp);
}

static json_t *
load_json(const char *name)
{
	size_t len;
	char *s = slurp(name, &len);
	json_error_t je;
	json_t *j = json_loadb(s, len, 0, &je);

	ck_assert_msg(j != NULL, "%s: %s", name, je.text);
	free(s);
	return j;
}

static void
one_fixture(const char *txt)
{
	char js[NAME_MAX + 1];
	size_t i, len, n = strlen(txt) - 4;
	char *s;
	json_t *rec, *want;
	int r;

	for (i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++)
		if (strncmp(txt, parsers[i].prefix,
		    strlen(parsers[i].prefix)) == 0)
			break;
	ck_assert_msg(i < sizeof(parsers) / sizeof(parsers[0]),
	    "%s: no parser for this name", txt);
	snprintf(js, sizeof(js), "%.*s.json", (int)n, txt);
	s = slurp(txt, &len);
	want = load_json(js);
	rec = record_new();
	r = parsers[i].fn(s, len, rec);
	ck_assert_int_eq(r, (int)json_object_size(rec));
	same(rec, want, txt);
	json_decref(rec);
	json_decref(want);
	free(s);
}

static void
one_tmcase(const char *name)
{
	json_t *c = load_json(name), *rec = record_new();
	const char *now = json_string_value(json_object_get(c, "now"));
	size_t dl, ll;
	char *d = slurp(json_string_value(json_object_get(c, "dest")), &dl);
	char *l = slurp(json_string_value(json_object_get(c, "latest")), &ll);
	int r;

	ck_assert_ptr_nonnull(now);
	r = macos_parse_tmutil(d, dl, l, ll, now, strlen(now), rec);
	ck_assert_int_eq(r, (int)json_object_size(rec));
	same(rec, json_object_get(c, "want"), name);
	free(d);
	free(l);
	json_decref(rec);
	json_decref(c);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(fixtures)
{
	char path[PATH_MAX];
	DIR *dir;
	struct dirent *de;
	char *names[512];
	size_t n = 0, i, txt = 0, tm = 0;

	snprintf(path, sizeof(path), "%s/tests/fixtures/posture", srcdir());
	dir = opendir(path);
	ck_assert_msg(dir != NULL, "%s", path);
	while ((de = readdir(dir)) != NULL && n < 512)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(dir);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (i = 0; i < n; i++) {
		size_t l = strlen(names[i]);

		if (strncmp(names[i], "tmcase_", 7) == 0) {
			one_tmcase(names[i]);
			tm++;
		} else if (strncmp(names[i], "tm_", 3) == 0) {
			/* An input of the tmcase files. */
		} else if (l > 4 && strcmp(names[i] + l - 4, ".txt") == 0) {
			one_fixture(names[i]);
			txt++;
		}
		free(names[i]);
	}
	/* The fixtures are all there: a lost directory is a failure. */
	ck_assert_uint_ge(txt, 40);
	ck_assert_uint_ge(tm, 7);
}
END_TEST

/* Wordings that must set nothing: unknown is better than wrong. */
START_TEST(ambiguous)
{
	static const struct {
		parser fn;
		const char *text;
	} cases[] = {
		{ macos_parse_fdesetup, "FileVault is On.\nFileVault is Off.\n" },
		{ macos_parse_fdesetup, "FileVault is on\n" },
		{ macos_parse_csrutil, "System Integrity Protection status: "
		    "maybe.\n" },
		{ macos_parse_spctl, "assessments enabled\nassessments "
		    "disabled\n" },
		{ macos_parse_firewall, "Firewall is disabled. (State = 1)\n" },
		{ macos_parse_firewall, "Firewall is enabled. (State = 0)\n" },
		{ macos_parse_firewall, "Firewall is blocking all non-essential "
		    "incoming connections. (State = 1)\n" },
		{ macos_parse_firewall, "Firewall is enabled. (State = 3)\n" },
		{ macos_parse_firewall, "Firewall is enabled. (State = 99999999"
		    "9999999999999)\n" },
		{ macos_parse_softwareupdate, "Software Update Tool\n\nFinding "
		    "available software\n" },
		{ macos_parse_softwareupdate, "Software Update found the "
		    "following new or updated software:\n" },
		{ macos_parse_su_prefs, "    LastSuccessfulDate = \"2021-02-30 "
		    "07:52:51 +0000\"\n" },
		{ macos_parse_su_prefs, "    LastSuccessfulDate = yesterday;\n" },
		{ macos_parse_xprotect, "2193.\n" },
		{ macos_parse_xprotect, "21..93\n" },
		{ macos_parse_xprotect, "v2193\n" },
		{ macos_parse_smart, "SMART Status: Verifying\n" },
		{ macos_parse_enrollment, "Enrolled via DEP: Maybe\n" },
		{ macos_parse_platform, "\"IOPlatformUUID\" = \"E646F33F0C8D4A2B"
		    "9C1E8BB62B8C33CD\"\n" },
		{ macos_parse_platform, "\"IOPlatformUUID\" = \"E646F33F-0C8D-4"
		    "A2B-9C1E-8BB62B8C33C\"\n" },
		{ macos_parse_ports, "Hardware Port: Wi-Fi\nDevice: en0\n"
		    "Ethernet Address: 00:00:00:00:00:00\n" },
		{ macos_parse_ports, "Hardware Port: USB 10/100/1000 LAN\n"
		    "Device: en7\nEthernet Address: 00:e0:4c:68:01:02\n" },
		{ macos_parse_ports, "Device: en0\nEthernet Address: "
		    "8c:85:90:90:6d:26\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *rec = record_new();

		ck_assert_int_eq(cases[i].fn(cases[i].text,
		    strlen(cases[i].text), rec), 0);
		ck_assert_msg(json_object_size(rec) == 0, "case %zu: %s", i,
		    cases[i].text);
		json_decref(rec);
	}
}
END_TEST

START_TEST(ports_rules)
{
	const char *t = "Hardware Port: Ethernet\nDevice: en0\n"
	    "Ethernet Address: AC:87:A3:1F:00:01\n\n"
	    "Hardware Port: Thunderbolt Ethernet\nDevice: en4\n"
	    "Ethernet Address: 40:6c:8f:00:00:02\n\n"
	    "Hardware Port: Wi-Fi\nDevice: en1\n"
	    "Ethernet Address: ac:87:a3:1f:00:01\n\n"
	    "Hardware Port: Display Ethernet\nDevice: en5\n"
	    "Ethernet Address: N/A\n\n"
	    "VLAN Configurations\n===================\n"
	    "VLAN User Defined Name: v10\nParent Device: en0\n"
	    "Ethernet Address: ac:87:a3:1f:00:09\n";
	json_t *rec = record_new(), *want;
	json_error_t je;

	/* Upper case made lower, the same address once, the adapter and
	 * the VLAN left out. */
	ck_assert_int_eq(macos_parse_ports(t, strlen(t), rec), 1);
	want = json_loads("{\"hw_macs\":[\"ac:87:a3:1f:00:01\"]}", 0, &je);
	same(rec, want, "ports rules");
	json_decref(want);
	json_decref(rec);
}
END_TEST

/* A probe output made of sections "NAME EXIT CAP TEXT" (EXIT "open" for
 * a section never closed). */
static char *
probe_out(const char *const *secs, int ended)
{
	struct ms_buf b = { 0 };
	size_t len;
	int i;

	ck_assert_int_ne(ms_buf_printf(&b, "@@macscan:N1:probe@@\n2\n"), -1);
	for (i = 0; secs[i] != NULL; i += 4) {
		ck_assert_int_ne(ms_buf_printf(&b, "@@macscan:N1:%s@@\n%s",
		    secs[i], secs[i + 3]), -1);
		if (strcmp(secs[i + 1], "open") != 0)
			ck_assert_int_ne(ms_buf_printf(&b, "\n@@macscan:N1:%s:"
			    "%s:%s@@\n", secs[i], secs[i + 1], secs[i + 2]), -1);
		else
			ck_assert_int_ne(ms_buf_printf(&b, "\n"), -1);
	}
	if (ended)
		ck_assert_int_ne(ms_buf_printf(&b, "@@macscan:N1:end@@\n"), -1);
	return ms_buf_steal(&b, &len);
}

static json_t *
parse(const char *out, int want_rc, struct ms_err *e)
{
	json_t *rec = record_new();

	ck_assert_int_eq(macos_parse_probe(out, strlen(out), rec, e), want_rc);
	return rec;
}

START_TEST(incomplete_sections)
{
	const char *secs[] = {
		"uname", "0", "8192", "Darwin arm64",
		"hostname", "137", "8192", "",
		"sw_vers", "153", "16384", "ProductName:\tmacOS\n"
		    "ProductVersion:\t14.",
		"sysctl", "0", "32", "kern.memorystatus_vm_pressure_level: 1"
		    "\nhw.model: MacBookPro18,1\n",
		"sip", "-", "8192", "",
		"filevault", "-", "8192", "",
		"gatekeeper", "1", "8192", "spctl: unknown option\n",
		"firewall", "open", "", "Firewall is enabled. (State = 1)",
		NULL
	};
	char *out = probe_out(secs, 1);
	struct ms_err e = { "" };
	json_t *rec = parse(out, 0, &e), *want;
	json_error_t je;

	/* Killed, cut (by exit status, and by reaching its cap), missing
	 * when not optional, and never closed: named, in order, and none
	 * of them parsed. A missing csrutil is no failure; an error is an
	 * answer. */
	want = json_loads("{\"arch\":\"arm64\",\"probe_incomplete\":"
	    "[\"hostname\",\"sysctl\",\"sw_vers\",\"filevault\",\"firewall\"]}",
	    0, &je);
	same(rec, want, "incomplete");
	json_decref(want);
	json_decref(rec);
	free(out);
}
END_TEST

START_TEST(unrecognisable)
{
	const char *garbage[] = {
		"uname", "153", "8192", "\x01\x02\xff garbage",
		NULL
	};
	const char *none[] = {
		"uname", "0", "8192", "",
		"hostname", "1", "8192", "",
		NULL
	};
	char *out = probe_out(garbage, 1);
	struct ms_err e = { "" };
	json_t *rec = parse(out, -1, &e);

	ck_assert_str_eq(e.msg, "no recognisable macOS section: uname cut");
	json_decref(rec);
	free(out);
	out = probe_out(none, 1);
	rec = parse(out, -1, &e);
	ck_assert_str_eq(e.msg, "no recognisable macOS section");
	json_decref(rec);
	free(out);
	/* An output cut before its end: the sections never seen are
	 * incomplete too. */
	out = probe_out(none + 4, 0);
	rec = parse(out, -1, &e);
	ck_assert_msg(strncmp(e.msg, "no recognisable macOS section: uname "
	    "absent, computer_name absent", 60) == 0, "%s", e.msg);
	json_decref(rec);
	free(out);
}
END_TEST

START_TEST(forged_closing_marker)
{
	/* A closing marker of another section, or with another nonce, or
	 * malformed, closes nothing: its line is text. */
	const char *out = "@@macscan:N1:probe@@\n2\n"
	    "@@macscan:N1:uname@@\nDarwin x86_64\n"
	    "@@macscan:N1:hostname:0:8192@@\n"
	    "@@macscan:N2:uname:153:8192@@\n"
	    "@@macscan:N1:uname:x:8192@@\n"
	    "@@macscan:N1:uname:256:8192@@\n"
	    "\n@@macscan:N1:uname:0:8192@@\n@@macscan:N1:end@@\n";
	struct ms_err e = { "" };
	json_t *rec = parse(out, 0, &e), *want;
	json_error_t je;
	const char *t;
	size_t n;

	want = json_loads("{\"arch\":\"x86_64\"}", 0, &je);
	same(rec, want, "forged");
	ck_assert_int_eq(macos_section(out, strlen(out), "uname", &t, &n), 1);
	ck_assert_int_eq((int)n, 14 + 31 + 30 + 28 + 30);
	json_decref(want);
	json_decref(rec);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("macos_posture");
	TCase *tc = tcase_create("parsers");

	tcase_add_test(tc, fixtures);
	tcase_add_test(tc, ambiguous);
	tcase_add_test(tc, ports_rules);
	tcase_add_test(tc, incomplete_sections);
	tcase_add_test(tc, unrecognisable);
	tcase_add_test(tc, forged_closing_marker);
	suite_add_tcase(s, tc);
	return s;
}
