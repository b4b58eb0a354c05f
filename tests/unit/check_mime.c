/*
 * check_mime.c - lib/mime, the message macalert sends: exact headers,
 * RFC 2047, quoted-printable, header injection, addresses, the Date in a
 * non-C locale.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mime.h"
#include "unit.h"

#define T0 1700000000	/* 2023-11-14T22:13:20Z */

static void
setup(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static int
lines_ok(const char *s, size_t max)
{
	const char *p = s, *nl;

	while ((nl = strstr(p, "\r\n")) != NULL) {
		if ((size_t)(nl - p) > max)
			return 0;
		if (memchr(p, '\n', (size_t)(nl - p)) != NULL ||
		    memchr(p, '\r', (size_t)(nl - p)) != NULL)
			return 0;
		p = nl + 2;
	}
	return *p == '\0';
}

static char *
header_value(const char *h)
{
	const char *c = strchr(h, ':');
	struct ms_err e;
	char *v;
	size_t n = strlen(c + 1);

	/* Without the final CRLF. */
	ck_assert(n >= 2);
	v = mime_header_decode(c + 1, n - 2, &e);
	ck_assert_ptr_nonnull(v);
	return v;
}

START_TEST(rfc2047)
{
	struct ms_buf b = { 0 };
	const char *subj = "[macscan] Disque critique : MacBook de Zoé "
	    "(4,2 Go), mac-bob (12 Go)";
	char *v, *p;

	ck_assert_int_eq(mime_header(&b, "Subject", subj), 0);
	ck_assert_str_eq(b.data, "Subject: =?UTF-8?Q?=5Bmacscan=5D_Disque_"
	    "critique_=3A_MacBook_de_Zo=C3=A9_=28?=\r\n"
	    " =?UTF-8?Q?4=2C2_Go=29=2C_mac-bob_=2812_Go=29?=\r\n");
	ck_assert(lines_ok(b.data, MIME_LINE_MAX));
	v = header_value(b.data);
	ck_assert_str_eq(v, subj);
	free(v);
	ms_buf_reset(&b);

	/* Plain ASCII stays readable and folds at blanks. */
	ck_assert_int_eq(mime_header(&b, "Subject", "[macscan] Disk critical: "
	    "mac-alice (4.2 GB left), mac-bob (12 GB left) and 1 more"), 0);
	ck_assert_str_eq(b.data, "Subject: [macscan] Disk critical: mac-alice "
	    "(4.2 GB left), mac-bob (12 GB\r\n left) and 1 more\r\n");
	ms_buf_reset(&b);

	/* Long text of 2- and 3-byte characters: words <= 75 and cut on
	 * character boundaries. */
	ck_assert_int_eq(mime_header(&b, "Subject", "ééééééééééééééééééééé"
	    "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€ àéîõü"), 0);
	ck_assert(lines_ok(b.data, MIME_LINE_MAX));
	for (p = b.data; (p = strstr(p, "=?")) != NULL; ) {
		char *q = strstr(p, "?=");
		const char *w;

		ck_assert_ptr_nonnull(q);
		ck_assert((size_t)(q + 2 - p) <= MIME_WORD_MAX);
		/* A word never ends inside a character: its last byte is
		 * not a lead byte or continuation left open. */
		w = q - 3;
		if (w[0] == '=')
			ck_assert(!(strtol(w + 1, NULL, 16) >= 0xc0));
		p = q + 2;
	}
	v = header_value(b.data);
	ck_assert_str_eq(v, "ééééééééééééééééééééé"
	    "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€ àéîõü");
	free(v);
	ms_buf_reset(&b);

	/* Text that looks like an encoded word is encoded itself. */
	ck_assert_int_eq(mime_header(&b, "Subject", "=?UTF-8?Q?x?="), 0);
	v = header_value(b.data);
	ck_assert_str_eq(v, "=?UTF-8?Q?x?=");
	free(v);
	ms_buf_free(&b);

	/* Decoding B words and blanks between words. */
	v = mime_header_decode(" =?utf-8?B?w6k=?= =?UTF-8?Q?a_b?= c", 35,
	    NULL);
	ck_assert_str_eq(v, "éa b c");
	free(v);
}
END_TEST

START_TEST(injection)
{
	struct ms_buf b = { 0 };
	char *v;

	ck_assert_int_eq(mime_header(&b, "Subject", "x\r\nBcc: a@b.c\nTo: "
	    "d@e.f\r\n\r\nbody"), 0);
	ck_assert_str_eq(b.data, "Subject: x  Bcc: a@b.c To: d@e.f    body"
	    "\r\n");
	ms_buf_reset(&b);
	/* Non-ASCII with line breaks, tabs, NUL-free controls, U+2028,
	 * a bidi override and invalid UTF-8. */
	ck_assert_int_eq(mime_header(&b, "Subject", "é\r\nBcc: x\x01\x7f"
	    "\xc2\x85\xe2\x80\xa8\xe2\x80\xae\xff"), 0);
	ck_assert(lines_ok(b.data, MIME_LINE_MAX));
	ck_assert_ptr_null(strstr(b.data, "\r\nBcc"));
	v = header_value(b.data);
	ck_assert_str_eq(v, "é  Bcc: x     \xef\xbf\xbd");
	free(v);
	ms_buf_reset(&b);
	v = mime_clean("a\tb\nc", 5);
	ck_assert_str_eq(v, "a b c");
	free(v);
	ms_buf_free(&b);
}
END_TEST

START_TEST(qp)
{
	struct ms_buf b = { 0 };
	struct ms_err e;
	char *d, line[300];
	size_t n, i;

	ck_assert_int_eq(mime_qp(&b, "Café = bon \n.dot\nFrom me\ttab\t\n",
	    31), 0);
	ck_assert_str_eq(b.data, "Caf=C3=A9 =3D bon=20\r\n=2Edot\r\n"
	    "=46rom me\ttab=09\r\n");
	d = mime_qp_decode(b.data, b.len, &n, &e);
	ck_assert_str_eq(d, "Café = bon \n.dot\nFrom me\ttab\t\n");
	free(d);
	ms_buf_reset(&b);
	/* Long lines break softly at 76. */
	for (i = 0; i < sizeof(line) - 1; i++)
		line[i] = i % 7 == 0 ? '=' : i % 5 == 0 ? '.' : 'x';
	line[sizeof(line) - 1] = '\0';
	ck_assert_int_eq(mime_qp(&b, line, strlen(line)), 0);
	ck_assert(lines_ok(b.data, MIME_QP_MAX));
	d = mime_qp_decode(b.data, b.len, &n, &e);
	ck_assert_uint_eq(n, strlen(line) + 1);
	ck_assert_int_eq(memcmp(d, line, n - 1), 0);
	ck_assert_int_eq(d[n - 1], '\n');
	free(d);
	ms_buf_free(&b);
	ck_assert_ptr_null(mime_qp_decode("a=4", 3, &n, &e));
}
END_TEST

START_TEST(addresses)
{
	struct ms_err e;
	char **v;
	size_t n;

	ck_assert(mime_addr_valid("it@example.com"));
	ck_assert(mime_addr_valid("first.last+tag@sub.example.co"));
	ck_assert(mime_addr_valid("root@localhost"));
	ck_assert(!mime_addr_valid("it@example.com\r\nBcc: x@y"));
	ck_assert(!mime_addr_valid("Name <it@example.com>"));
	ck_assert(!mime_addr_valid("a..b@example.com"));
	ck_assert(!mime_addr_valid("a@-example.com"));
	ck_assert(!mime_addr_valid("a@example..com"));
	ck_assert(!mime_addr_valid("@example.com"));
	ck_assert(!mime_addr_valid("a b@example.com"));
	ck_assert(!mime_addr_valid("é@example.com"));
	ck_assert_int_eq(mime_addr_list(" a@x.org, b@y.org ,,c@z.org", &v, &n,
	    &e), 0);
	ck_assert_int_eq((int)n, 3);
	ck_assert_str_eq(v[1], "b@y.org");
	mime_addrs_free(v, n);
	ck_assert_int_eq(mime_addr_list("a@x.org, bad\nx", &v, &n, &e), -1);
	ck_assert_str_eq(e.msg, "not a plain address: 'bad x' (expected "
	    "user@example.com)");
	ck_assert_int_eq(mime_addr_list(" , ", &v, &n, &e), -1);
}
END_TEST

START_TEST(message)
{
	static const char *to[] = { "it@example.com", "boss@example.org" };
	struct ms_buf b = { 0 };
	struct ms_err e;
	struct mime_msg m;
	unsigned char rnd[4] = { 0xde, 0xad, 0xbe, 0xef };
	char id[128];
	const char *expect;

	ck_assert_int_eq(mime_message_id(id, sizeof(id), T0, rnd, 4,
	    "example.com"), 0);
	ck_assert_str_eq(id, "<20231114T221320Z.deadbeef@example.com>");
	ck_assert_int_eq(mime_message_id(id, 10, T0, rnd, 4, "example.com"),
	    -1);
	memset(&m, 0, sizeof(m));
	m.date = T0;
	m.from = "macscan@example.com";
	m.from_name = "macscan";
	m.to = (char *const *)to;
	m.nto = 2;
	m.subject = "[macscan] Résolu : mac-alice (45 Go libres)";
	m.message_id = id;
	m.boundary = "=_b";
	m.text = "Texte\n";
	m.text_len = 6;
	m.html = "<p>é</p>";
	m.html_len = strlen(m.html);
	ck_assert_int_eq(mime_message_id(id, sizeof(id), T0, rnd, 4,
	    "example.com"), 0);
	ck_assert_int_eq(mime_build(&b, &m, &e), 0);
	expect = "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	    "From: \"macscan\" <macscan@example.com>\r\n"
	    "To: it@example.com, boss@example.org\r\n"
	    "Subject: =?UTF-8?Q?=5Bmacscan=5D_R=C3=A9solu_=3A_mac-alice_=2845_"
	    "Go_libres?=\r\n =?UTF-8?Q?=29?=\r\n"
	    "Message-ID: <20231114T221320Z.deadbeef@example.com>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative;\r\n boundary=\"=_b\"\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "\r\n"
	    "This is a MIME message: your mail reader shows one of its parts."
	    "\r\n\r\n"
	    "--=_b\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "Texte\r\n"
	    "--=_b\r\n"
	    "Content-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "<p>=C3=A9</p>\r\n"
	    "--=_b--\r\n";
	ck_assert_str_eq(b.data, expect);
	ck_assert(lines_ok(b.data, MIME_LINE_MAX));
	ms_buf_reset(&b);
	/* No recipients (a preview); a display name to encode. */
	m.nto = 0;
	m.from_name = "Parc de Mac – Zoé";
	ck_assert_int_eq(mime_build(&b, &m, &e), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "\r\nTo: undisclosed-recipients:;"
	    "\r\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "\r\nFrom: =?UTF-8?Q?Parc_de_Mac_"
	    "=E2=80=93_Zo=C3=A9?= <macscan@example.com>\r\n"));
	ms_buf_reset(&b);
	/* Bad input is refused. */
	m.from = "x\r\n@y";
	ck_assert_int_eq(mime_build(&b, &m, &e), -1);
	m.from = "macscan@example.com";
	m.boundary = "a\"b";
	ck_assert_int_eq(mime_build(&b, &m, &e), -1);
	m.boundary = "=_b";
	m.text = "\xff";
	m.text_len = 1;
	ck_assert_int_eq(mime_build(&b, &m, &e), -1);
	ms_buf_free(&b);
}
END_TEST

/*
 * A non-C locale: fr_FR.UTF-8 if the system has it, else one built with
 * localedef into a temporary directory (LOCPATH). 1 if set.
 */
static int
french_locale(char *dir, size_t len)
{
	char cmd[512];

	dir[0] = '\0';
	if (setlocale(LC_ALL, "fr_FR.UTF-8") != NULL)
		return 1;
	snprintf(dir, len, "%s/check_mime.XXXXXX", getenv("TMPDIR") != NULL ?
	    getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 0;
	snprintf(cmd, sizeof(cmd), "localedef -i fr_FR -f UTF-8 "
	    "%s/fr_FR.UTF-8 >/dev/null 2>&1", dir);
	if (system(cmd) != 0)
		return 0;
	setenv("LOCPATH", dir, 1);
	return setlocale(LC_ALL, "fr_FR.UTF-8") != NULL;
}

START_TEST(date_locale)
{
	char buf[MIME_DATE_LEN], loc[64], dir[256], cmd[300];
	struct tm tm;
	time_t t = T0;
	int have;

	have = french_locale(dir, sizeof(dir));
	if (have) {
		/* The locale is really in force: strftime says "mar.". */
		gmtime_r(&t, &tm);
		strftime(loc, sizeof(loc), "%a %b", &tm);
		ck_assert_str_ne(loc, "Tue Nov");
	} else
		fprintf(stderr, "check_mime: no French locale, the Date "
		    "is checked in C only\n");
	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_str_eq(mime_date(T0, buf), "Tue, 14 Nov 2023 22:13:20 +0000");
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	ck_assert_str_eq(mime_date(T0, buf), "Tue, 14 Nov 2023 23:13:20 +0100");
	ck_assert_str_eq(mime_date(1690000000, buf),
	    "Sat, 22 Jul 2023 06:26:40 +0200");
	setenv("TZ", "America/St_Johns", 1);
	tzset();
	ck_assert_str_eq(mime_date(T0, buf), "Tue, 14 Nov 2023 18:43:20 -0330");
	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_str_eq(mime_date(951782400, buf),
	    "Tue, 29 Feb 2000 00:00:00 +0000");
	setlocale(LC_ALL, "C");
	if (dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc;

	tc = tcase_create("mime");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, rfc2047);
	tcase_add_test(tc, injection);
	tcase_add_test(tc, qp);
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, message);
	tcase_add_test(tc, date_locale);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
