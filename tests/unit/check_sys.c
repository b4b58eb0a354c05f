/*
 * check_sys.c - lib/sys: descriptors come back close-on-exec (and
 * non-blocking when asked), accepted sockets too, random bytes are
 * random, data reaches the disk. Each test runs on this platform's
 * implementation and on sys_posix.c (macOS's), compiled in here under
 * other names, so that the fcntl path is tested by every build.
 */
#define _DEFAULT_SOURCE	/* arc4random_buf, as sys_posix.c needs */
#include <sys/socket.h>

#include <netinet/in.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys.h"
#include "unit.h"

#define sys_socket	posix_socket
#define sys_accept	posix_accept
#define sys_random	posix_random
#define sys_fdatasync	posix_fdatasync
#include "../../lib/sys_posix.c"
#undef sys_socket
#undef sys_accept
#undef sys_random
#undef sys_fdatasync

struct ops {
	int (*socket)(int, int, int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*random)(void *, size_t);
	int (*fdatasync)(int);
};

static const struct ops impl[2] = {
	{ sys_socket, sys_accept, sys_random, sys_fdatasync },
	{ posix_socket, posix_accept, posix_random, posix_fdatasync },
};

static void
flags_are(int fd, int nonblock)
{
	ck_assert_int_ne(fd, -1);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(!!(fcntl(fd, F_GETFL) & O_NONBLOCK), nonblock);
}

START_TEST(sockets)
{
	const struct ops *o = &impl[_i];
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int l, c, a;

	l = o->socket(AF_INET, SOCK_STREAM, 0, 0);
	flags_are(l, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &sl), 0);
	c = o->socket(AF_INET, SOCK_STREAM, 0, 1);
	flags_are(c, 1);
	/* Loopback: connected, or under way. */
	(void)connect(c, (struct sockaddr *)&sin, sizeof(sin));
	sl = sizeof(sin);
	while ((a = o->accept(l, (struct sockaddr *)&sin, &sl)) == -1)
		usleep(1000);
	flags_are(a, 1);
	close(a);
	close(c);
	close(l);
}
END_TEST

START_TEST(random_bytes)
{
	const struct ops *o = &impl[_i];
	unsigned char a[32], b[32], zero[32];

	memset(zero, 0, sizeof(zero));
	ck_assert_int_eq(o->random(a, sizeof(a)), 0);
	ck_assert_int_eq(o->random(b, sizeof(b)), 0);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ck_assert(memcmp(a, zero, sizeof(a)) != 0);
}
END_TEST

START_TEST(datasync)
{
	const struct ops *o = &impl[_i];
	char path[] = "/tmp/check_sys.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, "data\n", 5), 5);
	ck_assert_int_eq(o->fdatasync(fd), 0);
	close(fd);
	unlink(path);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("sys");
	TCase *tc = tcase_create("sys");

	tcase_add_loop_test(tc, sockets, 0, 2);
	tcase_add_loop_test(tc, random_bytes, 0, 2);
	tcase_add_loop_test(tc, datasync, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
