/*
 * macalert - email the admin when a Mac's disk runs low, once.
 *
 * Reads the merged view (the store, or records on stdin), decides with
 * lib/alertrules what is news against the alert state kept in the store,
 * writes a multipart text + HTML message (lib/mime) from the templates
 * of share/mail/, and sends it through libcurl's SMTP (smtp.c). The state
 * is saved only once the server took the message. See macalert(1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "alertrules.h"
#include "config.h"
#include "embed.h"
#include "log.h"
#include "mime.h"
#include "record.h"
#include "rfc3339.h"
#include "settings.h"
#include "smtp.h"
#include "store.h"
#include "stream.h"
#include "sys.h"
#include "util.h"

/* Exit codes, as macalert(1) documents them. */
enum {
	EX_OK = 0,		/* sent, or nothing to send */
	EX_BADINPUT = 1,	/* done, but input lines were skipped */
	EX_USAGE = 2,		/* usage, configuration or template */
	EX_SEND = 3,		/* the email could not be sent */
	EX_STORE = 4		/* the store or the input cannot be read or
				 * the state cannot be saved */
};

#define LOCK_TIMEOUT 30		/* seconds to wait for the store's lock */

struct opts {
	const char *conf;
	const char *dir;
	const char *tmpl_html;
	const char *tmpl_text;
	int force;
	int dry;
	int demo;
	int use_stdin;		/* "-" given */
};

struct tmpl {
	char *data;		/* owned when read from a file */
	const char *text;
	size_t len;
	const char *name;
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-fnqv] [-D | --demo] [-c conf] [-d dir] "
	    "[-T template] [-]\n", ms_progname);
	exit(EX_USAGE);
}

static void
store_warn(void *arg, const char *msg)
{
	(void)arg;
	ms_warn("%s", msg);
}

/* A template from -T, or the built-in one of the language. */
static void
tmpl_load(struct tmpl *t, const char *path, const char *builtin)
{
	struct ms_err e;

	memset(t, 0, sizeof(*t));
	if (path != NULL) {
		if ((t->data = ms_read_file(path, ALERT_TMPL_MAX, &t->len,
		    &e)) == NULL)
			die(EX_USAGE, "-T: %s", e.msg);
		t->text = t->data;
		t->name = path;
	} else {
		if ((t->text = embed_get(builtin, &t->len)) == NULL)
			die(EX_USAGE, "share/%s is not built in", builtin);
		t->name = builtin;
	}
	if (alert_template_check(t->text, t->len, t->name, &e) == -1)
		die(EX_USAGE, "%s", e.msg);
}

/* Records from stdin; bad lines are reported and counted. */
static json_t *
read_stdin(int *bad)
{
	struct stream_item it;
	struct stream s;
	struct ms_err e;
	json_t *view;
	int rc;

	if ((view = json_array()) == NULL)
		die(EX_STORE, "out of memory");
	stream_init(&s, stdin, "<stdin>", 0);
	while ((rc = stream_next(&s, &it, &e)) != STREAM_EOF) {
		if (rc == STREAM_FAIL)
			die(EX_STORE, "%s", e.msg);
		if (rc == STREAM_BAD) {
			ms_error("%s", e.msg);
			(*bad)++;
			continue;
		}
		if (it.is_host) {
			ms_error("<stdin>:%lu: a host line, not a record "
			    "(macalert reads records: macstore latest | "
			    "macalert)", it.lineno);
			(*bad)++;
			json_decref(it.rec);
			continue;
		}
		if (json_array_append_new(view, it.rec) == -1)
			die(EX_STORE, "out of memory");
	}
	stream_close(&s);
	return view;
}

/* Turn the demo's "*_ago_s" offsets into time stamps relative to now. */
static void
demo_time(json_t *o, const char *from, const char *to, time_t now)
{
	char buf[RFC3339_LEN];
	json_t *v = json_object_get(o, from);

	if (!json_is_integer(v))
		return;
	if (rfc3339_format(now - (time_t)json_integer_value(v), buf) != NULL)
		json_object_set_new(o, to, json_string(buf));
	json_object_del(o, from);
}

static json_t *
demo_load(time_t now, json_t **state, json_t **history)
{
	const char *text;
	json_error_t je;
	json_t *d, *view, *v, *m, *arr, *p;
	const char *key;
	size_t len, i, j;

	if ((text = embed_get("mail/demo.json", &len)) == NULL)
		die(EX_USAGE, "share/mail/demo.json is not built in");
	if ((d = json_loadb(text, len, 0, &je)) == NULL)
		die(EX_USAGE, "share/mail/demo.json:%d: %s", je.line, je.text);
	view = json_incref(json_object_get(d, "machines"));
	*state = json_incref(json_object_get(d, "state"));
	*history = json_incref(json_object_get(d, "history"));
	json_decref(d);
	if (!json_is_array(view) || !json_is_object(*state) ||
	    !json_is_object(*history))
		die(EX_USAGE, "share/mail/demo.json: bad layout");
	json_array_foreach(view, i, v)
		demo_time(v, "last_seen_ago_s", "last_seen", now);
	json_object_foreach(json_object_get(*state, "machines"), key, m)
		demo_time(m, "sent_ago_s", "sent_at", now);
	json_object_foreach(*history, key, arr)
		json_array_foreach(arr, j, p)
			demo_time(p, "ago_s", "t", now);
	return view;
}

/* Forecasts for the disks the summary lists. */
static void
forecast(const struct alert_conf *ac, struct alert_report *r,
    struct store *st, const json_t *demo_history)
{
	struct ms_err e;
	json_t *h;
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct alert_machine *m = &r->v[i];

		if (!m->online || !m->has_free || m->free >= ac->warn)
			continue;
		if (demo_history != NULL)
			h = json_incref(json_object_get(demo_history, m->id));
		else if (st != NULL)
			h = store_history(st, m->id, &e);
		else
			continue;
		if (h == NULL)
			continue;
		m->days_left = alert_forecast(h, m->free, r->now);
		json_decref(h);
	}
}

static void
random_hex(char *out, size_t nbytes)
{
	unsigned char r[32];
	size_t i;

	if (nbytes > sizeof(r))
		nbytes = sizeof(r);
	if (sys_random(r, nbytes) == -1)
		die(EX_STORE, "random bytes:");
	for (i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", r[i]);
}

/* Print the message with LF line ends, as a Unix mail file. */
static void
print_message(const char *msg, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n')
			continue;
		putchar((unsigned char)msg[i]);
	}
}

static void
save_state(struct store *st, json_t *state)
{
	struct ms_err e;

	if (store_state_save(st, "alerts", state, &e) == -1)
		die(EX_STORE, "cannot save the alert state: %s", e.msg);
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct config *cfg;
	struct ms_err e;
	struct alert_conf ac;
	struct alert_report r;
	struct smtp_conf sc;
	struct store *st = NULL;
	struct tmpl th, tt;
	struct ms_buf text = { 0 }, html = { 0 }, msg = { 0 };
	struct mime_msg mm;
	enum alert_lang lang;
	json_t *view = NULL, *state = NULL, *history = NULL, *ctx;
	const char *dir;
	char builtin[64], msgid[128], boundary[64], *subject, *domain;
	unsigned char rb[12];
	char rnd[33];
	time_t now;
	int ch, i, bad = 0, from_stdin;

	log_init(argv[0]);
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--demo") == 0)
			argv[i] = "-D";
		else if (strcmp(argv[i], "--help") == 0)
			usage();
	}
	while ((ch = getopt(argc, argv, "c:Dd:fhnqT:v")) != -1) {
		switch (ch) {
		case 'c':
			o.conf = optarg;
			break;
		case 'D':
			o.demo = 1;
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 'f':
			o.force = 1;
			break;
		case 'n':
			o.dry = 1;
			break;
		case 'q':
			ms_verbosity = 0;
			break;
		case 'T': {
			size_t n = strlen(optarg);

			if (n > 4 && strcmp(optarg + n - 4, ".txt") == 0)
				o.tmpl_text = optarg;
			else
				o.tmpl_html = optarg;
			break;
		}
		case 'v':
			ms_verbosity = ms_verbosity < 2 ? 2 : 3;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "-") != 0))
		usage();
	o.use_stdin = argc == 1;
	if (o.demo && (o.use_stdin || o.dir != NULL))
		die(EX_USAGE, "--demo reads no view: no -d and no -");

	if ((cfg = settings_load(o.conf, o.conf != NULL, &e)) == NULL)
		die(EX_USAGE, "%s", e.msg);
	alert_conf_init(&ac, setting_int(cfg, "ALERT_DISK_CRITICAL_GB"),
	    setting_int(cfg, "ALERT_DISK_WARN_GB"),
	    (int)setting_int(cfg, "ALERT_BATTERY_LOW_PERCENT"),
	    setting_int(cfg, "ALERT_REPEAT_HOURS"));
	lang = setting_lang(cfg) == MS_LANG_FR ? ALERT_FR : ALERT_EN;
	snprintf(builtin, sizeof(builtin), "mail/alert.%s.html",
	    lang == ALERT_FR ? "fr" : "en");
	tmpl_load(&th, o.tmpl_html, builtin);
	snprintf(builtin, sizeof(builtin), "mail/alert.%s.txt",
	    lang == ALERT_FR ? "fr" : "en");
	tmpl_load(&tt, o.tmpl_text, builtin);
	/* A broken mail setup is reported on every run, not on the day a
	 * disk fills up. */
	if (smtp_conf_load(cfg, o.dry, &sc, &e) == -1)
		die(EX_USAGE, "%s", e.msg);

	now = time(NULL);
	if (o.demo) {
		view = demo_load(now, &state, &history);
	} else {
		dir = o.dir != NULL ? o.dir : setting_str(cfg, "MACSCAN_DIR");
		/* The view: "-", or stdin when it is not a terminal and no
		 * -d says to read the store. */
		from_stdin = o.use_stdin || (o.dir == NULL && !isatty(0));
		if (from_stdin) {
			view = read_stdin(&bad);
			if (json_array_size(view) == 0)
				ms_warn("no record on stdin");
		}
		st = store_open(dir, o.dry ? STORE_RDONLY : STORE_CREATE, &e);
		if (st == NULL) {
			/* A preview of stdin needs no store. */
			if (!(o.dry && from_stdin))
				die(EX_STORE, "%s", e.msg);
			ms_info("%s: no alert state (%s)", dir, e.msg);
		} else {
			store_set_warn(st, store_warn, NULL);
			if (!o.dry && store_lock(st, LOCK_TIMEOUT, &e) == -1)
				die(EX_STORE, "%s", e.msg);
			if (!from_stdin &&
			    (view = store_latest(st, &e)) == NULL)
				die(EX_STORE, "%s", e.msg);
			if ((state = store_state_load(st, "alerts", &e)) ==
			    NULL)
				die(EX_STORE, "the alert state: %s", e.msg);
		}
	}
	if (alert_evaluate(&ac, view, state, now, o.force || o.demo, &r,
	    &e) == -1)
		die(EX_STORE, "%s", e.msg);
	if (!r.due) {
		if (r.kept_changed && st != NULL && !o.dry)
			save_state(st, r.state_kept);
		ms_info("nothing to send (%zu machines)", r.n);
		goto done;
	}
	forecast(&ac, &r, st, history);

	subject = alert_subject(&r, lang, o.demo ? (lang == ALERT_FR ?
	    "[macscan démo]" : "[macscan demo]") : NULL);
	if (subject == NULL ||
	    (ctx = alert_context(&ac, &r, lang, subject, o.demo)) == NULL)
		die(EX_STORE, "out of memory");
	if (alert_render(&text, tt.text, tt.len, tt.name, ctx, 0, &e) == -1 ||
	    alert_render(&html, th.text, th.len, th.name, ctx, 1, &e) == -1)
		die(EX_USAGE, "%s", e.msg);
	json_decref(ctx);

	domain = strrchr(sc.from, '@') + 1;
	/* The time stamp and 96 random bits make the id unique. */
	if (sys_random(rb, sizeof(rb)) == -1)
		die(EX_STORE, "random bytes:");
	if (mime_message_id(msgid, sizeof(msgid), now, rb, sizeof(rb),
	    domain) == -1)
		die(EX_USAGE, "MAIL_FROM: the domain is too long");
	random_hex(rnd, 16);
	snprintf(boundary, sizeof(boundary), "=_macscan_%s", rnd);
	memset(&mm, 0, sizeof(mm));
	mm.date = now;
	mm.from = sc.from;
	mm.from_name = "macscan";
	mm.to = sc.to;
	mm.nto = sc.nto;
	mm.subject = subject;
	mm.message_id = msgid;
	mm.boundary = boundary;
	mm.text = text.data;
	mm.text_len = text.len;
	mm.html = html.data;
	mm.html_len = html.len;
	if (mime_build(&msg, &mm, &e) == -1)
		die(EX_USAGE, "%s", e.msg);

	if (o.dry) {
		print_message(msg.data, msg.len);
	} else {
		if (smtp_conf_secret(cfg, &sc, &e) == -1)
			die(EX_USAGE, "%s", e.msg);
		if (smtp_send(&sc, msg.data, msg.len, &e) == -1) {
			/* Nothing is marked as sent: the next run tries
			 * again. */
			ms_error("not sent: %s", e.msg);
			smtp_conf_free(&sc);
			store_close(st);
			exit(EX_SEND);
		}
		ms_info("sent to %zu recipient%s: %s", sc.nto,
		    sc.nto > 1 ? "s" : "", subject);
		if (st != NULL)
			save_state(st, r.state_sent);
	}
	free(subject);
done:
	alert_report_free(&r);
	smtp_conf_free(&sc);
	store_close(st);
	json_decref(view);
	json_decref(state);
	json_decref(history);
	ms_buf_free(&text);
	ms_buf_free(&html);
	ms_buf_free(&msg);
	free(th.data);
	free(tt.data);
	config_free(cfg);
	close_stdout();
	return bad > 0 ? EX_BADINPUT : EX_OK;
}
