#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "record.h"
#include "rfc3339.h"
#include "store.h"

/* A fresh store directory per test, removed by rm -rf at the end. */
static char dir[256];
static char warned[8192];
static int nwarn;

static void
collect_warn(void *arg, const char *msg)
{
	size_t n = strlen(warned);

	(void)arg;
	nwarn++;
	snprintf(warned + n, sizeof(warned) - n, "%s\n", msg);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/check_store.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	warned[0] = '\0';
	nwarn = 0;
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static struct store *
open_locked(void)
{
	struct ms_err e;
	struct store *st = store_open(dir, STORE_CREATE, &e);

	ck_assert_msg(st != NULL, "%s", e.msg);
	store_set_warn(st, collect_warn, NULL);
	ck_assert_msg(store_lock(st, 5, &e) == 0, "%s", e.msg);
	return st;
}

static time_t
at(const char *s)
{
	time_t t;

	ck_assert_int_eq(rfc3339_parse(s, &t, NULL), 0);
	return t;
}

/* Add the records given as JSON text at time s. */
static void
add(struct store *st, const char *json, const char *s)
{
	struct ms_err e;
	json_error_t je;
	json_t *a = json_loads(json, 0, &je);

	ck_assert_msg(a != NULL, "%s", je.text);
	ck_assert_msg(store_add(st, a, at(s), NULL, &e) == 0, "%s", e.msg);
	json_decref(a);
}

/* The record of id in a merged view, or NULL. */
static json_t *
find(json_t *view, const char *id)
{
	size_t i;
	json_t *o;

	json_array_foreach(view, i, o)
		if (strcmp(record_str(o, "id"), id) == 0)
			return o;
	return NULL;
}

static json_t *
latest(struct store *st)
{
	struct ms_err e;
	json_t *v = store_latest(st, &e);

	ck_assert_msg(v != NULL, "%s", e.msg);
	return v;
}

static void
write_file(const char *rel, const char *text)
{
	char p[512];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static int
exists(const char *rel)
{
	char p[512];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return stat(p, &sb) == 0;
}

START_TEST(offline_stays_listed)
{
	struct store *st = open_locked();
	json_t *v, *o;
	int on;

	add(st, "[{\"serial\":\"S1\",\"ip\":\"10.0.0.1\"},"
	    "{\"serial\":\"S2\",\"ip\":\"10.0.0.2\",\"disk_free_bytes\":5}]",
	    "2026-11-20T08:00:00Z");
	add(st, "[{\"serial\":\"S1\",\"ip\":\"10.0.0.1\"}]",
	    "2026-11-20T08:10:00Z");
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 2);
	o = find(v, "S2");
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(record_bool(o, "online", &on), 0);
	ck_assert_int_eq(on, 0);
	ck_assert_str_eq(record_str(o, "last_seen"), "2026-11-20T08:00:00Z");
	ck_assert_str_eq(record_str(o, "first_seen"), "2026-11-20T08:00:00Z");
	ck_assert_int_eq(json_integer_value(json_object_get(o,
	    "disk_free_bytes")), 5);
	o = find(v, "S1");
	ck_assert_int_eq(record_bool(o, "online", &on), 0);
	ck_assert_int_eq(on, 1);
	ck_assert_str_eq(record_str(o, "first_seen"), "2026-11-20T08:00:00Z");
	ck_assert_str_eq(record_str(o, "last_seen"), "2026-11-20T08:10:00Z");
	/* Sorted by id. */
	ck_assert_str_eq(record_str(json_array_get(v, 0), "id"), "S1");
	json_decref(v);
	store_close(st);
}
END_TEST

/* updates_restart_since: stamped when updates that need a restart
 * appear, carried while they wait (and while the probe cannot tell),
 * gone once they are installed; a record cannot claim a later one. */
START_TEST(updates_restart_since_carried)
{
	struct store *st = open_locked();
	json_t *v, *o;

	add(st, "[{\"serial\":\"S1\",\"updates_restart\":0},"
	    "{\"serial\":\"S2\",\"updates_restart\":1,"
	    "\"updates_restart_since\":\"2026-11-25T00:00:00Z\"}]",
	    "2026-11-20T08:00:00Z");
	v = latest(st);
	ck_assert_ptr_null(json_object_get(find(v, "S1"),
	    "updates_restart_since"));
	ck_assert_str_eq(record_str(find(v, "S2"), "updates_restart_since"),
	    "2026-11-20T08:00:00Z");
	json_decref(v);
	add(st, "[{\"serial\":\"S1\",\"updates_restart\":2},"
	    "{\"serial\":\"S2\",\"updates_restart\":3}]",
	    "2026-11-21T08:00:00Z");
	add(st, "[{\"serial\":\"S1\"},{\"serial\":\"S2\","
	    "\"updates_restart\":1}]", "2026-11-22T08:00:00Z");
	v = latest(st);
	o = find(v, "S1");
	ck_assert_str_eq(record_str(o, "updates_restart_since"),
	    "2026-11-21T08:00:00Z");
	ck_assert_str_eq(record_str(find(v, "S2"), "updates_restart_since"),
	    "2026-11-20T08:00:00Z");
	json_decref(v);
	add(st, "[{\"serial\":\"S1\",\"updates_restart\":1},"
	    "{\"serial\":\"S2\",\"updates_restart\":0}]",
	    "2026-11-23T08:00:00Z");
	v = latest(st);
	ck_assert_str_eq(record_str(find(v, "S1"), "updates_restart_since"),
	    "2026-11-21T08:00:00Z");
	ck_assert_ptr_null(json_object_get(find(v, "S2"),
	    "updates_restart_since"));
	json_decref(v);
	add(st, "[{\"serial\":\"S2\",\"updates_restart\":1}]",
	    "2026-11-24T08:00:00Z");
	v = latest(st);
	ck_assert_str_eq(record_str(find(v, "S2"), "updates_restart_since"),
	    "2026-11-24T08:00:00Z");
	json_decref(v);
	store_close(st);
}
END_TEST

START_TEST(dhcp_change_is_one_machine)
{
	struct store *st = open_locked();
	json_t *v, *o;

	add(st, "[{\"serial\":\"C02A\",\"ip\":\"10.0.0.5\",\"mac\":"
	    "\"3c:22:fb:00:00:01\"}]", "2026-11-20T08:00:00Z");
	add(st, "[{\"serial\":\"C02A\",\"ip\":\"10.0.0.77\",\"mac\":"
	    "\"3c:22:fb:00:00:01\"}]", "2026-11-20T08:10:00Z");
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 1);
	o = find(v, "C02A");
	ck_assert_str_eq(record_str(o, "ip"), "10.0.0.77");
	ck_assert_str_eq(record_str(o, "first_seen"), "2026-11-20T08:00:00Z");
	json_decref(v);
	store_close(st);
}
END_TEST

START_TEST(identity_mac_then_ip)
{
	struct store *st = open_locked();
	json_t *v, *o;

	add(st, "[{\"ip\":\"10.0.0.9\",\"mac\":\"3c:22:fb:00:00:09\","
	    "\"probe\":\"auth_failed\"},{\"ip\":\"10.0.0.10\"},"
	    "{\"host\":\"mac-bob.local\"}]", "2026-11-20T08:00:00Z");
	add(st, "[{\"ip\":\"10.0.0.99\",\"mac\":\"3c:22:fb:00:00:09\"},"
	    "{\"ip\":\"10.0.0.10\",\"mac\":\"\"}]", "2026-11-20T08:10:00Z");
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 3);
	o = find(v, "3c:22:fb:00:00:09");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(record_str(o, "ip"), "10.0.0.99");
	ck_assert_ptr_null(record_str(o, "probe"));
	ck_assert_str_eq(record_str(o, "first_seen"), "2026-11-20T08:00:00Z");
	/* An empty MAC does not count: keyed by IP. */
	ck_assert_ptr_nonnull(o = find(v, "10.0.0.10"));
	ck_assert_str_eq(record_str(o, "last_seen"), "2026-11-20T08:10:00Z");
	ck_assert_ptr_nonnull(find(v, "mac-bob.local"));
	/* "id" comes first in what is stored and shown. */
	{
		void *it = json_object_iter(o);

		ck_assert_str_eq(json_object_iter_key(it), "id");
	}
	json_decref(v);
	store_close(st);
}
END_TEST

START_TEST(first_seen_outlives_retention)
{
	struct store *st = open_locked();
	struct ms_err e;
	json_t *v;
	char ts[32];
	int i;

	for (i = 0; i < 8; i++) {
		snprintf(ts, sizeof(ts), "2026-11-20T08:%02d:00Z", i * 5);
		add(st, i == 0 ? "[{\"serial\":\"S1\"},{\"serial\":\"S2\"}]" :
		    "[{\"serial\":\"S1\"}]", ts);
		ck_assert_int_eq(store_prune(st, 3, &e), i >= 3 ? 1 : 0);
	}
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 1);
	ck_assert_str_eq(record_str(find(v, "S1"), "first_seen"),
	    "2026-11-20T08:00:00Z");
	ck_assert_str_eq(record_str(find(v, "S1"), "last_seen"),
	    "2026-11-20T08:35:00Z");
	json_decref(v);
	/* S2 left the view with its snapshots; back, the history says
	 * when it was first seen. */
	add(st, "[{\"serial\":\"S1\"},{\"serial\":\"S2\"}]",
	    "2026-11-20T09:00:00Z");
	v = latest(st);
	ck_assert_str_eq(record_str(find(v, "S2"), "first_seen"),
	    "2026-11-20T08:00:00Z");
	json_decref(v);
	store_close(st);
}
END_TEST

START_TEST(retention_and_names)
{
	struct store *st = open_locked();
	struct store_snap *sv;
	struct ms_err e;
	json_t *a;
	char *name;
	size_t n;

	add(st, "[{\"serial\":\"S1\"}]", "2026-11-20T08:00:00Z");
	add(st, "[{\"serial\":\"S1\"},{\"serial\":\"S2\"}]",
	    "2026-11-20T08:00:00Z");
	a = json_loads("[{\"serial\":\"S3\"}]", 0, NULL);
	ck_assert_int_eq(store_add(st, a, at("2026-11-20T08:00:00Z"), &name,
	    &e), 0);
	ck_assert_str_eq(name, "machines-20261120T080000Z-2.json");
	free(name);
	json_decref(a);
	add(st, "[{\"serial\":\"S4\"}]", "2026-11-20T07:00:00Z");
	ck_assert_int_eq(store_list(st, &sv, &n, &e), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(sv[0].name, "machines-20261120T070000Z.json");
	ck_assert_str_eq(sv[1].name, "machines-20261120T080000Z.json");
	ck_assert_str_eq(sv[2].name, "machines-20261120T080000Z-1.json");
	ck_assert_str_eq(sv[3].name, "machines-20261120T080000Z-2.json");
	ck_assert_uint_eq(sv[2].count, 2);
	ck_assert_int_eq(sv[3].when, at("2026-11-20T08:00:00Z"));
	store_snaps_free(sv, n);
	/* The newest is the -2: only S3 is online. */
	a = latest(st);
	ck_assert_uint_eq(json_array_size(a), 4);
	ck_assert(json_is_true(json_object_get(find(a, "S3"), "online")));
	ck_assert(json_is_false(json_object_get(find(a, "S1"), "online")));
	json_decref(a);
	ck_assert_int_eq(store_prune(st, 2, &e), 2);
	ck_assert_int_eq(store_prune(st, 2, &e), 0);
	ck_assert_int_eq(store_list(st, &sv, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(sv[0].name, "machines-20261120T080000Z-1.json");
	store_snaps_free(sv, n);
	ck_assert_int_eq(store_prune(st, 0, &e), -1);
	/* An empty scan is refused and writes nothing. */
	a = json_array();
	ck_assert_int_eq(store_add(st, a, at("2026-11-20T09:00:00Z"), NULL,
	    &e), -1);
	ck_assert_str_eq(e.msg, "no records: nothing stored");
	json_decref(a);
	ck_assert_int_eq(store_list(st, &sv, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	store_snaps_free(sv, n);
	/* So are records without identity or with bad types. */
	a = json_loads("[{\"serial\":\"S9\"},{\"model\":\"x\"}]", 0, NULL);
	ck_assert_int_eq(store_add(st, a, at("2026-11-20T09:00:00Z"), NULL,
	    &e), -1);
	ck_assert_str_eq(e.msg, "record 2: no serial, mac, ip or host");
	json_decref(a);
	a = json_loads("[{\"serial\":\"S9\",\"battery_percent\":\"x\"}]", 0,
	    NULL);
	ck_assert_int_eq(store_add(st, a, at("2026-11-20T09:00:00Z"), NULL,
	    &e), -1);
	json_decref(a);
	store_close(st);
}
END_TEST

START_TEST(duplicates_keep_last)
{
	struct store *st = open_locked();
	json_t *v;

	add(st, "[{\"serial\":\"S1\",\"ip\":\"10.0.0.1\"},{\"serial\":\"S2\"},"
	    "{\"serial\":\"S1\",\"ip\":\"10.0.0.2\"}]", "2026-11-20T08:00:00Z");
	ck_assert_int_eq(nwarn, 1);
	ck_assert_str_eq(warned, "records 1 and 3 have the same id S1: "
	    "keeping the last\n");
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert_str_eq(record_str(find(v, "S1"), "ip"), "10.0.0.2");
	json_decref(v);
	store_close(st);
}
END_TEST

START_TEST(computed_fields_not_stored)
{
	struct store *st = open_locked();
	struct ms_err e;
	char p[512], *text;
	size_t len;
	json_t *v;

	/* A merged view piped back in: last_seen and online are dropped,
	 * an earlier first_seen is kept (a store copied with latest | add
	 * keeps it). */
	add(st, "[{\"id\":\"junk\",\"serial\":\"S1\",\"online\":false,"
	    "\"last_seen\":\"2020-01-01T00:00:00Z\",\"first_seen\":"
	    "\"2026-11-01T00:00:00Z\"}]", "2026-11-20T08:00:00Z");
	snprintf(p, sizeof(p), "%s/snapshots/machines-20261120T080000Z.json",
	    dir);
	ck_assert_ptr_nonnull(text = ms_read_file(p, 1 << 20, &len, &e));
	ck_assert_str_eq(text, "[\n{\"id\":\"S1\",\"serial\":\"S1\","
	    "\"first_seen\":\"2026-11-01T00:00:00Z\"}\n]\n");
	free(text);
	v = latest(st);
	ck_assert(json_is_true(json_object_get(find(v, "S1"), "online")));
	json_decref(v);
	store_close(st);
}
END_TEST

START_TEST(corrupt_snapshot_skipped)
{
	struct store *st = open_locked();
	json_t *v;

	add(st, "[{\"serial\":\"S1\"}]", "2026-11-20T08:00:00Z");
	write_file("snapshots/machines-20261120T081000Z.json",
	    "[\n{\"id\":\"S2\",\"serial\":\"S2\"},\n{\"id\":\"S3\",\"ser");
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 1);
	/* The readable one is the newest read: S1 is online. */
	ck_assert(json_is_true(json_object_get(find(v, "S1"), "online")));
	ck_assert_ptr_nonnull(strstr(warned, "skipping snapshot "
	    "machines-20261120T081000Z.json:3:"));
	json_decref(v);
	/* Not an array, and an element that is not an object. */
	write_file("snapshots/machines-20261120T081000Z.json", "{}");
	write_file("snapshots/machines-20261120T082000Z.json", "[1]");
	warned[0] = '\0';
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 1);
	ck_assert_ptr_nonnull(strstr(warned,
	    "machines-20261120T081000Z.json: not a JSON array"));
	ck_assert_ptr_nonnull(strstr(warned,
	    "machines-20261120T082000Z.json: record 1: not an object"));
	json_decref(v);
	store_close(st);
}
END_TEST

START_TEST(hand_written_snapshot)
{
	struct store *st = open_locked();
	json_t *v, *o;

	/* Pretty-printed, no "id", a real, an escaped key, fields in any
	 * order: read through jansson, merged the same. */
	write_file("snapshots/machines-20261120T080000Z.json",
	    "[\n  {\n    \"first_seen\": \"2026-11-01T00:00:00Z\",\n"
	    "    \"ser\\u0069al\": \"S1\",\n    \"rtt_ms\": 1.5\n  },\n"
	    "  {\"mac\": \"3c:22:fb:00:00:01\", \"online\": true,"
	    " \"hostname\": \"caf\\u00e9\"},\n  {\"model\": \"no id\"}\n]\n");
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 2);
	o = find(v, "S1");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(record_str(o, "first_seen"), "2026-11-01T00:00:00Z");
	ck_assert_str_eq(record_str(o, "last_seen"), "2026-11-20T08:00:00Z");
	ck_assert(json_real_value(json_object_get(o, "rtt_ms")) == 1.5);
	o = find(v, "3c:22:fb:00:00:01");
	ck_assert_str_eq(record_str(o, "hostname"), "caf\xc3\xa9");
	ck_assert(json_is_true(json_object_get(o, "online")));
	ck_assert_ptr_nonnull(strstr(warned, "1 record without serial"));
	json_decref(v);
	store_close(st);
}
END_TEST

START_TEST(escaped_ids)
{
	struct store *st = open_locked();
	json_t *v;
	char *name;
	struct ms_err e;
	json_t *a = json_pack("[{s:s},{s:s}]", "serial", "q\"uo\\te\x01",
	    "serial", "\xf0\x9f\x8d\x8e");

	ck_assert_int_eq(store_add(st, a, at("2026-11-20T08:00:00Z"), &name,
	    &e), 0);
	free(name);
	ck_assert_int_eq(store_add(st, a, at("2026-11-20T08:10:00Z"), NULL,
	    &e), 0);
	json_decref(a);
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert_ptr_nonnull(find(v, "q\"uo\\te\x01"));
	ck_assert_ptr_nonnull(find(v, "\xf0\x9f\x8d\x8e"));
	json_decref(v);
	v = store_history(st, "q\"uo\\te\x01", &e);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(json_array_size(v), 2);
	json_decref(v);
	store_close(st);
}
END_TEST

struct collect {
	int n;
	char last[4096];
};

static int
collect_text(void *arg, const char *json, size_t len)
{
	struct collect *c = arg;

	ck_assert_uint_eq(strlen(json), len);
	snprintf(c->last, sizeof(c->last), "%s", json);
	return ++c->n == 2 ? -1 : 0;
}

START_TEST(foreach_text)
{
	struct store *st = open_locked();
	struct collect c = { 0, "" };
	struct ms_err e;

	add(st, "[{\"serial\":\"A\",\"ip\":\"10.0.0.1\"},{\"serial\":\"B\"},"
	    "{\"serial\":\"C\"}]", "2026-11-20T08:00:00Z");
	ck_assert_int_eq(store_latest_foreach(st, collect_text, &c, &e), -1);
	ck_assert_str_eq(e.msg, "stopped");
	ck_assert_int_eq(c.n, 2);
	ck_assert_str_eq(c.last, "{\"id\":\"B\",\"serial\":\"B\","
	    "\"first_seen\":\"2026-11-20T08:00:00Z\",\"last_seen\":"
	    "\"2026-11-20T08:00:00Z\",\"online\":true}");
	store_close(st);
}
END_TEST

START_TEST(empty_and_readonly)
{
	struct ms_err e;
	struct store *st;
	json_t *v;
	char sub[300], ver[64];

	/* A missing directory is an error for a reader. */
	snprintf(sub, sizeof(sub), "%s/none", dir);
	ck_assert_ptr_null(store_open(sub, STORE_RDONLY, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "No such file or directory"));
	/* An existing one without snapshots/ is empty. */
	ck_assert_ptr_nonnull(st = store_open(dir, STORE_RDONLY, &e));
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 0);
	json_decref(v);
	v = store_history_all(st, &e);
	ck_assert_uint_eq(json_object_size(v), 0);
	json_decref(v);
	ck_assert_ptr_null(store_history(st, "S1", &e));
	ck_assert_str_eq(e.msg, "no history for machine 'S1'");
	ck_assert_int_eq(store_lock(st, 0, &e), -1);
	ck_assert_int_eq(store_version(st, ver, sizeof(ver)), 0);
	ck_assert_uint_eq(strlen(ver), 32);
	ck_assert_int_eq(exists("snapshots"), 0);
	ck_assert_int_eq(exists("lock"), 0);
	store_close(st);
}
END_TEST

START_TEST(lock_excludes)
{
	struct store *a = open_locked(), *b;
	struct ms_err e;
	json_t *r = json_loads("[{\"serial\":\"S1\"}]", 0, NULL);

	ck_assert_ptr_nonnull(b = store_open(dir, STORE_CREATE, &e));
	ck_assert_int_eq(store_lock(b, 1, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "another writer holds the lock "
	    "(waited 1 s)"));
	/* Writing without the lock is refused. */
	ck_assert_int_eq(store_add(b, r, at("2026-11-20T08:00:00Z"), NULL,
	    &e), -1);
	ck_assert_int_eq(store_prune(b, 1, &e), -1);
	ck_assert_int_eq(store_state_save(b, "x", r, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "not locked"));
	store_unlock(a);
	ck_assert_int_eq(store_lock(b, 0, &e), 0);
	json_decref(r);
	store_close(a);
	store_close(b);
}
END_TEST

/* A writer waits for the lock: another process holds it, then lets it
 * go; the waiting one gets it only then (in that order, whatever the
 * time it takes). */
START_TEST(lock_waits_for_the_holder)
{
	struct store *b;
	struct ms_err e;
	int ready[2], go[2], status;
	char c;
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	if ((pid = fork()) == 0) {
		struct store *a = store_open(dir, STORE_CREATE, &e);

		if (a == NULL || store_lock(a, 5, &e) == -1 ||
		    write(ready[1], "l", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		/* Still holding: the other must still be waiting. */
		if (write(ready[1], "u", 1) != 1)
			_exit(1);
		store_close(a);
		_exit(0);
	}
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(c, 'l');
	ck_assert_ptr_nonnull(b = store_open(dir, STORE_CREATE, &e));
	ck_assert_int_eq(store_lock(b, 0, &e), -1);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	/* Waits as long as it takes (a generous bound), gets it once the
	 * holder has gone. */
	ck_assert_msg(store_lock(b, 120, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(c, 'u');
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	store_close(b);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}
END_TEST

START_TEST(leftovers_ignored_and_cleaned)
{
	static const char partial[] = "{\"t\":\"2026-11-20T08:10:00Z\","
	    "\"id\":\"S";
	struct store *st;
	struct ms_err e;
	json_t *v;
	char msg[64];

	st = open_locked();
	add(st, "[{\"serial\":\"S1\"}]", "2026-11-20T08:00:00Z");
	store_close(st);
	/* What a writer killed at any instant may leave. */
	write_file("snapshots/.tmp-abc123", "[\n{\"id\":\"S9\",\"se");
	write_file(".tmp-def456", "{\"x\":");
	write_file("snapshots/machines-2026.json", "junk");
	{
		char p[512];
		int fd;

		snprintf(p, sizeof(p), "%s/history.ndjson", dir);
		fd = open(p, O_WRONLY | O_APPEND);
		ck_assert_int_ne(fd, -1);
		ck_assert_int_eq(write(fd, partial, strlen(partial)),
		    (ssize_t)strlen(partial));
		close(fd);
	}
	st = store_open(dir, STORE_RDONLY, &e);
	store_set_warn(st, collect_warn, NULL);
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 1);
	json_decref(v);
	v = store_history(st, "S1", &e);
	ck_assert_uint_eq(json_array_size(v), 1);
	json_decref(v);
	ck_assert_int_eq(nwarn, 0);
	store_close(st);
	/* The next writer removes them and trims the history. */
	st = open_locked();
	ck_assert_int_eq(exists("snapshots/.tmp-abc123"), 0);
	ck_assert_int_eq(exists(".tmp-def456"), 0);
	add(st, "[{\"serial\":\"S1\"}]", "2026-11-20T08:20:00Z");
	v = store_history(st, "S1", &e);
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert_str_eq(record_str(json_array_get(v, 1), "t"),
	    "2026-11-20T08:20:00Z");
	json_decref(v);
	snprintf(msg, sizeof(msg), "removed %zu bytes of a line",
	    strlen(partial));
	ck_assert_ptr_nonnull(strstr(warned, msg));
	store_close(st);
}
END_TEST

START_TEST(history_entries)
{
	struct store *st = open_locked();
	struct ms_err e;
	json_t *h, *all;
	char *s;

	add(st, "[{\"serial\":\"S1\",\"disk_free_bytes\":100,"
	    "\"disk_total_bytes\":500,\"battery_percent\":80,"
	    "\"battery_health_percent\":90,\"ip\":\"10.0.0.1\"},"
	    "{\"serial\":\"S2\"}]", "2026-11-20T08:00:00Z");
	add(st, "[{\"serial\":\"S2\",\"disk_free_bytes\":7}]",
	    "2026-11-20T08:10:00Z");
	h = store_history(st, "S1", &e);
	ck_assert_ptr_nonnull(h);
	s = json_dumps(h, JSON_COMPACT);
	ck_assert_str_eq(s, "[{\"t\":\"2026-11-20T08:00:00Z\","
	    "\"disk_free_bytes\":100,\"disk_total_bytes\":500,"
	    "\"battery_percent\":80,\"battery_health_percent\":90,"
	    "\"online\":true},{\"t\":\"2026-11-20T08:10:00Z\","
	    "\"online\":false}]");
	free(s);
	json_decref(h);
	all = store_history_all(st, &e);
	ck_assert_uint_eq(json_object_size(all), 2);
	s = json_dumps(json_object_get(all, "S2"), JSON_COMPACT);
	ck_assert_str_eq(s, "[{\"t\":\"2026-11-20T08:00:00Z\",\"online\":true}"
	    ",{\"t\":\"2026-11-20T08:10:00Z\",\"disk_free_bytes\":7,"
	    "\"online\":true}]");
	free(s);
	json_decref(all);
	/* An older scan (an import) adds no offline entries and is put in
	 * its place in time. */
	add(st, "[{\"serial\":\"S2\"}]", "2026-11-19T08:00:00Z");
	h = store_history(st, "S2", &e);
	ck_assert_uint_eq(json_array_size(h), 3);
	ck_assert_str_eq(record_str(json_array_get(h, 0), "t"),
	    "2026-11-19T08:00:00Z");
	json_decref(h);
	h = store_history(st, "S1", &e);
	ck_assert_uint_eq(json_array_size(h), 2);
	json_decref(h);
	all = store_history_all(st, &e);
	ck_assert_str_eq(record_str(json_array_get(json_object_get(all, "S2"),
	    0), "t"), "2026-11-19T08:00:00Z");
	json_decref(all);
	store_close(st);
}
END_TEST

/* Write a history of n entries for id, every step seconds, the newest
 * at newest. */
static void
hist_series(FILE *fp, const char *id, time_t newest, long step, long n)
{
	long k;

	for (k = n - 1; k >= 0; k--) {
		char ts[RFC3339_LEN];

		rfc3339_format(newest - k * step, ts);
		fprintf(fp, "{\"t\":\"%s\",\"id\":\"%s\",\"disk_free_bytes\":"
		    "%ld,\"online\":true}\n", ts, id, k);
	}
}

START_TEST(history_compaction_counts)
{
	struct store *st = open_locked();
	struct ms_err e;
	time_t now = at("2026-11-24T00:00:00Z");
	char p[512];
	FILE *fp;
	json_t *h;
	size_t len, hl;
	char *text;
	long long cb;

	snprintf(p, sizeof(p), "%s/history.ndjson", dir);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	/*
	 * A: every 10 minutes for 40 days up to now. Kept: 288 of the
	 * last 2 days; one per hour from 2 to 30 days: 672 hours, plus
	 * the hour that straddles the 2-day line (its one older entry);
	 * one per day from 30 to 40 days: 10 days, plus the entry at
	 * exactly 30 days, alone in its day's older part. 972 kept of
	 * 5760.
	 */
	hist_series(fp, "A", now, 600, 5760);
	/* B: one a day at noon for 800 days: 2 + 28 + 700 kept, the 70
	 * older than 2 years dropped. */
	hist_series(fp, "B", now - 43200, 86400, 800);
	fputs("not json\n", fp);
	ck_assert_int_eq(fclose(fp), 0);

	ck_assert_int_eq(store_history_compact(st, now, &e), 5760 - 972 + 70);
	h = store_history(st, "A", &e);
	ck_assert_uint_eq(json_array_size(h), 972);
	/* The newest entry of each bucket is the one kept. */
	ck_assert_str_eq(record_str(json_array_get(h, 0), "t"),
	    "2026-10-15T23:50:00Z");
	ck_assert_str_eq(record_str(json_array_get(h, 1), "t"),
	    "2026-10-16T23:50:00Z");
	ck_assert_str_eq(record_str(json_array_get(h, 10), "t"),
	    "2026-10-25T00:00:00Z");
	ck_assert_str_eq(record_str(json_array_get(h, 11), "t"),
	    "2026-10-25T00:50:00Z");
	ck_assert_str_eq(record_str(json_array_get(h, 971), "t"),
	    "2026-11-24T00:00:00Z");
	json_decref(h);
	h = store_history(st, "B", &e);
	ck_assert_uint_eq(json_array_size(h), 730);
	json_decref(h);
	/* Idempotent. */
	ck_assert_int_eq(store_history_compact(st, now, &e), 0);
	/* The header says how big the entries were after compaction. */
	ck_assert_ptr_nonnull(text = ms_read_file(p, 1 << 24, &len, &e));
	ck_assert_int_eq(sscanf(text, "{\"macscan_history\":1,"
	    "\"compacted_bytes\":%lld}\n", &cb), 1);
	hl = (size_t)(strchr(text, '\n') - text) + 1;
	ck_assert_uint_eq((size_t)cb, len - hl);
	free(text);
	/*
	 * An hour later: the 6 entries that crossed the 2-day line are one
	 * hour's, 5 go; the hourly one that crossed the 30-day line shares
	 * its day with the entry at 30 days, which goes.
	 */
	ck_assert_int_eq(store_history_compact(st, now + 3600, &e), 6);
	store_close(st);
}
END_TEST

START_TEST(history_compaction_when_due)
{
	struct store *st = open_locked();
	struct ms_err e;
	time_t now = time(NULL), base;
	char p[512];
	FILE *fp;
	json_t *h;
	long k;

	/* 1.6 MB of entries 100 to 99 days old, two per hour. */
	base = now - 100 * 86400;
	snprintf(p, sizeof(p), "%s/history.ndjson", dir);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fputs("{\"macscan_history\":1,\"compacted_bytes\":0}\n", fp);
	for (k = 0; k < 12000; k++) {
		char ts[RFC3339_LEN];

		rfc3339_format(base + (k / 2) * 15, ts);
		fprintf(fp, "{\"t\":\"%s\",\"id\":\"M%ld\",\"disk_free_bytes\":"
		    "123456789012,\"disk_total_bytes\":494384795648,"
		    "\"online\":true}\n", ts, k % 2);
	}
	ck_assert_int_eq(fclose(fp), 0);
	add(st, "[{\"serial\":\"M0\"}]", "2026-11-20T08:00:00Z");
	ck_assert_msg(nwarn == 0, "%s", warned);
	/* 6000 entries each over 25 hours, 100 days ago: one a day is
	 * left (2 or 3 days), plus the new scan's. */
	h = store_history(st, "M0", &e);
	ck_assert_int_ge(json_array_size(h), 2);
	ck_assert_int_le(json_array_size(h), 4);
	json_decref(h);
	{
		char *text;
		size_t len;
		long long cb = 0;

		ck_assert_ptr_nonnull(text = ms_read_file(p, 1 << 24, &len,
		    &e));
		ck_assert_int_eq(sscanf(text, "{\"macscan_history\":1,"
		    "\"compacted_bytes\":%lld}", &cb), 1);
		ck_assert_int_gt(cb, 0);
		ck_assert_uint_lt(len, 2000);
		free(text);
	}
	store_close(st);
}
END_TEST

START_TEST(history_since_step)
{
	struct store *st = open_locked();
	struct ms_err e;
	time_t now = at("2026-11-24T00:00:00Z");
	char p[512];
	FILE *fp;
	json_t *all, *a;

	snprintf(p, sizeof(p), "%s/history.ndjson", dir);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	hist_series(fp, "A", now, 600, 3 * 144 + 1);
	hist_series(fp, "B", now - 2 * 86400, 600, 10);
	ck_assert_int_eq(fclose(fp), 0);
	all = store_history_all_since(st, now - 86400, 3600, &e);
	ck_assert_ptr_nonnull(all);
	/* B is older than since: not there at all. */
	ck_assert_uint_eq(json_object_size(all), 1);
	a = json_object_get(all, "A");
	/* 24 whole hours, the last entry of each, and the one at now. */
	ck_assert_uint_eq(json_array_size(a), 25);
	ck_assert_str_eq(record_str(json_array_get(a, 0), "t"),
	    "2026-11-23T00:50:00Z");
	ck_assert_str_eq(record_str(json_array_get(a, 24), "t"),
	    "2026-11-24T00:00:00Z");
	json_decref(all);
	all = store_history_all_since(st, 0, 0, &e);
	ck_assert_uint_eq(json_array_size(json_object_get(all, "A")), 433);
	ck_assert_uint_eq(json_array_size(json_object_get(all, "B")), 10);
	json_decref(all);
	store_close(st);
}
END_TEST

START_TEST(state_files)
{
	struct store *st = open_locked();
	struct ms_err e;
	json_t *s, *v;
	char *d;

	s = store_state_load(st, "alerts", &e);
	ck_assert_ptr_nonnull(s);
	ck_assert(json_is_object(s) && json_object_size(s) == 0);
	json_decref(s);
	s = json_pack("{s:{s:s,s:i}}", "C02A", "level", "critical", "sent",
	    1764000000);
	ck_assert_int_eq(store_state_save(st, "alerts", s, &e), 0);
	v = store_state_load(st, "alerts", &e);
	ck_assert(json_equal(s, v));
	json_decref(v);
	json_decref(s);
	ck_assert_int_eq(exists("alerts.json"), 1);
	/* Any JSON value. */
	s = json_integer(42);
	ck_assert_int_eq(store_state_save(st, "n-1_x", s, &e), 0);
	json_decref(s);
	v = store_state_load(st, "n-1_x", &e);
	ck_assert_int_eq(json_integer_value(v), 42);
	json_decref(v);
	/* Names that could leave the directory are refused. */
	ck_assert_ptr_null(store_state_load(st, "../x", &e));
	ck_assert_ptr_null(store_state_load(st, "", &e));
	ck_assert_ptr_null(store_state_load(st, ".hidden", &e));
	s = json_object();
	ck_assert_int_eq(store_state_save(st, "a/b", s, &e), -1);
	json_decref(s);
	/* A corrupt state is an error, not an empty state. */
	write_file("broken.json", "{\"a\":");
	ck_assert_ptr_null(store_state_load(st, "broken", &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "broken.json:1:"));
	d = store_path(st, "known_hosts");
	ck_assert_ptr_nonnull(strstr(d, "/known_hosts"));
	free(d);
	store_close(st);
}
END_TEST

START_TEST(version_changes)
{
	struct store *st = open_locked();
	struct ms_err e;
	char a[64], b[64], c[64];
	json_t *s;

	ck_assert_int_eq(store_version(st, a, sizeof(a)), 0);
	add(st, "[{\"serial\":\"S1\"}]", "2026-11-20T08:00:00Z");
	ck_assert_int_eq(store_version(st, b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);
	s = json_object();
	ck_assert_int_eq(store_state_save(st, "alerts", s, &e), 0);
	json_decref(s);
	ck_assert_int_eq(store_version(st, c, sizeof(c)), 0);
	ck_assert_str_ne(b, c);
	ck_assert_int_eq(store_version(st, a, sizeof(a)), 0);
	ck_assert_str_eq(a, c);
	ck_assert_int_eq(store_version(st, a, 8), -1);
	store_close(st);
}
END_TEST

static json_t *
ps(const char *text)
{
	struct ms_err e;

	return store_parse_snapshot(text, strlen(text), &e);
}

static json_t *
ph(const char *text, struct ms_err *e)
{
	return store_parse_history_line(text, strlen(text), e);
}

START_TEST(parse_snapshot)
{
	struct ms_err e;
	json_t *a;
	const char *line = "[\n{\"id\":\"x\",\"a\":[1,{\"b\":null}]},\n"
	    "{\"serial\":\"y\",\"s\":\"\\ud83c\\udf4e\"}\n]\n";

	a = store_parse_snapshot(line, strlen(line), &e);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(json_array_size(a), 2);
	ck_assert_str_eq(record_str(json_array_get(a, 1), "id"), "y");
	ck_assert_str_eq(record_str(json_array_get(a, 1), "s"),
	    "\xf0\x9f\x8d\x8e");
	json_decref(a);
	/* What jansson refuses, the scanner refuses too. */
	ck_assert_ptr_null(ps("[\n{\"id\":\"\\ud83c\"}\n]\n"));
	ck_assert_ptr_null(ps("[\n{\"id\":\"x\",\"n\":01}\n]\n"));
	ck_assert_ptr_null(ps("[\n{\"id\":\"x\",\"n\":99999999999999999999}"
	    "\n]\n"));
	ck_assert_ptr_null(ps("[\n{\"id\":\"x\",\"n\":1e999}\n]\n"));
	ck_assert_ptr_null(ps("[\n{\"id\":\"x\",\"id\":\"y\"}\n]\n"));
	ck_assert_ptr_null(ps("[\n{\"id\":\"a\x01\"}\n]\n"));
	ck_assert_ptr_null(ps("[\n{\"id\":\"\xc0\xaf\"}\n]\n"));
	ck_assert_ptr_null(ps("[\n{\"id\":\"\\u0000\"}\n]\n"));
	ck_assert_ptr_null(ps("[\n{\"id\":1}\n]\n"));
	ck_assert_ptr_null(ps("[\n{\"id\":\"x\"} x\n]\n"));
	/* Accepted by both: the largest integers, -0, exponents. */
	a = ps("[\n{\"id\":\"x\",\"a\":9223372036854775807,\"b\":"
	    "-9223372036854775808,\"c\":-0,\"d\":1E+2,\"e\":1e-400}\n]\n");
	ck_assert_ptr_nonnull(a);
	json_decref(a);
	/* Empty array. */
	a = ps("[\n]\n");
	ck_assert_uint_eq(json_array_size(a), 0);
	json_decref(a);
	a = ps("[]");
	ck_assert_uint_eq(json_array_size(a), 0);
	json_decref(a);
}
END_TEST

START_TEST(parse_history_line)
{
	struct ms_err e;
	json_t *o;
	const char *l = "{\"t\":\"2026-11-20T09:00:00+01:00\",\"id\":\"S\\u0031\","
	    "\"battery_percent\":50,\"future\":[1],\"online\":false}";
	char *s;

	o = store_parse_history_line(l, strlen(l), &e);
	ck_assert_ptr_nonnull(o);
	s = json_dumps(o, JSON_COMPACT);
	ck_assert_str_eq(s, "{\"t\":\"2026-11-20T08:00:00Z\",\"id\":\"S1\","
	    "\"battery_percent\":50,\"online\":false}");
	free(s);
	json_decref(o);
	ck_assert_ptr_null(ph("{\"macscan_history\":1,\"compacted_bytes\":5}",
	    &e));
	ck_assert_str_eq(e.msg, "the header line");
	ck_assert_ptr_null(ph("{\"t\":\"x\",\"id\":\"a\"}", &e));
	ck_assert_ptr_null(ph("{\"t\":\"2026-11-20T09:00:00Z\",\"id\":\"a\","
	    "\"battery_percent\":-1}", &e));
	ck_assert_ptr_null(ph("{\"id\":\"a\"}", &e));
	ck_assert_ptr_null(ph("{\"t\":\"2026-11-20T09:00:00Z\",\"id\":\"\"}",
	    &e));
}
END_TEST

/* A record of serial sn nested depth deep (the record itself is 1). */
static json_t *
deep_record(const char *sn, int depth)
{
	struct ms_buf b = { 0 };
	json_error_t je;
	json_t *o;
	int i;

	ck_assert_int_eq(ms_buf_printf(&b, "{\"serial\":\"%s\",\"x\":", sn), 0);
	for (i = 0; i < depth - 2; i++)
		ck_assert_int_eq(ms_buf_puts(&b, "{\"x\":"), 0);
	ck_assert_int_eq(ms_buf_puts(&b, "{}"), 0);
	for (i = 0; i < depth - 2; i++)
		ck_assert_int_eq(ms_buf_puts(&b, "}"), 0);
	ck_assert_int_eq(ms_buf_puts(&b, "}"), 0);
	o = json_loads(b.data, 0, &je);
	ck_assert_msg(o != NULL, "%s", je.text);
	ms_buf_free(&b);
	return o;
}

/*
 * What the writer stores, the reader reads: a record add accepts is in
 * the merged view, whatever its depth; one the reader would skip is
 * refused by add, and nothing is written.
 */
START_TEST(writer_and_reader_agree)
{
	static const int depths[] = { 2, 63, 64, 65, 511, 512, 513, 600 };
	struct store *st = open_locked();
	struct store_snap *sv;
	struct ms_err e;
	size_t i, n;
	json_t *a, *v;

	for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		char sn[32], ts[32];
		int r;

		snprintf(sn, sizeof(sn), "D%d", depths[i]);
		snprintf(ts, sizeof(ts), "2026-11-20T08:%02zu:00Z", i);
		a = json_array();
		json_array_append_new(a, deep_record(sn, depths[i]));
		r = store_add(st, a, at(ts), NULL, &e);
		json_decref(a);
		v = latest(st);
		ck_assert_msg((r == 0) == (find(v, sn) != NULL),
		    "depth %d: add says %d, the view %s it", depths[i], r,
		    find(v, sn) != NULL ? "has" : "lacks");
		/* The documented limit. */
		ck_assert_msg((r == 0) == (depths[i] <= 64), "depth %d: %s",
		    depths[i], r == 0 ? "accepted" : e.msg);
		if (r == -1)
			ck_assert_ptr_nonnull(strstr(e.msg, "record 1: nested "
			    "more than 64 deep"));
		json_decref(v);
	}
	/* Only what was accepted was written: 3 snapshots. */
	ck_assert_int_eq(store_list(st, &sv, &n, &e), 0);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(sv[i].count, 1);
	store_snaps_free(sv, n);
	ck_assert_int_eq(nwarn, 0);
	store_close(st);
}
END_TEST

/* The snapshot size cap holds on write: a scan that would make a larger
 * snapshot than readers take is refused, and nothing is written. */
START_TEST(snapshot_cap_on_write)
{
	struct store *st = open_locked();
	struct store_snap *sv;
	struct ms_err e;
	json_t *a;
	size_t n;
	int i;

	store_set_snap_max(st, 4096);
	a = json_array();
	for (i = 0; i < 100; i++) {
		char sn[16];

		snprintf(sn, sizeof(sn), "S%03d", i);
		json_array_append_new(a, json_pack("{s:s,s:s}", "serial", sn,
		    "padding", "01234567890123456789012345678901234567890"));
	}
	ck_assert_int_eq(store_add(st, a, at("2026-11-20T08:00:00Z"), NULL,
	    &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "more than 4096 bytes"));
	ck_assert_int_eq(store_list(st, &sv, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	store_snaps_free(sv, n);
	json_decref(a);
	add(st, "[{\"serial\":\"S1\"}]", "2026-11-20T08:10:00Z");
	/* A larger file (written by hand) is not read. */
	{
		char big[5000];

		memset(big, ' ', sizeof(big));
		memcpy(big, "[{\"serial\":\"S2\"}", 16);
		big[sizeof(big) - 2] = ']';
		big[sizeof(big) - 1] = '\0';
		write_file("snapshots/machines-20261120T082000Z.json", big);
	}
	a = latest(st);
	ck_assert_uint_eq(json_array_size(a), 1);
	ck_assert_ptr_nonnull(find(a, "S1"));
	json_decref(a);
	ck_assert_ptr_nonnull(strstr(warned, "machines-20261120T082000Z.json"));
	store_close(st);
}
END_TEST

/* Retention keeps the newest N snapshots that can be read: snapshots
 * that cannot are not counted, and never cost a readable one. */
START_TEST(retention_counts_readable_only)
{
	struct store *st = open_locked();
	struct store_snap *sv;
	struct ms_err e;
	json_t *v;
	size_t n, i;
	char ts[32];

	for (i = 0; i < 5; i++) {
		snprintf(ts, sizeof(ts), "2026-11-20T08:%02zu:00Z", i * 10);
		add(st, "[{\"serial\":\"S1\"}]", ts);
	}
	write_file("snapshots/machines-20261120T090000Z.json", "[\n{\"id\"");
	write_file("snapshots/machines-20261120T091000Z.json", "not json");
	write_file("snapshots/machines-20261120T092000Z.json", "[\n]\n");
	ck_assert_int_eq(store_prune(st, 5, &e), 0);
	ck_assert_int_eq(store_list(st, &sv, &n, &e), 0);
	ck_assert_uint_eq(n, 8);
	store_snaps_free(sv, n);
	/* A sixth readable one: the oldest readable goes, the unreadable
	 * ones newer than the fifth readable stay. */
	add(st, "[{\"serial\":\"S1\"},{\"serial\":\"S2\"}]",
	    "2026-11-20T09:30:00Z");
	ck_assert_int_eq(store_prune(st, 5, &e), 1);
	ck_assert_int_eq(exists("snapshots/machines-20261120T080000Z.json"),
	    0);
	ck_assert_int_eq(exists("snapshots/machines-20261120T081000Z.json"),
	    1);
	ck_assert_int_eq(exists("snapshots/machines-20261120T091000Z.json"),
	    1);
	/* Keep 2: the 2 newest readable and what is newer; nothing
	 * older, read or not. */
	ck_assert_int_eq(store_prune(st, 2, &e), 3);
	ck_assert_int_eq(store_list(st, &sv, &n, &e), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(sv[0].name, "machines-20261120T084000Z.json");
	ck_assert_uint_eq(sv[0].count, 1);
	ck_assert_uint_eq(sv[1].count, (size_t)-1);
	ck_assert_uint_eq(sv[3].count, (size_t)-1);
	ck_assert_str_eq(sv[4].name, "machines-20261120T093000Z.json");
	ck_assert_uint_eq(sv[4].count, 2);
	store_snaps_free(sv, n);
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 2);
	json_decref(v);
	store_close(st);
}
END_TEST

/* Snapshots that all fail to read are an error, not an empty view. */
START_TEST(latest_fails_when_nothing_readable)
{
	struct collect c = { 0, "" };
	struct ms_err e;
	struct store *st;
	char p[512];
	long n;

	snprintf(p, sizeof(p), "%s/snapshots", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	write_file("snapshots/machines-20261120T080000Z.json", "[\n{\"id\"");
	write_file("snapshots/machines-20261120T081000Z.json", "[\n]\n");
	ck_assert_ptr_nonnull(st = store_open(dir, STORE_RDONLY, &e));
	store_set_warn(st, collect_warn, NULL);
	ck_assert_ptr_null(store_latest(st, &e));
	ck_assert_str_eq(e.msg, "2 snapshots, none readable");
	n = store_latest_foreach(st, collect_text, &c, &e);
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(c.n, 0);
	ck_assert_str_eq(e.msg, "2 snapshots, none readable");
	store_close(st);
}
END_TEST

/* One bad record of a snapshot is skipped alone, named by its line. */
START_TEST(bad_record_skipped_alone)
{
	struct store *st = open_locked();
	json_t *v;

	write_file("snapshots/machines-20261120T080000Z.json",
	    "[\n{\"id\":\"S1\",\"serial\":\"S1\"},\n"
	    "{\"id\":\"S2\",\"serial\":\"S2\",\"disk_free_bytes\":\"x\"},\n"
	    "{\"id\":\"S3\",\"serial\":\"S3\",\"battery_percent\":-1},\n"
	    "{\"id\":\"S4\",\"serial\":\"S4\"}\n]\n");
	v = latest(st);
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert_ptr_nonnull(find(v, "S1"));
	ck_assert_ptr_nonnull(find(v, "S4"));
	json_decref(v);
	ck_assert_ptr_nonnull(strstr(warned, "machines-20261120T080000Z.json:"
	    "3: field \"disk_free_bytes\" must be an integer >= 0 (2 bad "
	    "records skipped)"));
	store_close(st);
}
END_TEST

/* Compaction thins the history of every id, however long its escaped
 * form: a serial of 200 '"' is 400 bytes escaped. */
START_TEST(compaction_of_long_escaped_ids)
{
	struct store *st = open_locked();
	struct ms_err e;
	time_t now = at("2026-11-24T00:00:00Z");
	char id[201], esc[401], p[512];
	FILE *fp;
	json_t *h, *a;
	long k;
	int i;

	memset(id, '"', 200);
	id[200] = '\0';
	for (i = 0; i < 200; i++) {
		esc[2 * i] = '\\';
		esc[2 * i + 1] = '"';
	}
	esc[400] = '\0';
	snprintf(p, sizeof(p), "%s/history.ndjson", dir);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	/* Every 10 minutes, 10 to 5 days ago: one an hour is kept. */
	for (k = 10 * 144; k > 5 * 144; k--) {
		char ts[RFC3339_LEN];

		rfc3339_format(now - k * 600, ts);
		fprintf(fp, "{\"t\":\"%s\",\"id\":\"%s\",\"online\":true}"
		    "\n", ts, esc);
		fprintf(fp, "{\"t\":\"%s\",\"id\":\"S1\",\"online\":true}"
		    "\n", ts);
	}
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(store_history_compact(st, now, &e), 2 * (720 - 120));
	h = store_history(st, id, &e);
	ck_assert_msg(h != NULL, "%s", e.msg);
	ck_assert_uint_eq(json_array_size(h), 120);
	json_decref(h);
	h = store_history(st, "S1", &e);
	ck_assert_uint_eq(json_array_size(h), 120);
	json_decref(h);
	/* And through store_add: the id as a serial. */
	a = json_pack("[{s:s}]", "serial", id);
	ck_assert_int_eq(store_add(st, a, now, NULL, &e), 0);
	json_decref(a);
	h = store_history(st, id, &e);
	ck_assert_uint_eq(json_array_size(h), 121);
	json_decref(h);
	store_close(st);
}
END_TEST

static unsigned
mode_of(const char *rel)
{
	char p[512];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	ck_assert_int_eq(stat(p, &sb), 0);
	return (unsigned)(sb.st_mode & 07777);
}

/* Files follow the umask; a state file that was made tighter stays so
 * when it is saved again. */
START_TEST(modes_follow_the_umask)
{
	struct store *st = open_locked();
	struct ms_err e;
	json_t *s = json_object();
	char p[512];
	mode_t old = umask(077);

	ck_assert_int_eq(store_state_save(st, "alerts", s, &e), 0);
	ck_assert_uint_eq(mode_of("alerts.json"), 0600);
	add(st, "[{\"serial\":\"S1\"}]", "2026-11-20T08:00:00Z");
	ck_assert_uint_eq(mode_of("snapshots/machines-20261120T080000Z.json"),
	    0600);
	ck_assert_uint_eq(mode_of("history.ndjson"), 0600);
	umask(022);
	ck_assert_int_eq(store_state_save(st, "alerts", s, &e), 0);
	ck_assert_uint_eq(mode_of("alerts.json"), 0600);
	ck_assert_int_eq(store_state_save(st, "other", s, &e), 0);
	ck_assert_uint_eq(mode_of("other.json"), 0644);
	snprintf(p, sizeof(p), "%s/other.json", dir);
	ck_assert_int_eq(chmod(p, 0640), 0);
	ck_assert_int_eq(store_state_save(st, "other", s, &e), 0);
	ck_assert_uint_eq(mode_of("other.json"), 0640);
	add(st, "[{\"serial\":\"S1\"}]", "2026-11-20T08:10:00Z");
	ck_assert_uint_eq(mode_of("snapshots/machines-20261120T081000Z.json"),
	    0644);
	/* History compaction replaces the file: its mode stays. */
	ck_assert_int_eq(store_history_compact(st, at("2026-11-20T09:00:00Z"),
	    &e), 0);
	ck_assert_uint_eq(mode_of("history.ndjson"), 0600);
	umask(old);
	json_decref(s);
	store_close(st);
}
END_TEST

/* The view's ids, with "!" after the ones flagged identity_conflict and
 * "~" after the offline ones, in order. */
static char *
view_ids(struct store *st)
{
	static char buf[1024];
	json_t *v = latest(st), *o;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(v, i, o) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s%s%s",
		    i > 0 ? " " : "", record_str(o, "id"),
		    json_is_true(json_object_get(o, "identity_conflict")) ?
		    "!" : "", json_is_true(json_object_get(o, "online")) ? "" :
		    "~");
		ck_assert_uint_lt(n, sizeof(buf));
	}
	json_decref(v);
	return buf;
}

#define ALICE "\"serial\":\"FVFGK0AAQ6L4\",\"platform_uuid\":" \
	"\"3C1B7E2A-5D4F-5A86-9C0B-1F2E3D4C5B6A\",\"hw_macs\":" \
	"[\"3c:22:fb:40:00:01\",\"3c:22:fb:40:10:01\"]"
#define TOM "\"serial\":\"D2FQ7WX3L1\",\"platform_uuid\":" \
	"\"A9B8C7D6-E5F4-5031-A2B3-C4D5E6F70819\",\"hw_macs\":" \
	"[\"f0:18:98:40:00:0e\"]"
#define EVE "\"serial\":\"D2FQ7WX3L1\",\"platform_uuid\":" \
	"\"F0E1D2C3-B4A5-5968-8776-655443322110\",\"hw_macs\":" \
	"[\"a6:5e:c1:00:00:0d\"]"

/* A Mac whose probe fails after one that worked is itself: by the MAC
 * macping saw (a private Wi-Fi address included), else by its IP. */
START_TEST(failed_probe_keeps_its_id)
{
	struct store *st = open_locked();
	json_t *v, *o;

	add(st, "[{\"ip\":\"198.18.0.10\",\"mac\":\"3c:22:fb:40:00:01\","
	    "\"probe\":\"ok\"," ALICE ",\"disk_free_bytes\":5},"
	    "{\"ip\":\"198.18.0.23\",\"mac\":\"a6:5e:c1:00:00:0e\","
	    "\"probe\":\"ok\"," TOM "},"
	    "{\"ip\":\"10.9.0.7\",\"probe\":\"ok\",\"serial\":\"C02ROUTED\"}]",
	    "2026-11-24T08:00:00Z");
	add(st, "[{\"ip\":\"198.18.0.10\",\"mac\":\"3c:22:fb:40:00:01\","
	    "\"probe\":\"timeout\"},"
	    "{\"ip\":\"198.18.0.23\",\"mac\":\"a6:5e:c1:00:00:0e\","
	    "\"probe\":\"auth_failed\"},"
	    "{\"ip\":\"10.9.0.7\",\"probe\":\"refused\"}]",
	    "2026-11-24T08:10:00Z");
	ck_assert_str_eq(view_ids(st), "C02ROUTED D2FQ7WX3L1 FVFGK0AAQ6L4");
	v = latest(st);
	o = find(v, "FVFGK0AAQ6L4");
	/* The newest scan's record, under the Mac's own id. */
	ck_assert_str_eq(record_str(o, "probe"), "timeout");
	ck_assert_str_eq(record_str(o, "first_seen"), "2026-11-24T08:00:00Z");
	ck_assert_ptr_null(json_object_get(o, "disk_free_bytes"));
	json_decref(v);
	/* Its history goes on under that id. */
	v = store_history(st, "FVFGK0AAQ6L4", NULL);
	ck_assert_uint_eq(json_array_size(v), 2);
	json_decref(v);
	/* A new private address and a failed probe: nothing tells, a new
	 * machine; once the probe runs, it is the same Mac again. */
	add(st, "[{\"ip\":\"198.18.0.23\",\"mac\":\"a6:5e:c1:00:01:0e\","
	    "\"probe\":\"timeout\"}]", "2026-11-24T08:20:00Z");
	ck_assert_str_eq(view_ids(st), "C02ROUTED~ D2FQ7WX3L1~ "
	    "FVFGK0AAQ6L4~ a6:5e:c1:00:01:0e");
	add(st, "[{\"ip\":\"198.18.0.23\",\"mac\":\"a6:5e:c1:00:01:0e\","
	    "\"probe\":\"ok\"," TOM "}]", "2026-11-24T08:30:00Z");
	add(st, "[{\"ip\":\"198.18.0.23\",\"mac\":\"a6:5e:c1:00:01:0e\","
	    "\"probe\":\"timeout\"}]", "2026-11-24T08:40:00Z");
	ck_assert_str_eq(view_ids(st), "C02ROUTED~ D2FQ7WX3L1 "
	    "FVFGK0AAQ6L4~ a6:5e:c1:00:01:0e~");
	/* Its hardware Wi-Fi address is its own too. */
	add(st, "[{\"ip\":\"198.18.0.23\",\"mac\":\"F0:18:98:40:00:0E\","
	    "\"probe\":\"timeout\"}]", "2026-11-24T08:50:00Z");
	ck_assert_str_eq(view_ids(st), "C02ROUTED~ D2FQ7WX3L1 "
	    "FVFGK0AAQ6L4~ a6:5e:c1:00:01:0e~");
	store_close(st);
}
END_TEST

/* An address is the Mac's whose newest working probe used it: a stale
 * address later given to another Mac follows the new one, and a MAC
 * nobody is known by is a new machine, whatever its IP. */
START_TEST(newest_probe_of_an_address_wins)
{
	struct store *st = open_locked();

	add(st, "[{\"ip\":\"10.0.0.5\",\"mac\":\"3c:22:fb:00:00:0a\","
	    "\"serial\":\"A\"}]", "2026-11-24T08:00:00Z");
	add(st, "[{\"ip\":\"10.0.0.6\",\"mac\":\"3c:22:fb:00:00:0a\","
	    "\"serial\":\"A\"},{\"ip\":\"10.0.0.5\",\"mac\":"
	    "\"3c:22:fb:00:00:0b\",\"serial\":\"B\"}]",
	    "2026-11-24T08:10:00Z");
	/* 10.0.0.5 is B's now; A's MAC is A's wherever it is. */
	add(st, "[{\"ip\":\"10.0.0.5\",\"probe\":\"timeout\"},"
	    "{\"ip\":\"10.0.0.9\",\"mac\":\"3c:22:fb:00:00:0a\","
	    "\"probe\":\"timeout\"},"
	    "{\"ip\":\"10.0.0.6\",\"mac\":\"52:54:00:00:00:01\","
	    "\"probe\":\"refused\"}]", "2026-11-24T08:20:00Z");
	ck_assert_str_eq(view_ids(st), "52:54:00:00:00:01 A B");
	/* A record older than what the store knows changes nothing (an
	 * import of old files). */
	add(st, "[{\"ip\":\"10.0.0.5\",\"mac\":\"3c:22:fb:00:00:0c\","
	    "\"serial\":\"C\"}]", "2026-11-24T07:00:00Z");
	add(st, "[{\"ip\":\"10.0.0.5\",\"probe\":\"timeout\"}]",
	    "2026-11-24T08:30:00Z");
	ck_assert_str_eq(view_ids(st), "52:54:00:00:00:01~ A~ B C~");
	store_close(st);
}
END_TEST

/* Two Macs that differ and claim one serial in one scan: both kept,
 * flagged, the Mac the store knew under it keeping its id. The same
 * Mac through two ports is one Mac, not a conflict. */
START_TEST(serial_conflict)
{
	struct store *st = open_locked();
	json_t *v, *o;

	add(st, "[{\"ip\":\"198.18.0.23\",\"mac\":\"a6:5e:c1:00:00:0e\"," TOM
	    ",\"disk_free_bytes\":1000000000},"
	    "{\"ip\":\"198.18.0.10\",\"mac\":\"3c:22:fb:40:00:01\"," ALICE "},"
	    "{\"ip\":\"198.18.0.40\",\"mac\":\"3c:22:fb:40:10:01\"," ALICE "}]",
	    "2026-11-24T08:00:00Z");
	ck_assert_str_eq(view_ids(st), "D2FQ7WX3L1 FVFGK0AAQ6L4");
	ck_assert_ptr_nonnull(strstr(warned, "the same id FVFGK0AAQ6L4"));
	add(st, "[{\"ip\":\"198.18.0.22\",\"mac\":\"a6:5e:c1:00:00:0d\"," EVE
	    ",\"disk_free_bytes\":90000000000},"
	    "{\"ip\":\"198.18.0.23\",\"mac\":\"a6:5e:c1:00:00:0e\"," TOM
	    ",\"disk_free_bytes\":1000000000}]", "2026-11-24T08:10:00Z");
	ck_assert_str_eq(view_ids(st), "D2FQ7WX3L1! "
	    "D2FQ7WX3L1@F0E1D2C3-B4A5-5968-8776-655443322110! FVFGK0AAQ6L4~");
	v = latest(st);
	o = find(v, "D2FQ7WX3L1");
	/* The victim's full disk is in the view. */
	ck_assert_int_eq(json_integer_value(json_object_get(o,
	    "disk_free_bytes")), 1000000000);
	json_decref(v);
	/* The same ids while the conflict is in view, whoever shows up. */
	add(st, "[{\"ip\":\"198.18.0.22\",\"mac\":\"a6:5e:c1:00:00:0d\"," EVE
	    "}]", "2026-11-24T08:20:00Z");
	ck_assert_str_eq(view_ids(st), "D2FQ7WX3L1!~ "
	    "D2FQ7WX3L1@F0E1D2C3-B4A5-5968-8776-655443322110! FVFGK0AAQ6L4~");
	/* Its failed probe is itself, flagged as it is. */
	add(st, "[{\"ip\":\"198.18.0.22\",\"mac\":\"a6:5e:c1:00:00:0d\","
	    "\"probe\":\"timeout\"}]", "2026-11-24T08:30:00Z");
	ck_assert_str_eq(view_ids(st), "D2FQ7WX3L1!~ "
	    "D2FQ7WX3L1@F0E1D2C3-B4A5-5968-8776-655443322110! FVFGK0AAQ6L4~");
	add(st, "[{\"ip\":\"198.18.0.23\",\"mac\":\"a6:5e:c1:00:00:0e\"," TOM
	    "}]", "2026-11-24T08:40:00Z");
	ck_assert_str_eq(view_ids(st), "D2FQ7WX3L1! "
	    "D2FQ7WX3L1@F0E1D2C3-B4A5-5968-8776-655443322110!~ FVFGK0AAQ6L4~");
	store_close(st);
}
END_TEST

/* When the conflict has left the view (retention), a lone claimant is
 * the serial's Mac again, not flagged. Two new claimants both get a
 * suffix. */
START_TEST(serial_conflict_over)
{
	struct store *st = open_locked();
	struct ms_err e;

	add(st, "[{\"mac\":\"a6:5e:c1:00:00:0d\"," EVE "},"
	    "{\"mac\":\"a6:5e:c1:00:00:0e\"," TOM "}]",
	    "2026-11-24T08:00:00Z");
	ck_assert_str_eq(view_ids(st),
	    "D2FQ7WX3L1@A9B8C7D6-E5F4-5031-A2B3-C4D5E6F70819! "
	    "D2FQ7WX3L1@F0E1D2C3-B4A5-5968-8776-655443322110!");
	add(st, "[{\"mac\":\"a6:5e:c1:00:00:0e\"," TOM "}]",
	    "2026-11-24T08:10:00Z");
	ck_assert_str_eq(view_ids(st),
	    "D2FQ7WX3L1@A9B8C7D6-E5F4-5031-A2B3-C4D5E6F70819! "
	    "D2FQ7WX3L1@F0E1D2C3-B4A5-5968-8776-655443322110!~");
	ck_assert_int_eq(store_prune(st, 1, &e), 1);
	add(st, "[{\"mac\":\"a6:5e:c1:00:00:0e\"," TOM "}]",
	    "2026-11-24T08:20:00Z");
	ck_assert_int_eq(store_prune(st, 1, &e), 1);
	ck_assert_str_eq(view_ids(st), "D2FQ7WX3L1");
	store_close(st);
}
END_TEST

/* A store written before the identity state existed: the first add
 * learns the addresses from the merged view. */
START_TEST(identity_state_from_the_view)
{
	struct store *st = open_locked();
	char p[512];

	write_file("snapshots/machines-20261124T080000Z.json",
	    "[\n{\"id\":\"C02OLD\",\"serial\":\"C02OLD\",\"mac\":"
	    "\"3c:22:fb:00:00:01\",\"ip\":\"10.0.0.1\",\"first_seen\":"
	    "\"2026-11-01T00:00:00Z\"},\n"
	    "{\"id\":\"3c:22:fb:00:00:02\",\"mac\":\"3c:22:fb:00:00:02\","
	    "\"ip\":\"10.0.0.2\",\"probe\":\"auth_failed\",\"first_seen\":"
	    "\"2026-11-01T00:00:00Z\"}\n]\n");
	add(st, "[{\"mac\":\"3c:22:fb:00:00:01\",\"ip\":\"10.0.0.1\","
	    "\"probe\":\"timeout\"},{\"mac\":\"3c:22:fb:00:00:02\","
	    "\"ip\":\"10.0.0.2\",\"probe\":\"auth_failed\"}]",
	    "2026-11-24T08:10:00Z");
	ck_assert_str_eq(view_ids(st), "3c:22:fb:00:00:02 C02OLD");
	snprintf(p, sizeof(p), "%s/identity.json", dir);
	ck_assert_int_eq(exists("identity.json"), 1);
	/* A state that does not parse is rebuilt the same way. */
	write_file("identity.json", "{\"machines\":");
	add(st, "[{\"mac\":\"3c:22:fb:00:00:01\",\"probe\":\"timeout\"}]",
	    "2026-11-24T08:20:00Z");
	ck_assert_str_eq(view_ids(st), "3c:22:fb:00:00:02~ C02OLD");
	ck_assert_ptr_nonnull(strstr(warned, "identity.json"));
	store_close(st);
}
END_TEST

/* Append, or replace, the history by hand. */
static void
hist_write(const char *mode, const char *text)
{
	char p[512];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/history.ndjson", dir);
	ck_assert_ptr_nonnull(fp = fopen(p, mode));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

/* The free bytes of id's history entries, as "1 2 3". */
static char *
hist_values(struct store *st, const char *id)
{
	static char buf[256];
	struct ms_err e;
	json_t *h = store_history(st, id, &e), *o;
	size_t i, n = 0;

	buf[0] = '\0';
	if (h == NULL)
		return strcpy(buf, e.msg);
	json_array_foreach(h, i, o)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%lld",
		    i > 0 ? " " : "", (long long)json_integer_value(
		    json_object_get(o, "disk_free_bytes")));
	json_decref(h);
	return buf;
}

#define HDR2 "{\"macscan_history\":1,\"compacted_bytes\":12345}\n"
#define HL(t, id, v) "{\"t\":\"2026-11-20T08:" t ":00Z\",\"id\":\"" id "\"," \
	"\"disk_free_bytes\":" v ",\"online\":true}\n"

/* One machine's history through the index of a store kept open, as
 * machttp keeps it: the file grows, is rewritten in place, cut, and
 * replaced, and each read says what the file holds then. */
START_TEST(history_index_follows_the_file)
{
	struct ms_err e;
	struct store *st;
	char p[512];

	hist_write("w", "{\"macscan_history\":1,\"compacted_bytes\":0}\n"
	    HL("00", "A", "1") HL("00", "B", "10") HL("10", "A", "2"));
	ck_assert_ptr_nonnull(st = store_open(dir, STORE_RDONLY, &e));
	ck_assert_str_eq(hist_values(st, "A"), "1 2");
	ck_assert_str_eq(hist_values(st, "B"), "10");
	ck_assert_str_eq(hist_values(st, "C"), "no history for machine 'C'");
	/* Grown: a scan appended, and a line still being written. */
	hist_write("a", HL("20", "B", "20") HL("20", "A", "3")
	    "{\"t\":\"2026-11-20T08:30:00Z\",\"id\":\"A\",\"disk_f");
	ck_assert_str_eq(hist_values(st, "A"), "1 2 3");
	ck_assert_str_eq(hist_values(st, "B"), "10 20");
	hist_write("a", "ree_bytes\":4,\"online\":true}\n" HL("40", "C", "5"));
	ck_assert_str_eq(hist_values(st, "A"), "1 2 3 4");
	ck_assert_str_eq(hist_values(st, "C"), "5");
	/* Rewritten in place, longer and shifted: the same inode. */
	snprintf(p, sizeof(p), "%s/history.ndjson", dir);
	ck_assert_int_eq(truncate(p, 0), 0);
	hist_write("a", HDR2 HL("00", "B", "100") HL("00", "A", "1000") HL("10", "A", "2000")
	    HL("20", "A", "3000") HL("30", "A", "4000") HL("40", "C", "5"));
	ck_assert_str_eq(hist_values(st, "A"), "1000 2000 3000 4000");
	ck_assert_str_eq(hist_values(st, "B"), "100");
	/* Cut short (an append rolled back). */
	ck_assert_int_eq(truncate(p, (long)strlen(HDR2 HL("00", "B", "100")
	    HL("00", "A", "1000") HL("10", "A", "2000"))), 0);
	ck_assert_str_eq(hist_values(st, "A"), "1000 2000");
	ck_assert_str_eq(hist_values(st, "C"), "no history for machine 'C'");
	/* Replaced by rename, as compaction does. */
	{
		char q[512];
		FILE *fp;

		snprintf(q, sizeof(q), "%s/.tmp-x", dir);
		ck_assert_ptr_nonnull(fp = fopen(q, "w"));
		fputs("{\"macscan_history\":1,\"compacted_bytes\":1}\n"
		    HL("50", "A", "7"), fp);
		ck_assert_int_eq(fclose(fp), 0);
		ck_assert_int_eq(rename(q, p), 0);
	}
	ck_assert_str_eq(hist_values(st, "A"), "7");
	ck_assert_str_eq(hist_values(st, "B"), "no history for machine 'B'");
	/* Gone. */
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_str_eq(hist_values(st, "A"), "no history for machine 'A'");
	store_close(st);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, offline_stays_listed);
	tcase_add_test(tc, dhcp_change_is_one_machine);
	tcase_add_test(tc, updates_restart_since_carried);
	tcase_add_test(tc, identity_mac_then_ip);
	tcase_add_test(tc, first_seen_outlives_retention);
	tcase_add_test(tc, retention_and_names);
	tcase_add_test(tc, duplicates_keep_last);
	tcase_add_test(tc, computed_fields_not_stored);
	tcase_add_test(tc, corrupt_snapshot_skipped);
	tcase_add_test(tc, hand_written_snapshot);
	tcase_add_test(tc, escaped_ids);
	tcase_add_test(tc, foreach_text);
	tcase_add_test(tc, empty_and_readonly);
	tcase_add_test(tc, lock_excludes);
	tcase_add_test(tc, lock_waits_for_the_holder);
	tcase_add_test(tc, leftovers_ignored_and_cleaned);
	tcase_add_test(tc, history_entries);
	tcase_add_test(tc, history_compaction_counts);
	tcase_add_test(tc, history_compaction_when_due);
	tcase_add_test(tc, history_since_step);
	tcase_add_test(tc, state_files);
	tcase_add_test(tc, version_changes);
	tcase_add_test(tc, parse_snapshot);
	tcase_add_test(tc, parse_history_line);
	tcase_add_test(tc, writer_and_reader_agree);
	tcase_add_test(tc, snapshot_cap_on_write);
	tcase_add_test(tc, retention_counts_readable_only);
	tcase_add_test(tc, latest_fails_when_nothing_readable);
	tcase_add_test(tc, bad_record_skipped_alone);
	tcase_add_test(tc, compaction_of_long_escaped_ids);
	tcase_add_test(tc, modes_follow_the_umask);
	tcase_add_test(tc, failed_probe_keeps_its_id);
	tcase_add_test(tc, newest_probe_of_an_address_wins);
	tcase_add_test(tc, serial_conflict);
	tcase_add_test(tc, serial_conflict_over);
	tcase_add_test(tc, identity_state_from_the_view);
	tcase_add_test(tc, history_index_follows_the_file);
	suite_add_tcase(s, tc);
	return s;
}
