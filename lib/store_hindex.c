/*
 * store_hindex.c - an index of the history (id -> where its entries
 * are), so that one machine's history costs what its entries cost, not
 * a read of the whole file: machttp keeps its store open and serves
 * /machines/<id> from its event loop.
 *
 * The index lives in the struct store. It is built by one read of the
 * file, then brought up to date at each use: a file that only grew
 * (writers append whole scans) is read from where the index stopped; a
 * file replaced (compaction renames a new one over it), cut (a writer
 * rolled back a failed append) or rewritten is indexed again. Each
 * entry is checked against the id when it is read, so an index that a
 * change slipped past is rebuilt, never believed.
 *
 * Cost: per machine, its id in the idmap and, per entry, the distance
 * from its previous entry's line and the line's length, as two varints:
 * 4 to 5 bytes an entry (entries of one Mac are a scan apart: hundreds
 * of kilobytes for a fleet of thousands), so about 8 KB for a Mac with
 * two years of history (1,660 entries) and 17 MB for 2,000 such Macs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_impl.h"

#define TAIL 64		/* bytes before the end, to tell a file grown */

struct hlist {
	unsigned char *b;	/* varints: offset delta, length; ... */
	size_t len, cap;
	off_t last;		/* offset of the last entry */
};

struct hindex {
	dev_t dev;
	ino_t ino;
	off_t end;		/* indexed up to here (past a whole line) */
	unsigned char tail[TAIL];
	size_t ntail;
	struct idmap ids;
	struct hlist *v;	/* v[i] for ids' index i */
	size_t cap;
};

void
hindex_free(struct hindex *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->ids.n; i++)
		free(x->v[i].b);
	free(x->v);
	idmap_free(&x->ids);
	free(x);
}

static int
put_varint(struct hlist *l, unsigned long long v)
{
	if (ms_grow(&l->b, &l->cap, l->len + 10, 1) == -1)
		return -1;
	while (v >= 0x80) {
		l->b[l->len++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	l->b[l->len++] = (unsigned char)v;
	return 0;
}

static unsigned long long
get_varint(const unsigned char *b, size_t len, size_t *i)
{
	unsigned long long v = 0;
	int shift = 0;

	while (*i < len && shift < 64) {
		unsigned char c = b[(*i)++];

		v |= (unsigned long long)(c & 0x7f) << shift;
		if (!(c & 0x80))
			break;
		shift += 7;
	}
	return v;
}

/* The bytes of fd just before end. */
static size_t
tail_of(int fd, off_t end, unsigned char *buf)
{
	off_t at = end > TAIL ? end - TAIL : 0;
	ssize_t n = pread(fd, buf, (size_t)(end - at), at);

	return n < 0 ? 0 : (size_t)n;
}

/* Index the lines of fd (path) from x->end on. 0, or -1 (e set). */
static int
index_from(struct hindex *x, int fd, const char *path, struct ms_err *e)
{
	struct lreader r;
	const char *line;
	size_t len, idcap = 0;
	char *idbuf = NULL;
	int rc;

	if (lr_init(&r, fd, x->end) == -1)
		return ms_err_set(e, "%s:", path);
	while ((rc = lr_next(&r, &line, &len)) == 1) {
		struct hent h;
		struct hlist *l;
		int created;
		long k;

		if (hist_scan(line, len, &h) != 1)
			continue;
		if (ms_grow(&idbuf, &idcap, h.idlen + 1, 1) == -1)
			goto nomem;
		if (h.idesc) {
			h.idlen = js_unescape(h.id, h.idlen, idbuf);
		} else {
			memcpy(idbuf, h.id, h.idlen);
			idbuf[h.idlen] = '\0';
		}
		if (ms_grow(&x->v, &x->cap, x->ids.n + 1, sizeof(*x->v)) ==
		    -1 || (k = idmap_add(&x->ids, idbuf, h.idlen, &created)) ==
		    -1)
			goto nomem;
		l = &x->v[k];
		if (created)
			memset(l, 0, sizeof(*l));
		if (put_varint(l, (unsigned long long)(r.line_off - l->last)) ==
		    -1 || put_varint(l, len) == -1)
			goto nomem;
		l->last = r.line_off;
	}
	if (rc == -1) {
		ms_err_set(e, "%s:", path);
		goto fail;
	}
	/* Up to the last whole line: one cut short is read next time. */
	x->end = r.base + (off_t)r.beg;
	x->ntail = tail_of(fd, x->end, x->tail);
	lr_free(&r);
	free(idbuf);
	return 0;
nomem:
	ms_err_set(e, "out of memory");
fail:
	lr_free(&r);
	free(idbuf);
	return -1;
}

/* Bring st's index up to date with the history open on fd. */
static int
hindex_update(struct store *st, int fd, const char *path, int rebuild,
    struct ms_err *e)
{
	struct hindex *x = st->hidx;
	unsigned char buf[TAIL];
	struct stat sb;

	if (fstat(fd, &sb) == -1)
		return ms_err_set(e, "%s:", path);
	if (x != NULL && !rebuild && x->dev == sb.st_dev &&
	    x->ino == sb.st_ino && sb.st_size >= x->end &&
	    tail_of(fd, x->end, buf) == x->ntail &&
	    memcmp(buf, x->tail, x->ntail) == 0) {
		if (sb.st_size == x->end)
			return 0;
		return index_from(x, fd, path, e);
	}
	hindex_free(x);
	if ((x = st->hidx = calloc(1, sizeof(*x))) == NULL)
		return ms_err_set(e, "out of memory");
	x->dev = sb.st_dev;
	x->ino = sb.st_ino;
	if (index_from(x, fd, path, e) == -1) {
		hindex_free(x);
		st->hidx = NULL;
		return -1;
	}
	return 0;
}

/*
 * Call add() for each entry of id, read through the index. 0; 1 when an
 * entry was not what the index said (the file changed: rebuild and try
 * again); -1 on error.
 */
static int
read_entries(struct store *st, int fd, const char *path, const char *id,
    hist_fn add, void *arg, struct ms_err *e)
{
	const struct hindex *x = st->hidx;
	char buf[STORE_HISTORY_LINE_MAX + 1], dec[STORE_HISTORY_LINE_MAX];
	size_t idlen = strlen(id), i = 0;
	const struct hlist *l;
	off_t off = 0;
	long k;

	if ((k = idmap_find(&x->ids, id, idlen)) < 0)
		return 0;
	l = &x->v[k];
	while (i < l->len) {
		struct hent h;
		const char *hid;
		size_t len;
		ssize_t n;

		off += (off_t)get_varint(l->b, l->len, &i);
		len = (size_t)get_varint(l->b, l->len, &i);
		if (len > STORE_HISTORY_LINE_MAX)
			return 1;
		if ((n = pread(fd, buf, len, off)) == -1)
			return ms_err_set(e, "%s:", path);
		if ((size_t)n != len || hist_scan(buf, len, &h) != 1)
			return 1;
		hid = h.id;
		if (h.idesc) {
			h.idlen = js_unescape(h.id, h.idlen, dec);
			hid = dec;
		}
		if (h.idlen != idlen || memcmp(hid, id, idlen) != 0)
			return 1;
		if (hent_time(&h) == -1)
			continue;
		if (add(arg, &h, id) == -1)
			return ms_err_set(e, "out of memory");
	}
	return 0;
}

int
hindex_read(struct store *st, const char *id, hist_fn add, void *arg,
    void (*reset)(void *), struct ms_err *e)
{
	char *path;
	int fd, tries, r = 1;

	if ((fd = hist_open(st, &path, e)) == -1) {
		int gone = errno == ENOENT;

		free(path);
		return gone ? 0 : -1;
	}
	/* An entry that is not what the index says: the file changed
	 * under it; what was read goes, and the index is built again. */
	for (tries = 0; tries < 2 && r == 1; tries++) {
		if (tries > 0)
			reset(arg);
		if (hindex_update(st, fd, path, tries > 0, e) == -1)
			r = -1;
		else
			r = read_entries(st, fd, path, id, add, arg, e);
	}
	if (r == 1) {
		/* Changed again: the whole file, the slow way. */
		reset(arg);
		r = hist_read(st, id, add, arg, e);
	}
	close(fd);
	free(path);
	return r;
}
