/*
 * keys.c - macprobe -K: the host keys of the hosts read on stdin, and
 * their enrolment. Each host gets a key exchange and nothing more: no
 * login, no command, no secret (lib/sshs keys_only). One line per host,
 * in the order they finish:
 *
 *   HOST <TAB> STATE <TAB> KEY <TAB> NOTE
 *
 * STATE is pinned, new, enrolled (pinned now), changed, or the session's
 * status when the key could not be read (refused, timeout, ...); KEY is
 * "ssh-ed25519 SHA256:..." or "-"; NOTE is "-" or one line. A new key is
 * pinned only when the admin said so: -y (every new key) or its
 * fingerprint among the operands. `macscan enroll` runs this twice: once
 * to list the new hosts, once to pin those the admin approved.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "keys.h"
#include "log.h"
#include "sshs.h"
#include "stream.h"

struct kctx {
	const char *known_hosts;
	unsigned long total, failed, changed, fresh, enrolled;
};

/* Called by the pool, one call at a time. */
static void
done(void *arg, void *job, const char *host, struct sshs_result *r)
{
	struct kctx *c = arg;
	const char *state;
	char key[128], note[320];

	(void)job;
	snprintf(key, sizeof(key), "-");
	snprintf(note, sizeof(note), "-");
	if (r->key_fp[0] != '\0')
		snprintf(key, sizeof(key), "%s %s", r->key_type != NULL ?
		    r->key_type : "key", r->key_fp);
	if (r->status != SSHS_OK) {
		state = sshs_status_name(r->status);
		sshcli_first_line(r->err.msg, strlen(r->err.msg), note,
		    sizeof(note));
		c->failed++;
	} else {
		switch (r->key) {
		case SSHS_KEY_PINNED:
			state = "pinned";
			break;
		case SSHS_KEY_ADDED:
			state = "enrolled";
			c->enrolled++;
			break;
		case SSHS_KEY_CHANGED:
			state = "changed";
			snprintf(note, sizeof(note), "another key is pinned "
			    "for this host in %s", c->known_hosts);
			c->changed++;
			break;
		case SSHS_KEY_NEW:
			state = "new";
			c->fresh++;
			break;
		case SSHS_KEY_UNKNOWN:
		default:
			state = "error";
			snprintf(note, sizeof(note), "no host key");
			c->failed++;
			break;
		}
	}
	printf("%s\t%s\t%s\t%s\n", host, state, key, note[0] ? note : "-");
	fflush(stdout);
}

/* "SHA256:" and 43 base64 characters, as ssh-keygen -l prints it; a
 * trailing '=' is dropped in place. */
static int
fp_valid(char *s)
{
	size_t n;

	if (strncmp(s, "SHA256:", 7) != 0)
		return 0;
	n = strlen(s);
	if (n == 51 && s[50] == '=')
		s[--n] = '\0';
	if (n != 50)
		return 0;
	return strspn(s + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789+/") == 43;
}

int
keys_main(struct sshcli *sc, char **fps, int nfps, int all)
{
	struct kctx c;
	struct sshs_pool *pool;
	struct stream in;
	struct stream_item item;
	struct ms_err e = { "" };
	const char *host;
	int i, rc, bad = 0;

	for (i = 0; i < nfps; i++)
		if (!fp_valid(fps[i]))
			die(2, "not a SHA256 fingerprint: '%.60s' (expected "
			    "SHA256: and 43 base64 characters, as ssh-keygen "
			    "-l prints)", fps[i]);
	memset(&c, 0, sizeof(c));
	c.known_hosts = sc->known_hosts;
	sc->so.keys_only = 1;
	sc->so.pin_new = all;
	/* fps is a tail of argv: NULL-terminated. */
	sc->so.pin_fps = nfps > 0 ? (const char *const *)fps : NULL;
	if ((pool = sshs_pool_new(&sc->so, sc->parallel, done, &c, &e)) ==
	    NULL)
		die(3, "%s", e.msg);
	stream_init(&in, stdin, "<stdin>", 0);
	while ((rc = sshcli_next(&in, &item, &host, &e)) != STREAM_EOF) {
		if (rc != STREAM_ITEM) {
			ms_error("%s", e.msg);
			bad = 1;
			if (rc == STREAM_FAIL)
				break;
			continue;
		}
		c.total++;
		if (sshs_pool_add(pool, host, NULL, NULL, 0, NULL, &e) == -1)
			die(3, "%s", e.msg);
		json_decref(item.rec);
	}
	sshs_pool_finish(pool);
	stream_close(&in);
	if (c.total > 0)
		ms_info("%lu hosts: %lu new, %lu enrolled, %lu changed, %lu "
		    "failed", c.total, c.fresh, c.enrolled, c.changed,
		    c.failed);
	return c.failed > 0 || c.changed > 0 || bad ? 1 : 0;
}
