/*
 * macos.c - the probe's output as a whole: its sections, which of them
 * are incomplete, and the record made of them (macos_parse_probe). The
 * parsers of each command are in macos_system.c, macos_power.c,
 * macos_posture.c and macos_ident.c.
 *
 * The output is remote and untrusted: every function here reads it with
 * explicit bounds, in one pass, and never assumes a NUL terminator.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "macos.h"
#include "macos_text.h"

#define MARK_PREFIX "@@macscan:"
#define NONCE_MAX 64
#define SECNAME_MAX 32

/* A section whose command may be missing on a supported macOS without
 * anything being wrong (csrutil before 10.11). */
#define SF_OPTIONAL 1

/* The sections macos_parse_probe reads, in the probe's order. */
enum sec {
	S_PROBE, S_UNAME, S_HOSTNAME, S_COMPUTER_NAME, S_SYSCTL, S_NOW,
	S_SW_VERS, S_PMSET, S_IOREG, S_SYSTEM_PROFILER, S_DF,
	S_DISK_AVAILABLE, S_CONSOLE_USER, S_PLATFORM, S_PORTS, S_FILEVAULT,
	S_SIP, S_SSV, S_GATEKEEPER, S_FIREWALL, S_UPDATES, S_UPDATES_PREFS,
	S_XPROTECT, S_TM_DESTINATIONS, S_TM_LATEST, S_SMART, S_ENROLLMENT,
	S_END, S_COUNT
};

static const struct {
	const char *name;
	unsigned flags;
} sections[S_COUNT] = {
	{ "probe", 0 }, { "uname", 0 }, { "hostname", 0 },
	{ "computer_name", 0 }, { "sysctl", 0 }, { "now", 0 },
	{ "sw_vers", 0 }, { "pmset", 0 }, { "ioreg", 0 },
	{ "system_profiler", 0 }, { "df", 0 }, { "disk_available", 0 },
	{ "console_user", 0 }, { "platform", 0 }, { "ports", 0 },
	{ "filevault", 0 }, { "sip", SF_OPTIONAL },
	{ "ssv", SF_OPTIONAL }, { "gatekeeper", 0 }, { "firewall", 0 },
	{ "updates", 0 }, { "updates_prefs", 0 }, { "xprotect", 0 },
	{ "tm_destinations", 0 }, { "tm_latest", 0 }, { "smart", 0 },
	{ "enrollment", 0 }, { "end", 0 }
};

/* What a section's closing marker says (see macos.h). */
#define EXIT_MISSING (-1)
#define EXIT_KILL 137		/* 128 + SIGKILL: the time bound */
#define EXIT_XFSZ 153		/* 128 + SIGXFSZ: the size cap */

struct span {
	const char *p;
	size_t n;
	int found;		/* its opening marker was seen */
	int closed;		/* and its closing marker */
	int exit_;		/* exit status, or EXIT_MISSING */
	long long cap;		/* bytes, from the closing marker */
};

/*
 * Markers.
 */

/*
 * A marker line: 1 and its nonce and name, and for a closing marker
 * (NAME:EXIT:CAP) *exit_ and *cap, with *closing set; else 0.
 */
static int
marker(const char *l, size_t n, const char **nonce, size_t *nn,
    const char **name, size_t *mn, int *closing, int *exit_, long long *cap)
{
	size_t i, k = sizeof(MARK_PREFIX) - 1, j;
	long long v;

	if (n < k + 5 || memcmp(l, MARK_PREFIX, k) != 0 ||
	    l[n - 1] != '@' || l[n - 2] != '@')
		return 0;
	n -= 2;
	*nonce = l + k;
	for (i = k; i < n && is_nonce_char(l[i]); i++)
		;
	*nn = i - k;
	if (*nn == 0 || *nn > NONCE_MAX || i >= n || l[i] != ':')
		return 0;
	*name = l + i + 1;
	for (i++; i < n && ((l[i] >= 'a' && l[i] <= 'z') || l[i] == '_'); i++)
		;
	*mn = (size_t)(l + i - *name);
	if (*mn == 0 || *mn > SECNAME_MAX)
		return 0;
	*closing = 0;
	if (i == n)
		return 1;
	/* ":EXIT:CAP", EXIT a status 0..255 or "-" (command missing). */
	if (l[i] != ':')
		return 0;
	for (j = ++i; j < n && l[j] != ':'; j++)
		;
	if (j >= n)
		return 0;
	if (j - i == 1 && l[i] == '-')
		*exit_ = EXIT_MISSING;
	else if (num(l + i, j - i, 255, &v) == 0)
		*exit_ = (int)v;
	else
		return 0;
	if (num(l + j + 1, n - j - 1, 1LL << 40, &v) == -1)
		return 0;
	*cap = v;
	*closing = 1;
	return 1;
}

/*
 * One pass over the output: for each name of names[] the text of its first
 * section, and what its closing marker says. Returns 0, or -1 when there
 * is no marker at all.
 */
static int
split(const char *out, size_t len, const char *const *names, size_t count_,
    struct span *spans)
{
	const char *cur = out, *end = out + len, *l, *nonce = NULL;
	const char *name, *nc;
	size_t n, nn = 0, mn, cn;
	struct span *open = NULL;
	int closing, ex;
	long long cap;
	size_t i;

	for (i = 0; i < count_; i++) {
		spans[i].p = "";
		spans[i].n = 0;
		spans[i].found = spans[i].closed = 0;
		spans[i].exit_ = 0;
		spans[i].cap = 0;
	}
	while (next_line(&cur, end, &l, &n)) {
		/* A line that is no marker of this run, or a closing marker
		 * of another section than the open one, is text. */
		if (!marker(l, n, &nc, &cn, &name, &mn, &closing, &ex, &cap) ||
		    (nonce != NULL && (cn != nn || memcmp(nc, nonce, nn) != 0)) ||
		    (closing && (nonce == NULL || open == NULL ||
		    !eq(name, mn, names[open - spans])))) {
			if (open != NULL)
				open->n = (size_t)(cur - open->p);
			continue;
		}
		if (nonce == NULL) {
			nonce = nc;
			nn = cn;
		}
		if (closing) {
			open->closed = 1;
			open->exit_ = ex;
			open->cap = cap;
			/* The newline the probe writes before it. */
			if (open->n > 0 && open->p[open->n - 1] == '\n')
				open->n--;
			open = NULL;
			continue;
		}
		open = NULL;
		for (i = 0; i < count_; i++) {
			if (!spans[i].found && eq(name, mn, names[i])) {
				spans[i].found = 1;
				spans[i].p = cur;
				spans[i].n = 0;
				open = &spans[i];
				break;
			}
		}
	}
	return nonce == NULL ? -1 : 0;
}

int
macos_section(const char *out, size_t len, const char *name,
    const char **text, size_t *tlen)
{
	struct span s;
	const char *names[1];

	GUARD(out, len);
	names[0] = name;
	if (split(out, len, names, 1, &s) == -1)
		return -1;
	if (!s.found)
		return 0;
	*text = s.p;
	*tlen = s.n;
	return 1;
}

/*
 * Completeness.
 */

/* Why section s is incomplete, or NULL when it is whole (see macos.h). */
static const char *
why_incomplete(const struct span *s, unsigned flags, int ended)
{
	if (!s->found)
		return ended ? NULL : "absent";
	if (!s->closed)
		return "unfinished";
	if (s->exit_ == EXIT_MISSING)
		return (flags & SF_OPTIONAL) ? NULL : "missing";
	if (s->exit_ == EXIT_KILL)
		return "timeout";
	if (s->exit_ == EXIT_XFSZ || (s->cap > 0 && (long long)s->n >= s->cap))
		return "cut";
	return NULL;
}

/* The text a parser may read: a whole section's, else none. */
#define TXT(x) (ok[x] ? s[x].p : ""), (ok[x] ? s[x].n : 0)

int
macos_parse_probe(const char *out, size_t len, json_t *rec, struct ms_err *e)
{
	const char *names[S_COUNT];
	struct span s[S_COUNT];
	const char *why[S_COUNT];
	int ok[S_COUNT];
	char detail[160];
	json_t *inc = NULL;
	int c = 0, u, ended, full = 0;
	size_t i, dn = 0;

	if (out == NULL || rec == NULL)
		return ms_err_set(e, "no probe output");
	for (i = 0; i < S_COUNT; i++)
		names[i] = sections[i].name;
	if (split(out, len, names, S_COUNT, s) == -1)
		return ms_err_set(e, "no probe marker in %zu bytes of output",
		    len);
	ended = s[S_END].found;
	for (i = 0; i < S_COUNT; i++) {
		why[i] = i == S_PROBE || i == S_END ? NULL :
		    why_incomplete(&s[i], sections[i].flags, ended);
		ok[i] = s[i].found && why[i] == NULL &&
		    s[i].exit_ != EXIT_MISSING;
	}

	u = ok[S_UNAME] ? macos_parse_uname(TXT(S_UNAME), rec) : -1;
	if (u == 0) {
		if (record_set_str(rec, "probe", "not_macos") == -1)
			return ms_err_set(e, "out of memory");
		return 1;
	}
	count(&c, u == -1 ? 0 : u);

	count(&c, macos_parse_line(TXT(S_HOSTNAME), rec, "hostname"));
	count(&c, macos_parse_line(TXT(S_COMPUTER_NAME), rec,
	    "computer_name"));
	count(&c, macos_parse_sysctl(TXT(S_SYSCTL), TXT(S_NOW), rec));
	count(&c, macos_parse_sw_vers(TXT(S_SW_VERS), rec));
	/* pmset first: it is the better source of battery_present and
	 * ac_power; ioreg next: the source of cycles and health. */
	count(&c, macos_parse_pmset(TXT(S_PMSET), rec));
	count(&c, macos_parse_ioreg_battery(TXT(S_IOREG), rec));
	count(&c, macos_parse_hardware(TXT(S_SYSTEM_PROFILER), rec));
	count(&c, macos_parse_power(TXT(S_SYSTEM_PROFILER), rec));
	/* The sysctl brand string names the CPU when system_profiler did
	 * not answer. */
	if (!has(rec, "chip"))
		count(&c, macos_parse_sysctl_chip(TXT(S_SYSCTL), rec));
	count(&c, macos_parse_df(TXT(S_DF), rec));
	count(&c, macos_parse_available(TXT(S_DISK_AVAILABLE), rec));
	count(&c, macos_parse_console_user(TXT(S_CONSOLE_USER), rec));
	count(&c, macos_parse_platform(TXT(S_PLATFORM), rec));
	count(&c, macos_parse_ports(TXT(S_PORTS), rec));
	count(&c, macos_parse_fdesetup(TXT(S_FILEVAULT), rec));
	count(&c, macos_parse_csrutil(TXT(S_SIP), rec));
	count(&c, macos_parse_authroot(TXT(S_SSV), rec));
	count(&c, macos_parse_spctl(TXT(S_GATEKEEPER), rec));
	count(&c, macos_parse_firewall(TXT(S_FIREWALL), rec));
	count(&c, macos_parse_softwareupdate(TXT(S_UPDATES), rec));
	count(&c, macos_parse_su_prefs(TXT(S_UPDATES_PREFS), rec));
	count(&c, macos_parse_xprotect(TXT(S_XPROTECT), rec));
	count(&c, macos_parse_tmutil(TXT(S_TM_DESTINATIONS),
	    TXT(S_TM_LATEST), TXT(S_NOW), rec));
	count(&c, macos_parse_smart(TXT(S_SMART), rec));
	count(&c, macos_parse_enrollment(TXT(S_ENROLLMENT), rec));
	if (c == -1)
		return ms_err_set(e, "out of memory");

	/* The sections that are not whole, in the probe's order. */
	detail[0] = '\0';
	for (i = 0; i < S_COUNT; i++) {
		if (why[i] == NULL)
			continue;
		if (inc == NULL && (inc = json_array()) == NULL)
			return ms_err_set(e, "out of memory");
		if (json_array_append_new(inc, json_string(names[i])) == -1) {
			json_decref(inc);
			return ms_err_set(e, "out of memory");
		}
		/* Whole items only; "..." once the line is full. */
		if (!full) {
			size_t w = strlen(names[i]) + strlen(why[i]) + 3;

			if (dn + w < sizeof(detail) - 5)
				dn += (size_t)snprintf(detail + dn,
				    sizeof(detail) - dn, "%s%s %s",
				    dn > 0 ? ", " : "", names[i], why[i]);
			else {
				dn += (size_t)snprintf(detail + dn,
				    sizeof(detail) - dn, ", ...");
				full = 1;
			}
		}
	}
	/* A host that gave nothing of macOS: no record can say it is ok. */
	if (c == 0) {
		json_decref(inc);
		return ms_err_set(e, "no recognisable macOS section%s%s",
		    detail[0] != '\0' ? ": " : "", detail);
	}
	if (inc != NULL && json_object_set_new(rec, "probe_incomplete",
	    inc) == -1)
		return ms_err_set(e, "out of memory");
	return 0;
}
