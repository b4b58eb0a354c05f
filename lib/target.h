/*
 * target.h - what to scan: IPv4 addresses, CIDR blocks, address ranges
 * and host names, kept as ranges and expanded lazily.
 *
 * Accepted forms (target_parse):
 *   192.168.1.7                  one address, dotted quad only: exactly
 *                                four decimal octets 0-255, no leading
 *                                zeros (010 is octal to some tools), no
 *                                sign, no blank
 *   192.168.1.0/24               a CIDR block, prefix 0-32; host bits may
 *                                be set (192.168.1.77/24 is the network
 *                                192.168.1.0-192.168.1.255)
 *   192.168.1.10-50              a range within the last octet
 *   192.168.1.250-192.168.2.5    a range between two full addresses
 *   imac-jean.local              a host name (RFC 1123: labels of 1-63
 *                                letters, digits and '-', not starting or
 *                                ending with '-', at most 253 characters,
 *                                the last label not all-numeric)
 *
 * A string with a letter in it is read as a host name, any other as an
 * address, block or range, so "1.2.3.999" is a bad address, not a name.
 * Names that a resolver would read as a number ("0x7f000001") are refused,
 * and so is any ":" (no IPv6, no ports).
 * Errors are one line naming the input, e.g.
 * "'192.168.1.300': octet 4 is larger than 255".
 *
 * Ownership: a struct target owns its name (target_free frees it); a
 * struct target_list owns its targets (target_list_free). An iterator
 * borrows its list, which must not change while it is used; the names it
 * hands out are borrowed from the list. Iterating allocates nothing.
 * Duplicates are kept: "a b a" counts and iterates three targets.
 */
#ifndef MACSCAN_TARGET_H
#define MACSCAN_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Addresses in host byte order, an inclusive range; name != NULL for a
 * host name (then first = last = 0). */
struct target {
	uint32_t first, last;
	char *name;
};

/* 0 and *t filled, or -1 with *t zeroed and e set. */
int target_parse(const char *s, struct target *t, struct ms_err *e);
void target_free(struct target *t);

/* An empty list is { NULL, 0, 0 }. */
struct target_list {
	struct target *v;
	size_t n, cap;
};

/* Parse s and append it; -1 with e set and the list unchanged. */
int target_list_add(struct target_list *l, const char *s, struct ms_err *e);
void target_list_free(struct target_list *l);

/* Addresses plus names, saturating at UINT64_MAX (never overflows). */
uint64_t target_list_count(const struct target_list *l);

struct target_iter {
	const struct target_list *l;
	size_t i;
	uint64_t next;
	int done;
};

void target_iter_init(struct target_iter *it, const struct target_list *l);

/* 1 and either *addr (with *name NULL) or *name (with *addr 0); 0 at the
 * end, and again on every later call. */
int target_iter_next(struct target_iter *it, uint32_t *addr,
    const char **name);

/* addr as a dotted quad into buf (NUL-terminated); returns its length. */
int target_fmt(uint32_t addr, char buf[16]);

/*
 * Parse a dotted quad alone (no block, range or name), with the same
 * rules and messages as target_parse; 0 and *addr, or -1 and e set.
 */
int target_parse_addr(const char *s, uint32_t *addr, struct ms_err *e);

#endif
