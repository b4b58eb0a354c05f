/*
 * rtmsg.c - the ARP entries of a routing-table dump (rtmsg.h). Every
 * length is checked against what is left of the message and of the
 * buffer before it is used; nothing is read through a cast pointer.
 */
#include <stdint.h>
#include <string.h>

#include "rtmsg.h"

static uint64_t
get(const uint8_t *p, size_t size)
{
	uint8_t b1;
	uint16_t b2;
	uint32_t b4;
	uint64_t b8;

	switch (size) {
	case 1:
		memcpy(&b1, p, 1);
		return b1;
	case 2:
		memcpy(&b2, p, 2);
		return b2;
	case 4:
		memcpy(&b4, p, 4);
		return b4;
	default:
		memcpy(&b8, p, 8);
		return b8;
	}
}

/* The space a socket address of length salen takes in a message. */
static size_t
sa_space(size_t salen, size_t align)
{
	return salen == 0 ? align : (salen + align - 1) / align * align;
}

/* One message of mlen bytes at m (off: its offset in the dump). */
static int
one(const uint8_t *m, size_t mlen, size_t off, const struct rt_layout *l,
    struct rt_arp *out, size_t max, size_t *n, struct ms_err *e)
{
	const uint8_t *dst = NULL, *gw = NULL;
	size_t dstlen = 0, gwlen = 0, pos = l->hdrlen;
	uint32_t addrs, flags;
	struct rt_arp a;
	int bit;

	if (get(m + l->off_version, 1) != l->version)
		return ms_err_set(e, "routing message at byte %zu: version "
		    "%u, expected %u", off, (unsigned)get(m + l->off_version,
		    1), l->version);
	flags = (uint32_t)get(m + l->off_flags, 4);
	if (get(m + l->off_type, 1) != l->type_get ||
	    !(flags & RT_RTF_LLINFO))
		return 0;
	addrs = (uint32_t)get(m + l->off_addrs, 4);
	for (bit = 0; bit < 32 && addrs >> bit != 0; bit++) {
		size_t salen, space;

		if (!(addrs & 1u << bit))
			continue;
		if (pos >= mlen)
			return ms_err_set(e, "routing message at byte %zu: "
			    "address %d past its end (%zu bytes)", off, bit,
			    mlen);
		salen = m[pos];
		space = sa_space(salen, l->align);
		if (salen > mlen - pos)
			return ms_err_set(e, "routing message at byte %zu: "
			    "address %d of %zu bytes past its end (%zu bytes)",
			    off, bit, salen, mlen);
		if (1u << bit == RT_RTA_DST) {
			dst = m + pos;
			dstlen = salen;
		} else if (1u << bit == RT_RTA_GATEWAY) {
			gw = m + pos;
			gwlen = salen;
		}
		/* The last address may end without its padding. */
		pos = space > mlen - pos ? mlen : pos + space;
	}
	/* sockaddr_inarp: len, family, port, addr (4), srcaddr (4), tos (2),
	 * other (2); sockaddr_dl: len, family, index (2), type, nlen, alen,
	 * slen, data. */
	if (dst == NULL || dstlen < 8 || dst[1] != RT_AF_INET ||
	    gw == NULL || gwlen < 8 || gw[1] != RT_AF_LINK)
		return 0;
	if (gw[6] != 6)
		return 0;	/* incomplete, or not Ethernet */
	if ((size_t)8 + gw[5] + 6 > gwlen)
		return ms_err_set(e, "routing message at byte %zu: link "
		    "address past its sockaddr_dl (%zu bytes)", off, gwlen);
	if (*n >= max)
		return ms_err_set(e, "routing message at byte %zu: more than "
		    "%zu entries", off, max);
	memset(&a, 0, sizeof(a));
	a.addr = (uint32_t)dst[4] << 24 | (uint32_t)dst[5] << 16 |
	    (uint32_t)dst[6] << 8 | dst[7];
	memcpy(a.mac, gw + 8 + gw[5], 6);
	a.ifindex = (uint16_t)get(m + l->off_index, 2);
	a.proxy = dstlen >= 16 && (get(dst + 14, 2) & RT_SIN_PROXY) != 0;
	a.expire = l->expire_size == 8 ?
	    (int64_t)get(m + l->off_expire, 8) :
	    (int64_t)(int32_t)get(m + l->off_expire, 4);
	a.flags = flags;
	out[(*n)++] = a;
	return 0;
}

int
rtmsg_arp(const void *buf, size_t len, const struct rt_layout *l,
    struct rt_arp *out, size_t max, size_t *n, struct ms_err *e)
{
	const uint8_t *p = buf;
	size_t off = 0;

	*n = 0;
	if (l->hdrlen < 2 || l->off_msglen + 2 > l->hdrlen ||
	    l->off_version >= l->hdrlen || l->off_type >= l->hdrlen ||
	    l->off_index + 2 > l->hdrlen || l->off_flags + 4 > l->hdrlen ||
	    l->off_addrs + 4 > l->hdrlen ||
	    (l->expire_size != 4 && l->expire_size != 8) ||
	    l->off_expire + l->expire_size > l->hdrlen || l->align == 0)
		return ms_err_set(e, "routing messages: bad layout");
	while (off < len) {
		size_t mlen;

		if (len - off < l->off_msglen + 2)
			return ms_err_set(e, "routing message at byte %zu: "
			    "cut short (%zu bytes left)", off, len - off);
		mlen = (size_t)get(p + off + l->off_msglen, 2);
		if (mlen < l->hdrlen)
			return ms_err_set(e, "routing message at byte %zu: "
			    "length %zu, shorter than its header (%zu)", off,
			    mlen, l->hdrlen);
		if (mlen > len - off)
			return ms_err_set(e, "routing message at byte %zu: "
			    "length %zu past the end (%zu bytes left)", off,
			    mlen, len - off);
		if (one(p + off, mlen, off, l, out, max, n, e) == -1)
			return -1;
		off += mlen;
	}
	return 0;
}
