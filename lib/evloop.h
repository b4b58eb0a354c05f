/*
 * evloop.h - one event loop interface over the system's readiness
 * notification: epoll on Linux (evloop_epoll.c), kqueue on macOS and the
 * BSDs (evloop_kqueue.c), poll(2) anywhere else (evloop_poll.c). The
 * Makefile compiles exactly one of them (PLATFORM in config.mk).
 *
 * Semantics are level-triggered everywhere: a descriptor is reported on
 * every wait while it is ready for what it is watched for. A caller that
 * reads or writes until EAGAIN and then says what it waits for next
 * (evloop_set) gets the same behaviour from every backend.
 *
 * evloop_set is cheap to call with the interest a descriptor already
 * has: the backends remember it and make no system call then, so a
 * caller may state its interest each time it is about to block.
 *
 * A descriptor is identified by its number; its tag (a pointer or a
 * number of the caller's) comes back with each event. Before closing a
 * watched descriptor, call evloop_close (which closes it) or evloop_del:
 * an event already returned for it may still be in the caller's array,
 * and the caller must tell a stale tag from a live one itself.
 *
 * Ownership: the loop owns its kernel object and tables; evloop_free
 * releases them. It never closes the caller's descriptors, except in
 * evloop_close. Functions that fail return -1 with errno set and, when
 * e is not NULL, a message in e. Nothing here prints or exits.
 */
#ifndef MACSCAN_EVLOOP_H
#define MACSCAN_EVLOOP_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Interest (evloop_set) and readiness (struct ev). */
#define EV_IN	0x1u	/* readable, or a connection to accept */
#define EV_OUT	0x2u	/* writable, or a connect that concluded */
#define EV_ERR	0x4u	/* an error is pending (only reported) */
#define EV_HUP	0x8u	/* the peer hung up (only reported) */

struct ev {
	uint64_t tag;
	unsigned events;	/* EV_* */
};

struct evloop;

/* The backend's name ("epoll", "kqueue" or "poll"), for -v output. */
const char *evloop_backend(void);

/* A new loop; NULL with e set on failure. */
struct evloop *evloop_new(struct ms_err *e);
void evloop_free(struct evloop *l);

/*
 * Watch fd for events (EV_IN and/or EV_OUT), tagged tag. Adds fd if it
 * is new, changes it otherwise. Errors and hang-ups are reported
 * whatever the interest, as poll(2) does.
 */
int evloop_set(struct evloop *l, int fd, unsigned events, uint64_t tag,
    struct ms_err *e);
/* Stop watching fd (it stays open). 0, or -1 if fd was not watched. */
int evloop_del(struct evloop *l, int fd);
/* Stop watching fd and close it: the cheapest way for every backend. */
void evloop_close(struct evloop *l, int fd);

/*
 * Wait at most timeout_ms (-1: no limit) and fill at most max events.
 * Returns their number (0 on timeout), or -1 with errno (EINTR included:
 * the caller decides whether to wait again).
 */
int evloop_wait(struct evloop *l, struct ev *evs, int max, int timeout_ms);

#endif
