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

static void
vlog(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);

	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
	fprintf(stderr, "%s: ", ms_progname);
	vfprintf(stderr, fmt, ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
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
