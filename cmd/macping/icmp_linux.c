/*
 * icmp_linux.c - the ICMP socket on Linux: raw with CAP_NET_RAW (and a
 * filter, so only echo replies and the errors about echoes wake us), or
 * else a datagram socket for the groups in net.ipv4.ping_group_range.
 * A datagram socket reports ICMP errors through its error queue
 * (IP_RECVERR), read here; a raw socket gets them as data.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* SO_SNDBUFFORCE, SO_RCVBUFFORCE */
#endif
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <linux/errqueue.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "macping.h"
#include "sys.h"

#define ICMP_BUF	(4 << 20)

/* Probes to unresolved neighbours wait in the kernel, charged to this
 * socket: room for a /24 and more, past net.core.wmem_max with
 * CAP_NET_ADMIN. */
static void
buffers(int fd)
{
	int sz = ICMP_BUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

enum icmp_kind
icmp_open(int *fd, int *err)
{
	int one = 1;

	*fd = sys_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP, 1);
	if (*fd != -1) {
		/* Only echo replies and the errors about our echoes. */
		uint32_t filter = ~((1U << 0) | (1U << 3) | (1U << 11));

		(void)setsockopt(*fd, SOL_RAW, 1 /* ICMP_FILTER */, &filter,
		    sizeof(filter));
		buffers(*fd);
		return ICMP_RAW;
	}
	*fd = sys_socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP, 1);
	if (*fd != -1) {
		buffers(*fd);
		(void)setsockopt(*fd, IPPROTO_IP, IP_RECVERR, &one,
		    sizeof(one));
		return ICMP_DGRAM;
	}
	*err = errno;
	return ICMP_NONE;
}

const char *
icmp_needs(void)
{
	return "CAP_NET_RAW, or a group in net.ipv4.ping_group_range";
}

static uint16_t
get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

void
icmp_errors(int fd, enum icmp_kind kind, icmp_err_fn fn, void *arg)
{
	int k, e;
	socklen_t el = sizeof(e);

	if (kind != ICMP_DGRAM) {
		(void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
		return;
	}
	/* The payload of each error is our echo request. */
	for (k = 0; k < 4096; k++) {
		uint8_t buf[512], cbuf[512];
		struct sockaddr_in dst;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh;
		struct cmsghdr *c;
		ssize_t n;

		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &dst;
		mh.msg_namelen = sizeof(dst);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		n = recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (n < 8 || buf[0] != 8 || mh.msg_namelen < sizeof(dst))
			continue;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL;
		    c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;

			if (c->cmsg_level != IPPROTO_IP ||
			    c->cmsg_type != IP_RECVERR ||
			    c->cmsg_len < CMSG_LEN(sizeof(ee)))
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP &&
			    ee.ee_origin != SO_EE_ORIGIN_LOCAL)
				continue;
			fn(arg, get16(buf + 6), ntohl(dst.sin_addr.s_addr),
			    ee.ee_type, ee.ee_code);
		}
	}
}
