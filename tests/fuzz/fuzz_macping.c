/*
 * fuzz_macping - macping's parser of routing-sysctl dumps (the ARP table
 * of macOS and the BSDs) on arbitrary bytes. The first byte picks the
 * layout (even: Apple's, odd: FreeBSD's, tests/unit/rtlayout.h), the
 * rest is the dump; it is parsed from a copy of its exact length, so
 * AddressSanitizer sees any read past the end.
 *
 * Invariants: a parse succeeds or fails with a message naming a byte
 * offset within the dump; on success the entries fit the room given
 * and each has a 6-byte MAC taken from inside the dump.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/rtlayout.h"
#include "rtmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rt_layout *l;
	struct rt_arp *v;
	struct ms_err e = { "" };
	uint8_t *buf;
	size_t len, max, n = 0, i;

	if (size < 1)
		return 0;
	l = data[0] & 1 ? &fbsd_layout : &mac_layout;
	len = size - 1;
	if ((buf = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(buf, data + 1, len);
	/* Sometimes less room than the dump could need. */
	max = data[0] & 2 ? 2 : len / l->hdrlen + 1;
	if ((v = calloc(max, sizeof(*v))) == NULL) {
		free(buf);
		return 0;
	}
	if (rtmsg_arp(buf, len, l, v, max, &n, &e) == -1) {
		unsigned long off;

		if (strncmp(e.msg, "routing message at byte ", 24) != 0 ||
		    (off = strtoul(e.msg + 24, NULL, 10)) >= len + (len == 0))
			abort();
		(void)off;
	} else {
		if (n > max)
			abort();
		for (i = 0; i < n; i++)
			if (memmem(buf, len, v[i].mac, 6) == NULL)
				abort();
	}
	free(v);
	free(buf);
	return 0;
}
