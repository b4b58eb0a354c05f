/*
 * macstore - keep the scans: write each as an atomic snapshot, keep the
 * newest N, and print the merged view (the newest record of each
 * machine), the snapshots and a machine's history. Imports the JSON
 * files of the old Python service.
 */
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "csv.h"
#include "log.h"
#include "macstore.h"
#include "record.h"
#include "rfc3339.h"
#include "rules.h"
#include "settings.h"
#include "store.h"
#include "stream.h"

#define OPTSTRING "acd:hk:qT:tv"

static const char usage_text[] =
    "usage: macstore [-qv] [-d dir] [-k keep] [-T time] add\n"
    "       macstore [-qv] [-d dir] [-k keep] import file ...\n"
    "       macstore [-acqtv] [-d dir] latest\n"
    "       macstore [-qtv] [-d dir] list\n"
    "       macstore [-qv] [-d dir] [-k keep] prune\n"
    "       macstore [-qtv] [-d dir] history id\n"
    "       macstore -h\n";

static void
usage(FILE *fp, int status)
{
	fputs(usage_text, fp);
	exit(status);
}

static void
store_warn(void *arg, const char *msg)
{
	(void)arg;
	ms_warn("%s", msg);
}

/* ---- latest ----------------------------------------------------------- */

struct out {
	int array;
	long n;
	struct table *t;
	struct ms_buf csv;
	const struct rules_conf *rc;	/* the rules of -t's RISKS */
	time_t now;
};

static int
print_text(void *arg, const char *json, size_t len)
{
	struct out *o = arg;

	if (o->array)
		fputs(o->n == 0 ? "[\n" : ",\n", stdout);
	fwrite(json, 1, len, stdout);
	if (!o->array)
		putchar('\n');
	o->n++;
	return ferror(stdout) ? -1 : 0;
}

static int
table_latest_row(void *arg, const char *json, size_t len)
{
	static const char *const namek[] = { "computer_name", "hostname",
	    "host", "id", NULL };
	static const char *const modelk[] = { "model_name", "model", NULL };
	struct out *o = arg;
	json_t *r = json_loadb(json, len, 0, NULL);
	char gb[32], bat[32], seen[64];
	const char *cells[9];
	struct ms_buf risks = { 0 };
	struct rules_result res;
	int b, on, rc = 0, k;

	if (r == NULL)
		return -1;
	/* The rules of lib/rules.h that fire, as macalert and the
	 * dashboard see them. */
	rules_eval(o->rc, r, o->now, &res);
	for (k = 0; k < RULE_COUNT; k++)
		if (res.firing & RULE_BIT(k))
			rc |= ms_buf_printf(&risks, "%s%s", risks.len > 0 ?
			    "," : "", rule_defs[k].name);
	if (rc != 0) {
		json_decref(r);
		ms_buf_free(&risks);
		return -1;
	}
	cells[0] = first_str(r, namek);
	cells[1] = record_str(r, "ip");
	cells[2] = record_str(r, "console_user");
	cells[3] = first_str(r, modelk);
	cells[4] = record_str(r, "os_version");
	cells[5] = cell_gb(r, "disk_free_bytes", gb, sizeof(gb));
	cells[6] = cell_pct(r, "battery_percent", bat, sizeof(bat));
	if (cells[6] == NULL && record_bool(r, "battery_present", &b) == 0 &&
	    !b)
		cells[6] = "none";
	if (record_bool(r, "online", &on) == 0 && on)
		cells[7] = "online";
	else
		cells[7] = cell_time(record_str(r, "last_seen"), seen,
		    sizeof(seen));
	cells[8] = risks.len > 0 ? risks.data : NULL;
	rc = table_row(o->t, cells);
	ms_buf_free(&risks);
	json_decref(r);
	o->n++;
	return rc;
}

/* One row of CSV (csv.h): the machine's fields as a spreadsheet takes
 * them, formulas neutralised. */
static int
csv_latest_row(void *arg, const char *json, size_t len)
{
	struct out *o = arg;
	json_t *r = json_loadb(json, len, 0, NULL);
	int rc;

	if (r == NULL)
		return -1;
	ms_buf_reset(&o->csv);
	rc = (o->n == 0 ? csv_header(&o->csv) : 0) == -1 ? -1 :
	    csv_row(&o->csv, r);
	json_decref(r);
	if (rc == -1)
		return -1;
	fwrite(o->csv.data, 1, o->csv.len, stdout);
	o->n++;
	return ferror(stdout) ? -1 : 0;
}

static int
cmd_latest(struct store *st, const struct opts *op)
{
	static const char *const heads[] = { "NAME", "IP", "USER", "MODEL",
	    "MACOS", "FREE GB", "BATTERY", "SEEN", "RISKS" };
	static const int right[] = { 0, 0, 0, 0, 0, 1, 1, 0, 0 };
	struct table t = { 9, heads, right, NULL, 0, 0 };
	struct out o = { op->array, 0, &t, { 0 }, &op->rules, time(NULL) };
	struct ms_err e;
	long n;

	/* Megabytes go out: fewer, larger writes. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	n = store_latest_foreach(st, op->table ? table_latest_row : op->csv ?
	    csv_latest_row : print_text, &o, &e);
	/* The header row comes with the first row, or alone for a store
	 * without machines; never before an error. */
	if (n == 0 && op->csv && (csv_header(&o.csv) == -1 ||
	    fwrite(o.csv.data, 1, o.csv.len, stdout) != o.csv.len))
		die(EX_STORE, "write error on stdout:");
	ms_buf_free(&o.csv);
	if (n == -1) {
		table_free(&t);
		if (ferror(stdout))
			die(EX_STORE, "write error on stdout:");
		die(EX_STORE, "%s: %s", store_dir(st), e.msg);
	}
	if (op->table)
		table_print(&t, term_width());
	else if (op->array)
		fputs(n == 0 ? "[]\n" : "\n]\n", stdout);
	table_free(&t);
	return EX_OK;
}

/* ---- list, prune, history -------------------------------------------- */

static int
cmd_list(struct store *st, const struct opts *op)
{
	static const char *const heads[] = { "SNAPSHOT", "TIME", "MACHINES" };
	static const int right[] = { 0, 0, 1 };
	struct table t = { 3, heads, right, NULL, 0, 0 };
	struct store_snap *v;
	struct ms_err e;
	size_t n, i;

	if (store_list(st, &v, &n, &e) == -1)
		die(EX_STORE, "%s", e.msg);
	for (i = 0; i < n; i++) {
		char ts[RFC3339_LEN], cnt[32];
		const char *cells[3];

		if (rfc3339_format(v[i].when, ts) == NULL)
			snprintf(ts, sizeof(ts), "?");
		if (v[i].count == (size_t)-1)
			snprintf(cnt, sizeof(cnt), "?");
		else
			snprintf(cnt, sizeof(cnt), "%zu", v[i].count);
		if (op->table) {
			cells[0] = v[i].name;
			cells[1] = ts;
			cells[2] = cnt;
			if (table_row(&t, cells) == -1)
				die(EX_STORE, "out of memory");
		} else {
			printf("%s\t%s\t%s\n", v[i].name, ts, cnt);
		}
	}
	if (op->table)
		table_print(&t, term_width());
	table_free(&t);
	store_snaps_free(v, n);
	return EX_OK;
}

static int
cmd_prune(struct store *st, const struct opts *op)
{
	struct ms_err e;
	int n;

	if (store_lock(st, STORE_LOCK_TIMEOUT, &e) == -1)
		die(EX_STORE, "cannot lock the store: %s", e.msg);
	if ((n = store_prune(st, op->keep, &e)) == -1)
		die(EX_STORE, "%s", e.msg);
	ms_info("removed %d snapshot%s, keeping %u", n, n == 1 ? "" : "s",
	    op->keep);
	store_unlock(st);
	return EX_OK;
}

static int
cmd_history(struct store *st, const struct opts *op, const char *id)
{
	static const char *const heads[] = { "TIME", "FREE GB", "TOTAL GB",
	    "BATTERY", "HEALTH", "ONLINE" };
	static const int right[] = { 0, 1, 1, 1, 1, 0 };
	struct table t = { 6, heads, right, NULL, 0, 0 };
	struct ms_err e;
	json_t *h, *o;
	size_t i;

	if ((h = store_history(st, id, &e)) == NULL) {
		if (strncmp(e.msg, "no history", 10) == 0) {
			ms_error("%s", e.msg);
			return EX_BAD;
		}
		die(EX_STORE, "%s", e.msg);
	}
	json_array_foreach(h, i, o) {
		char a[32], b[32], c[32], d[32], ts[64];
		const char *cells[6];
		int on;

		if (!op->table) {
			/* The entry as the file holds it: t, id, values. */
			json_t *x = json_object();
			const char *k;
			json_t *v;

			if (x == NULL || json_object_set(x, "t",
			    json_object_get(o, "t")) == -1 ||
			    json_object_set_new(x, "id", json_string(id)) == -1)
				die(EX_STORE, "out of memory");
			json_object_foreach(o, k, v)
				if (strcmp(k, "t") != 0 &&
				    json_object_set(x, k, v) == -1)
					die(EX_STORE, "out of memory");
			if (stream_write(stdout, x, &e) == -1)
				die(EX_STORE, "%s", e.msg);
			json_decref(x);
			continue;
		}
		cells[0] = cell_time(record_str(o, "t"), ts, sizeof(ts));
		cells[1] = cell_gb(o, "disk_free_bytes", a, sizeof(a));
		cells[2] = cell_gb(o, "disk_total_bytes", b, sizeof(b));
		cells[3] = cell_pct(o, "battery_percent", c, sizeof(c));
		cells[4] = cell_pct(o, "battery_health_percent", d, sizeof(d));
		cells[5] = record_bool(o, "online", &on) == -1 ? NULL :
		    on ? "yes" : "no";
		if (table_row(&t, cells) == -1)
			die(EX_STORE, "out of memory");
	}
	if (op->table)
		table_print(&t, term_width());
	table_free(&t);
	json_decref(h);
	return EX_OK;
}

/* ---- add --------------------------------------------------------------- */

static int
store_and_prune(struct store *st, const struct opts *op, json_t *recs,
    time_t when, const char *what)
{
	struct ms_err e;
	char *name;
	int n;

	if (store_add(st, recs, when, &name, &e) == -1)
		die(EX_STORE, "%s: %s", store_dir(st), e.msg);
	ms_info("%s: stored %zu machine%s in %s/snapshots/%s", what,
	    json_array_size(recs), json_array_size(recs) == 1 ? "" : "s",
	    store_dir(st), name);
	free(name);
	if ((n = store_prune(st, op->keep, &e)) == -1)
		die(EX_STORE, "%s", e.msg);
	if (n > 0)
		ms_info("removed %d old snapshot%s, keeping %u", n,
		    n == 1 ? "" : "s", op->keep);
	return 0;
}

static int
cmd_add(struct store *st, const struct opts *op)
{
	struct stream s;
	struct stream_item it;
	struct ms_err e;
	json_t *recs, *where;
	unsigned long bad = 0;
	int r;

	if ((recs = json_array()) == NULL || (where = json_object()) == NULL)
		die(EX_STORE, "out of memory");
	stream_init(&s, stdin, "<stdin>", 0);
	while ((r = stream_next(&s, &it, &e)) != STREAM_EOF) {
		const char *id;
		json_t *at;

		if (r == STREAM_FAIL)
			die(EX_STORE, "%s", e.msg);
		if (r == STREAM_BAD) {
			ms_error("%s", e.msg);
			bad++;
			continue;
		}
		if (it.is_host) {
			ms_error("<stdin>:%lu: a host line, not a record "
			    "(macstore stores what macprobe prints)",
			    it.lineno);
			json_decref(it.rec);
			bad++;
			continue;
		}
		if ((id = record_identity(it.rec)) == NULL) {
			ms_error("<stdin>:%lu: record has no serial, mac, ip "
			    "or host", it.lineno);
			json_decref(it.rec);
			bad++;
			continue;
		}
		/* What the store would refuse (or its readers skip) is
		 * refused here, alone. */
		if (store_check_record(st, it.rec, &e) == -1) {
			ms_error("<stdin>:%lu: %s", it.lineno, e.msg);
			json_decref(it.rec);
			bad++;
			continue;
		}
		/* The same machine twice: the later line. Two machines
		 * that differ under one serial both go to the store, which
		 * keeps them apart. */
		if ((at = json_object_get(where, id)) != NULL &&
		    !record_differ(json_array_get(recs, (size_t)
		    (json_integer_value(at) >> 32)), it.rec)) {
			json_int_t v = json_integer_value(at);
			size_t idx = (size_t)(v >> 32);
			unsigned long line = (unsigned long)(v & 0xffffffff);

			ms_warn("<stdin>:%lu: same id %s as line %lu: keeping "
			    "this one", it.lineno, safe_id(id), line);
			json_array_set_new(recs, idx, it.rec);
			json_object_set_new(where, id, json_integer(
			    (json_int_t)(((uint64_t)idx << 32) |
			    (it.lineno & 0xffffffff))));
			continue;
		}
		if (json_object_set_new(where, id, json_integer((json_int_t)
		    (((uint64_t)json_array_size(recs) << 32) |
		    (it.lineno & 0xffffffff)))) == -1 ||
		    json_array_append_new(recs, it.rec) == -1)
			die(EX_STORE, "out of memory");
	}
	stream_close(&s);
	json_decref(where);
	if (json_array_size(recs) == 0) {
		ms_error("no records on stdin: nothing stored");
		json_decref(recs);
		return EX_BAD;
	}
	if (store_lock(st, STORE_LOCK_TIMEOUT, &e) == -1)
		die(EX_STORE, "cannot lock the store: %s", e.msg);
	store_and_prune(st, op, recs, op->when_set ? op->when : time(NULL),
	    "add");
	store_unlock(st);
	json_decref(recs);
	if (bad > 0) {
		ms_error("%lu bad line%s not stored", bad, bad == 1 ? "" :
		    "s");
		return EX_BAD;
	}
	return EX_OK;
}

/* ---- main -------------------------------------------------------------- */

static void
parse_opts(int argc, char **argv, struct opts *op, int *seen)
{
	const char *es;
	long long v;
	int c;

	while ((c = getopt(argc, argv, OPTSTRING)) != -1) {
		switch (c) {
		case 'a':
			op->array = 1;
			break;
		case 'c':
			op->csv = 1;
			break;
		case 'd':
			op->dir = optarg;
			break;
		case 'h':
			usage(stdout, EX_OK);
			break;
		case 'k':
			if (ms_strtonum(optarg, 1, KEEP_MAX, &v, &es) == -1)
				die(EX_USAGE, "-k: keep is %s: %s", es,
				    optarg);
			op->keep = (unsigned)v;
			op->keep_set = 1;
			break;
		case 'q':
			ms_verbosity = 0;
			break;
		case 'T':
			if (rfc3339_parse(optarg, &op->when, NULL) == -1)
				die(EX_USAGE, "-T: not an RFC 3339 time: %s",
				    optarg);
			op->when_set = 1;
			break;
		case 't':
			op->table = 1;
			break;
		case 'v':
			if (ms_verbosity < 3)
				ms_verbosity = ms_verbosity < 1 ? 2 :
				    ms_verbosity + 1;
			break;
		default:
			usage(stderr, EX_USAGE);
		}
		seen[(unsigned char)c] = 1;
	}
}

int
main(int argc, char **argv)
{
	struct opts op = { 0 };
	struct config *cf;
	struct store *st;
	struct ms_err e;
	const char *cmd;
	char *dirbuf = NULL;
	int seen[256] = { 0 }, rc, rdonly;

	log_init(argv[0]);
	setlocale(LC_CTYPE, "");
	/* Options before the command, and after it (getopt may stop at
	 * the first operand). */
	parse_opts(argc, argv, &op, seen);
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(stderr, EX_USAGE);
	cmd = argv[0];
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
	optreset = 1;
	optind = 1;
#else
	optind = 0;
#endif
	parse_opts(argc, argv, &op, seen);
	argc -= optind;
	argv += optind;

	if (strcmp(cmd, "add") == 0 || strcmp(cmd, "latest") == 0 ||
	    strcmp(cmd, "list") == 0 || strcmp(cmd, "prune") == 0) {
		if (argc != 0)
			usage(stderr, EX_USAGE);
	} else if (strcmp(cmd, "history") == 0) {
		if (argc != 1)
			usage(stderr, EX_USAGE);
	} else if (strcmp(cmd, "import") == 0) {
		if (argc < 1)
			usage(stderr, EX_USAGE);
	} else {
		ms_error("unknown command: %s", safe_id(cmd));
		usage(stderr, EX_USAGE);
	}
	if ((seen['a'] && strcmp(cmd, "latest") != 0) ||
	    (seen['c'] && strcmp(cmd, "latest") != 0) ||
	    (op.csv && (op.array || op.table)) ||
	    (seen['t'] && strcmp(cmd, "latest") != 0 &&
	    strcmp(cmd, "list") != 0 && strcmp(cmd, "history") != 0) ||
	    (seen['T'] && strcmp(cmd, "add") != 0) ||
	    (seen['k'] && strcmp(cmd, "add") != 0 &&
	    strcmp(cmd, "prune") != 0 && strcmp(cmd, "import") != 0) ||
	    (op.array && op.table))
		usage(stderr, EX_USAGE);

	/* Flags win over the environment, which wins over the file, all
	 * checked against the one table (a broken file is exit 2). */
	if ((cf = settings_load(NULL, 0, &e)) == NULL)
		die(EX_USAGE, "%s", e.msg);
	if (op.dir == NULL && (op.dir = dirbuf = strdup(setting_str(cf,
	    "MACSCAN_DIR"))) == NULL)
		die(EX_STORE, "out of memory");
	if (!op.keep_set)
		op.keep = (unsigned)setting_int(cf, "MACSCAN_KEEP");
	rules_conf_load(&op.rules, cf);
	config_free(cf);

	rdonly = strcmp(cmd, "latest") == 0 || strcmp(cmd, "list") == 0 ||
	    strcmp(cmd, "history") == 0;
	if ((st = store_open(op.dir, rdonly ? STORE_RDONLY : STORE_CREATE,
	    &e)) == NULL)
		die(EX_STORE, "store: %s", e.msg);
	store_set_warn(st, store_warn, NULL);

	if (strcmp(cmd, "add") == 0)
		rc = cmd_add(st, &op);
	else if (strcmp(cmd, "import") == 0)
		rc = cmd_import(st, &op, argc, argv);
	else if (strcmp(cmd, "latest") == 0)
		rc = cmd_latest(st, &op);
	else if (strcmp(cmd, "list") == 0)
		rc = cmd_list(st, &op);
	else if (strcmp(cmd, "prune") == 0)
		rc = cmd_prune(st, &op);
	else
		rc = cmd_history(st, &op, argv[0]);
	store_close(st);
	free(dirbuf);
	close_stdout();
	return rc;
}
