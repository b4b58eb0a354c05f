/*
 * evloop_poll.c - the event loop anywhere: poll(2), which POSIX names
 * and every Unix has. The descriptors watched are kept dense in one
 * pollfd array (a removal moves the last one into the hole), with a
 * table from descriptor to index; each wait scans what poll marked.
 *
 * Order: a scan goes in the order descriptors were added (the ones a
 * caller adds first, such as a listener or an ICMP socket, come first),
 * except that when more were ready than the caller took, the next scan
 * starts where this one stopped, so none waits for the others
 * indefinitely.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"

struct evloop {
	struct pollfd *pfd;
	uint64_t *tag;		/* beside pfd, same index */
	size_t n, cap, tagcap;
	size_t *idx;		/* descriptor -> index + 1; 0: not watched */
	size_t idxcap;
	size_t next;		/* where the next scan starts: 0 unless the
				 * last one stopped short */
};

const char *
evloop_backend(void)
{
	return "poll";
}

struct evloop *
evloop_new(struct ms_err *e)
{
	struct evloop *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		ms_err_set(e, "event loop:");
	return l;
}

void
evloop_free(struct evloop *l)
{
	if (l == NULL)
		return;
	free(l->pfd);
	free(l->tag);
	free(l->idx);
	free(l);
}

static size_t
index_of(const struct evloop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->idxcap)
		return 0;
	return l->idx[fd];
}

static short
to_poll(unsigned events)
{
	return (short)((events & EV_IN ? POLLIN : 0) |
	    (events & EV_OUT ? POLLOUT : 0));
}

int
evloop_set(struct evloop *l, int fd, unsigned events, uint64_t tag,
    struct ms_err *e)
{
	size_t i = index_of(l, fd), old = l->idxcap;

	if (i != 0) {
		l->pfd[i - 1].events = to_poll(events);
		l->tag[i - 1] = tag;
		return 0;
	}
	if (fd < 0) {
		errno = EBADF;
		return ms_err_set(e, "event loop: descriptor %d:", fd);
	}
	if ((size_t)fd >= l->idxcap) {
		if (ms_grow(&l->idx, &l->idxcap, (size_t)fd + 1,
		    sizeof(*l->idx)) == -1)
			return ms_err_set(e, "event loop:");
		memset(l->idx + old, 0, (l->idxcap - old) * sizeof(*l->idx));
	}
	if (ms_grow(&l->pfd, &l->cap, l->n + 1, sizeof(*l->pfd)) == -1 ||
	    ms_grow(&l->tag, &l->tagcap, l->n + 1, sizeof(*l->tag)) == -1)
		return ms_err_set(e, "event loop:");
	l->pfd[l->n].fd = fd;
	l->pfd[l->n].events = to_poll(events);
	l->pfd[l->n].revents = 0;
	l->tag[l->n] = tag;
	l->idx[fd] = ++l->n;
	return 0;
}

int
evloop_del(struct evloop *l, int fd)
{
	size_t i = index_of(l, fd), last;

	if (i == 0) {
		errno = ENOENT;
		return -1;
	}
	last = --l->n;
	if (i - 1 != last) {
		l->pfd[i - 1] = l->pfd[last];
		l->tag[i - 1] = l->tag[last];
		l->idx[l->pfd[i - 1].fd] = i;
	}
	l->idx[fd] = 0;
	return 0;
}

void
evloop_close(struct evloop *l, int fd)
{
	(void)evloop_del(l, fd);
	close(fd);
}

int
evloop_wait(struct evloop *l, struct ev *evs, int max, int timeout_ms)
{
	size_t k, i;
	int n, got = 0;

	if (max <= 0) {
		errno = EINVAL;
		return -1;
	}
	if ((n = poll(l->pfd, (nfds_t)l->n, timeout_ms)) <= 0)
		return n;
	if (l->next >= l->n)
		l->next = 0;
	for (k = 0; k < l->n && n > 0 && got < max; k++) {
		short r;

		i = (l->next + k) % l->n;
		if ((r = l->pfd[i].revents) == 0)
			continue;
		n--;
		evs[got].tag = l->tag[i];
		evs[got].events = (r & POLLIN ? EV_IN : 0) |
		    (r & POLLOUT ? EV_OUT : 0) |
		    (r & (POLLERR | POLLNVAL) ? EV_ERR : 0) |
		    (r & POLLHUP ? EV_HUP : 0);
		got++;
	}
	/* Stopped short: start there next time. */
	l->next = n > 0 ? (l->next + k) % (l->n ? l->n : 1) : 0;
	return got;
}
