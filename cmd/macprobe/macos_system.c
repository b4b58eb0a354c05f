/*
 * macos_system.c - parsers of the system sections of the probe: uname,
 * one-line values, sysctl, sw_vers, system_profiler's Hardware block, df,
 * the osascript answer and the console user.
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
#include "macos_text.h"


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
	long long boot, t;

	if (macos_parse_boottime(boottime, blen, &boot) == -1)
		return 0;
	if (macos_parse_now(now, nlen, &t, NULL) == -1 || t < boot ||
	    t - boot > UPTIME_MAX)
		return 0;
	return set_int(rec, "uptime_s", t - boot);
}

int
macos_parse_now(const char *text, size_t len, long long *now, int *offset_s)
{
	const char *p;
	size_t n, d;
	long long t, hh, mm;

	GUARD(text, len);
	first_line(text, len, &p, &n);
	for (d = 0; d < n && is_digit(p[d]); d++)
		;
	if (num(p, d, EPOCH_MAX, &t) == -1)
		return -1;
	if (offset_s != NULL) {
		/* " +hhmm", as date +%z prints it; absent is unknown. */
		p += d;
		n -= d;
		trim(&p, &n);
		if (n != 5 || (p[0] != '+' && p[0] != '-') ||
		    num(p + 1, 2, 23, &hh) == -1 ||
		    num(p + 3, 2, 59, &mm) == -1)
			return -1;
		*offset_s = (int)((hh * 60 + mm) * 60) * (p[0] == '-' ? -1 : 1);
	} else if (d != n && !is_ws(p[d]))
		return -1;
	*now = t;
	return 0;
}

/*
 * sysctl NAME...: "name: value" lines. The value of the first line of
 * key, else NULL.
 */
static const char *
sysctl_value(const char *text, size_t len, const char *key, size_t *vn)
{
	const char *cur = text, *end = text + len, *l, *k, *v;
	size_t n, kn;

	while (next_line(&cur, end, &l, &n)) {
		if (!kv(l, n, &k, &kn, &v, vn))
			continue;
		if (eq(k, kn, key))
			return v;
	}
	return NULL;
}

int
macos_parse_sysctl(const char *text, size_t len, const char *now,
    size_t nlen, json_t *rec)
{
	const char *v;
	size_t vn;
	long long x;
	int c = 0;

	GUARD(text, len);
	if ((v = sysctl_value(text, len, "hw.model", &vn)) != NULL)
		count(&c, set_str(rec, "model", v, vn));
	if ((v = sysctl_value(text, len, "hw.memsize", &vn)) != NULL)
		count(&c, macos_parse_memsize(v, vn, rec));
	if ((v = sysctl_value(text, len, "kern.boottime", &vn)) != NULL)
		count(&c, macos_parse_uptime(v, vn, now, nlen, rec));
	/* kern.memorystatus_vm_pressure_level: 1, 2, 4 (xnu's
	 * kVMPressureNormal, Warning, Critical). */
	if ((v = sysctl_value(text, len, "kern.memorystatus_vm_pressure_level",
	    &vn)) != NULL && num(v, vn, 4, &x) == 0) {
		if (x == 1)
			count(&c, set_str(rec, "memory_pressure", "normal", 6));
		else if (x == 2)
			count(&c, set_str(rec, "memory_pressure", "warn", 4));
		else if (x == 4)
			count(&c, set_str(rec, "memory_pressure", "critical",
			    8));
	}
	return c;
}

int
macos_parse_sysctl_chip(const char *text, size_t len, json_t *rec)
{
	const char *v;
	size_t vn;

	GUARD(text, len);
	v = sysctl_value(text, len, "machdep.cpu.brand_string", &vn);
	return v == NULL ? 0 : set_str(rec, "chip", v, vn);
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
