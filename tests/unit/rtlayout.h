/*
 * rtlayout.h - the routing-message header of macOS and of FreeBSD, as
 * their <net/route.h> documents it, for testing and fuzzing macping's
 * parser (cmd/macping/rtmsg.c) on Linux, which has neither: the
 * structures with fixed-width types, their sizes checked, and the
 * struct rt_layout each gives the parser.
 */
#ifndef MACSCAN_TEST_RTLAYOUT_H
#define MACSCAN_TEST_RTLAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "rtmsg.h"

/* Apple's <net/route.h> (RTM_VERSION 5). */
struct mac_rt_metrics {
	uint32_t rmx_locks, rmx_mtu, rmx_hopcount;
	int32_t rmx_expire;
	uint32_t rmx_recvpipe, rmx_sendpipe, rmx_ssthresh, rmx_rtt;
	uint32_t rmx_rttvar, rmx_pksent, rmx_filler[4];
};

struct mac_rt_msghdr {
	uint16_t rtm_msglen;
	uint8_t rtm_version, rtm_type;
	uint16_t rtm_index;
	int32_t rtm_flags, rtm_addrs, rtm_pid, rtm_seq, rtm_errno, rtm_use;
	uint32_t rtm_inits;
	struct mac_rt_metrics rtm_rmx;
};

/* FreeBSD's <net/route.h> on a 64-bit system (u_long is 8 bytes). */
struct fbsd_rt_metrics {
	uint64_t rmx_locks, rmx_mtu, rmx_hopcount, rmx_expire, rmx_recvpipe;
	uint64_t rmx_sendpipe, rmx_ssthresh, rmx_rtt, rmx_rttvar, rmx_pksent;
	uint64_t rmx_weight, rmx_nhidx, rmx_filler[2];
};

struct fbsd_rt_msghdr {
	uint16_t rtm_msglen;
	uint8_t rtm_version, rtm_type;
	uint16_t rtm_index, _rtm_spare1;
	int32_t rtm_flags, rtm_addrs, rtm_pid, rtm_seq, rtm_errno, rtm_fmask;
	uint64_t rtm_inits;
	struct fbsd_rt_metrics rtm_rmx;
};

_Static_assert(sizeof(struct mac_rt_msghdr) == 92, "Apple rt_msghdr");
_Static_assert(sizeof(struct fbsd_rt_msghdr) == 152, "FreeBSD rt_msghdr");

#define LAYOUT(T, exp, al) { \
	.hdrlen = sizeof(struct T), \
	.off_msglen = offsetof(struct T, rtm_msglen), \
	.off_version = offsetof(struct T, rtm_version), \
	.off_type = offsetof(struct T, rtm_type), \
	.off_index = offsetof(struct T, rtm_index), \
	.off_flags = offsetof(struct T, rtm_flags), \
	.off_addrs = offsetof(struct T, rtm_addrs), \
	.off_expire = offsetof(struct T, rtm_rmx) + exp, \
	.expire_size = sizeof(((struct T *)0)->rtm_rmx.rmx_expire), \
	.version = 5, .type_get = 4, .align = al }

static const struct rt_layout mac_layout = LAYOUT(mac_rt_msghdr,
    offsetof(struct mac_rt_metrics, rmx_expire), 4);
static const struct rt_layout fbsd_layout = LAYOUT(fbsd_rt_msghdr,
    offsetof(struct fbsd_rt_metrics, rmx_expire), 8);

#endif
