#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int
ms_err_set(struct ms_err *e, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t n;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(fmt);
	if (n > 0 && fmt[n - 1] == ':') {
		size_t len = strlen(e->msg);

		snprintf(e->msg + len, sizeof(e->msg) - len, " %s",
		    strerror(saved));
	}
	errno = saved;
	return -1;
}

int
ms_strtonum(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	const char *p = s;
	unsigned long long v = 0;
	int neg = 0, digits = 0;

	if (s == NULL || *s == '\0')
		goto invalid;
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto invalid;
		if (v > (ULLONG_MAX - 9) / 10) {
			/* Keep scanning so "123x" is still invalid. */
			v = ULLONG_MAX;
			digits++;
			continue;
		}
		v = v * 10 + (unsigned)(*p - '0');
		digits++;
	}
	if (digits == 0)
		goto invalid;
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1 ||
		    (v > 0 && -(long long)(v - 1) - 1 < min)) {
			if (errstr)
				*errstr = "too small";
			return -1;
		}
		*out = v == 0 ? 0 : -(long long)(v - 1) - 1;
		if (*out > max) {
			if (errstr)
				*errstr = "too large";
			return -1;
		}
	} else {
		if (v > (unsigned long long)LLONG_MAX ||
		    (long long)v > max) {
			if (errstr)
				*errstr = "too large";
			return -1;
		}
		if ((long long)v < min) {
			if (errstr)
				*errstr = "too small";
			return -1;
		}
		*out = (long long)v;
	}
	if (errstr)
		*errstr = NULL;
	return 0;
invalid:
	if (errstr)
		*errstr = "invalid";
	return -1;
}

static int
buf_grow(struct ms_buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (need > SIZE_MAX - b->len - 1) {
		errno = ENOMEM;
		return -1;
	}
	if (b->len + need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + need + 1) {
		if (cap > SIZE_MAX / 2) {
			cap = b->len + need + 1;
			break;
		}
		cap *= 2;
	}
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
ms_grow(void *vp, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *old, *p;

	if (need <= *cap)
		return 0;
	ncap = *cap > SIZE_MAX / 2 ? need : *cap * 2;
	if (ncap < need)
		ncap = need;
	if (ncap < 8)
		ncap = 8;
	if (size == 0 || ncap > SIZE_MAX / size) {
		errno = ENOMEM;
		return -1;
	}
	/* vp points to a pointer of some object type: read and write it
	 * as bytes, as the caller's type is not void *. */
	memcpy(&old, vp, sizeof(old));
	if ((p = realloc(old, ncap * size)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(vp, &p, sizeof(p));
	*cap = ncap;
	return 0;
}

int
ms_buf_append(struct ms_buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
ms_buf_puts(struct ms_buf *b, const char *s)
{
	return ms_buf_append(b, s, strlen(s));
}

int
ms_buf_vprintf(struct ms_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -1;
	if (buf_grow(b, (size_t)n) == -1)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
ms_buf_printf(struct ms_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ms_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

void
ms_buf_reset(struct ms_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
ms_buf_free(struct ms_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
ms_buf_steal(struct ms_buf *b, size_t *len)
{
	char *p = b->data;

	if (p == NULL && (p = calloc(1, 1)) == NULL)
		return NULL;
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

char *
ms_read_file(const char *path, size_t max, size_t *len, struct ms_err *e)
{
	struct stat sb;
	size_t cap, n = 0;
	char *buf = NULL;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		ms_err_set(e, "%s:", path);
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		ms_err_set(e, "%s:", path);
		goto fail;
	}
	if (S_ISREG(sb.st_mode) && (uintmax_t)sb.st_size > max)
		goto toolarge;
	/* A regular file is read straight into a buffer of its size (one
	 * read), a pipe or a file that grows into a buffer that grows. */
	cap = 0;
	if (ms_grow(&buf, &cap, S_ISREG(sb.st_mode) ?
	    (size_t)sb.st_size + 1 : 65536, 1) == -1)
		goto nomem;
	for (;;) {
		/* Full: at the end of the file, or the file grew; one byte
		 * tells which before the buffer grows. */
		int full = n + 1 >= cap;
		char c;
		ssize_t r = full ? read(fd, &c, 1) : read(fd, buf + n,
		    cap - n - 1);

		if (r == -1) {
			if (errno == EINTR)
				continue;
			ms_err_set(e, "%s:", path);
			goto fail;
		}
		if (r == 0)
			break;
		if (full) {
			if (ms_grow(&buf, &cap, n + 2, 1) == -1)
				goto nomem;
			buf[n] = c;
		}
		n += (size_t)r;
		if (n > max)
			goto toolarge;
	}
	close(fd);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
toolarge:
	errno = EFBIG;
	ms_err_set(e, "%s: file is larger than %zu bytes", path, max);
	goto fail;
nomem:
	errno = ENOMEM;
	ms_err_set(e, "%s: out of memory", path);
fail:
	close(fd);
	free(buf);
	return NULL;
}

char *
ms_strdup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

void
ms_explicit_bzero(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

int64_t
ms_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

size_t
ms_utf8_next(const char *s, size_t n, unsigned long *cpp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c;
	unsigned long cp;
	size_t k, j;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80) {
		k = 0;
		cp = c;
	} else if ((c & 0xe0) == 0xc0) {
		k = 1;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		k = 2;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		k = 3;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < k + 1)
		return 0;
	for (j = 1; j <= k; j++) {
		if ((p[j] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[j] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
	    (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cpp != NULL)
		*cpp = cp;
	return k + 1;
}

size_t
ms_utf8_cut(const char *s, size_t n, size_t max)
{
	size_t i = 0, k;

	if (n <= max)
		return n;
	while (i < max) {
		if ((k = ms_utf8_next(s + i, n - i, NULL)) == 0)
			k = 1;
		if (k > max - i)
			break;
		i += k;
	}
	return i;
}

int
ms_utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = ms_utf8_next(s + i, n - i, NULL)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ssize_t
ms_base64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	size_t i, o = 0, pad = 0;
	int v[4], k;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];

			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[k] = b64val(c)) < 0)
				return -1;
		}
		if (o + 3 - pad > cap)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)((v[1] & 15) << 4 |
			    v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return (ssize_t)o;
}
