/*
 * macos_power.c - parsers of the power sections of the probe: pmset -g
 * batt, ioreg's AppleSmartBattery and system_profiler's Power block.
 * Same rules as every parser of lib/macos*.c: explicit bounds, one pass,
 * a field set only from a value that passed its checks.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "macos.h"
#include "macos_text.h"

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
