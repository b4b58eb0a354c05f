/*
 * netlink.c - the kernel's IPv4 neighbour table (ARP cache), dumped
 * through rtnetlink (RTM_GETNEIGH) without blocking, so the event loop
 * keeps running while the kernel answers. Reading the table needs no
 * privilege.
 */
#include <sys/socket.h>

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macping.h"

#define NL_BUFSZ	(64 * 1024)
#define NL_MAXENTS	(1u << 20)	/* no LAN has more neighbours */

int
neigh_open(struct neigh *nb, char *msg, size_t msglen)
{
	struct sockaddr_nl sa;

	memset(nb, 0, sizeof(*nb));
	nb->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_ROUTE);
	if (nb->fd == -1) {
		snprintf(msg, msglen, "rtnetlink socket: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(nb->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		snprintf(msg, msglen, "rtnetlink bind: %s", strerror(errno));
		close(nb->fd);
		nb->fd = -1;
		return -1;
	}
	nb->bufsz = NL_BUFSZ;
	if ((nb->buf = malloc(nb->bufsz)) == NULL) {
		snprintf(msg, msglen, "rtnetlink: %s", strerror(errno));
		close(nb->fd);
		nb->fd = -1;
		return -1;
	}
	return 0;
}

void
neigh_close(struct neigh *nb)
{
	if (nb->fd != -1)
		close(nb->fd);
	nb->fd = -1;
	free(nb->buf);
	free(nb->v);
	free(nb->tmp);
	nb->buf = NULL;
	nb->v = nb->tmp = NULL;
	nb->n = nb->cap = nb->tn = nb->tcap = 0;
}

int
neigh_dump_start(struct neigh *nb)
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
		return -1;
	nb->busy = 1;
	nb->tn = 0;
	return 0;
}

/* Rank of a state: lower is better evidence. */
static int
rank(uint16_t state)
{
	if (state & NUD_REACHABLE)
		return 0;
	if (state & NUD_PERMANENT)
		return 1;
	if (state & (NUD_DELAY | NUD_PROBE))
		return 2;
	if (state & NUD_STALE)
		return 3;
	return 4;
}

int
neigh_valid(const struct nent *ne)
{
	return ne != NULL && rank(ne->state) < 4;
}

static int
cmp_nent(const void *a, const void *b)
{
	const struct nent *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return rank(x->state) - rank(y->state);
}

const struct nent *
neigh_find(const struct neigh *nb, uint32_t addr)
{
	size_t lo = 0, hi = nb->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nb->v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Sorted by rank within an address: the first is the best. */
	if (lo < nb->n && nb->v[lo].addr == addr)
		return &nb->v[lo];
	return NULL;
}

/* One RTM_NEWNEIGH message: keep it if it names an IPv4 address and a
 * 6-byte link-layer address. */
static void
parse_neigh(struct neigh *nb, const struct nlmsghdr *nh)
{
	const struct ndmsg *nd;
	const struct rtattr *rta;
	struct nent ne;
	int len, have_dst = 0, have_ll = 0;
	long tck = sysconf(_SC_CLK_TCK);

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return;
	nd = NLMSG_DATA(nh);
	if (nd->ndm_family != AF_INET)
		return;
	memset(&ne, 0, sizeof(ne));
	ne.state = nd->ndm_state;
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
				return;
			ne.addr = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
			    (uint32_t)d[2] << 8 | d[3];
			have_dst = 1;
			break;
		case NDA_LLADDR:
			if (dl != 6)
				return;
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
	if (!have_dst || !have_ll || nb->tn >= NL_MAXENTS)
		return;
	if (nb->tn == nb->tcap) {
		size_t cap = nb->tcap ? nb->tcap * 2 : 256;
		struct nent *v = realloc(nb->tmp, cap * sizeof(*v));

		if (v == NULL)
			return;
		nb->tmp = v;
		nb->tcap = cap;
	}
	nb->tmp[nb->tn++] = ne;
}

static void
finish_dump(struct neigh *nb)
{
	struct nent *v = nb->v;
	size_t cap = nb->cap;

	qsort(nb->tmp, nb->tn, sizeof(*nb->tmp), cmp_nent);
	nb->v = nb->tmp;
	nb->n = nb->tn;
	nb->cap = nb->tcap;
	nb->tmp = v;
	nb->tcap = cap;
	nb->tn = 0;
	nb->busy = 0;
}

int
neigh_read(struct neigh *nb, char *msg, size_t msglen)
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
		n = recvmsg(nb->fd, &mh, MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			snprintf(msg, msglen, "neighbour table: %s",
			    strerror(errno));
			nb->busy = 0;
			return -1;
		}
		if (mh.msg_namelen < sizeof(from) || from.nl_pid != 0)
			continue;	/* not from the kernel */
		if (mh.msg_flags & MSG_TRUNC) {
			snprintf(msg, msglen, "neighbour table: message "
			    "truncated");
			nb->busy = 0;
			return -1;
		}
		if (!nb->busy)
			continue;	/* the rest of an abandoned dump */
		len = (int)n;
		for (nh = (const struct nlmsghdr *)nb->buf;
		    NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != nb->seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE) {
				finish_dump(nb);
				return 1;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = NLMSG_DATA(nh);
				int code = EPROTO;

				if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*err)))
					code = -err->error;
				snprintf(msg, msglen, "neighbour table: %s",
				    strerror(code));
				nb->busy = 0;
				return -1;
			}
			if (nh->nlmsg_type == RTM_NEWNEIGH)
				parse_neigh(nb, nh);
		}
	}
}
