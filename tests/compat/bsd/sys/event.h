/* kqueue(2), for compile checks only (tests/compat/bsd/README). */
#ifndef COMPAT_SYS_EVENT_H
#define COMPAT_SYS_EVENT_H
#include <stdint.h>
#include <time.h>

struct kevent {
	uintptr_t ident;
	int16_t filter;
	uint16_t flags;
	uint32_t fflags;
	intptr_t data;
	void *udata;
};

#define EVFILT_READ	(-1)
#define EVFILT_WRITE	(-2)
#define EV_ADD		0x0001
#define EV_DELETE	0x0002
#define EV_ENABLE	0x0004
#define EV_DISABLE	0x0008
#define EV_CLEAR	0x0020
#define EV_EOF		0x8000
#define EV_ERROR	0x4000

#define EV_SET(kevp, a, b, c, d, e, f) do {	\
	struct kevent *__kevp = (kevp);		\
	__kevp->ident = (a);			\
	__kevp->filter = (int16_t)(b);		\
	__kevp->flags = (uint16_t)(c);		\
	__kevp->fflags = (d);			\
	__kevp->data = (e);			\
	__kevp->udata = (f);			\
} while (0)

int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges,
    struct kevent *eventlist, int nevents, const struct timespec *timeout);
#endif
