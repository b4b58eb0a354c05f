/*
 * util.h - small helpers every module uses: the error type, a bounded
 * number parser, a growable byte buffer and bounded file reading.
 *
 * Library functions never print and never exit: they return -1 or NULL
 * and describe the failure in a struct ms_err that the caller shows.
 */
#ifndef MACSCAN_UTIL_H
#define MACSCAN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define MS_ERRLEN 512

/* One human-readable line; truncated, never overflowed. */
struct ms_err {
	char msg[MS_ERRLEN];
};

#if defined(__GNUC__)
#define MS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MS_PRINTF(a, b)
#endif

/* Set e (if not NULL) from a printf format; a format ending in ':' appends
 * strerror(errno). Always returns -1, so "return ms_err_set(...)" works. */
int ms_err_set(struct ms_err *e, const char *fmt, ...) MS_PRINTF(2, 3);

/*
 * Parse a decimal integer in [min, max] from the whole of s (no sign for
 * unsigned ranges, no trailing characters, no leading space). Returns 0 and
 * sets *out, or -1 with *errstr set to "invalid", "too small" or
 * "too large" (static strings), as OpenBSD's strtonum does.
 */
int ms_strtonum(const char *s, long long min, long long max, long long *out,
    const char **errstr);

/* A growable byte buffer, always NUL-terminated when data != NULL. The
 * owner frees data with ms_buf_free. */
struct ms_buf {
	char *data;
	size_t len;
	size_t cap;
};

int ms_buf_append(struct ms_buf *b, const void *p, size_t n);
int ms_buf_puts(struct ms_buf *b, const char *s);
int ms_buf_printf(struct ms_buf *b, const char *fmt, ...) MS_PRINTF(2, 3);
int ms_buf_vprintf(struct ms_buf *b, const char *fmt, va_list ap);
void ms_buf_reset(struct ms_buf *b);
void ms_buf_free(struct ms_buf *b);
/* Hand the data over to the caller (who frees it); b is emptied. */
char *ms_buf_steal(struct ms_buf *b, size_t *len);

/*
 * Read a whole file of at most max bytes into a new NUL-terminated buffer
 * the caller frees (its length in *len if len is not NULL). Returns NULL
 * on error or when the file is larger, with errno saying why (ENOENT: no
 * such file; EFBIG: larger than max).
 */
char *ms_read_file(const char *path, size_t max, size_t *len,
    struct ms_err *e);

/*
 * Make room for at least `need` elements of `size` bytes in the array *v
 * of capacity *cap (in elements): grows to max(need, 2 * *cap, 8), with
 * every product checked for overflow. *v and *cap change only on
 * success. 0, or -1 with errno ENOMEM (*v is then left as it was, still
 * owned by the caller).
 */
int ms_grow(void *v, size_t *cap, size_t need, size_t size);

/*
 * The longest prefix of the n bytes at s that is at most max bytes and
 * ends on a UTF-8 character boundary: a multi-byte character is never
 * split. Bytes that are not valid UTF-8 count as one character each.
 */
size_t ms_utf8_cut(const char *s, size_t n, size_t max);

/* strdup that returns NULL on NULL. */
char *ms_strdup(const char *s);

/* Wipe a secret from memory in a way the compiler keeps. */
void ms_explicit_bzero(void *p, size_t n);

/* Nanoseconds from CLOCK_MONOTONIC. */
int64_t ms_now_ns(void);

/*
 * The length (1 to 4) of the valid UTF-8 sequence at s (n bytes left),
 * with its code point in *cp if cp is not NULL; 0 when it is not valid:
 * cut short, overlong, a surrogate or past U+10FFFF.
 */
size_t ms_utf8_next(const char *s, size_t n, unsigned long *cp);

/*
 * Decode n bytes of standard base64 (padded, no blanks) into out, at most
 * cap bytes. The decoded length, or -1 when the input is not base64 or
 * does not fit.
 */
ssize_t ms_base64_decode(const char *in, size_t n, unsigned char *out,
    size_t cap);

/* 1 if s is valid UTF-8 of length n, else 0. */
int ms_utf8_valid(const char *s, size_t n);

#endif
