/*
 * check_macping.c - macping's parser of routing-sysctl dumps (the ARP
 * table of macOS and the BSDs) on dumps built here, byte for byte, to the
 * documented layout of Apple's and FreeBSD's struct rt_msghdr,
 * sockaddr_inarp and sockaddr_dl: tests/fixtures/rtmsg/NAME.txt says what
 * the dump holds, NAME.json what the parser must return (see the README
 * there). Linux has none of these headers: rtlayout.h writes the
 * structures out.
 */
#include <dirent.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rtlayout.h"
#include "rtmsg.h"
#include "unit.h"
#include "util.h"

struct dump {
	uint8_t *b;
	size_t len, cap;
};

static void
put(struct dump *d, const void *p, size_t n)
{
	ck_assert(ms_grow(&d->b, &d->cap, d->len + n, 1) == 0);
	memcpy(d->b + d->len, p, n);
	d->len += n;
}

static void
pad(struct dump *d, size_t align)
{
	static const uint8_t zero[8];

	while (d->len % align != 0)
		put(d, zero, 1);
}

static void
ip4(const char *s, uint8_t out[4])
{
	unsigned a, b, c, e;

	ck_assert_msg(sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &e) == 4,
	    "bad address %s", s);
	out[0] = (uint8_t)a;
	out[1] = (uint8_t)b;
	out[2] = (uint8_t)c;
	out[3] = (uint8_t)e;
}

/* One "msg" line: its header, then its addresses. */
static void
message(struct dump *d, const struct rt_layout *l, char *args)
{
	long long version = 5, type = 4, flags = 0x405, index = 4, expire = 0;
	long long dstlen = -1, gwlen = -1, msglen = -1, proxy = 0;
	char *dst = NULL, *gw = NULL, *mask = NULL, *tok, *save = NULL;
	size_t start = d->len, end;
	uint8_t hdr[256];
	uint32_t addrs = 0;
	uint16_t v16;
	int32_t v32;

	for (tok = strtok_r(args, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		long long n;

		ck_assert_msg(eq != NULL, "bad word %s", tok);
		*eq++ = '\0';
		n = strtoll(eq, NULL, 0);
		if (strcmp(tok, "version") == 0)
			version = n;
		else if (strcmp(tok, "type") == 0)
			type = n;
		else if (strcmp(tok, "flags") == 0)
			flags = n;
		else if (strcmp(tok, "index") == 0)
			index = n;
		else if (strcmp(tok, "expire") == 0)
			expire = n;
		else if (strcmp(tok, "dstlen") == 0)
			dstlen = n;
		else if (strcmp(tok, "gwlen") == 0)
			gwlen = n;
		else if (strcmp(tok, "msglen") == 0)
			msglen = n;
		else if (strcmp(tok, "proxy") == 0)
			proxy = n;
		else if (strcmp(tok, "dst") == 0)
			dst = eq;
		else if (strcmp(tok, "gw") == 0)
			gw = eq;
		else if (strcmp(tok, "mask") == 0)
			mask = eq;
		else
			ck_abort_msg("unknown key %s", tok);
	}
	addrs = (dst ? 0x1u : 0) | (gw ? 0x2u : 0) | (mask ? 0x4u : 0);
	ck_assert(l->hdrlen <= sizeof(hdr));
	memset(hdr, 0, sizeof(hdr));
	hdr[l->off_version] = (uint8_t)version;
	hdr[l->off_type] = (uint8_t)type;
	v16 = (uint16_t)index;
	memcpy(hdr + l->off_index, &v16, 2);
	v32 = (int32_t)flags;
	memcpy(hdr + l->off_flags, &v32, 4);
	v32 = (int32_t)addrs;
	memcpy(hdr + l->off_addrs, &v32, 4);
	if (l->expire_size == 8) {
		uint64_t v64 = (uint64_t)expire;

		memcpy(hdr + l->off_expire, &v64, 8);
	} else {
		v32 = (int32_t)expire;
		memcpy(hdr + l->off_expire, &v32, 4);
	}
	put(d, hdr, l->hdrlen);
	if (dst != NULL) {	/* sockaddr_inarp, 16 bytes */
		uint8_t sa[16];

		memset(sa, 0, sizeof(sa));
		sa[0] = (uint8_t)(dstlen >= 0 ? dstlen : 16);
		sa[1] = RT_AF_INET;
		ip4(dst, sa + 4);
		v16 = proxy ? RT_SIN_PROXY : 0;
		memcpy(sa + 14, &v16, 2);
		put(d, sa, sizeof(sa));
		pad(d, l->align);
	}
	if (gw != NULL) {	/* sockaddr_dl: 8 bytes, name, address */
		char *slash = strchr(gw, '/');
		uint8_t sa[8], mac[6];
		unsigned m[6];
		size_t nlen, alen = 0;
		int k;

		ck_assert_msg(slash != NULL, "gw=IFNAME/MAC");
		nlen = (size_t)(slash - gw);
		if (slash[1] != '\0') {
			ck_assert(sscanf(slash + 1, "%x:%x:%x:%x:%x:%x", &m[0],
			    &m[1], &m[2], &m[3], &m[4], &m[5]) == 6);
			for (k = 0; k < 6; k++)
				mac[k] = (uint8_t)m[k];
			alen = 6;
		}
		memset(sa, 0, sizeof(sa));
		sa[0] = (uint8_t)(gwlen >= 0 ? (size_t)gwlen : 8 + nlen + alen);
		sa[1] = RT_AF_LINK;
		v16 = (uint16_t)index;
		memcpy(sa + 2, &v16, 2);
		sa[4] = 6;		/* IFT_ETHER */
		sa[5] = (uint8_t)nlen;
		sa[6] = (uint8_t)alen;
		put(d, sa, sizeof(sa));
		put(d, gw, nlen);
		if (alen > 0)
			put(d, mac, alen);
		pad(d, l->align);
	}
	if (mask != NULL) {	/* sockaddr_in */
		uint8_t sa[16];

		memset(sa, 0, sizeof(sa));
		sa[0] = 16;
		sa[1] = RT_AF_INET;
		ip4(mask, sa + 4);
		put(d, sa, sizeof(sa));
	}
	end = d->len;
	v16 = (uint16_t)(msglen >= 0 ? (size_t)msglen : end - start);
	memcpy(d->b + start + l->off_msglen, &v16, 2);
}

/* Build the dump NAME.txt describes; its layout in *l. */
static void
build(const char *path, struct dump *d, const struct rt_layout **l)
{
	FILE *fp = fopen(path, "r");
	char line[1024];

	ck_assert_msg(fp != NULL, "%s", path);
	*l = &mac_layout;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strcmp(line, "layout macos") == 0)
			*l = &mac_layout;
		else if (strcmp(line, "layout freebsd") == 0)
			*l = &fbsd_layout;
		else if (strncmp(line, "msg ", 4) == 0)
			message(d, *l, line + 4);
		else if (strncmp(line, "cut ", 4) == 0) {
			size_t n = (size_t)strtoul(line + 4, NULL, 10);

			ck_assert(n <= d->len);
			d->len -= n;
		} else if (strncmp(line, "junk ", 5) == 0) {
			const char *h = line + 5;
			unsigned b;

			while (sscanf(h, "%2x", &b) == 1) {
				uint8_t c = (uint8_t)b;

				put(d, &c, 1);
				h += 2;
			}
		} else
			ck_abort_msg("%s: bad line: %s", path, line);
	}
	fclose(fp);
}

/* What the parser returned, as NAME.json writes it. */
static json_t *
result(const struct rt_arp *v, size_t n, int rc, const struct ms_err *e)
{
	json_t *a, *o;
	size_t i;

	if (rc == -1)
		return json_pack("{s:s}", "error", e->msg);
	a = json_array();
	for (i = 0; i < n; i++) {
		char ip[16], mac[18];

		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", v[i].addr >> 24,
		    v[i].addr >> 16 & 255, v[i].addr >> 8 & 255,
		    v[i].addr & 255);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		    v[i].mac[0], v[i].mac[1], v[i].mac[2], v[i].mac[3],
		    v[i].mac[4], v[i].mac[5]);
		o = json_pack("{s:s, s:s, s:i, s:I, s:b}", "ip", ip, "mac", mac,
		    "ifindex", (int)v[i].ifindex, "expire",
		    (json_int_t)v[i].expire, "proxy", v[i].proxy);
		json_array_append_new(a, o);
	}
	return json_pack("{s:o}", "entries", a);
}

#define PATHLEN 1024

static const char *
fixdir(void)
{
	static char dir[PATHLEN];
	const char *d = getenv("MACSCAN_SRCDIR");

	snprintf(dir, sizeof(dir), "%.900s/tests/fixtures/rtmsg",
	    d != NULL && *d != '\0' ? d : ".");
	return dir;
}

/* dir/name, with its ".txt" made ext. */
static void
fixpath(char *out, const char *name, const char *ext)
{
	size_t n;

	snprintf(out, PATHLEN + 300, "%s/%.255s", fixdir(), name);
	n = strlen(out);
	if (n > 4 && strcmp(out + n - 4, ".txt") == 0)
		snprintf(out + n - 4, 8, "%s", ext);
}

START_TEST(fixtures)
{
	DIR *dp = opendir(fixdir());
	struct dirent *de;
	int seen = 0;

	ck_assert_msg(dp != NULL, "%s", fixdir());
	while ((de = readdir(dp)) != NULL) {
		char txt[PATHLEN + 300], js[PATHLEN + 300], *got, *want;
		size_t nl = strlen(de->d_name), n = 0, max;
		const struct rt_layout *l;
		struct dump d = { NULL, 0, 0 };
		struct rt_arp *v;
		struct ms_err e = { "" };
		json_error_t je;
		json_t *exp, *res;
		int rc;

		if (nl < 5 || strcmp(de->d_name + nl - 4, ".txt") != 0)
			continue;
		fixpath(txt, de->d_name, ".txt");
		fixpath(js, de->d_name, ".json");
		build(txt, &d, &l);
		max = d.len / l->hdrlen + 1;
		ck_assert((v = calloc(max, sizeof(*v))) != NULL);
		rc = rtmsg_arp(d.b, d.len, l, v, max, &n, &e);
		res = result(v, n, rc, &e);
		exp = json_load_file(js, 0, &je);
		ck_assert_msg(exp != NULL, "%s: %s", js, je.text);
		got = json_dumps(res, JSON_SORT_KEYS | JSON_COMPACT);
		want = json_dumps(exp, JSON_SORT_KEYS | JSON_COMPACT);
		ck_assert_msg(json_equal(res, exp), "%s:\n got  %s\n want %s",
		    de->d_name, got, want);
		free(got);
		free(want);
		json_decref(res);
		json_decref(exp);
		free(v);
		free(d.b);
		seen++;
	}
	closedir(dp);
	ck_assert_int_ge(seen, 9);
}
END_TEST

/* Every prefix of a good dump is either whole messages (parsed) or an
 * error naming where it was cut: never a crash, never an entry read past
 * the end. */
START_TEST(prefixes)
{
	char path[PATHLEN + 300];
	const struct rt_layout *l;
	struct dump d = { NULL, 0, 0 };
	struct rt_arp v[16];
	size_t cut, n, whole = 0;

	fixpath(path, "macos_table.txt", ".txt");
	build(path, &d, &l);
	for (cut = 0; cut <= d.len; cut++) {
		struct ms_err e = { "" };
		int rc = rtmsg_arp(d.b, cut, l, v, 16, &n, &e);

		if (rc == 0)
			whole++;
		else
			ck_assert_msg(strncmp(e.msg, "routing message at byte ",
			    24) == 0, "cut %zu: %s", cut, e.msg);
	}
	/* Parsed only at the 8 message boundaries (0 bytes included). */
	ck_assert_uint_eq(whole, 8);
	free(d.b);
}
END_TEST

/* More entries than the caller made room for is an error, not an
 * overflow. */
START_TEST(room)
{
	char path[PATHLEN + 300];
	const struct rt_layout *l;
	struct dump d = { NULL, 0, 0 };
	struct rt_arp v[2];
	struct ms_err e = { "" };
	size_t n;

	fixpath(path, "macos_table.txt", ".txt");
	build(path, &d, &l);
	ck_assert_int_eq(rtmsg_arp(d.b, d.len, l, v, 2, &n, &e), -1);
	ck_assert_str_eq(e.msg, "routing message at byte 256: more than 2 "
	    "entries");
	free(d.b);
}
END_TEST

START_TEST(bad_layout)
{
	struct rt_layout l = mac_layout;
	struct ms_err e = { "" };
	struct rt_arp v[1];
	size_t n;

	l.expire_size = 2;
	ck_assert_int_eq(rtmsg_arp("", 0, &l, v, 1, &n, &e), -1);
	ck_assert_str_eq(e.msg, "routing messages: bad layout");
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("macping");
	TCase *tc = tcase_create("rtmsg");

	tcase_add_test(tc, fixtures);
	tcase_add_test(tc, prefixes);
	tcase_add_test(tc, room);
	tcase_add_test(tc, bad_layout);
	suite_add_tcase(s, tc);
	return s;
}
