/*
 * store_rec.c - a record as the store reads it from a snapshot, and the
 * one check that writer and readers share.
 *
 * The record is scanned on its text: its identity is picked out, and
 * where first_seen, last_seen and online are, so the merge can splice
 * them without parsing the record. The same scan checks it: its size,
 * its depth, and the type of each field of record.h (by the rules of
 * record_check, on the text). The writer runs it on each record's text
 * before writing the snapshot, the readers on each line they read: what
 * one accepts, the other does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "store_impl.h"

static const char *const knames[K_N] = {
	"id", "first_seen", "last_seen", "online", "serial", "platform_uuid",
	"hw_macs", "mac", "ip", "host"
};

static unsigned
fhash(const char *k, size_t n)
{
	return ((unsigned)n * 31u + (unsigned char)k[0] * 7u +
	    (unsigned char)k[n - 1]) & 255u;
}

void
ftab_init(struct ftab *ft)
{
	const struct record_field *f;
	size_t i;

	memset(ft, 0, sizeof(*ft));
	for (f = record_fields; f->name != NULL && ft->n < FT_MAX; f++) {
		size_t n = strlen(f->name);
		unsigned h;
		int k;

		if (n == 0 || n > 255)
			continue;
		i = ft->n++;
		h = fhash(f->name, n);
		ft->name[i] = f->name;
		ft->len[i] = (unsigned char)n;
		ft->type[i] = (signed char)f->type;
		ft->kidx[i] = -1;
		for (k = 0; k < K_N; k++)
			if (strcmp(knames[k], f->name) == 0)
				ft->kidx[i] = (signed char)k;
		ft->next[i] = ft->head[h];
		ft->head[h] = (unsigned char)(i + 1);
	}
}

/* The field a member's key names, or -1. */
static int
ftab_key(const struct ftab *ft, const struct jmember *m)
{
	char buf[256];
	const char *k = m->key;
	size_t n = m->klen;
	unsigned i;

	if (m->kesc) {
		if (n >= sizeof(buf))
			return -1;	/* longer than any field's name */
		n = js_unescape(m->key, m->klen, buf);
		k = buf;
	}
	if (n == 0 || n > 255)
		return -1;
	for (i = ft->head[fhash(k, n)]; i != 0; i = ft->next[i - 1])
		if (ft->len[i - 1] == n && memcmp(ft->name[i - 1], k, n) == 0)
			return (int)(i - 1);
	return -1;
}

/* A number's text below zero, as jansson reads it: "-0" and "-0.0" are
 * not. */
static int
negative(const struct jmember *m)
{
	char small[64], *t;
	double v;
	size_t i;

	if (m->vlen == 0 || m->val[0] != '-')
		return 0;
	if (m->type == JT_INT) {
		for (i = 1; i < m->vlen; i++)
			if (m->val[i] != '0')
				return 1;
		return 0;
	}
	if ((t = m->vlen < sizeof(small) ? small : malloc(m->vlen + 1)) ==
	    NULL)
		return 1;
	memcpy(t, m->val, m->vlen);
	t[m->vlen] = '\0';
	v = strtod(t, NULL);
	if (t != small)
		free(t);
	return v < 0;
}

static int
only_strings(void *arg, const struct jmember *m)
{
	(void)arg;
	return m->type == JT_STRING ? 0 : -1;
}

static int
type_ok(int type, const struct jmember *m)
{
	switch (type) {
	case RT_STRING:
		return m->type == JT_STRING;
	case RT_INT:
		return m->type == JT_INT && !negative(m);
	case RT_NUMBER:
		return (m->type == JT_INT || m->type == JT_REAL) &&
		    !negative(m);
	case RT_BOOL:
		return m->type == JT_TRUE || m->type == JT_FALSE;
	case RT_STRARRAY:
		return m->type == JT_ARRAY &&
		    js_array(m->val, m->vlen, only_strings, NULL) == 0;
	default:
		return 1;
	}
}

/* The scan of one record: what rinfo holds comes from here. */
struct rscan {
	const struct ftab *ft;
	struct ms_err *e;
	struct {
		const char *p;
		size_t len;
		int esc;
		int type;
	} k[K_N];
	unsigned seen;		/* bit per K_ */
	size_t nmem;
	size_t fs_index;	/* index of first_seen among the members */
	const char *cut;	/* the end of the member before first_seen */
	const char *lastend;	/* the end of the last member */
	unsigned char dup[(FT_MAX + 7) / 8];
	int invalid;
};

static int
rec_member(void *arg, const struct jmember *m)
{
	struct rscan *sc = arg;
	int f = ftab_key(sc->ft, m), i;

	if (f >= 0) {
		if (sc->dup[f / 8] & (1u << (f % 8))) {
			sc->invalid = 1;
			ms_err_set(sc->e, "field \"%s\" twice",
			    sc->ft->name[f]);
			return -1;
		}
		sc->dup[f / 8] |= (unsigned char)(1u << (f % 8));
		if (!type_ok(sc->ft->type[f], m)) {
			sc->invalid = 1;
			ms_err_set(sc->e, "field \"%s\" must be %s",
			    sc->ft->name[f], record_type_rule(
			    (enum record_type)sc->ft->type[f]));
			return -1;
		}
		if ((i = sc->ft->kidx[f]) >= 0) {
			sc->seen |= 1u << i;
			sc->k[i].p = m->val;
			sc->k[i].len = m->vlen;
			sc->k[i].esc = m->vesc;
			sc->k[i].type = m->type;
			if (i == K_FIRST) {
				sc->fs_index = sc->nmem;
				sc->cut = sc->lastend;
			}
		}
	}
	sc->lastend = m->vend;
	sc->nmem++;
	return 0;
}

/* hw_macs' first element, when it is a string. */
static int
first_element(void *arg, const struct jmember *m)
{
	struct jmember *out = arg;

	if (out->val == NULL)
		*out = *m;
	return -1;	/* one is enough */
}

/* The decoded length of a scanned string. */
static size_t
decoded_len(const char *p, size_t len, int esc)
{
	char *t;
	size_t n;

	if (!esc || (t = malloc(len + 1)) == NULL)
		return len;
	n = js_unescape(p, len, t);
	free(t);
	return n;
}

int
rec_scan(const struct ftab *ft, const char *text, size_t len,
    struct rinfo *ri, struct jerr *je, struct ms_err *e)
{
	struct rscan sc;
	int i;

	memset(ri, 0, sizeof(*ri));
	memset(&sc, 0, sizeof(sc));
	ri->text = text;
	ri->len = len;
	if (len > STORE_RECORD_MAX) {
		ms_err_set(e, "larger than %u bytes", STORE_RECORD_MAX);
		return -2;
	}
	sc.ft = ft;
	sc.e = e;
	if (js_object(text, len, STORE_RECORD_DEPTH, rec_member, &sc, je) ==
	    -1) {
		if (sc.invalid)
			return -2;
		if (je->msg == js_too_deep) {
			ms_err_set(e, "nested more than %d deep",
			    STORE_RECORD_DEPTH);
			return -2;
		}
		return -1;
	}
	if (sc.seen & (1u << K_FIRST)) {
		ri->fs = sc.k[K_FIRST].p;
		ri->fslen = sc.k[K_FIRST].len;
		ri->fsesc = sc.k[K_FIRST].esc;
	}
	/* The identity: "id" as written, else serial, platform_uuid, the
	 * first of hw_macs, mac, ip, host (record_identity's order). */
	for (i = K_ID; i < K_N; i++) {
		const char *p = sc.k[i].p;
		size_t n = sc.k[i].len;
		int esc = sc.k[i].esc;

		if (i == K_FIRST || i == K_LAST || i == K_ONLINE ||
		    !(sc.seen & (1u << i)))
			continue;
		if (i == K_HWMACS) {
			struct jmember m;

			memset(&m, 0, sizeof(m));
			js_array(p, n, first_element, &m);
			if (m.val == NULL || m.type != JT_STRING)
				continue;
			p = m.val;
			n = m.vlen;
			esc = m.vesc;
		}
		if (n == 0)
			continue;
		ri->id = p;
		ri->idlen = n;
		ri->idesc = esc;
		ri->idkey = i == K_ID;
		break;
	}
	if (ri->id == NULL)
		return 0;
	if (ri->idlen > STORE_ID_MAX && decoded_len(ri->id, ri->idlen,
	    ri->idesc) > STORE_ID_MAX) {
		ms_err_set(e, "id longer than %d bytes", STORE_ID_MAX);
		return -2;
	}
	ri->fast = ri->idkey && !(sc.seen & (1u << K_LAST)) &&
	    !(sc.seen & (1u << K_ONLINE)) &&
	    (!(sc.seen & (1u << K_FIRST)) || sc.fs_index == sc.nmem - 1);
	ri->cut = (sc.seen & (1u << K_FIRST)) ? sc.cut : sc.lastend;
	return 1;
}

int
rec_check(const struct ftab *ft, const char *text, size_t len,
    struct ms_err *e)
{
	struct rinfo ri;
	struct jerr je;

	switch (rec_scan(ft, text, len, &ri, &je, e)) {
	case 1:
		return 0;
	case 0:
		return ms_err_set(e, "no serial, mac, ip or host");
	case -1:
		return ms_err_set(e, "byte %zu: %s", je.off, je.msg);
	default:
		return -1;
	}
}
