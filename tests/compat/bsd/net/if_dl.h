/* Apple's <net/if_dl.h>, for compile checks only (tests/compat/bsd). */
#ifndef COMPAT_NET_IF_DL_H
#define COMPAT_NET_IF_DL_H
#define AF_LINK	18

struct sockaddr_dl {
	unsigned char sdl_len, sdl_family;
	unsigned short sdl_index;
	unsigned char sdl_type, sdl_nlen, sdl_alen, sdl_slen;
	char sdl_data[12];
};

#define LLADDR(s)	((char *)((s)->sdl_data + (s)->sdl_nlen))
#endif
