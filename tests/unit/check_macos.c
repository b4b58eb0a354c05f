/*
 * check_macos.c - the parsers of cmd/macprobe/macos.c on real macOS outputs
 * (tests/fixtures/macos, sources in tests/fixtures/SOURCES.md), on whole
 * probe outputs (tests/fixtures/probe), on share/probe.sh itself run under
 * dash and bash --posix against fake commands, and on hostile input.
 *
 * Fixtures are found under $MACSCAN_SRCDIR (default: the current
 * directory, the top of the source tree as `make check-unit` runs it).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macos.h"
#include "record.h"
#include "unit.h"
#include "util.h"

#define MAXFILE (4 * 1024 * 1024)

typedef int (*parser)(const char *, size_t, json_t *);

static const char *
srcdir(void)
{
	const char *d = getenv("MACSCAN_SRCDIR");

	return d != NULL && *d != '\0' ? d : ".";
}

static char *
slurp(const char *rel, size_t *len)
{
	char path[PATH_MAX];
	struct ms_err e = { "" };
	char *s;

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s", srcdir(), rel);
	s = ms_read_file(path, MAXFILE, len, &e);
	ck_assert_msg(s != NULL, "%s: %s", path, e.msg);
	return s;
}

/* rec must equal the JSON object want, field for field. */
static void
same(json_t *rec, const char *want, const char *what)
{
	json_error_t je;
	json_t *w = json_loads(want, 0, &je);
	const char *k;
	json_t *v;
	char *got, *exp;

	ck_assert_msg(w != NULL, "%s: bad expectation: %s", what, je.text);
	got = json_dumps(rec, JSON_SORT_KEYS | JSON_COMPACT);
	exp = json_dumps(w, JSON_SORT_KEYS | JSON_COMPACT);
	json_object_foreach(w, k, v) {
		json_t *g = json_object_get(rec, k);

		ck_assert_msg(g != NULL, "%s: field %s missing\n got %s\nwant %s",
		    what, k, got, exp);
		ck_assert_msg(json_equal(g, v), "%s: field %s differs\n got %s\n"
		    "want %s", what, k, got, exp);
	}
	json_object_foreach(rec, k, v)
		ck_assert_msg(json_object_get(w, k) != NULL,
		    "%s: unexpected field %s\n got %s\nwant %s", what, k, got,
		    exp);
	ck_assert_msg(record_check(rec, NULL) == 0, "%s: record_check", what);
	free(got);
	free(exp);
	json_decref(w);
}

/* Parse fixture FILE with fn; the record must be exactly want. */
static void
fixture(parser fn, const char *file, const char *want)
{
	size_t len;
	char *s = slurp(file, &len);
	json_t *rec = record_new();
	int n = fn(s, len, rec);

	ck_assert_int_ge(n, 0);
	ck_assert_int_eq((int)json_object_size(rec), n);
	same(rec, want, file);
	json_decref(rec);
	free(s);
}

/* Parse the string text with fn; the record must be exactly want. */
static void
text(parser fn, const char *t, const char *want)
{
	json_t *rec = record_new();

	ck_assert_int_ge(fn(t, strlen(t), rec), 0);
	same(rec, want, t);
	json_decref(rec);
}

static int
p_hostname(const char *t, size_t n, json_t *rec)
{
	return macos_parse_line(t, n, rec, "hostname");
}

/*
 * pmset -g batt
 */

START_TEST(pmset_fixtures)
{
	fixture(macos_parse_pmset, "macos/pmset_charged.txt",
	    "{\"ac_power\":true,\"battery_present\":true,"
	    "\"battery_percent\":100,\"battery_state\":\"charged\"}");
	fixture(macos_parse_pmset, "macos/pmset_charging.txt",
	    "{\"ac_power\":true,\"battery_present\":true,"
	    "\"battery_percent\":84,\"battery_state\":\"charging\"}");
	fixture(macos_parse_pmset, "macos/pmset_charging_noestimate.txt",
	    "{\"ac_power\":true,\"battery_present\":true,"
	    "\"battery_percent\":90,\"battery_state\":\"charging\"}");
	fixture(macos_parse_pmset, "macos/pmset_discharging.txt",
	    "{\"ac_power\":false,\"battery_present\":true,"
	    "\"battery_percent\":95,\"battery_state\":\"discharging\"}");
	fixture(macos_parse_pmset, "macos/pmset_discharging_noestimate.txt",
	    "{\"ac_power\":false,\"battery_present\":true,"
	    "\"battery_percent\":90,\"battery_state\":\"discharging\"}");
	fixture(macos_parse_pmset, "macos/pmset_finishing.txt",
	    "{\"ac_power\":true,\"battery_present\":true,"
	    "\"battery_percent\":99,\"battery_state\":\"finishing\"}");
	fixture(macos_parse_pmset, "macos/pmset_not_charging.txt",
	    "{\"ac_power\":true,\"battery_present\":true,"
	    "\"battery_percent\":80,\"battery_state\":\"not_charging\"}");
	fixture(macos_parse_pmset, "macos/pmset_old_charged.txt",
	    "{\"ac_power\":true,\"battery_present\":true,"
	    "\"battery_percent\":100,\"battery_state\":\"charged\"}");
	fixture(macos_parse_pmset, "macos/pmset_old_battery.txt",
	    "{\"ac_power\":false,\"battery_present\":true,"
	    "\"battery_percent\":100,\"battery_state\":\"discharging\"}");
}
END_TEST

START_TEST(pmset_desktops)
{
	/* A desktop: only the first line. */
	fixture(macos_parse_pmset, "macos/pmset_desktop.txt",
	    "{\"ac_power\":true,\"battery_present\":false}");
	/* A desktop running on its UPS: still powered, and the UPS is not
	 * the Mac's battery. */
	fixture(macos_parse_pmset, "macos/pmset_ups_desktop.txt",
	    "{\"ac_power\":true,\"battery_present\":false}");
	/* A desktop on AC with a UPS attached. */
	fixture(macos_parse_pmset, "macos/pmset_ac_ups.txt",
	    "{\"ac_power\":true,\"battery_present\":false}");
	/* A laptop beside a UPS: the InternalBattery line is the one. */
	text(macos_parse_pmset, "Now drawing from 'UPS Power'\n"
	    " -CP1500 (id=123)\t40%; discharging; (no estimate)\n"
	    " -InternalBattery-0 (id=4653155)\t20%; discharging; 1:02 "
	    "remaining present: true\n",
	    "{\"ac_power\":true,\"battery_present\":true,"
	    "\"battery_percent\":20,\"battery_state\":\"discharging\"}");
	text(macos_parse_pmset, "Now drawing from 'AC Power'\n"
	    " -InternalBattery-0 (id=1)\t50%; charging; present: false\n",
	    "{\"ac_power\":true,\"battery_present\":false}");
}
END_TEST

START_TEST(pmset_hostile)
{
	/* Percent out of range, negative, overflowing: not set. */
	text(macos_parse_pmset, "Now drawing from 'AC Power'\n"
	    " -InternalBattery-0\t101%; charged\n",
	    "{\"ac_power\":true,\"battery_present\":true}");
	text(macos_parse_pmset, " -InternalBattery-0\t-5%; charged\n",
	    "{\"battery_present\":true}");
	text(macos_parse_pmset,
	    " -InternalBattery-0\t99999999999999999999999%; charging\n",
	    "{\"battery_present\":true}");
	/* An unknown state or source is not guessed. */
	text(macos_parse_pmset, "Now drawing from 'Solar Power'\n"
	    " -InternalBattery-0\t50%; boiling; 1:00 remaining\n",
	    "{\"battery_present\":true,\"battery_percent\":50}");
	text(macos_parse_pmset, "Now drawing from 'AC Power\n",
	    "{}");
	text(macos_parse_pmset, "", "{}");
	text(macos_parse_pmset, "\n\n\n", "{}");
}
END_TEST

/*
 * sw_vers
 */

START_TEST(sw_vers_fixtures)
{
	fixture(macos_parse_sw_vers, "macos/sw_vers_10.15.txt",
	    "{\"os_name\":\"Mac OS X\",\"os_version\":\"10.15.7\","
	    "\"os_build\":\"19H114\"}");
	fixture(macos_parse_sw_vers, "macos/sw_vers_10.15_spaces.txt",
	    "{\"os_name\":\"Mac OS X\",\"os_version\":\"10.15.5\","
	    "\"os_build\":\"19F101\"}");
	fixture(macos_parse_sw_vers, "macos/sw_vers_10.13.txt",
	    "{\"os_name\":\"Mac OS X\",\"os_version\":\"10.13\","
	    "\"os_build\":\"17A405\"}");
	fixture(macos_parse_sw_vers, "macos/sw_vers_14.txt",
	    "{\"os_name\":\"macOS\",\"os_version\":\"14.2.1\","
	    "\"os_build\":\"23C71\"}");
	fixture(macos_parse_sw_vers, "macos/sw_vers_13_extra.txt",
	    "{\"os_name\":\"macOS\",\"os_version\":\"13.3.1\","
	    "\"os_build\":\"22E772610a\"}");
	text(macos_parse_sw_vers, "ProductName:\n"
	    "ProductVersion:\t\x01\x02\nBuildVersion\n", "{}");
}
END_TEST

/*
 * system_profiler
 */

START_TEST(hardware_fixtures)
{
	fixture(macos_parse_hardware, "macos/sp_hardware_intel_macmini.txt",
	    "{\"model_name\":\"Mac mini\",\"model\":\"Macmini8,1\","
	    "\"chip\":\"Quad-Core Intel Core i3\",\"memory_bytes\":17179869184,"
	    "\"serial\":\"C07Z10S5JYVY\"}");
	fixture(macos_parse_hardware, "macos/sp_hardware_intel_mbp.txt",
	    "{\"model_name\":\"MacBook Pro\",\"model\":\"MacBookPro13,3\","
	    "\"chip\":\"Quad-Core Intel Core i7\",\"memory_bytes\":17179869184,"
	    "\"serial\":\"C02SW4UXGTFL\"}");
	fixture(macos_parse_hardware, "macos/sp_hardware_intel_imac_mojave.txt",
	    "{\"model_name\":\"iMac\",\"model\":\"iMac15,1\","
	    "\"chip\":\"Intel Core i7\",\"memory_bytes\":34359738368}");
	fixture(macos_parse_hardware, "macos/sp_hardware_m1pro.txt",
	    "{\"model_name\":\"MacBook Pro\",\"model\":\"MacBookPro18,1\","
	    "\"chip\":\"Apple M1 Pro\",\"memory_bytes\":17179869184}");
	fixture(macos_parse_hardware, "macos/sp_hardware_m1air.txt",
	    "{\"model_name\":\"MacBook Air\",\"model\":\"MacBookAir10,1\","
	    "\"chip\":\"Apple M1\",\"memory_bytes\":8589934592,"
	    "\"serial\":\"FVFF91M9Q6L8\"}");
}
END_TEST

START_TEST(hardware_keeps_better_sources)
{
	json_t *rec = record_new();
	size_t len;
	char *s = slurp("macos/sp_hardware_intel_mbp.txt", &len);
	long long m = 0;

	/* hw.model and hw.memsize came first: they stay. */
	record_set_str(rec, "model", "MacBookPro13,3");
	record_set_int(rec, "memory_bytes", 17179869185LL);
	ck_assert_int_eq(macos_parse_hardware(s, len, rec), 3);
	ck_assert_int_eq(record_int(rec, "memory_bytes", &m), 0);
	ck_assert(m == 17179869185LL);
	free(s);
	json_decref(rec);
	/* Memory in odd units is not guessed. */
	text(macos_parse_hardware, "      Memory: 16 GiB\n", "{}");
	text(macos_parse_hardware, "      Memory: 99999999999 TB\n", "{}");
	text(macos_parse_hardware, "      Memory: 512 MB\n",
	    "{\"memory_bytes\":536870912}");
}
END_TEST

START_TEST(power_fixtures)
{
	fixture(macos_parse_power, "macos/sp_power_intel.txt",
	    "{\"battery_cycles\":552,\"battery_condition\":\"Normal\","
	    "\"battery_present\":true}");
	/* "96\u00a0%": recent system_profiler puts a no-break space. */
	fixture(macos_parse_power, "macos/sp_power_health_nbsp.txt",
	    "{\"battery_cycles\":56,\"battery_condition\":\"Normal\","
	    "\"battery_health_percent\":96}");
	text(macos_parse_power, "Power:\n\n    Battery Information:\n"
	    "      Health Information:\n          Cycle Count: 1200\n"
	    "          Condition: Service Recommended\n"
	    "          Maximum Capacity: 81%\n",
	    "{\"battery_cycles\":1200,"
	    "\"battery_condition\":\"Service Recommended\","
	    "\"battery_health_percent\":81}");
	text(macos_parse_power, "      Maximum Capacity: 181%\n"
	    "      Cycle Count: -3\n", "{}");
}
END_TEST

START_TEST(system_profiler_blocks)
{
	/* One system_profiler run with both data types: each parser reads
	 * its own block only. */
	size_t hl, pl;
	char *h = slurp("macos/sp_hardware_intel_mbp.txt", &hl);
	char *p = slurp("macos/sp_power_intel.txt", &pl);
	struct ms_buf b = { 0 };
	json_t *rec = record_new();

	ms_buf_append(&b, p, pl);
	ms_buf_append(&b, h, hl);
	ck_assert_int_eq(macos_parse_hardware(b.data, b.len, rec), 5);
	ck_assert_str_eq(record_str(rec, "serial"), "C02SW4UXGTFL");
	ck_assert_int_eq(macos_parse_power(b.data, b.len, rec), 3);
	ck_assert_str_eq(record_str(rec, "battery_condition"), "Normal");
	ms_buf_free(&b);
	free(h);
	free(p);
	json_decref(rec);
	/* A text of other blocks only gives nothing. */
	text(macos_parse_hardware, "Power:\n      Model Name: X\n", "{}");
}
END_TEST

/*
 * ioreg
 */

START_TEST(ioreg_fixtures)
{
	/* Intel: MaxCapacity is mAh. 6806 / 6900 = 98.6%. */
	fixture(macos_parse_ioreg_battery, "macos/ioreg_intel_full.txt",
	    "{\"battery_cycles\":46,\"battery_health_percent\":99,"
	    "\"battery_present\":true,\"ac_power\":true}");
	/* 7171 / 7150: a new battery above its design shows 100. */
	fixture(macos_parse_ioreg_battery, "macos/ioreg_intel_mba2012.txt",
	    "{\"battery_cycles\":8,\"battery_health_percent\":100,"
	    "\"battery_present\":true,\"ac_power\":false}");
	/* ioreg -l tree lines; the cycle count only in BatteryData;
	 * AppleRawMaxCapacity 7969 / 8755 = 91.0%. */
	fixture(macos_parse_ioreg_battery, "macos/ioreg_intel_tree_grep.txt",
	    "{\"battery_cycles\":111,\"battery_health_percent\":91}");
	/* Apple silicon: MaxCapacity is 100 (a percentage) and must not be
	 * read as capacity; AppleRawMaxCapacity 5170 against the
	 * DesignCapacity of the (cut) BatteryData, 5103. */
	fixture(macos_parse_ioreg_battery, "macos/ioreg_m1_grep.txt",
	    "{\"battery_health_percent\":100}");
	/* macOS 27: only BatteryData. 5937 / 5760. */
	fixture(macos_parse_ioreg_battery,
	    "macos/ioreg_macos27_batterydata.txt",
	    "{\"battery_health_percent\":100}");
}
END_TEST

START_TEST(ioreg_health)
{
	/* Apple silicon without AppleRawMaxCapacity: never 100/5103. */
	text(macos_parse_ioreg_battery, "\"MaxCapacity\" = 100\n"
	    "\"DesignCapacity\" = 5103\n\"CycleCount\" = 12\n",
	    "{\"battery_cycles\":12}");
	text(macos_parse_ioreg_battery, "\"AppleRawMaxCapacity\" = 4373\n"
	    "\"MaxCapacity\" = 100\n\"DesignCapacity\" = 5088\n",
	    "{\"battery_health_percent\":86}");
	text(macos_parse_ioreg_battery, "\"BatteryData\" = {\"Qmax\"=(1,2),"
	    "\"LifetimeData\"={\"DesignCapacity\"=1},\"DesignCapacity\"=5000,"
	    "\"NominalChargeCapacity\"=4000,\"CycleCount\"=7}\n",
	    "{\"battery_cycles\":7,\"battery_health_percent\":80}");
	/* Nonsense: zero design, negative, overflowing, far above. */
	text(macos_parse_ioreg_battery, "\"AppleRawMaxCapacity\" = 4373\n"
	    "\"DesignCapacity\" = 0\n", "{}");
	text(macos_parse_ioreg_battery, "\"AppleRawMaxCapacity\" = -4373\n"
	    "\"DesignCapacity\" = 5000\n\"CycleCount\" = -1\n", "{}");
	text(macos_parse_ioreg_battery,
	    "\"AppleRawMaxCapacity\" = 18446744073709551615\n"
	    "\"DesignCapacity\" = 5000\n"
	    "\"CycleCount\" = 99999999999999999999999\n", "{}");
	text(macos_parse_ioreg_battery, "\"AppleRawMaxCapacity\" = 9000\n"
	    "\"DesignCapacity\" = 5000\n", "{}");
	text(macos_parse_ioreg_battery, "\"BatteryData\" = {\"DesignCapacity\""
	    "=5000,\"NominalChargeCapacity\"=\n", "{}");
	/* Only the first AppleSmartBattery object is read. */
	text(macos_parse_ioreg_battery, "+-o AppleSmartBattery  <class>\n"
	    "  {\n    \"CycleCount\" = 5\n  }\n"
	    "  +-o AppleSmartBatteryChild  <class>\n"
	    "    {\n      \"CycleCount\" = 9\n    }\n",
	    "{\"battery_cycles\":5}");
	text(macos_parse_ioreg_battery, "+-o Other  <class>\n"
	    "    \"CycleCount\" = 5\n", "{}");
}
END_TEST

/*
 * df
 */

START_TEST(df_fixtures)
{
	fixture(macos_parse_df, "macos/df_data_volume.txt",
	    "{\"disk_total_bytes\":994662584320,"
	    "\"disk_free_bytes\":350896672768}");
	/* 512-byte blocks. */
	fixture(macos_parse_df, "macos/df_512_all.txt",
	    "{\"disk_total_bytes\":1000240963584,"
	    "\"disk_free_bytes\":221380227072}");
}
END_TEST

START_TEST(df_variants)
{
	const char *hdr = "Filesystem   1024-blocks      Used Available "
	    "Capacity iused      ifree %iused  Mounted on\n";
	char buf[1024];

	/* Spaces in the file system and in the mount point. */
	snprintf(buf, sizeof(buf), "%s%s", hdr, "map auto_home 7 0 5 0%"
	    " 0 0 100% /System/Volumes/Data/home 2\n");
	text(macos_parse_df, buf, "{\"disk_total_bytes\":7168,"
	    "\"disk_free_bytes\":5120}");
	snprintf(buf, sizeof(buf), "%s%s", hdr, "//alice@nas 2 1 0 100%"
	    " 3 4 1% /Volumes/Time Machine 42%\n");
	text(macos_parse_df, buf, "{\"disk_total_bytes\":2048,"
	    "\"disk_free_bytes\":0}");
	/* Linux: no inode columns, a long name on its own line. */
	text(macos_parse_df, "Filesystem     1K-blocks    Used Available "
	    "Use% Mounted on\n/dev/mapper/a-very-long-volume-group-name\n"
	    "               10000    4000      6000  40% /\n",
	    "{\"disk_total_bytes\":10240000,\"disk_free_bytes\":6144000}");
	/* Negative available (over-committed), overflow: not set. */
	snprintf(buf, sizeof(buf), "%s%s", hdr, "/dev/disk3s5   482797652 "
	    "472797652 -1000000 98% 1588060 1957553000    0%   /\n");
	text(macos_parse_df, buf, "{}");
	snprintf(buf, sizeof(buf), "%s%s", hdr, "/dev/disk3s5 "
	    "99999999999999999 1 99999999999999999 1% 1 1 1% /\n");
	text(macos_parse_df, buf, "{}");
	/* -h output, no header, garbage. */
	text(macos_parse_df, "Filesystem Size Used Avail Capacity iused "
	    "ifree %iused Mounted on\n/dev/disk3s5 228Gi 66Gi 138Gi 33% 901k "
	    "1.4G 0% /System/Volumes/Data\n", "{}");
	text(macos_parse_df, "/dev/disk3s5 1 1 1 1% /\n", "{}");
	text(macos_parse_df, "garbage", "{}");
}
END_TEST

/*
 * The single-line outputs.
 */

START_TEST(small_outputs)
{
	json_t *rec;
	long long sec = 0;
	const char *bt = "{ sec = 1602498343, usec = 413577 } Mon Oct 12 "
	    "12:25:43 2020\n";

	text(p_hostname, "alice-mbp.local\n",
	    "{\"hostname\":\"alice-mbp.local\"}");
	text(p_hostname, "\n  alice-mbp.local  \r\n",
	    "{\"hostname\":\"alice-mbp.local\"}");
	text(p_hostname, "a\x1b[31mred\n", "{}");
	text(macos_parse_memsize, "17179869184\n",
	    "{\"memory_bytes\":17179869184}");
	text(macos_parse_memsize, "-17179869184\n", "{}");
	text(macos_parse_memsize, "0\n", "{}");
	text(macos_parse_memsize, "17179869184 bytes\n", "{}");
	text(macos_parse_memsize, "99999999999999999999999999\n", "{}");

	ck_assert_int_eq(macos_parse_boottime(bt, strlen(bt), &sec), 0);
	ck_assert(sec == 1602498343LL);
	ck_assert_int_eq(macos_parse_boottime("{ usec = 5 }", 12, &sec), -1);
	ck_assert_int_eq(macos_parse_boottime("{ sec = -5 }", 12, &sec), -1);
	ck_assert_int_eq(macos_parse_boottime("", 0, &sec), -1);
	rec = record_new();
	ck_assert_int_eq(macos_parse_uptime(bt, strlen(bt), "1602870000\n",
	    11, rec), 1);
	same(rec, "{\"uptime_s\":371657}", "uptime");
	json_decref(rec);
	rec = record_new();
	/* A clock before the boot, or garbage: no uptime. */
	ck_assert_int_eq(macos_parse_uptime(bt, strlen(bt), "1600000000",
	    10, rec), 0);
	ck_assert_int_eq(macos_parse_uptime(bt, strlen(bt), "soon", 4, rec),
	    0);
	ck_assert_int_eq(macos_parse_uptime("", 0, "1602870000", 10, rec), 0);
	ck_assert_int_eq((int)json_object_size(rec), 0);
	json_decref(rec);

	text(macos_parse_available, "351712345088\n",
	    "{\"disk_available_bytes\":351712345088}");
	text(macos_parse_available, "3.5e11\n", "{}");
	text(macos_parse_available, "-1\n", "{}");
	text(macos_parse_available, "", "{}");

	text(macos_parse_console_user, "alice\n",
	    "{\"console_user\":\"alice\"}");
	text(macos_parse_console_user, "root\n", "{}");
	text(macos_parse_console_user, "loginwindow\n", "{}");
	text(macos_parse_console_user, "_mbsetupuser\n", "{}");
	text(macos_parse_console_user, "\n", "{}");
	text(macos_parse_console_user, "a b\n", "{}");
}
END_TEST

START_TEST(uname_outputs)
{
	json_t *rec = record_new();

	ck_assert_int_eq(macos_parse_uname("Darwin arm64\n", 13, rec), 1);
	ck_assert_str_eq(record_str(rec, "arch"), "arm64");
	ck_assert_int_eq(macos_parse_uname("Darwin x86_64", 13, rec), 1);
	ck_assert_str_eq(record_str(rec, "arch"), "x86_64");
	json_decref(rec);
	rec = record_new();
	ck_assert_int_eq(macos_parse_uname("Linux x86_64\n", 13, rec), 0);
	ck_assert_int_eq(macos_parse_uname("FreeBSD amd64\n", 14, rec), 0);
	ck_assert_int_eq(macos_parse_uname("", 0, rec), -1);
	ck_assert_int_eq(macos_parse_uname("\x01\x02 x\n", 5, rec), -1);
	ck_assert_int_eq(macos_parse_uname("Darwin \x1b[1m\n", 12, rec), 1);
	ck_assert_int_eq((int)json_object_size(rec), 0);
	json_decref(rec);
}
END_TEST

/*
 * Sections and the whole probe.
 */

START_TEST(sections)
{
	const char *out = "Last login: junk before\n"
	    "@@macscan:abc123:probe@@\n1\n"
	    "@@macscan:abc123:hostname@@\nreal\n"
	    "@@macscan:evil:hostname@@\nforged\n"
	    "@@macscan:abc123:hostname@@\nsecond\n"
	    "@@macscan:abc123:end@@\n";
	const char *t;
	size_t n;

	ck_assert_int_eq(macos_section(out, strlen(out), "hostname", &t, &n),
	    1);
	/* A marker with another nonce is text; the first section wins. */
	ck_assert_int_eq((int)n, (int)strlen("real\n@@macscan:evil:hostname"
	    "@@\nforged\n"));
	ck_assert(memcmp(t, "real\n", 5) == 0);
	ck_assert_int_eq(macos_section(out, strlen(out), "end", &t, &n), 1);
	ck_assert_int_eq((int)n, 0);
	ck_assert_int_eq(macos_section(out, strlen(out), "df", &t, &n), 0);
	ck_assert_int_eq(macos_section("no markers\n", 11, "df", &t, &n), -1);
	ck_assert_int_eq(macos_section("@@macscan::x@@\n", 15, "x", &t, &n),
	    -1);
	ck_assert_int_eq(macos_section("@@macscan:a:X@@\n", 16, "X", &t, &n),
	    -1);
	ck_assert_int_eq(macos_section("@@macscan:a:x@@", 15, "x", &t, &n),
	    1);
	ck_assert_int_eq(macos_section(NULL, 0, "x", &t, &n), -1);
}
END_TEST

static void
probe_file(const char *name)
{
	char txt[64], js[64];
	size_t len, jlen;
	char *out, *want;
	json_t *rec = record_new();
	struct ms_err e = { "" };
	int r;

	snprintf(txt, sizeof(txt), "probe/%s.txt", name);
	snprintf(js, sizeof(js), "probe/%s.json", name);
	out = slurp(txt, &len);
	want = slurp(js, &jlen);
	r = macos_parse_probe(out, len, rec, &e);
	ck_assert_int_eq(r, strcmp(name, "linux") == 0 ? 1 : 0);
	same(rec, want, txt);
	free(out);
	free(want);
	json_decref(rec);
}

START_TEST(probe_fixtures)
{
	probe_file("intel_laptop");
	probe_file("m1_laptop");
	probe_file("desktop");
	probe_file("linux");
}
END_TEST

START_TEST(probe_hostile)
{
	json_t *rec = record_new();
	struct ms_err e = { "" };
	const char *junk = "Last login: Mon\nzsh: no such file\n";

	const char *empty = "@@macscan:1:probe@@\n@@macscan:1:uname@@\n"
	    "@@macscan:1:hostname@@\n@@macscan:1:end@@\n";

	ck_assert_int_eq(macos_parse_probe(junk, strlen(junk), rec, &e), -1);
	ck_assert_str_eq(e.msg, "no probe marker in 34 bytes of output");
	ck_assert_int_eq(macos_parse_probe("", 0, rec, &e), -1);
	ck_assert_int_eq(macos_parse_probe(NULL, 0, rec, &e), -1);
	ck_assert_int_eq((int)json_object_size(rec), 0);
	/* Markers only, every section missing or empty: nothing of macOS,
	 * which is an error, not an empty success. */
	ck_assert_int_eq(macos_parse_probe("@@macscan:1:probe@@\n", 20, rec,
	    &e), -1);
	/* Named in order, the list cut short with "...". */
	ck_assert_str_eq(e.msg, "no recognisable macOS section: uname absent, "
	    "hostname absent, computer_name absent, sysctl absent, now absent, "
	    "sw_vers absent, pmset absent, ioreg absent, system_profiler absent, "
	    "...");
	/* Sections opened and never closed are not whole. */
	ck_assert_int_eq(macos_parse_probe(empty, strlen(empty), rec, &e), -1);
	ck_assert_str_eq(e.msg, "no recognisable macOS section: uname "
	    "unfinished, hostname unfinished");
	json_decref(rec);
}
END_TEST

/* Every parser on one input: must not crash, must keep the record valid. */
static void
all_parsers(const char *s, size_t n)
{
	json_t *rec = record_new();
	struct ms_err e;
	long long sec;
	char *dump;

	ck_assert_int_ge(macos_parse_pmset(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_sw_vers(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_hardware(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_power(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_ioreg_battery(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_df(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_available(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_console_user(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_memsize(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_line(s, n, rec, "hostname"), 0);
	ck_assert_int_ge(macos_parse_uptime(s, n, s, n, rec), 0);
	ck_assert_int_ge(macos_parse_sysctl(s, n, s, n, rec), 0);
	ck_assert_int_ge(macos_parse_sysctl_chip(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_fdesetup(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_csrutil(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_authroot(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_spctl(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_firewall(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_softwareupdate(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_su_prefs(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_xprotect(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_tmutil(s, n / 2, s + n / 2, n - n / 2,
	    s, n, rec), 0);
	ck_assert_int_ge(macos_parse_smart(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_enrollment(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_platform(s, n, rec), 0);
	ck_assert_int_ge(macos_parse_ports(s, n, rec), 0);
	(void)macos_parse_boottime(s, n, &sec);
	(void)macos_parse_uname(s, n, rec);
	(void)macos_parse_probe(s, n, rec, &e);
	ck_assert_int_eq(record_check(rec, NULL), 0);
	dump = record_dump(rec);
	ck_assert_ptr_nonnull(dump);
	ck_assert(ms_utf8_valid(dump, strlen(dump)));
	free(dump);
	json_decref(rec);
}

START_TEST(hostile_inputs)
{
	size_t big = 5 * 1024 * 1024, i;
	char *s = malloc(big + 64);
	char *d;
	time_t t0 = time(NULL);

	ck_assert_ptr_nonnull(s);
	all_parsers("", 0);
	all_parsers(NULL, 0);
	/* A 5 MB line of one byte, of digits, of quotes and braces. */
	memset(s, 'A', big);
	all_parsers(s, big);
	memset(s, '9', big);
	all_parsers(s, big);
	for (i = 0; i < big; i++)
		s[i] = "\"{=,}(<"[i % 7];
	all_parsers(s, big);
	/* A 5 MB pmset battery line, a 5 MB hostname in a probe. */
	memcpy(s, " -InternalBattery-0\t", 20);
	memset(s + 20, 'x', big - 40);
	memcpy(s + big - 20, "\t50%; charging;    ", 20);
	{
		json_t *rec = record_new();

		ck_assert_int_eq(macos_parse_pmset(s, big, rec), 3);
		ck_assert_str_eq(record_str(rec, "battery_state"), "charging");
		json_decref(rec);
	}
	memcpy(s, "@@macscan:1:probe@@\n@@macscan:1:hostname@@\n", 44);
	memset(s + 44, 'h', big - 44);
	{
		json_t *rec = record_new();
		struct ms_err e;

		/* No end: a hostname never closed, every other section
		 * absent; nothing of macOS in it. */
		ck_assert_int_eq(macos_parse_probe(s, big, rec, &e), -1);
		ck_assert_ptr_null(json_object_get(rec, "hostname"));
		ck_assert(strncmp(e.msg, "no recognisable macOS section: uname "
		    "absent, hostname unfinished, ", 60) == 0);
		json_decref(rec);
	}
	/* NUL bytes and invalid UTF-8 in values. */
	{
		const char nul[] = "ProductName:\tmac\0OS\nBuildVersion:\t23C71\n";
		json_t *rec = record_new();

		ck_assert_int_eq(macos_parse_sw_vers(nul, sizeof(nul) - 1,
		    rec), 1);
		same(rec, "{\"os_build\":\"23C71\"}", "NUL");
		json_decref(rec);
		rec = record_new();
		ck_assert_int_eq(macos_parse_line("caf\xe9 \xff\xfe\n", 8, rec,
		    "computer_name"), 1);
		ck_assert_str_eq(record_str(rec, "computer_name"),
		    "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
		json_decref(rec);
	}
	/* Random bytes. */
	srand(42);
	for (i = 0; i < 64 * 1024; i++)
		s[i] = (char)(rand() & 0xff);
	all_parsers(s, 64 * 1024);
	/* Every prefix of a real probe output. */
	{
		size_t len, k;
		char *out = slurp("probe/m1_laptop.txt", &len);

		for (k = 0; k <= len; k += 7) {
			d = malloc(k + 1);
			ck_assert_ptr_nonnull(d);
			memcpy(d, out, k);
			all_parsers(d, k);
			free(d);
		}
		free(out);
	}
	free(s);
	/* All of it in linear time: under a second when idle; a quadratic
	 * pass over these 5 MB inputs would take hours, so 300 s tells them
	 * apart with room for a loaded 2-core machine. */
	ck_assert_int_lt((int)(time(NULL) - t0), 300);
}
END_TEST

/*
 * share/probe.sh under real shells, against the fake commands.
 */

/* Run the probe with sh (argv, NULL-terminated) on profile; its output. */
static char *
run_probe(char *const argv[], const char *profile, size_t *len)
{
	char fakebin[PATH_MAX], dir[PATH_MAX], script[PATH_MAX];
	int pfd[2];
	pid_t pid;
	struct ms_buf b = { 0 };
	char chunk[4096];
	ssize_t r;
	int status;

	snprintf(fakebin, sizeof(fakebin), "%s/tests/fixtures/probe/fakebin",
	    srcdir());
	snprintf(dir, sizeof(dir), "%s/tests/fixtures/probe/%s", srcdir(),
	    profile);
	snprintf(script, sizeof(script), "%s/share/probe.sh", srcdir());
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		FILE *f = freopen(script, "r", stdin);

		if (f == NULL)
			_exit(127);
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		/* The fakes find the rest of the tools themselves. */
		setenv("MACSCAN_PROBE_PATH", fakebin, 1);
		setenv("MACSCAN_FAKE_DIR", dir, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((r = read(pfd[0], chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt((int)r, 0);
		ms_buf_append(&b, chunk, (size_t)r);
	}
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s on %s: status %d", argv[0], profile, status);
	return ms_buf_steal(&b, len);
}

static void
probe_live(char *const argv[])
{
	static const char *profiles[] = { "intel_laptop", "m1_laptop",
	    "desktop", "linux" };
	size_t i, len, jlen;

	if (access(argv[0], X_OK) != 0) {
		fprintf(stderr, "check_macos: %s missing, not run\n", argv[0]);
		return;
	}
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		char js[64], what[128];
		char *out = run_probe(argv, profiles[i], &len);
		char *want;
		json_t *rec = record_new();
		struct ms_err e = { "" };
		const char *t;
		size_t n;

		snprintf(js, sizeof(js), "probe/%s.json", profiles[i]);
		snprintf(what, sizeof(what), "%s on %s", argv[0], profiles[i]);
		want = slurp(js, &jlen);
		ck_assert_int_eq(macos_parse_probe(out, len, rec, &e),
		    i == 3 ? 1 : 0);
		same(rec, want, what);
		/* Complete: the last section is there. */
		ck_assert_int_eq(macos_section(out, len, "end", &t, &n), 1);
		free(want);
		free(out);
		json_decref(rec);
	}
}

START_TEST(probe_dash)
{
	char *const argv[] = { "/bin/dash", "-s", NULL };

	probe_live(argv);
}
END_TEST

START_TEST(probe_bash_posix)
{
	char *const argv[] = { "/bin/bash", "--posix", "-s", NULL };

	probe_live(argv);
}
END_TEST

START_TEST(probe_time_limit)
{
	/* hostname hangs (600 s): killed after its 5 to 6 s, the rest goes
	 * on, and the record says which section is incomplete. The 120 s
	 * bound only tells "killed" from "waited for": it holds on a loaded
	 * machine, twenty times the bound and far below the hang. */
	char *const argv[] = { "/bin/sh", "-s", NULL };
	time_t t0 = time(NULL);
	size_t len;
	char *out = run_probe(argv, "hang", &len);
	json_t *rec = record_new();
	struct ms_err e = { "" };
	const char *t;
	size_t n;

	ck_assert_int_lt((int)(time(NULL) - t0), 120);
	ck_assert_int_eq(macos_parse_probe(out, len, rec, &e), 0);
	same(rec, "{\"arch\":\"arm64\",\"console_user\":\"bob\","
	    "\"probe_incomplete\":[\"hostname\"]}", "hang");
	ck_assert_int_eq(macos_section(out, len, "hostname", &t, &n), 1);
	ck_assert_int_eq((int)n, 0);
	ck_assert_ptr_nonnull(strstr(out, ":hostname:137:8192@@\n"));
	free(out);
	json_decref(rec);
}
END_TEST

START_TEST(probe_size_cap)
{
	/* sw_vers prints without end: stopped on the Mac's side by its
	 * 16 KiB cap (SIGXFSZ, exit 153), named incomplete, not read; the
	 * rest goes on. */
	char *const argv[] = { "/bin/sh", "-s", NULL };
	size_t len;
	char *out = run_probe(argv, "flood", &len);
	json_t *rec = record_new();
	struct ms_err e = { "" };
	const char *t;
	size_t n;

	ck_assert_int_eq(macos_parse_probe(out, len, rec, &e), 0);
	same(rec, "{\"arch\":\"arm64\",\"console_user\":\"bob\","
	    "\"probe_incomplete\":[\"sw_vers\"]}", "flood");
	ck_assert_int_eq(macos_section(out, len, "sw_vers", &t, &n), 1);
	ck_assert_ptr_nonnull(strstr(out, ":sw_vers:153:16384@@\n"));
	ck_assert_uint_le(len, 64 * 1024);
	free(out);
	json_decref(rec);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("macos");
	TCase *tc = tcase_create("parsers");
	TCase *live = tcase_create("probe.sh");

	tcase_add_test(tc, pmset_fixtures);
	tcase_add_test(tc, pmset_desktops);
	tcase_add_test(tc, pmset_hostile);
	tcase_add_test(tc, sw_vers_fixtures);
	tcase_add_test(tc, hardware_fixtures);
	tcase_add_test(tc, hardware_keeps_better_sources);
	tcase_add_test(tc, power_fixtures);
	tcase_add_test(tc, system_profiler_blocks);
	tcase_add_test(tc, ioreg_fixtures);
	tcase_add_test(tc, ioreg_health);
	tcase_add_test(tc, df_fixtures);
	tcase_add_test(tc, df_variants);
	tcase_add_test(tc, small_outputs);
	tcase_add_test(tc, uname_outputs);
	tcase_add_test(tc, sections);
	tcase_add_test(tc, probe_fixtures);
	tcase_add_test(tc, probe_hostile);
	tcase_add_test(tc, hostile_inputs);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	tcase_add_test(live, probe_dash);
	tcase_add_test(live, probe_bash_posix);
	tcase_add_test(live, probe_time_limit);
	tcase_add_test(live, probe_size_cap);
	/* A net against a hang, not a measure of speed: the probe runs
	 * nine times here, and a loaded 2-core machine makes each run take
	 * seconds. */
	tcase_set_timeout(live, 900);
	suite_add_tcase(s, live);
	return s;
}
