/*
 * macprobe - SSH into each host read on stdin, run the probe script and
 * write one record per host, as soon as it is done.
 *
 * Input: plain host lines or records (lib/stream.h); a record is probed
 * at its "ip", else its "host", and keeps every field it had. The probe
 * is share/probe.sh (built in), sent as the standard input of
 * `/bin/sh -s`, whatever the user's login shell; its output is parsed by
 * lib/macos.c. The sessions (lib/sshs.c) run in a pool of -P workers;
 * records are written in the order the hosts finish.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "embed.h"
#include "log.h"
#include "macos.h"
#include "record.h"
#include "rfc3339.h"
#include "sshcli.h"
#include "sshs.h"
#include "stream.h"
#include "util.h"

#define PROBE_CMD "/bin/sh -s"

/* The fields macprobe sets (DESIGN.md), but ip and host: a successful
 * probe replaces them all, so a value that is gone now (a console user
 * who logged out) does not linger from an older record. */
static const char *const probe_fields[] = {
	"probe", "probe_error", "hostname", "computer_name", "serial",
	"model", "model_name", "chip", "memory_bytes", "os_name",
	"os_version", "os_build", "arch", "disk_total_bytes",
	"disk_free_bytes", "disk_available_bytes", "battery_present",
	"battery_percent", "battery_state", "ac_power", "battery_cycles",
	"battery_health_percent", "battery_condition", "uptime_s",
	"console_user", "scanned_at", "probe_incomplete", "filevault",
	"filevault_percent", "sip", "ssv", "gatekeeper", "firewall",
	"updates_pending", "updates_restart", "updates_checked_at",
	"xprotect_version", "backup", "backup_last_at", "disk_smart",
	"memory_pressure", "platform_uuid", "hw_macs", "mdm_enrolled",
	"dep_enrolled", NULL
};

/* What the workers' done() calls share; they run one at a time. */
struct ctx {
	const char *probe;
	size_t probelen;
	unsigned long total;	/* hosts queued so far */
	unsigned long done, ok, failed;
	int progress;		/* draw progress on stderr */
	int64_t drawn_at;
	int write_failed;
	struct ms_err werr;
	pthread_mutex_t mu;	/* stderr and the counters */
};

struct job {
	json_t *rec;
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-hqv] " SSHCLI_USAGE "\n", ms_progname);
	exit(2);
}

/* Redraw the progress line, at most ten times a second unless forced.
 * Under ctx.mu. */
static void
progress_draw(struct ctx *c, int force)
{
	int64_t now = ms_now_ns();

	if (!c->progress || (!force && now - c->drawn_at < 100000000))
		return;
	log_progress("%lu/%lu done, %lu ok, %lu failed", c->done, c->total,
	    c->ok, c->failed);
	c->drawn_at = now;
}

/*
 * Turn a finished session into the record's probe fields. Returns 1 when
 * the probe is ok, 0 when it failed, -1 when the record could not be
 * changed (out of memory).
 */
static int
fill(json_t *rec, struct sshs_result *r, struct ms_buf *msg)
{
	const char *probe = sshs_status_name(r->status);
	const char *text;
	struct ms_err e = { "" };
	char line[160], ts[RFC3339_LEN];
	size_t tlen, i;
	int pr = -1;

	ms_buf_reset(msg);
	if (r->status == SSHS_OK) {
		json_t *fresh = json_object();

		/* Parse into a fresh object first: a failed parse must not
		 * wipe what the record knew. */
		if (fresh == NULL)
			return -1;
		pr = macos_parse_probe(r->out.data, r->out.len, fresh, &e);
		if (pr >= 0) {
			for (i = 0; probe_fields[i] != NULL; i++)
				json_object_del(rec, probe_fields[i]);
			if (json_object_update(rec, fresh) == -1) {
				json_decref(fresh);
				return -1;
			}
		}
		json_decref(fresh);
		if (pr == 0) {
			probe = "ok";
		} else if (pr == 1) {
			probe = "not_macos";
			line[0] = '\0';
			if (macos_section(r->out.data, r->out.len, "uname",
			    &text, &tlen) == 1)
				sshcli_first_line(text, tlen, line, 64);
			if (ms_buf_printf(msg, "not macOS: %s",
			    line[0] ? line : "uname says nothing") == -1)
				return -1;
		} else {
			probe = "error";
			sshcli_first_line(r->errout.data != NULL ?
			    r->errout.data : "", r->errout.len, line,
			    sizeof(line));
			if (ms_buf_printf(msg, "probe output unreadable: %s "
			    "(exit status %d%s%s)", e.msg, r->exit_status,
			    line[0] ? ", stderr: " : "", line) == -1)
				return -1;
		}
	} else if (ms_buf_puts(msg, r->err.msg) == -1) {
		return -1;
	}
	if (record_set_str(rec, "probe", probe) == -1)
		return -1;
	if (strcmp(probe, "ok") == 0)
		json_object_del(rec, "probe_error");
	else if (record_set_str(rec, "probe_error", msg->data) == -1)
		return -1;
	/* The address probed, when the input did not say it. */
	if (record_str(rec, "ip") == NULL && r->addr[0] != '\0' &&
	    strchr(r->addr, ':') == NULL &&
	    record_set_str(rec, "ip", r->addr) == -1)
		return -1;
	if (rfc3339_format(time(NULL), ts) == NULL ||
	    record_set_str(rec, "scanned_at", ts) == -1)
		return -1;
	return pr == 0;
}

/* Called by the pool, one call at a time, in a worker thread. */
static void
done(void *arg, void *jv, const char *host, struct sshs_result *r)
{
	struct ctx *c = arg;
	struct job *j = jv;
	struct ms_buf msg = { 0 };
	int ok;

	ok = fill(j->rec, r, &msg);
	pthread_mutex_lock(&c->mu);
	c->done++;
	if (ok == 1)
		c->ok++;
	else
		c->failed++;
	if (ok == -1) {
		ms_error("%s: out of memory", host);
	} else if (!c->write_failed &&
	    stream_write(stdout, j->rec, &c->werr) == -1) {
		c->write_failed = 1;
	} else if (ms_verbosity >= 2) {
		if (ok == 1)
			ms_info("%s: ok in %.2f s (%s)", host,
			    r->elapsed_ns / 1e9, r->auth ? r->auth : "?");
		else
			ms_info("%s: %s in %.2f s: %s", host,
			    record_str(j->rec, "probe"), r->elapsed_ns / 1e9,
			    msg.data != NULL ? msg.data : "");
	}
	progress_draw(c, 0);
	pthread_mutex_unlock(&c->mu);
	ms_buf_free(&msg);
	json_decref(j->rec);
	free(j);
}

int
main(int argc, char *argv[])
{
	struct sshcli sc;
	struct ctx c;
	struct config *cfg;
	struct sshs_pool *pool;
	struct stream in;
	struct stream_item item;
	struct ms_err e = { "" };
	int ch, rc, bad = 0, verbosity = 1;

	log_init(argv[0]);
	sshcli_init(&sc);
	while ((ch = getopt(argc, argv, SSHCLI_OPTSTRING "hqv")) != -1) {
		if ((rc = sshcli_opt(&sc, ch, optarg, &e)) == 1)
			continue;
		if (rc == -1) {
			ms_error("%s", e.msg);
			usage();
		}
		switch (ch) {
		case 'q':
			verbosity = 0;
			break;
		case 'v':
			if (verbosity > 0)
				verbosity++;
			break;
		case 'h':
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	ms_verbosity = verbosity;
	/* A peer that goes away mid-write must be an error, not a death. */
	signal(SIGPIPE, SIG_IGN);

	if ((cfg = config_load(NULL, 0, &e)) == NULL)
		die(3, "%s", e.msg);
	if (sshcli_setup(&sc, cfg, &e) == -1)
		die(3, "%s", e.msg);

	memset(&c, 0, sizeof(c));
	pthread_mutex_init(&c.mu, NULL);
	if ((c.probe = embed_get("probe.sh", &c.probelen)) == NULL)
		die(3, "the probe script is not built in");
	c.progress = verbosity > 0 && isatty(STDERR_FILENO);
	if ((pool = sshs_pool_new(&sc.so, sc.parallel, done, &c, &e)) == NULL)
		die(3, "%s", e.msg);

	stream_init(&in, stdin, "<stdin>", 0);
	for (;;) {
		const char *host;
		struct job *j;

		rc = sshcli_next(&in, &item, &host, &e);
		if (rc == STREAM_EOF)
			break;
		if (rc != STREAM_ITEM) {
			pthread_mutex_lock(&c.mu);
			ms_error("%s", e.msg);
			pthread_mutex_unlock(&c.mu);
			bad = 1;
			if (rc == STREAM_FAIL)
				break;
			continue;
		}
		if ((j = calloc(1, sizeof(*j))) == NULL)
			die(3, "out of memory");
		j->rec = item.rec;
		pthread_mutex_lock(&c.mu);
		c.total++;
		pthread_mutex_unlock(&c.mu);
		if (sshs_pool_add(pool, host, PROBE_CMD, c.probe, c.probelen,
		    j, &e) == -1)
			die(3, "%s", e.msg);
	}
	sshs_pool_finish(pool);
	stream_close(&in);
	/* Wipes the password. */
	sshcli_free(&sc);

	if (c.progress && c.total > 0) {
		progress_draw(&c, 1);
		log_progress_end();
	}
	if (c.write_failed)
		die(3, "%s", c.werr.msg);
	if (c.failed > 0)
		ms_warn("%lu of %lu hosts failed", c.failed, c.total);
	config_free(cfg);
	pthread_mutex_destroy(&c.mu);
	close_stdout();
	return c.failed > 0 || bad ? 1 : 0;
}
