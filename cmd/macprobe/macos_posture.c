/*
 * macos_posture.c - parsers of the posture sections of the probe:
 * FileVault, SIP, the signed system volume, Gatekeeper, the application
 * firewall, software updates, XProtect, Time Machine, SMART and MDM
 * enrolment.
 *
 * The rule of every parser here: a field is set only from an answer that
 * says it plainly. An error, a prompt, a masked value, an unknown wording
 * or an answer that contradicts itself sets nothing (unknown), never a
 * guess; a command that says it lacks a permission gives the field's
 * no-access value where the record has one (backup "no_access").
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "macos.h"
#include "macos_text.h"
#include "rfc3339.h"

/* The first line of text that starts with s (after leading blanks). */
static int
line_starting(const char *text, size_t len, const char *s, const char **lp,
    size_t *ln)
{
	const char *cur = text, *end = text + len;

	while (next_line(&cur, end, lp, ln)) {
		trim(lp, ln);
		if (starts(*lp, *ln, s))
			return 1;
	}
	return 0;
}

/* A percentage "42", "42.5" or "0.38": its whole part, 0..100. */
static int
pct_whole(const char *p, size_t n, long long *out)
{
	size_t d;

	trim(&p, &n);
	for (d = 0; d < n && is_digit(p[d]); d++)
		;
	if (d < n) {
		size_t f;

		if (p[d] != '.' || d + 1 >= n)
			return -1;
		for (f = d + 1; f < n && is_digit(p[f]); f++)
			;
		if (f != n)
			return -1;
	}
	return num(p, d, 100, out);
}

int
macos_parse_fdesetup(const char *text, size_t len, json_t *rec)
{
	const char *cur, *end, *l, *v;
	size_t n, vn;
	int on = 0, off = 0, deferred = 0, c = 0;
	const char *state = NULL;
	long long pct = -1, x;

	GUARD(text, len);
	cur = text;
	end = text + len;
	while (next_line(&cur, end, &l, &n)) {
		trim(&l, &n);
		if (eq(l, n, "FileVault is On."))
			on = 1;
		else if (eq(l, n, "FileVault is Off."))
			off = 1;
		else if (starts(l, n, "FileVault is Off, but will be enabled"))
			off = deferred = 1;
		else if (starts(l, n, "Deferred enablement appears to be "
		    "active"))
			deferred = 1;
		else if (starts(l, n, "Encryption in progress:") ||
		    starts(l, n, "Decryption in progress:")) {
			state = l[0] == 'E' ? "encrypting" : "decrypting";
			v = l + 23;
			vn = n - 23;
			trim(&v, &vn);
			/* "Percent completed = 42.5", or "Pending". */
			if (starts(v, vn, "Percent completed =") &&
			    pct_whole(v + 19, vn - 19, &x) == 0)
				pct = x;
		}
	}
	if (on && off)
		return 0;
	if (state == NULL) {
		if (on)
			state = "on";
		else if (off)
			state = deferred ? "deferred" : "off";
		else if (deferred)
			state = "deferred";
		else
			return 0;
	}
	count(&c, set_str(rec, "filevault", state, strlen(state)));
	if (pct >= 0 && (state[0] == 'e' || state[0] == 'd') &&
	    strcmp(state, "deferred") != 0)
		count(&c, set_int(rec, "filevault_percent", pct));
	return c;
}

int
macos_parse_csrutil(const char *text, size_t len, json_t *rec)
{
	const char *l, *v;
	size_t n, vn;
	const char *key = "System Integrity Protection status:";

	GUARD(text, len);
	if (!line_starting(text, len, key, &l, &n))
		return 0;
	v = l + strlen(key);
	vn = n - strlen(key);
	trim(&v, &vn);
	if (eq(v, vn, "enabled."))
		return set_str(rec, "sip", "enabled", 7);
	if (eq(v, vn, "disabled."))
		return set_str(rec, "sip", "disabled", 8);
	/* "unknown (Custom Configuration).", and 10.11's misleading
	 * "enabled (Custom Configuration)." for the same thing. */
	if (find(v, vn, "(Custom Configuration)") != NULL)
		return set_str(rec, "sip", "custom", 6);
	return 0;
}

int
macos_parse_authroot(const char *text, size_t len, json_t *rec)
{
	const char *l, *v;
	size_t n, vn;
	const char *key = "Authenticated Root status:";

	GUARD(text, len);
	/* Several macOS installations: csrutil asks which one ("Pick a
	 * macOS installation (1..2): ") and gets no answer. */
	if (find(text, len, "Pick a macOS installation") != NULL ||
	    !line_starting(text, len, key, &l, &n))
		return 0;
	v = l + strlen(key);
	vn = n - strlen(key);
	trim(&v, &vn);
	if (eq(v, vn, "enabled"))
		return set_str(rec, "ssv", "enabled", 7);
	if (eq(v, vn, "disabled"))
		return set_str(rec, "ssv", "disabled", 8);
	return 0;
}

int
macos_parse_spctl(const char *text, size_t len, json_t *rec)
{
	const char *cur, *end, *l;
	size_t n;
	int en = 0, dis = 0;

	GUARD(text, len);
	cur = text;
	end = text + len;
	while (next_line(&cur, end, &l, &n)) {
		trim(&l, &n);
		if (eq(l, n, "assessments enabled"))
			en = 1;
		else if (eq(l, n, "assessments disabled"))
			dis = 1;
	}
	if (en == dis)
		return 0;
	return en ? set_str(rec, "gatekeeper", "enabled", 7) :
	    set_str(rec, "gatekeeper", "disabled", 8);
}

int
macos_parse_firewall(const char *text, size_t len, json_t *rec)
{
	static const char *const names[] = { "off", "on", "block_all" };
	const char *l, *q;
	size_t n;
	long long st = -1;
	int words = -1;

	GUARD(text, len);
	if (!line_starting(text, len, "Firewall is ", &l, &n))
		return 0;
	/* The wording: "enabled", "disabled", or since macOS 15 "blocking
	 * all non-essential incoming connections" for block-all. */
	if (starts(l, n, "Firewall is disabled"))
		words = 0;
	else if (starts(l, n, "Firewall is blocking all"))
		words = 2;
	else if (starts(l, n, "Firewall is enabled"))
		words = 1;
	/* "(State = N)": 0 off, 1 on, 2 block all (old wording: "enabled.
	 * (State = 2)"). */
	if ((q = find(l, n, "(State = ")) != NULL) {
		size_t i = (size_t)(q - l) + 9, d;

		for (d = i; d < n && is_digit(l[d]); d++)
			;
		if (d >= n || l[d] != ')' || num(l + i, d - i, 2, &st) == -1)
			return 0;
	}
	if (st == -1) {
		if (words == -1)
			return 0;
		st = words;
	} else if (words == -1 || (words == 0) != (st == 0) ||
	    (words == 2 && st != 2))
		return 0;
	return set_str(rec, "firewall", names[st], strlen(names[st]));
}

/*
 * softwareupdate --list --no-scan: what macOS already knows. Three
 * formats: "* Label: X" then "\tTitle: ..., Action: restart," (10.15 and
 * later); "   * X" then "\tX (version), 1234K [recommended] [restart]"
 * (10.14 and older, "-" for an update that is not recommended); and "No
 * new software available." (on stderr, merged by the probe).
 */
int
macos_parse_softwareupdate(const char *text, size_t len, json_t *rec)
{
	const char *cur, *end, *l;
	size_t n;
	long long pending = 0, restart = 0;
	int listing = 0, none = 0, item = 0, c = 0;

	GUARD(text, len);
	cur = text;
	end = text + len;
	while (next_line(&cur, end, &l, &n)) {
		trim(&l, &n);
		if (eq(l, n, "No new software available.")) {
			none = 1;
			continue;
		}
		if (starts(l, n, "Software Update found the following new or "
		    "updated software:")) {
			listing = 1;
			continue;
		}
		if (!listing)
			continue;
		if (n >= 2 && (l[0] == '*' || l[0] == '-') && is_ws(l[1])) {
			if (pending >= 10000)
				return 0;
			pending++;
			item = 1;
			continue;
		}
		/* The detail line of the item above. */
		if (item && (find(l, n, "Action: restart") != NULL ||
		    find(l, n, "Action: shut down") != NULL ||
		    find(l, n, "[restart]") != NULL ||
		    find(l, n, "[shut down]") != NULL))
			restart++;
		item = 0;
	}
	if (listing && pending > 0) {
		count(&c, set_int(rec, "updates_pending", pending));
		count(&c, set_int(rec, "updates_restart", restart));
	} else if (none && pending == 0) {
		count(&c, set_int(rec, "updates_pending", 0));
		count(&c, set_int(rec, "updates_restart", 0));
	}
	return c;
}

/* "2021-02-23 07:52:51 +0000" as RFC 3339 UTC; -1 when not a date. */
static int
plist_date(const char *v, size_t n, char out[RFC3339_LEN])
{
	long long y, mo, d, h, mi, s, oh, om, t;

	if (n != 25 || v[4] != '-' || v[7] != '-' || v[10] != ' ' ||
	    v[13] != ':' || v[16] != ':' || v[19] != ' ' ||
	    (v[20] != '+' && v[20] != '-') ||
	    num(v, 4, 9999, &y) == -1 || num(v + 5, 2, 12, &mo) == -1 ||
	    num(v + 8, 2, 31, &d) == -1 || num(v + 11, 2, 23, &h) == -1 ||
	    num(v + 14, 2, 59, &mi) == -1 || num(v + 17, 2, 60, &s) == -1 ||
	    num(v + 21, 2, 23, &oh) == -1 || num(v + 23, 2, 59, &om) == -1 ||
	    y < 1970 || mo == 0 || d == 0)
		return -1;
	t = rfc3339_timegm((int)y, (int)mo, (int)d, (int)h, (int)mi, (int)s);
	t -= (v[20] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	if (t < 0 || rfc3339_format((time_t)t, out) == NULL)
		return -1;
	return 0;
}

int
macos_parse_su_prefs(const char *text, size_t len, json_t *rec)
{
	const char *cur, *end, *l, *k, *v;
	size_t n, kn, vn;
	char ts[RFC3339_LEN];

	GUARD(text, len);
	cur = text;
	end = text + len;
	/* `defaults read` prints the old-style plist: top-level keys are
	 * indented by four spaces, `    LastSuccessfulDate = "...";`. */
	while (next_line(&cur, end, &l, &n)) {
		const char *eqs = memchr(l, '=', n);

		if (eqs == NULL)
			continue;
		k = l;
		kn = (size_t)(eqs - l);
		trim(&k, &kn);
		if (!eq(k, kn, "LastSuccessfulDate"))
			continue;
		v = eqs + 1;
		vn = n - (size_t)(v - l);
		trim(&v, &vn);
		if (vn < 3 || v[0] != '"' || v[vn - 1] != ';' ||
		    v[vn - 2] != '"')
			return 0;
		if (plist_date(v + 1, vn - 3, ts) == -1)
			return 0;
		return set_str(rec, "updates_checked_at", ts, strlen(ts));
	}
	return 0;
}

int
macos_parse_xprotect(const char *text, size_t len, json_t *rec)
{
	const char *p;
	size_t n, i;

	GUARD(text, len);
	first_line(text, len, &p, &n);
	/* A version: digits and dots ("2193", "5287", "2.0"). */
	if (n == 0 || n > 32 || !is_digit(p[0]) || p[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!is_digit(p[i]) && (p[i] != '.' || p[i - 1] == '.'))
			return 0;
	return set_str(rec, "xprotect_version", p, n);
}

/*
 * The time stamp of a backup's name, "YYYY-MM-DD-HHMMSS" in the Mac's
 * local time, as the last component of `tmutil latestbackup`'s path
 * (".backup" and ".previous" suffixes of APFS backups dropped). Returns 0
 * and the seconds since the epoch of that local time read as UTC.
 */
static int
backup_stamp(const char *l, size_t n, long long *t)
{
	const char *b;
	long long y, mo, d, h, mi, s;

	while (n > 0 && l[n - 1] == '/')
		n--;
	if (n >= 7 && memcmp(l + n - 7, ".backup", 7) == 0)
		n -= 7;
	else if (n >= 9 && memcmp(l + n - 9, ".previous", 9) == 0)
		n -= 9;
	if (n < 17)
		return -1;
	b = l + n - 17;
	if ((b > l && b[-1] != '/') || b[4] != '-' || b[7] != '-' ||
	    b[10] != '-' || num(b, 4, 9999, &y) == -1 ||
	    num(b + 5, 2, 12, &mo) == -1 || num(b + 8, 2, 31, &d) == -1 ||
	    num(b + 11, 2, 23, &h) == -1 || num(b + 13, 2, 59, &mi) == -1 ||
	    num(b + 15, 2, 60, &s) == -1 || y < 2000 || mo == 0 || d == 0)
		return -1;
	*t = rfc3339_timegm((int)y, (int)mo, (int)d, (int)h, (int)mi, (int)s);
	return 0;
}

int
macos_parse_tmutil(const char *dest, size_t dlen, const char *latest,
    size_t llen, const char *now, size_t nlen, json_t *rec)
{
	const char *l;
	size_t n;
	long long t, nowt;
	int off, c = 0, mounted;
	char ts[RFC3339_LEN];

	GUARD(dest, dlen);
	GUARD(latest, llen);
	/* destinationinfo needs no Full Disk Access: when it says there is
	 * no destination, that is known whatever latestbackup says. */
	if (find(dest, dlen, "No destinations configured") != NULL &&
	    find(dest, dlen, "requires Full Disk Access") == NULL)
		return set_str(rec, "backup", "not_configured", 14);
	/* "tmutil: latestbackup requires Full Disk Access privileges.": the
	 * SSH session may not look, which says nothing about the backups. */
	if (find(latest, llen, "requires Full Disk Access") != NULL ||
	    find(dest, dlen, "requires Full Disk Access") != NULL)
		return set_str(rec, "backup", "no_access", 9);
	if (line_starting(latest, llen, "/", &l, &n) &&
	    backup_stamp(l, n, &t) == 0) {
		count(&c, set_str(rec, "backup", "ok", 2));
		/* Local time to UTC with the Mac's own offset (date +%z). */
		if (macos_parse_now(now, nlen, &nowt, &off) == 0 &&
		    t - off >= 0 &&
		    rfc3339_format((time_t)(t - off), ts) != NULL)
			count(&c, set_str(rec, "backup_last_at", ts,
			    strlen(ts)));
		return c;
	}
	/* No backup of this Mac on a destination that is there to look
	 * at: never. An unmounted destination gives the same words, so
	 * without a mount point nothing is said. */
	mounted = line_starting(dest, dlen, "Mount Point", &l, &n);
	if (mounted && (find(latest, llen, "No machine directory found") !=
	    NULL || find(latest, llen, "No backups found") != NULL))
		return set_str(rec, "backup", "never", 5);
	return 0;
}

int
macos_parse_smart(const char *text, size_t len, json_t *rec)
{
	const char *l, *v;
	size_t n, vn;

	GUARD(text, len);
	if (!line_starting(text, len, "SMART Status:", &l, &n))
		return 0;
	v = l + 13;
	vn = n - 13;
	trim(&v, &vn);
	if (eq(v, vn, "Verified"))
		return set_str(rec, "disk_smart", "verified", 8);
	if (eq(v, vn, "Failing"))
		return set_str(rec, "disk_smart", "failing", 7);
	if (eq(v, vn, "Not Supported"))
		return set_str(rec, "disk_smart", "not_supported", 13);
	return 0;
}

/* "Yes", "Yes (User Approved)", "No": 1, 0, or -1. */
static int
yes_no(const char *v, size_t n)
{
	trim(&v, &n);
	if (eq(v, n, "No"))
		return 0;
	if (eq(v, n, "Yes") || starts(v, n, "Yes ("))
		return 1;
	return -1;
}

int
macos_parse_enrollment(const char *text, size_t len, json_t *rec)
{
	const char *l;
	size_t n;
	int c = 0, dep = -1, mdm = -1;

	GUARD(text, len);
	if (line_starting(text, len, "Enrolled via DEP:", &l, &n))
		dep = yes_no(l + 17, n - 17);
	if (line_starting(text, len, "MDM enrollment:", &l, &n))
		mdm = yes_no(l + 15, n - 15);
	if (dep >= 0)
		count(&c, set_bool(rec, "dep_enrolled", dep));
	if (mdm >= 0)
		count(&c, set_bool(rec, "mdm_enrolled", mdm));
	return c;
}
