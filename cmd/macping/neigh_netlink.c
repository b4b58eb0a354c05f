/*
 * neigh_netlink.c - the neighbour table on Linux: the kernel's IPv4
 * neighbour table (ARP cache), dumped through rtnetlink (RTM_GETNEIGH)
 * without blocking, so the event loop keeps running while the kernel
 * answers; and this machine's own MACs, from getifaddrs' AF_PACKET
 * entries. Reading the table needs no privilege.
 *
 * The portable build on Linux uses this file too: the routing sysctl of
 * macOS and the BSDs does not exist on Linux, and POSIX has no interface
 * to the neighbour table.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* getifaddrs, IFF_LOOPBACK */
#endif
#include <sys/socket.h>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macping.h"
#include "sys.h"

#define NL_BUFSZ	(64 * 1024)

int
neigh_open(struct neigh *nb, struct ms_err *e)
{
	struct sockaddr_nl sa;

	memset(nb, 0, sizeof(*nb));
	nb->fd = sys_socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, 1);
	if (nb->fd == -1)
		return ms_err_set(e, "rtnetlink socket:");
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(nb->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		ms_err_set(e, "rtnetlink bind:");
		close(nb->fd);
		nb->fd = -1;
		return -1;
	}
	nb->bufsz = NL_BUFSZ;
	if ((nb->buf = malloc(nb->bufsz)) == NULL) {
		ms_err_set(e, "rtnetlink:");
		close(nb->fd);
		nb->fd = -1;
		return -1;
	}
	nb->open = 1;
	return 0;
}

void
neigh_close(struct neigh *nb)
{
	if (nb->fd != -1)
		close(nb->fd);
	nb->fd = -1;
	nb->open = 0;
	nb->busy = 0;
	free(nb->buf);
	free(nb->v);
	free(nb->tmp);
	nb->buf = NULL;
	nb->v = nb->tmp = NULL;
	nb->n = nb->cap = nb->tn = nb->tcap = 0;
}

int
neigh_dump_start(struct neigh *nb, struct ms_err *e)
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg nd;
	} req;
	struct sockaddr_nl kernel;
	ssize_t r;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
	req.nh.nlmsg_type = RTM_GETNEIGH;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = ++nb->seq;
	req.nd.ndm_family = AF_INET;
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	do
		r = sendto(nb->fd, &req, req.nh.nlmsg_len, 0,
		    (struct sockaddr *)&kernel, sizeof(kernel));
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return ms_err_set(e, "neighbour table:");
	nb->busy = 1;
	nb->tn = 0;
	return 0;
}

/* Our states from the kernel's NUD_* bits. */
static uint8_t
state_of(uint16_t nud)
{
	if (nud & NUD_REACHABLE)
		return NE_REACHABLE;
	if (nud & NUD_PERMANENT)
		return NE_PERMANENT;
	if (nud & (NUD_DELAY | NUD_PROBE))
		return NE_PROBING;
	if (nud & NUD_STALE)
		return NE_STALE;
	return NE_NONE;
}

/* One RTM_NEWNEIGH message: keep it if it names an IPv4 address and a
 * 6-byte link-layer address. */
static int
parse_neigh(struct neigh *nb, const struct nlmsghdr *nh)
{
	const struct ndmsg *nd;
	const struct rtattr *rta;
	struct nent ne;
	int len, have_dst = 0, have_ll = 0;
	long tck = sysconf(_SC_CLK_TCK);

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return 0;
	nd = NLMSG_DATA(nh);
	if (nd->ndm_family != AF_INET)
		return 0;
	memset(&ne, 0, sizeof(ne));
	ne.state = state_of(nd->ndm_state);
	ne.confirmed_ns = INT64_MAX;
	len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
	for (rta = (const struct rtattr *)((const char *)nd +
	    NLMSG_ALIGN(sizeof(*nd))); RTA_OK(rta, len);
	    rta = RTA_NEXT(rta, len)) {
		const unsigned char *d = RTA_DATA(rta);
		size_t dl = RTA_PAYLOAD(rta);

		switch (rta->rta_type) {
		case NDA_DST:
			if (dl != 4)
				return 0;
			ne.addr = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
			    (uint32_t)d[2] << 8 | d[3];
			have_dst = 1;
			break;
		case NDA_LLADDR:
			if (dl != 6)
				return 0;
			memcpy(ne.mac, d, 6);
			have_ll = 1;
			break;
		case NDA_CACHEINFO:
			if (dl >= sizeof(struct nda_cacheinfo) && tck > 0) {
				struct nda_cacheinfo ci;

				memcpy(&ci, d, sizeof(ci));
				ne.confirmed_ns = (int64_t)ci.ndm_confirmed *
				    (1000000000 / tck);
			}
			break;
		}
	}
	if (!have_dst || !have_ll)
		return 0;
	return neigh_add(nb, &ne);
}

int
neigh_read(struct neigh *nb, struct ms_err *e)
{
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { nb->buf, nb->bufsz };
		struct msghdr mh;
		const struct nlmsghdr *nh;
		ssize_t n;
		int len;

		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = recvmsg(nb->fd, &mh, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			nb->busy = 0;
			return ms_err_set(e, "neighbour table:");
		}
		if (mh.msg_namelen < sizeof(from) || from.nl_pid != 0)
			continue;	/* not from the kernel */
		if (mh.msg_flags & MSG_TRUNC) {
			nb->busy = 0;
			return ms_err_set(e, "neighbour table: message "
			    "truncated");
		}
		if (!nb->busy)
			continue;	/* the rest of an abandoned dump */
		len = (int)n;
		for (nh = (const struct nlmsghdr *)nb->buf;
		    NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != nb->seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE) {
				neigh_done(nb);
				return 1;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = NLMSG_DATA(nh);
				int code = EPROTO;

				if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*err)))
					code = -err->error;
				nb->busy = 0;
				errno = code;
				return ms_err_set(e, "neighbour table:");
			}
			if (nh->nlmsg_type == RTM_NEWNEIGH &&
			    parse_neigh(nb, nh) == -1) {
				nb->busy = 0;
				return ms_err_set(e, "neighbour table:");
			}
		}
	}
}

int
neigh_local(const struct ifaddrs *ifa, struct nent **vp, size_t *np)
{
	const struct ifaddrs *i, *j;
	struct nent *v = NULL;
	size_t n = 0, cap = 0;

	for (i = ifa; i != NULL; i = i->ifa_next) {
		const struct sockaddr_in *a;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
			continue;
		a = (const struct sockaddr_in *)(const void *)i->ifa_addr;
		for (j = ifa; j != NULL; j = j->ifa_next) {
			const struct sockaddr_ll *ll;

			if (j->ifa_addr == NULL ||
			    j->ifa_addr->sa_family != AF_PACKET ||
			    strcmp(j->ifa_name, i->ifa_name) != 0)
				continue;
			ll = (const struct sockaddr_ll *)(const void *)
			    j->ifa_addr;
			if (ll->sll_halen != 6 || j->ifa_flags & IFF_LOOPBACK ||
			    memcmp(ll->sll_addr, "\0\0\0\0\0\0", 6) == 0)
				break;
			if (ms_grow(&v, &cap, n + 1, sizeof(*v)) == -1) {
				free(v);
				return -1;
			}
			memset(&v[n], 0, sizeof(v[n]));
			v[n].addr = ntohl(a->sin_addr.s_addr);
			memcpy(v[n].mac, ll->sll_addr, 6);
			n++;
			break;
		}
	}
	*vp = v;
	*np = n;
	return 0;
}
