/*
 * spans.c - the addresses to sweep as inclusive ranges (macping.h):
 * added, sorted and merged, counted, and looked up by the sweep.
 */
#include <stdint.h>
#include <stdlib.h>

#include "macping.h"

int
spans_add(struct spans *s, uint32_t first, uint32_t last)
{
	if (ms_grow(&s->v, &s->cap, s->n + 1, sizeof(*s->v)) == -1)
		return -1;
	s->v[s->n].first = first;
	s->v[s->n].last = last;
	s->n++;
	return 0;
}

static int
cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->last < y->last ? -1 : x->last > y->last;
}

void
spans_merge(struct spans *s)
{
	size_t i, j = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_span);
	for (i = 1; i < s->n; i++) {
		if (s->v[j].last == UINT32_MAX ||
		    s->v[i].first <= s->v[j].last + 1) {
			if (s->v[i].last > s->v[j].last)
				s->v[j].last = s->v[i].last;
		} else
			s->v[++j] = s->v[i];
	}
	s->n = j + 1;
}

uint64_t
spans_count(const struct spans *s)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		n += (uint64_t)s->v[i].last - s->v[i].first + 1;
	return n;
}

int
spans_has(const struct spans *s, uint32_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].last < addr)
			lo = mid + 1;
		else if (s->v[mid].first > addr)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

void
spans_free(struct spans *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
