/*
 * sys_linux.c - sys.h on Linux: the flags that set close-on-exec and
 * non-blocking in the same system call (no window where a concurrent
 * exec inherits the descriptor), and getrandom(2).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4 */
#endif
#include <sys/random.h>
#include <sys/socket.h>

#include <errno.h>
#include <unistd.h>

#include "sys.h"

int
sys_socket(int domain, int type, int protocol, int nonblock)
{
	return socket(domain, type | SOCK_CLOEXEC |
	    (nonblock ? SOCK_NONBLOCK : 0), protocol);
}

int
sys_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	return accept4(fd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int
sys_fdatasync(int fd)
{
	return fdatasync(fd);
}

int
sys_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}
