/*
 * sshs_hostkey.c - the server's host key: read, checked against
 * known_hosts, pinned (appended under a lock, one whole line), and the
 * messages of a new or a changed key. Whether a secret may follow is
 * decided in sshs.c from what this finds (sshs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "sshs_impl.h"

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
enum sshs_status
sess_new_host(struct sess *x)
{
	return sess_fail(x, SSHS_NEW_HOST, "host key %s not pinned; run macscan "
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
		sess_ssh_failed(x, "host key entry");
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
			sess_fail(x, SSHS_ERROR, "%s: %s", x->o->known_hosts,
			    strerror(w == -1 ? errno : EIO));
			goto out;
		}
		off += (size_t)w;
	}
	x->r->hostkey_added = 1;
	rc = 0;
	goto out;
oom:
	sess_fail(x, SSHS_ERROR, "out of memory");
out:
	ssh_string_free_char(entry);
	ms_buf_free(&b);
	return rc;
}

/* The key of a host whose pinned key is another one, for messages. */
enum sshs_status
sess_mismatch(struct sess *x, enum ssh_known_hosts_e k, const char *why)
{
	char desc[160];

	return sess_fail(x, SSHS_HOSTKEY_MISMATCH, "host key of %s changed: %s is "
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
int
sess_pin(struct sess *x)
{
	const struct sshs_opts *o = x->o;
	enum ssh_known_hosts_e k;
	int fd, rc = -1;

	fd = open(o->known_hosts, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		sess_fail(x, SSHS_ERROR, "%s: %s", o->known_hosts, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX) == -1) {
		sess_fail(x, SSHS_ERROR, "%s: lock: %s", o->known_hosts,
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
		sess_mismatch(x, k, " (pinned by another session meanwhile)");
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		sess_ssh_failed(x, o->known_hosts);
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
int
sess_hostkey_check(struct sess *x)
{
	const struct sshs_opts *o = x->o;
	enum ssh_known_hosts_e k;
	int fd;

	key_read(x);
	fd = open(o->known_hosts, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT) {
		sess_fail(x, SSHS_ERROR, "%s: %s", o->known_hosts,
		    strerror(errno));
		return -1;
	}
	if (fd != -1 && flock(fd, LOCK_SH) == -1) {
		sess_fail(x, SSHS_ERROR, "%s: lock: %s", o->known_hosts,
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
			sess_new_host(x);
			return -1;
		}
		return 0;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		x->r->key = SSHS_KEY_CHANGED;
		if (o->strict == SSHS_STRICT_NO || o->keys_only)
			return 0;
		sess_mismatch(x, k, "");
		return -1;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		sess_ssh_failed(x, o->known_hosts);
		return -1;
	}
}
