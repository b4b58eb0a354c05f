/*
 * icmp_posix.c - the ICMP socket on macOS and the BSDs (and the portable
 * build): raw for root, else a datagram socket, which macOS gives to any
 * user for echo requests: so macping sends ICMP there without root. On
 * macOS both kinds deliver the IP header with each packet and ICMP
 * errors as data; the sweep tells the forms apart by the packet itself,
 * so the same code reads Linux's datagram sockets too (which carry no
 * header, and whose errors this file leaves unread: those hosts time
 * out instead).
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>

#include "macping.h"
#include "sys.h"

#define ICMP_BUF	(4 << 20)

static void
buffers(int fd)
{
	int sz;

	/* As much as the system allows, up to ICMP_BUF. */
	for (sz = ICMP_BUF; sz >= 64 << 10; sz /= 2)
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz,
		    sizeof(sz)) == 0)
			break;
	for (sz = ICMP_BUF; sz >= 64 << 10; sz /= 2)
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz,
		    sizeof(sz)) == 0)
			break;
}

enum icmp_kind
icmp_open(int *fd, int *err)
{
	*fd = sys_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP, 1);
	if (*fd != -1) {
		buffers(*fd);
		return ICMP_RAW;
	}
	*fd = sys_socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP, 1);
	if (*fd != -1) {
		buffers(*fd);
		return ICMP_DGRAM;
	}
	*err = errno;
	return ICMP_NONE;
}

const char *
icmp_needs(void)
{
#ifdef __linux__
	return "CAP_NET_RAW, or a group in net.ipv4.ping_group_range";
#else
	return "root, or ICMP datagram sockets";
#endif
}

void
icmp_errors(int fd, enum icmp_kind kind, icmp_err_fn fn, void *arg)
{
	int e;
	socklen_t el = sizeof(e);

	(void)kind;
	(void)fn;
	(void)arg;
	/* Clear the pending error, so that poll stops reporting it. */
	(void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
}
