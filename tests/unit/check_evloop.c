/*
 * check_evloop.c - lib/evloop on pipes and socket pairs: level-triggered
 * readiness, changes of interest and of tag, removal, close, hang-up,
 * more descriptors ready than the caller takes, bad descriptors.
 *
 * Every test runs twice: on the backend this platform builds (epoll on
 * Linux, poll in the portable build, kqueue on macOS) and on the poll
 * backend itself, compiled in here under other names, so that the
 * portable loop is tested by every build.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"
#include "unit.h"

/* The poll backend, its functions renamed. */
#define evloop_backend	poll_backend
#define evloop_new	poll_new
#define evloop_free	poll_free
#define evloop_set	poll_set
#define evloop_del	poll_del
#define evloop_close	poll_close
#define evloop_wait	poll_wait
#include "../../lib/evloop_poll.c"
#undef evloop_backend
#undef evloop_new
#undef evloop_free
#undef evloop_set
#undef evloop_del
#undef evloop_close
#undef evloop_wait

struct ops {
	const char *(*backend)(void);
	struct evloop *(*create)(struct ms_err *);
	void (*destroy)(struct evloop *);
	int (*set)(struct evloop *, int, unsigned, uint64_t, struct ms_err *);
	int (*del)(struct evloop *, int);
	void (*close)(struct evloop *, int);
	int (*wait)(struct evloop *, struct ev *, int, int);
};

static const struct ops impl[2] = {
	{ evloop_backend, evloop_new, evloop_free, evloop_set, evloop_del,
	    evloop_close, evloop_wait },
	{ poll_backend, poll_new, poll_free, poll_set, poll_del, poll_close,
	    poll_wait },
};

static struct evloop *
mk(const struct ops *o)
{
	struct ms_err e = { "" };
	struct evloop *l = o->create(&e);

	ck_assert_msg(l != NULL, "%s", e.msg);
	return l;
}

/* The events of one wait that does not block. */
static int
now(const struct ops *o, struct evloop *l, struct ev *evs, int max)
{
	int n = o->wait(l, evs, max, 0);

	ck_assert_int_ge(n, 0);
	return n;
}

START_TEST(backend_named)
{
	const char *b = impl[_i].backend();

	ck_assert_msg(strcmp(b, "epoll") == 0 || strcmp(b, "kqueue") == 0 ||
	    strcmp(b, "poll") == 0, "backend %s", b);
	if (_i == 1)
		ck_assert_str_eq(b, "poll");
}
END_TEST

START_TEST(level_triggered)
{
	const struct ops *o = &impl[_i];
	struct evloop *l = mk(o);
	struct ev ev[4];
	int p[2];
	char c;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(o->set(l, p[0], EV_IN, 7, NULL), 0);
	ck_assert_int_eq(now(o, l, ev, 4), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(o->wait(l, ev, 4, 5000), 1);
	ck_assert_uint_eq(ev[0].tag, 7);
	ck_assert(ev[0].events & EV_IN);
	/* Not read: reported again. */
	ck_assert_int_eq(now(o, l, ev, 4), 1);
	ck_assert_uint_eq(ev[0].tag, 7);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(now(o, l, ev, 4), 0);
	/* The same interest again costs nothing and changes nothing. */
	ck_assert_int_eq(o->set(l, p[0], EV_IN, 7, NULL), 0);
	ck_assert_int_eq(now(o, l, ev, 4), 0);
	o->close(l, p[0]);
	close(p[1]);
	o->destroy(l);
}
END_TEST

START_TEST(interest_and_tag)
{
	const struct ops *o = &impl[_i];
	struct evloop *l = mk(o);
	struct ev ev[4];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* Writable at once. */
	ck_assert_int_eq(o->set(l, sv[0], EV_OUT, 1, NULL), 0);
	ck_assert_int_eq(o->wait(l, ev, 4, 5000), 1);
	ck_assert_uint_eq(ev[0].tag, 1);
	ck_assert(ev[0].events & EV_OUT);
	ck_assert(!(ev[0].events & EV_IN));
	/* Now readable only: nothing until the peer writes. */
	ck_assert_int_eq(o->set(l, sv[0], EV_IN, 1, NULL), 0);
	ck_assert_int_eq(now(o, l, ev, 4), 0);
	ck_assert_int_eq(write(sv[1], "ab", 2), 2);
	ck_assert_int_eq(o->wait(l, ev, 4, 5000), 1);
	ck_assert(ev[0].events & EV_IN);
	ck_assert(!(ev[0].events & EV_OUT));
	/* A new tag comes back with the next events. */
	ck_assert_int_eq(o->set(l, sv[0], EV_IN, 0xfeedface12345678ULL,
	    NULL), 0);
	ck_assert_int_eq(now(o, l, ev, 4), 1);
	ck_assert_uint_eq(ev[0].tag, 0xfeedface12345678ULL);
	/* The peer hangs up: still readable (end of file). */
	close(sv[1]);
	{
		char buf[4];

		ck_assert_int_eq(read(sv[0], buf, sizeof(buf)), 2);
	}
	ck_assert_int_ge(o->wait(l, ev, 4, 5000), 1);
	ck_assert(ev[0].events & (EV_IN | EV_HUP));
	o->close(l, sv[0]);
	o->destroy(l);
}
END_TEST

START_TEST(del_and_close)
{
	const struct ops *o = &impl[_i];
	struct evloop *l = mk(o);
	struct ev ev[4];
	int p[2], q[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(o->set(l, p[0], EV_IN, 3, NULL), 0);
	ck_assert_int_eq(now(o, l, ev, 4), 1);
	ck_assert_int_eq(o->del(l, p[0]), 0);
	ck_assert_int_eq(now(o, l, ev, 4), 0);
	errno = 0;
	ck_assert_int_eq(o->del(l, p[0]), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* Back in, then closed through the loop: gone, and the number
	 * may be watched again under another tag. */
	ck_assert_int_eq(o->set(l, p[0], EV_IN, 3, NULL), 0);
	o->close(l, p[0]);
	ck_assert_int_eq(fcntl(p[0], F_GETFD), -1);
	ck_assert_int_eq(now(o, l, ev, 4), 0);
	close(p[1]);
	ck_assert_int_eq(pipe(q), 0);
	ck_assert_int_eq(write(q[1], "y", 1), 1);
	ck_assert_int_eq(o->set(l, q[0], EV_IN, 4, NULL), 0);
	ck_assert_int_eq(o->wait(l, ev, 4, 5000), 1);
	ck_assert_uint_eq(ev[0].tag, 4);
	o->close(l, q[0]);
	close(q[1]);
	o->destroy(l);
}
END_TEST

/* Ten descriptors ready, three taken a wait: all ten come out within
 * four waits, none twice before every one has come once. */
START_TEST(more_than_max)
{
	const struct ops *o = &impl[_i];
	struct evloop *l = mk(o);
	struct ev ev[3];
	int p[10][2], seen[10], k, w, total = 0;

	for (k = 0; k < 10; k++) {
		ck_assert_int_eq(pipe(p[k]), 0);
		ck_assert_int_eq(write(p[k][1], "z", 1), 1);
		ck_assert_int_eq(o->set(l, p[k][0], EV_IN, (uint64_t)k, NULL),
		    0);
		seen[k] = 0;
	}
	for (w = 0; w < 4 && total < 10; w++) {
		int n = o->wait(l, ev, 3, 5000), i;

		ck_assert_int_ge(n, 1);
		ck_assert_int_le(n, 3);
		for (i = 0; i < n; i++) {
			ck_assert_uint_lt(ev[i].tag, 10);
			if (seen[ev[i].tag]++ == 0)
				total++;
		}
	}
	ck_assert_int_eq(total, 10);
	for (k = 0; k < 10; k++) {
		o->close(l, p[k][0]);
		close(p[k][1]);
	}
	o->destroy(l);
}
END_TEST

START_TEST(bad_descriptor)
{
	const struct ops *o = &impl[_i];
	struct evloop *l = mk(o);
	struct ms_err e = { "" };
	struct ev ev[1];

	ck_assert_int_eq(o->set(l, -1, EV_IN, 1, &e), -1);
	ck_assert_str_eq(e.msg, "event loop: descriptor -1: Bad file "
	    "descriptor");
	ck_assert_int_eq(o->wait(l, ev, 0, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Nothing watched: a short wait times out with no event. */
	ck_assert_int_eq(o->wait(l, ev, 1, 10), 0);
	o->destroy(l);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("evloop");
	TCase *tc = tcase_create("evloop");

	tcase_add_loop_test(tc, backend_named, 0, 2);
	tcase_add_loop_test(tc, level_triggered, 0, 2);
	tcase_add_loop_test(tc, interest_and_tag, 0, 2);
	tcase_add_loop_test(tc, del_and_close, 0, 2);
	tcase_add_loop_test(tc, more_than_max, 0, 2);
	tcase_add_loop_test(tc, bad_descriptor, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
