/*
 * sshs_impl.h - what the files of sshs.h share inside the library: one
 * session's state, its failure helpers, the host key checks
 * (sshs_hostkey.c) and libssh's one-time initialisation. Not for
 * programs: they use sshs.h.
 */
#ifndef MACSCAN_SSHS_IMPL_H
#define MACSCAN_SSHS_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <libssh/libssh.h>

#include "sshs.h"
#include "util.h"

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

/* ssh_init once for the process; its result (SSH_OK). */
int sshs_lib_init(void);

/* Set the result's status and its one-line message (made safe for a
 * terminal); returns st. */
enum sshs_status sess_fail(struct sess *x, enum sshs_status st,
    const char *fmt, ...) MS_PRINTF(3, 4);
/* The same with libssh's last error after "what: ". */
enum sshs_status sess_ssh_failed(struct sess *x, const char *what);

/* sshs_hostkey.c. The key checked against known_hosts: 0 with
 * x->r->key set, or -1 with the failure set. */
int sess_hostkey_check(struct sess *x);
/* Append the key to known_hosts: 0, or -1 with the failure set. */
int sess_pin(struct sess *x);
/* The failure of a new host offered no secret (SSHS_NEW_HOST). */
enum sshs_status sess_new_host(struct sess *x);
/* The failure of a host whose pinned key is another one (k), with why
 * after the message. */
enum sshs_status sess_mismatch(struct sess *x, enum ssh_known_hosts_e k,
    const char *why);

#endif
