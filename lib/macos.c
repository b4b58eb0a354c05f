/*
 * macos.c - parsers of what share/probe.sh prints on a Mac.
 *
 * Every function here reads (text, len) with explicit bounds: the text is
 * remote output, may hold NUL bytes, invalid UTF-8 or megabytes on one
 * line, and is never assumed NUL-terminated. Each parser makes a single
 * pass (or a fixed number of passes) over its text.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "macos.h"
#include "record.h"

#define MARK_PREFIX "@@macscan:"
#define NONCE_MAX 64
#define SECNAME_MAX 32

/* Largest sane values, so that no product below can overflow. */
#define MEM_MAX (1LL << 52)		/* 4 PiB of RAM */
#define EPOCH_MAX (1LL << 40)		/* year 36812 */
#define UPTIME_MAX 3200000000LL		/* about 100 years */
#define CAPACITY_MAX 1000000LL		/* mAh or mWh */
#define CYCLES_MAX 100000LL
#define BYTES_MAX (1LL << 62)

/* The sections macos_parse_probe reads, in the probe's order. */
enum sec {
	S_PROBE, S_UNAME, S_HOSTNAME, S_COMPUTER_NAME, S_HW_MODEL,
	S_HW_MEMSIZE, S_BOOTTIME, S_CPU_BRAND, S_NOW, S_SW_VERS, S_PMSET,
	S_IOREG, S_SYSTEM_PROFILER, S_DF, S_DISK_AVAILABLE, S_CONSOLE_USER,
	S_END, S_COUNT
};

static const char *sec_names[S_COUNT] = {
	"probe", "uname", "hostname", "computer_name", "hw_model",
	"hw_memsize", "boottime", "cpu_brand", "now", "sw_vers", "pmset",
	"ioreg", "system_profiler", "df", "disk_available", "console_user",
	"end"
};

struct span {
	const char *p;
	size_t n;
	int found;
};

/* A NULL text is an empty one (and NULL + 0 is not valid C). */
#define GUARD(t, n) do { if ((t) == NULL) { (t) = ""; (n) = 0; } } while (0)

/*
 * Small helpers on (pointer, length) strings.
 */

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\v' || c == '\f';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && is_ws(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_ws((*p)[*n - 1]))
		(*n)--;
}

/* Next line of [*cur, end): 1 and the line without its newline, else 0. */
static int
next_line(const char **cur, const char *end, const char **lp, size_t *ln)
{
	const char *nl;

	if (*cur >= end)
		return 0;
	*lp = *cur;
	nl = memchr(*cur, '\n', (size_t)(end - *cur));
	if (nl == NULL) {
		*ln = (size_t)(end - *cur);
		*cur = end;
	} else {
		*ln = (size_t)(nl - *cur);
		*cur = nl + 1;
	}
	if (*ln > 0 && (*lp)[*ln - 1] == '\r')
		(*ln)--;
	return 1;
}

static int
eq(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n == k && memcmp(p, s, k) == 0;
}

static int
starts(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && memcmp(p, s, k) == 0;
}

/* First occurrence of s in [p, p + n), or NULL. */
static const char *
find(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	const char *end = p + n;

	if (k == 0 || n < k)
		return NULL;
	while ((size_t)(end - p) >= k) {
		const char *q = memchr(p, s[0], (size_t)(end - p) - k + 1);

		if (q == NULL)
			return NULL;
		if (memcmp(q, s, k) == 0)
			return q;
		p = q + 1;
	}
	return NULL;
}

/* A decimal number made of digits only, in [0, max]. */
static int
num(const char *p, size_t n, long long max, long long *out)
{
	char buf[24];
	const char *errstr;
	long long v;
	size_t i;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	for (i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (ms_strtonum(buf, 0, max, &v, &errstr) == -1)
		return -1;
	*out = v;
	return 0;
}

/* The first line of text, trimmed. */
static void
first_line(const char *text, size_t len, const char **p, size_t *n)
{
	const char *cur, *end;

	GUARD(text, len);
	cur = text;
	end = text + len;
	*p = text;
	*n = 0;
	/* Skip blank lines: a command may start with one. */
	while (next_line(&cur, end, p, n)) {
		trim(p, n);
		if (*n > 0)
			return;
	}
	*n = 0;
}

/* A value we keep: 1..MACOS_STR_MAX bytes, no control character. */
static int
good_str(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > MACOS_STR_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* Set a string field: 1 when set, 0 when the value is not kept, -1. */
static int
set_str(json_t *rec, const char *key, const char *p, size_t n)
{
	trim(&p, &n);
	if (!good_str(p, n))
		return 0;
	return record_set_strn(rec, key, p, n) == -1 ? -1 : 1;
}

static int
set_int(json_t *rec, const char *key, long long v)
{
	return record_set_int(rec, key, v) == -1 ? -1 : 1;
}

static int
set_bool(json_t *rec, const char *key, int v)
{
	return record_set_bool(rec, key, v) == -1 ? -1 : 1;
}

static int
has(const json_t *rec, const char *key)
{
	return json_object_get(rec, key) != NULL;
}

/* Add r (a setter's result) to the count *n; -1 sticks. */
static void
count(int *n, int r)
{
	if (*n == -1 || r == -1)
		*n = -1;
	else
		*n += r;
}

/* Split "  Key: value" at its first colon; both trimmed. */
static int
kv(const char *l, size_t n, const char **k, size_t *kn, const char **v,
    size_t *vn)
{
	const char *c = memchr(l, ':', n);

	if (c == NULL)
		return 0;
	*k = l;
	*kn = (size_t)(c - l);
	trim(k, kn);
	*v = c + 1;
	*vn = n - (size_t)(c - l) - 1;
	trim(v, vn);
	return 1;
}

/*
 * Sections.
 */

static int
is_nonce_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A marker line: 1 and its nonce and name, else 0. */
static int
marker(const char *l, size_t n, const char **nonce, size_t *nn,
    const char **name, size_t *mn)
{
	size_t i, k = sizeof(MARK_PREFIX) - 1;

	if (n < k + 5 || memcmp(l, MARK_PREFIX, k) != 0 ||
	    l[n - 1] != '@' || l[n - 2] != '@')
		return 0;
	*nonce = l + k;
	for (i = k; i < n - 2 && is_nonce_char(l[i]); i++)
		;
	*nn = i - k;
	if (*nn == 0 || *nn > NONCE_MAX || i >= n - 2 || l[i] != ':')
		return 0;
	*name = l + i + 1;
	for (i++; i < n - 2; i++)
		if (!((l[i] >= 'a' && l[i] <= 'z') || l[i] == '_'))
			return 0;
	*mn = (size_t)(l + n - 2 - *name);
	return *mn > 0 && *mn <= SECNAME_MAX;
}

/*
 * One pass over the output: for each name of names[] the text of its first
 * section. Returns 0, or -1 when there is no marker at all.
 */
static int
split(const char *out, size_t len, const char **names, size_t count_,
    struct span *spans)
{
	const char *cur = out, *end = out + len, *l, *nonce = NULL;
	const char *name, *nc;
	size_t n, nn = 0, mn, cn;
	struct span *open = NULL;
	size_t i;

	for (i = 0; i < count_; i++) {
		spans[i].p = "";
		spans[i].n = 0;
		spans[i].found = 0;
	}
	while (next_line(&cur, end, &l, &n)) {
		if (!marker(l, n, &nc, &cn, &name, &mn) ||
		    (nonce != NULL && (cn != nn || memcmp(nc, nonce, nn) != 0))) {
			if (open != NULL)
				open->n = (size_t)(cur - open->p);
			continue;
		}
		if (nonce == NULL) {
			nonce = nc;
			nn = cn;
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
 * One parser per command.
 */

int
macos_parse_uname(const char *text, size_t len, json_t *rec)
{
	const char *p, *sys, *m;
	size_t n, sn, mlen, i;

	GUARD(text, len);

	first_line(text, len, &p, &n);
	sys = p;
	for (sn = 0; sn < n && !is_ws(p[sn]); sn++)
		;
	if (sn == 0 || sn > 64)
		return -1;
	for (i = 0; i < sn; i++)
		if (!is_nonce_char(sys[i]) && sys[i] != '_' && sys[i] != '-')
			return -1;
	if (!eq(sys, sn, "Darwin"))
		return 0;
	m = sys + sn;
	mlen = n - sn;
	trim(&m, &mlen);
	for (i = 0; i < mlen; i++)
		if (!is_nonce_char(m[i]) && m[i] != '_')
			break;
	if (i == mlen && mlen > 0 && mlen <= 32 &&
	    record_set_strn(rec, "arch", m, mlen) == -1)
		return -1;
	return 1;
}

int
macos_parse_line(const char *text, size_t len, json_t *rec, const char *key)
{
	const char *p;
	size_t n;

	GUARD(text, len);

	first_line(text, len, &p, &n);
	return set_str(rec, key, p, n);
}

int
macos_parse_memsize(const char *text, size_t len, json_t *rec)
{
	const char *p;
	size_t n;
	long long v;

	GUARD(text, len);

	first_line(text, len, &p, &n);
	if (num(p, n, MEM_MAX, &v) == -1 || v == 0)
		return 0;
	return set_int(rec, "memory_bytes", v);
}

int
macos_parse_boottime(const char *text, size_t len, long long *sec)
{
	const char *p;
	size_t n, i = 0, d;
	long long v;

	GUARD(text, len);

	first_line(text, len, &p, &n);
	if (n == 0 || p[0] != '{')
		return -1;
	for (i = 1; i < n && is_ws(p[i]); i++)
		;
	if (n - i < 3 || memcmp(p + i, "sec", 3) != 0)
		return -1;
	for (i += 3; i < n && is_ws(p[i]); i++)
		;
	if (i >= n || p[i] != '=')
		return -1;
	for (i++; i < n && is_ws(p[i]); i++)
		;
	for (d = i; d < n && is_digit(p[d]); d++)
		;
	if (num(p + i, d - i, EPOCH_MAX, &v) == -1 || v == 0)
		return -1;
	*sec = v;
	return 0;
}

int
macos_parse_uptime(const char *boottime, size_t blen, const char *now,
    size_t nlen, json_t *rec)
{
	const char *p;
	size_t n;
	long long boot, t;

	if (macos_parse_boottime(boottime, blen, &boot) == -1)
		return 0;
	first_line(now, nlen, &p, &n);
	if (num(p, n, EPOCH_MAX, &t) == -1 || t < boot ||
	    t - boot > UPTIME_MAX)
		return 0;
	return set_int(rec, "uptime_s", t - boot);
}

int
macos_parse_sw_vers(const char *text, size_t len, json_t *rec)
{
	const char *cur, *end, *l, *k, *v;
	size_t n, kn, vn;
	int c = 0;

	GUARD(text, len);
	cur = text;
	end = text + len;
	/*
	 * ProductVersionExtra (a Rapid Security Response, "(a)") is left
	 * out: os_version stays a plain version that can be compared.
	 */
	while (next_line(&cur, end, &l, &n) && c != -1) {
		if (!kv(l, n, &k, &kn, &v, &vn))
			continue;
		if (eq(k, kn, "ProductName") && !has(rec, "os_name"))
			count(&c, set_str(rec, "os_name", v, vn));
		else if (eq(k, kn, "ProductVersion") && !has(rec, "os_version"))
			count(&c, set_str(rec, "os_version", v, vn));
		else if (eq(k, kn, "BuildVersion") && !has(rec, "os_build"))
			count(&c, set_str(rec, "os_build", v, vn));
	}
	return c;
}

/*
 * system_profiler prints one top-level block per data type ("Hardware:",
 * "Power:"), each a line with no indentation. The block named hdr, or the
 * whole text when it has no such headers.
 */
static void
sp_block(const char *text, size_t len, const char *hdr, const char **bp,
    size_t *bn)
{
	const char *cur = text, *end = text + len, *l, *h;
	size_t n, hn;
	int headers = 0;

	*bp = NULL;
	*bn = 0;
	while (next_line(&cur, end, &l, &n)) {
		h = l;
		hn = n;
		trim(&h, &hn);
		if (hn == 0 || is_ws(l[0]) || h[hn - 1] != ':')
			continue;
		headers = 1;
		if (*bp != NULL) {
			*bn = (size_t)(l - *bp);
			return;
		}
		if (hn == strlen(hdr) + 1 && memcmp(h, hdr, hn - 1) == 0)
			*bp = cur;
	}
	if (*bp != NULL)
		*bn = (size_t)(end - *bp);
	else if (!headers) {
		*bp = text;
		*bn = len;
	}
}

/* "16 GB" in binary units, as system_profiler counts RAM. */
static int
mem_size(const char *v, size_t vn, long long *out)
{
	size_t d;
	long long x, mul;
	const char *u;
	size_t un;

	for (d = 0; d < vn && is_digit(v[d]); d++)
		;
	if (num(v, d, 1LL << 20, &x) == -1 || x == 0)
		return -1;
	u = v + d;
	un = vn - d;
	trim(&u, &un);
	if (eq(u, un, "MB"))
		mul = 1LL << 20;
	else if (eq(u, un, "GB"))
		mul = 1LL << 30;
	else if (eq(u, un, "TB"))
		mul = 1LL << 40;
	else
		return -1;
	if (x > MEM_MAX / mul)
		return -1;
	*out = x * mul;
	return 0;
}

int
macos_parse_hardware(const char *text, size_t len, json_t *rec)
{
	const char *bp, *cur, *end, *l, *k, *v;
	size_t bn, n, kn, vn;
	int c = 0, chip = 0;
	long long mem;

	GUARD(text, len);

	sp_block(text, len, "Hardware", &bp, &bn);
	if (bp == NULL)
		return 0;
	cur = bp;
	end = bp + bn;
	while (next_line(&cur, end, &l, &n) && c != -1) {
		if (!kv(l, n, &k, &kn, &v, &vn))
			continue;
		if (eq(k, kn, "Model Name") && !has(rec, "model_name"))
			count(&c, set_str(rec, "model_name", v, vn));
		else if (eq(k, kn, "Model Identifier") && !has(rec, "model"))
			count(&c, set_str(rec, "model", v, vn));
		else if (eq(k, kn, "Chip") && good_str(v, vn)) {
			/* Apple silicon: Chip wins over anything else. */
			count(&c, set_str(rec, "chip", v, vn));
			chip = 1;
		} else if (eq(k, kn, "Processor Name") && !chip &&
		    !has(rec, "chip"))
			count(&c, set_str(rec, "chip", v, vn));
		else if ((eq(k, kn, "Serial Number (system)") ||
		    eq(k, kn, "Serial Number")) && !has(rec, "serial"))
			count(&c, set_str(rec, "serial", v, vn));
		else if (eq(k, kn, "Memory") && !has(rec, "memory_bytes") &&
		    mem_size(v, vn, &mem) == 0)
			count(&c, set_int(rec, "memory_bytes", mem));
	}
	return c;
}

/* "96%", or "96\u00a0%" as recent system_profiler writes it. */
static int
percent(const char *v, size_t vn, long long *out)
{
	if (vn < 2 || v[vn - 1] != '%')
		return -1;
	vn--;
	if (vn >= 2 && (unsigned char)v[vn - 2] == 0xc2 &&
	    (unsigned char)v[vn - 1] == 0xa0)
		vn -= 2;
	trim(&v, &vn);
	return num(v, vn, 100, out);
}

int
macos_parse_power(const char *text, size_t len, json_t *rec)
{
	const char *bp, *cur, *end, *l, *k, *v;
	size_t bn, n, kn, vn;
	long long x;
	int c = 0;

	GUARD(text, len);

	sp_block(text, len, "Power", &bp, &bn);
	if (bp == NULL)
		return 0;
	cur = bp;
	end = bp + bn;
	while (next_line(&cur, end, &l, &n) && c != -1) {
		if (!kv(l, n, &k, &kn, &v, &vn))
			continue;
		if (eq(k, kn, "Condition") && !has(rec, "battery_condition"))
			count(&c, set_str(rec, "battery_condition", v, vn));
		else if (eq(k, kn, "Cycle Count") &&
		    !has(rec, "battery_cycles") &&
		    num(v, vn, CYCLES_MAX, &x) == 0)
			count(&c, set_int(rec, "battery_cycles", x));
		else if (eq(k, kn, "Maximum Capacity") &&
		    !has(rec, "battery_health_percent") &&
		    percent(v, vn, &x) == 0)
			count(&c, set_int(rec, "battery_health_percent", x));
		else if (eq(k, kn, "Battery Installed") &&
		    !has(rec, "battery_present")) {
			if (eq(v, vn, "Yes"))
				count(&c, set_bool(rec, "battery_present", 1));
			else if (eq(v, vn, "No"))
				count(&c, set_bool(rec, "battery_present", 0));
		}
	}
	return c;
}

/* The state word of a pmset battery line, after its "NN%;". */
static const char *
pmset_state(const char *p, size_t n)
{
	const char *f, *semi, *cut;
	size_t fn;
	int attached = 0;

	while (n > 0) {
		semi = memchr(p, ';', n);
		f = p;
		fn = semi != NULL ? (size_t)(semi - p) : n;
		if (semi != NULL) {
			n -= fn + 1;
			p = semi + 1;
		} else
			n = 0;
		if ((cut = find(f, fn, " present:")) != NULL)
			fn = (size_t)(cut - f);
		trim(&f, &fn);
		if (eq(f, fn, "AC attached")) {
			attached = 1;
			continue;
		}
		if (eq(f, fn, "not charging"))
			return "not_charging";
		if (attached)
			return NULL;
		if (eq(f, fn, "charged"))
			return "charged";
		if (eq(f, fn, "charging"))
			return "charging";
		if (eq(f, fn, "discharging"))
			return "discharging";
		if (eq(f, fn, "finishing charge"))
			return "finishing";
		return NULL;
	}
	return attached ? "not_charging" : NULL;
}

/* The "NN%" of a pmset line: its offset past the '%', or 0. */
static size_t
pmset_percent(const char *p, size_t n, long long *pct)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (p[i] != '%')
			continue;
		for (j = i; j > 0 && is_digit(p[j - 1]) && i - j < 4; j--)
			;
		if (j == i || i - j > 3 || (j > 0 && !is_ws(p[j - 1])))
			continue;
		if (num(p + j, i - j, 100, pct) == 0)
			return i + 1;
	}
	return 0;
}

int
macos_parse_pmset(const char *text, size_t len, json_t *rec)
{
	const char *cur, *end, *l, *q, *src;
	const char *state = NULL;
	size_t n, at, sn;
	long long pct = -1;
	int c = 0, header = 0, internal = 0, removed = 0;

	GUARD(text, len);
	cur = text;
	end = text + len;
	while (next_line(&cur, end, &l, &n)) {
		trim(&l, &n);
		if (!header && (starts(l, n, "Now drawing from '") ||
		    starts(l, n, "Currently drawing from '"))) {
			src = (const char *)memchr(l, '\'', n) + 1;
			sn = n - (size_t)(src - l);
			q = memchr(src, '\'', sn);
			if (q == NULL)
				continue;
			sn = (size_t)(q - src);
			header = 1;
			if (eq(src, sn, "AC Power") || eq(src, sn, "UPS Power"))
				count(&c, set_bool(rec, "ac_power", 1));
			else if (eq(src, sn, "Battery Power"))
				count(&c, set_bool(rec, "ac_power", 0));
			continue;
		}
		if (internal || n < 2 || l[0] != '-' ||
		    !starts(l + 1, n - 1, "InternalBattery"))
			continue;
		/* The Mac's own battery; UPS lines are other devices. */
		internal = 1;
		if (find(l, n, "present: false") != NULL ||
		    find(l, n, "(removed)") != NULL) {
			removed = 1;
			continue;
		}
		if ((at = pmset_percent(l, n, &pct)) == 0) {
			pct = -1;
			continue;
		}
		if (at < n && l[at] == ';')
			state = pmset_state(l + at + 1, n - at - 1);
	}
	if (internal && !removed) {
		count(&c, set_bool(rec, "battery_present", 1));
		if (pct >= 0)
			count(&c, set_int(rec, "battery_percent", pct));
		if (state != NULL)
			count(&c, set_str(rec, "battery_state", state,
			    strlen(state)));
	} else if (header || removed)
		count(&c, set_bool(rec, "battery_present", 0));
	return c;
}

/*
 * ioreg. A property line is `  | |   "Key" = value`; a dictionary value
 * is {"Key"=value,...} on one line, possibly nested.
 */

/* An integer of a top-level key of the dictionary v, n. */
static int
dict_int(const char *v, size_t n, const char *key, long long max,
    long long *out)
{
	size_t i, k, klen = strlen(key), d;
	int depth = 0;
	char prev = 0;

	for (i = 0; i < n; i++) {
		char ch = v[i];

		if (ch == '"') {
			/* A string: a key when it opens a dict entry. */
			for (k = i + 1; k < n && v[k] != '"'; k++)
				;
			if (k >= n)
				return -1;
			if (depth == 1 && (prev == '{' || prev == ',') &&
			    k - i - 1 == klen &&
			    memcmp(v + i + 1, key, klen) == 0 &&
			    k + 1 < n && v[k + 1] == '=') {
				for (d = k + 2; d < n && is_digit(v[d]); d++)
					;
				return num(v + k + 2, d - k - 2, max, out);
			}
			i = k;
			prev = '"';
			continue;
		}
		if (ch == '{' || ch == '(' || ch == '<')
			depth++;
		else if (ch == '}' || ch == ')' || ch == '>') {
			if (--depth < 0)
				return -1;
		}
		if (!is_ws(ch))
			prev = ch;
	}
	return -1;
}

struct ioreg_bat {
	long long cycles, design, raw, nominal, max;
	long long bd_cycles, bd_design, bd_raw, bd_nominal, bd_full;
	int installed, external;
};

static void
ioreg_prop(struct ioreg_bat *b, const char *k, size_t kn, const char *v,
    size_t vn)
{
	long long x;

	if (eq(k, kn, "BatteryData")) {
		if (vn == 0 || v[0] != '{')
			return;
		if (dict_int(v, vn, "CycleCount", CYCLES_MAX, &x) == 0)
			b->bd_cycles = x;
		if (dict_int(v, vn, "DesignCapacity", CAPACITY_MAX, &x) == 0)
			b->bd_design = x;
		if (dict_int(v, vn, "AppleRawMaxCapacity", CAPACITY_MAX,
		    &x) == 0)
			b->bd_raw = x;
		if (dict_int(v, vn, "NominalChargeCapacity", CAPACITY_MAX,
		    &x) == 0)
			b->bd_nominal = x;
		if (dict_int(v, vn, "FullChargeCapacity", CAPACITY_MAX,
		    &x) == 0)
			b->bd_full = x;
		return;
	}
	if (eq(k, kn, "BatteryInstalled") || eq(k, kn, "ExternalConnected")) {
		int yes = eq(v, vn, "Yes") ? 1 : eq(v, vn, "No") ? 0 : -1;

		if (k[0] == 'B')
			b->installed = yes;
		else
			b->external = yes;
		return;
	}
	if (eq(k, kn, "CycleCount")) {
		if (num(v, vn, CYCLES_MAX, &x) == 0)
			b->cycles = x;
	} else if (num(v, vn, CAPACITY_MAX, &x) == 0) {
		if (eq(k, kn, "DesignCapacity"))
			b->design = x;
		else if (eq(k, kn, "AppleRawMaxCapacity"))
			b->raw = x;
		else if (eq(k, kn, "NominalChargeCapacity"))
			b->nominal = x;
		else if (eq(k, kn, "MaxCapacity"))
			b->max = x;
	}
}

int
macos_parse_ioreg_battery(const char *text, size_t len, json_t *rec)
{
	const char *cur, *end, *l, *q, *k, *v;
	struct ioreg_bat b;
	size_t n, kn, vn;
	long long full, design, cycles, pct;
	int c = 0, objects, in;

	GUARD(text, len);
	cur = text;
	end = text + len;

	memset(&b, 0, sizeof(b));
	b.cycles = b.design = b.raw = b.nominal = b.max = -1;
	b.bd_cycles = b.bd_design = b.bd_raw = b.bd_nominal = b.bd_full = -1;
	b.installed = b.external = -1;
	/* With object lines, read only the first AppleSmartBattery. */
	objects = find(text, len, "+-o ") != NULL;
	in = !objects;
	while (next_line(&cur, end, &l, &n)) {
		while (n > 0 && (is_ws(*l) || *l == '|')) {
			l++;
			n--;
		}
		if (starts(l, n, "+-o ")) {
			if (in && objects)
				break;
			in = find(l, n, "AppleSmartBattery") != NULL;
			continue;
		}
		if (!in || n < 2 || l[0] != '"')
			continue;
		if ((q = memchr(l + 1, '"', n - 1)) == NULL)
			continue;
		k = l + 1;
		kn = (size_t)(q - k);
		v = q + 1;
		vn = n - (size_t)(v - l);
		trim(&v, &vn);
		if (vn == 0 || v[0] != '=')
			continue;
		v++;
		vn--;
		trim(&v, &vn);
		ioreg_prop(&b, k, kn, v, vn);
	}

	cycles = b.cycles >= 0 ? b.cycles : b.bd_cycles;
	if (cycles >= 0)
		count(&c, set_int(rec, "battery_cycles", cycles));
	design = b.design > 0 ? b.design : b.bd_design;
	full = b.raw > 0 ? b.raw : b.bd_raw > 0 ? b.bd_raw :
	    b.nominal > 0 ? b.nominal : b.bd_nominal > 0 ? b.bd_nominal :
	    b.bd_full > 0 ? b.bd_full : b.max > 100 ? b.max : -1;
	if (design > 0 && full > 0) {
		pct = (full * 100 + design / 2) / design;
		/* Far above the design is a misread, not a battery. */
		if (pct <= 150)
			count(&c, set_int(rec, "battery_health_percent",
			    pct > 100 ? 100 : pct));
	}
	if (b.installed >= 0 && !has(rec, "battery_present"))
		count(&c, set_bool(rec, "battery_present", b.installed));
	if (b.external >= 0 && !has(rec, "ac_power"))
		count(&c, set_bool(rec, "ac_power", b.external));
	return c;
}

/*
 * df. Tokens are read left to right keeping the last three; the first
 * "N%" token after three plain numbers closes blocks, used, available.
 */

struct tok {
	const char *p;
	size_t n;
};

static int
all_digits(const struct tok *t)
{
	size_t i;

	if (t->n == 0)
		return 0;
	for (i = 0; i < t->n; i++)
		if (!is_digit(t->p[i]))
			return 0;
	return 1;
}

static int
is_pct(const struct tok *t)
{
	size_t i;

	if (t->n < 2 || t->n > 4 || t->p[t->n - 1] != '%')
		return 0;
	for (i = 0; i + 1 < t->n; i++)
		if (!is_digit(t->p[i]))
			return 0;
	return 1;
}

int
macos_parse_df(const char *text, size_t len, json_t *rec)
{
	const char *cur, *end, *l, *p, *hdr;
	struct tok w[3];
	size_t n, i, nt = 0, line_toks;
	long long bs = 1024, total, avail;
	int c = 0, header = 0;

	GUARD(text, len);
	cur = text;
	end = text + len;
	while (next_line(&cur, end, &l, &n)) {
		if (!header) {
			if ((hdr = find(l, n, "-blocks")) == NULL)
				continue;
			header = 1;
			if (hdr - l >= 3 && memcmp(hdr - 3, "512", 3) == 0)
				bs = 512;
			continue;
		}
		/* A line holding only a long name continues on the next. */
		if (nt != 1)
			nt = 0;
		line_toks = 0;
		p = l;
		i = 0;
		while (i < n) {
			struct tok t;

			while (i < n && is_ws(p[i]))
				i++;
			if (i >= n)
				break;
			t.p = p + i;
			while (i < n && !is_ws(p[i]))
				i++;
			t.n = (size_t)(p + i - t.p);
			line_toks++;
			if (is_pct(&t) && nt >= 3 && all_digits(&w[0]) &&
			    all_digits(&w[1]) && all_digits(&w[2])) {
				if (num(w[0].p, w[0].n, LLONG_MAX / bs,
				    &total) == 0 && total > 0)
					count(&c, set_int(rec,
					    "disk_total_bytes", total * bs));
				if (num(w[2].p, w[2].n, LLONG_MAX / bs,
				    &avail) == 0)
					count(&c, set_int(rec,
					    "disk_free_bytes", avail * bs));
				return c;
			}
			if (nt < 3)
				w[nt++] = t;
			else {
				w[0] = w[1];
				w[1] = w[2];
				w[2] = t;
			}
		}
		nt = line_toks == 1 ? 1 : 0;
	}
	return c;
}

int
macos_parse_available(const char *text, size_t len, json_t *rec)
{
	const char *p;
	size_t n;
	long long v;

	GUARD(text, len);

	first_line(text, len, &p, &n);
	if (num(p, n, BYTES_MAX, &v) == -1)
		return 0;
	return set_int(rec, "disk_available_bytes", v);
}

int
macos_parse_console_user(const char *text, size_t len, json_t *rec)
{
	const char *p;
	size_t n, i;

	GUARD(text, len);

	first_line(text, len, &p, &n);
	if (n == 0 || eq(p, n, "root") || eq(p, n, "loginwindow") ||
	    eq(p, n, "_mbsetupuser"))
		return 0;
	for (i = 0; i < n; i++)
		if (is_ws(p[i]))
			return 0;
	return set_str(rec, "console_user", p, n);
}

/*
 * The whole probe.
 */

int
macos_parse_probe(const char *out, size_t len, json_t *rec, struct ms_err *e)
{
	struct span s[S_COUNT];
	int c = 0, u;

	if (out == NULL || rec == NULL)
		return ms_err_set(e, "no probe output");
	if (split(out, len, sec_names, S_COUNT, s) == -1)
		return ms_err_set(e, "no probe marker in %zu bytes of output",
		    len);
	u = s[S_UNAME].found ?
	    macos_parse_uname(s[S_UNAME].p, s[S_UNAME].n, rec) : -1;
	if (u == 0) {
		if (record_set_str(rec, "probe", "not_macos") == -1)
			return ms_err_set(e, "out of memory");
		return 1;
	}
	count(&c, u == -1 ? 0 : u);

#define LINE(sec, key) count(&c, macos_parse_line(s[sec].p, s[sec].n, rec, key))
	LINE(S_HOSTNAME, "hostname");
	LINE(S_COMPUTER_NAME, "computer_name");
	LINE(S_HW_MODEL, "model");
#undef LINE
	count(&c, macos_parse_memsize(s[S_HW_MEMSIZE].p, s[S_HW_MEMSIZE].n,
	    rec));
	count(&c, macos_parse_uptime(s[S_BOOTTIME].p, s[S_BOOTTIME].n,
	    s[S_NOW].p, s[S_NOW].n, rec));
	count(&c, macos_parse_sw_vers(s[S_SW_VERS].p, s[S_SW_VERS].n, rec));
	/* pmset first: it is the better source of battery_present and
	 * ac_power; ioreg next: the source of cycles and health. */
	count(&c, macos_parse_pmset(s[S_PMSET].p, s[S_PMSET].n, rec));
	count(&c, macos_parse_ioreg_battery(s[S_IOREG].p, s[S_IOREG].n, rec));
	count(&c, macos_parse_hardware(s[S_SYSTEM_PROFILER].p,
	    s[S_SYSTEM_PROFILER].n, rec));
	count(&c, macos_parse_power(s[S_SYSTEM_PROFILER].p,
	    s[S_SYSTEM_PROFILER].n, rec));
	/* The sysctl brand string names the CPU when system_profiler did
	 * not answer. */
	if (!has(rec, "chip"))
		count(&c, macos_parse_line(s[S_CPU_BRAND].p, s[S_CPU_BRAND].n,
		    rec, "chip"));
	count(&c, macos_parse_df(s[S_DF].p, s[S_DF].n, rec));
	count(&c, macos_parse_available(s[S_DISK_AVAILABLE].p,
	    s[S_DISK_AVAILABLE].n, rec));
	count(&c, macos_parse_console_user(s[S_CONSOLE_USER].p,
	    s[S_CONSOLE_USER].n, rec));
	if (c == -1)
		return ms_err_set(e, "out of memory");
	return 0;
}
