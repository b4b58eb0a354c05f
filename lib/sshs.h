/*
 * sshs.h - run one command on a host over SSH, within one deadline, and
 * run many such sessions at once (macprobe, macnotify).
 *
 * One session: TCP connect (our own non-blocking connect, so a refused,
 * unreachable or silent address is told apart), SSH banner and key
 * exchange, host key check against a known_hosts file (trust on first
 * use), authentication, one "exec" channel that gets IN on its standard
 * input followed by EOF, then standard output and error collected up to
 * their caps and the exit status. libssh runs in non-blocking mode and
 * every wait is a poll(2) bounded by the deadline, so neither a tarpit
 * nor a host that prints forever holds a session past opts->timeout_ms
 * (give or take the last poll and a blocking name lookup, see below).
 *
 * Authentication, in order: none (some servers allow it); public key:
 * with keyfile set, the ssh-agent (if SSH_AUTH_SOCK) then that key only,
 * else libssh's automatic public key method (the agent, then the
 * IdentityFile keys of the ssh configuration or ~/.ssh/id_ed25519,
 * id_ecdsa, id_rsa; keys with a passphrase are skipped); then, with a
 * password, "password" and "keyboard-interactive" (every prompt answered
 * with the password, as macOS sshd asks for it through PAM).
 *
 * Host keys: opts->known_hosts is read under a shared flock(2) and a new
 * key is appended as one whole line under an exclusive flock, after
 * checking again, so parallel sessions (threads or processes) never
 * interleave or duplicate lines. A key that differs from the pinned one
 * stops the session before any authentication (SSHS_HOSTKEY_MISMATCH),
 * unless strict is SSHS_STRICT_NO (then only key authentication is
 * tried, never the password, as OpenSSH does).
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

/* As OpenSSH's StrictHostKeyChecking. */
enum sshs_strict {
	SSHS_STRICT_ACCEPT_NEW = 0,	/* pin new keys, refuse changed */
	SSHS_STRICT_YES,		/* unknown hosts are refused too */
	SSHS_STRICT_NO			/* pin new; changed: key auth only */
};

/* The probe values of DESIGN.md, but not_macos (the caller's call). */
enum sshs_status {
	SSHS_OK = 0,		/* the command ran to its end */
	SSHS_AUTH_FAILED,
	SSHS_REFUSED,		/* TCP connection refused */
	SSHS_TIMEOUT,		/* the deadline passed (any phase) */
	SSHS_UNREACHABLE,	/* no route, host down, name unknown */
	SSHS_HOSTKEY_MISMATCH,
	SSHS_ERROR		/* anything else, output over its cap too */
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
};

struct sshs_result {
	enum sshs_status status;
	struct ms_err err;	/* one line when status != SSHS_OK */
	struct ms_buf out;	/* stdout, at most max_out bytes */
	struct ms_buf errout;	/* stderr, at most max_err bytes */
	int exit_status;	/* the command's, -1 when unknown */
	int out_truncated;	/* stdout went past max_out (SSHS_ERROR) */
	int hostkey_added;	/* the host key was pinned by this session */
	const char *auth;	/* static: the method that worked, or NULL */
	char addr[64];		/* numeric address connected (or last
				 * tried) to; "" if none */
	int64_t elapsed_ns;
};

/* "ok", "auth_failed", "refused", "timeout", "unreachable",
 * "hostkey_mismatch", "error" (static strings). */
const char *sshs_status_name(enum sshs_status st);

void sshs_result_init(struct sshs_result *r);
void sshs_result_free(struct sshs_result *r);

/*
 * Run cmd on host with the inlen bytes at in as its standard input (then
 * EOF; in may be NULL when inlen is 0). r is initialised here (no need
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

/* host and cmd are copied; in is borrowed until done is called for the
 * job. 0, or -1 and e (out of memory, no thread could be started). */
int sshs_pool_add(struct sshs_pool *p, const char *host, const char *cmd,
    const void *in, size_t inlen, void *job, struct ms_err *e);

/* Wait for every queued job to be done, stop the workers, free p. */
void sshs_pool_finish(struct sshs_pool *p);

#endif
