/*
 * mime.c - see mime.h. Headers are built from cleaned text only; the
 * encoder and decoder are written together so that the fuzz harness can
 * hold one to the other: decode(encode(clean(x))) == clean(x).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "escape.h"
#include "mime.h"

static const char hexdig[] = "0123456789ABCDEF";


char *
mime_clean(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct ms_buf b = { 0 };
	size_t i = 0, k;
	unsigned long cp;
	int rc = 0;

	if (ms_buf_append(&b, "", 0) == -1)
		return NULL;
	while (i < n && rc == 0) {
		if ((k = ms_utf8_next((const char *)p + i, n - i, &cp)) == 0) {
			rc = ms_buf_append(&b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			if (esc_unsafe_cp(cp))
				rc = ms_buf_append(&b, " ", 1);
			else
				rc = ms_buf_append(&b, p + i, k);
			i += k;
		}
	}
	if (rc == -1) {
		ms_buf_free(&b);
		return NULL;
	}
	return ms_buf_steal(&b, NULL);
}

/*
 * Where a value folds: before a blank that is followed by something else
 * than a blank (a line of blanks alone is not allowed) and not at the
 * start. Returns the end of the segment that starts at i.
 */
static size_t
segment_end(const char *v, size_t n, size_t i)
{
	size_t j;

	for (j = i + 1; j < n; j++)
		if (v[j] == ' ' && j + 1 < n && v[j + 1] != ' ')
			return j;
	return n;
}

/* Append v folded at blanks after "Name:"; line is what the line already
 * holds. */
static int
fold_plain(struct ms_buf *b, size_t line, const char *v, size_t n)
{
	size_t i = 0, j;

	if (n == 0)
		return ms_buf_append(b, "\r\n", 2);
	if (ms_buf_append(b, " ", 1) == -1)
		return -1;
	line++;
	while (i < n) {
		j = segment_end(v, n, i);
		if (i > 0 && line + (j - i) > MIME_LINE_MAX) {
			if (ms_buf_append(b, "\r\n", 2) == -1)
				return -1;
			line = 0;
		}
		if (ms_buf_append(b, v + i, j - i) == -1)
			return -1;
		line += j - i;
		i = j;
	}
	return ms_buf_append(b, "\r\n", 2);
}

/* Plain text is fine when it is printable ASCII that folds into lines
 * short enough, does not start or end with a blank, and holds nothing
 * a decoder would take for an encoded word. */
static int
plain_ok(size_t line, const char *v, size_t n)
{
	size_t i = 0, j;

	if (n == 0)
		return 1;
	if (v[0] == ' ' || v[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++) {
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return 0;
		if (v[i] == '=' && i + 1 < n && v[i + 1] == '?')
			return 0;
	}
	for (i = 0; i < n; i = j) {
		j = segment_end(v, n, i);
		if ((i == 0 ? line + 1 : 0) + (j - i) > MIME_LINE_MAX)
			return 0;
	}
	return 1;
}

/* A character of the Q encoding that stands for itself (RFC 2047 5(3),
 * the strictest list, good in any header). */
static int
q_literal(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	    c == '-' || c == '/';
}

#define EW_OPEN "=?UTF-8?Q?"
#define EW_OPEN_LEN 10
#define EW_CLOSE "?="
#define EW_CLOSE_LEN 2

/*
 * Append v as encoded words after what the line holds (*line chars),
 * each word preceded by a blank, folding before a word that would not
 * fit. Characters are never cut between two words.
 */
static int
encode_words(struct ms_buf *b, size_t *line, const char *v, size_t n)
{
	const unsigned char *p = (const unsigned char *)v;
	char enc[4 * 3];
	size_t i = 0, k, j, elen, wlen = 0;
	unsigned long cp;
	int open = 0;

	while (i < n) {
		if ((k = ms_utf8_next((const char *)p + i, n - i, &cp)) == 0)
			k = 1;	/* not reached on cleaned text */
		for (elen = 0, j = 0; j < k; j++) {
			if (p[i + j] == ' ')
				enc[elen++] = '_';
			else if (q_literal(p[i + j]))
				enc[elen++] = (char)p[i + j];
			else {
				enc[elen++] = '=';
				enc[elen++] = hexdig[p[i + j] >> 4];
				enc[elen++] = hexdig[p[i + j] & 15];
			}
		}
		if (open && (*line + elen + EW_CLOSE_LEN > MIME_LINE_MAX ||
		    wlen + elen + EW_CLOSE_LEN > MIME_WORD_MAX)) {
			if (ms_buf_append(b, EW_CLOSE "\r\n", 4) == -1)
				return -1;
			*line = 0;
			open = 0;
		}
		if (!open) {
			if (*line > 0 && *line + 1 + EW_OPEN_LEN + elen +
			    EW_CLOSE_LEN > MIME_LINE_MAX) {
				if (ms_buf_append(b, "\r\n", 2) == -1)
					return -1;
				*line = 0;
			}
			if (ms_buf_append(b, " " EW_OPEN, 1 + EW_OPEN_LEN) == -1)
				return -1;
			*line += 1 + EW_OPEN_LEN;
			wlen = EW_OPEN_LEN;
			open = 1;
		}
		if (ms_buf_append(b, enc, elen) == -1)
			return -1;
		*line += elen;
		wlen += elen;
		i += k;
	}
	if (open) {
		if (ms_buf_append(b, EW_CLOSE, EW_CLOSE_LEN) == -1)
			return -1;
		*line += EW_CLOSE_LEN;
	}
	return 0;
}

int
mime_header(struct ms_buf *b, const char *name, const char *value)
{
	char *v;
	size_t n, line = strlen(name) + 1;
	int rc;

	if ((v = mime_clean(value, value != NULL ? strlen(value) : 0)) ==
	    NULL)
		return -1;
	n = strlen(v);
	if (ms_buf_puts(b, name) == -1 || ms_buf_append(b, ":", 1) == -1) {
		free(v);
		return -1;
	}
	if (plain_ok(line, v, n))
		rc = fold_plain(b, line, v, n);
	else if ((rc = encode_words(b, &line, v, n)) == 0)
		rc = ms_buf_append(b, "\r\n", 2);
	free(v);
	return rc;
}

int
mime_header_raw(struct ms_buf *b, const char *name, const char *value)
{
	char *v;
	int rc;

	if ((v = mime_clean(value, value != NULL ? strlen(value) : 0)) ==
	    NULL)
		return -1;
	if (ms_buf_puts(b, name) == -1 || ms_buf_append(b, ":", 1) == -1)
		rc = -1;
	else
		rc = fold_plain(b, strlen(name) + 1, v, strlen(v));
	free(v);
	return rc;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}


/*
 * Decode the token t (n chars, no blanks) into b if it is a whole encoded
 * word in UTF-8 or US-ASCII; 1 if it was, 0 if it is to be kept as text
 * (b is then unchanged), -1 when out of memory.
 */
static int
decode_word(struct ms_buf *b, const char *t, size_t n)
{
	size_t i, cs, start = b->len, te;
	const char *q1, *q2, *txt;
	int c, h, l;
	char ch;

	if (n < 8 || t[0] != '=' || t[1] != '?' || t[n - 2] != '?' ||
	    t[n - 1] != '=')
		return 0;
	if ((q1 = memchr(t + 2, '?', n - 2)) == NULL || q1 + 3 > t + n - 2)
		return 0;
	cs = (size_t)(q1 - (t + 2));
	/* RFC 2231 adds "*language" after the charset. */
	q2 = memchr(t + 2, '*', cs);
	if (q2 != NULL)
		cs = (size_t)(q2 - (t + 2));
	if (!((cs == 5 && strncasecmp(t + 2, "UTF-8", 5) == 0) ||
	    (cs == 8 && strncasecmp(t + 2, "US-ASCII", 8) == 0)))
		return 0;
	if (q1[2] != '?')
		return 0;
	ch = q1[1];
	txt = q1 + 3;
	te = (size_t)(t + n - 2 - txt);
	if (memchr(txt, '?', te) != NULL)
		return 0;
	if (ch == 'Q' || ch == 'q') {
		for (i = 0; i < te; i++) {
			if (txt[i] == '_')
				c = ' ';
			else if (txt[i] == '=') {
				if (i + 2 >= te)
					goto bad;
				if ((h = hexval((unsigned char)txt[i + 1])) < 0 ||
				    (l = hexval((unsigned char)txt[i + 2])) < 0)
					goto bad;
				c = h * 16 + l;
				i += 2;
			} else
				c = (unsigned char)txt[i];
			if (c == 0)
				goto bad;
			ch = (char)c;
			if (ms_buf_append(b, &ch, 1) == -1)
				return -1;
		}
	} else if (ch == 'B' || ch == 'b') {
		unsigned char *raw = malloc(te / 4 * 3 + 1);
		ssize_t rn;

		if (raw == NULL)
			return -1;
		rn = ms_base64_decode(txt, te, raw, te / 4 * 3);
		if (rn < 0 || memchr(raw, '\0', (size_t)rn) != NULL) {
			free(raw);
			goto bad;
		}
		if (ms_buf_append(b, raw, (size_t)rn) == -1) {
			free(raw);
			return -1;
		}
		free(raw);
	} else
		return 0;
	return 1;
bad:
	b->len = start;
	if (b->data != NULL)
		b->data[start] = '\0';
	return 0;
}

char *
mime_header_decode(const char *s, size_t n, struct ms_err *e)
{
	struct ms_buf u = { 0 }, b = { 0 };
	size_t i, j, ws = 0;
	int prev_ew = 0, r;

	/* Unfold: a line break followed by a blank is the blank alone. */
	if (ms_buf_append(&u, "", 0) == -1)
		goto oom;
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 2 < n && s[i + 1] == '\n' &&
		    (s[i + 2] == ' ' || s[i + 2] == '\t')) {
			i++;
			continue;
		}
		if (s[i] == '\n' && i + 1 < n &&
		    (s[i + 1] == ' ' || s[i + 1] == '\t'))
			continue;
		if (s[i] == '\r' || s[i] == '\n') {
			ms_buf_free(&u);
			ms_err_set(e, "byte %zu: a line break that does not "
			    "fold", i);
			return NULL;
		}
		if (ms_buf_append(&u, s + i, 1) == -1)
			goto oom;
	}
	if (ms_buf_append(&b, "", 0) == -1)
		goto oom;
	i = 0;
	while (i < u.len && (u.data[i] == ' ' || u.data[i] == '\t'))
		i++;
	while (i < u.len) {
		for (j = i; j < u.len && u.data[j] != ' ' &&
		    u.data[j] != '\t'; j++)
			;
		if (j > i) {
			size_t mark = b.len;

			if (ws > 0 && ms_buf_append(&b, u.data + i - ws, ws) ==
			    -1)
				goto oom;
			if ((r = decode_word(&b, u.data + i, j - i)) == -1)
				goto oom;
			if (r == 1 && prev_ew) {
				/* Blanks between two encoded words go. */
				memmove(b.data + mark, b.data + mark + ws,
				    b.len - mark - ws);
				b.len -= ws;
				b.data[b.len] = '\0';
			}
			if (r == 0 && ms_buf_append(&b, u.data + i, j - i) ==
			    -1)
				goto oom;
			prev_ew = r == 1;
			ws = 0;
			i = j;
		}
		for (j = i; j < u.len && (u.data[j] == ' ' ||
		    u.data[j] == '\t'); j++)
			;
		ws = j - i;
		i = j;
	}
	if (ws > 0 && ms_buf_append(&b, u.data + u.len - ws, ws) == -1)
		goto oom;
	ms_buf_free(&u);
	return ms_buf_steal(&b, NULL);
oom:
	ms_buf_free(&u);
	ms_buf_free(&b);
	ms_err_set(e, "out of memory");
	return NULL;
}

/* Append one quoted-printable line (no line end in s), soft-broken. */
static int
qp_line(struct ms_buf *b, const unsigned char *s, size_t n)
{
	char tok[3];
	size_t i, col = 0, tl;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];
		int lit = (c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && i + 1 < n);

		/* A line must not start with '.' (SMTP) or 'F' ("From "). */
		if (col == 0 && (c == '.' || c == 'F'))
			lit = 0;
		if (lit) {
			tok[0] = (char)c;
			tl = 1;
		} else {
			tok[0] = '=';
			tok[1] = hexdig[c >> 4];
			tok[2] = hexdig[c & 15];
			tl = 3;
		}
		/*
		 * Keep room for the '=' of a soft break, except for the
		 * last token of the line, which may end at the limit.
		 */
		if (col + tl > MIME_QP_MAX - 1 &&
		    !(i + 1 == n && col + tl <= MIME_QP_MAX)) {
			if (ms_buf_append(b, "=\r\n", 3) == -1)
				return -1;
			col = 0;
			if (c == '.' || c == 'F') {
				tok[0] = '=';
				tok[1] = hexdig[c >> 4];
				tok[2] = hexdig[c & 15];
				tl = 3;
			}
		}
		if (ms_buf_append(b, tok, tl) == -1)
			return -1;
		col += tl;
	}
	return ms_buf_append(b, "\r\n", 2);
}

int
mime_qp(struct ms_buf *b, const char *s, size_t n)
{
	size_t i = 0, j, e;

	if (ms_buf_append(b, "", 0) == -1)
		return -1;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);

		j = nl != NULL ? (size_t)(nl - s) : n;
		e = j;
		if (nl != NULL && e > i && s[e - 1] == '\r')
			e--;
		if (qp_line(b, (const unsigned char *)s + i, e - i) == -1)
			return -1;
		i = nl != NULL ? j + 1 : n;
	}
	return 0;
}

char *
mime_qp_decode(const char *s, size_t n, size_t *len, struct ms_err *e)
{
	struct ms_buf b = { 0 };
	size_t i;
	int h, l;
	char c;

	if (ms_buf_append(&b, "", 0) == -1)
		goto oom;
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (s[i] != '=') {
			if (ms_buf_append(&b, s + i, 1) == -1)
				goto oom;
			continue;
		}
		if (i + 1 < n && s[i + 1] == '\n') {
			i++;
			continue;
		}
		if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (i + 2 >= n || (h = hexval((unsigned char)s[i + 1])) < 0 ||
		    (l = hexval((unsigned char)s[i + 2])) < 0) {
			ms_buf_free(&b);
			ms_err_set(e, "byte %zu: '=' not followed by two hex "
			    "digits or a line end", i);
			return NULL;
		}
		c = (char)(h * 16 + l);
		if (ms_buf_append(&b, &c, 1) == -1)
			goto oom;
		i += 2;
	}
	return ms_buf_steal(&b, len);
oom:
	ms_buf_free(&b);
	ms_err_set(e, "out of memory");
	return NULL;
}

char *
mime_date(time_t t, char buf[MIME_DATE_LEN])
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char mons[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
		"Sep", "Oct", "Nov", "Dec"
	};
	struct tm tm;
	long off;
	char sign = '+';

	if (localtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1900 ||
	    tm.tm_year + 1900 > 9999 || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return NULL;
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(buf, MIME_DATE_LEN, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld"
	    "%02ld", days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
	    (off / 60) % 100, off % 60);
	return buf;
}

static int
atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

int
mime_addr_valid(const char *addr)
{
	const char *at, *p;
	size_t n, lab = 0;

	if (addr == NULL || (n = strlen(addr)) < 3 || n > MIME_ADDR_MAX)
		return 0;
	if ((at = strrchr(addr, '@')) == NULL || at == addr ||
	    at - addr > 64 || at[1] == '\0')
		return 0;
	/* Local part: a dot-atom. */
	if (addr[0] == '.' || at[-1] == '.')
		return 0;
	for (p = addr; p < at; p++) {
		if (*p == '.') {
			if (p[1] == '.')
				return 0;
		} else if (!atext((unsigned char)*p))
			return 0;
	}
	/* Domain: labels of letters, digits and inner hyphens. */
	for (p = at + 1; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (lab == 0 || lab > 63 || p[-1] == '-')
				return 0;
			if (*p == '\0')
				break;
			lab = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || (*p == '-' && lab > 0)))
			return 0;
		lab++;
	}
	return 1;
}

void
mime_addrs_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
mime_addr_list(const char *list, char ***vp, size_t *np, struct ms_err *e)
{
	char **v = NULL, *item, *c;
	size_t n = 0, len;
	const char *p = list, *q, *end;

	*vp = NULL;
	*np = 0;
	if (list == NULL)
		return ms_err_set(e, "no address");
	for (;;) {
		if ((q = strchr(p, ',')) == NULL)
			q = p + strlen(p);
		end = q;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		len = (size_t)(end - p);
		if (len > 0) {
			if ((item = malloc(len + 1)) == NULL)
				goto oom;
			memcpy(item, p, len);
			item[len] = '\0';
			if (!mime_addr_valid(item)) {
				c = mime_clean(item, len < 80 ? len : 80);
				ms_err_set(e, "not a plain address: '%s' "
				    "(expected user@example.com)",
				    c != NULL ? c : "?");
				free(c);
				free(item);
				mime_addrs_free(v, n);
				return -1;
			}
			if (n == MIME_RCPT_MAX) {
				free(item);
				mime_addrs_free(v, n);
				return ms_err_set(e, "more than %d addresses",
				    MIME_RCPT_MAX);
			}
			if ((n & (n - 1)) == 0) {
				char **nv = realloc(v, (n ? 2 * n : 1) *
				    sizeof(*v));

				if (nv == NULL) {
					free(item);
					goto oom;
				}
				v = nv;
			}
			v[n++] = item;
		}
		if (*q == '\0')
			break;
		p = q + 1;
	}
	if (n == 0)
		return ms_err_set(e, "no address");
	*vp = v;
	*np = n;
	return 0;
oom:
	mime_addrs_free(v, n);
	return ms_err_set(e, "out of memory");
}

int
mime_message_id(char *buf, size_t len, time_t t, const unsigned char *rnd,
    size_t nrnd, const char *domain)
{
	struct ms_buf b = { 0 };
	struct tm tm;
	size_t i;
	int rc = -1;

	if (domain == NULL || *domain == '\0' || gmtime_r(&t, &tm) == NULL)
		return -1;
	if (ms_buf_printf(&b, "<%04d%02d%02dT%02d%02d%02dZ.",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec) == -1)
		goto out;
	for (i = 0; i < nrnd; i++)
		if (ms_buf_printf(&b, "%02x", rnd[i]) == -1)
			goto out;
	if (ms_buf_printf(&b, "@%s>", domain) == -1 || b.len + 1 > len)
		goto out;
	memcpy(buf, b.data, b.len + 1);
	rc = 0;
out:
	ms_buf_free(&b);
	return rc;
}

static int
boundary_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n < 1 || n > 60)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("=_.-", s[i]) != NULL))
			return 0;
	return 1;
}

/* The From header: a display name (quoted when plain ASCII, else encoded
 * words) and the address. */
static int
from_header(struct ms_buf *b, const char *name, const char *addr)
{
	char *v;
	size_t n, i, line;
	int plain = 1, rc = -1;

	if (name == NULL || *name == '\0') {
		struct ms_buf t = { 0 };

		if (ms_buf_printf(&t, "<%s>", addr) == -1)
			return -1;
		rc = mime_header_raw(b, "From", t.data);
		ms_buf_free(&t);
		return rc;
	}
	if ((v = mime_clean(name, strlen(name))) == NULL)
		return -1;
	n = strlen(v);
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] > 0x7e || v[i] == '"' ||
		    v[i] == '\\' || (v[i] == '=' && v[i + 1] == '?'))
			plain = 0;
	if (n > 40)
		plain = 0;
	if (ms_buf_puts(b, "From:") == -1)
		goto out;
	line = 5;
	if (plain) {
		if (ms_buf_printf(b, " \"%s\"", v) == -1)
			goto out;
		line += n + 3;
	} else if (encode_words(b, &line, v, n) == -1)
		goto out;
	if (line + 3 + strlen(addr) > MIME_LINE_MAX) {
		if (ms_buf_append(b, "\r\n", 2) == -1)
			goto out;
	}
	rc = ms_buf_printf(b, " <%s>\r\n", addr);
out:
	free(v);
	return rc;
}

int
mime_build(struct ms_buf *out, const struct mime_msg *m, struct ms_err *e)
{
	struct ms_buf to = { 0 };
	char date[MIME_DATE_LEN];
	size_t i;

	if (!mime_addr_valid(m->from))
		return ms_err_set(e, "not a plain address: the sender");
	for (i = 0; i < m->nto; i++)
		if (!mime_addr_valid(m->to[i]))
			return ms_err_set(e, "not a plain address: "
			    "recipient %zu", i + 1);
	if (!boundary_ok(m->boundary))
		return ms_err_set(e, "bad MIME boundary");
	if (m->message_id != NULL && (strpbrk(m->message_id, "\r\n \t") !=
	    NULL || m->message_id[0] != '<'))
		return ms_err_set(e, "bad Message-ID");
	if (!ms_utf8_valid(m->text, m->text_len) ||
	    !ms_utf8_valid(m->html, m->html_len))
		return ms_err_set(e, "a part is not valid UTF-8");
	if (mime_date(m->date, date) == NULL)
		return ms_err_set(e, "the date cannot be written");
	if (m->nto == 0) {
		if (ms_buf_puts(&to, "undisclosed-recipients:;") == -1)
			goto oom;
	}
	for (i = 0; i < m->nto; i++)
		if (ms_buf_printf(&to, "%s%s", i > 0 ? ", " : "",
		    m->to[i]) == -1)
			goto oom;
	if (mime_header_raw(out, "Date", date) == -1 ||
	    from_header(out, m->from_name, m->from) == -1 ||
	    mime_header_raw(out, "To", to.data) == -1 ||
	    mime_header(out, "Subject", m->subject) == -1 ||
	    (m->message_id != NULL &&
	    mime_header_raw(out, "Message-ID", m->message_id) == -1) ||
	    mime_header_raw(out, "MIME-Version", "1.0") == -1 ||
	    ms_buf_printf(out, "Content-Type: multipart/alternative;\r\n"
	    " boundary=\"%s\"\r\n", m->boundary) == -1 ||
	    mime_header_raw(out, "Auto-Submitted", "auto-generated") == -1 ||
	    ms_buf_printf(out, "\r\nThis is a MIME message: your mail reader "
	    "shows one of its parts.\r\n\r\n--%s\r\n", m->boundary) == -1 ||
	    ms_buf_puts(out, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n") == -1 ||
	    mime_qp(out, m->text, m->text_len) == -1 ||
	    ms_buf_printf(out, "--%s\r\n", m->boundary) == -1 ||
	    ms_buf_puts(out, "Content-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n") == -1 ||
	    mime_qp(out, m->html, m->html_len) == -1 ||
	    ms_buf_printf(out, "--%s--\r\n", m->boundary) == -1)
		goto oom;
	ms_buf_free(&to);
	return 0;
oom:
	ms_buf_free(&to);
	return ms_err_set(e, "out of memory");
}
