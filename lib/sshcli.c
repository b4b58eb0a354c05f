#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "record.h"
#include "settings.h"
#include "sshcli.h"
#include "stream.h"

void
sshcli_init(struct sshcli *c)
{
	memset(c, 0, sizeof(*c));
	c->parallel = SSHCLI_PARALLEL_DEFAULT;
	c->timeout_s = 0;	/* -t, else SSH_TIMEOUT, else the default */
	c->strict = SSHS_STRICT_ACCEPT_NEW;
}

static int
num(const char *opt, const char *s, long long min, long long max,
    const char *what, long long *out, struct ms_err *e)
{
	const char *errstr = NULL;

	if (ms_strtonum(s, min, max, out, &errstr) == -1)
		return ms_err_set(e, "-%s: %s is %s: %s", opt, what, errstr, s);
	return 0;
}

int
sshcli_opt(struct sshcli *c, int ch, const char *arg, struct ms_err *e)
{
	long long v;

	switch (ch) {
	case 'd':
		c->dir = arg;
		return 1;
	case 'F':
		c->ssh_config = arg;
		return 1;
	case 'i':
		c->keyfile = arg;
		return 1;
	case 'k':
		c->known_hosts = arg;
		return 1;
	case 'o':
		if (strcmp(arg, "accept-new") == 0)
			c->strict = SSHS_STRICT_ACCEPT_NEW;
		else if (strcmp(arg, "yes") == 0)
			c->strict = SSHS_STRICT_YES;
		else if (strcmp(arg, "no") == 0)
			c->strict = SSHS_STRICT_NO;
		else
			return ms_err_set(e, "-o: accept-new, yes or no: %s",
			    arg);
		return 1;
	case 'P':
		if (num("P", arg, 1, SSHS_WORKERS_MAX, "parallel sessions",
		    &v, e) == -1)
			return -1;
		c->parallel = (unsigned)v;
		return 1;
	case 'p':
		if (num("p", arg, 1, 65535, "port", &v, e) == -1)
			return -1;
		c->port = (unsigned)v;
		return 1;
	case 't':
		if (num("t", arg, 1, SSHCLI_TIMEOUT_MAX, "timeout", &v,
		    e) == -1)
			return -1;
		c->timeout_s = (int)v;
		return 1;
	case 'u':
		if (*arg == '\0')
			return ms_err_set(e, "-u: empty user name");
		c->user = arg;
		return 1;
	default:
		return 0;
	}
}

int
sshcli_setup(struct sshcli *c, const struct config *cfg, struct ms_err *e)
{
	struct ms_err se = { "" };
	FILE *fp;

	/* cfg passed settings_check: the values are valid. */
	if (c->user == NULL)
		c->user = setting_str(cfg, "SSH_USERNAME");
	if (c->keyfile == NULL)
		c->keyfile = setting_str(cfg, "SSH_KEY");
	c->trust_new = setting_bool(cfg, "SSH_TRUST_NEW_HOSTS");
	if (c->timeout_s == 0)
		c->timeout_s = (int)setting_int(cfg, "SSH_TIMEOUT");
	c->password = setting_secret(cfg, "SSH_PASSWORD", &se);
	if (c->password == NULL && se.msg[0] != '\0')
		return ms_err_set(e, "%s", se.msg);
	if (c->known_hosts == NULL) {
		if (c->dir == NULL)
			c->dir = setting_str(cfg, "MACSCAN_DIR");
		c->st = store_open(c->dir, c->strict == SSHS_STRICT_YES ?
		    STORE_RDONLY : STORE_CREATE, &se);
		if (c->st == NULL)
			return ms_err_set(e, "%s (give a known_hosts file "
			    "with -k, or a store with -d)", se.msg);
		if ((c->khpath = store_path(c->st, "known_hosts")) == NULL)
			return ms_err_set(e, "out of memory");
		c->known_hosts = c->khpath;
	}
	/* A bad path is one error now, not one per host later. */
	if (c->strict != SSHS_STRICT_YES) {
		if ((fp = fopen(c->known_hosts, "a")) == NULL)
			return ms_err_set(e, "%s:", c->known_hosts);
		fclose(fp);
	}
	memset(&c->so, 0, sizeof(c->so));
	c->so.user = c->user;
	c->so.port = c->port;
	c->so.keyfile = c->keyfile;
	c->so.password = c->password;
	c->so.known_hosts = c->known_hosts;
	c->so.strict = c->strict;
	c->so.timeout_ms = c->timeout_s * 1000;
	c->so.ssh_config = c->ssh_config;
	c->so.trust_new = c->trust_new;
	return 0;
}

void
sshcli_free(struct sshcli *c)
{
	if (c->password != NULL) {
		ms_explicit_bzero(c->password, strlen(c->password));
		free(c->password);
		c->password = NULL;
	}
	c->so.password = NULL;
	free(c->khpath);
	c->khpath = NULL;
	store_close(c->st);
	c->st = NULL;
}

const char *
sshcli_host(const json_t *rec, struct ms_err *e)
{
	const char *host = record_str(rec, "ip");

	if (host == NULL)
		host = record_str(rec, "host");
	if (host == NULL) {
		ms_err_set(e, "record has no ip or host");
		return NULL;
	}
	if (!stream_host_valid(host, strlen(host))) {
		ms_err_set(e, "record has an invalid ip or host");
		return NULL;
	}
	return host;
}

int
sshcli_next(struct stream *in, struct stream_item *item, const char **host,
    struct ms_err *e)
{
	struct ms_err he;
	int r = stream_next(in, item, e);

	if (r != STREAM_ITEM)
		return r;
	if ((*host = sshcli_host(item->rec, &he)) == NULL) {
		ms_err_set(e, "%s:%lu: %s", in->name, item->lineno, he.msg);
		json_decref(item->rec);
		item->rec = NULL;
		return STREAM_BAD;
	}
	return STREAM_ITEM;
}

void
sshcli_first_line(const char *s, size_t len, char *buf, size_t max)
{
	size_t i, n = 0;

	if (max == 0)
		return;
	while (len > 0 && (*s == '\n' || *s == '\r' || *s == ' ')) {
		s++;
		len--;
	}
	for (i = 0; i < len && s[i] != '\n'; i++)
		;
	/* The terminal's policy (esc_term): controls as '?'. */
	if (max < 8) {
		buf[0] = '\0';
		return;
	}
	i = ms_utf8_cut(s, i, max - 1);		/* cut without a mark */
	esc_term_buf(buf, max, s, i, i, 0);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '?'))
		n--;
	buf[n] = '\0';
}
