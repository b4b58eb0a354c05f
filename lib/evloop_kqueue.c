/*
 * evloop_kqueue.c - the event loop on macOS and the BSDs: kqueue(2),
 * level-triggered (no EV_CLEAR), as the interface promises.
 *
 * kqueue watches a direction per filter (EVFILT_READ, EVFILT_WRITE), so
 * a change of interest adds or deletes the filters that changed, in one
 * kevent call. A descriptor ready both ways comes back as two events
 * with the same tag. Closing a descriptor deletes its filters. Tags are
 * kept in the table by descriptor, not in udata, so that a 64-bit tag
 * and a change of tag cost nothing.
 */
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"

struct slot {
	uint64_t tag;
	unsigned events;
	int used;
};

struct evloop {
	int kq;
	struct slot *v;		/* indexed by descriptor */
	size_t cap;
	struct kevent *out;
	size_t outcap;
};

const char *
evloop_backend(void)
{
	return "kqueue";
}

struct evloop *
evloop_new(struct ms_err *e)
{
	struct evloop *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		ms_err_set(e, "event loop:");
		return NULL;
	}
	if ((l->kq = kqueue()) == -1) {
		ms_err_set(e, "kqueue:");
		free(l);
		return NULL;
	}
	(void)fcntl(l->kq, F_SETFD, FD_CLOEXEC);
	return l;
}

void
evloop_free(struct evloop *l)
{
	if (l == NULL)
		return;
	close(l->kq);
	free(l->v);
	free(l->out);
	free(l);
}

static struct slot *
slot_of(struct evloop *l, int fd, int grow)
{
	size_t old = l->cap;

	if (fd < 0)
		return NULL;
	if ((size_t)fd >= l->cap) {
		if (!grow || ms_grow(&l->v, &l->cap, (size_t)fd + 1,
		    sizeof(*l->v)) == -1)
			return NULL;
		memset(l->v + old, 0, (l->cap - old) * sizeof(*l->v));
	}
	return &l->v[fd];
}

/* The changes that take fd from interest `from` to `to`. */
static int
changes(struct kevent *ch, int fd, unsigned from, unsigned to)
{
	static const struct {
		unsigned bit;
		short filter;
	} f[] = { { EV_IN, EVFILT_READ }, { EV_OUT, EVFILT_WRITE } };
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (to & f[i].bit && !(from & f[i].bit))
			EV_SET(&ch[n++], (uintptr_t)fd, f[i].filter, EV_ADD,
			    0, 0, NULL);
		else if (!(to & f[i].bit) && from & f[i].bit)
			EV_SET(&ch[n++], (uintptr_t)fd, f[i].filter,
			    EV_DELETE, 0, 0, NULL);
	}
	return n;
}

int
evloop_set(struct evloop *l, int fd, unsigned events, uint64_t tag,
    struct ms_err *e)
{
	struct kevent ch[2];
	struct slot *s;
	int n;

	if ((s = slot_of(l, fd, 1)) == NULL) {
		errno = fd < 0 ? EBADF : ENOMEM;
		return ms_err_set(e, "event loop: descriptor %d:", fd);
	}
	if (s->used && s->events == events && s->tag == tag)
		return 0;
	n = changes(ch, fd, s->used ? s->events : 0, events);
	if (n > 0 && kevent(l->kq, ch, n, NULL, 0, NULL) == -1)
		return ms_err_set(e, "kevent:");
	s->used = 1;
	s->events = events;
	s->tag = tag;
	return 0;
}

int
evloop_del(struct evloop *l, int fd)
{
	struct slot *s = slot_of(l, fd, 0);
	struct kevent ch[2];
	int n;

	if (s == NULL || !s->used) {
		errno = ENOENT;
		return -1;
	}
	n = changes(ch, fd, s->events, 0);
	s->used = 0;
	return n > 0 ? kevent(l->kq, ch, n, NULL, 0, NULL) : 0;
}

void
evloop_close(struct evloop *l, int fd)
{
	struct slot *s = slot_of(l, fd, 0);

	/* close(2) deletes the descriptor's filters. */
	if (s != NULL)
		s->used = 0;
	close(fd);
}

int
evloop_wait(struct evloop *l, struct ev *evs, int max, int timeout_ms)
{
	struct timespec ts, *tp = NULL;
	int n, i, got;

	if (max <= 0) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)max > l->outcap &&
	    ms_grow(&l->out, &l->outcap, (size_t)max, sizeof(*l->out)) == -1)
		return -1;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tp = &ts;
	}
	n = kevent(l->kq, NULL, 0, l->out, max, tp);
	for (i = 0, got = 0; i < n; i++) {
		const struct kevent *k = &l->out[i];
		int fd = (int)k->ident;

		if (fd < 0 || (size_t)fd >= l->cap || !l->v[fd].used)
			continue;	/* deleted since */
		evs[got].tag = l->v[fd].tag;
		evs[got++].events = (k->filter == EVFILT_READ ? EV_IN : 0) |
		    (k->filter == EVFILT_WRITE ? EV_OUT : 0) |
		    (k->flags & EV_ERROR ||
		    (k->flags & EV_EOF && k->fflags != 0) ? EV_ERR : 0) |
		    (k->flags & EV_EOF ? EV_HUP : 0);
	}
	return n == -1 ? -1 : got;
}
