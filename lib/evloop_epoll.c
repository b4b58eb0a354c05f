/*
 * evloop_epoll.c - the event loop on Linux: epoll, level-triggered.
 *
 * The interest of each descriptor is kept in a table indexed by its
 * number, so that evloop_set with an unchanged interest costs nothing,
 * and closing a descriptor is enough to take it out of the epoll set
 * (none of our watched descriptors is ever duplicated).
 */
#include <sys/epoll.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"

struct slot {
	uint64_t tag;
	unsigned events;
	int used;
};

struct evloop {
	int ep;
	struct slot *v;		/* indexed by descriptor */
	size_t cap;
	struct epoll_event *out;
	size_t outcap;
};

const char *
evloop_backend(void)
{
	return "epoll";
}

struct evloop *
evloop_new(struct ms_err *e)
{
	struct evloop *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		ms_err_set(e, "event loop:");
		return NULL;
	}
	if ((l->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		ms_err_set(e, "epoll_create1:");
		free(l);
		return NULL;
	}
	return l;
}

void
evloop_free(struct evloop *l)
{
	if (l == NULL)
		return;
	close(l->ep);
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

static uint32_t
to_epoll(unsigned events)
{
	return (events & EV_IN ? EPOLLIN : 0) |
	    (events & EV_OUT ? EPOLLOUT : 0);
}

int
evloop_set(struct evloop *l, int fd, unsigned events, uint64_t tag,
    struct ms_err *e)
{
	struct epoll_event ev;
	struct slot *s;

	if ((s = slot_of(l, fd, 1)) == NULL) {
		errno = fd < 0 ? EBADF : ENOMEM;
		return ms_err_set(e, "event loop: descriptor %d:", fd);
	}
	if (s->used && s->events == events && s->tag == tag)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(events);
	ev.data.u64 = tag;
	if (epoll_ctl(l->ep, s->used ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd,
	    &ev) == -1)
		return ms_err_set(e, "epoll_ctl:");
	s->used = 1;
	s->events = events;
	s->tag = tag;
	return 0;
}

int
evloop_del(struct evloop *l, int fd)
{
	struct slot *s = slot_of(l, fd, 0);

	if (s == NULL || !s->used) {
		errno = ENOENT;
		return -1;
	}
	s->used = 0;
	return epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
}

void
evloop_close(struct evloop *l, int fd)
{
	struct slot *s = slot_of(l, fd, 0);

	/* The last close of a descriptor takes it out of the set. */
	if (s != NULL)
		s->used = 0;
	close(fd);
}

int
evloop_wait(struct evloop *l, struct ev *evs, int max, int timeout_ms)
{
	int n, i;

	if (max <= 0) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)max > l->outcap &&
	    ms_grow(&l->out, &l->outcap, (size_t)max, sizeof(*l->out)) == -1)
		return -1;
	n = epoll_wait(l->ep, l->out, max, timeout_ms);
	for (i = 0; i < n; i++) {
		uint32_t r = l->out[i].events;

		evs[i].tag = l->out[i].data.u64;
		evs[i].events = (r & EPOLLIN ? EV_IN : 0) |
		    (r & EPOLLOUT ? EV_OUT : 0) | (r & EPOLLERR ? EV_ERR : 0) |
		    (r & EPOLLHUP ? EV_HUP : 0);
	}
	return n;
}
