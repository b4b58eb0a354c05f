/*
 * sys_posix.c - sys.h on macOS, the BSDs and the portable build: plain
 * POSIX calls, then fcntl(2) for close-on-exec and non-blocking, and
 * SO_NOSIGPIPE where the system has it. Random bytes come from
 * arc4random_buf(3), which macOS, the BSDs and glibc 2.36 have and which
 * cannot fail (the one BSD call here: built with _DEFAULT_SOURCE in the
 * portable variant).
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "sys.h"

static int
set_flags(int fd, int nonblock)
{
	int fl, saved;

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	if (nonblock && ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1))
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* A socket that never raises SIGPIPE, where the system can say so. */
static void
no_sigpipe(int fd)
{
#ifdef SO_NOSIGPIPE
	int one = 1;

	(void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#else
	(void)fd;
#endif
}

int
sys_socket(int domain, int type, int protocol, int nonblock)
{
	int fd = socket(domain, type, protocol);

	if (fd == -1 || set_flags(fd, nonblock) == -1)
		return -1;
	no_sigpipe(fd);
	return fd;
}

int
sys_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	int c = accept(fd, sa, len);

	if (c == -1 || set_flags(c, 1) == -1)
		return -1;
	no_sigpipe(c);
	return c;
}

int
sys_fdatasync(int fd)
{
#ifdef F_FULLFSYNC
	if (fcntl(fd, F_FULLFSYNC) == 0)
		return 0;
	return fsync(fd);
#else
	return fdatasync(fd);
#endif
}

int
sys_random(void *buf, size_t n)
{
	arc4random_buf(buf, n);
	return 0;
}
