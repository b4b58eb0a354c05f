/*
 * lib/sshs and lib/sshcli: what a session says of a closed port and of a
 * tarpit on loopback, within its deadline; the pool hands every job back
 * once; the shared options parse as documented. Then, with a real sshd on
 * 127.0.0.1 (root only: started by the "sshd" case), the host key policy:
 * which authentication and which input reach a host whose key is pinned,
 * new or changed. Its ForceCommand stores the session's input and its log
 * says which methods were tried, so "nothing sent" is checked there, on
 * the server's side. The lab's tests (tests/integration) do the same with
 * the programs.
 *
 * No check compares a wall time with a constant but the tarpit's lower
 * bound (a deadline never fires early); upper bounds are the tcase's
 * timeout, far above any loaded machine's delay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
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
	ck_assert_str_eq(sshs_status_name(SSHS_NEW_HOST), "new_host");
}
END_TEST

START_TEST(refused)
{
	struct sshs_opts o;
	struct sshs_result r;

	/* A deadline far away: refused is told before it, whatever the
	 * load (a timeout would say SSHS_TIMEOUT). */
	opts(&o, closed_port(), 60000);
	ck_assert_int_eq(sshs_run(&o, "127.0.0.1", "true", NULL, 0, &r),
	    SSHS_REFUSED);
	ck_assert_int_eq(r.status, SSHS_REFUSED);
	ck_assert_msg(strstr(r.err.msg, "refused") != NULL, "%s", r.err.msg);
	ck_assert_str_eq(r.addr, "127.0.0.1");
	ck_assert_int_eq(r.key, SSHS_KEY_UNKNOWN);
	ck_assert_str_eq(r.key_fp, "");
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
	/* Never before the deadline; after it, within the tcase's 30 s,
	 * which no loaded machine's late wake-up comes near. */
	ck_assert_msg(r.elapsed_ns >= 1000000000LL, "%lld ns",
	    (long long)r.elapsed_ns);
	ck_assert_msg(strstr(r.err.msg, "timed out after 1 s") != NULL, "%s",
	    r.err.msg);
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
	ck_assert_int_eq(c.timeout_s, 0);	/* set by -t or sshcli_setup */
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

/* sshcli_setup on a configuration text, with known_hosts given. */
static int
setup_with(const char *text, struct sshcli *c, struct ms_err *e)
{
	struct config *cfg = config_parse_buf(text, strlen(text), "t.conf",
	    e);
	int rc;

	ck_assert_ptr_nonnull(cfg);
	sshcli_init(c);
	c->known_hosts = khpath;
	rc = sshcli_setup(c, cfg, e);
	config_free(cfg);
	return rc;
}

START_TEST(cli_trust_new_hosts)
{
	static const char *const yes[] = { "yes", "YES", "true", "on", "1" };
	static const char *const no[] = { "no", "False", "off", "0", "" };
	struct sshcli c;
	struct ms_err e;
	char text[64];
	size_t i;

	unsetenv("SSH_TRUST_NEW_HOSTS");
	unsetenv("SSH_PASSWORD");
	unsetenv("SSH_PASSWORD_FILE");
	ck_assert_int_eq(setup_with("", &c, &e), 0);
	ck_assert_int_eq(c.so.trust_new, 0);
	sshcli_free(&c);
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "SSH_TRUST_NEW_HOSTS=%s\n", yes[i]);
		ck_assert_int_eq(setup_with(text, &c, &e), 0);
		ck_assert_msg(c.so.trust_new == 1, "%s", yes[i]);
		sshcli_free(&c);
		snprintf(text, sizeof(text), "SSH_TRUST_NEW_HOSTS=%s\n", no[i]);
		ck_assert_int_eq(setup_with(text, &c, &e), 0);
		ck_assert_msg(c.so.trust_new == 0, "%s", no[i]);
		sshcli_free(&c);
	}
	ck_assert_int_eq(setup_with("# x\nSSH_TRUST_NEW_HOSTS=maybe\n", &c,
	    &e), -1);
	ck_assert_str_eq(e.msg, "t.conf:2: SSH_TRUST_NEW_HOSTS: expected true "
	    "or false (yes/no, on/off, 1/0): 'maybe'");
	sshcli_free(&c);
	setenv("SSH_TRUST_NEW_HOSTS", "sure", 1);
	ck_assert_int_eq(setup_with("SSH_TRUST_NEW_HOSTS=yes\n", &c, &e), -1);
	ck_assert_str_eq(e.msg, "environment: SSH_TRUST_NEW_HOSTS: expected "
	    "true or false (yes/no, on/off, 1/0): 'sure'");
	sshcli_free(&c);
	unsetenv("SSH_TRUST_NEW_HOSTS");
}
END_TEST

/* SSH_TIMEOUT is the default of -t; -t wins over it. */
START_TEST(cli_timeout)
{
	struct sshcli c;
	struct ms_err e;
	struct config *cfg;
	const char *t = "SSH_TIMEOUT=60\n";

	unsetenv("SSH_TIMEOUT");
	ck_assert_int_eq(setup_with("", &c, &e), 0);
	ck_assert_int_eq(c.so.timeout_ms, SSHCLI_TIMEOUT_DEFAULT * 1000);
	sshcli_free(&c);
	ck_assert_int_eq(setup_with(t, &c, &e), 0);
	ck_assert_int_eq(c.so.timeout_ms, 60000);
	sshcli_free(&c);
	cfg = config_parse_buf(t, strlen(t), "t.conf", &e);
	ck_assert_ptr_nonnull(cfg);
	sshcli_init(&c);
	c.known_hosts = khpath;
	ck_assert_int_eq(sshcli_opt(&c, 't', "5", &e), 1);
	ck_assert_int_eq(sshcli_setup(&c, cfg, &e), 0);
	ck_assert_int_eq(c.so.timeout_ms, 5000);
	sshcli_free(&c);
	config_free(cfg);
	ck_assert_int_eq(setup_with("SSH_TIMEOUT=0\n", &c, &e), -1);
	ck_assert_str_eq(e.msg, "t.conf:1: SSH_TIMEOUT is too small: '0' "
	    "(expected 1 to 3600)");
	sshcli_free(&c);
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

/*
 * A real sshd on 127.0.0.1, started once for the "sshd" case (root only:
 * sshd's privilege separation). Its user is the one running the tests;
 * the client key is authorized, the password is not root's (nothing can
 * log in with it: what matters is whether it is sent). ForceCommand
 * stores each session's input in in.txt and says "ran".
 */
static char sdir[] = "/tmp/check_sshs_sshd.XXXXXX";
static unsigned sport;
static char spath[6][300];
enum { S_KEY, S_OTHERKEY, S_IN, S_LOG, S_HOSTPUB, S_PID };
#define SECRET "pw-secret-7f3a"

static void
run_or_die(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "check_sshs: failed: %s\n", cmd);
		exit(1);
	}
}

static void
sshd_up(void)
{
	static const char *const names[] = { "client", "other", "in.txt",
	    "sshd.log", "host.pub", "sshd.pid" };
	char cmd[2048], cfg[400];
	FILE *fp;
	int i, fd;

	if (mkdtemp(sdir) == NULL)
		exit(1);
	for (i = 0; i < 6; i++)
		snprintf(spath[i], sizeof(spath[i]), "%s/%s", sdir, names[i]);
	unsetenv("SSH_AUTH_SOCK");
	mkdir("/run/sshd", 0755);
	fd = tarpit(&sport);
	close(fd);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' -f %s/host"
	    " && ssh-keygen -q -t ed25519 -N '' -f %s"
	    " && ssh-keygen -q -t ed25519 -N '' -f %s && cp %s.pub %s/auth",
	    sdir, spath[S_KEY], spath[S_OTHERKEY], spath[S_KEY], sdir);
	run_or_die(cmd);
	snprintf(cfg, sizeof(cfg), "%s/sshd_config", sdir);
	if ((fp = fopen(cfg, "w")) == NULL)
		exit(1);
	fprintf(fp, "ListenAddress 127.0.0.1:%u\nHostKey %s/host\n"
	    "PidFile %s\nAuthorizedKeysFile %s/auth\nStrictModes no\n"
	    "UsePAM no\nPermitRootLogin yes\nPasswordAuthentication yes\n"
	    "KbdInteractiveAuthentication yes\nLogLevel VERBOSE\n"
	    "ForceCommand cat > %s; echo ran\n", sport, sdir, spath[S_PID],
	    sdir, spath[S_IN]);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "/usr/sbin/sshd -f %s -E %s", cfg,
	    spath[S_LOG]);
	run_or_die(cmd);
	/* Listening already: sshd binds before it becomes a daemon. */
	for (i = 0; i < 600 && access(spath[S_PID], R_OK) != 0; i++)
		usleep(50000);
}

static void
sshd_down(void)
{
	char cmd[600];
	FILE *fp = fopen(spath[S_PID], "r");
	long pid = 0;

	if (fp != NULL) {
		if (fscanf(fp, "%ld", &pid) != 1)
			pid = 0;
		fclose(fp);
	}
	if (pid > 0)
		kill((pid_t)pid, SIGTERM);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", sdir);
	run_or_die(cmd);
}

/* The whole of a small file, "" when absent; the caller frees. */
static char *
slurp(const char *path)
{
	size_t len;
	struct ms_err e;
	char *s = ms_read_file(path, 1 << 20, &len, &e);

	return s != NULL ? s : strdup("");
}

static int
contains(const char *path, const char *what)
{
	char *s = slurp(path);
	int r = strstr(s, what) != NULL;

	free(s);
	return r;
}

static size_t
lines(const char *path)
{
	char *s = slurp(path), *p;
	size_t n = 0;

	for (p = s; *p != '\0'; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/* The server key's fingerprint, as ssh-keygen -l says it. */
static void
host_fp(char *buf, size_t len)
{
	char cmd[400];
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "ssh-keygen -lf %s | cut -d' ' -f2",
	    spath[S_HOSTPUB]);
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(fgets(buf, (int)len, fp));
	buf[strcspn(buf, "\n")] = '\0';
	pclose(fp);
}

/* Wait (up to 30 s) for sshd to log what: it logs as sessions end. */
static void
wait_log(const char *what)
{
	int i;

	for (i = 0; i < 600 && !contains(spath[S_LOG], what); i++)
		usleep(50000);
}

static void
sopts(struct sshs_opts *o, const char *keyfile)
{
	struct passwd *pw = getpwuid(getuid());

	ck_assert_ptr_nonnull(pw);
	opts(o, sport, 60000);
	o->user = pw->pw_name;
	o->keyfile = keyfile;
	o->password = SECRET;
	unlink(spath[S_IN]);
	ck_assert(truncate(spath[S_LOG], 0) == 0 || errno == ENOENT);
}

static enum sshs_status
srun(const struct sshs_opts *o, const char *in, struct sshs_result *r)
{
	return sshs_run(o, "127.0.0.1", "ignored", in, strlen(in), r);
}

/* A secret input never goes to a new key: the session stops before any
 * authentication, nothing is pinned, the command never runs. */
START_TEST(secret_to_new_key)
{
	struct sshs_opts o;
	struct sshs_result r;
	char fp[80], want[160];

	sopts(&o, spath[S_KEY]);
	o.secret_in = 1;
	ck_assert_int_eq(srun(&o, SECRET "\n", &r), SSHS_NEW_HOST);
	host_fp(fp, sizeof(fp));
	snprintf(want, sizeof(want), "host key %s not pinned; run macscan "
	    "enroll", fp);
	ck_assert_str_eq(r.err.msg, want);
	ck_assert_int_eq(r.key, SSHS_KEY_NEW);
	ck_assert_str_eq(r.key_fp, fp);
	ck_assert_str_eq(r.key_type, "ssh-ed25519");
	ck_assert_ptr_null(r.auth);
	ck_assert_uint_eq(lines(khpath), 0);
	ck_assert_int_eq(access(spath[S_IN], F_OK), -1);
	sshs_result_free(&r);
}
END_TEST

/* A key login to a new key pins it and sends the (plain) input; then
 * the key is pinned, and a secret input goes. */
START_TEST(key_login_pins_then_secret_goes)
{
	struct sshs_opts o;
	struct sshs_result r;
	char *in;

	sopts(&o, spath[S_KEY]);
	ck_assert_int_eq(srun(&o, "plain input\n", &r), SSHS_OK);
	ck_assert_str_eq(r.auth, "publickey");
	ck_assert_int_eq(r.key, SSHS_KEY_ADDED);
	ck_assert_int_eq(r.hostkey_added, 1);
	ck_assert_str_eq(r.out.data, "ran\n");
	ck_assert_uint_eq(lines(khpath), 1);
	in = slurp(spath[S_IN]);
	ck_assert_str_eq(in, "plain input\n");
	free(in);
	sshs_result_free(&r);

	sopts(&o, spath[S_KEY]);
	o.secret_in = 1;
	ck_assert_int_eq(srun(&o, SECRET "\n", &r), SSHS_OK);
	ck_assert_int_eq(r.key, SSHS_KEY_PINNED);
	ck_assert_int_eq(r.hostkey_added, 0);
	ck_assert_uint_eq(lines(khpath), 1);
	ck_assert(contains(spath[S_IN], SECRET));
	sshs_result_free(&r);
}
END_TEST

/* Only the password could log in to a new key: new_host, and the server
 * saw publickey tried, never password nor keyboard-interactive. */
START_TEST(password_never_to_new_key)
{
	struct sshs_opts o;
	struct sshs_result r;

	sopts(&o, spath[S_OTHERKEY]);
	ck_assert_int_eq(srun(&o, "x\n", &r), SSHS_NEW_HOST);
	ck_assert_int_eq(r.key, SSHS_KEY_NEW);
	ck_assert_uint_eq(lines(khpath), 0);
	sshs_result_free(&r);
	wait_log("authenticating user");
	ck_assert_msg(contains(spath[S_LOG], "publickey"), "no publickey in "
	    "the log");
	ck_assert(!contains(spath[S_LOG], "password"));
	ck_assert(!contains(spath[S_LOG], "keyboard-interactive"));
}
END_TEST

/* The same with SSH_TRUST_NEW_HOSTS: the key is pinned at first contact
 * and the password is tried (and refused: it is not the account's). */
START_TEST(trust_new_sends_the_password)
{
	struct sshs_opts o;
	struct sshs_result r;

	sopts(&o, spath[S_OTHERKEY]);
	o.trust_new = 1;
	ck_assert_int_eq(srun(&o, "x\n", &r), SSHS_AUTH_FAILED);
	ck_assert_int_eq(r.key, SSHS_KEY_ADDED);
	ck_assert_uint_eq(lines(khpath), 1);
	ck_assert_msg(strstr(r.err.msg, "password") != NULL, "%s", r.err.msg);
	sshs_result_free(&r);
	wait_log("authenticating user");
	ck_assert(contains(spath[S_LOG], "Failed password"));
}
END_TEST

/* Another key pinned for the host: refused before authentication; with
 * strict "no", a key login without the secret input, the file intact. */
START_TEST(changed_key)
{
	struct sshs_opts o;
	struct sshs_result r;
	char line[400], *before, *after;

	/* Any other key will do: the client's other one. */
	snprintf(line, sizeof(line), "cut -d' ' -f1,2 %s.pub | sed "
	    "'s/^/[127.0.0.1]:%u /' > %s", spath[S_OTHERKEY], sport, khpath);
	run_or_die(line);
	before = slurp(khpath);
	sopts(&o, spath[S_KEY]);
	o.secret_in = 1;
	ck_assert_int_eq(srun(&o, SECRET "\n", &r), SSHS_HOSTKEY_MISMATCH);
	ck_assert_int_eq(r.key, SSHS_KEY_CHANGED);
	ck_assert_ptr_null(r.auth);
	sshs_result_free(&r);
	o.strict = SSHS_STRICT_NO;
	ck_assert_int_eq(srun(&o, SECRET "\n", &r), SSHS_HOSTKEY_MISMATCH);
	ck_assert_msg(strstr(r.err.msg, "the input holds a secret: not sent")
	    != NULL, "%s", r.err.msg);
	ck_assert_int_eq(access(spath[S_IN], F_OK), -1);
	sshs_result_free(&r);
	o.secret_in = 0;
	ck_assert_int_eq(srun(&o, "plain\n", &r), SSHS_OK);
	ck_assert_str_eq(r.auth, "publickey");
	ck_assert_int_eq(r.key, SSHS_KEY_CHANGED);
	sshs_result_free(&r);
	o.keyfile = spath[S_OTHERKEY];
	ck_assert_int_eq(srun(&o, "plain\n", &r), SSHS_AUTH_FAILED);
	ck_assert_msg(strstr(r.err.msg, "no password to a changed host key")
	    != NULL, "%s", r.err.msg);
	sshs_result_free(&r);
	after = slurp(khpath);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	wait_log("authenticating user");
	ck_assert(!contains(spath[S_LOG], "password"));
}
END_TEST

/* Strict "yes": a new key is refused before anything, never pinned. */
START_TEST(strict_yes_new_key)
{
	struct sshs_opts o;
	struct sshs_result r;

	sopts(&o, spath[S_KEY]);
	o.strict = SSHS_STRICT_YES;
	ck_assert_int_eq(srun(&o, "x\n", &r), SSHS_NEW_HOST);
	ck_assert_uint_eq(lines(khpath), 0);
	ck_assert_int_eq(access(spath[S_IN], F_OK), -1);
	sshs_result_free(&r);
}
END_TEST

/* Enrolment: keys_only reads the key and logs in never; it pins only a
 * listed fingerprint (or every new key with pin_new). */
START_TEST(keys_only_enrolment)
{
	struct sshs_opts o;
	struct sshs_result r;
	char fp[80], other[] = "SHA256:"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	const char *list[3] = { other, NULL, NULL };

	sopts(&o, spath[S_KEY]);
	o.keys_only = 1;
	o.pin_fps = list;
	ck_assert_int_eq(sshs_run(&o, "127.0.0.1", NULL, NULL, 0, &r),
	    SSHS_OK);
	ck_assert_int_eq(r.key, SSHS_KEY_NEW);
	ck_assert_ptr_null(r.auth);
	ck_assert_uint_eq(lines(khpath), 0);
	sshs_result_free(&r);
	host_fp(fp, sizeof(fp));
	list[1] = fp;
	ck_assert_int_eq(sshs_run(&o, "127.0.0.1", NULL, NULL, 0, &r),
	    SSHS_OK);
	ck_assert_int_eq(r.key, SSHS_KEY_ADDED);
	ck_assert_uint_eq(lines(khpath), 1);
	sshs_result_free(&r);
	o.pin_fps = NULL;
	ck_assert_int_eq(sshs_run(&o, "127.0.0.1", NULL, NULL, 0, &r),
	    SSHS_OK);
	ck_assert_int_eq(r.key, SSHS_KEY_PINNED);
	ck_assert_int_eq(access(spath[S_IN], F_OK), -1);
	sshs_result_free(&r);
	/* The password now goes: the key was pinned before the session. */
	o.keys_only = 0;
	o.keyfile = spath[S_OTHERKEY];
	ck_assert_int_eq(srun(&o, "x\n", &r), SSHS_AUTH_FAILED);
	ck_assert_msg(strstr(r.err.msg, "tried publickey,password") != NULL,
	    "%s", r.err.msg);
	sshs_result_free(&r);
}
END_TEST

static void
done_keys(void *arg, void *job, const char *host, struct sshs_result *r)
{
	int *got = arg;

	(void)job;
	(void)host;
	got[0] = r->status;
	got[1] = r->key;
}

/* The pool runs keys_only jobs (no command); pin_new pins. */
START_TEST(pool_keys_only)
{
	struct sshs_opts o;
	struct sshs_pool *p;
	struct ms_err e;
	int got[2] = { -1, -1 };

	sopts(&o, NULL);
	o.keys_only = 1;
	o.pin_new = 1;
	p = sshs_pool_new(&o, 2, done_keys, got, &e);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sshs_pool_add(p, "127.0.0.1", NULL, NULL, 0, NULL,
	    &e), 0);
	sshs_pool_finish(p);
	ck_assert_int_eq(got[0], SSHS_OK);
	ck_assert_int_eq(got[1], SSHS_KEY_ADDED);
	ck_assert_uint_eq(lines(khpath), 1);
}
END_TEST

/* Not root: the sshd tests cannot run. Said, and a failure in CI. */
START_TEST(sshd_needs_root)
{
	ck_abort_msg("the sshd tests need root and /usr/sbin/sshd, and "
	    "CI=true forbids skipping them");
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
	tcase_add_test(tc, cli_trust_new_hosts);
	tcase_add_test(tc, cli_timeout);
	suite_add_tcase(s, tc);

	tc = tcase_create("sshd");
	tcase_set_timeout(tc, 120);
	if (getuid() == 0 && access("/usr/sbin/sshd", X_OK) == 0) {
		tcase_add_unchecked_fixture(tc, sshd_up, sshd_down);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, secret_to_new_key);
		tcase_add_test(tc, key_login_pins_then_secret_goes);
		tcase_add_test(tc, password_never_to_new_key);
		tcase_add_test(tc, trust_new_sends_the_password);
		tcase_add_test(tc, changed_key);
		tcase_add_test(tc, strict_yes_new_key);
		tcase_add_test(tc, keys_only_enrolment);
		tcase_add_test(tc, pool_keys_only);
	} else if (getenv("CI") != NULL && strcmp(getenv("CI"), "true") == 0) {
		tcase_add_test(tc, sshd_needs_root);
	} else {
		fprintf(stderr, "check_sshs: SKIP the sshd tests: they need "
		    "root and /usr/sbin/sshd\n");
	}
	suite_add_tcase(s, tc);
	return s;
}
