/*
 * macos_ident.c - parsers of what identifies a Mac beyond its serial:
 * the platform UUID (ioreg's IOPlatformExpertDevice) and the MAC
 * addresses of its own network ports (networksetup).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "macos.h"
#include "macos_text.h"

static int
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 8-4-4-4-12 hex digits: a masked UUID ("E646F33F-0C8D-xxxx-...") or an
 * elided one ("...") is not one. */
static int
is_uuid(const char *p, size_t n)
{
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return 0;
		} else if (!is_hex(p[i]))
			return 0;
	}
	return 1;
}

int
macos_parse_platform(const char *text, size_t len, json_t *rec)
{
	const char *cur, *end, *l, *v, *q;
	const char *key = "\"IOPlatformUUID\"";
	size_t n, vn;

	GUARD(text, len);
	cur = text;
	end = text + len;
	while (next_line(&cur, end, &l, &n)) {
		while (n > 0 && (is_ws(*l) || *l == '|')) {
			l++;
			n--;
		}
		if (!starts(l, n, key))
			continue;
		v = l + strlen(key);
		vn = n - strlen(key);
		trim(&v, &vn);
		if (vn < 3 || v[0] != '=')
			return 0;
		v++;
		vn--;
		trim(&v, &vn);
		if (vn < 2 || v[0] != '"' || v[vn - 1] != '"')
			return 0;
		q = v + 1;
		if (!is_uuid(q, vn - 2))
			return 0;
		return set_str(rec, "platform_uuid", q, vn - 2);
	}
	return 0;
}

/* "aa:bb:cc:dd:ee:ff" (any case), not all zeros: into out, lower case. */
static int
whole_mac(const char *p, size_t n, char out[18])
{
	size_t i;
	int zero = 1;

	if (n != 17)
		return 0;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (p[i] != ':')
				return 0;
			out[i] = ':';
			continue;
		}
		if (!is_hex(p[i]))
			return 0;
		out[i] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] + 32 : p[i]);
		if (p[i] != '0')
			zero = 0;
	}
	out[17] = '\0';
	return !zero;
}

/*
 * A port of the Mac itself: not a bridge ("bridge0", "Thunderbolt
 * Bridge"), not something plugged in (a name with "USB", "iPhone" or
 * "Adapter", or "Thunderbolt Ethernet", Apple's Thunderbolt-to-Ethernet
 * adapter). Wi-Fi, built-in Ethernet, Bluetooth PAN and the "Thunderbolt
 * N" ports (the Mac's own Thunderbolt buses) count.
 */
static int
own_port(const char *name, size_t nn, const char *dev, size_t dn)
{
	if (starts(name, nn, "bridge") || starts(dev, dn, "bridge") ||
	    find(name, nn, "Bridge") != NULL ||
	    find(name, nn, "USB") != NULL ||
	    find(name, nn, "iPhone") != NULL ||
	    find(name, nn, "Adapter") != NULL ||
	    find(name, nn, "Thunderbolt Ethernet") != NULL)
		return 0;
	return 1;
}

int
macos_parse_ports(const char *text, size_t len, json_t *rec)
{
	const char *cur, *end, *l, *k, *v;
	const char *name = NULL, *dev = "";
	size_t n, kn, vn, nn = 0, dn = 0, i;
	char mac[18];
	json_t *arr;

	GUARD(text, len);
	if ((arr = json_array()) == NULL)
		return -1;
	cur = text;
	end = text + len;
	while (next_line(&cur, end, &l, &n)) {
		trim(&l, &n);
		/* VLANs are listed after this line: none is a port. */
		if (starts(l, n, "VLAN Configurations"))
			break;
		if (!kv(l, n, &k, &kn, &v, &vn))
			continue;
		if (eq(k, kn, "Hardware Port")) {
			name = v;
			nn = vn;
			dev = "";
			dn = 0;
		} else if (eq(k, kn, "Device") && name != NULL) {
			dev = v;
			dn = vn;
		} else if (eq(k, kn, "Ethernet Address") && name != NULL) {
			/* kv cut at the first colon: the address is the
			 * rest of the line. */
			v = (const char *)memchr(l, ':', n) + 1;
			vn = n - (size_t)(v - l);
			trim(&v, &vn);
			if (whole_mac(v, vn, mac) && own_port(name, nn, dev,
			    dn)) {
				for (i = 0; i < json_array_size(arr); i++)
					if (strcmp(json_string_value(
					    json_array_get(arr, i)), mac) == 0)
						break;
				if (i == json_array_size(arr) &&
				    (i >= 64 || json_array_append_new(arr,
				    json_string(mac)) == -1)) {
					json_decref(arr);
					return i >= 64 ? 0 : -1;
				}
			}
			name = NULL;
		}
	}
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return 0;
	}
	return json_object_set_new(rec, "hw_macs", arr) == -1 ? -1 : 1;
}
