/*
 * machttp - serve the store: dashboard, /machines JSON, /metrics,
 * installers. A small HTTP/1.1 server, or a CGI/1.1 script when
 * GATEWAY_INTERFACE is set. It only ever reads the store.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "machttp.h"
#include "priv.h"
#include "settings.h"
#include "sys.h"

#define USAGE "usage: machttp [-Ahqv] [-c maxconn] [-d dir] [-k idle] " \
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

/* The one spelling of a host name or address the Host rule compares:
 * lower case, an address as inet_ntop writes it; NULL if invalid. */
static char *
host_canon(const char *s, size_t n)
{
	struct http_host h;
	unsigned char bin[16];
	char buf[256];
	size_t i;
	int af;

	if (http_host_parse(s, n, &h) == -1 || h.len >= sizeof(buf))
		return NULL;
	for (i = 0; i < h.len; i++)
		buf[i] = (char)(h.name[i] >= 'A' && h.name[i] <= 'Z' ?
		    h.name[i] - 'A' + 'a' : h.name[i]);
	buf[h.len] = '\0';
	if (h.kind != HTTP_HOST_NAME) {
		af = h.kind == HTTP_HOST_IPV6 ? AF_INET6 : AF_INET;
		if (inet_pton(af, buf, bin) != 1 ||
		    inet_ntop(af, bin, buf, sizeof(buf)) == NULL)
			return NULL;
	}
	return ms_strdup(buf);
}

static void
host_add(struct hostrule *hr, const char *s, size_t n, const char *what)
{
	char *c;
	size_t i;

	if ((c = host_canon(s, n)) == NULL)
		die(2, "%s: not a host name or address: %.*s", what, (int)n,
		    s);
	for (i = 0; i < hr->nnames; i++)
		if (strcmp(hr->names[i], c) == 0) {
			free(c);
			return;
		}
	if (hr->nnames == sizeof(hr->names) / sizeof(hr->names[0]))
		die(2, "%s: more than %d names", what, MACHTTP_MAX_HOSTS);
	hr->names[hr->nnames++] = c;
}

/* MACHTTP_HOSTS: names (or addresses), comma-separated, no port;
 * blanks around each are ignored. */
static void
load_hosts(const struct config *cf, struct hostrule *hr)
{
	const char *s = setting_str(cf, "MACHTTP_HOSTS"), *p;
	size_t n, k;

	for (p = s != NULL ? s : ""; *p != '\0'; p += n) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, ",");
		for (k = n; k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t');)
			k--;
		if (k == 0)
			continue;
		if (p[0] != '[' && memchr(p, ':', k) != NULL)
			die(2, "MACHTTP_HOSTS: a name without port: %.*s",
			    (int)k, p);
		host_add(hr, p, k, "MACHTTP_HOSTS");
	}
}

static int
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
	const unsigned char *b;

	if (ss->ss_family == AF_INET)
		return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
		return 1;
	b = a6->sin6_addr.s6_addr;
	return IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr) && b[12] == 127;
}

static int
is_wildcard(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return a4->sin_addr.s_addr == htonl(INADDR_ANY);
	return ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
}

/*
 * What the socket listens on decides two things: beyond loopback, no
 * authentication is refused unless allowed (-A, MACHTTP_ALLOW_OPEN);
 * and without authentication, the Host values served (the Host rule of
 * route.c): localhost, the address as given and as bound, the names of
 * MACHTTP_HOSTS, and any address when listening on every address.
 */
static void
setup_listen(const struct config *cf, struct app *a, int lfd)
{
	struct hostrule *hr = &a->hosts;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *l = a->o->listen, *end;
	struct http_host h;
	int auth = a->auth_user != NULL || a->auth_token != NULL;

	if (getsockname(lfd, (struct sockaddr *)&ss, &sl) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sl, hr->addr,
	    sizeof(hr->addr), NULL, 0, NI_NUMERICHOST) != 0)
		die(3, "listen on %s: cannot read the address bound:", l);
	hr->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	if (!is_loopback(&ss) && !auth && !a->o->allow_open)
		die(2, "listen address %s (%s) is beyond loopback and no "
		    "authentication is set: set MACHTTP_USER and "
		    "MACHTTP_PASSWORD or MACHTTP_TOKEN, or allow it with -A "
		    "or MACHTTP_ALLOW_OPEN=yes", l, hr->addr);
	hr->enforce = !auth;
	hr->any_ip = is_wildcard(&ss);
	host_add(hr, "localhost", 9, "localhost");
	if (!hr->any_ip)
		host_add(hr, hr->addr, strlen(hr->addr), "listen address");
	/* The listen address as written: a name such as mac.lan:8000. */
	end = l[0] == '[' ? strchr(l, ']') : strrchr(l, ':');
	if (end != NULL && l[0] == '[')
		end++;
	if (end != NULL && end > l &&
	    http_host_parse(l, (size_t)(end - l), &h) == 0)
		host_add(hr, l, (size_t)(end - l), "listen address");
	load_hosts(cf, hr);
}

/*
 * In CGI mode the web server chooses which names reach the script (its
 * virtual hosts). Without authentication, MACHTTP_HOSTS, when set, is
 * checked against HTTP_HOST as well (with localhost and any address).
 */
static void
setup_cgi_hosts(const struct config *cf, struct app *a)
{
	struct hostrule *hr = &a->hosts;

	hr->port = -1;
	hr->any_ip = 1;
	load_hosts(cf, hr);
	hr->enforce = hr->nnames > 0 && a->auth_user == NULL &&
	    a->auth_token == NULL;
	host_add(hr, "localhost", 9, "localhost");
}

static char *
secret(const struct config *cf, const char *key)
{
	struct ms_err e = { "" };
	char *s = setting_secret(cf, key, &e);

	if (s == NULL && e.msg[0] != '\0')
		die(2, "%s", e.msg);
	return s;
}

static void
load_auth(const struct config *cf, struct app *a)
{
	const char *u = setting_str(cf, "MACHTTP_USER");

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
	if ((ri.host = getenv("HTTP_HOST")) != NULL)
		ri.host_len = strlen(ri.host);
	ri.https = getenv("HTTPS") != NULL &&
	    strcasecmp(getenv("HTTPS"), "on") == 0;
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
	if (rs.disposition != NULL)
		printf("Content-Disposition: %s\r\n", rs.disposition);
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
	if ((cf = settings_load(NULL, 0, &e)) == NULL)
		die(2, "%s", e.msg);
	o.listen = setting_str(cf, "MACHTTP_LISTEN");
	o.dir = setting_str(cf, "MACSCAN_DIR");
	o.instdir = setting_str(cf, "MACHTTP_INSTALLERS");
	o.user = "nobody";
	o.maxconn = MACHTTP_MAXCONN_DEFAULT;
	o.header_timeout = MACHTTP_HEADER_TIMEOUT;
	o.idle_timeout = MACHTTP_IDLE_TIMEOUT;
	a.o = &o;
	a.instfd = -1;
	a.base = "";
	a.cache_enabled = 1;
	a.checked_gen = (unsigned long)-1;
	a.hosts.port = -1;
	thresholds_load(cf, &a.th);
	o.allow_open = setting_bool(cf, "MACHTTP_ALLOW_OPEN");

	/* A CGI script's arguments may be a query's words: ignore them. */
	if (getenv("GATEWAY_INTERFACE") != NULL) {
		const char *sn = getenv("SCRIPT_NAME");

		a.base = sn != NULL ? sn : "";
		a.cache_enabled = 0;
		load_auth(cf, &a);
		setup_cgi_hosts(cf, &a);
		a.instfd = open(o.instdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		status = cgi_main(&a);
		goto out;
	}

	while ((ch = getopt(argc, argv, "Ac:d:hk:l:qs:t:u:v")) != -1) {
		switch (ch) {
		case 'A':
			o.allow_open = 1;
			break;
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
	setup_listen(cf, &a, lfd);
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
	inst_clear(&a);
	for (size_t i = 0; i < a.hosts.nnames; i++)
		free(a.hosts.names[i]);
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
