#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

const char *ms_progname = "macscan";
int ms_verbosity = 1;
static int progress_shown;

void
log_init(const char *argv0)
{
	const char *p;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	ms_progname = p != NULL && p[1] != '\0' ? p + 1 : argv0;
}

/* Append to buf (cap bytes, one kept for the newline), cutting if full. */
static void
vappend(char *buf, size_t cap, size_t *len, const char *fmt, va_list ap)
{
	int k = vsnprintf(buf + *len, cap - 1 - *len, fmt, ap);

	if (k > 0)
		*len += (size_t)k < cap - 1 - *len ? (size_t)k : cap - 2 - *len;
}

static void
append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(buf, cap, len, fmt, ap);
	va_end(ap);
}

/*
 * One message, one write: the line is put together first and handed to
 * stderr whole, so that threads, and processes sharing a log file, never
 * interleave parts of lines, and a reader never sees "PROG: " alone.
 */
static void
vlog(const char *fmt, va_list ap)
{
	int saved = errno, m;
	size_t n = strlen(fmt), cap, len = 0;
	const char *err = n > 0 && fmt[n - 1] == ':' ? strerror(saved) : "";
	char stack[1024], *buf = stack;
	va_list aq;

	va_copy(aq, ap);
	m = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	/* "\r\033[K" "PROG: " message " " error "\n" NUL */
	cap = 4 + strlen(ms_progname) + 2 + (m > 0 ? (size_t)m : 0) + 1 +
	    strlen(err) + 2;
	if (cap > sizeof(stack) && (buf = malloc(cap)) == NULL) {
		buf = stack;	/* no memory for a long line: it is cut */
		cap = sizeof(stack);
	}
	append(buf, cap, &len, "%s%s: ", progress_shown ? "\r\033[K" : "",
	    ms_progname);
	progress_shown = 0;
	vappend(buf, cap, &len, fmt, ap);
	if (*err != '\0')
		append(buf, cap, &len, " %s", err);
	buf[len++] = '\n';
	/* A failed write to stderr has nowhere else to be told. */
	(void)fwrite(buf, 1, len, stderr);
	if (buf != stack)
		free(buf);
	errno = saved;
}

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	exit(status);
}

void
ms_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
ms_warn(const char *fmt, ...)
{
	va_list ap;

	if (ms_verbosity < 1)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
ms_info(const char *fmt, ...)
{
	va_list ap;

	if (ms_verbosity < 2)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
ms_debug(const char *fmt, ...)
{
	va_list ap;

	if (ms_verbosity < 3)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
log_progress(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\r%s: ", ms_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
	progress_shown = 1;
}

void
log_progress_end(void)
{
	if (progress_shown) {
		fputc('\n', stderr);
		progress_shown = 0;
	}
}

void
close_stdout(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "%s: write error on stdout: %s\n",
		    ms_progname, strerror(errno));
		exit(2);
	}
	if (fclose(stdout) == EOF) {
		fprintf(stderr, "%s: closing stdout: %s\n", ms_progname,
		    strerror(errno));
		exit(2);
	}
}
