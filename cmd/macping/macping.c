/*
 * macping - sweep IPv4 subnets and print the live hosts: ICMP echo, TCP
 * connect (port 22: Macs in stealth mode ignore ping but answer SSH) and
 * the kernel's neighbour table, with each host's MAC address and vendor.
 *
 * Order of work: options; the files named on the command line and the
 * sockets that need privileges are opened; every privilege is dropped;
 * then the targets are read and checked (a bad one stops the run before
 * anything is sent), names are resolved, and the sweep runs.
 *
 * Exit status (lib/exitcode.h): 0 some live host printed, 1 none, 2 a
 * usage error (options, targets, a method this system cannot give),
 * 3 a system failure (memory, the sweep, a read or write error).
 *
 * Built portably, this file needs one BSD interface beyond POSIX:
 * getifaddrs(3) and its IFF_* flags (every system macscan runs on has
 * them).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "macping.h"
#include "priv.h"
#include "record.h"
#include "stream.h"
#include "target.h"
#include "util.h"

#define DEFAULT_RATE	2000	/* packets per second */
#define DEFAULT_TIMEOUT	500	/* ms */
#define DEFAULT_RETRIES	1

struct out {
	const struct opts *o;
	struct oui *oui;
	long printed;
};

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: %s [-aFhjqv] [-f file] [-m methods] [-p ports] "
	    "[-R retries]\n"
	    "               [-r rate] [-t timeout] [target ...]\n",
	    ms_progname);
	if (fp == stdout)
		close_stdout();
	exit(status);
}

/* A number option through the bounded parser, OpenBSD style messages:
 * "macping: -t: timeout is too large: 99999999". */
static long long
num(int flag, const char *what, const char *s, long long min, long long max)
{
	const char *errstr;
	long long v;

	if (ms_strtonum(s, min, max, &v, &errstr) == -1)
		die(MS_EXIT_USAGE, "-%c: %s is %s: %s", flag, what, errstr, s);
	return v;
}

static unsigned
parse_methods(const char *s)
{
	unsigned m = 0;
	const char *p = s;

	for (;;) {
		size_t n = strcspn(p, ",");
		unsigned bit = 0;

		if (n == 4 && strncmp(p, "icmp", 4) == 0)
			bit = M_ICMP;
		else if (n == 3 && strncmp(p, "tcp", 3) == 0)
			bit = M_TCP;
		else if (n == 3 && strncmp(p, "arp", 3) == 0)
			bit = M_ARP;
		else
			die(MS_EXIT_USAGE, "-m: unknown method '%.*s': use icmp, tcp or "
			    "arp, separated by commas", (int)(n > 32 ? 32 : n),
			    p);
		if (m & bit)
			die(MS_EXIT_USAGE, "-m: method '%.*s' given twice", (int)n, p);
		m |= bit;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	return m;
}

static void
parse_ports(struct opts *o, const char *s)
{
	const char *p = s;
	char tok[16];

	o->nports = 0;
	for (;;) {
		size_t n = strcspn(p, ","), k;
		long long v;

		if (n == 0)
			die(MS_EXIT_USAGE, "-p: empty port in '%.32s'", s);
		if (n >= sizeof(tok))
			die(MS_EXIT_USAGE, "-p: port is invalid: %.*s", (int)(n > 32 ? 32 :
			    n), p);
		memcpy(tok, p, n);
		tok[n] = '\0';
		v = num('p', "port", tok, 1, 65535);
		for (k = 0; k < o->nports; k++)
			if (o->ports[k] == v)
				die(MS_EXIT_USAGE, "-p: port %lld given twice", v);
		if (o->nports == MAXPORTS)
			die(MS_EXIT_USAGE, "-p: more than %d ports", MAXPORTS);
		o->ports[o->nports++] = (uint16_t)v;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
}

/*
 * Open a file with the real user's rights, even in a set-user-ID
 * macping, so the privileges it runs with cannot read other files.
 */
static FILE *
fopen_real(const char *path)
{
	uid_t ruid = getuid(), euid = geteuid();
	gid_t rgid = getgid(), egid = getegid();
	FILE *fp;
	int saved;

	if (ruid == euid && rgid == egid)
		return fopen(path, "re");
	if (setegid(rgid) == -1 || seteuid(ruid) == -1)
		die(MS_EXIT_SYSTEM, "seteuid:");
	fp = fopen(path, "re");
	saved = errno;
	if (seteuid(euid) == -1 || setegid(egid) == -1)
		die(MS_EXIT_SYSTEM, "seteuid:");
	errno = saved;
	return fp;
}

/*
 * Give up every privilege: root (real or effective: sudo, set-user-ID)
 * becomes nobody, capabilities are cleared, and no exec can regain any.
 * The sockets already open keep working.
 */
static void
drop_privileges(void)
{
	struct ms_err e;
	int r;

	if (getuid() == 0 || geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");
		uid_t uid = pw != NULL ? pw->pw_uid : 65534;
		gid_t gid = pw != NULL ? pw->pw_gid : 65534;

		if ((r = priv_become(uid, gid, PRIV_MAY_KEEP, &e)) == -1)
			die(MS_EXIT_SYSTEM, "%s", e.msg);
		if (r == EINVAL)
			ms_debug("nobody is not mapped here: keeping uid %u "
			    "without capabilities", (unsigned)getuid());
		else if (r != 0)
			ms_warn("cannot become nobody (no CAP_SETUID): keeping "
			    "uid %u without capabilities", (unsigned)getuid());
	}
	if (priv_lockdown(&e) == -1)
		die(MS_EXIT_SYSTEM, "%s", e.msg);
	ms_debug("privileges dropped: uid %u, gid %u", (unsigned)getuid(),
	    (unsigned)getgid());
}

/*
 * A block of addresses as a sweep sees it: an aligned block of 4 or more
 * (a CIDR network) loses its network and broadcast addresses, as with
 * fping -g; nobody answers there, and a broadcast echo is refused.
 */
static void
add_range(struct spans *s, uint32_t first, uint32_t last)
{
	uint64_t size = (uint64_t)last - first + 1;

	if (size >= 4 && (size & (size - 1)) == 0 &&
	    (first & (uint32_t)(size - 1)) == 0) {
		first++;
		last--;
	}
	if (spans_add(s, first, last) == -1)
		die(MS_EXIT_SYSTEM, "out of memory");
}

/* Parse the targets of one line, separated by blanks; -1 if any is bad
 * (each is reported). */
static int
add_line(struct target_list *tl, const char *name, unsigned long lineno,
    const char *line)
{
	char *copy, *tok, *save = NULL;
	struct ms_err e;
	int bad = 0;

	if ((copy = strdup(line)) == NULL)
		die(MS_EXIT_SYSTEM, "out of memory");
	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (tok[0] == '#')
			break;	/* the rest of the line is a comment */
		if (target_list_add(tl, tok, &e) == 0)
			continue;
		ms_error("%s:%lu: %s", name, lineno, e.msg);
		bad = 1;
	}
	free(copy);
	return bad ? -1 : 0;
}

/* A record line: its ip, else its host. */
static int
add_record(struct target_list *tl, const char *name, unsigned long lineno,
    const char *line, size_t len)
{
	struct ms_err e;
	json_t *rec;
	const char *t;
	int r;

	if ((rec = record_parse(line, len, &e)) == NULL) {
		ms_error("%s:%lu: %s", name, lineno, e.msg);
		return -1;
	}
	if ((t = record_str(rec, "ip")) == NULL &&
	    (t = record_str(rec, "host")) == NULL) {
		ms_error("%s:%lu: record has no ip or host", name, lineno);
		json_decref(rec);
		return -1;
	}
	r = target_list_add(tl, t, &e);
	if (r == -1)
		ms_error("%s:%lu: %s", name, lineno, e.msg);
	json_decref(rec);
	return r;
}

/* Every target of fp; the number of bad lines. */
static long
read_targets(struct target_list *tl, FILE *fp, const char *name)
{
	struct stream st;
	struct ms_err e;
	const char *line;
	size_t len;
	long bad = 0;
	int r;

	stream_init(&st, fp, name, 64 * 1024);
	while ((r = stream_line(&st, &line, &len, &e)) != STREAM_EOF) {
		if (r == STREAM_FAIL)
			die(MS_EXIT_SYSTEM, "%s", e.msg);
		if (r == STREAM_BAD) {
			ms_error("%s", e.msg);
			bad++;
			continue;
		}
		if (strlen(line) != len) {
			ms_error("%s:%lu: NUL byte in line", name,
			    st.lineno);
			bad++;
			continue;
		}
		if (line[0] == '{'
		    ? add_record(tl, name, st.lineno, line, len) == -1
		    : add_line(tl, name, st.lineno, line) == -1)
			bad++;
	}
	stream_close(&st);
	return bad;
}

static int
prefix_len(uint32_t mask)
{
	int n = 0;

	while (mask & 0x80000000u) {
		n++;
		mask <<= 1;
	}
	return n;
}

/* The subnets of the up, non-loopback interfaces, named on stderr. */
static void
local_subnets(const struct ifaddrs *ifa, struct spans *s, int force)
{
	const struct ifaddrs *i;
	int any = 0;

	for (i = ifa; i != NULL; i = i->ifa_next) {
		const struct sockaddr_in *a, *m;
		uint32_t addr, mask, net, last;
		uint64_t n;
		char buf[16];
		int plen;

		if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
		    i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) || i->ifa_flags & IFF_LOOPBACK)
			continue;
		a = (const struct sockaddr_in *)(const void *)i->ifa_addr;
		m = (const struct sockaddr_in *)(const void *)i->ifa_netmask;
		addr = ntohl(a->sin_addr.s_addr);
		mask = ntohl(m->sin_addr.s_addr);
		plen = prefix_len(mask);
		if (plen >= 32)
			continue;	/* only ourselves there */
		net = addr & mask;
		last = net | ~mask;
		n = (uint64_t)last - net + 1;
		target_fmt(net, buf);
		if (n > SWEEP_MAX && !force)
			die(MS_EXIT_USAGE, "%s/%d on %s: %llu addresses: more than a /16 "
			    "needs -F", buf, plen, i->ifa_name,
			    (unsigned long long)n);
		ms_warn("sweeping %s/%d on %s", buf, plen, i->ifa_name);
		add_range(s, net, last);
		any = 1;
	}
	if (!any)
		die(MS_EXIT_USAGE, "no targets, and no up, non-loopback IPv4 interface "
		    "to sweep");
}

static int
print_host(const struct found *f, void *arg, struct ms_err *e)
{
	struct out *out = arg;
	const struct opts *o = out->o;
	char ip[16], mac[18], rtt[32];
	const char *vendor = NULL;
	int private = 0;

	target_fmt(f->addr, ip);
	if (f->has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		    f->mac[0], f->mac[1], f->mac[2], f->mac[3], f->mac[4],
		    f->mac[5]);
		/* A locally administered address (random, private Wi-Fi
		 * address) names no vendor. */
		if (f->mac[0] & 0x02)
			private = 1;
		else
			vendor = oui_vendor(out->oui, f->mac);
	}
	if (o->apple_only && !f->ssh &&
	    (vendor == NULL || strcmp(vendor, "Apple") != 0))
		return 0;
	if (f->rtt_ns >= 0)
		snprintf(rtt, sizeof(rtt), "%.2f", (double)f->rtt_ns / 1e6);
	if (o->json) {
		json_t *rec = record_new();
		int r;

		if (rec == NULL || record_set_str(rec, "ip", ip) == -1 ||
		    (f->has_mac && record_set_str(rec, "mac", mac) == -1) ||
		    (vendor != NULL &&
		    record_set_str(rec, "vendor", vendor) == -1) ||
		    (f->rtt_ns >= 0 && record_set_real(rec, "rtt_ms",
		    (double)((f->rtt_ns + 500) / 1000) / 1e3) == -1) ||
		    record_set_str(rec, "seen_by", f->method == M_ICMP ?
		    "icmp" : f->method == M_TCP ? "tcp" : "arp") == -1) {
			json_decref(rec);
			return ms_err_set(e, "out of memory");
		}
		r = stream_write(stdout, rec, e);
		json_decref(rec);
		if (r == -1)
			return -1;
	} else {
		printf("%s\t%s\t%s\t%s\t%s\n", ip, f->has_mac ? mac : "-",
		    private ? "private" : vendor != NULL ? vendor : "-",
		    f->rtt_ns >= 0 ? rtt : "-", f->method == M_ICMP ? "icmp" :
		    f->method == M_TCP ? "tcp" : "arp");
		if (fflush(stdout) == EOF)
			return ms_err_set(e, "write error:");
	}
	out->printed++;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct opts o;
	struct out out;
	struct target_list tl = { NULL, 0, 0 };
	struct spans sp = { NULL, 0, 0 };
	struct neigh nb;
	struct sweep_io io;
	struct target_iter it;
	struct stat st;
	struct ifaddrs *ifa;
	struct nent *local;
	FILE *tf = NULL, *of;
	const char *name, *ouipath;
	uint32_t addr;
	uint64_t count;
	long bad = 0, live;
	int ch, icmp_err = 0, i, read_stdin;
	struct ms_err e;

	log_init(argv[0]);
	memset(&o, 0, sizeof(o));
	o.rate = DEFAULT_RATE;
	o.retries = DEFAULT_RETRIES;
	o.timeout_ns = DEFAULT_TIMEOUT * 1000000LL;
	o.ports[0] = 22;
	o.nports = 1;
	o.methods = M_ICMP | M_TCP | M_ARP;

	while ((ch = getopt(argc, argv, "aFf:hjm:p:qR:r:t:v")) != -1) {
		switch (ch) {
		case 'a':
			o.apple_only = 1;
			break;
		case 'F':
			o.force = 1;
			break;
		case 'f':
			o.file = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'j':
			o.json = 1;
			break;
		case 'm':
			o.methods = parse_methods(optarg);
			o.methods_given = 1;
			break;
		case 'p':
			parse_ports(&o, optarg);
			break;
		case 'q':
			ms_verbosity = 0;
			break;
		case 'R':
			o.retries = (int)num('R', "retries", optarg, 0, 10);
			break;
		case 'r':
			o.rate = (long)num('r', "rate", optarg, 1, 100000);
			break;
		case 't':
			o.timeout_ns = num('t', "timeout", optarg, 1, 60000) *
			    1000000LL;
			break;
		case 'v':
			if (ms_verbosity > 0 && ms_verbosity < 3)
				ms_verbosity++;
			break;
		default:
			usage(stderr, MS_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	o.progress = ms_verbosity >= 1 && isatty(STDERR_FILENO);

	/* What needs the privileges we are about to drop. */
	if (o.file != NULL && strcmp(o.file, "-") != 0 &&
	    (tf = fopen_real(o.file)) == NULL)
		die(MS_EXIT_USAGE, "%s:", o.file);
	if ((ouipath = getenv("MACPING_OUI")) == NULL || *ouipath == '\0')
		ouipath = oui_default_path();
	of = fopen_real(ouipath);
	if (of == NULL)
		ms_info("%s: %s: only Apple's prefixes are known", ouipath,
		    strerror(errno));
	io.icmp_fd = -1;
	io.icmp_kind = ICMP_NONE;
	if (o.methods & M_ICMP) {
		io.icmp_kind = icmp_open(&io.icmp_fd, &icmp_err);
		if (io.icmp_kind == ICMP_NONE) {
			if (o.methods_given)
				die(MS_EXIT_USAGE, "icmp: %s: needs %s; -m "
				    "tcp,arp works without", strerror(icmp_err),
				    icmp_needs());
			ms_info("icmp: %s: sweeping without it",
			    strerror(icmp_err));
			o.methods &= ~(unsigned)M_ICMP;
		}
	}
	if (neigh_open(&nb, &e) == -1) {
		if (o.methods_given && o.methods & M_ARP)
			die(MS_EXIT_USAGE, "arp: %s", e.msg);
		ms_info("%s: MAC addresses unknown", e.msg);
		o.methods &= ~(unsigned)M_ARP;
	}
	drop_privileges();
	ms_info("methods: %s%s%s%s", o.methods & M_ICMP ? (io.icmp_kind ==
	    ICMP_RAW ? "icmp (raw socket) " : "icmp (datagram socket) ") : "",
	    o.methods & M_TCP ? "tcp " : "", o.methods & M_ARP ? "arp" : "",
	    o.methods == 0 ? "none" : "");

	/* The targets: all of them are checked before anything is sent. */
	for (i = 0; i < argc; i++) {
		if (target_list_add(&tl, argv[i], &e) == -1) {
			ms_error("%s", e.msg);
			bad++;
		}
	}
	if (o.file != NULL) {
		if (tf == NULL)
			bad += read_targets(&tl, stdin, "<stdin>");
		else {
			bad += read_targets(&tl, tf, o.file);
			fclose(tf);
		}
	}
	read_stdin = argc == 0 && o.file == NULL &&
	    fstat(STDIN_FILENO, &st) == 0 && !isatty(STDIN_FILENO) &&
	    (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode) ||
	    S_ISSOCK(st.st_mode));
	if (read_stdin)
		bad += read_targets(&tl, stdin, "<stdin>");
	if (bad > 0)
		exit(MS_EXIT_USAGE);
	if (o.methods == 0)
		die(MS_EXIT_USAGE, "no method left to sweep with");

	if (getifaddrs(&ifa) == -1)
		die(MS_EXIT_SYSTEM, "getifaddrs:");
	if (argc == 0 && o.file == NULL && !read_stdin)
		local_subnets(ifa, &sp, o.force);
	else if (tl.n == 0) {
		ms_warn("no targets");
		exit(MS_EXIT_SOME);
	}
	/* Addresses first, names counted as one each: the limit is
	 * checked before any name is looked up. */
	for (i = 0; i < (int)tl.n; i++)
		if (tl.v[i].name == NULL)
			add_range(&sp, tl.v[i].first, tl.v[i].last);
	spans_merge(&sp);
	count = spans_count(&sp);
	for (i = 0; i < (int)tl.n; i++)
		if (tl.v[i].name != NULL)
			count++;
	if (count > SWEEP_MAX && !o.force)
		die(MS_EXIT_USAGE, "%llu addresses to sweep: more than a /16 (%llu) needs "
		    "-F", (unsigned long long)count, SWEEP_MAX);
	target_iter_init(&it, &tl);
	while (target_iter_next(&it, &addr, &name) == 1) {
		struct addrinfo hints, *res;
		int r;

		if (name == NULL)
			continue;
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_INET;
		hints.ai_socktype = SOCK_STREAM;
		if ((r = getaddrinfo(name, NULL, &hints, &res)) != 0) {
			ms_warn("%s: %s", name, r == EAI_SYSTEM ?
			    strerror(errno) : gai_strerror(r));
			continue;
		}
		addr = ntohl(((const struct sockaddr_in *)(const void *)
		    res->ai_addr)->sin_addr.s_addr);
		if (spans_add(&sp, addr, addr) == -1)
			die(MS_EXIT_SYSTEM, "out of memory");
		freeaddrinfo(res);
	}
	target_list_free(&tl);
	spans_merge(&sp);

	if ((out.oui = oui_open(of)) == NULL)
		die(MS_EXIT_SYSTEM, "out of memory");
	out.o = &o;
	out.printed = 0;
	io.neigh = &nb;
	if (neigh_local(ifa, &local, &io.nlocal) == -1)
		die(MS_EXIT_SYSTEM, "out of memory");
	io.local = local;
	freeifaddrs(ifa);
	live = sp.n > 0 ? sweep_run(&o, &sp, &io, print_host, &out, &e) : 0;
	if (live < 0)
		die(MS_EXIT_SYSTEM, "%s", e.msg);
	oui_close(out.oui);
	neigh_close(&nb);
	if (io.icmp_fd != -1)
		close(io.icmp_fd);
	spans_free(&sp);
	free(local);
	if (fflush(stdout) == EOF || ferror(stdout))
		die(MS_EXIT_SYSTEM, "write error:");
	close_stdout();
	return out.printed > 0 ? MS_EXIT_OK : MS_EXIT_SOME;
}
