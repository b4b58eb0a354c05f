/*
 * macalert - tell the admin, once, when a Mac is at risk: by email,
 * Slack, Microsoft Teams or any webhook.
 *
 * Reads the merged view (the store, or records on stdin) and the alert
 * state without any lock (readers never lock), decides with lib/rules
 * and evaluate.c what is news for each channel against that channel's
 * own state, sends (smtp.c, webhook.c), and only then takes the store's
 * writer lock to save the state of the channels that were told: a slow
 * mail server never holds up `macstore add`. Two macalert runs are kept
 * apart by a lock of macalert's own (DIR/alert.lock) around the whole
 * read-evaluate-send-save, so they never both send the same news. See
 * macalert(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "chat.h"
#include "config.h"
#include "embed.h"
#include "evaluate.h"
#include "exitcode.h"
#include "log.h"
#include "message.h"
#include "mime.h"
#include "rfc3339.h"
#include "rules.h"
#include "settings.h"
#include "smtp.h"
#include "store.h"
#include "stream.h"
#include "sys.h"
#include "template.h"
#include "util.h"
#include "webhook.h"

#define STORE_LOCK_WAIT 30	/* seconds to wait for the store's lock */
#define ALERT_LOCK_WAIT 300	/* seconds to wait for another macalert:
				 * more than one whole run (SMTP 120 s and
				 * three webhooks) */

enum { CH_EMAIL, CH_SLACK, CH_TEAMS, CH_WEBHOOK, CH_COUNT };

static const struct {
	const char *name;
	const char *key;	/* its URL setting */
} channels[CH_COUNT] = {
	{ "email", NULL },
	{ "slack", "SLACK_WEBHOOK_URL" },
	{ "teams", "TEAMS_WEBHOOK_URL" },
	{ "webhook", "WEBHOOK_URL" },
};

struct opts {
	const char *conf;
	const char *dir;
	const char *tmpl_html;
	const char *tmpl_text;
	unsigned only;		/* -C: bit per channel, 0: all */
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

/* Everything a run holds. */
struct run {
	struct opts o;
	struct config *cfg;
	struct rules_conf rc;
	enum ms_lang lang;
	json_t *strings;
	struct tmpl th, tt;
	struct smtp_conf sc;
	struct webhook wh[CH_COUNT];
	unsigned configured;	/* bit per channel */
	struct store *st;
	json_t *view, *state, *history, *seen;
	struct alert_report rep[CH_COUNT];
	unsigned evaluated, sent, failed, keep;
	time_t now;
	char scanner[256];
	int lockfd;		/* DIR/alert.lock, or -1 */
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-fnqv] [-D | --demo] "
	    "[-C channel[,channel ...]] [-c conf] [-d dir] [-T template] "
	    "[-]\n", ms_progname);
	exit(MS_EXIT_USAGE);
}

static void
store_warn(void *arg, const char *msg)
{
	(void)arg;
	ms_warn("%s", msg);
}

/* -C email,slack: the channels of this run. */
static unsigned
parse_channels(const char *s)
{
	unsigned m = 0;
	size_t n;
	int i;

	while (*s != '\0') {
		n = strcspn(s, ", ");
		for (i = 0; i < CH_COUNT; i++)
			if (strlen(channels[i].name) == n &&
			    strncmp(s, channels[i].name, n) == 0)
				break;
		if (i == CH_COUNT)
			die(MS_EXIT_USAGE, "-C: unknown channel '%.*s' "
			    "(email, slack, teams, webhook)", (int)(n > 32 ?
			    32 : n), s);
		m |= 1u << i;
		s += n;
		s += strspn(s, ", ");
	}
	if (m == 0)
		die(MS_EXIT_USAGE, "-C: no channel named");
	return m;
}

/* A template from -T, or the built-in one; checked with its words. */
static void
tmpl_load(struct tmpl *t, const char *path, const char *builtin,
    const json_t *strings)
{
	struct ms_err e;

	memset(t, 0, sizeof(*t));
	if (path != NULL) {
		if ((t->data = ms_read_file(path, TMPL_MAX, &t->len,
		    &e)) == NULL)
			die(MS_EXIT_USAGE, "-T: %s", e.msg);
		t->text = t->data;
		t->name = path;
	} else {
		if ((t->text = embed_get(builtin, &t->len)) == NULL)
			die(MS_EXIT_USAGE, "share/%s is not built in",
			    builtin);
		t->name = builtin;
	}
	if (template_check(t->text, t->len, t->name, strings, &e) == -1)
		die(MS_EXIT_USAGE, "%s", e.msg);
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
		die(MS_EXIT_SYSTEM, "out of memory");
	stream_init(&s, stdin, "<stdin>", 0);
	while ((rc = stream_next(&s, &it, &e)) != STREAM_EOF) {
		if (rc == STREAM_FAIL)
			die(MS_EXIT_SYSTEM, "%s", e.msg);
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
			die(MS_EXIT_SYSTEM, "out of memory");
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
	const char *text, *key;
	json_error_t je;
	json_t *d, *view, *v, *m, *arr, *p;
	size_t len, i, j;

	if ((text = embed_get("mail/demo.json", &len)) == NULL)
		die(MS_EXIT_USAGE, "share/mail/demo.json is not built in");
	if ((d = json_loadb(text, len, 0, &je)) == NULL)
		die(MS_EXIT_USAGE, "share/mail/demo.json:%d: %s", je.line,
		    je.text);
	view = json_incref(json_object_get(d, "machines"));
	*state = json_incref(json_object_get(d, "state"));
	*history = json_incref(json_object_get(d, "history"));
	json_decref(d);
	if (!json_is_array(view) || !json_is_object(*state) ||
	    !json_is_object(*history))
		die(MS_EXIT_USAGE, "share/mail/demo.json: bad layout");
	json_array_foreach(view, i, v) {
		demo_time(v, "last_seen_ago_s", "last_seen", now);
		demo_time(v, "backup_last_at_ago_s", "backup_last_at", now);
		demo_time(v, "updates_restart_since_ago_s",
		    "updates_restart_since", now);
	}
	json_object_foreach(json_object_get(*state, "machines"), key, m) {
		const char *rk;
		json_t *rv;

		demo_time(m, "sent_ago_s", "sent_at", now);
		json_object_foreach(json_object_get(m, "rules"), rk, rv)
			demo_time(rv, "sent_ago_s", "sent_at", now);
	}
	json_object_foreach(*history, key, arr)
		json_array_foreach(arr, j, p)
			demo_time(p, "ago_s", "t", now);
	return view;
}

/* Forecasts for the disks the summary lists. */
static void
forecast(struct run *r, struct alert_report *rep)
{
	struct ms_err e;
	json_t *h;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		struct alert_machine *m = &rep->v[i];

		if (!m->online || !(m->res.firing &
		    (RULE_BIT(RULE_DISK_CRITICAL) |
		    RULE_BIT(RULE_DISK_WARNING))))
			continue;
		if (r->history != NULL)
			h = json_incref(json_object_get(r->history, m->id));
		else if (r->st != NULL)
			h = store_history(r->st, m->id, &e);
		else
			continue;
		if (h == NULL)
			continue;
		m->days_left = rules_forecast(h, m->free, rep->now);
		json_decref(h);
	}
}

/* Print a message with LF line ends, as a Unix mail file. */
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

/* The email of a report into msg; the subject in *subject. */
static void
build_email(struct run *r, struct alert_report *rep, struct ms_buf *msg,
    char **subject)
{
	struct ms_buf text = { 0 }, html = { 0 };
	char msgid[128], boundary[64], rnd[33];
	unsigned char rb[12], rh[16];
	struct mime_msg mm;
	struct ms_err e;
	const char *prefix = NULL;
	char *pfx = NULL;
	json_t *ctx;
	size_t i;

	if (r->o.demo)
		prefix = pfx = alert_say(r->strings, "subject_demo", NULL);
	*subject = alert_subject(rep, r->strings, r->lang, prefix);
	free(pfx);
	if (*subject == NULL || (ctx = alert_context(&r->rc, rep, r->strings,
	    r->lang, *subject, r->o.demo)) == NULL)
		die(MS_EXIT_SYSTEM, "out of memory");
	if (template_render(&text, r->tt.text, r->tt.len, r->tt.name, ctx,
	    r->strings, TMPL_TEXT, &e) == -1 ||
	    template_render(&html, r->th.text, r->th.len, r->th.name, ctx,
	    r->strings, TMPL_HTML, &e) == -1)
		die(MS_EXIT_USAGE, "%s", e.msg);
	json_decref(ctx);
	/* The time stamp and 96 random bits make the id unique. */
	if (sys_random(rb, sizeof(rb)) == -1 ||
	    sys_random(rh, sizeof(rh)) == -1)
		die(MS_EXIT_SYSTEM, "random bytes:");
	if (mime_message_id(msgid, sizeof(msgid), r->now, rb, sizeof(rb),
	    strrchr(r->sc.from, '@') + 1) == -1)
		die(MS_EXIT_USAGE, "MAIL_FROM: the domain is too long");
	for (i = 0; i < sizeof(rh); i++)
		snprintf(rnd + 2 * i, 3, "%02x", rh[i]);
	snprintf(boundary, sizeof(boundary), "=_macscan_%s", rnd);
	memset(&mm, 0, sizeof(mm));
	mm.date = r->now;
	mm.from = r->sc.from;
	mm.from_name = "macscan";
	mm.to = r->sc.to;
	mm.nto = r->sc.nto;
	mm.subject = *subject;
	mm.message_id = msgid;
	mm.boundary = boundary;
	mm.text = text.data;
	mm.text_len = text.len;
	mm.html = html.data;
	mm.html_len = html.len;
	if (mime_build(msg, &mm, &e) == -1)
		die(MS_EXIT_USAGE, "%s", e.msg);
	ms_buf_free(&text);
	ms_buf_free(&html);
}

/* Send (or print) the email of the report; 0, or -1 when not sent. */
static int
send_email(struct run *r, struct alert_report *rep)
{
	struct ms_buf msg = { 0 };
	struct ms_err e;
	char *subject;
	int rc = 0;

	forecast(r, rep);
	build_email(r, rep, &msg, &subject);
	if (r->o.dry) {
		print_message(msg.data, msg.len);
	} else if (smtp_conf_secret(r->cfg, &r->sc, &e) == -1) {
		die(MS_EXIT_USAGE, "%s", e.msg);
	} else if (smtp_send(&r->sc, msg.data, msg.len, &e) == -1) {
		/* Nothing is marked as sent: the next run tries again. */
		ms_error("not sent: %s", e.msg);
		rc = -1;
	} else {
		ms_info("email: sent to %zu recipient%s: %s", r->sc.nto,
		    r->sc.nto > 1 ? "s" : "", subject);
	}
	free(subject);
	ms_buf_free(&msg);
	return rc;
}

/*
 * Send (or print) a chat channel's events: 1 sent, 0 nothing to say,
 * -1 not sent.
 */
static int
send_chat(struct run *r, int ch, struct alert_report *rep)
{
	struct chat_meta meta = { r->now, r->scanner, r->lang, r->o.demo };
	struct ms_err e;
	json_t *ev, *p;
	char *body;
	int rc = 1;

	if ((ev = chat_events(&r->rc, rep, r->strings, r->lang,
	    rep->forced)) == NULL)
		die(MS_EXIT_SYSTEM, "out of memory");
	if (json_array_size(ev) == 0) {
		json_decref(ev);
		return 0;
	}
	p = ch == CH_SLACK ? chat_slack(ev, r->strings, &meta) :
	    ch == CH_TEAMS ? chat_teams(ev, r->strings, &meta) :
	    chat_generic(ev, &meta);
	if (p == NULL || (body = json_dumps(p, r->o.dry ? JSON_INDENT(2) :
	    JSON_COMPACT)) == NULL)
		die(MS_EXIT_SYSTEM, "out of memory");
	if (r->o.dry) {
		printf("%s\n", body);
	} else if (webhook_post(&r->wh[ch], body, strlen(body), &e) == -1) {
		ms_error("not sent: %s", e.msg);
		rc = -1;
	} else {
		ms_info("%s: sent %zu event%s to %s", channels[ch].name,
		    json_array_size(ev), json_array_size(ev) > 1 ? "s" : "",
		    r->wh[ch].host);
	}
	free(body);
	json_decref(p);
	json_decref(ev);
	return rc;
}

/* The channels set up in the configuration (and named by -C). */
static void
load_channels(struct run *r)
{
	struct ms_err e;
	int ch, set;

	/* Email: any of its settings makes it a channel, and then a
	 * broken mail setup is reported on every run, not on the day a
	 * disk fills up. -n previews it with placeholders. */
	if (r->o.dry ? !r->o.only || (r->o.only & 1u << CH_EMAIL) :
	    setting_is_set(r->cfg, "ALERT_RECIPIENTS") ||
	    setting_is_set(r->cfg, "SMTP_URL") ||
	    setting_is_set(r->cfg, "GMAIL_USER")) {
		if (smtp_conf_load(r->cfg, r->o.dry, &r->sc, &e) == -1)
			die(MS_EXIT_USAGE, "%s", e.msg);
		r->configured |= 1u << CH_EMAIL;
	}
	for (ch = CH_SLACK; ch < CH_COUNT; ch++) {
		if (webhook_load(r->cfg, channels[ch].name, channels[ch].key,
		    &r->wh[ch], &set, &e) == -1)
			die(MS_EXIT_USAGE, "%s", e.msg);
		/* -n prints the email, or the channels -C names. */
		if (r->o.dry ? (r->o.only & 1u << ch) != 0 : set)
			r->configured |= 1u << ch;
	}
	if (r->o.only != 0) {
		for (ch = 0; ch < CH_COUNT; ch++)
			if ((r->o.only & 1u << ch) &&
			    !(r->configured & 1u << ch))
				die(MS_EXIT_USAGE, "-C %s: the channel is not "
				    "set up (%s)", channels[ch].name, ch ==
				    CH_EMAIL ? "ALERT_RECIPIENTS" :
				    channels[ch].key);
		r->configured &= r->o.only;
	}
	if (r->configured == 0)
		die(MS_EXIT_USAGE, "no channel to alert: set ALERT_RECIPIENTS "
		    "(with GMAIL_USER or SMTP_URL), SLACK_WEBHOOK_URL, "
		    "TEAMS_WEBHOOK_URL or WEBHOOK_URL");
}

/*
 * macalert's own lock, DIR/alert.lock, waited for at most
 * ALERT_LOCK_WAIT seconds. The store's writers never take it.
 */
static void
alert_lock(struct run *r)
{
	int64_t deadline = ms_now_ns() + ALERT_LOCK_WAIT * 1000000000LL;
	struct timespec ts = { 0, 50000000 };
	int waited = 0;
	char *p;

	if ((p = store_path(r->st, "alert.lock")) == NULL)
		die(MS_EXIT_SYSTEM, "out of memory");
	if ((r->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) == -1)
		die(MS_EXIT_SYSTEM, "%s:", p);
	while (flock(r->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			die(MS_EXIT_SYSTEM, "%s: flock:", p);
		if (!waited++)
			ms_info("another macalert is running: waiting for %s",
			    p);
		if (ms_now_ns() >= deadline)
			die(MS_EXIT_SYSTEM, "%s: another macalert is still "
			    "running (waited %d s)", p, ALERT_LOCK_WAIT);
		nanosleep(&ts, NULL);
	}
	free(p);
}

/* The view and the alert state, read without the store's lock. */
static void
read_inputs(struct run *r, int *bad)
{
	const char *dir;
	struct ms_err e;
	int from_stdin;

	if (r->o.demo) {
		r->view = demo_load(r->now, &r->state, &r->history);
		return;
	}
	dir = r->o.dir != NULL ? r->o.dir : setting_str(r->cfg,
	    "MACSCAN_DIR");
	/* The view: "-", or stdin when it is not a terminal and no -d says
	 * to read the store. */
	from_stdin = r->o.use_stdin || (r->o.dir == NULL && !isatty(0));
	if ((r->st = store_open(dir, r->o.dry ? STORE_RDONLY : STORE_CREATE,
	    &e)) == NULL) {
		/* A preview of stdin needs no store. */
		if (!(r->o.dry && from_stdin))
			die(MS_EXIT_SYSTEM, "%s", e.msg);
		ms_info("%s: no alert state (%s)", dir, e.msg);
	} else {
		store_set_warn(r->st, store_warn, NULL);
		if (!r->o.dry)
			alert_lock(r);
	}
	if (from_stdin) {
		r->view = read_stdin(bad);
		if (json_array_size(r->view) == 0)
			ms_warn("no record on stdin");
	} else if ((r->view = store_latest(r->st, &e)) == NULL) {
		die(MS_EXIT_SYSTEM, "%s", e.msg);
	}
	if (r->st != NULL && (r->state = store_state_load(r->st, "alerts",
	    &e)) == NULL)
		die(MS_EXIT_SYSTEM, "the alert state: %s", e.msg);
	/* Machines gone from the view (their snapshots pruned) are still
	 * known to be offline, from the state. */
	if (r->rc.offline_days > 0) {
		if ((r->seen = alert_seen_update(r->state, r->view, r->now,
		    r->rc.offline_days * 86400 + ALERT_FORGET_S)) == NULL ||
		    alert_view_add_seen(r->view, r->seen) == -1)
			die(MS_EXIT_SYSTEM, "out of memory");
	}
}

/*
 * Save the states of the channels told (and the kept states of those
 * with nothing to say) under the store's lock, over the state as it is
 * now. 0, or -1 and e.
 */
static int
save_state(struct run *r, struct ms_err *e)
{
	json_t *cur, *next;
	int ch, rc = -1;

	if (r->st == NULL || r->o.dry || r->o.demo)
		return 0;
	if (r->sent == 0 && r->keep == 0 && r->seen == NULL &&
	    json_object_get(r->state, "seen") == NULL)
		return 0;
	if (store_lock(r->st, STORE_LOCK_WAIT, e) == -1)
		return -1;
	if ((cur = store_state_load(r->st, "alerts", e)) == NULL)
		goto out;
	if ((next = alert_state_v2(cur)) == NULL) {
		ms_err_set(e, "out of memory");
		goto out;
	}
	for (ch = 0; ch < CH_COUNT; ch++) {
		json_t *s = (r->sent & 1u << ch) ? r->rep[ch].state_sent :
		    (r->keep & 1u << ch) ? r->rep[ch].state_kept : NULL;

		if (s != NULL && alert_state_put(next, channels[ch].name,
		    json_incref(s)) == -1)
			goto oom;
	}
	json_object_del(next, "seen");
	if (r->seen != NULL && json_object_set(next, "seen", r->seen) == -1)
		goto oom;
	if (json_equal(cur, next) ||
	    store_state_save(r->st, "alerts", next, e) == 0)
		rc = 0;
	json_decref(next);
	goto out;
oom:
	json_decref(next);
	ms_err_set(e, "out of memory");
out:
	json_decref(cur);
	store_unlock(r->st);
	return rc;
}

static void
parse_args(struct opts *o, int argc, char *argv[])
{
	int ch, i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--demo") == 0)
			argv[i] = "-D";
		else if (strcmp(argv[i], "--help") == 0)
			usage();
	}
	while ((ch = getopt(argc, argv, "C:c:Dd:fhnqT:v")) != -1) {
		switch (ch) {
		case 'C':
			o->only |= parse_channels(optarg);
			break;
		case 'c':
			o->conf = optarg;
			break;
		case 'D':
			o->demo = 1;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'f':
			o->force = 1;
			break;
		case 'n':
			o->dry = 1;
			break;
		case 'q':
			ms_verbosity = 0;
			break;
		case 'T': {
			size_t n = strlen(optarg);

			if (n > 4 && strcmp(optarg + n - 4, ".txt") == 0)
				o->tmpl_text = optarg;
			else
				o->tmpl_html = optarg;
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
	o->use_stdin = argc == 1;
	if (o->demo && (o->use_stdin || o->dir != NULL))
		die(MS_EXIT_USAGE, "--demo reads no view: no -d and no -");
}

int
main(int argc, char *argv[])
{
	struct run r;
	struct ms_err e;
	int ch, bad = 0, st, rc;

	memset(&r, 0, sizeof(r));
	r.lockfd = -1;
	log_init(argv[0]);
	parse_args(&r.o, argc, argv);
	if ((r.cfg = settings_load(r.o.conf, r.o.conf != NULL, &e)) == NULL)
		die(MS_EXIT_USAGE, "%s", e.msg);
	rules_conf_load(&r.rc, r.cfg);
	r.lang = setting_lang(r.cfg);
	if ((r.strings = alert_strings(r.lang, &e)) == NULL)
		die(MS_EXIT_USAGE, "%s", e.msg);
	tmpl_load(&r.th, r.o.tmpl_html, "mail/alert.html", r.strings);
	tmpl_load(&r.tt, r.o.tmpl_text, "mail/alert.txt", r.strings);
	load_channels(&r);
	if (gethostname(r.scanner, sizeof(r.scanner) - 1) == -1)
		snprintf(r.scanner, sizeof(r.scanner), "localhost");

	r.now = time(NULL);
	read_inputs(&r, &bad);
	for (ch = 0; ch < CH_COUNT; ch++) {
		if (!(r.configured & 1u << ch))
			continue;
		/* The demo's state is every channel's. */
		if (alert_evaluate(&r.rc, r.view, r.o.demo ? r.state :
		    alert_state_channel(r.state, channels[ch].name), r.now,
		    (r.o.force || r.o.demo ?
		    ALERT_FORCE : 0) | (ch == CH_EMAIL ? ALERT_SUMMARY : 0),
		    &r.rep[ch], &e) == -1)
			die(MS_EXIT_SYSTEM, "%s", e.msg);
		r.evaluated |= 1u << ch;
		if (!r.rep[ch].due) {
			if (r.rep[ch].kept_changed)
				r.keep |= 1u << ch;
			ms_info("%s: nothing to send (%zu machines)",
			    channels[ch].name, r.rep[ch].n);
			continue;
		}
		st = ch == CH_EMAIL ? (send_email(&r, &r.rep[ch]) == 0 ? 1 :
		    -1) : send_chat(&r, ch, &r.rep[ch]);
		if (st == 1)
			r.sent |= 1u << ch;
		else if (st == -1)
			r.failed |= 1u << ch;
		else if (r.rep[ch].kept_changed)
			r.keep |= 1u << ch;
	}
	rc = r.failed != 0 || bad > 0 ? MS_EXIT_SOME : MS_EXIT_OK;
	if (save_state(&r, &e) == -1) {
		if (r.sent != 0) {
			ms_error("sent, but the alert state cannot be saved "
			    "(the next run may send it again): %s", e.msg);
			rc = MS_EXIT_UNSAVED;
		} else {
			ms_error("the alert state cannot be saved: %s", e.msg);
			rc = MS_EXIT_SYSTEM;
		}
	}

	for (ch = 0; ch < CH_COUNT; ch++) {
		if (r.evaluated & 1u << ch)
			alert_report_free(&r.rep[ch]);
		webhook_free(&r.wh[ch]);
	}
	smtp_conf_free(&r.sc);
	store_close(r.st);
	if (r.lockfd != -1)
		close(r.lockfd);
	json_decref(r.view);
	json_decref(r.state);
	json_decref(r.history);
	json_decref(r.seen);
	json_decref(r.strings);
	free(r.th.data);
	free(r.tt.data);
	config_free(r.cfg);
	close_stdout();
	return rc;
}
