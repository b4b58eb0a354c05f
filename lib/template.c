/*
 * template.c - see template.h. A template is parsed into tokens (text,
 * variable, section, inverted section, partial, end) whose sections know
 * their end, then rendered against a stack of contexts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "mime.h"
#include "template.h"

enum { T_TEXT, T_VAR, T_SEC, T_INV, T_END, T_PART, T_COMMENT };

struct tok {
	int type;
	const char *p;		/* text, or the tag's name */
	size_t n;
	size_t match;		/* of a section: its T_END */
	unsigned long line;
};

struct tmpl {
	struct tok *v;
	size_t n, cap;
};

#define STACK_MAX (TMPL_DEPTH * (TMPL_PARTIAL_DEPTH + 1) + 2)

static int
tok_add(struct tmpl *t, int type, const char *p, size_t n,
    unsigned long line)
{
	if (type == T_TEXT && n == 0)
		return 0;
	if (t->n == t->cap && ms_grow(&t->v, &t->cap, t->n + 1,
	    sizeof(*t->v)) == -1)
		return -1;
	t->v[t->n].type = type;
	t->v[t->n].p = p;
	t->v[t->n].n = n;
	t->v[t->n].match = 0;
	t->v[t->n].line = line;
	t->n++;
	return 0;
}

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The first pair of c at s (n bytes), or NULL: memmem is not POSIX. */
static const char *
find_pair(const char *s, size_t n, char c)
{
	const char *p;

	while (n >= 2 && (p = memchr(s, c, n - 1)) != NULL) {
		if (p[1] == c)
			return p;
		n -= (size_t)(p - s) + 1;
		s = p + 1;
	}
	return NULL;
}

static unsigned long
count_lines(const char *s, size_t n)
{
	unsigned long l = 0;
	size_t i;

	for (i = 0; i < n; i++)
		l += s[i] == '\n';
	return l;
}

/* The type of the tag between a and b, and its name in *a, *b. */
static int
tag_type(const char *s, size_t *a, size_t *b)
{
	int type = T_VAR;

	while (*a < *b && (s[*a] == ' ' || s[*a] == '\t'))
		(*a)++;
	if (*a < *b && s[*a] == '!')
		return T_COMMENT;
	if (*a < *b && (s[*a] == '#' || s[*a] == '^' || s[*a] == '/' ||
	    s[*a] == '>')) {
		type = s[*a] == '#' ? T_SEC : s[*a] == '^' ? T_INV :
		    s[*a] == '/' ? T_END : T_PART;
		(*a)++;
	}
	while (*a < *b && (s[*a] == ' ' || s[*a] == '\t'))
		(*a)++;
	while (*b > *a && (s[*b - 1] == ' ' || s[*b - 1] == '\t'))
		(*b)--;
	return type;
}

/* A block tag alone on its line takes the line along: move *open back
 * to the line's start and return where the text goes on. */
static size_t
standalone(const char *s, size_t len, size_t *open, size_t j)
{
	size_t ls, k;

	for (ls = *open; ls > 0 && (s[ls - 1] == ' ' || s[ls - 1] == '\t');
	    ls--)
		;
	k = j;
	while (k < len && (s[k] == ' ' || s[k] == '\t'))
		k++;
	if ((ls == 0 || s[ls - 1] == '\n') && (k == len || s[k] == '\n' ||
	    (s[k] == '\r' && k + 1 < len && s[k + 1] == '\n'))) {
		*open = ls;
		if (k < len)
			k += s[k] == '\r' ? 2 : 1;
		return k;
	}
	return j;
}

static int
tmpl_parse(struct tmpl *t, const char *s, size_t len, const char *name,
    struct ms_err *e)
{
	size_t i = 0, text = 0, open, close, a, b, j, k;
	size_t stack[TMPL_DEPTH];
	unsigned long line = 1;
	int depth = 0, type;
	const char *o, *cl;

	memset(t, 0, sizeof(*t));
	if (len > TMPL_MAX)
		return ms_err_set(e, "%s: larger than %u bytes", name,
		    TMPL_MAX);
	if (memchr(s, '\0', len) != NULL || !ms_utf8_valid(s, len))
		return ms_err_set(e, "%s: not UTF-8 text", name);
	while (i < len) {
		if ((o = find_pair(s + i, len - i, '{')) == NULL)
			break;
		open = (size_t)(o - s);
		line += count_lines(s + i, open - i);
		i = open;
		if ((cl = find_pair(s + open + 2, len - open - 2, '}')) ==
		    NULL) {
			ms_err_set(e, "%s:%lu: '{{' without '}}'", name, line);
			goto bad;
		}
		close = (size_t)(cl - s);
		a = open + 2;
		b = close;
		type = tag_type(s, &a, &b);
		if (type != T_COMMENT) {
			if (a == b || b - a > TMPL_NAME_MAX) {
				ms_err_set(e, "%s:%lu: a tag needs a name",
				    name, line);
				goto bad;
			}
			for (k = a; k < b; k++)
				if (!name_char(s[k])) {
					ms_err_set(e, "%s:%lu: bad character "
					    "in a tag name (names are "
					    "[A-Za-z0-9_-])", name, line);
					goto bad;
				}
		}
		j = close + 2;
		if (type != T_VAR && type != T_PART)
			j = standalone(s, len, &open, j);
		if (tok_add(t, T_TEXT, s + text, open - text, 0) == -1)
			goto oom;
		if (type == T_SEC || type == T_INV) {
			if (depth == TMPL_DEPTH) {
				ms_err_set(e, "%s:%lu: sections nested deeper "
				    "than %d", name, line, TMPL_DEPTH);
				goto bad;
			}
			stack[depth++] = t->n;
		} else if (type == T_END) {
			struct tok *sec;

			if (depth == 0) {
				ms_err_set(e, "%s:%lu: '{{/%.*s}}' closes no "
				    "section", name, line, (int)(b - a),
				    s + a);
				goto bad;
			}
			sec = &t->v[stack[depth - 1]];
			if (sec->n != b - a || memcmp(sec->p, s + a, b - a)) {
				ms_err_set(e, "%s:%lu: '{{/%.*s}}' closes "
				    "'%.*s' opened on line %lu", name, line,
				    (int)(b - a), s + a, (int)sec->n, sec->p,
				    sec->line);
				goto bad;
			}
			sec->match = t->n;
			depth--;
		}
		if (type != T_COMMENT && tok_add(t, type, s + a, b - a,
		    line) == -1)
			goto oom;
		line += count_lines(s + i, j - i);
		i = text = j;
	}
	if (tok_add(t, T_TEXT, s + text, len - text, 0) == -1)
		goto oom;
	if (depth > 0) {
		struct tok *sec = &t->v[stack[depth - 1]];

		ms_err_set(e, "%s:%lu: unclosed section '%.*s'", name,
		    sec->line, (int)sec->n, sec->p);
		goto bad;
	}
	return 0;
oom:
	ms_err_set(e, "%s: out of memory", name);
bad:
	free(t->v);
	memset(t, 0, sizeof(*t));
	return -1;
}

/* A tag's name as a C string. */
static void
tok_name(const struct tok *k, char key[TMPL_NAME_MAX + 1])
{
	memcpy(key, k->p, k->n);
	key[k->n] = '\0';
}

static const json_t *
lookup(const json_t *const *stack, int depth, const struct tok *k)
{
	char key[TMPL_NAME_MAX + 1];
	const json_t *v;
	int i;

	tok_name(k, key);
	for (i = depth - 1; i >= 0; i--)
		if (json_is_object(stack[i]) &&
		    (v = json_object_get(stack[i], key)) != NULL)
			return v;
	return NULL;
}

static int
truthy(const json_t *v)
{
	if (v == NULL || json_is_false(v) || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	return 1;
}

static int
put_value(struct ms_buf *out, const json_t *v, int mode)
{
	char *c;
	int rc;

	if (json_is_string(v)) {
		if (mode & TMPL_HTML)
			return esc_html(out, json_string_value(v),
			    json_string_length(v));
		if ((c = mime_clean(json_string_value(v),
		    json_string_length(v))) == NULL)
			return -1;
		rc = ms_buf_puts(out, c);
		free(c);
		return rc;
	}
	if (json_is_integer(v))
		return ms_buf_printf(out, "%lld",
		    (long long)json_integer_value(v));
	if (json_is_real(v))
		return ms_buf_printf(out, "%g", json_real_value(v));
	if (json_is_true(v))
		return ms_buf_puts(out, "true");
	return 0;
}

struct rctx {
	struct ms_buf *out;
	const json_t *partials;
	const char *name;	/* of the template, for messages */
	int mode;
	int pdepth;		/* partials entered */
	struct ms_err *e;
};

static int render_partial(struct rctx *r, const struct tok *x,
    const json_t **stack, int depth);

static int
render(struct rctx *r, const struct tmpl *t, size_t from, size_t to,
    const json_t **stack, int depth)
{
	const json_t *v, *el;
	size_t k, i;

	for (k = from; k < to; k++) {
		const struct tok *x = &t->v[k];

		switch (x->type) {
		case T_TEXT:
			if (ms_buf_append(r->out, x->p, x->n) == -1)
				goto oom;
			break;
		case T_VAR:
			if (put_value(r->out, lookup(stack, depth, x),
			    r->mode) == -1)
				goto oom;
			break;
		case T_PART:
			if (render_partial(r, x, stack, depth) == -1)
				return -1;
			break;
		case T_SEC:
			v = lookup(stack, depth, x);
			if (depth >= STACK_MAX - 1)
				return ms_err_set(r->e, "%s: sections nested "
				    "too deep", r->name);
			if (json_is_array(v)) {
				json_array_foreach(v, i, el) {
					stack[depth] = el;
					if (render(r, t, k + 1, x->match,
					    stack, depth + 1) == -1)
						return -1;
				}
			} else if (truthy(v)) {
				stack[depth] = v;
				if (render(r, t, k + 1, x->match, stack,
				    depth + 1) == -1)
					return -1;
			}
			k = x->match;
			break;
		case T_INV:
			if (!truthy(lookup(stack, depth, x)) &&
			    render(r, t, k + 1, x->match, stack, depth) == -1)
				return -1;
			k = x->match;
			break;
		default:
			break;
		}
	}
	return 0;
oom:
	return ms_err_set(r->e, "%s: out of memory", r->name);
}

/* The text of partial key, or NULL and e naming where it was wanted. */
static const char *
partial_text(const json_t *partials, const char *key, const char *name,
    unsigned long line, size_t *len, struct ms_err *e)
{
	const json_t *p = json_object_get(partials, key);

	if (!json_is_string(p)) {
		if (line > 0)
			ms_err_set(e, "%s:%lu: unknown partial '%s'", name,
			    line, key);
		else
			ms_err_set(e, "%s: unknown partial '%s'", name, key);
		return NULL;
	}
	*len = json_string_length(p);
	return json_string_value(p);
}

static int
render_partial(struct rctx *r, const struct tok *x, const json_t **stack,
    int depth)
{
	char key[TMPL_NAME_MAX + 1];
	const char *text, *outer = r->name;
	struct tmpl t;
	size_t len;
	int rc;

	tok_name(x, key);
	if (r->mode & TMPL_MARKUP) {
		/* Markup rendered already: as it is, never read again. */
		if ((text = partial_text(r->partials, key, r->name, x->line,
		    &len, r->e)) == NULL)
			return -1;
		if (ms_buf_append(r->out, text, len) == -1)
			return ms_err_set(r->e, "%s: out of memory", r->name);
		return 0;
	}
	if (r->pdepth >= TMPL_PARTIAL_DEPTH)
		return ms_err_set(r->e, "%s:%lu: partials nested deeper than "
		    "%d", r->name, x->line, TMPL_PARTIAL_DEPTH);
	if ((text = partial_text(r->partials, key, r->name, x->line, &len,
	    r->e)) == NULL)
		return -1;
	if (tmpl_parse(&t, text, len, key, r->e) == -1)
		return -1;
	r->pdepth++;
	r->name = key;
	rc = render(r, &t, 0, t.n, stack, depth);
	r->name = outer;
	r->pdepth--;
	free(t.v);
	return rc;
}

static int
check_partials(const struct tmpl *t, const char *name,
    const json_t *partials, int pdepth, struct ms_err *e)
{
	char key[TMPL_NAME_MAX + 1];
	const char *text;
	struct tmpl sub;
	size_t k, len;
	int rc;

	for (k = 0; k < t->n; k++) {
		if (t->v[k].type != T_PART)
			continue;
		tok_name(&t->v[k], key);
		if (pdepth >= TMPL_PARTIAL_DEPTH)
			return ms_err_set(e, "%s:%lu: partials nested deeper "
			    "than %d", name, t->v[k].line,
			    TMPL_PARTIAL_DEPTH);
		if ((text = partial_text(partials, key, name, t->v[k].line,
		    &len, e)) == NULL)
			return -1;
		if (tmpl_parse(&sub, text, len, key, e) == -1)
			return -1;
		rc = check_partials(&sub, key, partials, pdepth + 1, e);
		free(sub.v);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
template_check(const char *tmpl, size_t len, const char *name,
    const json_t *partials, struct ms_err *e)
{
	struct tmpl t;
	int rc = 0;

	if (tmpl_parse(&t, tmpl, len, name, e) == -1)
		return -1;
	if (partials != NULL)
		rc = check_partials(&t, name, partials, 0, e);
	free(t.v);
	return rc;
}

int
template_render(struct ms_buf *out, const char *tmpl, size_t len,
    const char *name, const json_t *ctx, const json_t *partials, int mode,
    struct ms_err *e)
{
	const json_t *stack[STACK_MAX];
	struct rctx r;
	struct tmpl t;
	int rc;

	if (tmpl_parse(&t, tmpl, len, name, e) == -1)
		return -1;
	r.out = out;
	r.partials = partials;
	r.name = name;
	r.mode = mode;
	r.pdepth = 0;
	r.e = e;
	stack[0] = ctx;
	rc = render(&r, &t, 0, t.n, stack, 1);
	free(t.v);
	return rc;
}

int
template_render_partial(struct ms_buf *out, const json_t *partials,
    const char *key, const char *name, const json_t *ctx, int mode,
    struct ms_err *e)
{
	const char *text;
	char where[2 * TMPL_NAME_MAX + 2];
	size_t len;

	if ((text = partial_text(partials, key, name, 0, &len, e)) == NULL)
		return -1;
	snprintf(where, sizeof(where), "%.*s/%.*s", TMPL_NAME_MAX, name,
	    TMPL_NAME_MAX, key);
	return template_render(out, text, len, where, ctx, partials, mode, e);
}
