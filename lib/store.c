/*
 * store.c - the store: atomic snapshots, the merged view, the history and
 * state files. See store.h for the layout and the file formats.
 *
 * The merged view is the hot path (machttp and every scan read it), so
 * it is computed on the text: each snapshot is read whole, each record
 * line is checked by a small JSON scanner that also picks out "id" and
 * "first_seen", and only the newest line of each id is kept, as text.
 * Output splices first_seen, last_seen and online into that text. Only
 * records that do not have the shape the writer gives them (a file
 * edited by hand) go through jansson. This keeps one snapshot in memory
 * at a time plus one line per machine.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "record.h"
#include "rfc3339.h"
#include "store.h"
#include "sys.h"

#define SNAPDIR "snapshots"
#define HISTORY "history.ndjson"
#define TMPPREFIX ".tmp-"
#define JS_MAXDEPTH 512
#define HISTORY_COMPACT_MIN (1u << 20)
#define MERGE_RETRIES 3
#define DAY 86400LL
#define HOUR 3600LL

struct store {
	char *dir;
	char *snapdir;
	int flags;
	int lockfd;
	store_warn_fn warn;
	void *warnarg;
};

static void
warnf(struct store *st, const char *fmt, ...) MS_PRINTF(2, 3);

static void
warnf(struct store *st, const char *fmt, ...)
{
	char msg[MS_ERRLEN];
	va_list ap;

	if (st == NULL || st->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->warn(st->warnarg, msg);
}

static char *
path_join(const char *a, const char *b)
{
	struct ms_buf p = { 0 };

	if (ms_buf_printf(&p, "%s/%s", a, b) == -1) {
		ms_buf_free(&p);
		return NULL;
	}
	return ms_buf_steal(&p, NULL);
}

static uint64_t
fnv1a(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	while (n-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

/* ---- opening, locking, files -------------------------------------- */

struct store *
store_open(const char *dir, int flags, struct ms_err *e)
{
	struct store *st;
	struct stat sb;

	if (dir == NULL || *dir == '\0') {
		ms_err_set(e, "no store directory given");
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		ms_err_set(e, "out of memory");
		return NULL;
	}
	st->lockfd = -1;
	st->flags = flags;
	if ((st->dir = strdup(dir)) == NULL ||
	    (st->snapdir = path_join(dir, SNAPDIR)) == NULL) {
		ms_err_set(e, "out of memory");
		goto fail;
	}
	if ((flags & STORE_CREATE) && mkdir(dir, 0755) == -1 &&
	    errno != EEXIST) {
		ms_err_set(e, "%s:", dir);
		goto fail;
	}
	if (stat(dir, &sb) == -1) {
		ms_err_set(e, "%s:", dir);
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		ms_err_set(e, "%s: not a directory", dir);
		goto fail;
	}
	if ((flags & STORE_CREATE) && mkdir(st->snapdir, 0755) == -1 &&
	    errno != EEXIST) {
		ms_err_set(e, "%s:", st->snapdir);
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	store_unlock(st);
	free(st->dir);
	free(st->snapdir);
	free(st);
}

const char *
store_dir(const struct store *st)
{
	return st->dir;
}

void
store_set_warn(struct store *st, store_warn_fn fn, void *arg)
{
	st->warn = fn;
	st->warnarg = arg;
}

char *
store_path(const struct store *st, const char *name)
{
	return path_join(st->dir, name);
}

/* Remove what killed writers left: only a writer holding the lock calls
 * this, so no .tmp-* file is in use. */
static void
clean_tmp(const char *dir)
{
	DIR *d;
	struct dirent *de;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, TMPPREFIX, strlen(TMPPREFIX)) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int
store_lock(struct store *st, int timeout_s, struct ms_err *e)
{
	int64_t deadline;
	char *p;
	int fd;

	if (!(st->flags & STORE_CREATE))
		return ms_err_set(e, "%s: store opened read-only", st->dir);
	if (st->lockfd != -1)
		return 0;
	if ((p = store_path(st, "lock")) == NULL)
		return ms_err_set(e, "out of memory");
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		ms_err_set(e, "%s:", p);
		free(p);
		return -1;
	}
	deadline = ms_now_ns() + (int64_t)timeout_s * 1000000000LL;
	for (;;) {
		struct timespec ts = { 0, 20000000 };

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			ms_err_set(e, "%s: flock:", p);
			goto fail;
		}
		if (ms_now_ns() >= deadline) {
			ms_err_set(e, "%s: another writer holds the lock "
			    "(waited %d s)", p, timeout_s);
			goto fail;
		}
		nanosleep(&ts, NULL);
	}
	free(p);
	st->lockfd = fd;
	clean_tmp(st->dir);
	clean_tmp(st->snapdir);
	return 0;
fail:
	close(fd);
	free(p);
	return -1;
}

void
store_unlock(struct store *st)
{
	if (st->lockfd != -1) {
		close(st->lockfd);	/* releases the flock */
		st->lockfd = -1;
	}
}

static int
need_lock(struct store *st, struct ms_err *e)
{
	if (st->lockfd == -1)
		return ms_err_set(e, "%s: the store is not locked", st->dir);
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
fsync_dir(const char *dir, struct ms_err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		return ms_err_set(e, "%s:", dir);
	if (fsync(fd) == -1 && errno != EINVAL) {
		ms_err_set(e, "%s: fsync:", dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * A new temporary file in dir (".tmp-XXXXXX", mode 0644): its fd, and
 * its path in *tmp. -1 and e on error.
 */
static int
tmp_open(const char *dir, char **tmp, struct ms_err *e)
{
	int fd;

	*tmp = path_join(dir, TMPPREFIX "XXXXXX");
	if (*tmp == NULL)
		return ms_err_set(e, "out of memory");
	if ((fd = mkstemp(*tmp)) == -1) {
		ms_err_set(e, "cannot create a file in %s:", dir);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	if (fchmod(fd, 0644) == -1) {
		ms_err_set(e, "%s:", *tmp);
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	return fd;
}

/* Write, fsync and close a temporary file; on error it is removed. */
static int
tmp_finish(int fd, char *tmp, const char *data, size_t len,
    struct ms_err *e)
{
	if ((len > 0 && write_all(fd, data, len) == -1) || fsync(fd) == -1) {
		ms_err_set(e, "%s:", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1) {
		ms_err_set(e, "%s:", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Replace dir/name by data, atomically and durably. */
static int
atomic_write(const char *dir, const char *name, const char *data,
    size_t len, struct ms_err *e)
{
	char *tmp, *dst;
	int fd;

	if ((fd = tmp_open(dir, &tmp, e)) == -1)
		return -1;
	if (tmp_finish(fd, tmp, data, len, e) == -1) {
		free(tmp);
		return -1;
	}
	if ((dst = path_join(dir, name)) == NULL) {
		unlink(tmp);
		free(tmp);
		return ms_err_set(e, "out of memory");
	}
	if (rename(tmp, dst) == -1) {
		ms_err_set(e, "%s:", dst);
		unlink(tmp);
		free(tmp);
		free(dst);
		return -1;
	}
	free(tmp);
	free(dst);
	return fsync_dir(dir, e);
}

/*
 * Read a whole file of at most max bytes. NULL and *gone = 1 when it does
 * not exist (a snapshot pruned while a reader listed it), NULL and e on
 * other errors.
 */
static char *
read_whole(const char *path, size_t max, size_t *len, int *gone,
    struct ms_err *e)
{
	struct stat sb;
	size_t cap, n = 0;
	char *buf;
	int fd;

	*gone = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			*gone = 1;
		ms_err_set(e, "%s:", path);
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		ms_err_set(e, "%s:", path);
		close(fd);
		return NULL;
	}
	if (S_ISREG(sb.st_mode) && (uintmax_t)sb.st_size > max) {
		ms_err_set(e, "%s: larger than %zu bytes", path, max);
		close(fd);
		return NULL;
	}
	/* Sized from fstat, so a file is read straight into place. */
	cap = S_ISREG(sb.st_mode) ? (size_t)sb.st_size + 1 : 65536;
	if ((buf = malloc(cap)) == NULL)
		goto nomem;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *p;

			if (cap > max + 1) {
				ms_err_set(e, "%s: larger than %zu bytes",
				    path, max);
				goto fail;
			}
			cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			if ((p = realloc(buf, cap)) == NULL)
				goto nomem;
			buf = p;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			ms_err_set(e, "%s:", path);
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			ms_err_set(e, "%s: larger than %zu bytes", path, max);
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
nomem:
	ms_err_set(e, "%s: out of memory", path);
fail:
	close(fd);
	free(buf);
	return NULL;
}

/* ---- a small JSON scanner -------------------------------------------- */

/*
 * It accepts exactly what jansson's json_loadb() accepts for an object
 * (the fuzz harness checks this), except that it refuses nesting deeper
 * than JS_MAXDEPTH, and it does not allocate: it reports each top-level
 * member (key and value as they are in the text) to a callback.
 */
enum { JT_STRING = 1, JT_INT, JT_REAL, JT_TRUE, JT_FALSE, JT_NULL,
	JT_OBJECT, JT_ARRAY };

struct jerr {
	const char *msg;	/* static */
	size_t off;		/* where, from the start of the text */
};

struct jmember {
	const char *key;	/* the key's text, without its quotes */
	size_t klen;
	int kesc;		/* it holds a backslash escape */
	const char *val;	/* the value's text (a string: without quotes) */
	size_t vlen;
	int vesc;
	int type;
	const char *vend;	/* just past the value (and its quote) */
};

typedef int (*jmember_fn)(void *arg, const struct jmember *m);

struct jscan {
	const char *start, *end;
	struct jerr *je;
};

static const char *
js_fail(struct jscan *s, const char *p, const char *msg)
{
	s->je->msg = msg;
	s->je->off = (size_t)(p - s->start);
	return NULL;
}

static const char *
js_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

static long
hex4(const char *p, const char *end)
{
	long v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* 8 bytes that hold no '"', '\\', control or non-ASCII byte? (May say
 * no when they do not: the byte loop then decides.) */
static int
plain8(const char *p)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t x, q, b, t;

	memcpy(&x, p, 8);
	q = x ^ (ones * '"');
	b = x ^ (ones * '\\');
	t = ((q - ones) & ~q) | ((b - ones) & ~b) |
	    ((x - ones * 0x20) & ~x) | x;
	return (t & high) == 0;
}

/* Bytes that stand for themselves in a string: printable ASCII but '"'
 * and '\\'. */
static const unsigned char plain[256] = {
	['\x20'] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* p just after the opening quote; returns just after the closing one. */
static const char *
js_string(struct jscan *s, const char *p, int *esc)
{
	const char *end = s->end;

	for (;;) {
		const char *lim;
		unsigned char c;
		size_t k;

		while (end - p >= 8 && plain8(p))
			p += 8;
		lim = end - p > 8 ? p + 8 : end;
		while (p < lim && plain[(unsigned char)*p])
			p++;
		if (p == lim && p < end)
			continue;
		if (p >= end)
			return js_fail(s, p, "unterminated string");
		c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c == '\\') {
			long v, v2;

			*esc = 1;
			if (end - p < 2)
				return js_fail(s, p, "unterminated string");
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				break;
			default:
				return js_fail(s, p, "invalid escape in a "
				    "string");
			}
			if ((v = hex4(p + 2, end)) < 0)
				return js_fail(s, p, "invalid \\u escape");
			if (v == 0)
				return js_fail(s, p, "\\u0000 in a string");
			if (v >= 0xdc00 && v <= 0xdfff)
				return js_fail(s, p, "lone UTF-16 surrogate");
			if (v >= 0xd800 && v <= 0xdbff) {
				if (end - p < 12 || p[6] != '\\' ||
				    p[7] != 'u' ||
				    (v2 = hex4(p + 8, end)) < 0xdc00 ||
				    v2 > 0xdfff)
					return js_fail(s, p, "lone UTF-16 "
					    "surrogate");
				p += 12;
			} else {
				p += 6;
			}
			continue;
		}
		if (c < 0x20)
			return js_fail(s, p, "control character in a string");
		k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		if (k == 1 || (size_t)(end - p) < k || !ms_utf8_valid(p, k))
			return js_fail(s, p, "invalid UTF-8");
		p += k;
	}
}

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

static const char *
js_number(struct jscan *s, const char *p, int *type)
{
	const char *end = s->end, *b = p, *d;
	int neg = 0, isint = 1, expo = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	d = p;
	if (p >= end)
		return js_fail(s, p, "invalid number");
	if (*p == '0') {
		p++;
		if (p < end && isdig(*p))
			return js_fail(s, p, "leading zero in a number");
	} else if (isdig(*p)) {
		while (p < end && isdig(*p))
			p++;
	} else {
		return js_fail(s, p, "invalid number");
	}
	if (p < end && *p == '.') {
		isint = 0;
		p++;
		if (p >= end || !isdig(*p))
			return js_fail(s, p, "invalid number");
		while (p < end && isdig(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		isint = 0;
		expo = 1;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !isdig(*p))
			return js_fail(s, p, "invalid number");
		while (p < end && isdig(*p))
			p++;
	}
	if (isint) {
		size_t n = (size_t)(p - d);
		const char *lim = neg ? "9223372036854775808" :
		    "9223372036854775807";

		if (n > 19 || (n == 19 && memcmp(d, lim, 19) > 0))
			return js_fail(s, b, "integer out of range");
		*type = JT_INT;
		return p;
	}
	if (expo || p - b > 300) {
		/* Only then can a double overflow, as jansson checks. */
		size_t n = (size_t)(p - b);
		char small[64], *tmp = n < sizeof(small) ? small : malloc(n + 1);
		double v;

		if (tmp == NULL)
			return js_fail(s, b, "out of memory");
		memcpy(tmp, b, n);
		tmp[n] = '\0';
		v = strtod(tmp, NULL);
		if (tmp != small)
			free(tmp);
		if (isinf(v))
			return js_fail(s, b, "real number out of range");
	}
	*type = JT_REAL;
	return p;
}

static const char *js_value(struct jscan *, const char *, int, int *);

static const char *
js_container(struct jscan *s, const char *p, int depth, int obj)
{
	const char *end = s->end;
	int type, esc;

	if (depth >= JS_MAXDEPTH)
		return js_fail(s, p, "nested too deeply");
	p = js_ws(p + 1, end);
	if (p < end && *p == (obj ? '}' : ']'))
		return p + 1;
	for (;;) {
		if (obj) {
			if (p >= end || *p != '"')
				return js_fail(s, p, "expected a string key");
			esc = 0;
			if ((p = js_string(s, p + 1, &esc)) == NULL)
				return NULL;
			p = js_ws(p, end);
			if (p >= end || *p != ':')
				return js_fail(s, p, "expected ':'");
			p = js_ws(p + 1, end);
		}
		if ((p = js_value(s, p, depth + 1, &type)) == NULL)
			return NULL;
		p = js_ws(p, end);
		if (p < end && *p == ',') {
			p = js_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == (obj ? '}' : ']'))
			return p + 1;
		return js_fail(s, p, obj ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	}
}

static const char *
js_literal(struct jscan *s, const char *p, const char *lit, size_t n)
{
	if ((size_t)(s->end - p) < n || memcmp(p, lit, n) != 0)
		return js_fail(s, p, "invalid literal");
	return p + n;
}

static const char *
js_value(struct jscan *s, const char *p, int depth, int *type)
{
	int esc = 0;

	if (p >= s->end)
		return js_fail(s, p, "unexpected end of input");
	switch (*p) {
	case '"':
		*type = JT_STRING;
		return js_string(s, p + 1, &esc);
	case '{':
		*type = JT_OBJECT;
		return js_container(s, p, depth, 1);
	case '[':
		*type = JT_ARRAY;
		return js_container(s, p, depth, 0);
	case 't':
		*type = JT_TRUE;
		return js_literal(s, p, "true", 4);
	case 'f':
		*type = JT_FALSE;
		return js_literal(s, p, "false", 5);
	case 'n':
		*type = JT_NULL;
		return js_literal(s, p, "null", 4);
	default:
		if (*p == '-' || isdig(*p))
			return js_number(s, p, type);
		return js_fail(s, p, "unexpected character");
	}
}

/*
 * Scan text as one JSON object, calling fn for each top-level member.
 * 0; -1 with je set on a syntax error; the callback's -1 (je->msg set
 * by it, or NULL) stops the scan.
 */
static int
js_object(const char *text, size_t len, jmember_fn fn, void *arg,
    struct jerr *je)
{
	struct jscan s = { text, text + len, je };
	const char *p = js_ws(text, s.end), *end = s.end;
	struct jmember m;

	je->msg = NULL;
	je->off = 0;
	if (p >= end || *p != '{') {
		js_fail(&s, p, "not a JSON object");
		return -1;
	}
	p = js_ws(p + 1, end);
	if (p < end && *p == '}') {
		p++;
		goto done;
	}
	for (;;) {
		if (p >= end || *p != '"') {
			js_fail(&s, p, "expected a string key");
			return -1;
		}
		m.key = p + 1;
		m.kesc = 0;
		if ((p = js_string(&s, p + 1, &m.kesc)) == NULL)
			return -1;
		m.klen = (size_t)(p - 1 - m.key);
		p = js_ws(p, end);
		if (p >= end || *p != ':') {
			js_fail(&s, p, "expected ':'");
			return -1;
		}
		p = js_ws(p + 1, end);
		m.val = p;
		m.vesc = 0;
		if (p < end && *p == '"') {
			m.type = JT_STRING;
			m.val = p + 1;
			if ((p = js_string(&s, p + 1, &m.vesc)) == NULL)
				return -1;
			m.vlen = (size_t)(p - 1 - m.val);
		} else {
			if ((p = js_value(&s, p, 1, &m.type)) == NULL)
				return -1;
			m.vlen = (size_t)(p - m.val);
		}
		m.vend = p;
		if (fn != NULL && fn(arg, &m) == -1) {
			if (je->msg == NULL)
				je->msg = "rejected";
			je->off = (size_t)(m.key - 1 - text);
			return -1;
		}
		p = js_ws(p, end);
		if (p < end && *p == ',') {
			p = js_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}') {
			p++;
			break;
		}
		js_fail(&s, p, "expected ',' or '}'");
		return -1;
	}
done:
	p = js_ws(p, end);
	if (p != end) {
		js_fail(&s, p, "trailing characters after the object");
		return -1;
	}
	return 0;
}

static void
put_utf8(char **o, unsigned long cp)
{
	unsigned char *q = (unsigned char *)*o;

	if (cp < 0x80) {
		*q++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*q++ = (unsigned char)(0xc0 | (cp >> 6));
		*q++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*q++ = (unsigned char)(0xe0 | (cp >> 12));
		*q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*q++ = (unsigned char)(0xf0 | (cp >> 18));
		*q++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		*q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*o = (char *)q;
}

/*
 * The value of a string the scanner accepted (its text without quotes),
 * escapes decoded, into out (at least len + 1 bytes: decoding never
 * grows it). Returns the decoded length.
 */
static size_t
js_unescape(const char *p, size_t len, char *out)
{
	const char *end = p + len;
	char *o = out;

	while (p < end) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b': *o++ = '\b'; p += 2; break;
		case 'f': *o++ = '\f'; p += 2; break;
		case 'n': *o++ = '\n'; p += 2; break;
		case 'r': *o++ = '\r'; p += 2; break;
		case 't': *o++ = '\t'; p += 2; break;
		case 'u': {
			unsigned long v = (unsigned long)hex4(p + 2, end);

			p += 6;
			if (v >= 0xd800 && v <= 0xdbff) {
				unsigned long lo = (unsigned long)hex4(p + 2,
				    end);

				v = 0x10000 + ((v - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			put_utf8(&o, v);
			break;
		}
		default:
			*o++ = p[1];
			p += 2;
			break;
		}
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* A malloc'ed copy of a scanned string's value. */
static char *
js_strdup(const char *p, size_t len, int esc)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	if (esc) {
		js_unescape(p, len, s);
	} else {
		memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

/* Does a member's key equal name? (Escaped keys are decoded.) */
static int
key_is(const struct jmember *m, const char *name, size_t n)
{
	char buf[128];

	if (!m->kesc)
		return m->klen == n && memcmp(m->key, name, n) == 0;
	if (m->klen >= sizeof(buf))
		return 0;
	return js_unescape(m->key, m->klen, buf) == n &&
	    memcmp(buf, name, n) == 0;
}

/* ---- records as the merge sees them ---------------------------------- */

enum { K_ID, K_FIRST, K_LAST, K_ONLINE, K_SERIAL, K_MAC, K_IP, K_HOST,
	K_N };
static const struct {
	const char *name;
	size_t len;
} rkeys[K_N] = {
	{ "id", 2 }, { "first_seen", 10 }, { "last_seen", 9 },
	{ "online", 6 }, { "serial", 6 }, { "mac", 3 }, { "ip", 2 },
	{ "host", 4 }
};

struct rinfo {
	const char *text;
	size_t len;
	struct {
		const char *p;
		size_t len;
		int esc;
		int type;
	} k[K_N];
	unsigned seen;		/* bit per K_ */
	size_t nmem;
	size_t fs_index;	/* index of first_seen among the members */
	const char *cut;	/* the end of the last member before first_seen */
	const char *lastend;	/* the end of the last member */
	const char *id;		/* the identity's text (a string value) */
	size_t idlen;
	int idesc;
	int idkey;		/* 1: from "id"; 0: derived (serial, ...) */
	int fast;		/* first_seen, last_seen, online can be spliced */
};

/* Which of rkeys a member's key is, or -1: by length first, as most
 * keys of a record are none of them. */
static int
rkey_of(const struct jmember *m)
{
	int i;

	if (m->kesc) {
		for (i = 0; i < K_N; i++)
			if (key_is(m, rkeys[i].name, rkeys[i].len))
				return i;
		return -1;
	}
	switch (m->klen) {
	case 2:
		return m->key[0] == 'i' ? (m->key[1] == 'd' ? K_ID :
		    m->key[1] == 'p' ? K_IP : -1) : -1;
	case 3:
		return memcmp(m->key, "mac", 3) == 0 ? K_MAC : -1;
	case 4:
		return memcmp(m->key, "host", 4) == 0 ? K_HOST : -1;
	case 6:
		return memcmp(m->key, "online", 6) == 0 ? K_ONLINE :
		    memcmp(m->key, "serial", 6) == 0 ? K_SERIAL : -1;
	case 9:
		return memcmp(m->key, "last_seen", 9) == 0 ? K_LAST : -1;
	case 10:
		return memcmp(m->key, "first_seen", 10) == 0 ? K_FIRST : -1;
	default:
		return -1;
	}
}

static int
rec_member(void *arg, const struct jmember *m)
{
	struct rinfo *ri = arg;
	int i = rkey_of(m);

	if (i >= 0) {
		if (ri->seen & (1u << i)) {
			/* Which duplicate would win is a reader's choice:
			 * jansson refuses it, so do we. */
			return -1;
		}
		ri->seen |= 1u << i;
		ri->k[i].p = m->val;
		ri->k[i].len = m->vlen;
		ri->k[i].esc = m->vesc;
		ri->k[i].type = m->type;
		if (i == K_FIRST) {
			ri->fs_index = ri->nmem;
			ri->cut = ri->lastend;
		}
	}
	ri->lastend = m->vend;
	ri->nmem++;
	return 0;
}

/*
 * Scan one record's text. 1 with its identity, 0 when it has none (the
 * record is to be skipped), -1 with je on a syntax error.
 */
static int
rec_scan(const char *text, size_t len, struct rinfo *ri, struct jerr *je)
{
	int i;

	memset(ri, 0, sizeof(*ri));
	ri->text = text;
	ri->len = len;
	if (js_object(text, len, rec_member, ri, je) == -1) {
		if (je->msg != NULL && strcmp(je->msg, "rejected") == 0)
			je->msg = "duplicate key";
		return -1;
	}
	if ((ri->seen & (1u << K_ID)) && ri->k[K_ID].type != JT_STRING) {
		je->msg = "\"id\" is not a string";
		return -1;
	}
	for (i = K_ID; i < K_N; i++) {
		if (i == K_FIRST || i == K_LAST || i == K_ONLINE)
			continue;
		if ((ri->seen & (1u << i)) && ri->k[i].type == JT_STRING &&
		    ri->k[i].len > 0) {
			ri->id = ri->k[i].p;
			ri->idlen = ri->k[i].len;
			ri->idesc = ri->k[i].esc;
			ri->idkey = i == K_ID;
			break;
		}
	}
	if (ri->id == NULL)
		return 0;
	ri->fast = ri->idkey && !(ri->seen & (1u << K_LAST)) &&
	    !(ri->seen & (1u << K_ONLINE)) &&
	    (!(ri->seen & (1u << K_FIRST)) || ri->fs_index == ri->nmem - 1);
	if (!(ri->seen & (1u << K_FIRST)))
		ri->cut = ri->lastend;
	return 1;
}

/* ---- snapshot names ------------------------------------------------- */

/* "machines-YYYYMMDDTHHMMSSZ.json" or "...Z-N.json" (1 <= N <= 99999). */
static int
snap_name_parse(const char *s, time_t *when, unsigned *seq)
{
	int v[6], i;
	const char *p;
	static const int w[6] = { 4, 2, 2, 2, 2, 2 };

	if (strncmp(s, "machines-", 9) != 0)
		return -1;
	p = s + 9;
	for (i = 0; i < 6; i++) {
		int k, x = 0;

		if (i == 3) {
			if (*p++ != 'T')
				return -1;
		}
		for (k = 0; k < w[i]; k++, p++) {
			if (!isdig(*p))
				return -1;
			x = x * 10 + (*p - '0');
		}
		v[i] = x;
	}
	if (*p++ != 'Z')
		return -1;
	*seq = 0;
	if (*p == '-') {
		unsigned n = 0;
		int k = 0;

		p++;
		if (*p == '0')
			return -1;
		while (isdig(*p) && k < 5) {
			n = n * 10 + (unsigned)(*p++ - '0');
			k++;
		}
		if (k == 0)
			return -1;
		*seq = n;
	}
	if (strcmp(p, ".json") != 0)
		return -1;
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 60)
		return -1;
	*when = (time_t)rfc3339_timegm(v[0], v[1], v[2], v[3], v[4], v[5]);
	return 0;
}

struct snapent {
	char *name;
	time_t when;
	unsigned seq;
};

static int
snapent_cmp(const void *a, const void *b)
{
	const struct snapent *x = a, *y = b;

	if (x->when != y->when)
		return x->when < y->when ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
snapents_free(struct snapent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* The snapshots' names, oldest first. A missing snapshots/ is empty. */
static int
snap_names(struct store *st, struct snapent **vp, size_t *np,
    struct ms_err *e)
{
	struct snapent *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*vp = NULL;
	*np = 0;
	if ((d = opendir(st->snapdir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return ms_err_set(e, "%s:", st->snapdir);
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct snapent se;

		if (snap_name_parse(de->d_name, &se.when, &se.seq) == -1)
			continue;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 16;
			struct snapent *p = realloc(v, c * sizeof(*v));

			if (p == NULL)
				goto nomem;
			v = p;
			cap = c;
		}
		if ((se.name = strdup(de->d_name)) == NULL)
			goto nomem;
		v[n++] = se;
	}
	if (errno != 0) {
		ms_err_set(e, "%s:", st->snapdir);
		closedir(d);
		snapents_free(v, n);
		return -1;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), snapent_cmp);
	*vp = v;
	*np = n;
	return 0;
nomem:
	closedir(d);
	snapents_free(v, n);
	return ms_err_set(e, "out of memory");
}

/* ---- reading a snapshot --------------------------------------------- */

struct sline {
	struct rinfo ri;
};

struct snapload {
	char *buf;
	size_t len;
	struct sline *v;
	size_t n, cap;
	char **own;		/* texts made by jansson (the slow path) */
	size_t nown, capown;
	size_t skipped;		/* records without identity */
	size_t firstskip;	/* the line (or element) of the first one */
	int json;		/* read by jansson, not line by line */
};

static void
snapload_free(struct snapload *sl)
{
	size_t i;

	free(sl->buf);
	free(sl->v);
	for (i = 0; i < sl->nown; i++)
		free(sl->own[i]);
	free(sl->own);
	memset(sl, 0, sizeof(*sl));
}

static int
snapload_push(struct snapload *sl, const struct rinfo *ri)
{
	if (sl->n == sl->cap) {
		size_t c = sl->cap ? sl->cap * 2 : 256;
		struct sline *p = realloc(sl->v, c * sizeof(*p));

		if (p == NULL)
			return -1;
		sl->v = p;
		sl->cap = c;
	}
	sl->v[sl->n++].ri = *ri;
	return 0;
}

/* The writer's format: "[\n", one record a line ("," between), "]\n". */
static int
snap_scan_lines(struct snapload *sl, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	unsigned long lineno = 1;

	sl->n = 0;
	sl->skipped = 0;
	if (len < 4 || memcmp(buf, "[\n", 2) != 0 ||
	    memcmp(end - 2, "]\n", 2) != 0)
		return -1;
	p += 2;
	if (p == end - 2)
		return 0;	/* [] */
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;
		int more, r;
		struct rinfo ri;
		struct jerr je;

		lineno++;
		if (nl == NULL || nl == end - 1)
			return -1;
		n = (size_t)(nl - p);
		more = n > 0 && p[n - 1] == ',';
		if (more)
			n--;
		if (n == 0 || *p != '{')
			return -1;
		r = rec_scan(p, n, &ri, &je);
		if (r == -1)
			return -1;
		if (r == 0) {
			if (sl->skipped++ == 0)
				sl->firstskip = lineno;
		} else if (snapload_push(sl, &ri) == -1) {
			return -2;
		}
		p = nl + 1;
		if (!more)
			return p == end - 2 ? 0 : -1;
		if (p == end - 2)
			return -1;
	}
}

/*
 * Any other JSON array of objects: parsed by jansson, each element
 * dumped to compact text and scanned like a line. -1 and e when the
 * text is not such an array.
 */
static int
snap_scan_json(struct snapload *sl, const char *buf, size_t len,
    const char *name, struct ms_err *e)
{
	json_error_t je;
	json_t *doc, *o;
	size_t i;

	sl->n = 0;
	sl->skipped = 0;
	sl->json = 1;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		return ms_err_set(e, "%s:%d:%d: %s", name, je.line,
		    je.column, je.text);
	if (!json_is_array(doc)) {
		json_decref(doc);
		return ms_err_set(e, "%s: not a JSON array", name);
	}
	json_array_foreach(doc, i, o) {
		struct rinfo ri;
		struct jerr sje;
		struct ms_err re;
		char *t;
		int r;

		if (!json_is_object(o) || record_check(o, &re) == -1) {
			ms_err_set(e, "%s: record %zu: %s", name, i + 1,
			    json_is_object(o) ? re.msg : "not an object");
			json_decref(doc);
			return -1;
		}
		if ((t = record_dump(o)) == NULL)
			goto nomem;
		if (sl->nown == sl->capown) {
			size_t c = sl->capown ? sl->capown * 2 : 64;
			char **p = realloc(sl->own, c * sizeof(*p));

			if (p == NULL) {
				free(t);
				goto nomem;
			}
			sl->own = p;
			sl->capown = c;
		}
		sl->own[sl->nown++] = t;
		r = rec_scan(t, strlen(t), &ri, &sje);
		if (r == -1) {
			ms_err_set(e, "%s: record %zu: %s", name, i + 1,
			    sje.msg);
			json_decref(doc);
			return -1;
		}
		if (r == 0) {
			if (sl->skipped++ == 0)
				sl->firstskip = i + 1;
		} else if (snapload_push(sl, &ri) == -1) {
			goto nomem;
		}
	}
	json_decref(doc);
	return 0;
nomem:
	json_decref(doc);
	return ms_err_set(e, "out of memory");
}

static int
snap_scan(struct snapload *sl, const char *buf, size_t len,
    const char *name, struct ms_err *e)
{
	int r = snap_scan_lines(sl, buf, len);

	if (r == -2)
		return ms_err_set(e, "out of memory");
	if (r == 0)
		return 0;
	return snap_scan_json(sl, buf, len, name, e);
}

/* Load snapshots/name: 0; 1 if it vanished; -1 with e if unreadable. */
static int
snap_load(struct store *st, const char *name, struct snapload *sl,
    struct ms_err *e)
{
	char *path;
	int gone;

	memset(sl, 0, sizeof(*sl));
	if ((path = path_join(st->snapdir, name)) == NULL)
		return ms_err_set(e, "out of memory");
	sl->buf = read_whole(path, STORE_SNAP_MAX, &sl->len, &gone, e);
	free(path);
	if (sl->buf == NULL)
		return gone ? 1 : -1;
	if (snap_scan(sl, sl->buf, sl->len, name, e) == -1) {
		snapload_free(sl);
		return -1;
	}
	if (sl->skipped > 0)
		warnf(st, "%s: %zu record%s without serial, mac, ip or host "
		    "skipped (first: %s %zu)", name, sl->skipped,
		    sl->skipped > 1 ? "s" : "", sl->json ? "record" : "line",
		    sl->firstskip);
	return 0;
}

/* ---- the merge ------------------------------------------------------ */

struct ment {
	char *id;
	uint64_t h;
	char *text;		/* the newest record (keep_text) */
	size_t len;
	size_t cut;		/* fast: splice point */
	int fast, idkey;
	int snap;		/* 0 = the newest snapshot read */
	int online;
	char first[RFC3339_LEN];
	char last[RFC3339_LEN];
};

struct merge {
	struct ment *v;
	size_t n, cap;
	uint32_t *tab;		/* index + 1, 0 = empty */
	size_t tabsz;
	int keep_text;
	int nsnaps;
	char newest[RFC3339_LEN];
	time_t newest_t;
};

static void
merge_free(struct merge *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].id);
		free(m->v[i].text);
	}
	free(m->v);
	free(m->tab);
	memset(m, 0, sizeof(*m));
}

static int
merge_grow(struct merge *m)
{
	size_t sz = m->tabsz ? m->tabsz * 2 : 1024, i;
	uint32_t *t = calloc(sz, sizeof(*t));

	if (t == NULL)
		return -1;
	for (i = 0; i < m->n; i++) {
		size_t j = (size_t)m->v[i].h & (sz - 1);

		while (t[j] != 0)
			j = (j + 1) & (sz - 1);
		t[j] = (uint32_t)(i + 1);
	}
	free(m->tab);
	m->tab = t;
	m->tabsz = sz;
	return 0;
}

/* The entry of id, or NULL; *slot is where to insert it. */
static struct ment *
merge_find(struct merge *m, const char *id, size_t len, uint64_t h,
    size_t *slot)
{
	size_t j = (size_t)h & (m->tabsz - 1);

	while (m->tab[j] != 0) {
		struct ment *x = &m->v[m->tab[j] - 1];

		if (x->h == h && strncmp(x->id, id, len) == 0 &&
		    x->id[len] == '\0')
			return x;
		j = (j + 1) & (m->tabsz - 1);
	}
	*slot = j;
	return NULL;
}

static struct ment *
merge_lookup(struct merge *m, const char *id)
{
	size_t slot, len = strlen(id);

	if (m->tabsz == 0)
		return NULL;
	return merge_find(m, id, len, fnv1a(id, len, FNV_INIT), &slot);
}

/* A canonical "YYYY-MM-DDTHH:MM:SSZ" compares as text in time order. */
static int
canonical_time(const char *s, size_t n)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (n != 20)
		return 0;
	for (i = 0; i < 20; i++)
		if (pat[i] == 'd' ? !isdig(s[i]) : s[i] != pat[i])
			return 0;
	return memcmp(s + 5, "01", 2) >= 0 && memcmp(s + 5, "12", 2) <= 0 &&
	    memcmp(s + 8, "01", 2) >= 0 && memcmp(s + 8, "31", 2) <= 0 &&
	    memcmp(s + 11, "23", 2) <= 0 && memcmp(s + 14, "59", 2) <= 0 &&
	    memcmp(s + 17, "59", 2) <= 0;
}

/* A record's first_seen as a canonical time in out, or 0 if unusable. */
static int
first_seen_of(const struct rinfo *ri, char out[RFC3339_LEN])
{
	const char *p = ri->k[K_FIRST].p;
	size_t n = ri->k[K_FIRST].len;
	char tmp[64];
	time_t t;

	if (!(ri->seen & (1u << K_FIRST)) || ri->k[K_FIRST].type != JT_STRING)
		return 0;
	if (!ri->k[K_FIRST].esc && canonical_time(p, n)) {
		memcpy(out, p, 20);
		out[20] = '\0';
		return 1;
	}
	if (n >= sizeof(tmp))
		return 0;
	js_unescape(p, n, tmp);
	if (rfc3339_parse(tmp, &t, NULL) == -1 ||
	    rfc3339_format(t, out) == NULL)
		return 0;
	return 1;
}

static int
merge_add(struct merge *m, const struct rinfo *ri, int snap,
    const char *stamp)
{
	char small[256], *id = small, fs[RFC3339_LEN];
	size_t len, slot;
	uint64_t h;
	struct ment *x;
	int r = -1;

	if (ri->idesc) {
		if (ri->idlen >= sizeof(small) &&
		    (id = malloc(ri->idlen + 1)) == NULL)
			return -1;
		len = js_unescape(ri->id, ri->idlen, id);
	} else {
		id = (char *)ri->id;
		len = ri->idlen;
	}
	h = fnv1a(id, len, FNV_INIT);
	if ((m->n + 1) * 2 > m->tabsz && merge_grow(m) == -1)
		goto out;
	x = merge_find(m, id, len, h, &slot);
	if (x == NULL) {
		if (m->n == m->cap) {
			size_t c = m->cap ? m->cap * 2 : 1024;
			struct ment *p = realloc(m->v, c * sizeof(*p));

			if (p == NULL)
				goto out;
			m->v = p;
			m->cap = c;
		}
		x = &m->v[m->n];
		memset(x, 0, sizeof(*x));
		if ((x->id = malloc(len + 1)) == NULL)
			goto out;
		memcpy(x->id, id, len);
		x->id[len] = '\0';
		x->h = h;
		x->snap = -1;
		memcpy(x->first, stamp, RFC3339_LEN);
		memcpy(x->last, stamp, RFC3339_LEN);
		x->online = snap == 0;
		m->tab[slot] = (uint32_t)(m->n + 1);
		m->n++;
	}
	/* A newer snapshot's record wins; within one, the last line. */
	if (x->snap == -1 || x->snap == snap) {
		if (m->keep_text) {
			char *t = malloc(ri->len + 1);

			if (t == NULL)
				goto out;
			memcpy(t, ri->text, ri->len);
			t[ri->len] = '\0';
			free(x->text);
			x->text = t;
			x->len = ri->len;
			x->cut = ri->fast ? (size_t)(ri->cut - ri->text) : 0;
			x->fast = ri->fast;
			x->idkey = ri->idkey;
		}
		x->snap = snap;
	}
	if (strcmp(stamp, x->first) < 0)
		memcpy(x->first, stamp, RFC3339_LEN);
	if (first_seen_of(ri, fs) && strcmp(fs, x->first) < 0)
		memcpy(x->first, fs, RFC3339_LEN);
	r = 0;
out:
	if (id != small && id != ri->id)
		free(id);
	return r;
}

/*
 * Read every snapshot, newest first, into m. Snapshots that do not parse
 * are skipped with a warning. A snapshot pruned while we read makes us
 * start again, so the view is of one state of the store.
 */
static int
merge_run(struct store *st, struct merge *m, int keep_text,
    struct ms_err *e)
{
	int attempt;

	for (attempt = 0;; attempt++) {
		struct snapent *names;
		size_t n, i, k;
		int vanished = 0;

		merge_free(m);
		m->keep_text = keep_text;
		if (snap_names(st, &names, &n, e) == -1)
			return -1;
		for (i = n; i-- > 0;) {
			struct snapload sl;
			struct ms_err le;
			char stamp[RFC3339_LEN];
			int r;

			r = snap_load(st, names[i].name, &sl, &le);
			if (r == 1) {
				vanished = 1;
				if (attempt < MERGE_RETRIES)
					break;
				continue;
			}
			if (r == -1) {
				warnf(st, "skipping snapshot %s", le.msg);
				continue;
			}
			if (rfc3339_format(names[i].when, stamp) == NULL) {
				snapload_free(&sl);
				continue;
			}
			if (m->nsnaps == 0) {
				memcpy(m->newest, stamp, RFC3339_LEN);
				m->newest_t = names[i].when;
			}
			for (k = 0; k < sl.n; k++) {
				if (merge_add(m, &sl.v[k].ri, m->nsnaps,
				    stamp) == -1) {
					snapload_free(&sl);
					snapents_free(names, n);
					return ms_err_set(e, "out of memory");
				}
			}
			m->nsnaps++;
			snapload_free(&sl);
		}
		snapents_free(names, n);
		if (!vanished || attempt >= MERGE_RETRIES)
			return 0;
	}
}

static int
ment_cmp(const void *a, const void *b)
{
	const struct ment *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static int
json_str_append(struct ms_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *p;

	if (ms_buf_append(b, "\"", 1) == -1)
		return -1;
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		char esc[7];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			if (ms_buf_append(b, esc, 2) == -1)
				return -1;
		} else if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			if (ms_buf_append(b, esc, 6) == -1)
				return -1;
		} else if (ms_buf_append(b, p, 1) == -1) {
			return -1;
		}
	}
	return ms_buf_append(b, "\"", 1);
}

/* The merged record of x as compact JSON text in b. */
static int
ment_text(const struct ment *x, struct ms_buf *b, struct ms_err *e)
{
	json_t *o;
	char *s;
	int r;

	ms_buf_reset(b);
	if (x->fast) {
		if (ms_buf_append(b, x->text, x->cut) == -1 ||
		    ms_buf_printf(b, ",\"first_seen\":\"%s\",\"last_seen\":"
		    "\"%s\",\"online\":%s}", x->first, x->last,
		    x->online ? "true" : "false") == -1)
			return ms_err_set(e, "out of memory");
		return 0;
	}
	if ((o = json_loadb(x->text, x->len, 0, NULL)) == NULL)
		return ms_err_set(e, "record %s: cannot be read again",
		    x->id);
	r = record_set_str(o, "id", x->id) == -1 ||
	    record_set_str(o, "first_seen", x->first) == -1 ||
	    record_set_str(o, "last_seen", x->last) == -1 ||
	    record_set_bool(o, "online", x->online) == -1;
	if (!x->idkey && r == 0) {
		/* Put the derived id first, as the writer does. */
		json_t *n = json_object();

		r = n == NULL || json_object_set(n, "id",
		    json_object_get(o, "id")) == -1 ||
		    json_object_update(n, o) == -1;
		json_decref(o);
		o = n;
	}
	if (r || (s = record_dump(o)) == NULL) {
		json_decref(o);
		return ms_err_set(e, "out of memory");
	}
	json_decref(o);
	r = ms_buf_puts(b, s);
	free(s);
	return r == -1 ? ms_err_set(e, "out of memory") : 0;
}

long
store_latest_foreach(struct store *st, store_text_fn fn, void *arg,
    struct ms_err *e)
{
	struct merge m = { 0 };
	struct ms_buf b = { 0 };
	size_t i;
	long n = -1;

	if (merge_run(st, &m, 1, e) == -1)
		goto out;
	if (m.n > 1)
		qsort(m.v, m.n, sizeof(*m.v), ment_cmp);
	for (i = 0; i < m.n; i++) {
		if (ment_text(&m.v[i], &b, e) == -1)
			goto out;
		if (fn(arg, b.data, b.len) == -1) {
			ms_err_set(e, "stopped");
			goto out;
		}
	}
	n = (long)m.n;
out:
	ms_buf_free(&b);
	merge_free(&m);
	return n;
}

static int
latest_collect(void *arg, const char *json, size_t len)
{
	json_t *a = arg, *o = json_loadb(json, len, 0, NULL);

	if (o == NULL)
		return -1;
	return json_array_append_new(a, o);
}

json_t *
store_latest(struct store *st, struct ms_err *e)
{
	json_t *a = json_array();

	if (a == NULL) {
		ms_err_set(e, "out of memory");
		return NULL;
	}
	if (store_latest_foreach(st, latest_collect, a, e) == -1) {
		if (strcmp(e != NULL ? e->msg : "", "stopped") == 0)
			ms_err_set(e, "out of memory");
		json_decref(a);
		return NULL;
	}
	return a;
}

/* ---- listing, pruning ----------------------------------------------- */

int
store_list(struct store *st, struct store_snap **vp, size_t *np,
    struct ms_err *e)
{
	struct snapent *names;
	struct store_snap *v;
	size_t n, i;

	*vp = NULL;
	*np = 0;
	if (snap_names(st, &names, &n, e) == -1)
		return -1;
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL) {
		snapents_free(names, n);
		return ms_err_set(e, "out of memory");
	}
	for (i = 0; i < n; i++) {
		struct snapload sl;
		struct ms_err le;
		int r;

		v[i].name = names[i].name;
		names[i].name = NULL;
		v[i].when = names[i].when;
		v[i].count = (size_t)-1;
		r = snap_load(st, v[i].name, &sl, &le);
		if (r == 0) {
			v[i].count = sl.n;
			snapload_free(&sl);
		} else if (r == -1) {
			warnf(st, "snapshot %s", le.msg);
		}
	}
	snapents_free(names, n);
	*vp = v;
	*np = n;
	return 0;
}

void
store_snaps_free(struct store_snap *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int
store_prune(struct store *st, unsigned keep, struct ms_err *e)
{
	struct snapent *names;
	size_t n, i;
	int removed = 0;

	if (need_lock(st, e) == -1)
		return -1;
	if (keep < 1)
		return ms_err_set(e, "keep must be at least 1");
	if (snap_names(st, &names, &n, e) == -1)
		return -1;
	for (i = 0; i + keep < n; i++) {
		char *p = path_join(st->snapdir, names[i].name);

		if (p == NULL) {
			snapents_free(names, n);
			return ms_err_set(e, "out of memory");
		}
		if (unlink(p) == -1 && errno != ENOENT) {
			ms_err_set(e, "%s:", p);
			free(p);
			snapents_free(names, n);
			return -1;
		}
		free(p);
		removed++;
	}
	snapents_free(names, n);
	if (removed > 0 && fsync_dir(st->snapdir, e) == -1)
		return -1;
	return removed;
}

/* ---- history entries ------------------------------------------------ */

enum { H_FREE, H_TOTAL, H_BATT, H_HEALTH, H_N };
static const char *const hfields[H_N] = {
	"disk_free_bytes", "disk_total_bytes", "battery_percent",
	"battery_health_percent"
};

struct hent {
	time_t t;		/* set by hent_time */
	char tstr[RFC3339_LEN];
	const char *traw;	/* the text of "t" (in the line) */
	size_t tlen;
	int tesc;
	const char *id;		/* the text of the id (in the line) */
	size_t idlen;
	int idesc;
	long long v[H_N];
	unsigned have;		/* bit per H_ */
	int online;		/* -1 unknown */
	int header;		/* the header line */
	long long compacted;	/* the header's compacted_bytes */
	unsigned seen;
	const char *err;
};

static int
int_value(const struct jmember *m, long long *out)
{
	char buf[24];
	const char *es;

	if (m->type != JT_INT || m->vlen >= sizeof(buf))
		return -1;
	memcpy(buf, m->val, m->vlen);
	buf[m->vlen] = '\0';
	return ms_strtonum(buf, 0, LLONG_MAX, out, &es);
}

static int
hist_member(void *arg, const struct jmember *m)
{
	struct hent *h = arg;
	int i;

	if (key_is(m, "t", 1)) {
		/* Read by hent_time, once the id is known to matter. */
		if ((h->seen & 1) || m->type != JT_STRING || m->vlen >= 64)
			goto bad;
		h->traw = m->val;
		h->tlen = m->vlen;
		h->tesc = m->vesc;
		h->seen |= 1;
		return 0;
	}
	if (key_is(m, "id", 2)) {
		if ((h->seen & 2) || m->type != JT_STRING || m->vlen == 0)
			goto bad;
		h->id = m->val;
		h->idlen = m->vlen;
		h->idesc = m->vesc;
		h->seen |= 2;
		return 0;
	}
	if (key_is(m, "online", 6)) {
		if ((h->seen & 4) || (m->type != JT_TRUE &&
		    m->type != JT_FALSE))
			goto bad;
		h->online = m->type == JT_TRUE;
		h->seen |= 4;
		return 0;
	}
	if (key_is(m, "macscan_history", 15)) {
		h->header = 1;
		return 0;
	}
	if (key_is(m, "compacted_bytes", 15)) {
		if (int_value(m, &h->compacted) == -1)
			goto bad;
		return 0;
	}
	for (i = 0; i < H_N; i++) {
		if (!key_is(m, hfields[i], strlen(hfields[i])))
			continue;
		if ((h->have & (1u << i)) || int_value(m, &h->v[i]) == -1)
			goto bad;
		h->have |= 1u << i;
		return 0;
	}
	return 0;	/* a field of a later version: ignored */
bad:
	h->err = "bad field";
	return -1;
}

/* 1 entry, 2 header, -1 bad (h->err says why). */
static int
hist_scan(const char *line, size_t len, struct hent *h)
{
	struct jerr je;

	memset(h, 0, sizeof(*h));
	h->online = -1;
	if (js_object(line, len, hist_member, h, &je) == -1) {
		if (h->err == NULL)
			h->err = je.msg;
		return -1;
	}
	if (h->header)
		return 2;
	if ((h->seen & 3) != 3) {
		h->err = "no \"t\" or \"id\"";
		return -1;
	}
	return 1;
}

/* Read the entry's time into t and tstr: 0, or -1 if it is not one. The
 * writer's form ("2026-11-24T16:10:00Z") is read without a libc call. */
static int
hent_time(struct hent *h)
{
	char tmp[64];

	if (!h->tesc && canonical_time(h->traw, h->tlen)) {
		const char *p = h->traw;
		int v[6], i, k;
		static const int off[6] = { 0, 5, 8, 11, 14, 17 };
		static const int w[6] = { 4, 2, 2, 2, 2, 2 };
		static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
		    30, 31, 30, 31 };

		for (i = 0; i < 6; i++)
			for (v[i] = 0, k = 0; k < w[i]; k++)
				v[i] = v[i] * 10 + (p[off[i] + k] - '0');
		if (v[2] <= mdays[v[1] - 1] && !(v[1] == 2 && v[2] == 29 &&
		    !((v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0))) {
			h->t = (time_t)rfc3339_timegm(v[0], v[1], v[2], v[3],
			    v[4], v[5]);
			memcpy(h->tstr, p, 20);
			h->tstr[20] = '\0';
			return 0;
		}
		return -1;
	}
	js_unescape(h->traw, h->tlen, tmp);
	if (rfc3339_parse(tmp, &h->t, NULL) == -1 ||
	    rfc3339_format(h->t, h->tstr) == NULL)
		return -1;
	return 0;
}

/* The entry as store_history gives it (with_id: "id" too). */
static json_t *
hent_json(const struct hent *h, int with_id)
{
	json_t *o = json_object();
	int i, r;

	if (o == NULL)
		return NULL;
	r = json_object_set_new(o, "t", json_string(h->tstr));
	if (with_id && r == 0) {
		char *id = js_strdup(h->id, h->idlen, h->idesc);

		r = id == NULL || json_object_set_new(o, "id",
		    json_string(id)) == -1;
		free(id);
	}
	for (i = 0; i < H_N && r == 0; i++)
		if (h->have & (1u << i))
			r = json_object_set_new(o, hfields[i],
			    json_integer(h->v[i]));
	if (r == 0 && h->online != -1)
		r = json_object_set_new(o, "online", json_boolean(h->online));
	if (r != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
store_parse_history_line(const char *line, size_t len, struct ms_err *e)
{
	struct hent h;
	json_t *o;
	int r = hist_scan(line, len, &h);

	if (r == 2) {
		ms_err_set(e, "the header line");
		return NULL;
	}
	if (r == -1) {
		ms_err_set(e, "%s", h.err != NULL ? h.err : "bad entry");
		return NULL;
	}
	if (hent_time(&h) == -1) {
		ms_err_set(e, "\"t\" is not an RFC 3339 time");
		return NULL;
	}
	if ((o = hent_json(&h, 1)) == NULL)
		ms_err_set(e, "out of memory");
	return o;
}

/* A line reader over a file descriptor; lines cut short at the end of
 * the file (an append in progress, or killed) are not returned. */
struct lreader {
	int fd;
	char *buf;
	size_t cap, beg, end;
	int eof, skipping;
	size_t toolong;
	unsigned long lineno;
};

static int
lr_init(struct lreader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cap = 1 << 16;	/* lines are at most STORE_HISTORY_LINE_MAX */
	if ((r->buf = malloc(r->cap)) == NULL)
		return -1;
	return 0;
}

/* 1 and a line (without '\n'), 0 at the end, -1 on a read error. */
static int
lr_next(struct lreader *r, const char **line, size_t *len)
{
	for (;;) {
		char *nl = r->end > r->beg ? memchr(r->buf + r->beg, '\n',
		    r->end - r->beg) : NULL;
		ssize_t n;

		if (nl != NULL) {
			size_t b = r->beg;

			r->beg = (size_t)(nl - r->buf) + 1;
			r->lineno++;
			if (r->skipping) {
				r->skipping = 0;
				continue;
			}
			*line = r->buf + b;
			*len = (size_t)(nl - r->buf) - b;
			if (*len > STORE_HISTORY_LINE_MAX) {
				r->toolong++;
				continue;
			}
			return 1;
		}
		if (r->eof)
			return 0;
		if (r->beg > 0) {
			memmove(r->buf, r->buf + r->beg, r->end - r->beg);
			r->end -= r->beg;
			r->beg = 0;
		}
		if (r->end == r->cap) {
			/* Far past any entry: drop it to its newline. */
			if (!r->skipping)
				r->toolong++;
			r->skipping = 1;
			r->end = 0;
		}
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
}

static void
lr_free(struct lreader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Open the history for reading: fd, or -1 (ENOENT: no history yet). */
static int
hist_open(struct store *st, char **pathp, struct ms_err *e)
{
	char *p = store_path(st, HISTORY);
	int fd;

	*pathp = p;
	if (p == NULL) {
		errno = ENOMEM;
		return ms_err_set(e, "out of memory");
	}
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		ms_err_set(e, "%s:", p);
	return fd;
}

struct hvec {
	struct hitem {
		json_t *o;
		time_t t;
		size_t seq;
	} *v;
	size_t n, cap;
};

static int
hitem_cmp(const void *a, const void *b)
{
	const struct hitem *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Read the history: for each entry (of id only, if id is not NULL) call
 * add(). -1 on a read error; 0 otherwise (missing file included).
 */
static int
hist_read(struct store *st, const char *id,
    int (*add)(void *, const struct hent *, const char *), void *arg,
    struct ms_err *e)
{
	struct lreader r;
	const char *line;
	size_t len, bad = 0, idlen = id ? strlen(id) : 0;
	unsigned long firstbad = 0;
	char *path, *idbuf = NULL;
	int fd, rc;

	if ((fd = hist_open(st, &path, e)) == -1) {
		int gone = errno == ENOENT;

		free(path);
		return gone ? 0 : -1;
	}
	if (lr_init(&r, fd) == -1) {
		close(fd);
		free(path);
		return ms_err_set(e, "out of memory");
	}
	while ((rc = lr_next(&r, &line, &len)) == 1) {
		struct hent h;
		const char *hid;
		int k = hist_scan(line, len, &h);

		if (k == 2)
			continue;
		if (k == -1) {
			if (bad++ == 0)
				firstbad = r.lineno;
			continue;
		}
		hid = h.id;
		if (h.idesc) {
			free(idbuf);
			if ((idbuf = js_strdup(h.id, h.idlen, 1)) == NULL) {
				rc = -2;
				break;
			}
			hid = idbuf;
			h.idlen = strlen(idbuf);
		}
		if (id != NULL && (h.idlen != idlen ||
		    memcmp(hid, id, idlen) != 0))
			continue;
		if (hent_time(&h) == -1) {
			if (bad++ == 0)
				firstbad = r.lineno;
			continue;
		}
		if (add(arg, &h, hid) == -1) {
			rc = -2;
			break;
		}
	}
	free(idbuf);
	if (rc == -1)
		ms_err_set(e, "%s:", path);
	else if (rc == -2)
		ms_err_set(e, "out of memory");
	if (bad + r.toolong > 0)
		warnf(st, "%s: %zu bad line%s skipped (first: line %lu)",
		    path, bad + r.toolong, bad + r.toolong > 1 ? "s" : "",
		    firstbad);
	lr_free(&r);
	close(fd);
	free(path);
	return rc < 0 ? -1 : 0;
}

static int
hvec_add(void *arg, const struct hent *h, const char *id)
{
	struct hvec *hv = arg;
	json_t *o;

	(void)id;
	if (hv->n == hv->cap) {
		size_t c = hv->cap ? hv->cap * 2 : 64;
		struct hitem *p = realloc(hv->v, c * sizeof(*p));

		if (p == NULL)
			return -1;
		hv->v = p;
		hv->cap = c;
	}
	if ((o = hent_json(h, 0)) == NULL)
		return -1;
	hv->v[hv->n].o = o;
	hv->v[hv->n].t = h->t;
	hv->v[hv->n].seq = hv->n;
	hv->n++;
	return 0;
}

/* Sort one machine's entries by time into a new array. */
static json_t *
hvec_array(struct hvec *hv)
{
	json_t *a = json_array();
	size_t i;

	if (hv->n > 1)
		qsort(hv->v, hv->n, sizeof(*hv->v), hitem_cmp);
	for (i = 0; i < hv->n; i++) {
		if (a != NULL && json_array_append(a, hv->v[i].o) == -1) {
			json_decref(a);
			a = NULL;
		}
		json_decref(hv->v[i].o);
	}
	free(hv->v);
	memset(hv, 0, sizeof(*hv));
	return a;
}

json_t *
store_history(struct store *st, const char *id, struct ms_err *e)
{
	struct hvec hv = { 0 };
	json_t *a;

	if (id == NULL || *id == '\0') {
		ms_err_set(e, "no machine id given");
		return NULL;
	}
	if (hist_read(st, id, hvec_add, &hv, e) == -1) {
		while (hv.n > 0)
			json_decref(hv.v[--hv.n].o);
		free(hv.v);
		return NULL;
	}
	if (hv.n == 0) {
		free(hv.v);
		ms_err_set(e, "no history for machine '%.200s'", id);
		return NULL;
	}
	if ((a = hvec_array(&hv)) == NULL)
		ms_err_set(e, "out of memory");
	return a;
}

struct cand {
	char *id;
	uint64_t h;
	int tier;
	long long bucket;
	size_t line;
	size_t linelen;
	int valid;
};

struct candmap {
	struct cand *v;
	size_t n, cap;
	uint32_t *tab;
	size_t tabsz;
};

/* The candidate of id: made if missing when insert; NULL if missing
 * (or out of memory). */
static struct cand *
cand_get(struct candmap *m, const char *id, size_t len, int insert)
{
	uint64_t h = fnv1a(id, len, FNV_INIT);
	size_t j, i;

	if (!insert && m->tabsz == 0)
		return NULL;
	if (insert && (m->n + 1) * 2 > m->tabsz) {
		size_t sz = m->tabsz ? m->tabsz * 2 : 1024;
		uint32_t *t = calloc(sz, sizeof(*t));

		if (t == NULL)
			return NULL;
		for (i = 0; i < m->n; i++) {
			j = (size_t)m->v[i].h & (sz - 1);
			while (t[j] != 0)
				j = (j + 1) & (sz - 1);
			t[j] = (uint32_t)(i + 1);
		}
		free(m->tab);
		m->tab = t;
		m->tabsz = sz;
	}
	j = (size_t)h & (m->tabsz - 1);
	while (m->tab[j] != 0) {
		struct cand *c = &m->v[m->tab[j] - 1];

		if (c->h == h && strncmp(c->id, id, len) == 0 &&
		    c->id[len] == '\0')
			return c;
		j = (j + 1) & (m->tabsz - 1);
	}
	if (!insert)
		return NULL;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		struct cand *p = realloc(m->v, cap * sizeof(*p));

		if (p == NULL)
			return NULL;
		m->v = p;
		m->cap = cap;
	}
	memset(&m->v[m->n], 0, sizeof(m->v[m->n]));
	if ((m->v[m->n].id = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(m->v[m->n].id, id, len);
	m->v[m->n].id[len] = '\0';
	m->v[m->n].h = h;
	m->tab[j] = (uint32_t)(m->n + 1);
	return &m->v[m->n++];
}

static void
candmap_free(struct candmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].id);
	free(m->v);
	free(m->tab);
}

static long long
floordiv(long long a, long long b)
{
	long long q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct hall {
	json_t *obj;		/* id -> array, unsorted yet */
	time_t since;
	long step;
	struct candmap last;	/* id -> bucket of its last entry */
};

static int
hall_add(void *arg, const struct hent *h, const char *id)
{
	struct hall *ha = arg;
	json_t *a, *o;
	char *key;
	const char *k = id;
	struct cand *c = NULL;
	long long b = 0;

	if (h->t < ha->since)
		return 0;
	if (ha->step > 0) {
		/* One entry per step: a later one of the same bucket
		 * replaces the one before. */
		if ((c = cand_get(&ha->last, id, h->idlen, 1)) == NULL)
			return -1;
		b = floordiv((long long)h->t, ha->step);
	}
	key = h->idesc ? NULL : malloc(h->idlen + 1);
	if (!h->idesc) {
		if (key == NULL)
			return -1;
		memcpy(key, id, h->idlen);
		key[h->idlen] = '\0';
		k = key;
	}
	if ((a = json_object_get(ha->obj, k)) == NULL) {
		if (json_object_set_new(ha->obj, k, json_array()) == -1 ||
		    (a = json_object_get(ha->obj, k)) == NULL) {
			free(key);
			return -1;
		}
	}
	free(key);
	if ((o = hent_json(h, 0)) == NULL)
		return -1;
	if (c != NULL) {
		int same = c->valid && c->bucket == b;

		c->valid = 1;
		c->bucket = b;
		if (same)
			return json_array_set_new(a, json_array_size(a) - 1, o);
	}
	return json_array_append_new(a, o);
}

json_t *
store_history_all(struct store *st, struct ms_err *e)
{
	return store_history_all_since(st, 0, 0, e);
}

json_t *
store_history_all_since(struct store *st, time_t since, long step,
    struct ms_err *e)
{
	struct hall ha;
	const char *k;
	json_t *a;

	memset(&ha, 0, sizeof(ha));
	ha.since = since;
	ha.step = step;
	if ((ha.obj = json_object()) == NULL) {
		ms_err_set(e, "out of memory");
		return NULL;
	}
	if (hist_read(st, NULL, hall_add, &ha, e) == -1) {
		candmap_free(&ha.last);
		json_decref(ha.obj);
		return NULL;
	}
	candmap_free(&ha.last);
	/* Entries appended out of order (an import of older files) are
	 * put in time order, as store_history does. */
	json_object_foreach(ha.obj, k, a) {
		struct hitem *v;
		size_t i, n = json_array_size(a);
		int sorted = 1;

		for (i = 1; i < n && sorted; i++) {
			time_t t0, t1;

			rfc3339_parse(json_string_value(json_object_get(
			    json_array_get(a, i - 1), "t")), &t0, NULL);
			rfc3339_parse(json_string_value(json_object_get(
			    json_array_get(a, i), "t")), &t1, NULL);
			sorted = t0 <= t1;
		}
		if (sorted)
			continue;
		if ((v = calloc(n, sizeof(*v))) == NULL) {
			json_decref(ha.obj);
			ms_err_set(e, "out of memory");
			return NULL;
		}
		for (i = 0; i < n; i++) {
			v[i].o = json_incref(json_array_get(a, i));
			rfc3339_parse(json_string_value(json_object_get(
			    v[i].o, "t")), &v[i].t, NULL);
			v[i].seq = i;
		}
		qsort(v, n, sizeof(*v), hitem_cmp);
		json_array_clear(a);
		for (i = 0; i < n; i++)
			json_array_append_new(a, v[i].o);
		free(v);
	}
	return ha.obj;
}

/* ---- writing the history -------------------------------------------- */

static int
hist_header(struct ms_buf *b, size_t compacted)
{
	return ms_buf_printf(b, "{\"macscan_history\":1,\"compacted_bytes\":"
	    "%zu}\n", compacted);
}

static int
hist_entry(struct ms_buf *b, const char *t, const char *id, json_t *rec,
    int online)
{
	int i;

	if (ms_buf_printf(b, "{\"t\":\"%s\",\"id\":", t) == -1 ||
	    json_str_append(b, id) == -1)
		return -1;
	for (i = 0; rec != NULL && i < H_N; i++) {
		json_t *v = json_object_get(rec, hfields[i]);

		if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		    ms_buf_printf(b, ",\"%s\":%" JSON_INTEGER_FORMAT,
		    hfields[i], json_integer_value(v)) == -1)
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

/*
 * Append lines to the history. A line cut short by a killed writer is
 * trimmed first, so the file stays one entry a line.
 */
static int
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
	fd = open(p, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1 || fstat(fd, &sb) == -1)
		goto fail;
	if (sb.st_size == 0) {
		if (hist_header(&hb, 0) == -1)
			goto nomem;
		if (write_all(fd, hb.data, hb.len) == -1)
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
			warnf(st, "%s: removed %lld bytes of a line cut short",
			    p, (long long)(end - at));
		}
	}
	if (fstat(fd, &sb) == -1)
		goto fail;
	base = sb.st_size;
	if (write_all(fd, data, len) == -1 || sys_fdatasync(fd) == -1 ||
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
	if (i / 8 >= b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		unsigned char *p;

		while (cap <= i / 8)
			cap *= 2;
		if ((p = realloc(b->v, cap)) == NULL)
			return -1;
		memset(p + b->cap, 0, cap - b->cap);
		b->v = p;
		b->cap = cap;
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
	struct candmap cm = { 0 };
	struct bits keep = { 0 };
	struct ms_buf out = { 0 };
	struct lreader r = { 0 };
	const char *line;
	size_t len, idx, kept = 0, total = 0, body = 0;
	char *path = NULL, *tmp = NULL;
	int fd = -1, tfd = -1, rc;
	long removed = -1;

	if (need_lock(st, e) == -1)
		return -1;
	if ((fd = hist_open(st, &path, e)) == -1) {
		if (errno == ENOENT)
			removed = 0;
		free(path);
		return removed;
	}
	if (lr_init(&r, fd) == -1)
		goto nomem;
	for (idx = 0; (rc = lr_next(&r, &line, &len)) == 1; idx++) {
		struct hent h;
		char small[256];
		const char *id;
		long long age, b;
		struct cand *c;
		size_t t;

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
			if (h.idlen >= sizeof(small))
				continue;
			h.idlen = js_unescape(h.id, h.idlen, small);
			id = small;
		}
		if ((c = cand_get(&cm, id, h.idlen, 1)) == NULL)
			goto nomem;
		b = floordiv((long long)h.t, tiers[t].bucket);
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
	if (rc == -1 || lseek(fd, 0, SEEK_SET) == -1) {
		ms_err_set(e, "%s:", path);
		goto out;
	}
	lr_free(&r);
	if (lr_init(&r, fd) == -1)
		goto nomem;
	if ((tfd = tmp_open(st->dir, &tmp, e)) == -1)
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
			if (write_all(tfd, out.data, out.len) == -1)
				goto wfail;
			ms_buf_reset(&out);
		}
	}
	if (rc == -1) {
		ms_err_set(e, "%s:", path);
		goto out;
	}
	rc = tmp_finish(tfd, tmp, out.data, out.len, e);
	tfd = -1;
	if (rc == -1)
		goto out;
	if (rename(tmp, path) == -1) {
		ms_err_set(e, "%s:", path);
		unlink(tmp);
		goto out;
	}
	if (fsync_dir(st->dir, e) == -1)
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
	candmap_free(&cm);
	free(keep.v);
	ms_buf_free(&out);
	free(path);
	free(tmp);
	return removed;
}

static int
earliest_add(void *arg, const struct hent *h, const char *id)
{
	struct cand *c = cand_get(arg, id, h->idlen, 0);

	if (c != NULL && (!c->valid || (long long)h->t < c->bucket)) {
		c->valid = 1;
		c->bucket = (long long)h->t;
	}
	return 0;
}

/* ---- adding a snapshot ---------------------------------------------- */

static int
snap_name_make(time_t when, unsigned seq, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&when, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	if (seq == 0)
		snprintf(buf, len, "machines-%04d%02d%02dT%02d%02d%02dZ.json",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, len, "machines-%04d%02d%02dT%02d%02d%02dZ-%u"
		    ".json", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec, seq);
	return 0;
}

/* The record as stored: "id" first, "first_seen" last, no computed
 * fields. A new object sharing the values. */
static json_t *
stored_record(json_t *rec, const char *id, const char *first)
{
	json_t *o = json_object(), *v;
	const char *k;

	if (o == NULL || json_object_set_new(o, "id", json_string(id)) == -1)
		goto fail;
	json_object_foreach(rec, k, v) {
		if (strcmp(k, "id") == 0 || strcmp(k, "first_seen") == 0 ||
		    strcmp(k, "last_seen") == 0 || strcmp(k, "online") == 0)
			continue;
		if (json_object_set(o, k, v) == -1)
			goto fail;
	}
	if (json_object_set_new(o, "first_seen", json_string(first)) == -1)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

int
store_add(struct store *st, json_t *records, time_t when, char **name,
    struct ms_err *e)
{
	struct merge prev = { 0 };
	struct candmap back = { 0 };
	struct ms_buf snap = { 0 }, hist = { 0 };
	char stamp[RFC3339_LEN], fname[64];
	json_t *seen = NULL, *rec;
	size_t i, n, *keep = NULL, nkeep = 0;
	char *tmp = NULL, *dst = NULL;
	unsigned seq;
	int fd, due, r = -1;

	if (name != NULL)
		*name = NULL;
	if (need_lock(st, e) == -1)
		return -1;
	if (!json_is_array(records))
		return ms_err_set(e, "records must be a JSON array");
	if ((n = json_array_size(records)) == 0)
		return ms_err_set(e, "no records: nothing stored");
	if (rfc3339_format(when, stamp) == NULL)
		return ms_err_set(e, "time out of range: %lld",
		    (long long)when);

	/* Check and de-duplicate (the last record of an id wins). */
	if ((seen = json_object()) == NULL ||
	    (keep = calloc(n, sizeof(*keep))) == NULL)
		goto nomem;
	json_array_foreach(records, i, rec) {
		struct ms_err re;
		const char *id;
		json_t *at;

		if (!json_is_object(rec))
			goto out_fmt_obj;
		if (record_check(rec, &re) == -1) {
			ms_err_set(e, "record %zu: %s", i + 1, re.msg);
			goto out;
		}
		if ((id = record_identity(rec)) == NULL) {
			ms_err_set(e, "record %zu: no serial, mac, ip or host",
			    i + 1);
			goto out;
		}
		if ((at = json_object_get(seen, id)) != NULL) {
			size_t j = (size_t)json_integer_value(at);

			warnf(st, "records %zu and %zu have the same id %s: "
			    "keeping the last", j + 1, i + 1, id);
			keep[j] = (size_t)-1;
		}
		if (json_object_set_new(seen, id, json_integer((json_int_t)i))
		    == -1)
			goto nomem;
		keep[i] = i;
	}

	/* The view before this scan: first_seen carries over, and the
	 * machines it misses are recorded offline in the history. */
	if (merge_run(st, &prev, 0, e) == -1)
		goto out;
	/* A machine back after the retention window: its first_seen is
	 * its oldest history entry. */
	for (i = 0; i < n; i++) {
		const char *id;

		if (keep[i] == (size_t)-1)
			continue;
		id = record_identity(json_array_get(records, i));
		if (merge_lookup(&prev, id) == NULL &&
		    cand_get(&back, id, strlen(id), 1) == NULL)
			goto nomem;
	}
	if (back.n > 0 && hist_read(st, NULL, earliest_add, &back, e) == -1)
		goto out;

	if (ms_buf_puts(&snap, "[\n") == -1)
		goto nomem;
	for (i = 0; i < n; i++) {
		const char *id, *first, *in;
		char infs[RFC3339_LEN], hfs[RFC3339_LEN];
		struct cand *c;
		struct ment *x;
		json_t *o;
		time_t t;
		char *txt;

		if (keep[i] == (size_t)-1)
			continue;
		rec = json_array_get(records, i);
		id = record_identity(rec);
		x = merge_lookup(&prev, id);
		first = x != NULL && strcmp(x->first, stamp) < 0 ? x->first :
		    stamp;
		if (x == NULL && (c = cand_get(&back, id, strlen(id), 0)) !=
		    NULL && c->valid && rfc3339_format((time_t)c->bucket,
		    hfs) != NULL && strcmp(hfs, first) < 0)
			first = hfs;
		/* A record that says it was seen earlier (a view copied
		 * with latest | add) keeps that. */
		if ((in = record_str(rec, "first_seen")) != NULL &&
		    rfc3339_parse(in, &t, NULL) == 0 &&
		    rfc3339_format(t, infs) != NULL && strcmp(infs, first) < 0)
			first = infs;
		if ((o = stored_record(rec, id, first)) == NULL)
			goto nomem;
		txt = record_dump(o);
		json_decref(o);
		if (txt == NULL)
			goto nomem;
		if ((nkeep > 0 && ms_buf_puts(&snap, ",\n") == -1) ||
		    ms_buf_puts(&snap, txt) == -1) {
			free(txt);
			goto nomem;
		}
		free(txt);
		nkeep++;
		if (hist_entry(&hist, stamp, id, rec, 1) == -1)
			goto nomem;
	}
	if (ms_buf_puts(&snap, "\n]\n") == -1)
		goto nomem;
	if (prev.nsnaps == 0 || when >= prev.newest_t) {
		for (i = 0; i < prev.n; i++)
			if (json_object_get(seen, prev.v[i].id) == NULL &&
			    hist_entry(&hist, stamp, prev.v[i].id, NULL, 0)
			    == -1)
				goto nomem;
	}

	/* The snapshot: temporary file, fsync, rename, fsync of the
	 * directory. Under the lock, no other writer makes names. */
	if ((fd = tmp_open(st->snapdir, &tmp, e)) == -1)
		goto out;
	if (tmp_finish(fd, tmp, snap.data, snap.len, e) == -1)
		goto out;
	for (seq = 0;; seq++) {
		struct stat sb;

		if (seq > 99999) {
			ms_err_set(e, "too many snapshots at %s", stamp);
			goto out_unlink;
		}
		if (snap_name_make(when, seq, fname, sizeof(fname)) == -1)
			goto out_unlink;
		free(dst);
		if ((dst = path_join(st->snapdir, fname)) == NULL)
			goto nomem_unlink;
		if (lstat(dst, &sb) == -1) {
			if (errno == ENOENT)
				break;
			ms_err_set(e, "%s:", dst);
			goto out_unlink;
		}
	}
	if (rename(tmp, dst) == -1) {
		ms_err_set(e, "%s:", dst);
		goto out_unlink;
	}
	if (fsync_dir(st->snapdir, e) == -1)
		goto out;
	if (hist_append(st, hist.data, hist.len, &due, e) == -1) {
		/* The snapshot is stored, but the history misses this scan:
		 * an error, so that a scheduled run does not pass for fine. */
		char msg[MS_ERRLEN];

		snprintf(msg, sizeof(msg), "%s", e != NULL ? e->msg : "");
		ms_err_set(e, "snapshot %s stored, but the history was not "
		    "updated: %s", fname, msg);
		goto out;
	} else if (due) {
		struct ms_err ce;

		if (store_history_compact(st, time(NULL), &ce) == -1)
			warnf(st, "history not compacted: %s", ce.msg);
	}
	if (name != NULL && (*name = strdup(fname)) == NULL)
		goto nomem;
	r = 0;
	goto out;
out_fmt_obj:
	ms_err_set(e, "record %zu: not a JSON object", i + 1);
	goto out;
nomem_unlink:
	ms_err_set(e, "out of memory");
out_unlink:
	unlink(tmp);
	goto out;
nomem:
	ms_err_set(e, "out of memory");
out:
	merge_free(&prev);
	candmap_free(&back);
	ms_buf_free(&snap);
	ms_buf_free(&hist);
	json_decref(seen);
	free(keep);
	free(tmp);
	free(dst);
	return r;
}

/* ---- version, state ------------------------------------------------- */

static uint64_t
dir_sum(const char *dir)
{
	uint64_t sum = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct stat sb;
		uint64_t h;
		long long f[4];

		if (de->d_name[0] == '.' || strcmp(de->d_name, "lock") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW)
		    == -1 || S_ISDIR(sb.st_mode))
			continue;
		f[0] = (long long)sb.st_ino;
		f[1] = (long long)sb.st_size;
		f[2] = (long long)sb.st_mtim.tv_sec;
		f[3] = (long long)sb.st_mtim.tv_nsec;
		h = fnv1a(de->d_name, strlen(de->d_name), FNV_INIT);
		h = fnv1a(f, sizeof(f), h);
		sum += h;	/* the order readdir gives does not matter */
	}
	closedir(d);
	return sum;
}

int
store_version(struct store *st, char *buf, size_t len)
{
	uint64_t a, b;

	if (buf == NULL || len < 33)
		return -1;
	a = dir_sum(st->dir);
	b = dir_sum(st->snapdir);
	snprintf(buf, len, "%016llx%016llx", (unsigned long long)a,
	    (unsigned long long)b);
	return 0;
}

static int
state_name_ok(const char *name)
{
	size_t i, n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    isdig(c) || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

json_t *
store_state_load(struct store *st, const char *name, struct ms_err *e)
{
	struct ms_buf fn = { 0 };
	json_error_t je;
	char *path, *text;
	size_t len;
	json_t *v;
	int gone;

	if (!state_name_ok(name)) {
		ms_err_set(e, "invalid state name");
		return NULL;
	}
	if (ms_buf_printf(&fn, "%s.json", name) == -1 ||
	    (path = store_path(st, fn.data)) == NULL) {
		ms_buf_free(&fn);
		ms_err_set(e, "out of memory");
		return NULL;
	}
	text = read_whole(path, STORE_STATE_MAX, &len, &gone, e);
	if (text == NULL) {
		free(path);
		ms_buf_free(&fn);
		return gone ? json_object() : NULL;
	}
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &je);
	if (v == NULL)
		ms_err_set(e, "%s:%d:%d: %s", path, je.line, je.column,
		    je.text);
	free(text);
	free(path);
	ms_buf_free(&fn);
	return v;
}

int
store_state_save(struct store *st, const char *name, json_t *state,
    struct ms_err *e)
{
	struct ms_buf fn = { 0 };
	char *s;
	int r;

	if (need_lock(st, e) == -1)
		return -1;
	if (!state_name_ok(name))
		return ms_err_set(e, "invalid state name");
	if (state == NULL)
		return ms_err_set(e, "no state to save");
	s = json_dumps(state, JSON_INDENT(1) | JSON_ENCODE_ANY);
	if (s == NULL || ms_buf_printf(&fn, "%s.json", name) == -1) {
		free(s);
		ms_buf_free(&fn);
		return ms_err_set(e, "out of memory");
	}
	{
		size_t n = strlen(s);
		char *t = realloc(s, n + 2);

		if (t == NULL) {
			free(s);
			ms_buf_free(&fn);
			return ms_err_set(e, "out of memory");
		}
		s = t;
		s[n] = '\n';
		s[n + 1] = '\0';
	}
	r = atomic_write(st->dir, fn.data, s, strlen(s), e);
	free(s);
	ms_buf_free(&fn);
	return r;
}

/* ---- for tests and the fuzz harness --------------------------------- */

json_t *
store_parse_snapshot(const char *text, size_t len, struct ms_err *e)
{
	struct snapload sl;
	json_t *a;
	size_t i;

	memset(&sl, 0, sizeof(sl));
	if (snap_scan(&sl, text, len, "snapshot", e) == -1) {
		snapload_free(&sl);
		return NULL;
	}
	if ((a = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < sl.n; i++) {
		const struct rinfo *ri = &sl.v[i].ri;
		json_t *o = json_loadb(ri->text, ri->len, 0, NULL);
		char *id;

		if (o == NULL) {
			/* The scanner accepted what jansson refuses. */
			ms_err_set(e, "record %zu: scanner and parser "
			    "disagree", i + 1);
			json_decref(a);
			snapload_free(&sl);
			return NULL;
		}
		if (!ri->idkey) {
			if ((id = js_strdup(ri->id, ri->idlen, ri->idesc)) ==
			    NULL || record_set_str(o, "id", id) == -1) {
				free(id);
				json_decref(o);
				json_decref(a);
				goto nomem;
			}
			free(id);
		}
		if (json_array_append_new(a, o) == -1) {
			json_decref(a);
			goto nomem;
		}
	}
	snapload_free(&sl);
	return a;
nomem:
	snapload_free(&sl);
	ms_err_set(e, "out of memory");
	return NULL;
}
