/*
 * lib/sshs and lib/sshcli without an SSH server: what a session says of a
 * closed port and of a tarpit on loopback, within its deadline; the pool
 * hands every job back once; the shared options parse as documented.
 * Sessions with a real sshd are in tests/integration (the lab).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sshcli.h"
#include "stream.h"
#include "sshs.h"
#include "unit.h"

static char khpath[] = "/tmp/check_sshs.XXXXXX";

/* A listening socket on 127.0.0.1 that never accepts: connect works (the
 * kernel's backlog), and then nothing is ever said. */
static int
tarpit(unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port on loopback that nothing listens on. */
static unsigned
closed_port(void)
{
	unsigned port;
	int fd = tarpit(&port);

	close(fd);
	return port;
}

static void
opts(struct sshs_opts *o, unsigned port, int timeout_ms)
{
	memset(o, 0, sizeof(*o));
	o->user = "nobody";
	o->port = port;
	o->known_hosts = khpath;
	o->timeout_ms = timeout_ms;
	o->ssh_config = "none";
}

static void
setup(void)
{
	int fd = mkstemp(khpath);

	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void
teardown(void)
{
	unlink(khpath);
	strcpy(khpath, "/tmp/check_sshs.XXXXXX");
}

START_TEST(status_names)
{
	ck_assert_str_eq(sshs_status_name(SSHS_OK), "ok");
	ck_assert_str_eq(sshs_status_name(SSHS_AUTH_FAILED), "auth_failed");
	ck_assert_str_eq(sshs_status_name(SSHS_REFUSED), "refused");
	ck_assert_str_eq(sshs_status_name(SSHS_TIMEOUT), "timeout");
	ck_assert_str_eq(sshs_status_name(SSHS_UNREACHABLE), "unreachable");
	ck_assert_str_eq(sshs_status_name(SSHS_HOSTKEY_MISMATCH),
	    "hostkey_mismatch");
	ck_assert_str_eq(sshs_status_name(SSHS_ERROR), "error");
}
END_TEST

START_TEST(refused)
{
	struct sshs_opts o;
	struct sshs_result r;

	opts(&o, closed_port(), 5000);
	ck_assert_int_eq(sshs_run(&o, "127.0.0.1", "true", NULL, 0, &r),
	    SSHS_REFUSED);
	ck_assert_int_eq(r.status, SSHS_REFUSED);
	ck_assert_msg(strstr(r.err.msg, "refused") != NULL, "%s", r.err.msg);
	ck_assert_str_eq(r.addr, "127.0.0.1");
	ck_assert(r.elapsed_ns < 2000000000LL);
	sshs_result_free(&r);
}
END_TEST

START_TEST(tarpit_times_out)
{
	struct sshs_opts o;
	struct sshs_result r;
	unsigned port;
	int fd = tarpit(&port);

	opts(&o, port, 1000);
	ck_assert_int_eq(sshs_run(&o, "127.0.0.1", "true", NULL, 0, &r),
	    SSHS_TIMEOUT);
	/* The deadline holds: about one second, never much more. */
	ck_assert_msg(r.elapsed_ns >= 900000000LL &&
	    r.elapsed_ns < 2500000000LL, "%lld ns", (long long)r.elapsed_ns);
	ck_assert_int_eq(r.exit_status, -1);
	ck_assert_uint_eq(r.out.len, 0);
	sshs_result_free(&r);
	close(fd);
}
END_TEST

struct seen {
	int n;
	int refused;
	int jobs[3];
};

static void
done(void *arg, void *job, const char *host, struct sshs_result *r)
{
	struct seen *s = arg;

	ck_assert_str_eq(host, "127.0.0.1");
	s->jobs[s->n++] = (int)(long)job;
	if (r->status == SSHS_REFUSED)
		s->refused++;
}

START_TEST(pool_hands_back_every_job)
{
	struct sshs_opts o;
	struct sshs_pool *p;
	struct seen s = { 0, 0, { 0, 0, 0 } };
	struct ms_err e;
	long i;

	opts(&o, closed_port(), 5000);
	p = sshs_pool_new(&o, 2, done, &s, &e);
	ck_assert_ptr_nonnull(p);
	for (i = 1; i <= 3; i++)
		ck_assert_int_eq(sshs_pool_add(p, "127.0.0.1", "true", "in", 2,
		    (void *)i, &e), 0);
	sshs_pool_finish(p);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(s.refused, 3);
	ck_assert_int_eq(s.jobs[0] + s.jobs[1] + s.jobs[2], 6);
}
END_TEST

START_TEST(cli_options)
{
	struct sshcli c;
	struct ms_err e;

	sshcli_init(&c);
	ck_assert_uint_eq(c.parallel, SSHCLI_PARALLEL_DEFAULT);
	ck_assert_int_eq(c.timeout_s, SSHCLI_TIMEOUT_DEFAULT);
	ck_assert_int_eq(sshcli_opt(&c, 'P', "8", &e), 1);
	ck_assert_uint_eq(c.parallel, 8);
	ck_assert_int_eq(sshcli_opt(&c, 'P', "5000", &e), -1);
	ck_assert_str_eq(e.msg, "-P: parallel sessions is too large: 5000");
	ck_assert_int_eq(sshcli_opt(&c, 't', "0", &e), -1);
	ck_assert_str_eq(e.msg, "-t: timeout is too small: 0");
	ck_assert_int_eq(sshcli_opt(&c, 'p', "22x", &e), -1);
	ck_assert_str_eq(e.msg, "-p: port is invalid: 22x");
	ck_assert_int_eq(sshcli_opt(&c, 'o', "yes", &e), 1);
	ck_assert_int_eq(c.strict, SSHS_STRICT_YES);
	ck_assert_int_eq(sshcli_opt(&c, 'o', "maybe", &e), -1);
	ck_assert_str_eq(e.msg, "-o: accept-new, yes or no: maybe");
	ck_assert_int_eq(sshcli_opt(&c, 'u', "", &e), -1);
	ck_assert_int_eq(sshcli_opt(&c, 'x', "", &e), 0);
}
END_TEST

START_TEST(cli_host_and_first_line)
{
	json_t *r = json_pack("{s:s}", "host", "mac-a.local");
	struct ms_err e;
	char buf[16];

	ck_assert_str_eq(sshcli_host(r, &e), "mac-a.local");
	json_object_set_new(r, "ip", json_string("198.18.0.10"));
	ck_assert_str_eq(sshcli_host(r, &e), "198.18.0.10");
	json_object_set_new(r, "ip", json_string("1.2.3.4;rm"));
	ck_assert_ptr_null(sshcli_host(r, &e));
	ck_assert_str_eq(e.msg, "record has an invalid ip or host");
	json_decref(r);
	sshcli_first_line("\n  line\x1b[31m one\nline two", 24, buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "line?[31m one");
	sshcli_first_line("abcdefghijklmnopqrstuvwxyz", 26, buf, 8);
	ck_assert_str_eq(buf, "abcdefg");
}
END_TEST

START_TEST(cli_next)
{
	const char in[] = "198.18.0.10 extra\n{\"serial\":\"X\"}\n"
	    "{\"ip\":\"10.0.0.1;x\"}\n{\"host\":\"mac-b\"}\n";
	FILE *fp = fmemopen((void *)in, sizeof(in) - 1, "r");
	struct stream s;
	struct stream_item it;
	struct ms_err e;
	const char *host;

	ck_assert_ptr_nonnull(fp);
	stream_init(&s, fp, "hosts", 0);
	ck_assert_int_eq(sshcli_next(&s, &it, &host, &e), STREAM_ITEM);
	ck_assert_str_eq(host, "198.18.0.10");
	json_decref(it.rec);
	ck_assert_int_eq(sshcli_next(&s, &it, &host, &e), STREAM_BAD);
	ck_assert_str_eq(e.msg, "hosts:2: record has no ip or host");
	ck_assert_ptr_null(it.rec);
	ck_assert_int_eq(sshcli_next(&s, &it, &host, &e), STREAM_BAD);
	ck_assert_str_eq(e.msg, "hosts:3: record has an invalid ip or host");
	ck_assert_int_eq(sshcli_next(&s, &it, &host, &e), STREAM_ITEM);
	ck_assert_str_eq(host, "mac-b");
	json_decref(it.rec);
	ck_assert_int_eq(sshcli_next(&s, &it, &host, &e), STREAM_EOF);
	stream_close(&s);
	fclose(fp);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("sshs");
	TCase *tc = tcase_create("sshs");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, status_names);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, tarpit_times_out);
	tcase_add_test(tc, pool_hands_back_every_job);
	tcase_add_test(tc, cli_options);
	tcase_add_test(tc, cli_host_and_first_line);
	tcase_add_test(tc, cli_next);
	suite_add_tcase(s, tc);
	return s;
}
