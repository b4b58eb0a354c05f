/*
 * sshs.c - one SSH command per host within a deadline, and a worker pool.
 *
 * libssh runs in non-blocking mode: each libssh call that would wait
 * returns SSH_AGAIN / SSH_AUTH_AGAIN, and we wait on the socket with
 * poll(2) for at most what is left before the deadline. The TCP connect
 * is ours too, so that "refused", "unreachable" and "timeout" come from
 * errno rather than from libssh's message text.
 *
 * Why threads for the pool: a session is a chain of a dozen libssh calls
 * (key exchange, several authentication methods, channel open, exec,
 * I/O), each of which may need several round trips. Written straight in
 * one function per session it stays readable and each step checks the
 * one deadline; an event loop would turn it into a state machine over
 * libssh's own pending-call states for little gain at our scale (tens of
 * sessions at once, each idle in poll most of the time, a small stack
 * each), and the key exchanges' crypto then spreads over the cores.
 * libssh is thread-safe with one session per thread.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "escape.h"
#include "sshs.h"
#include "sys.h"

#include "sshs_impl.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void
do_init(void)
{
	init_rc = ssh_init();
}

int
sshs_lib_init(void)
{
	pthread_once(&init_once, do_init);
	return init_rc;
}

const char *
sshs_status_name(enum sshs_status st)
{
	switch (st) {
	case SSHS_OK:
		return "ok";
	case SSHS_AUTH_FAILED:
		return "auth_failed";
	case SSHS_REFUSED:
		return "refused";
	case SSHS_TIMEOUT:
		return "timeout";
	case SSHS_UNREACHABLE:
		return "unreachable";
	case SSHS_HOSTKEY_MISMATCH:
		return "hostkey_mismatch";
	case SSHS_NEW_HOST:
		return "new_host";
	case SSHS_ERROR:
		break;
	}
	return "error";
}

void
sshs_result_init(struct sshs_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = SSHS_ERROR;
	r->exit_status = -1;
}

void
sshs_result_free(struct sshs_result *r)
{
	if (r == NULL)
		return;
	ms_buf_free(&r->out);
	ms_buf_free(&r->errout);
}

/*
 * Set the status and its one-line message. Text that came from the
 * remote end (a banner in a libssh error) is made inert (esc_term):
 * control characters become '?', so the line stays one line on any
 * terminal.
 */
enum sshs_status
sess_fail(struct sess *x, enum sshs_status st, const char *fmt, ...)
{
	char raw[sizeof(x->r->err.msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	esc_term_buf(x->r->err.msg, sizeof(x->r->err.msg), raw, strlen(raw),
	    sizeof(raw), 0);
	x->r->status = st;
	return st;
}

static enum sshs_status
timed_out(struct sess *x, const char *what)
{
	return sess_fail(x, SSHS_TIMEOUT, "timed out after %g s %s",
	    x->timeout_ms / 1000.0, what);
}

enum sshs_status
sess_ssh_failed(struct sess *x, const char *what)
{
	const char *m = ssh_get_error(x->s);

	return sess_fail(x, SSHS_ERROR, "%s: %s", what,
	    m != NULL && *m != '\0' ? m : "unknown libssh error");
}

/* Milliseconds left before the deadline, at most cap; 0 when past it. */
static int
left_ms(const struct sess *x, int cap)
{
	int64_t left = x->deadline - ms_now_ns();

	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000;
	return left > cap ? cap : (int)left;
}

/*
 * Wait until libssh's socket may make progress: readable, or writable
 * when libssh has output pending. 0 to call libssh again, -1 when the
 * deadline has passed.
 */
static int
await(struct sess *x)
{
	struct pollfd pfd;
	int ms, flags;

	if ((ms = left_ms(x, SSHS_POLL_MAX_MS)) == 0)
		return -1;
	pfd.fd = ssh_get_fd(x->s);
	pfd.events = POLLIN;
	pfd.revents = 0;
	flags = ssh_get_poll_flags(x->s);
	if (flags & SSH_WRITE_PENDING)
		pfd.events |= POLLOUT;
	if (pfd.fd < 0)
		return -1;
	if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
		return -1;
	return 0;
}

static enum sshs_status
connect_errno(struct sess *x, int err, const char *addr, unsigned port)
{
	errno = err;
	switch (err) {
	case ECONNREFUSED:
		return sess_fail(x, SSHS_REFUSED, "connect to %s port %u: %s",
		    addr, port, strerror(err));
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EADDRNOTAVAIL:
		return sess_fail(x, SSHS_UNREACHABLE, "connect to %s port %u: %s",
		    addr, port, strerror(err));
	case ETIMEDOUT:
		return sess_fail(x, SSHS_TIMEOUT, "connect to %s port %u: %s",
		    addr, port, strerror(err));
	default:
		return sess_fail(x, SSHS_ERROR, "connect to %s port %u: %s",
		    addr, port, strerror(err));
	}
}

/*
 * Connect to host:port before the deadline, trying each address in
 * turn. Returns the connected non-blocking socket, or -1 with the
 * result's status set.
 */
static int
tcp_connect(struct sess *x, const char *host, unsigned port)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16], addr[sizeof(x->r->addr)];
	int fd = -1, gai, err = 0, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if ((gai = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		if (gai == EAI_NONAME || gai == EAI_AGAIN
#ifdef EAI_NODATA
		    || gai == EAI_NODATA
#endif
		    )
			sess_fail(x, SSHS_UNREACHABLE, "%s: %s", host,
			    gai_strerror(gai));
		else
			sess_fail(x, SSHS_ERROR, "%s: %s", host,
			    gai == EAI_SYSTEM ? strerror(errno) :
			    gai_strerror(gai));
		return -1;
	}
	snprintf(addr, sizeof(addr), "%s", host);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t len = sizeof(err);
		int r, ms;

		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(addr, sizeof(addr), "%s", host);
		fd = sys_socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol, 1);
		if (fd == -1) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto connected;
		if (errno != EINPROGRESS) {
			err = errno;
			close(fd);
			fd = -1;
			continue;
		}
		for (;;) {
			if ((ms = left_ms(x, SSHS_POLL_MAX_MS)) == 0) {
				close(fd);
				snprintf(x->r->addr, sizeof(x->r->addr), "%s",
				    addr);
				freeaddrinfo(res);
				sess_fail(x, SSHS_TIMEOUT, "connect to %s port %u: "
				    "timed out after %g s", addr, port,
				    x->timeout_ms / 1000.0);
				return -1;
			}
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			r = poll(&pfd, 1, ms);
			if (r > 0)
				break;
			if (r == -1 && errno != EINTR) {
				err = errno;
				break;
			}
		}
		if (err == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
		    &len) == -1)
			err = errno;
		if (err == 0)
			goto connected;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	snprintf(x->r->addr, sizeof(x->r->addr), "%s", addr);
	connect_errno(x, err != 0 ? err : EHOSTUNREACH, addr, port);
	return -1;

connected:
	freeaddrinfo(res);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	snprintf(x->r->addr, sizeof(x->r->addr), "%s", addr);
	return fd;
}

/* fp is one of the NULL-terminated list. */
static int
fp_listed(const char *const *list, const char *fp)
{
	if (list == NULL || *fp == '\0')
		return 0;
	for (; *list != NULL; list++)
		if (strcmp(*list, fp) == 0)
			return 1;
	return 0;
}

static void
tried(struct sess *x, const char *m)
{
	size_t n = strlen(x->tried);

	if (strstr(x->tried, m) != NULL)
		return;
	snprintf(x->tried + n, sizeof(x->tried) - n, "%s%s", n ? "," : "", m);
}

/* Methods as OpenSSH names them, for the auth_failed message. */
static void
methods_str(int m, char *buf, size_t len)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{ SSH_AUTH_METHOD_PUBLICKEY, "publickey" },
		{ SSH_AUTH_METHOD_PASSWORD, "password" },
		{ SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive" },
		{ SSH_AUTH_METHOD_HOSTBASED, "hostbased" },
		{ SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic" },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(m & names[i].bit))
			continue;
		snprintf(buf + n, len - n, "%s%s", n ? "," : "", names[i].name);
		n = strlen(buf);
	}
	if (n == 0)
		snprintf(buf, len, "none");
}

/*
 * Keyboard-interactive, answering every prompt with the password: PAM on
 * macOS asks "Password:" this way. Returns an ssh_auth_e.
 */
static int
auth_kbdint(struct sess *x)
{
	int rc, rounds = 0, i, n;

	for (;;) {
		rc = ssh_userauth_kbdint(x->s, NULL, NULL);
		if (rc == SSH_AUTH_AGAIN) {
			if (await(x) == -1)
				return SSH_AUTH_AGAIN;
			continue;
		}
		if (rc != SSH_AUTH_INFO)
			return rc;
		if (++rounds > SSHS_KBDINT_ROUNDS)
			return SSH_AUTH_DENIED;
		n = ssh_userauth_kbdint_getnprompts(x->s);
		for (i = 0; i < n; i++)
			if (ssh_userauth_kbdint_setanswer(x->s, (unsigned)i,
			    x->o->password) < 0)
				return SSH_AUTH_ERROR;
	}
}

/*
 * Authenticate; the password only when pw_ok (the host key is trusted).
 * 0 when in, -1 with the status set.
 */
static int
authenticate(struct sess *x, int pw_ok)
{
	const struct sshs_opts *o = x->o;
	char offered[96];
	int rc, methods;

#define AGAIN(call) \
	while ((rc = (call)) == SSH_AUTH_AGAIN) \
		if (await(x) == -1) \
			goto timeout
	AGAIN(ssh_userauth_none(x->s, NULL));
	if (rc == SSH_AUTH_SUCCESS) {
		x->r->auth = "none";
		return 0;
	}
	if (rc == SSH_AUTH_ERROR)
		goto error;
	methods = ssh_userauth_list(x->s, NULL);
	if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
		if (o->keyfile != NULL) {
			ssh_key key = NULL;

			if (getenv("SSH_AUTH_SOCK") != NULL) {
				tried(x, "agent");
				AGAIN(ssh_userauth_agent(x->s, NULL));
				if (rc == SSH_AUTH_SUCCESS) {
					x->r->auth = "agent";
					return 0;
				}
				if (rc == SSH_AUTH_ERROR &&
				    ssh_get_status(x->s) & SSH_CLOSED_ERROR)
					goto error;
			}
			tried(x, "publickey");
			if (ssh_pki_import_privkey_file(o->keyfile, NULL, NULL,
			    NULL, &key) != SSH_OK) {
				sess_fail(x, SSHS_AUTH_FAILED, "cannot use key %s "
				    "(unreadable, not a key, or it has a "
				    "passphrase)", o->keyfile);
				if (o->password == NULL || !pw_ok)
					return -1;
				rc = SSH_AUTH_DENIED;
			} else {
				AGAIN(ssh_userauth_publickey(x->s, NULL, key));
				ssh_key_free(key);
			}
		} else {
			tried(x, "publickey");
			AGAIN(ssh_userauth_publickey_auto(x->s, NULL, NULL));
		}
		if (rc == SSH_AUTH_SUCCESS) {
			x->r->auth = "publickey";
			return 0;
		}
		if (rc == SSH_AUTH_ERROR)
			goto error;
		methods = ssh_userauth_list(x->s, NULL);
	}
	if (o->password != NULL && pw_ok &&
	    (methods & SSH_AUTH_METHOD_PASSWORD)) {
		tried(x, "password");
		AGAIN(ssh_userauth_password(x->s, NULL, o->password));
		if (rc == SSH_AUTH_SUCCESS) {
			x->r->auth = "password";
			return 0;
		}
		if (rc == SSH_AUTH_ERROR)
			goto error;
		methods = ssh_userauth_list(x->s, NULL);
	}
	if (o->password != NULL && pw_ok &&
	    (methods & SSH_AUTH_METHOD_INTERACTIVE)) {
		tried(x, "keyboard-interactive");
		rc = auth_kbdint(x);
		if (rc == SSH_AUTH_AGAIN)
			goto timeout;
		if (rc == SSH_AUTH_SUCCESS) {
			x->r->auth = "keyboard-interactive";
			return 0;
		}
		if (rc == SSH_AUTH_ERROR)
			goto error;
	}
#undef AGAIN
	if (o->password != NULL && !pw_ok && x->r->key == SSHS_KEY_NEW &&
	    (methods & (SSH_AUTH_METHOD_PASSWORD |
	    SSH_AUTH_METHOD_INTERACTIVE))) {
		sess_new_host(x);
		return -1;
	}
	methods_str(methods, offered, sizeof(offered));
	sess_fail(x, SSHS_AUTH_FAILED, "permission denied (tried %s; the server "
	    "offers %s)%s", x->tried[0] ? x->tried : "nothing", offered,
	    o->password == NULL ? "; no password set" :
	    x->r->key == SSHS_KEY_CHANGED ?
	    "; no password to a changed host key" : "");
	return -1;
timeout:
	timed_out(x, "in authentication");
	return -1;
error:
	sess_ssh_failed(x, "authentication");
	return -1;
}

static void
cap_str(size_t n, char *buf, size_t len)
{
	if (n % (1u << 20) == 0)
		snprintf(buf, len, "%zu MiB", n >> 20);
	else if (n % 1024 == 0)
		snprintf(buf, len, "%zu KiB", n >> 10);
	else
		snprintf(buf, len, "%zu bytes", n);
}

/*
 * Run the command on an authenticated session: write in, then EOF, while
 * reading stdout and stderr (reading as we write, so a command that
 * answers before it has read all its input cannot deadlock us).
 */
static int
run_command(struct sess *x, const char *cmd, const char *in, size_t inlen)
{
	ssh_channel ch;
	char buf[SSHS_CHUNK], cap[32];
	size_t off = 0;
	int rc, n, eof_sent = 0, st, writing = 1;

	if ((ch = ssh_channel_new(x->s)) == NULL) {
		sess_ssh_failed(x, "channel");
		return -1;
	}
	while ((rc = ssh_channel_open_session(ch)) == SSH_AGAIN)
		if (await(x) == -1)
			goto timeout_open;
	if (rc != SSH_OK) {
		sess_ssh_failed(x, "opening a session channel");
		goto fail;
	}
	while ((rc = ssh_channel_request_exec(ch, cmd)) == SSH_AGAIN)
		if (await(x) == -1)
			goto timeout_open;
	if (rc != SSH_OK) {
		sess_ssh_failed(x, "running the command");
		goto fail;
	}
	for (;;) {
		int progress = 0;

		if (writing && off < inlen) {
			size_t chunk = inlen - off;

			if (chunk > SSHS_CHUNK)
				chunk = SSHS_CHUNK;
			n = ssh_channel_write(ch, in + off, (uint32_t)chunk);
			if (n == SSH_ERROR) {
				/* The command quit or closed its input:
				 * what it printed still counts. */
				writing = 0;
			} else if (n > 0) {
				off += (size_t)n;
				progress = 1;
			}
		}
		if (!eof_sent && (off == inlen || !writing)) {
			if (writing)
				(void)ssh_channel_send_eof(ch);
			eof_sent = 1;
		}
		n = ssh_channel_read_nonblocking(ch, buf, sizeof(buf), 0);
		if (n > 0) {
			size_t room = x->max_out - x->r->out.len;

			progress = 1;
			if ((size_t)n > room) {
				if (ms_buf_append(&x->r->out, buf, room) == -1)
					goto oom;
				x->r->out_truncated = 1;
				cap_str(x->max_out, cap, sizeof(cap));
				sess_fail(x, SSHS_ERROR, "output larger than %s",
				    cap);
				goto fail;
			}
			if (ms_buf_append(&x->r->out, buf, (size_t)n) == -1)
				goto oom;
		} else if (n == SSH_ERROR) {
			sess_ssh_failed(x, "reading the output");
			goto fail;
		}
		n = ssh_channel_read_nonblocking(ch, buf, sizeof(buf), 1);
		if (n > 0) {
			size_t room = x->max_err - x->r->errout.len;

			progress = 1;
			/* Past its cap, stderr is read and dropped. */
			if (ms_buf_append(&x->r->errout, buf,
			    (size_t)n < room ? (size_t)n : room) == -1)
				goto oom;
		} else if (n == SSH_ERROR) {
			sess_ssh_failed(x, "reading the output");
			goto fail;
		}
		/* At EOF once libssh's buffers are drained; a channel closed
		 * without EOF may still hold data: read it first. */
		if (ssh_channel_is_eof(ch) ||
		    (ssh_channel_is_closed(ch) && !progress))
			break;
		if (!progress && await(x) == -1) {
			snprintf(buf, sizeof(buf), "waiting for the command "
			    "(%zu bytes read)", x->r->out.len);
			timed_out(x, buf);
			goto fail;
		}
	}
	/* The output is complete; the exit status follows it closely. */
	while ((st = ssh_channel_get_exit_status(ch)) == -1 &&
	    !ssh_channel_is_closed(ch) && await(x) == 0)
		;
	x->r->exit_status = st < 0 ? -1 : st;
	ssh_channel_close(ch);
	ssh_channel_free(ch);
	x->r->status = SSHS_OK;
	return 0;

timeout_open:
	timed_out(x, "opening the session");
	goto fail;
oom:
	sess_fail(x, SSHS_ERROR, "out of memory");
fail:
	ssh_channel_close(ch);
	ssh_channel_free(ch);
	return -1;
}

static int
host_valid(const char *h)
{
	const unsigned char *p;

	if (h == NULL || *h == '\0' || *h == '-' || strlen(h) > 255)
		return 0;
	for (p = (const unsigned char *)h; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '@' || *p == '/')
			return 0;
	return 1;
}

enum sshs_status
sshs_run(const struct sshs_opts *o, const char *host, const char *cmd,
    const void *in, size_t inlen, struct sshs_result *r)
{
	struct sess x;
	ssh_session s = NULL;
	char *rhost = NULL, khbuf[300];
	unsigned int port = 0;
	int fd = -1, rc, trusted, fd_given = 0;
	long tsec;

	sshs_result_init(r);
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.r = r;
	x.start = ms_now_ns();
	x.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : SSHS_TIMEOUT_DEFAULT;
	x.deadline = x.start + (int64_t)x.timeout_ms * 1000000;
	x.max_out = o->max_out > 0 ? o->max_out : SSHS_MAX_OUT_DEFAULT;
	x.max_err = o->max_err > 0 ? o->max_err : SSHS_MAX_ERR_DEFAULT;
	x.kh = host;

	if (!host_valid(host)) {
		sess_fail(&x, SSHS_ERROR, "invalid host name");
		goto out;
	}
	if (o->known_hosts == NULL || (cmd == NULL && !o->keys_only) ||
	    (in == NULL && inlen)) {
		sess_fail(&x, SSHS_ERROR, "sshs_run: bad arguments");
		goto out;
	}
	if (sshs_lib_init() != SSH_OK) {
		sess_fail(&x, SSHS_ERROR, "libssh could not be initialised");
		goto out;
	}
	if ((s = ssh_new()) == NULL) {
		sess_fail(&x, SSHS_ERROR, "out of memory");
		goto out;
	}
	x.s = s;
	tsec = (x.timeout_ms + 999) / 1000;
	if (ssh_options_set(s, SSH_OPTIONS_HOST, host) < 0 ||
	    (o->user != NULL &&
	    ssh_options_set(s, SSH_OPTIONS_USER, o->user) < 0) ||
	    (o->port != 0 &&
	    ssh_options_set(s, SSH_OPTIONS_PORT, &o->port) < 0)) {
		sess_ssh_failed(&x, "options");
		goto out;
	}
	if (o->ssh_config != NULL && strcmp(o->ssh_config, "none") == 0) {
		bool no = false;

		ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	} else if (ssh_options_parse_config(s, o->ssh_config) < 0) {
		sess_ssh_failed(&x, "ssh configuration");
		goto out;
	}
	/* Ours win over the configuration's. */
	if (ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, o->known_hosts) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &tsec) < 0) {
		sess_ssh_failed(&x, "options");
		goto out;
	}
	if (ssh_options_get(s, SSH_OPTIONS_HOST, &rhost) != SSH_OK ||
	    ssh_options_get_port(s, &port) != SSH_OK || port == 0 ||
	    port > 65535) {
		sess_ssh_failed(&x, "options");
		goto out;
	}
	if (port == 22)
		snprintf(khbuf, sizeof(khbuf), "%s", rhost);
	else
		snprintf(khbuf, sizeof(khbuf), "[%s]:%u", rhost, port);
	x.kh = khbuf;

	if ((fd = tcp_connect(&x, rhost, port)) == -1)
		goto out;
	if (ssh_options_set(s, SSH_OPTIONS_FD, &fd) < 0) {
		sess_ssh_failed(&x, "options");
		goto out;
	}
	fd_given = 1;
	ssh_set_blocking(s, 0);
	while ((rc = ssh_connect(s)) == SSH_AGAIN)
		if (await(&x) == -1) {
			timed_out(&x, ssh_get_serverbanner(s) == NULL ?
			    "waiting for the SSH banner" :
			    "in the key exchange");
			goto out;
		}
	if (rc != SSH_OK) {
		sess_ssh_failed(&x, "ssh");
		goto out;
	}
	if (sess_hostkey_check(&x) == -1)
		goto out;
	if (o->keys_only) {
		/* Enrolment: pin only what the caller said, log in never. */
		if (r->key == SSHS_KEY_NEW && (o->pin_new ||
		    fp_listed(o->pin_fps, r->key_fp)) && sess_pin(&x) == -1)
			goto out;
		r->status = SSHS_OK;
		goto out;
	}
	if (r->key == SSHS_KEY_NEW && o->trust_new && sess_pin(&x) == -1)
		goto out;
	/* Pinned before this session, or trusted on first use by choice. */
	trusted = r->key == SSHS_KEY_PINNED || r->key == SSHS_KEY_ADDED;
	if (o->secret_in && inlen > 0 && !trusted) {
		if (r->key == SSHS_KEY_NEW)
			sess_new_host(&x);
		else
			sess_mismatch(&x, SSH_KNOWN_HOSTS_CHANGED, "; the input "
			    "holds a secret: not sent");
		goto out;
	}
	if (authenticate(&x, trusted) == -1)
		goto out;
	/* In with no secret sent: a key login pins a new key. */
	if (r->key == SSHS_KEY_NEW && sess_pin(&x) == -1)
		goto out;
	(void)run_command(&x, cmd, in, inlen);
out:
	if (s != NULL) {
		/*
		 * libssh closes a socket given with SSH_OPTIONS_FD only when
		 * it hits a socket error (then its fd is -1); otherwise the
		 * socket stays ours to close, after ssh_free.
		 */
		if (fd_given && ssh_get_fd(s) != fd)
			fd = -1;
		if (fd_given)
			ssh_disconnect(s);
		ssh_free(s);
	}
	if (fd != -1)
		close(fd);
	ssh_string_free_char(rhost);
	r->elapsed_ns = ms_now_ns() - x.start;
	if (r->status != SSHS_OK && r->err.msg[0] == '\0')
		snprintf(r->err.msg, sizeof(r->err.msg), "failed");
	if (r->status == SSHS_OK)
		r->err.msg[0] = '\0';
	return r->status;
}

/* The pool. */
