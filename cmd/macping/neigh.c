/*
 * neigh.c - what the readers of the neighbour table share: the dump
 * being read, its order (by address, the best evidence first within an
 * address), and the lookups the sweep makes in the last complete one.
 */
#include <stdlib.h>

#include "macping.h"

#define NEIGH_MAXENTS	(1u << 20)	/* no LAN has more neighbours */

int
neigh_valid(const struct nent *ne)
{
	return ne != NULL && ne->state < NE_NONE;
}

static int
cmp_nent(const void *a, const void *b)
{
	const struct nent *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->state - (int)y->state;
}

int
neigh_add(struct neigh *nb, const struct nent *ne)
{
	if (nb->tn >= NEIGH_MAXENTS)
		return 0;
	if (ms_grow(&nb->tmp, &nb->tcap, nb->tn + 1, sizeof(*nb->tmp)) == -1)
		return -1;
	nb->tmp[nb->tn++] = *ne;
	return 0;
}

void
neigh_done(struct neigh *nb)
{
	struct nent *v = nb->v;
	size_t cap = nb->cap;

	if (nb->tn > 0)
		qsort(nb->tmp, nb->tn, sizeof(*nb->tmp), cmp_nent);
	nb->v = nb->tmp;
	nb->n = nb->tn;
	nb->cap = nb->tcap;
	nb->tmp = v;
	nb->tcap = cap;
	nb->tn = 0;
	nb->busy = 0;
}

const struct nent *
neigh_find(const struct neigh *nb, uint32_t addr)
{
	size_t lo = 0, hi = nb->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nb->v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Sorted by state within an address: the first is the best. */
	if (lo < nb->n && nb->v[lo].addr == addr)
		return &nb->v[lo];
	return NULL;
}
