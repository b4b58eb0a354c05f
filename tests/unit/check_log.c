#include <errno.h>
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
	fflush(stderr);
	dup2(fd, 2);
	f();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	s = ms_read_file(path, 4096, NULL, &e);
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
	/* Without fork (CK_FORK=no, as under valgrind) die() would end the
	 * whole suite: its exit status is checked in the forked runs. */
	if (getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0)
		tcase_add_exit_test(tc, die_exits_with_status, 3);
	suite_add_tcase(s, tc);
	return s;
}
