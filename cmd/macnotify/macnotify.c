/*
 * macnotify - show the Clean Desk reminder on the screen of every Mac it
 * reads on standard input, to the user logged in at that screen.
 *
 * Each Mac gets one SSH session (lib/sshs, with macprobe's options from
 * lib/sshcli) running share/notify/remote.sh: it finds the console user
 * and starts osascript in that user's GUI session through
 * `launchctl asuser UID sudo -u USER`. The message is data: it travels
 * as JSON on the session's standard input and only share/notify/dialog.js
 * reads it, so no quote, backslash or $(...) in it can run anything.
 */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "embed.h"
#include "log.h"
#include "record.h"
#include "sshcli.h"
#include "sshs.h"
#include "stream.h"
#include "util.h"

#define GIVEUP_DEFAULT 600	/* seconds the dialog stays up */
#define MESSAGE_MAX 4096

struct ctx {
	unsigned long total, shown, skipped, failed, unreachable;
	int progress;
	int64_t drawn_at;
	pthread_mutex_t mu;
};

struct job {
	char *host;
	struct ms_buf in;	/* the sudo line and the dialog JSON */
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-hnqv] [-F file | -m message] "
	    "[-T title] [-w seconds]\n\t[-d dir] [-i keyfile] "
	    "[-k known_hosts] [-o accept-new | yes | no]\n\t[-P parallel] "
	    "[-p port] [-t timeout] [-u user]\n", ms_progname);
	exit(2);
}

/* The text of share/notify/NAME.LANG.txt, without its last newline. */
static char *
builtin_text(const char *name, const char *lang)
{
	char path[64];
	const char *s;
	size_t len;

	snprintf(path, sizeof(path), "notify/%s.%s.txt", name, lang);
	if ((s = embed_get(path, &len)) == NULL)
		die(3, "%s: not built in", path);
	while (len > 0 && s[len - 1] == '\n')
		len--;
	return strndup(s, len);
}

/* A message from the command line or a file: valid UTF-8, bounded, no
 * NUL; trailing newlines dropped. */
static char *
check_text(const char *what, char *s, size_t len)
{
	if (len > MESSAGE_MAX)
		die(2, "%s: longer than %d bytes", what, MESSAGE_MAX);
	if (memchr(s, '\0', len) != NULL)
		die(2, "%s: holds a NUL byte", what);
	if (!ms_utf8_valid(s, len))
		die(2, "%s: not valid UTF-8", what);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	if (len == 0)
		die(2, "%s: empty", what);
	return s;
}

static void
progress(struct ctx *c, int force)
{
	int64_t now = ms_now_ns();
	unsigned long done = c->shown + c->skipped + c->failed +
	    c->unreachable;

	if (!c->progress || (!force && now - c->drawn_at < 100000000))
		return;
	log_progress("%lu/%lu done, %lu shown, %lu skipped, %lu failed",
	    done, c->total, c->shown, c->skipped, c->failed + c->unreachable);
	c->drawn_at = now;
}

/* One result line: HOST TAB USER TAB RESULT TAB WHY, all made inert. */
static void
result(const char *host, const char *user, const char *what,
    const char *why)
{
	char u[128], w[320];

	sshcli_first_line(user, strlen(user), u, sizeof(u));
	sshcli_first_line(why, strlen(why), w, sizeof(w));
	printf("%s\t%s\t%s\t%s\n", host, u[0] ? u : "-", what,
	    w[0] ? w : "-");
	fflush(stdout);
}

/* Read "@@macnotify:WORD USER REST" from the remote script's output. */
static void
done(void *arg, void *jv, const char *host, struct sshs_result *r)
{
	struct ctx *c = arg;
	struct job *j = jv;
	const char *out = r->out.data != NULL ? r->out.data : "";
	const char *m, *p;
	char word[16], user[128], rest[320];
	size_t n;

	pthread_mutex_lock(&c->mu);
	if (r->status != SSHS_OK) {
		int down = r->status == SSHS_UNREACHABLE ||
		    r->status == SSHS_REFUSED || r->status == SSHS_TIMEOUT;

		result(host, "", down ? "unreachable" : "failed", r->err.msg);
		if (down)
			c->unreachable++;
		else
			c->failed++;
		goto out;
	}
	if ((m = strstr(out, "@@macnotify:")) == NULL) {
		sshcli_first_line(r->errout.data != NULL ? r->errout.data :
		    "", r->errout.len, rest, sizeof(rest));
		result(host, "", "failed", rest[0] ? rest :
		    "the Mac did not run the reminder script");
		c->failed++;
		goto out;
	}
	m += strlen("@@macnotify:");
	for (n = 0; m[n] != '\0' && m[n] != ' ' && m[n] != '\n' &&
	    n + 1 < sizeof(word); n++)
		word[n] = m[n];
	word[n] = '\0';
	p = m + n;
	if (*p == ' ')
		p++;
	for (n = 0; p[n] != '\0' && p[n] != ' ' && p[n] != '\n' &&
	    n + 1 < sizeof(user); n++)
		user[n] = p[n];
	user[n] = '\0';
	p += n;
	if (*p == ' ')
		p++;
	sshcli_first_line(p, strlen(p), rest, sizeof(rest));
	if (strcmp(word, "shown") == 0) {
		result(host, user, "shown", "");
		c->shown++;
	} else if (strcmp(word, "nobody") == 0) {
		result(host, "", "skipped", strcmp(user, "loginwindow") == 0 ?
		    "only the login window is at the screen" :
		    "nobody is logged in at the screen");
		c->skipped++;
	} else {
		result(host, user, "failed", rest[0] ? rest :
		    "the dialog could not be shown");
		c->failed++;
	}
out:
	progress(c, 0);
	pthread_mutex_unlock(&c->mu);
	ms_explicit_bzero(j->in.data, j->in.len);
	ms_buf_free(&j->in);
	free(j->host);
	free(j);
}

/* Neither the script nor the dialog code may hold a single quote: they
 * travel inside single quotes through the Mac's login shell. */
static char *
remote_command(void)
{
	const char *sh, *js;
	size_t shlen, jslen;
	struct ms_buf b = { 0 };

	if ((sh = embed_get("notify/remote.sh", &shlen)) == NULL ||
	    (js = embed_get("notify/dialog.js", &jslen)) == NULL)
		die(3, "the reminder scripts are not built in");
	if (memchr(sh, '\'', shlen) != NULL || memchr(js, '\'', jslen) != NULL)
		die(3, "the reminder scripts hold a single quote");
	if (ms_buf_puts(&b, "/bin/sh -c '") == -1 ||
	    ms_buf_append(&b, sh, shlen) == -1 ||
	    ms_buf_puts(&b, "' macnotify '") == -1 ||
	    ms_buf_append(&b, js, jslen) == -1 ||
	    ms_buf_puts(&b, "'") == -1)
		die(3, "out of memory");
	return ms_buf_steal(&b, NULL);
}

int
main(int argc, char *argv[])
{
	struct sshcli sc;
	struct ctx c;
	struct config *cfg;
	struct sshs_pool *pool = NULL;
	struct stream in;
	struct stream_item item;
	struct ms_err e = { "" };
	const char *lang, *mflag = NULL, *fflag = NULL, *tflag = NULL, *host;
	char *title, *message, *cmd = NULL, *payload;
	long long giveup = GIVEUP_DEFAULT;
	json_t *dlg, *seen;
	int ch, r, dry = 0, bad = 0, verbosity = 1;

	log_init(argv[0]);
	sshcli_init(&sc);
	while ((ch = getopt(argc, argv, "d:F:hi:k:m:no:P:p:qT:t:u:vw:")) !=
	    -1) {
		/* -F is the message file here, not an ssh_config. */
		if (ch != 'F' && (r = sshcli_opt(&sc, ch, optarg, &e)) == 1)
			continue;
		if (ch != 'F' && r == -1) {
			ms_error("%s", e.msg);
			usage();
		}
		switch (ch) {
		case 'F':
			fflag = optarg;
			break;
		case 'm':
			mflag = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'q':
			verbosity = 0;
			break;
		case 'T':
			tflag = optarg;
			break;
		case 'v':
			if (verbosity > 0)
				verbosity++;
			break;
		case 'w': {
			const char *errstr;

			if (ms_strtonum(optarg, 5, 86400, &giveup, &errstr) ==
			    -1) {
				ms_error("-w: seconds is %s: %s", errstr,
				    optarg);
				usage();
			}
			break;
		}
		default:
			usage();
		}
	}
	if (optind != argc || (mflag != NULL && fflag != NULL))
		usage();
	ms_verbosity = verbosity;
	signal(SIGPIPE, SIG_IGN);

	if ((cfg = config_load(NULL, 0, &e)) == NULL)
		die(3, "%s", e.msg);
	lang = config_get_default(cfg, "MACSCAN_LANG", "fr");
	if (strcmp(lang, "fr") != 0 && strcmp(lang, "en") != 0)
		die(2, "MACSCAN_LANG: fr or en: %s", lang);
	if (tflag != NULL)
		title = check_text("-T", strdup(tflag), strlen(tflag));
	else
		title = builtin_text("title", lang);
	if (mflag != NULL) {
		message = check_text("-m", strdup(mflag), strlen(mflag));
	} else if (fflag != NULL) {
		size_t len;

		if ((message = ms_read_file(fflag, MESSAGE_MAX, &len, &e)) ==
		    NULL)
			die(2, "-F: %s", e.msg);
		message = check_text(fflag, message, len);
	} else {
		message = builtin_text("message", lang);
	}
	if (title == NULL || message == NULL)
		die(3, "out of memory");
	if ((dlg = json_pack("{s:s, s:s, s:I}", "title", title, "message",
	    message, "timeout", (json_int_t)giveup)) == NULL ||
	    (payload = json_dumps(dlg, JSON_COMPACT)) == NULL)
		die(3, "out of memory");
	json_decref(dlg);

	memset(&c, 0, sizeof(c));
	pthread_mutex_init(&c.mu, NULL);
	if (!dry) {
		if (sshcli_setup(&sc, cfg, &e) == -1)
			die(3, "%s", e.msg);
		/* The password goes on stdin, for sudo: lib/sshs then sends
		 * it only to a host whose key was pinned and matches. */
		sc.so.secret_in = sc.password != NULL;
		cmd = remote_command();
		c.progress = verbosity > 0 && isatty(STDERR_FILENO);
		if ((pool = sshs_pool_new(&sc.so, sc.parallel, done, &c,
		    &e)) == NULL)
			die(3, "%s", e.msg);
	} else if (verbosity > 0) {
		fprintf(stderr, "%s: would show, for %lld s:\n%s\n\n%s\n",
		    ms_progname, giveup, title, message);
	}

	/* One dialog per host and run, however many records name it (the
	 * store may list a Mac twice while its id changes). */
	if ((seen = json_object()) == NULL)
		die(3, "out of memory");
	stream_init(&in, stdin, "<stdin>", 0);
	while ((r = sshcli_next(&in, &item, &host, &e)) != STREAM_EOF) {
		struct job *j;

		if (r != STREAM_ITEM) {
			pthread_mutex_lock(&c.mu);
			ms_error("%s", e.msg);
			pthread_mutex_unlock(&c.mu);
			bad = 1;
			if (r == STREAM_FAIL)
				break;
			continue;
		}
		if (json_object_get(seen, host) != NULL) {
			pthread_mutex_lock(&c.mu);
			result(host, "", "skipped", "listed twice in the input");
			c.skipped++;
			pthread_mutex_unlock(&c.mu);
			json_decref(item.rec);
			continue;
		}
		if (json_object_set_new(seen, host, json_true()) == -1)
			die(3, "out of memory");
		if (dry) {
			const char *u = record_str(item.rec, "console_user");

			result(host, u != NULL ? u : "", "would-show",
			    "the console user at the time of the run");
			json_decref(item.rec);
			continue;
		}
		if ((j = calloc(1, sizeof(*j))) == NULL ||
		    (j->host = strdup(host)) == NULL ||
		    ms_buf_printf(&j->in, "%s\n%s\n", sc.password != NULL ?
		    sc.password : "", payload) == -1)
			die(3, "out of memory");
		json_decref(item.rec);
		pthread_mutex_lock(&c.mu);
		c.total++;
		pthread_mutex_unlock(&c.mu);
		if (sshs_pool_add(pool, j->host, cmd, j->in.data, j->in.len,
		    j, &e) == -1)
			die(3, "%s", e.msg);
	}
	if (pool != NULL)
		sshs_pool_finish(pool);
	stream_close(&in);
	json_decref(seen);
	if (c.progress) {
		progress(&c, 1);
		log_progress_end();
	}
	if (!dry && c.total > 0)
		ms_info("%lu shown, %lu skipped, %lu failed, %lu unreachable",
		    c.shown, c.skipped, c.failed, c.unreachable);
	sshcli_free(&sc);
	config_free(cfg);
	free(cmd);
	free(payload);
	free(title);
	free(message);
	pthread_mutex_destroy(&c.mu);
	close_stdout();
	return c.failed > 0 || bad ? 1 : 0;
}
