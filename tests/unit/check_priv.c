/*
 * check_priv.c - lib/priv: root becomes nobody for good (real,
 * effective and saved IDs, one group, setuid(0) refused afterwards), and
 * the lockdown leaves no capability and sets no_new_privs on Linux. Each
 * test runs in a child process, on this platform's implementation and on
 * priv_posix.c (macOS's), compiled in here under other names, so that
 * the setuid path is tested by every build. It needs root, which the
 * test machines and CI have; without root it checks that giving up
 * privileges one does not hold fails cleanly instead.
 */
#define _DEFAULT_SOURCE	/* setgroups, as priv_posix.c needs */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"
#include "unit.h"

#define priv_become	posix_become
#define priv_lockdown	posix_lockdown
#include "../../lib/priv_posix.c"
#undef priv_become
#undef priv_lockdown

#define NOBODY	65534

struct ops {
	int (*become)(uid_t, gid_t, unsigned, struct ms_err *);
	int (*lockdown)(struct ms_err *);
};

static const struct ops impl[2] = {
	{ priv_become, priv_lockdown },
	{ posix_become, posix_lockdown },
};

/* The value of FIELD in /proc/self/status, or "" (not Linux). */
static void
status_field(const char *field, char *out, size_t cap)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(field);

	out[0] = '\0';
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			snprintf(out, cap, "%s", line + n + 1 +
			    strspn(line + n + 1, " \t"));
			out[strcspn(out, "\n")] = '\0';
		}
	fclose(fp);
}

/* In a child: 0 when every check held, else the number of the first
 * that failed. */
static int
child(const struct ops *o)
{
	struct ms_err e = { "" };
	gid_t groups[4];
	char v[64];
	int n;

	if (o->become(NOBODY, NOBODY, 0, &e) != 0)
		return 1;
	if (getuid() != NOBODY || geteuid() != NOBODY || getgid() != NOBODY ||
	    getegid() != NOBODY)
		return 2;
	if ((n = getgroups(4, groups)) != 1 || groups[0] != NOBODY)
		return 3;
	if (setuid(0) != -1 || seteuid(0) != -1)
		return 4;
	if (o->lockdown(&e) != 0)
		return 5;
	status_field("CapEff", v, sizeof(v));
	if (v[0] != '\0' && strcmp(v, "0000000000000000") != 0)
		return 6;
	status_field("CapPrm", v, sizeof(v));
	if (v[0] != '\0' && strcmp(v, "0000000000000000") != 0)
		return 7;
	return 0;
}

START_TEST(root_to_nobody)
{
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		struct ms_err e = { "" };

		/* Not root: changing user is refused, and said so. */
		ck_assert_int_eq(impl[_i].become(NOBODY, NOBODY, 0, &e), -1);
		ck_assert(e.msg[0] != '\0');
		return;
	}
	if ((pid = fork()) == 0)
		_exit(child(&impl[_i]));
	ck_assert_int_ne(pid, -1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "check %d failed", WEXITSTATUS(st));
}
END_TEST

/* On Linux the platform's lockdown also sets no_new_privs. */
START_TEST(no_new_privs)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		struct ms_err e = { "" };
		char v[64];

		if (priv_lockdown(&e) != 0)
			_exit(1);
		status_field("NoNewPrivs", v, sizeof(v));
		_exit(v[0] == '\0' || strcmp(v, "1") == 0 ? 0 : 2);
	}
	ck_assert_int_ne(pid, -1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "check %d failed", WEXITSTATUS(st));
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("priv");
	TCase *tc = tcase_create("priv");

	tcase_add_loop_test(tc, root_to_nobody, 0, 2);
	tcase_add_test(tc, no_new_privs);
	suite_add_tcase(s, tc);
	return s;
}
