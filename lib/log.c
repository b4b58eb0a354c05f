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

/*
 * One message, one write: the line is put together first and handed to
 * stderr whole, so that threads, and processes sharing a log file, never
 * interleave parts of lines, and a reader never sees "PROG: " alone.
 * Without memory for the line it goes out in parts, but it goes out.
 */
static void
vlog(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);
	const char *clear = progress_shown ? "\r\033[K" : "";
	const char *err = n > 0 && fmt[n - 1] == ':' ? strerror(saved) : NULL;
	struct ms_buf b = { 0 };
	va_list aq;

	progress_shown = 0;
	va_copy(aq, ap);
	if (ms_buf_printf(&b, "%s%s: ", clear, ms_progname) == 0 &&
	    ms_buf_vprintf(&b, fmt, aq) == 0 &&
	    (err == NULL || ms_buf_printf(&b, " %s", err) == 0) &&
	    ms_buf_puts(&b, "\n") == 0) {
		/* A failed write to stderr has nowhere else to be told. */
		(void)fwrite(b.data, 1, b.len, stderr);
	} else {
		fprintf(stderr, "%s%s: ", clear, ms_progname);
		vfprintf(stderr, fmt, ap);
		fprintf(stderr, "%s%s\n", err != NULL ? " " : "",
		    err != NULL ? err : "");
	}
	va_end(aq);
	ms_buf_free(&b);
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
