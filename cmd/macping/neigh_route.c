/*
 * neigh_route.c - the neighbour table on macOS and the BSDs: the ARP
 * entries of the routing table, read with sysctl(3) ({CTL_NET, PF_ROUTE,
 * 0, AF_INET, NET_RT_FLAGS, RTF_LLINFO}, what arp -a reads) and parsed
 * by rtmsg.c; and this machine's own MACs, from getifaddrs' AF_LINK
 * entries. The sysctl answers at once, so a dump is complete when
 * neigh_dump_start returns (there is no descriptor to watch). It needs
 * no privilege.
 *
 * An entry's age: the kernel gives the time an entry expires
 * (rmx_expire: wall-clock seconds on macOS, uptime seconds on FreeBSD;
 * 0 for a permanent entry), and an entry is given max_age seconds
 * (net.link.ether.inet.max_age, 1200 by default) each time an answer
 * confirms it. So it was confirmed max_age - (expire - now) seconds ago,
 * to the second, which the sweep's rule (confirmed during this sweep)
 * is given in full: the age is rounded down.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/sysctl.h>
#include <sys/time.h>

#include <net/if.h>
#include <net/if_dl.h>
#include <net/route.h>
#include <netinet/in.h>
#include <netinet/if_ether.h>

#include <errno.h>
#include <ifaddrs.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macping.h"
#include "rtmsg.h"

#define NSEC		1000000000LL
#define DUMP_TRIES	8	/* the table may grow between two calls */

_Static_assert(AF_LINK == RT_AF_LINK, "AF_LINK");
_Static_assert(AF_INET == RT_AF_INET, "AF_INET");
_Static_assert(RTF_LLINFO == RT_RTF_LLINFO, "RTF_LLINFO");
_Static_assert(RTA_DST == RT_RTA_DST && RTA_GATEWAY == RT_RTA_GATEWAY,
    "RTA_*");

static const struct rt_layout layout = {
	.hdrlen = sizeof(struct rt_msghdr),
	.off_msglen = offsetof(struct rt_msghdr, rtm_msglen),
	.off_version = offsetof(struct rt_msghdr, rtm_version),
	.off_type = offsetof(struct rt_msghdr, rtm_type),
	.off_index = offsetof(struct rt_msghdr, rtm_index),
	.off_flags = offsetof(struct rt_msghdr, rtm_flags),
	.off_addrs = offsetof(struct rt_msghdr, rtm_addrs),
	.off_expire = offsetof(struct rt_msghdr, rtm_rmx) +
	    offsetof(struct rt_metrics, rmx_expire),
	.expire_size = sizeof(((struct rt_metrics *)0)->rmx_expire),
	.version = RTM_VERSION,
	.type_get = RTM_GET,
#ifdef __APPLE__
	.align = sizeof(uint32_t),
#else
	.align = sizeof(long),
#endif
};

/* Seconds on the clock rmx_expire counts in. */
static int64_t
expire_clock(void)
{
	struct timespec ts;

#ifdef __APPLE__
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
#else
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
#endif
		return -1;
	return (int64_t)ts.tv_sec;
}

static int64_t
max_age(void)
{
	int v = 0;
	size_t len = sizeof(v);

	if (sysctlbyname("net.link.ether.inet.max_age", &v, &len, NULL,
	    0) == -1 || len != sizeof(v) || v <= 0)
		return -1;
	return v;
}

int
neigh_open(struct neigh *nb, struct ms_err *e)
{
	int mib[6] = { CTL_NET, PF_ROUTE, 0, AF_INET, NET_RT_FLAGS,
	    RTF_LLINFO };
	size_t len = 0;

	memset(nb, 0, sizeof(*nb));
	nb->fd = -1;
	/* A first call says whether the table can be read here at all. */
	if (sysctl(mib, 6, NULL, &len, NULL, 0) == -1)
		return ms_err_set(e, "routing sysctl:");
	nb->open = 1;
	return 0;
}

void
neigh_close(struct neigh *nb)
{
	nb->open = 0;
	nb->busy = 0;
	free(nb->buf);
	free(nb->v);
	free(nb->tmp);
	nb->buf = NULL;
	nb->v = nb->tmp = NULL;
	nb->bufsz = nb->n = nb->cap = nb->tn = nb->tcap = 0;
}

/* The whole dump in nb->buf; its length, or -1 with e set. */
static ssize_t
dump(struct neigh *nb, struct ms_err *e)
{
	int mib[6] = { CTL_NET, PF_ROUTE, 0, AF_INET, NET_RT_FLAGS,
	    RTF_LLINFO };
	int tries;

	for (tries = 0; tries < DUMP_TRIES; tries++) {
		size_t need = 0, len;

		if (sysctl(mib, 6, NULL, &need, NULL, 0) == -1)
			return ms_err_set(e, "routing sysctl:");
		need += need / 4 + 1024;	/* room to grow meanwhile */
		if (need > nb->bufsz) {
			char *b = realloc(nb->buf, need);

			if (b == NULL)
				return ms_err_set(e, "routing sysctl:");
			nb->buf = b;
			nb->bufsz = need;
		}
		len = nb->bufsz;
		if (sysctl(mib, 6, nb->buf, &len, NULL, 0) == 0)
			return (ssize_t)len;
		if (errno != ENOMEM)
			return ms_err_set(e, "routing sysctl:");
	}
	errno = ENOMEM;
	return ms_err_set(e, "routing sysctl: the table keeps growing:");
}

int
neigh_dump_start(struct neigh *nb, struct ms_err *e)
{
	struct rt_arp *v;
	size_t max, n, i;
	ssize_t len;
	int64_t now, age_max;

	if ((len = dump(nb, e)) == -1)
		return -1;
	max = (size_t)len / layout.hdrlen + 1;
	if ((v = calloc(max, sizeof(*v))) == NULL)
		return ms_err_set(e, "routing sysctl:");
	if (rtmsg_arp(nb->buf, (size_t)len, &layout, v, max, &n, e) == -1) {
		free(v);
		return -1;
	}
	now = expire_clock();
	age_max = max_age();
	nb->tn = 0;
	for (i = 0; i < n; i++) {
		struct nent ne;

		if (v[i].proxy)
			continue;	/* ours, published for another */
		memset(&ne, 0, sizeof(ne));
		ne.addr = v[i].addr;
		memcpy(ne.mac, v[i].mac, 6);
		ne.confirmed_ns = INT64_MAX;
		if (v[i].expire == 0) {
			ne.state = NE_PERMANENT;
		} else {
			ne.state = NE_STALE;
			if (now != -1 && age_max != -1 && v[i].expire > now &&
			    v[i].expire - now <= age_max)
				ne.confirmed_ns = (age_max - (v[i].expire -
				    now)) * NSEC;
		}
		if (neigh_add(nb, &ne) == -1) {
			free(v);
			return ms_err_set(e, "routing sysctl:");
		}
	}
	free(v);
	neigh_done(nb);
	return 1;
}

int
neigh_read(struct neigh *nb, struct ms_err *e)
{
	(void)nb;
	(void)e;
	return 1;	/* never busy: every dump is complete at once */
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
			const struct sockaddr_dl *dl;

			if (j->ifa_addr == NULL ||
			    j->ifa_addr->sa_family != AF_LINK ||
			    strcmp(j->ifa_name, i->ifa_name) != 0)
				continue;
			dl = (const struct sockaddr_dl *)(const void *)
			    j->ifa_addr;
			if (dl->sdl_alen != 6 || j->ifa_flags & IFF_LOOPBACK ||
			    memcmp(LLADDR(dl), "\0\0\0\0\0\0", 6) == 0)
				break;
			if (ms_grow(&v, &cap, n + 1, sizeof(*v)) == -1) {
				free(v);
				return -1;
			}
			memset(&v[n], 0, sizeof(v[n]));
			v[n].addr = ntohl(a->sin_addr.s_addr);
			memcpy(v[n].mac, LLADDR(dl), 6);
			n++;
			break;
		}
	}
	*vp = v;
	*np = n;
	return 0;
}
