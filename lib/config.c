#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "escape.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

struct kv {
	char *key;
	char *val;
	size_t vlen;
	unsigned long line;
};

struct config {
	char *path;
	struct kv *v;
	size_t n, cap;
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_keystart(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_keychar(char c)
{
	return is_keystart(c) || (c >= '0' && c <= '9');
}

static struct kv *
find(const struct config *c, const char *key)
{
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0)
			return &c->v[i];
	return NULL;
}

/* Store key (klen bytes) = val; val is taken over, even on failure. */
static int
set(struct config *c, const char *key, size_t klen, char *val, size_t vlen,
    unsigned long line, struct ms_err *e)
{
	struct kv *kv;
	size_t i, cap;

	for (i = 0; i < c->n; i++) {
		kv = &c->v[i];
		if (strlen(kv->key) == klen && memcmp(kv->key, key, klen) == 0) {
			ms_explicit_bzero(kv->val, kv->vlen);
			free(kv->val);
			kv->val = val;
			kv->vlen = vlen;
			kv->line = line;
			return 0;
		}
	}
	if (c->n >= CONFIG_MAXKEYS) {
		ms_err_set(e, "%s:%lu: more than %d keys", c->path, line,
		    CONFIG_MAXKEYS);
		goto fail;
	}
	if (c->n == c->cap) {
		cap = c->cap ? c->cap * 2 : 16;
		if ((kv = realloc(c->v, cap * sizeof(*kv))) == NULL) {
			ms_err_set(e, "%s:%lu:", c->path, line);
			goto fail;
		}
		c->v = kv;
		c->cap = cap;
	}
	kv = &c->v[c->n];
	if ((kv->key = malloc(klen + 1)) == NULL) {
		ms_err_set(e, "%s:%lu:", c->path, line);
		goto fail;
	}
	memcpy(kv->key, key, klen);
	kv->key[klen] = '\0';
	kv->val = val;
	kv->vlen = vlen;
	kv->line = line;
	c->n++;
	return 0;
fail:
	ms_explicit_bzero(val, vlen);
	free(val);
	return -1;
}

/*
 * One line s[0..n) without its newline (and CR). Messages give columns
 * counted from 1 and never quote the line: it may hold a secret.
 */
static int
parse_line(struct config *c, const char *s, size_t n, unsigned long line,
    struct ms_err *e)
{
	size_t i = 0, k0, k1, j, vlen = 0;
	const char *eq;
	char *val;
	int blank;

	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	if (n - i > 6 && memcmp(s + i, "export", 6) == 0 &&
	    is_blank(s[i + 6])) {
		j = i + 6;
		while (j < n && is_blank(s[j]))
			j++;
		/* "export = x" sets the key "export". */
		if (j < n && s[j] != '=')
			i = j;
	}
	if ((eq = memchr(s + i, '=', n - i)) == NULL)
		return ms_err_set(e, "%s:%lu: no '=' in this line (expected "
		    "KEY=VALUE)", c->path, line);
	k0 = i;
	while (i < n && is_keychar(s[i]))
		i++;
	k1 = i;
	while (i < n && is_blank(s[i]))
		i++;
	if (k1 == k0 && s + i == eq)
		return ms_err_set(e, "%s:%lu: empty key before '='", c->path,
		    line);
	if (s + i != eq || !is_keystart(s[k0]))
		return ms_err_set(e, "%s:%lu: bad key (column %zu): a key is "
		    "letters, digits and '_', not starting with a digit",
		    c->path, line, (is_keystart(s[k0]) ? k1 : k0) + 1);
	j = (size_t)(eq - s) + 1;
	blank = j < n && is_blank(s[j]);
	while (j < n && is_blank(s[j]))
		j++;
	if ((val = malloc(n - j + 1)) == NULL)
		return ms_err_set(e, "%s:%lu:", c->path, line);
	if (j < n && (s[j] == '"' || s[j] == '\'')) {
		char q = s[j];
		size_t oq = j;
		int closed = 0;

		for (j++; j < n; j++) {
			if (s[j] == q) {
				closed = 1;
				j++;
				break;
			}
			if (q == '"' && s[j] == '\\' && j + 1 < n) {
				char x = s[j + 1];

				if (x == '"' || x == '\\' || x == 'n') {
					val[vlen++] = x == 'n' ? '\n' : x;
					j++;
					continue;
				}
			}
			val[vlen++] = s[j];
		}
		if (!closed) {
			ms_explicit_bzero(val, vlen);
			free(val);
			return ms_err_set(e, "%s:%lu: unterminated %s quote "
			    "(opened at column %zu)", c->path, line,
			    q == '"' ? "double" : "single", oq + 1);
		}
		while (j < n && is_blank(s[j]))
			j++;
		if (j < n && s[j] != '#') {
			ms_explicit_bzero(val, vlen);
			free(val);
			return ms_err_set(e, "%s:%lu: unexpected text after the "
			    "closing quote (column %zu)", c->path, line,
			    j + 1);
		}
	} else {
		size_t v0 = j, end = n;

		/* '#' starts a comment only after a blank. */
		for (; j < n; j++) {
			if (s[j] == '#' && (j == v0 ? blank :
			    is_blank(s[j - 1]))) {
				end = j;
				break;
			}
		}
		while (end > v0 && is_blank(s[end - 1]))
			end--;
		vlen = end - v0;
		memcpy(val, s + v0, vlen);
	}
	val[vlen] = '\0';
	return set(c, s + k0, k1 - k0, val, vlen, line, e);
}

struct config *
config_parse_buf(const char *buf, size_t len, const char *name,
    struct ms_err *e)
{
	struct config *c;
	unsigned long line = 0;
	size_t pos = 0;

	if (name == NULL)
		name = "<config>";
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(name)) == NULL) {
		free(c);
		ms_err_set(e, "%s:", name);
		return NULL;
	}
	if (len > CONFIG_MAXFILE) {
		ms_err_set(e, "%s: file is larger than %u bytes", name,
		    CONFIG_MAXFILE);
		goto fail;
	}
	/* A byte order mark, as some Windows editors write. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *s = buf + pos, *nl;
		size_t n;

		line++;
		nl = memchr(s, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - s) : len - pos;
		pos += n + (nl != NULL);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > CONFIG_MAXLINE) {
			ms_err_set(e, "%s:%lu: line longer than %d bytes",
			    name, line, CONFIG_MAXLINE);
			goto fail;
		}
		if (memchr(s, '\0', n) != NULL) {
			ms_err_set(e, "%s:%lu: NUL byte in line", name, line);
			goto fail;
		}
		if (parse_line(c, s, n, line, e) == -1)
			goto fail;
	}
	return c;
fail:
	config_free(c);
	return NULL;
}

struct config *
config_load(const char *path, int must_exist, struct ms_err *e)
{
	struct config *c;
	const char *env;
	char *buf;
	size_t len;

	if (path == NULL) {
		env = getenv("MACSCAN_CONF");
		path = env != NULL && *env != '\0' ? env :
		    SYSCONFDIR "/macscan/macscan.conf";
	}
	errno = 0;
	if ((buf = ms_read_file(path, CONFIG_MAXFILE, &len, e)) == NULL) {
		if (errno == ENOENT && !must_exist)
			return config_parse_buf("", 0, path, e);
		return NULL;
	}
	c = config_parse_buf(buf, len, path, e);
	ms_explicit_bzero(buf, len);
	free(buf);
	return c;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		ms_explicit_bzero(c->v[i].val, c->v[i].vlen);
		free(c->v[i].val);
		free(c->v[i].key);
	}
	free(c->v);
	free(c->path);
	free(c);
}

const char *
config_get(const struct config *c, const char *key)
{
	const char *v;
	struct kv *kv;

	if (key == NULL)
		return NULL;
	if ((v = getenv(key)) != NULL)
		return v;
	if ((kv = find(c, key)) != NULL)
		return kv->val;
	return NULL;
}

const char *
config_get_default(const struct config *c, const char *key, const char *def)
{
	const char *v = config_get(c, key);

	return v != NULL && *v != '\0' ? v : def;
}

int
config_get_num(const struct config *c, const char *key, long long min,
    long long max, long long def, long long *out, struct ms_err *e)
{
	const char *v = config_get(c, key), *es;
	char where[600], shown[80];
	struct kv *kv = NULL;

	if (v == NULL || *v == '\0') {
		*out = def;
		return 0;
	}
	if (ms_strtonum(v, min, max, out, &es) == 0)
		return 0;
	if (getenv(key) != NULL || (kv = find(c, key)) == NULL)
		snprintf(where, sizeof(where), "environment");
	else
		snprintf(where, sizeof(where), "%s:%lu", c->path, kv->line);
	esc_term_buf(shown, sizeof(shown), v, strlen(v), 32, 0);
	return ms_err_set(e, "%s: %s is %s: '%s' (expected %lld to %lld)",
	    where, key, es, shown, min, max);
}

/* The first line of the file at path, for the variable fkey. */
static char *
read_secret(const char *fkey, const char *path, struct ms_err *e)
{
	char buf[CONFIG_MAXSECRET + 2], *nl, *s = NULL;
	size_t got = 0, n;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		ms_err_set(e, "%s: %s:", fkey, path);
		return NULL;
	}
	while (got < sizeof(buf) && memchr(buf, '\n', got) == NULL) {
		r = read(fd, buf + got, sizeof(buf) - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			ms_err_set(e, "%s: %s:", fkey, path);
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if ((nl = memchr(buf, '\n', got)) != NULL)
		n = (size_t)(nl - buf);
	else
		n = got;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n > CONFIG_MAXSECRET) {
		ms_err_set(e, "%s: %s: first line longer than %d bytes", fkey,
		    path, CONFIG_MAXSECRET);
		goto out;
	}
	if (n == 0) {
		ms_err_set(e, "%s: %s: the first line is empty", fkey, path);
		goto out;
	}
	if (memchr(buf, '\0', n) != NULL) {
		ms_err_set(e, "%s: %s: NUL byte in the first line", fkey, path);
		goto out;
	}
	if ((s = malloc(n + 1)) == NULL) {
		ms_err_set(e, "%s: %s:", fkey, path);
		goto out;
	}
	memcpy(s, buf, n);
	s[n] = '\0';
out:
	ms_explicit_bzero(buf, sizeof(buf));
	close(fd);
	return s;
}

char *
config_get_secret(const struct config *c, const char *key, struct ms_err *e)
{
	const char *kenv, *fenv;
	struct kv *kv;
	char *fkey, *s = NULL;
	size_t n;

	if (e != NULL)
		e->msg[0] = '\0';
	if (key == NULL)
		return NULL;
	n = strlen(key);
	if ((fkey = malloc(n + sizeof("_FILE"))) == NULL) {
		ms_err_set(e, "%s:", key);
		return NULL;
	}
	memcpy(fkey, key, n);
	memcpy(fkey + n, "_FILE", sizeof("_FILE"));
	kenv = getenv(key);
	fenv = getenv(fkey);
	/* The environment first (KEY, then KEY_FILE), then the file. */
	if (kenv != NULL && *kenv != '\0') {
		if ((s = strdup(kenv)) == NULL)
			ms_err_set(e, "%s:", key);
	} else if (fenv != NULL && *fenv != '\0') {
		s = read_secret(fkey, fenv, e);
	} else if (kenv == NULL && (kv = find(c, key)) != NULL &&
	    kv->vlen > 0) {
		if ((s = strdup(kv->val)) == NULL)
			ms_err_set(e, "%s:", key);
	} else if (fenv == NULL && (kv = find(c, fkey)) != NULL &&
	    kv->vlen > 0) {
		s = read_secret(fkey, kv->val, e);
	}
	free(fkey);
	return s;
}

const char *
config_path(const struct config *c)
{
	return c != NULL ? c->path : NULL;
}

size_t
config_count(const struct config *c)
{
	return c != NULL ? c->n : 0;
}

const char *
config_key(const struct config *c, size_t i)
{
	return c != NULL && i < c->n ? c->v[i].key : NULL;
}

unsigned long
config_line(const struct config *c, const char *key)
{
	struct kv *kv;

	if (key == NULL || (kv = find(c, key)) == NULL)
		return 0;
	return kv->line;
}
