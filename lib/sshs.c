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
#include <fcntl.h>
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
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "escape.h"
#include "sshs.h"
#include "sys.h"

/* The longest single wait: a safety net so no wake-up can be missed. */
#define SSHS_POLL_MAX_MS 250
#define SSHS_KBDINT_ROUNDS 8
#define SSHS_CHUNK 16384
#define SSHS_STACK (2u << 20)

/* One session's state while it runs. */
struct sess {
	ssh_session s;
	const struct sshs_opts *o;
	struct sshs_result *r;
	int64_t start;
	int64_t deadline;
	int timeout_ms;
	size_t max_out;
	size_t max_err;
	const char *kh;			/* "[host]:port" as shown */
	char tried[96];			/* methods tried, for the message */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void
do_init(void)
{
	init_rc = ssh_init();
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
static enum sshs_status
fail(struct sess *x, enum sshs_status st, const char *fmt, ...)
	MS_PRINTF(3, 4);

static enum sshs_status
fail(struct sess *x, enum sshs_status st, const char *fmt, ...)
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
	return fail(x, SSHS_TIMEOUT, "timed out after %g s %s",
	    x->timeout_ms / 1000.0, what);
}

static enum sshs_status
ssh_failed(struct sess *x, const char *what)
{
	const char *m = ssh_get_error(x->s);

	return fail(x, SSHS_ERROR, "%s: %s", what,
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
		return fail(x, SSHS_REFUSED, "connect to %s port %u: %s",
		    addr, port, strerror(err));
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EADDRNOTAVAIL:
		return fail(x, SSHS_UNREACHABLE, "connect to %s port %u: %s",
		    addr, port, strerror(err));
	case ETIMEDOUT:
		return fail(x, SSHS_TIMEOUT, "connect to %s port %u: %s",
		    addr, port, strerror(err));
	default:
		return fail(x, SSHS_ERROR, "connect to %s port %u: %s",
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
			fail(x, SSHS_UNREACHABLE, "%s: %s", host,
			    gai_strerror(gai));
		else
			fail(x, SSHS_ERROR, "%s: %s", host,
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
				fail(x, SSHS_TIMEOUT, "connect to %s port %u: "
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

/* The server's key: its type and SHA256 fingerprint into the result. */
static void
key_read(struct sess *x)
{
	ssh_key k = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL;

	if (ssh_get_server_publickey(x->s, &k) != SSH_OK)
		return;
	x->r->key_type = ssh_key_type_to_char(ssh_key_type(k));
	if (ssh_get_publickey_hash(k, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) == 0)
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
		    hlen);
	if (fp != NULL && strlen(fp) < sizeof(x->r->key_fp))
		memcpy(x->r->key_fp, fp, strlen(fp) + 1);
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(k);
}

/* "ssh-ed25519 SHA256:..." of the server's key, for messages. */
static const char *
key_desc(const struct sess *x, char *buf, size_t len)
{
	if (x->r->key_fp[0] == '\0')
		snprintf(buf, len, "(unknown key)");
	else
		snprintf(buf, len, "%s %s", x->r->key_type != NULL ?
		    x->r->key_type : "key", x->r->key_fp);
	return buf;
}

/* The one message of a host whose key nobody pinned. */
static enum sshs_status
new_host(struct sess *x)
{
	return fail(x, SSHS_NEW_HOST, "host key %s not pinned; run macscan "
	    "enroll", x->r->key_fp[0] ? x->r->key_fp : "(unknown)");
}

/* Append the session's known_hosts line to fd, which we hold locked. */
static int
kh_append(struct sess *x, int fd)
{
	struct ms_buf b = { 0 };
	struct stat st;
	char *entry = NULL, last;
	size_t n, off;
	int rc = -1;

	if (ssh_session_export_known_hosts_entry(x->s, &entry) != SSH_OK ||
	    entry == NULL) {
		ssh_failed(x, "host key entry");
		goto out;
	}
	n = strlen(entry);
	while (n > 0 && (entry[n - 1] == '\n' || entry[n - 1] == '\r'))
		n--;
	/* A hand-edited file may lack its last newline: never join lines. */
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n' &&
	    ms_buf_puts(&b, "\n") == -1)
		goto oom;
	if (ms_buf_append(&b, entry, n) == -1 || ms_buf_puts(&b, "\n") == -1)
		goto oom;
	/* One write(2) on an O_APPEND descriptor: the line goes in whole. */
	for (off = 0; off < b.len; ) {
		ssize_t w = write(fd, b.data + off, b.len - off);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			fail(x, SSHS_ERROR, "%s: %s", x->o->known_hosts,
			    strerror(w == -1 ? errno : EIO));
			goto out;
		}
		off += (size_t)w;
	}
	x->r->hostkey_added = 1;
	rc = 0;
	goto out;
oom:
	fail(x, SSHS_ERROR, "out of memory");
out:
	ssh_string_free_char(entry);
	ms_buf_free(&b);
	return rc;
}

/* The key of a host whose pinned key is another one, for messages. */
static enum sshs_status
mismatch(struct sess *x, enum ssh_known_hosts_e k, const char *why)
{
	char desc[160];

	return fail(x, SSHS_HOSTKEY_MISMATCH, "host key of %s changed: %s is "
	    "not the key pinned in %s%s%s", x->kh,
	    key_desc(x, desc, sizeof(desc)), x->o->known_hosts,
	    k == SSH_KNOWN_HOSTS_OTHER ?
	    " (which has a key of another type)" : "", why);
}

/*
 * Pin the session's key: under an exclusive lock, check the file again
 * (another session may have pinned this host meanwhile), then append.
 * 0 with r->key SSHS_KEY_ADDED, or -1 with the status set.
 */
static int
pin(struct sess *x)
{
	const struct sshs_opts *o = x->o;
	enum ssh_known_hosts_e k;
	int fd, rc = -1;

	fd = open(o->known_hosts, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		fail(x, SSHS_ERROR, "%s: %s", o->known_hosts, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX) == -1) {
		fail(x, SSHS_ERROR, "%s: lock: %s", o->known_hosts,
		    strerror(errno));
		goto out;
	}
	switch ((k = ssh_session_is_known_server(x->s))) {
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		if (kh_append(x, fd) == -1)
			goto out;
		/* FALLTHROUGH */
	case SSH_KNOWN_HOSTS_OK:
		x->r->key = SSHS_KEY_ADDED;
		rc = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		x->r->key = SSHS_KEY_CHANGED;
		mismatch(x, k, " (pinned by another session meanwhile)");
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		ssh_failed(x, o->known_hosts);
		break;
	}
out:
	close(fd);	/* also drops the lock */
	return rc;
}

/*
 * Read the server's key and its state in the known_hosts file (under a
 * shared lock, so no half-written line is read) into r->key. 0 to go on,
 * -1 with the status: a changed key (unless strict is "no" or the
 * session only reads keys), a new key under strict "yes".
 */
static int
hostkey_check(struct sess *x)
{
	const struct sshs_opts *o = x->o;
	enum ssh_known_hosts_e k;
	int fd;

	key_read(x);
	fd = open(o->known_hosts, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT) {
		fail(x, SSHS_ERROR, "%s: %s", o->known_hosts,
		    strerror(errno));
		return -1;
	}
	if (fd != -1 && flock(fd, LOCK_SH) == -1) {
		fail(x, SSHS_ERROR, "%s: lock: %s", o->known_hosts,
		    strerror(errno));
		close(fd);
		return -1;
	}
	k = ssh_session_is_known_server(x->s);
	if (fd != -1)
		close(fd);	/* also drops the lock */
	switch (k) {
	case SSH_KNOWN_HOSTS_OK:
		x->r->key = SSHS_KEY_PINNED;
		return 0;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		x->r->key = SSHS_KEY_NEW;
		if (o->strict == SSHS_STRICT_YES && !o->keys_only) {
			new_host(x);
			return -1;
		}
		return 0;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		x->r->key = SSHS_KEY_CHANGED;
		if (o->strict == SSHS_STRICT_NO || o->keys_only)
			return 0;
		mismatch(x, k, "");
		return -1;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		ssh_failed(x, o->known_hosts);
		return -1;
	}
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
				fail(x, SSHS_AUTH_FAILED, "cannot use key %s "
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
		new_host(x);
		return -1;
	}
	methods_str(methods, offered, sizeof(offered));
	fail(x, SSHS_AUTH_FAILED, "permission denied (tried %s; the server "
	    "offers %s)%s", x->tried[0] ? x->tried : "nothing", offered,
	    o->password == NULL ? "; no password set" :
	    x->r->key == SSHS_KEY_CHANGED ?
	    "; no password to a changed host key" : "");
	return -1;
timeout:
	timed_out(x, "in authentication");
	return -1;
error:
	ssh_failed(x, "authentication");
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
		ssh_failed(x, "channel");
		return -1;
	}
	while ((rc = ssh_channel_open_session(ch)) == SSH_AGAIN)
		if (await(x) == -1)
			goto timeout_open;
	if (rc != SSH_OK) {
		ssh_failed(x, "opening a session channel");
		goto fail;
	}
	while ((rc = ssh_channel_request_exec(ch, cmd)) == SSH_AGAIN)
		if (await(x) == -1)
			goto timeout_open;
	if (rc != SSH_OK) {
		ssh_failed(x, "running the command");
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
				fail(x, SSHS_ERROR, "output larger than %s",
				    cap);
				goto fail;
			}
			if (ms_buf_append(&x->r->out, buf, (size_t)n) == -1)
				goto oom;
		} else if (n == SSH_ERROR) {
			ssh_failed(x, "reading the output");
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
			ssh_failed(x, "reading the output");
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
	fail(x, SSHS_ERROR, "out of memory");
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
		fail(&x, SSHS_ERROR, "invalid host name");
		goto out;
	}
	if (o->known_hosts == NULL || (cmd == NULL && !o->keys_only) ||
	    (in == NULL && inlen)) {
		fail(&x, SSHS_ERROR, "sshs_run: bad arguments");
		goto out;
	}
	pthread_once(&init_once, do_init);
	if (init_rc != SSH_OK) {
		fail(&x, SSHS_ERROR, "libssh could not be initialised");
		goto out;
	}
	if ((s = ssh_new()) == NULL) {
		fail(&x, SSHS_ERROR, "out of memory");
		goto out;
	}
	x.s = s;
	tsec = (x.timeout_ms + 999) / 1000;
	if (ssh_options_set(s, SSH_OPTIONS_HOST, host) < 0 ||
	    (o->user != NULL &&
	    ssh_options_set(s, SSH_OPTIONS_USER, o->user) < 0) ||
	    (o->port != 0 &&
	    ssh_options_set(s, SSH_OPTIONS_PORT, &o->port) < 0)) {
		ssh_failed(&x, "options");
		goto out;
	}
	if (o->ssh_config != NULL && strcmp(o->ssh_config, "none") == 0) {
		bool no = false;

		ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	} else if (ssh_options_parse_config(s, o->ssh_config) < 0) {
		ssh_failed(&x, "ssh configuration");
		goto out;
	}
	/* Ours win over the configuration's. */
	if (ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, o->known_hosts) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &tsec) < 0) {
		ssh_failed(&x, "options");
		goto out;
	}
	if (ssh_options_get(s, SSH_OPTIONS_HOST, &rhost) != SSH_OK ||
	    ssh_options_get_port(s, &port) != SSH_OK || port == 0 ||
	    port > 65535) {
		ssh_failed(&x, "options");
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
		ssh_failed(&x, "options");
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
		ssh_failed(&x, "ssh");
		goto out;
	}
	if (hostkey_check(&x) == -1)
		goto out;
	if (o->keys_only) {
		/* Enrolment: pin only what the caller said, log in never. */
		if (r->key == SSHS_KEY_NEW && (o->pin_new ||
		    fp_listed(o->pin_fps, r->key_fp)) && pin(&x) == -1)
			goto out;
		r->status = SSHS_OK;
		goto out;
	}
	if (r->key == SSHS_KEY_NEW && o->trust_new && pin(&x) == -1)
		goto out;
	/* Pinned before this session, or trusted on first use by choice. */
	trusted = r->key == SSHS_KEY_PINNED || r->key == SSHS_KEY_ADDED;
	if (o->secret_in && inlen > 0 && !trusted) {
		if (r->key == SSHS_KEY_NEW)
			new_host(&x);
		else
			mismatch(&x, SSH_KNOWN_HOSTS_CHANGED, "; the input "
			    "holds a secret: not sent");
		goto out;
	}
	if (authenticate(&x, trusted) == -1)
		goto out;
	/* In with no secret sent: a key login pins a new key. */
	if (r->key == SSHS_KEY_NEW && pin(&x) == -1)
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

struct job {
	struct job *next;
	char *host;
	char *cmd;
	const void *in;
	size_t inlen;
	void *udata;
};

struct sshs_pool {
	struct sshs_opts o;
	sshs_done_fn *done;
	void *arg;
	pthread_mutex_t mu;
	pthread_cond_t work;	/* a job was queued, or closing */
	pthread_cond_t space;	/* the queue got shorter */
	pthread_mutex_t done_mu;
	struct job *head, *tail;
	size_t queued;
	unsigned nmax, nthreads, nidle;
	pthread_t *tids;
	int closing;
};

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->host);
	free(j->cmd);
	free(j);
}

static void *
worker(void *v)
{
	struct sshs_pool *p = v;
	struct sshs_result r;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->head == NULL && !p->closing) {
			p->nidle++;
			pthread_cond_wait(&p->work, &p->mu);
			p->nidle--;
		}
		if ((j = p->head) == NULL) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		if ((p->head = j->next) == NULL)
			p->tail = NULL;
		p->queued--;
		pthread_cond_signal(&p->space);
		pthread_mutex_unlock(&p->mu);

		sshs_run(&p->o, j->host, j->cmd, j->in, j->inlen, &r);
		pthread_mutex_lock(&p->done_mu);
		p->done(p->arg, j->udata, j->host, &r);
		pthread_mutex_unlock(&p->done_mu);
		sshs_result_free(&r);
		job_free(j);
	}
}

struct sshs_pool *
sshs_pool_new(const struct sshs_opts *o, unsigned nworkers,
    sshs_done_fn *done, void *arg, struct ms_err *e)
{
	struct sshs_pool *p;

	if (nworkers == 0 || nworkers > SSHS_WORKERS_MAX || done == NULL) {
		ms_err_set(e, "sshs_pool_new: bad arguments");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->tids = calloc(nworkers, sizeof(*p->tids))) == NULL) {
		free(p);
		ms_err_set(e, "out of memory");
		return NULL;
	}
	p->o = *o;
	p->done = done;
	p->arg = arg;
	p->nmax = nworkers;
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->done_mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->space, NULL);
	pthread_once(&init_once, do_init);
	return p;
}

int
sshs_pool_add(struct sshs_pool *p, const char *host, const char *cmd,
    const void *in, size_t inlen, void *job, struct ms_err *e)
{
	struct job *j;
	int rc = 0;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->host = strdup(host)) == NULL ||
	    (cmd != NULL && (j->cmd = strdup(cmd)) == NULL)) {
		job_free(j);
		return ms_err_set(e, "out of memory");
	}
	j->in = in;
	j->inlen = inlen;
	j->udata = job;

	pthread_mutex_lock(&p->mu);
	while (p->queued >= 4 * (size_t)p->nmax)
		pthread_cond_wait(&p->space, &p->mu);
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	if (p->nthreads < p->nmax && p->queued > p->nidle) {
		pthread_attr_t at;
		int err;

		pthread_attr_init(&at);
		pthread_attr_setstacksize(&at, SSHS_STACK);
		err = pthread_create(&p->tids[p->nthreads], &at, worker, p);
		pthread_attr_destroy(&at);
		if (err == 0)
			p->nthreads++;
		else if (p->nthreads == 0) {
			/* Nobody would ever run the job: take it back. */
			p->head = p->tail = NULL;
			p->queued = 0;
			job_free(j);
			errno = err;
			rc = ms_err_set(e, "cannot start a thread:");
		}
	}
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void
sshs_pool_finish(struct sshs_pool *p)
{
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->closing = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->tids[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->done_mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->space);
	free(p->tids);
	free(p);
}
