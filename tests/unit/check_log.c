#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

/* Run f with stderr sent to a file; return what it printed. */
static char *
capture(void (*f)(void))
{
	char path[] = "/tmp/check_log.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	struct ms_err e;
	char *s;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	fflush(stderr);
	ck_assert_int_eq(dup2(fd, 2), 2);
	f();
	fflush(stderr);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	close(fd);
	s = ms_read_file(path, 1 << 20, NULL, &e);
	unlink(path);
	ck_assert_ptr_nonnull(s);
	return s;
}

static void
levels(void)
{
	ms_verbosity = 1;
	ms_error("error %d", 1);
	ms_warn("warn");
	ms_info("info hidden");
	ms_verbosity = 2;
	ms_info("info shown");
	ms_debug("debug hidden");
	ms_verbosity = 0;
	ms_warn("warn hidden");
	ms_error("error shown");
	errno = EACCES;
	ms_error("open %s:", "/x");
	ms_verbosity = 1;
}

START_TEST(prefix_and_levels)
{
	char *s;

	log_init("/usr/local/bin/macprobe");
	ck_assert_str_eq(ms_progname, "macprobe");
	s = capture(levels);
	ck_assert_str_eq(s, "macprobe: error 1\n"
	    "macprobe: warn\n"
	    "macprobe: info shown\n"
	    "macprobe: error shown\n"
	    "macprobe: open /x: Permission denied\n");
	free(s);
	log_init("plain");
	ck_assert_str_eq(ms_progname, "plain");
	log_init("");
	ck_assert_str_eq(ms_progname, "plain");
}
END_TEST

static void
progress(void)
{
	log_progress("%d/%d done", 1, 3);
	log_progress("%d/%d done", 2, 3);
	ms_error("host x failed");
	log_progress("%d/%d done", 3, 3);
	log_progress_end();
	log_progress_end();
}

START_TEST(progress_line)
{
	char *s;

	log_init("macprobe");
	s = capture(progress);
	ck_assert_str_eq(s, "\rmacprobe: 1/3 done\033[K"
	    "\rmacprobe: 2/3 done\033[K"
	    "\r\033[Kmacprobe: host x failed\n"
	    "\rmacprobe: 3/3 done\033[K\n");
	free(s);
}
END_TEST

enum { NTHREADS = 4, NLINES = 500 };

static void *
logger(void *arg)
{
	int t = *(int *)arg, i;

	for (i = 0; i < NLINES; i++)
		ms_error("thread %d line %d %0*d", t, i, 150, t);
	return NULL;
}

static void
threads(void)
{
	pthread_t th[NTHREADS];
	int id[NTHREADS], i;

	for (i = 0; i < NTHREADS; i++) {
		id[i] = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, logger, &id[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
}

/* Lines logged by threads at once come out whole, each in its place. */
START_TEST(lines_never_interleave)
{
	char *s, *line, *save = NULL;
	int next[NTHREADS] = { 0 }, t, i, n = 0, used;
	char tail[160];

	log_init("machttp");
	s = capture(threads);
	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), n++) {
		used = -1;
		ck_assert_msg(sscanf(line, "machttp: thread %d line %d %159s%n",
		    &t, &i, tail, &used) == 3 && used == (int)strlen(line),
		    "line %d not whole: %.60s", n, line);
		ck_assert_int_ge(t, 0);
		ck_assert_int_lt(t, NTHREADS);
		ck_assert_int_eq(i, next[t]);
		next[t]++;
		ck_assert_uint_eq(strlen(tail), 150);
		ck_assert_int_eq(tail[149] - '0', t);
	}
	ck_assert_int_eq(n, NTHREADS * NLINES);
	free(s);
}
END_TEST

static void
long_lines(void)
{
	errno = ENOENT;
	ms_error("%0*d %s:", 3000, 7, "/x");
	ms_error("%0*d", 1016, 8);
}

/* A line longer than the logger's stack buffer is whole too. */
START_TEST(long_line)
{
	char *s, *want;
	size_t n = 8192;

	log_init("macstore");
	s = capture(long_lines);
	want = malloc(n);
	ck_assert_ptr_nonnull(want);
	ck_assert_int_lt(snprintf(want, n, "macstore: %0*d /x: %s\n"
	    "macstore: %0*d\n", 3000, 7, strerror(ENOENT), 1016, 8), (int)n);
	ck_assert_str_eq(s, want);
	free(want);
	free(s);
}
END_TEST

START_TEST(die_exits_with_status)
{
	log_init("macstore");
	die(3, "cannot open store %s", "/nonexistent");
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, prefix_and_levels);
	tcase_add_test(tc, progress_line);
	tcase_add_test(tc, lines_never_interleave);
	tcase_add_test(tc, long_line);
	/* Without fork (CK_FORK=no, as under valgrind) die() would end the
	 * whole suite: its exit status is checked in the forked runs. */
	if (getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0)
		tcase_add_exit_test(tc, die_exits_with_status, 3);
	suite_add_tcase(s, tc);
	return s;
}
