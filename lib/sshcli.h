/*
 * sshcli.h - what the programs that log into the Macs share: the
 * connection options (-d -F -i -k -o -P -p -t -u), their defaults from the
 * configuration (SSH_USERNAME, SSH_KEY, SSH_PASSWORD or SSH_PASSWORD_FILE,
 * MACSCAN_DIR for the known_hosts in the store), and the host of an input
 * record. macprobe and macnotify take the same options with the same
 * meaning because they are parsed here. SSH_TRUST_NEW_HOSTS (yes or no,
 * default no) sets so.trust_new (lib/sshs.h); SSH_TIMEOUT (seconds, 1 to
 * SSHCLI_TIMEOUT_MAX) is the default of -t.
 *
 * Ownership: struct sshcli owns the password (wiped by sshcli_free), the
 * known_hosts path it made and the store it opened; option strings are
 * borrowed from argv; so.* point into the struct and the config, which
 * must outlive the sessions.
 */
#ifndef MACSCAN_SSHCLI_H
#define MACSCAN_SSHCLI_H

#include <jansson.h>

#include "config.h"
#include "sshs.h"
#include "store.h"
#include "util.h"

#define SSHCLI_OPTSTRING "d:F:i:k:o:P:p:t:u:"
#define SSHCLI_USAGE "[-d dir] [-F ssh_config] [-i keyfile] " \
	"[-k known_hosts]\n\t[-o accept-new | yes | no] [-P parallel] " \
	"[-p port] [-t timeout] [-u user]"
#define SSHCLI_PARALLEL_DEFAULT 32
#define SSHCLI_TIMEOUT_DEFAULT 15	/* seconds */
#define SSHCLI_TIMEOUT_MAX 3600

struct sshcli {
	unsigned parallel;
	int timeout_s;		/* 0 until -t or sshcli_setup sets it */
	unsigned port;
	const char *user;
	const char *keyfile;
	const char *known_hosts;
	const char *dir;
	const char *ssh_config;
	enum sshs_strict strict;
	/* Filled by sshcli_setup. */
	int trust_new;
	struct sshs_opts so;
	char *password;
	char *khpath;
	struct store *st;
};

void sshcli_init(struct sshcli *c);

/*
 * Take option ch with argument arg if it is one of SSHCLI_OPTSTRING:
 * 1 when taken, 0 when not ours, -1 with e for a bad value (e.g.
 * "-P: parallel sessions is too large: 5000").
 */
int sshcli_opt(struct sshcli *c, int ch, const char *arg, struct ms_err *e);

/*
 * Complete the options from the configuration, read the password, find
 * (and check that it can be written) the known_hosts file, and fill
 * c->so. 0, or -1 with e.
 */
int sshcli_setup(struct sshcli *c, const struct config *cfg,
    struct ms_err *e);

void sshcli_free(struct sshcli *c);

/* The host to connect to for an input record: its ip, else its host;
 * NULL (and e) when it has neither or it is not a valid host. */
const char *sshcli_host(const json_t *rec, struct ms_err *e);

/*
 * The next input line as a host to log into: stream_next, then
 * sshcli_host. Returns STREAM_ITEM with item->rec (a new reference) and
 * *host (borrowed from it), STREAM_EOF, or STREAM_BAD / STREAM_FAIL with
 * a message in e that names the input and the line.
 */
struct stream;
struct stream_item;
int sshcli_next(struct stream *in, struct stream_item *item,
    const char **host, struct ms_err *e);

/* The first line of untrusted text, made inert: control characters as
 * '?', at most max - 1 bytes, NUL-terminated in buf. */
void sshcli_first_line(const char *s, size_t len, char *buf, size_t max);

#endif
