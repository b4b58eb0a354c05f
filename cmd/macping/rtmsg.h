/*
 * rtmsg.h - the ARP entries in a dump of the routing table, as the
 * routing sysctl of macOS and the BSDs returns it ({CTL_NET, PF_ROUTE,
 * 0, AF_INET, NET_RT_FLAGS, RTF_LLINFO}): a sequence of messages, each a
 * struct rt_msghdr followed by the socket addresses rtm_addrs names, in
 * the order of its bits (RTA_DST, RTA_GATEWAY, ...), each rounded up to
 * the system's alignment. An ARP entry's destination is a
 * sockaddr_inarp (AF_INET) and its gateway a sockaddr_dl (AF_LINK)
 * holding the interface name (sdl_nlen bytes), then the MAC (sdl_alen).
 *
 * The parser is a pure function that needs no system header: the
 * layout of rt_msghdr is given to it (struct rt_layout, from offsetof on
 * the system's own structure in neigh_route.c, or from a structure the
 * tests define), so that it compiles, is tested and is fuzzed on Linux.
 * Numbers are read in the host's byte order, as the kernel writes them.
 */
#ifndef MACPING_RTMSG_H
#define MACPING_RTMSG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The same on macOS, FreeBSD, OpenBSD and NetBSD. */
#define RT_AF_INET	2
#define RT_AF_LINK	18
#define RT_RTA_DST	0x1
#define RT_RTA_GATEWAY	0x2
#define RT_RTF_LLINFO	0x400
#define RT_SIN_PROXY	0x1

/* Where struct rt_msghdr keeps what the parser reads. */
struct rt_layout {
	size_t hdrlen;		/* sizeof(struct rt_msghdr) */
	size_t off_msglen;	/* u_short rtm_msglen */
	size_t off_version;	/* u_char rtm_version */
	size_t off_type;	/* u_char rtm_type */
	size_t off_index;	/* u_short rtm_index */
	size_t off_flags;	/* int rtm_flags */
	size_t off_addrs;	/* int rtm_addrs */
	size_t off_expire;	/* rtm_rmx.rmx_expire */
	size_t expire_size;	/* 4 (macOS: int32_t) or 8 (FreeBSD: u_long) */
	unsigned version;	/* RTM_VERSION */
	unsigned type_get;	/* RTM_GET: what a dump's messages are */
	size_t align;		/* socket addresses are rounded up to this */
};

/* One complete ARP entry. */
struct rt_arp {
	uint32_t addr;		/* IPv4, host byte order */
	uint8_t mac[6];
	uint16_t ifindex;	/* rtm_index */
	int proxy;		/* a published (proxy) entry, not a neighbour */
	int64_t expire;		/* rmx_expire: 0 for a permanent entry */
	uint32_t flags;		/* rtm_flags */
};

/*
 * Parse the len bytes at buf. Fills out with at most max complete
 * entries (an entry without a 6-byte link-layer address is incomplete
 * and skipped, as is a message that is not an ARP entry) and returns
 * their number in *n. Returns 0, or -1 with e naming the byte offset
 * when the dump is malformed: a message that runs past the end or is
 * shorter than its header, an address past its message, a version
 * other than l->version, or more entries than max. max = len /
 * l->hdrlen + 1 is always enough.
 */
int rtmsg_arp(const void *buf, size_t len, const struct rt_layout *l,
    struct rt_arp *out, size_t max, size_t *n, struct ms_err *e);

#endif
