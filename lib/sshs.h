/*
 * sshs.h - run one command on a host over SSH, within one deadline, and
 * run many such sessions at once (macprobe, macnotify).
 *
 * One session: TCP connect (our own non-blocking connect, so a refused,
 * unreachable or silent address is told apart), SSH banner and key
 * exchange, host key check against a known_hosts file (below),
 * authentication, one "exec" channel that gets IN on its standard
 * input followed by EOF, then standard output and error collected up to
 * their caps and the exit status. libssh runs in non-blocking mode and
 * every wait is a poll(2) bounded by the deadline, so neither a tarpit
 * nor a host that prints forever holds a session past opts->timeout_ms
 * (give or take the last poll and a blocking name lookup, see below).
 *
 * Host keys and secrets. A host key is pinned when a line of
 * opts->known_hosts holds it. A secret (the password, and standard input
 * marked opts->secret_in) goes only into a session whose host key was
 * pinned before the session began and matches: a new device answering on
 * port 22 must not collect the fleet's password. By the state of the key:
 *
 *   pinned, matching  none, public keys, then the password: "password",
 *                     then "keyboard-interactive" (every prompt answered
 *                     with the password, as macOS sshd asks through PAM).
 *   new               none and public keys only. Such a login sends no
 *                     secret, and pins the key. When only the password
 *                     could log in: SSHS_NEW_HOST, the password unsent.
 *                     With SSHS_STRICT_YES nothing is tried: SSHS_NEW_HOST.
 *   changed           SSHS_HOSTKEY_MISMATCH before any authentication;
 *                     with SSHS_STRICT_NO none and public keys only (as
 *                     OpenSSH does), and the file is left as it is.
 *
 * A secret input for a host whose key is new or changed stops the session
 * before authentication (SSHS_NEW_HOST, SSHS_HOSTKEY_MISMATCH).
 * opts->trust_new weakens this on purpose: a new key is pinned at first
 * contact and then counts as pinned, password included (trust on first
 * use). Otherwise keys get pinned by a login with a key, or by an explicit
 * enrolment: an opts->keys_only session reads the host's key, pins it
 * only if told to (pin_new, pin_fps), and never logs in.
 *
 * Public keys, in order: with keyfile set, the ssh-agent (if
 * SSH_AUTH_SOCK) then that key only, else libssh's automatic method (the
 * agent, then the IdentityFile keys of the ssh configuration or
 * ~/.ssh/id_ed25519, id_ecdsa, id_rsa; keys with a passphrase skipped).
 *
 * known_hosts is read under a shared flock(2); a key is appended as one
 * whole line under an exclusive flock, after checking again, so parallel
 * sessions (threads or processes) never interleave or duplicate lines.
 *
 * ~/.ssh/config (and /etc/ssh/ssh_config) are honoured where libssh
 * reads them (HostName, User, Port, IdentityFile...), unless ssh_config
 * is "none"; opts->user and opts->port win over them. ProxyCommand and
 * ProxyJump are not supported. A host name is resolved with getaddrinfo,
 * which blocks: use addresses (macping gives them) for a strict deadline.
 *
 * Threads: sshs_run may run in many threads at once (one libssh session
 * per call). Nothing here prints, exits or logs a secret. The password
 * is borrowed: sshs never copies it; the caller wipes it when done.
 *
 * Ownership: struct sshs_opts and every string in it are the caller's
 * and must outlive the calls (the pool: until sshs_pool_finish). A
 * struct sshs_result is the caller's; sshs_result_free frees what the
 * session put in it (the output buffers).
 */
#ifndef MACSCAN_SSHS_H
#define MACSCAN_SSHS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SSHS_TIMEOUT_DEFAULT 15000		/* ms */
#define SSHS_MAX_OUT_DEFAULT (1u << 20)	/* bytes of stdout */
#define SSHS_MAX_ERR_DEFAULT (16u << 10)	/* bytes of stderr */
#define SSHS_WORKERS_MAX 1024

/* As OpenSSH's StrictHostKeyChecking, for keys nobody enrolled. */
enum sshs_strict {
	SSHS_STRICT_ACCEPT_NEW = 0,	/* pin new keys on a key login;
					 * refuse changed ones */
	SSHS_STRICT_YES,		/* new keys are refused too */
	SSHS_STRICT_NO			/* as accept-new; changed: key
					 * logins only, nothing pinned */
};

/* The probe values of DESIGN.md, but not_macos (the caller's call). */
enum sshs_status {
	SSHS_OK = 0,		/* the command ran to its end */
	SSHS_AUTH_FAILED,
	SSHS_REFUSED,		/* TCP connection refused */
	SSHS_TIMEOUT,		/* the deadline passed (any phase) */
	SSHS_UNREACHABLE,	/* no route, host down, name unknown */
	SSHS_HOSTKEY_MISMATCH,
	SSHS_ERROR,		/* anything else, output over its cap too */
	SSHS_NEW_HOST		/* key not pinned, and only a secret could
				 * log in (or go in): nothing sent */
};

/* The state of the host's key, once the key exchange is done. */
enum sshs_key {
	SSHS_KEY_UNKNOWN = 0,	/* the session did not get that far */
	SSHS_KEY_PINNED,	/* pinned before this session, matching */
	SSHS_KEY_NEW,		/* not pinned, and left so */
	SSHS_KEY_ADDED,		/* pinned by this session */
	SSHS_KEY_CHANGED	/* another key is pinned for this host */
};

struct sshs_opts {
	const char *user;	/* NULL: ssh config, else the current user */
	unsigned port;		/* 0: ssh config, else 22 */
	const char *keyfile;	/* NULL: agent, config and default keys */
	const char *password;	/* NULL: no password authentication */
	const char *known_hosts;	/* path; required */
	enum sshs_strict strict;
	int timeout_ms;		/* the whole session; <= 0: default */
	size_t max_out;		/* 0: SSHS_MAX_OUT_DEFAULT */
	size_t max_err;		/* 0: SSHS_MAX_ERR_DEFAULT */
	const char *ssh_config;	/* NULL: the default files; "none": none */
	int secret_in;		/* the standard input holds a secret */
	int trust_new;		/* pin new keys at once, and trust them */
	int keys_only;		/* read and check the key; no login */
	int pin_new;		/* keys_only: pin every new key */
	const char *const *pin_fps;	/* keys_only: pin a new key whose
					 * "SHA256:..." is one of these
					 * (NULL-terminated), or NULL */
};

struct sshs_result {
	enum sshs_status status;
	struct ms_err err;	/* one line when status != SSHS_OK */
	struct ms_buf out;	/* stdout, at most max_out bytes */
	struct ms_buf errout;	/* stderr, at most max_err bytes */
	int exit_status;	/* the command's, -1 when unknown */
	int out_truncated;	/* stdout went past max_out (SSHS_ERROR) */
	int hostkey_added;	/* the host key was pinned by this session */
	enum sshs_key key;	/* the state of the host's key */
	const char *key_type;	/* static: "ssh-ed25519"..., or NULL */
	char key_fp[64];	/* "SHA256:..." of the host's key, or "" */
	const char *auth;	/* static: the method that worked, or NULL */
	char addr[64];		/* numeric address connected (or last
				 * tried) to; "" if none */
	int64_t elapsed_ns;
};

/* "ok", "auth_failed", "refused", "timeout", "unreachable",
 * "hostkey_mismatch", "error", "new_host" (static strings). */
const char *sshs_status_name(enum sshs_status st);

void sshs_result_init(struct sshs_result *r);
void sshs_result_free(struct sshs_result *r);

/*
 * Run cmd on host with the inlen bytes at in as its standard input (then
 * EOF; in may be NULL when inlen is 0). With o->keys_only, cmd may be
 * NULL and nothing runs: SSHS_OK once the key is read (r->key says the
 * rest). r is initialised here (no need
 * to call sshs_result_init first) and always filled: the status is
 * returned and is r->status. A command that ran gives SSHS_OK whatever
 * its exit status; stdout past max_out gives SSHS_ERROR with "output
 * larger than 1 MiB" (the first max_out bytes are kept in r->out).
 */
enum sshs_status sshs_run(const struct sshs_opts *o, const char *host,
    const char *cmd, const void *in, size_t inlen, struct sshs_result *r);

/*
 * A pool of worker threads running sessions from a queue: sshs_pool_add
 * queues one (waiting while the queue holds more than 4 jobs a worker,
 * so memory stays bounded however long the input), and each finished
 * session is handed to done(arg, job, host, r) in the worker's thread.
 * Calls of done are serialised (one at a time, under the pool's lock),
 * so done may write to a stream without locking; r is borrowed for the
 * call (done may take r->out with ms_buf_steal). Workers are started as
 * jobs come, up to nworkers (1..SSHS_WORKERS_MAX); the jobs run in the
 * order added and finish in any order.
 */
struct sshs_pool;

typedef void sshs_done_fn(void *arg, void *job, const char *host,
    struct sshs_result *r);

struct sshs_pool *sshs_pool_new(const struct sshs_opts *o,
    unsigned nworkers, sshs_done_fn *done, void *arg, struct ms_err *e);

/* host and cmd (NULL with keys_only) are copied; in is borrowed until
 * done is called for the job. 0, or -1 and e (out of memory, no thread
 * could be started). */
int sshs_pool_add(struct sshs_pool *p, const char *host, const char *cmd,
    const void *in, size_t inlen, void *job, struct ms_err *e);

/* Wait for every queued job to be done, stop the workers, free p. */
void sshs_pool_finish(struct sshs_pool *p);

#endif
