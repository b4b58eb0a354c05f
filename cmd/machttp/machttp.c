/*
 * machttp - serve the store: dashboard, /machines JSON, /metrics,
 * installers. A small HTTP/1.1 server, or a CGI/1.1 script when
 * GATEWAY_INTERFACE is set. It only ever reads the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "machttp.h"
#include "priv.h"
#include "sys.h"

#define USAGE "usage: machttp [-hqv] [-c maxconn] [-d dir] [-k idle] " \
	"[-l addr:port] [-s dir]\n               [-t timeout] [-u user]\n"

volatile sig_atomic_t machttp_quit;

static void
on_signal(int sig)
{
	(void)sig;
	machttp_quit = 1;
}

static void
usage(void)
{
	fputs(USAGE, stderr);
	exit(2);
}

static long long
num_arg(int opt, const char *s, long long min, long long max,
    const char *what)
{
	long long v;
	const char *es;

	if (ms_strtonum(s, min, max, &v, &es) == -1)
		die(2, "-%c: %s is %s: %s", opt, what, es, s);
	return v;
}

/* The thresholds of the dashboard's colours and counters, in bytes. */
static void
load_thresholds(const struct config *cf, struct thresholds *th)
{
	struct ms_err e = { "" };
	long long crit, warn, low;

	if (config_get_num(cf, "ALERT_DISK_CRITICAL_GB", 0, 1000000, 15,
	    &crit, &e) == -1 ||
	    config_get_num(cf, "ALERT_DISK_WARN_GB", 0, 1000000, 30, &warn,
	    &e) == -1 ||
	    config_get_num(cf, "ALERT_BATTERY_LOW_PERCENT", 0, 100, 30, &low,
	    &e) == -1)
		die(2, "%s", e.msg);
	th->disk_crit_bytes = crit * 1000000000LL;
	th->disk_warn_bytes = warn * 1000000000LL;
	th->battery_low = low;
}

static char *
secret(const struct config *cf, const char *key)
{
	struct ms_err e = { "" };
	char *s = config_get_secret(cf, key, &e);

	if (s == NULL && e.msg[0] != '\0')
		die(2, "%s", e.msg);
	return s;
}

static void
load_auth(const struct config *cf, struct app *a)
{
	const char *u = config_get(cf, "MACHTTP_USER");

	a->auth_pass = secret(cf, "MACHTTP_PASSWORD");
	a->auth_token = secret(cf, "MACHTTP_TOKEN");
	if (u != NULL && *u != '\0') {
		if (a->auth_pass == NULL)
			die(2, "MACHTTP_USER is set but not MACHTTP_PASSWORD "
			    "(or MACHTTP_PASSWORD_FILE)");
		if (strchr(u, ':') != NULL)
			die(2, "MACHTTP_USER cannot hold a colon");
		if ((a->auth_user = strdup(u)) == NULL)
			die(3, "out of memory");
	} else if (a->auth_pass != NULL) {
		die(2, "MACHTTP_PASSWORD is set but not MACHTTP_USER");
	}
}

static void
wipe(char *s)
{
	if (s != NULL) {
		ms_explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* ADDR:PORT, [ADDR]:PORT, *:PORT or :PORT (every address). */
static int
listen_on(const char *spec, int backlog)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char *host, *port, *copy, h[NI_MAXHOST], p[NI_MAXSERV];
	int fd = -1, one = 1, rc;

	if ((copy = strdup(spec)) == NULL)
		die(3, "out of memory");
	if (copy[0] == '[') {
		host = copy + 1;
		if ((port = strchr(host, ']')) == NULL || port[1] != ':')
			die(2, "listen address %s: expected [ADDR]:PORT", spec);
		*port = '\0';
		port += 2;
	} else {
		host = copy;
		if ((port = strrchr(copy, ':')) == NULL)
			die(2, "listen address %s: expected ADDR:PORT", spec);
		*port++ = '\0';
	}
	if (*host == '\0' || strcmp(host, "*") == 0)
		host = NULL;
	if (*port == '\0')
		die(2, "listen address %s: no port", spec);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		die(2, "listen address %s: %s", spec, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = sys_socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol, 1);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		rc = errno;
		close(fd);
		fd = -1;
		errno = rc;
	}
	freeaddrinfo(res);
	if (fd == -1)
		die(3, "listen on %s:", spec);
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		die(3, "fcntl:");
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p, sizeof(p),
	    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		ms_info("listening on %s%s%s:%s", strchr(h, ':') ? "[" : "", h,
		    strchr(h, ':') ? "]" : "", p);
	free(copy);
	return fd;
}

/* Once bound, a root server becomes USER for good. */
static void
drop_privileges(const char *user)
{
	struct passwd *pw;
	struct ms_err e;

	if (geteuid() != 0)
		return;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		die(2, "-u %s: no such user", user);
	if (pw->pw_uid == 0)
		die(2, "-u %s: will not serve as root", user);
	if (priv_become(pw->pw_uid, pw->pw_gid, 0, &e) == -1)
		die(3, "cannot become %s: %s", user, e.msg);
	if (priv_lockdown(&e) == -1)
		ms_warn("%s", e.msg);
	ms_info("running as %s (uid %lu)", user, (unsigned long)pw->pw_uid);
}

/* Enough descriptors for the connection cap, if the hard limit allows. */
static void
raise_nofile(long long maxconn)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)(maxconn + maxconn / 16 + 64);

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur < want)
		ms_warn("only %llu file descriptors for %lld connections",
		    (unsigned long long)rl.rlim_cur, maxconn);
}

/* The CGI/1.1 answer: a Status line, the header fields, the body. */
static int
cgi_main(struct app *a)
{
	const char *method = getenv("REQUEST_METHOD");
	const char *path = getenv("PATH_INFO");
	const char *cl = getenv("CONTENT_LENGTH");
	struct reqinfo ri;
	struct resp rs;
	long long len = 0;
	const char *es;
	int head;

	memset(&ri, 0, sizeof(ri));
	if (method == NULL || *method == '\0')
		method = "GET";
	ri.meth = strcmp(method, "GET") == 0 ? HTTP_GET :
	    strcmp(method, "HEAD") == 0 ? HTTP_HEAD : HTTP_OTHER;
	head = ri.meth == HTTP_HEAD;
	if (path == NULL || *path == '\0')
		path = "/";
	ri.path = path;
	ri.path_len = strlen(path);
	ri.if_none_match = getenv("HTTP_IF_NONE_MATCH");
	ri.authorization = getenv("HTTP_AUTHORIZATION");
	if (*path != '/' || ri.path_len > HTTP_MAX_HEAD) {
		memset(&rs, 0, sizeof(rs));
		resp_error(&rs, 400, "bad PATH_INFO");
	} else {
		route(a, &ri, &rs);
	}
	if (cl != NULL && *cl != '\0' &&
	    (ms_strtonum(cl, 0, LLONG_MAX, &len, &es) == -1 || len > 0) &&
	    rs.status < 300) {
		resp_error(&rs, 413, "a request body is not accepted here");
		rs.cache = "no-store";
	}
	printf("Status: %d %s\r\n", rs.status, http_reason(rs.status));
	if (rs.ctype != NULL)
		printf("Content-Type: %s\r\nContent-Length: %zu\r\n", rs.ctype,
		    rs.len);
	if (rs.etag[0] != '\0')
		printf("ETag: %s\r\n", rs.etag);
	if (rs.cache != NULL)
		printf("Cache-Control: %s\r\n", rs.cache);
	if (rs.allow != NULL)
		printf("Allow: %s\r\n", rs.allow);
	if (rs.auth != NULL)
		printf("WWW-Authenticate: %s\r\n", rs.auth);
	printf("Content-Security-Policy: default-src 'none'; "
	    "script-src 'self'; style-src 'self'; img-src 'self' data:; "
	    "connect-src 'self'; base-uri 'none'; form-action 'none'; "
	    "frame-ancestors 'none'\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: no-referrer\r\n"
	    "X-Frame-Options: DENY\r\n\r\n");
	if (!head && rs.ctype != NULL && rs.len > 0)
		fwrite(rs.body, 1, rs.len, stdout);
	resp_release(&rs);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct config *cf;
	struct ms_err e = { "" };
	struct opts o;
	struct app a;
	struct sigaction sa;
	int ch, lfd, status;

	log_init(argv[0]);
	memset(&o, 0, sizeof(o));
	memset(&a, 0, sizeof(a));
	if ((cf = config_load(NULL, 0, &e)) == NULL)
		die(2, "%s", e.msg);
	o.listen = config_get_default(cf, "MACHTTP_LISTEN",
	    MACHTTP_LISTEN_DEFAULT);
	o.dir = config_get_default(cf, "MACSCAN_DIR", STATEDIR);
	o.instdir = config_get_default(cf, "MACHTTP_INSTALLERS",
	    SHAREDIR "/installers");
	o.user = "nobody";
	o.maxconn = MACHTTP_MAXCONN_DEFAULT;
	o.header_timeout = MACHTTP_HEADER_TIMEOUT;
	o.idle_timeout = MACHTTP_IDLE_TIMEOUT;
	a.o = &o;
	a.instfd = -1;
	a.base = "";
	a.cache_enabled = 1;
	a.checked_gen = (unsigned long)-1;
	load_thresholds(cf, &a.th);

	/* A CGI script's arguments may be a query's words: ignore them. */
	if (getenv("GATEWAY_INTERFACE") != NULL) {
		const char *sn = getenv("SCRIPT_NAME");

		a.base = sn != NULL ? sn : "";
		a.cache_enabled = 0;
		load_auth(cf, &a);
		a.instfd = open(o.instdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		status = cgi_main(&a);
		goto out;
	}

	while ((ch = getopt(argc, argv, "c:d:hk:l:qs:t:u:v")) != -1) {
		switch (ch) {
		case 'c':
			o.maxconn = num_arg(ch, optarg, 1, 100000,
			    "the connection cap");
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 'h':
			fputs(USAGE, stdout);
			close_stdout();
			return 0;
		case 'k':
			o.idle_timeout = num_arg(ch, optarg, 1, 86400,
			    "the idle timeout");
			break;
		case 'l':
			o.listen = optarg;
			break;
		case 'q':
			ms_verbosity = 0;
			break;
		case 's':
			o.instdir = optarg;
			break;
		case 't':
			o.header_timeout = num_arg(ch, optarg, 1, 3600,
			    "the header timeout");
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'v':
			ms_verbosity++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	load_auth(cf, &a);
	raise_nofile(o.maxconn);
	a.instfd = open(o.instdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a.instfd == -1)
		ms_warn("installers %s: not served:", o.instdir);
	lfd = listen_on(o.listen, 511);
	drop_privileges(o.user);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	/* The store may not exist before the first scan; try it now to
	 * say so early, and again on each request until it does. */
	if ((a.st = store_open(o.dir, STORE_RDONLY, &a.st_err)) == NULL)
		ms_warn("store %s: %s (will retry)", o.dir, a.st_err.msg);
	else
		store_set_warn(a.st, store_warn, NULL);
	status = serve(&a, lfd);
	ms_info("stopped");
out:
	cache_clear(&a.c);
	if (a.st != NULL)
		store_close(a.st);
	if (a.instfd != -1)
		close(a.instfd);
	wipe(a.auth_user);
	wipe(a.auth_pass);
	wipe(a.auth_token);
	config_free(cf);
	close_stdout();
	return status;
}
