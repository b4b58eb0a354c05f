/* Apple's <net/route.h>, for compile checks only (tests/compat/bsd). */
#ifndef COMPAT_NET_ROUTE_H
#define COMPAT_NET_ROUTE_H
#include <stdint.h>
#include <sys/types.h>

struct rt_metrics {
	uint32_t rmx_locks, rmx_mtu, rmx_hopcount;
	int32_t rmx_expire;
	uint32_t rmx_recvpipe, rmx_sendpipe, rmx_ssthresh, rmx_rtt;
	uint32_t rmx_rttvar, rmx_pksent, rmx_filler[4];
};

struct rt_msghdr {
	unsigned short rtm_msglen;
	unsigned char rtm_version, rtm_type;
	unsigned short rtm_index;
	int rtm_flags, rtm_addrs;
	pid_t rtm_pid;
	int rtm_seq, rtm_errno, rtm_use;
	uint32_t rtm_inits;
	struct rt_metrics rtm_rmx;
};

#define RTM_VERSION	5
#define RTM_GET		0x4
#define RTF_LLINFO	0x400
#define RTA_DST		0x1
#define RTA_GATEWAY	0x2
#define NET_RT_FLAGS	2
#ifndef PF_ROUTE
#define PF_ROUTE	17
#endif
#endif
