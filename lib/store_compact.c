/*
 * store_compact.c - writing the history: the entries of a scan appended
 * all or nothing, and the compaction that thins them out with age.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_impl.h"
#include "sys.h"

int
hist_header(struct ms_buf *b, size_t compacted)
{
	return ms_buf_printf(b, "{\"macscan_history\":1,\"compacted_bytes\":"
	    "%zu}\n", compacted);
}

int
hist_entry(struct ms_buf *b, const char *t, const char *id, json_t *rec,
    int online)
{
	int i;

	if (ms_buf_printf(b, "{\"t\":\"%s\",\"id\":", t) == -1 ||
	    js_str_append(b, id) == -1)
		return -1;
	for (i = 0; rec != NULL && i < H_N; i++) {
		json_t *v = json_object_get(rec, store_hfields[i]);

		if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		    ms_buf_printf(b, ",\"%s\":%" JSON_INTEGER_FORMAT,
		    store_hfields[i], json_integer_value(v)) == -1)
			return -1;
	}
	return ms_buf_printf(b, ",\"online\":%s}\n", online ? "true" :
	    "false");
}

/* The compacted_bytes of the header at the start of fd, else 0. */
static size_t
hist_compacted(int fd)
{
	char buf[256], *nl;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	struct hent h;

	if (n <= 0)
		return 0;
	if ((nl = memchr(buf, '\n', (size_t)n)) == NULL)
		return 0;
	if (hist_scan(buf, (size_t)(nl - buf), &h) != 2 || h.compacted < 0)
		return 0;
	return (size_t)h.compacted;
}

/* A line cut short by a killed writer is trimmed first, so the file
 * stays one entry a line. */
int
hist_append(struct store *st, const char *data, size_t len, int *due,
    struct ms_err *e)
{
	struct ms_buf hb = { 0 };
	struct stat sb;
	char *p = store_path(st, HISTORY);
	int fd, saved;
	size_t cb;
	off_t base = 0;

	*due = 0;
	if (p == NULL)
		return ms_err_set(e, "out of memory");
	fd = open(p, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (fd == -1 || fstat(fd, &sb) == -1)
		goto fail;
	if (sb.st_size == 0) {
		if (hist_header(&hb, 0) == -1)
			goto nomem;
		if (store_write_all(fd, hb.data, hb.len) == -1)
			goto fail;
	} else {
		char c;
		off_t end = sb.st_size;

		if (pread(fd, &c, 1, end - 1) != 1)
			goto fail;
		if (c != '\n') {
			char buf[4096];
			off_t at = end;

			/* Find the last newline, going back a block at a
			 * time; cut what follows it. */
			while (at > 0) {
				size_t n = at > (off_t)sizeof(buf) ?
				    sizeof(buf) : (size_t)at;
				ssize_t r;
				size_t q;

				at -= (off_t)n;
				if ((r = pread(fd, buf, n, at)) != (ssize_t)n)
					goto fail;
				/* The last newline (memrchr is GNU's). */
				for (q = n; q > 0 && buf[q - 1] != '\n'; q--)
					;
				if (q > 0) {
					at += (off_t)q;
					break;
				}
			}
			if (ftruncate(fd, at) == -1)
				goto fail;
			store_warnf(st, "%s: removed %lld bytes of a line cut "
			    "short", p, (long long)(end - at));
		}
	}
	if (fstat(fd, &sb) == -1)
		goto fail;
	base = sb.st_size;
	if (store_write_all(fd, data, len) == -1 || sys_fdatasync(fd) == -1 ||
	    fstat(fd, &sb) == -1) {
		/* All of the scan or none of it: cut a partial append (a
		 * full disk) back to where it started. */
		saved = errno;
		if (ftruncate(fd, base) == 0)
			(void)sys_fdatasync(fd);
		errno = saved;
		goto fail;
	}
	cb = hist_compacted(fd);
	*due = (size_t)sb.st_size > HISTORY_COMPACT_MIN &&
	    (size_t)sb.st_size > cb + cb / 4;
	close(fd);
	ms_buf_free(&hb);
	free(p);
	return 0;
nomem:
	errno = ENOMEM;
fail:
	ms_err_set(e, "%s:", p);
	if (fd != -1)
		close(fd);
	ms_buf_free(&hb);
	free(p);
	return -1;
}

/* History tiers: entries younger than max_age keep one per bucket. */
static const struct {
	long long max_age;
	long long bucket;	/* 0: every entry */
} tiers[] = {
	{ 2 * DAY, 0 },
	{ 30 * DAY, HOUR },
	{ 730 * DAY, DAY },
};
#define NTIERS (sizeof(tiers) / sizeof(tiers[0]))

struct bits {
	unsigned char *v;
	size_t cap;
};

static int
bits_set(struct bits *b, size_t i, int on)
{
	size_t old = b->cap;

	if (i / 8 >= b->cap) {
		if (ms_grow(&b->v, &b->cap, i / 8 + 1, 1) == -1)
			return -1;
		memset(b->v + old, 0, b->cap - old);
	}
	if (on)
		b->v[i / 8] |= (unsigned char)(1u << (i % 8));
	else
		b->v[i / 8] &= (unsigned char)~(1u << (i % 8));
	return 0;
}

static int
bits_get(const struct bits *b, size_t i)
{
	return i / 8 < b->cap && (b->v[i / 8] >> (i % 8)) & 1;
}

/* What compaction knows of a machine: its last entry's bucket. */
struct cand {
	int tier;
	long long bucket;
	size_t line;
	size_t linelen;
	int valid;
};

/*
 * Two passes over the file, so memory holds one bit per line and one
 * candidate per machine, whatever the file's size. Pass one decides
 * which lines stay: within a machine's run of entries of one (tier,
 * bucket), the last one. Pass two copies them, in their order, after a
 * new header, to a file that replaces the old one.
 */
long
store_history_compact(struct store *st, time_t now, struct ms_err *e)
{
	struct idmap ids = { 0 };
	struct cand *cv = NULL;
	struct bits keep = { 0 };
	struct ms_buf out = { 0 };
	struct lreader r;
	const char *line;
	size_t len, idx, kept = 0, total = 0, body = 0, ccap = 0, idcap = 0;
	char *path = NULL, *tmp = NULL, *idbuf = NULL;
	int fd = -1, tfd = -1, rc;
	long removed = -1;

	memset(&r, 0, sizeof(r));
	if (store_need_lock(st, e) == -1)
		return -1;
	if ((fd = hist_open(st, &path, e)) == -1) {
		if (errno == ENOENT)
			removed = 0;
		free(path);
		return removed;
	}
	if (lr_init(&r, fd, 0) == -1)
		goto nomem;
	for (idx = 0; (rc = lr_next(&r, &line, &len)) == 1; idx++) {
		struct hent h;
		const char *id;
		long long age, b;
		struct cand *c;
		long k;
		size_t t;
		int created;

		if (hist_scan(line, len, &h) != 1 || hent_time(&h) == -1)
			continue;
		total++;
		age = (long long)now - (long long)h.t;
		for (t = 0; t < NTIERS && age >= tiers[t].max_age; t++)
			;
		if (t == NTIERS)
			continue;
		if (bits_set(&keep, idx, 1) == -1)
			goto nomem;
		kept++;
		body += len + 1;
		if (tiers[t].bucket == 0)
			continue;
		id = h.id;
		if (h.idesc) {
			/* Decoding never grows it: room for the text is
			 * room for the id, however long. */
			if (ms_grow(&idbuf, &idcap, h.idlen + 1, 1) == -1)
				goto nomem;
			h.idlen = js_unescape(h.id, h.idlen, idbuf);
			id = idbuf;
		}
		if (ms_grow(&cv, &ccap, ids.n + 1, sizeof(*cv)) == -1 ||
		    (k = idmap_add(&ids, id, h.idlen, &created)) == -1)
			goto nomem;
		c = &cv[k];
		if (created)
			memset(c, 0, sizeof(*c));
		b = store_floordiv((long long)h.t, tiers[t].bucket);
		if (c->valid && c->tier == (int)t && c->bucket == b) {
			bits_set(&keep, c->line, 0);
			kept--;
			body -= c->linelen + 1;
		}
		c->valid = 1;
		c->tier = (int)t;
		c->bucket = b;
		c->line = idx;
		c->linelen = len;
	}
	if (rc == -1) {
		ms_err_set(e, "%s:", path);
		goto out;
	}
	lr_free(&r);
	if (lr_init(&r, fd, 0) == -1) {
		ms_err_set(e, "%s:", path);
		goto out;
	}
	if ((tfd = store_tmp_open(st->dir, &tmp, e)) == -1 ||
	    store_tmp_mode(tfd, path, e) == -1)
		goto out;
	if (hist_header(&out, body) == -1)
		goto nomem;
	for (idx = 0; (rc = lr_next(&r, &line, &len)) == 1; idx++) {
		if (!bits_get(&keep, idx))
			continue;
		if (ms_buf_append(&out, line, len) == -1 ||
		    ms_buf_append(&out, "\n", 1) == -1)
			goto nomem;
		if (out.len >= (1u << 20)) {
			if (store_write_all(tfd, out.data, out.len) == -1)
				goto wfail;
			ms_buf_reset(&out);
		}
	}
	if (rc == -1) {
		ms_err_set(e, "%s:", path);
		goto out;
	}
	rc = store_tmp_finish(tfd, tmp, out.data, out.len, e);
	tfd = -1;
	if (rc == -1)
		goto out;
	if (rename(tmp, path) == -1) {
		ms_err_set(e, "%s:", path);
		unlink(tmp);
		goto out;
	}
	if (store_fsync_dir(st->dir, e) == -1)
		goto out;
	removed = (long)(total - kept);
	goto out;
wfail:
	ms_err_set(e, "%s:", tmp);
	goto out;
nomem:
	ms_err_set(e, "out of memory");
out:
	if (tfd != -1) {
		close(tfd);
		unlink(tmp);
	}
	lr_free(&r);
	close(fd);
	idmap_free(&ids);
	free(idbuf);
	free(cv);
	free(keep.v);
	ms_buf_free(&out);
	free(path);
	free(tmp);
	return removed;
}
