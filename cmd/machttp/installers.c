/*
 * installers.c - the files of the installers directory, served from one
 * shared copy per version of each file, and their SHA-256.
 *
 * A request opens the file (no symbolic link followed, a FIFO cannot
 * block) and looks it up by name: when the device, inode, size and
 * modification and change times are those of the copy held, that copy
 * is served with one more reference; otherwise the file is read once
 * into a new copy that replaces the old one in the table. However many
 * clients ask for a file, and however slowly they read, the memory is
 * one copy of each version they are sent (at most MACHTTP_MAX_INSTALLER
 * bytes each), not one per client. At most MACHTTP_INST_FILES files are
 * held; the least recently used goes first. Listing the files for the
 * dashboard reads them to hash them, without keeping a copy: only a file
 * someone downloads is held in memory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "machttp.h"

/* SHA-256 (FIPS 180-4), for the checksums the dashboard shows. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void
sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
		    w[i - 15] >> 3) + w[i - 7] + (ROR(w[i - 2], 17) ^
		    ROR(w[i - 2], 19) ^ w[i - 2] >> 10);
	a = h[0], b = h[1], c = h[2], d = h[3];
	e = h[4], f = h[5], g = h[6], k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		    ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		    ((a & b) ^ (a & c) ^ (b & c));
		k = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

struct sha256 {
	uint32_t h[8];
	unsigned char buf[64];
	size_t n;		/* bytes in buf */
	uint64_t len;		/* bytes hashed */
};

static void
sha256_init(struct sha256 *c)
{
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
	    0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(c->h, h0, sizeof(h0));
	c->n = 0;
	c->len = 0;
}

static void
sha256_update(struct sha256 *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t k;

	c->len += n;
	while (n > 0) {
		if (c->n == 0 && n >= 64) {
			sha256_block(c->h, p);
			p += 64;
			n -= 64;
			continue;
		}
		k = 64 - c->n < n ? 64 - c->n : n;
		memcpy(c->buf + c->n, p, k);
		c->n += k;
		p += k;
		n -= k;
		if (c->n == 64) {
			sha256_block(c->h, c->buf);
			c->n = 0;
		}
	}
}

static void
sha256_final(struct sha256 *c, char out[65])
{
	uint64_t bits = c->len * 8;
	unsigned char pad[72] = { 0x80 };
	size_t i, np = c->n < 56 ? 56 - c->n : 120 - c->n;

	for (i = 0; i < 8; i++)
		pad[np + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(c, pad, np + 8);
	for (i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", (unsigned)c->h[i]);
}

void
sha256_hex(const void *data, size_t n, char out[65])
{
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, data, n);
	sha256_final(&c, out);
}

/*
 * An installer name: [A-Za-z0-9._-], no leading dot, so no "..", no
 * slash, no NUL and nothing hidden. Whatever encoding the client used,
 * this is checked on the decoded name, and a name still holding a '%'
 * (a double encoding) is refused like any other character.
 */
static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 255 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

static int
same_version(const struct installer *in, const struct stat *sb)
{
	return in->dev == sb->st_dev && in->ino == sb->st_ino &&
	    in->size == sb->st_size &&
	    in->mtim.tv_sec == sb->st_mtim.tv_sec &&
	    in->mtim.tv_nsec == sb->st_mtim.tv_nsec &&
	    in->ctim.tv_sec == sb->st_ctim.tv_sec &&
	    in->ctim.tv_nsec == sb->st_ctim.tv_nsec;
}

/* The whole of fd, sb->st_size bytes, into a new blob; NULL and e. */
static struct blob *
read_all(int fd, const struct stat *sb, struct ms_err *e)
{
	size_t want = (size_t)sb->st_size, got = 0;
	struct blob *b;
	char *data;
	ssize_t r;

	if ((data = malloc(want + 1)) == NULL) {
		ms_err_set(e, "out of memory");
		return NULL;
	}
	while (got < want) {
		r = read(fd, data + got, want - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != want) {
		free(data);
		ms_err_set(e, "cannot read the installer");
		return NULL;
	}
	if ((b = blob_new(data, got)) == NULL)
		ms_err_set(e, "out of memory");
	return b;
}

/* The SHA-256 of fd's sb->st_size bytes, read in pieces; 0 or -1. */
static int
hash_fd(int fd, const struct stat *sb, char out[65])
{
	struct sha256 c;
	char buf[65536];
	size_t want = (size_t)sb->st_size, got = 0;
	ssize_t r;

	sha256_init(&c);
	while (got < want) {
		r = read(fd, buf, want - got < sizeof(buf) ? want - got :
		    sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		sha256_update(&c, buf, (size_t)r);
		got += (size_t)r;
	}
	sha256_final(&c, out);
	return 0;
}

/* The slot for name: its own, a free one, or the least recently used. */
static struct installer *
slot(struct app *a, const char *name)
{
	struct installer *in, *lru = NULL;
	size_t i;

	for (i = 0; i < a->ninst; i++)
		if (strcmp(a->inst[i].name, name) == 0)
			return &a->inst[i];
	if (a->ninst < MACHTTP_INST_FILES) {
		in = &a->inst[a->ninst++];
		memset(in, 0, sizeof(*in));
		return in;
	}
	for (i = 0; i < a->ninst; i++)
		if (lru == NULL || a->inst[i].used < lru->used)
			lru = &a->inst[i];
	blob_unref(lru->blob);
	memset(lru, 0, sizeof(*lru));
	return lru;
}

/*
 * Open name in the directory and find its entry, made current: with its
 * copy when want_copy (read if the version held is not the file's),
 * with its SHA-256 in any case. The entry, or NULL with *st 404 or 500
 * (and e).
 */
static struct installer *
lookup(struct app *a, const char *name, size_t n, int want_copy, int *st,
    struct ms_err *e)
{
	struct installer *in;
	struct blob *b;
	struct stat sb;
	char nm[256];
	int fd;

	*st = 404;
	if (!name_ok(name, n) || a->instfd == -1)
		return NULL;
	memcpy(nm, name, n);
	nm[n] = '\0';
	/* O_NOFOLLOW: a symbolic link in the directory is not followed;
	 * O_NONBLOCK: a FIFO put there cannot hang the server. */
	fd = openat(a->instfd, nm, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
			ms_warn("installers: %s:", nm);
		return NULL;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (unsigned long long)sb.st_size > MACHTTP_MAX_INSTALLER) {
		close(fd);
		return NULL;
	}
	in = slot(a, nm);
	if (in->name[0] == '\0' || !same_version(in, &sb)) {
		/* Connections still sending the old copy keep it alive. */
		blob_unref(in->blob);
		memset(in, 0, sizeof(*in));
		snprintf(in->name, sizeof(in->name), "%s", nm);
		in->dev = sb.st_dev;
		in->ino = sb.st_ino;
		in->size = sb.st_size;
		in->mtim = sb.st_mtim;
		in->ctim = sb.st_ctim;
	}
	if (want_copy && in->blob == NULL) {
		if ((b = read_all(fd, &sb, e)) == NULL)
			goto fail;
		in->blob = b;
		if (in->sha256[0] == '\0')
			sha256_hex(b->data, b->len, in->sha256);
	} else if (in->sha256[0] == '\0' &&
	    hash_fd(fd, &sb, in->sha256) == -1) {
		in->sha256[0] = '\0';
		ms_err_set(e, "cannot read the installer");
		goto fail;
	}
	close(fd);
	in->used = a->gen;
	return in;
fail:
	close(fd);
	ms_warn("installers: %s: %s", nm, e->msg);
	/* Nothing half made stays: the next request tries again. */
	blob_unref(in->blob);
	memset(in, 0, sizeof(*in));
	*st = 500;
	return NULL;
}

int
inst_get(struct app *a, const char *name, size_t n, struct blob **out,
    struct ms_err *e)
{
	struct installer *in;
	int st;

	if ((in = lookup(a, name, n, 1, &st, e)) == NULL)
		return st == 404 ? -1 : -2;
	*out = blob_ref(in->blob);
	return 0;
}

static int
by_name(const void *x, const void *y)
{
	return strcmp(((const struct inst_info *)x)->name,
	    ((const struct inst_info *)y)->name);
}

size_t
inst_list(struct app *a, struct inst_info *v, size_t max)
{
	struct ms_err e = { "" };
	struct installer *in;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd, st;

	if (a->instfd == -1 || (fd = openat(a->instfd, ".", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while (n < max && (de = readdir(d)) != NULL) {
		if ((in = lookup(a, de->d_name, strlen(de->d_name), 0, &st,
		    &e)) == NULL)
			continue;
		snprintf(v[n].name, sizeof(v[n].name), "%s", in->name);
		v[n].size = (long long)in->size;
		memcpy(v[n].sha256, in->sha256, sizeof(v[n].sha256));
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), by_name);
	return n;
}

void
inst_clear(struct app *a)
{
	size_t i;

	for (i = 0; i < a->ninst; i++)
		blob_unref(a->inst[i].blob);
	a->ninst = 0;
}
