/*
 * store_rec.c - a record as the store reads it from a snapshot: scanned
 * on its text, with its identity and where first_seen, last_seen and
 * online are, so the merge can splice them without parsing the record.
 */
#include <string.h>

#include "store_impl.h"

static const struct {
	const char *name;
	size_t len;
} rkeys[K_N] = {
	{ "id", 2 }, { "first_seen", 10 }, { "last_seen", 9 },
	{ "online", 6 }, { "serial", 6 }, { "mac", 3 }, { "ip", 2 },
	{ "host", 4 }
};

/* Which of rkeys a member's key is, or -1: by length first, as most
 * keys of a record are none of them. */
static int
rkey_of(const struct jmember *m)
{
	int i;

	if (m->kesc) {
		for (i = 0; i < K_N; i++)
			if (js_key_is(m, rkeys[i].name, rkeys[i].len))
				return i;
		return -1;
	}
	switch (m->klen) {
	case 2:
		return m->key[0] == 'i' ? (m->key[1] == 'd' ? K_ID :
		    m->key[1] == 'p' ? K_IP : -1) : -1;
	case 3:
		return memcmp(m->key, "mac", 3) == 0 ? K_MAC : -1;
	case 4:
		return memcmp(m->key, "host", 4) == 0 ? K_HOST : -1;
	case 6:
		return memcmp(m->key, "online", 6) == 0 ? K_ONLINE :
		    memcmp(m->key, "serial", 6) == 0 ? K_SERIAL : -1;
	case 9:
		return memcmp(m->key, "last_seen", 9) == 0 ? K_LAST : -1;
	case 10:
		return memcmp(m->key, "first_seen", 10) == 0 ? K_FIRST : -1;
	default:
		return -1;
	}
}

static int
rec_member(void *arg, const struct jmember *m)
{
	struct rinfo *ri = arg;
	int i = rkey_of(m);

	if (i >= 0) {
		if (ri->seen & (1u << i)) {
			/* Which duplicate would win is a reader's choice:
			 * jansson refuses it, so do we. */
			return -1;
		}
		ri->seen |= 1u << i;
		ri->k[i].p = m->val;
		ri->k[i].len = m->vlen;
		ri->k[i].esc = m->vesc;
		ri->k[i].type = m->type;
		if (i == K_FIRST) {
			ri->fs_index = ri->nmem;
			ri->cut = ri->lastend;
		}
	}
	ri->lastend = m->vend;
	ri->nmem++;
	return 0;
}

/*
 * Scan one record's text. 1 with its identity, 0 when it has none (the
 * record is to be skipped), -1 with je on a syntax error.
 */
int
rec_scan(const char *text, size_t len, struct rinfo *ri, struct jerr *je)
{
	int i;

	memset(ri, 0, sizeof(*ri));
	ri->text = text;
	ri->len = len;
	if (js_object(text, len, STORE_RECORD_DEPTH, rec_member, ri, je) ==
	    -1) {
		if (je->msg != NULL && strcmp(je->msg, "rejected") == 0)
			je->msg = "duplicate key";
		return -1;
	}
	if ((ri->seen & (1u << K_ID)) && ri->k[K_ID].type != JT_STRING) {
		je->msg = "\"id\" is not a string";
		return -1;
	}
	for (i = K_ID; i < K_N; i++) {
		if (i == K_FIRST || i == K_LAST || i == K_ONLINE)
			continue;
		if ((ri->seen & (1u << i)) && ri->k[i].type == JT_STRING &&
		    ri->k[i].len > 0) {
			ri->id = ri->k[i].p;
			ri->idlen = ri->k[i].len;
			ri->idesc = ri->k[i].esc;
			ri->idkey = i == K_ID;
			break;
		}
	}
	if (ri->id == NULL)
		return 0;
	ri->fast = ri->idkey && !(ri->seen & (1u << K_LAST)) &&
	    !(ri->seen & (1u << K_ONLINE)) &&
	    (!(ri->seen & (1u << K_FIRST)) || ri->fs_index == ri->nmem - 1);
	if (!(ri->seen & (1u << K_FIRST)))
		ri->cut = ri->lastend;
	return 1;
}

