/*
 * store_idmap.c - the store's one hash table: machine ids (any bytes but
 * NUL) to dense indexes 0, 1, 2... in the order they were added. The
 * users keep what they know of each id in an array of their own under
 * the same index (the merge's entries, the history index's offsets, the
 * compaction's last bucket...), so the table itself holds only the keys.
 *
 * Open addressing with linear probing over a power-of-two table of
 * 32-bit slots (index + 1, 0 = empty), kept at most half full.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

uint64_t
store_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (n-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
rehash(struct idmap *m, size_t sz)
{
	uint32_t *t = calloc(sz, sizeof(*t));
	size_t i, j;

	if (t == NULL)
		return -1;
	for (i = 0; i < m->n; i++) {
		j = (size_t)m->v[i].h & (sz - 1);
		while (t[j] != 0)
			j = (j + 1) & (sz - 1);
		t[j] = (uint32_t)(i + 1);
	}
	free(m->tab);
	m->tab = t;
	m->tabsz = sz;
	return 0;
}

/* The slot of key s, or of the empty slot where it would go. */
static size_t
slot_of(const struct idmap *m, const char *s, size_t len, uint64_t h,
    long *found)
{
	size_t j = (size_t)h & (m->tabsz - 1);

	*found = -1;
	while (m->tab[j] != 0) {
		const struct idkey *k = &m->v[m->tab[j] - 1];

		if (k->h == h && k->len == len && memcmp(k->s, s, len) == 0) {
			*found = (long)(m->tab[j] - 1);
			break;
		}
		j = (j + 1) & (m->tabsz - 1);
	}
	return j;
}

long
idmap_find(const struct idmap *m, const char *s, size_t len)
{
	long found;

	if (m->tabsz == 0)
		return -1;
	slot_of(m, s, len, store_hash(s, len), &found);
	return found;
}

long
idmap_add(struct idmap *m, const char *s, size_t len, int *created)
{
	uint64_t h = store_hash(s, len);
	struct idkey *k;
	long found;
	size_t j;

	if (created != NULL)
		*created = 0;
	if (m->n >= UINT32_MAX - 1) {
		errno = ENOMEM;
		return -1;
	}
	if ((m->n + 1) * 2 > m->tabsz && rehash(m, m->tabsz ? m->tabsz * 2 :
	    1024) == -1)
		return -1;
	j = slot_of(m, s, len, h, &found);
	if (found != -1)
		return found;
	if (ms_grow(&m->v, &m->cap, m->n + 1, sizeof(*m->v)) == -1)
		return -1;
	k = &m->v[m->n];
	if ((k->s = malloc(len + 1)) == NULL)
		return -1;
	memcpy(k->s, s, len);
	k->s[len] = '\0';
	k->len = len;
	k->h = h;
	m->tab[j] = (uint32_t)(m->n + 1);
	if (created != NULL)
		*created = 1;
	return (long)m->n++;
}

void
idmap_free(struct idmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].s);
	free(m->v);
	free(m->tab);
	memset(m, 0, sizeof(*m));
}
