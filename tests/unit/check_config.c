#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"

/* A fresh directory per test, removed by rm -rf at the end. */
static char dir[256];

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/check_config.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	unsetenv("MSTEST_K");
	unsetenv("MSTEST_N");
	unsetenv("MSTEST_PW");
	unsetenv("MSTEST_PW_FILE");
	unsetenv("MACSCAN_CONF");
}

/* Write n bytes to dir/name; the path goes to path. */
static void
put(const char *name, const char *data, size_t n, char *path, size_t psz)
{
	FILE *fp;

	snprintf(path, psz, "%s/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
	ck_assert_int_eq(fclose(fp), 0);
}

static struct config *
parse(const char *s)
{
	struct config *c;
	struct ms_err e = { "" };

	c = config_parse_buf(s, strlen(s), "t.conf", &e);
	ck_assert_msg(c != NULL, "%s", e.msg);
	return c;
}

static void
parse_bad(const char *s, size_t n, const char *msg)
{
	struct ms_err e = { "" };

	ck_assert_msg(config_parse_buf(s, n, "t.conf", &e) == NULL,
	    "accepted '%s'", s);
	ck_assert_str_eq(e.msg, msg);
}

#define BAD(s, msg) parse_bad((s), sizeof(s) - 1, (msg))

START_TEST(values)
{
	struct config *c = parse(
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "  # an indented comment\n"
	    "PLAIN=value\n"
	    "SPACED = hello world   \n"
	    "GMAIL_APP_PASSWORD=abcd efgh ijkl mnop\n"
	    "GMAIL_Q=\"abcd efgh ijkl mnop\"\n"
	    "DQ=\"a \\\"b\\\" \\\\ c\\nd\"\n"
	    "DQ_OTHER=\"C:\\path\\to\"\n"
	    "SQ='lit\\n # \"x\" \\'\n"
	    "UNQ=abc # a comment\n"
	    "UNQ_TAB=abc\t# a comment\n"
	    "UNQ_HASH=abc#def\n"
	    "UNQ_LEAD=#x\n"
	    "UNQ_BLANK= #x\n"
	    "HASHQ=\"a # b\" # c\n"
	    "HASHS='a # b'#c\n"
	    "QSPACE='x'   \n"
	    "EMPTY=\n"
	    "EMPTYQ=\"\"\n"
	    "EMPTYS=''\n"
	    "TABS=\tv\t\n"
	    "INNERQ=ab\"cd'ef\n"
	    "EQ=b=c\n"
	    "export EXP=1\n"
	    "export\tEXP2 = two\n"
	    "export=5\n"
	    "lower_case=1\n"
	    "_U9=2\n"
	    "LAST=no newline");

	ck_assert_str_eq(config_get(c, "PLAIN"), "value");
	ck_assert_str_eq(config_get(c, "SPACED"), "hello world");
	ck_assert_str_eq(config_get(c, "GMAIL_APP_PASSWORD"),
	    "abcd efgh ijkl mnop");
	ck_assert_str_eq(config_get(c, "GMAIL_Q"), "abcd efgh ijkl mnop");
	ck_assert_str_eq(config_get(c, "DQ"), "a \"b\" \\ c\nd");
	ck_assert_str_eq(config_get(c, "DQ_OTHER"), "C:\\path\\to");
	ck_assert_str_eq(config_get(c, "SQ"), "lit\\n # \"x\" \\");
	ck_assert_str_eq(config_get(c, "UNQ"), "abc");
	ck_assert_str_eq(config_get(c, "UNQ_TAB"), "abc");
	ck_assert_str_eq(config_get(c, "UNQ_HASH"), "abc#def");
	ck_assert_str_eq(config_get(c, "UNQ_LEAD"), "#x");
	ck_assert_str_eq(config_get(c, "UNQ_BLANK"), "");
	ck_assert_str_eq(config_get(c, "HASHQ"), "a # b");
	ck_assert_str_eq(config_get(c, "HASHS"), "a # b");
	ck_assert_str_eq(config_get(c, "QSPACE"), "x");
	ck_assert_str_eq(config_get(c, "EMPTY"), "");
	ck_assert_str_eq(config_get(c, "EMPTYQ"), "");
	ck_assert_str_eq(config_get(c, "EMPTYS"), "");
	ck_assert_str_eq(config_get(c, "TABS"), "v");
	ck_assert_str_eq(config_get(c, "INNERQ"), "ab\"cd'ef");
	ck_assert_str_eq(config_get(c, "EQ"), "b=c");
	ck_assert_str_eq(config_get(c, "EXP"), "1");
	ck_assert_str_eq(config_get(c, "EXP2"), "two");
	ck_assert_str_eq(config_get(c, "export"), "5");
	ck_assert_str_eq(config_get(c, "lower_case"), "1");
	ck_assert_str_eq(config_get(c, "_U9"), "2");
	ck_assert_str_eq(config_get(c, "LAST"), "no newline");
	ck_assert_ptr_null(config_get(c, "MISSING_KEY_XYZ"));
	ck_assert_ptr_null(config_get(c, "a"));
	ck_assert_ptr_null(config_get(c, NULL));
	ck_assert_str_eq(config_get_default(c, "EMPTY", "def"), "def");
	ck_assert_str_eq(config_get_default(c, "MISSING_KEY_XYZ", "def"),
	    "def");
	ck_assert_str_eq(config_get_default(c, "PLAIN", "def"), "value");
	ck_assert_uint_eq(config_count(c), 27);
	ck_assert_str_eq(config_key(c, 0), "PLAIN");
	ck_assert_str_eq(config_key(c, 1), "SPACED");
	ck_assert_str_eq(config_key(c, 26), "LAST");
	ck_assert_ptr_null(config_key(c, 27));
	ck_assert_uint_eq(config_line(c, "PLAIN"), 5);
	ck_assert_uint_eq(config_line(c, "LAST"), 31);
	ck_assert_uint_eq(config_line(c, "NOPE"), 0);
	ck_assert_str_eq(config_path(c), "t.conf");
	config_free(c);
}
END_TEST

START_TEST(duplicates)
{
	struct config *c = parse("A=1\nB=2\nA=3\n");

	ck_assert_str_eq(config_get(c, "A"), "3");
	ck_assert_uint_eq(config_count(c), 2);
	ck_assert_str_eq(config_key(c, 0), "A");
	ck_assert_str_eq(config_key(c, 1), "B");
	ck_assert_uint_eq(config_line(c, "A"), 3);
	config_free(c);
}
END_TEST

START_TEST(errors)
{
	BAD("A=1\nnoequals\n",
	    "t.conf:2: no '=' in this line (expected KEY=VALUE)");
	BAD("export FOO\n",
	    "t.conf:1: no '=' in this line (expected KEY=VALUE)");
	BAD("1A=x\n", "t.conf:1: bad key (column 1): a key is letters, "
	    "digits and '_', not starting with a digit");
	BAD("FOO-BAR=x\n", "t.conf:1: bad key (column 4): a key is letters, "
	    "digits and '_', not starting with a digit");
	BAD("FOO BAR=x\n", "t.conf:1: bad key (column 4): a key is letters, "
	    "digits and '_', not starting with a digit");
	BAD("  $X=1\n", "t.conf:1: bad key (column 3): a key is letters, "
	    "digits and '_', not starting with a digit");
	BAD("=x\n", "t.conf:1: empty key before '='");
	BAD("K=\"abc\n", "t.conf:1: unterminated double quote (opened at "
	    "column 3)");
	BAD("K='abc\n", "t.conf:1: unterminated single quote (opened at "
	    "column 3)");
	BAD("K = \"abc\\\"\n", "t.conf:1: unterminated double quote (opened "
	    "at column 5)");
	BAD("K=\"multi\nline\"\n", "t.conf:1: unterminated double quote "
	    "(opened at column 3)");
	BAD("K=\"abc\" x\n", "t.conf:1: unexpected text after the closing "
	    "quote (column 9)");
	BAD("K='abc'x\n", "t.conf:1: unexpected text after the closing quote "
	    "(column 8)");
	BAD("K=\"a\"\"b\"\n", "t.conf:1: unexpected text after the closing "
	    "quote (column 6)");
	BAD("A=1\nB=x\0y\n", "t.conf:2: NUL byte in line");
	/* The first error is the one reported, and nothing is applied. */
	BAD("A=1\nbad one\nalso bad\n",
	    "t.conf:2: no '=' in this line (expected KEY=VALUE)");
}
END_TEST

START_TEST(errors_hide_values)
{
	static const char *bad[] = { "PASSWORD=\"hunter2\n",
	    "PASSWORD='hunter2\n", "PASSWORD=\"x\"hunter2\n", "hunter2\n",
	    "hunter 2=x\n" };
	struct ms_err e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_null(config_parse_buf(bad[i], strlen(bad[i]),
		    "t.conf", &e));
		ck_assert_msg(strstr(e.msg, "hunter") == NULL, "%s", e.msg);
	}
}
END_TEST

START_TEST(line_length)
{
	size_t n = 2 + CONFIG_MAXLINE + 1;
	char *s = malloc(n + 1);
	struct config *c;
	struct ms_err e;

	ck_assert_ptr_nonnull(s);
	/* A line of exactly CONFIG_MAXLINE bytes (CRLF not counted). */
	memcpy(s, "K=", 2);
	memset(s + 2, 'v', CONFIG_MAXLINE - 2);
	memcpy(s + CONFIG_MAXLINE, "\r\n", 2);
	c = config_parse_buf(s, CONFIG_MAXLINE + 2, "t.conf", &e);
	ck_assert_msg(c != NULL, "%s", e.msg);
	ck_assert_uint_eq(strlen(config_get(c, "K")), CONFIG_MAXLINE - 2);
	config_free(c);
	/* One more byte is too many. */
	memcpy(s, "\nK=", 3);
	memset(s + 3, 'v', CONFIG_MAXLINE - 1);
	s[n - 1] = '\n';
	ck_assert_ptr_null(config_parse_buf(s, n, "t.conf", &e));
	ck_assert_str_eq(e.msg, "t.conf:2: line longer than 16384 bytes");
	free(s);
}
END_TEST

START_TEST(crlf_and_bom)
{
	struct config *c = parse("\xef\xbb\xbf" "A=1\r\n"
	    "B=\"x y\"\r\n"
	    "C='z' # c\r\n"
	    "D=a\rb\r\n"
	    "\r\n"
	    "# c\r\n"
	    "E=last\r");

	ck_assert_str_eq(config_get(c, "A"), "1");
	ck_assert_str_eq(config_get(c, "B"), "x y");
	ck_assert_str_eq(config_get(c, "C"), "z");
	/* A CR inside a line is kept: only the one before LF goes. */
	ck_assert_str_eq(config_get(c, "D"), "a\rb");
	ck_assert_str_eq(config_get(c, "E"), "last");
	ck_assert_uint_eq(config_count(c), 5);
	ck_assert_str_eq(config_key(c, 0), "A");
	config_free(c);
}
END_TEST

START_TEST(invalid_utf8)
{
	/* Values are bytes: kept as they are, invalid UTF-8 included. */
	struct config *c = parse("P=\xff\xfe" "ab\n"
	    "Q=\"\xc3\x28\"\n"
	    "R='\xe2\x82'\n"
	    "S=caf\xc3\xa9\n");

	ck_assert_str_eq(config_get(c, "P"), "\xff\xfe" "ab");
	ck_assert_str_eq(config_get(c, "Q"), "\xc3\x28");
	ck_assert_str_eq(config_get(c, "R"), "\xe2\x82");
	ck_assert_str_eq(config_get(c, "S"), "caf\xc3\xa9");
	config_free(c);
	/* A key is ASCII: a non-ASCII byte there is a bad key. */
	BAD("K\xc3\xa9=1\n", "t.conf:1: bad key (column 2): a key is "
	    "letters, digits and '_', not starting with a digit");
}
END_TEST

START_TEST(env_wins)
{
	struct config *c = parse("MSTEST_K=file\nMSTEST_N=42\n");

	ck_assert_str_eq(config_get(c, "MSTEST_K"), "file");
	ck_assert_int_eq(setenv("MSTEST_K", "env", 1), 0);
	ck_assert_str_eq(config_get(c, "MSTEST_K"), "env");
	ck_assert_str_eq(config_get_default(c, "MSTEST_K", "d"), "env");
	ck_assert_str_eq(config_get(NULL, "MSTEST_K"), "env");
	/* Set to "" in the environment still wins, and means unset. */
	ck_assert_int_eq(setenv("MSTEST_K", "", 1), 0);
	ck_assert_str_eq(config_get(c, "MSTEST_K"), "");
	ck_assert_str_eq(config_get_default(c, "MSTEST_K", "d"), "d");
	ck_assert_int_eq(unsetenv("MSTEST_K"), 0);
	ck_assert_str_eq(config_get(c, "MSTEST_K"), "file");
	ck_assert_ptr_null(config_get(NULL, "MSTEST_K"));
	config_free(c);
}
END_TEST

START_TEST(numbers)
{
	struct config *c = parse("MSTEST_N=42\nBAD=abc\nBIG=9999\nEMPTY=\n"
	    "NEG=-5\nSP=\" 5\"\n");
	struct ms_err e;
	long long v;

	ck_assert_int_eq(config_get_num(c, "MSTEST_N", 0, 100, 7, &v, &e), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(config_get_num(c, "NOPE", 0, 100, 7, &v, &e), 0);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(config_get_num(c, "EMPTY", 0, 100, 8, &v, &e), 0);
	ck_assert_int_eq(v, 8);
	ck_assert_int_eq(config_get_num(c, "NEG", -10, 10, 0, &v, &e), 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(config_get_num(c, "BAD", 0, 100, 7, &v, &e), -1);
	ck_assert_str_eq(e.msg, "t.conf:2: BAD is invalid: 'abc' (expected "
	    "0 to 100)");
	ck_assert_int_eq(config_get_num(c, "BIG", 1, 720, 24, &v, &e), -1);
	ck_assert_str_eq(e.msg, "t.conf:3: BIG is too large: '9999' "
	    "(expected 1 to 720)");
	ck_assert_int_eq(config_get_num(c, "NEG", 0, 10, 0, &v, &e), -1);
	ck_assert_str_eq(e.msg, "t.conf:5: NEG is too small: '-5' (expected "
	    "0 to 10)");
	ck_assert_int_eq(config_get_num(c, "SP", 0, 10, 0, &v, &e), -1);
	ck_assert_str_eq(e.msg, "t.conf:6: SP is invalid: ' 5' (expected 0 "
	    "to 10)");
	ck_assert_int_eq(setenv("MSTEST_N", "101", 1), 0);
	ck_assert_int_eq(config_get_num(c, "MSTEST_N", 0, 100, 7, &v, &e), -1);
	ck_assert_str_eq(e.msg, "environment: MSTEST_N is too large: '101' "
	    "(expected 0 to 100)");
	ck_assert_int_eq(setenv("MSTEST_N", "12", 1), 0);
	ck_assert_int_eq(config_get_num(c, "MSTEST_N", 0, 100, 7, &v, &e), 0);
	ck_assert_int_eq(v, 12);
	config_free(c);
}
END_TEST

START_TEST(secrets)
{
	char p1[300], p2[300], p3[300], p4[300], p5[300], conf[700];
	char big[CONFIG_MAXSECRET + 2], msg[1100], *s;
	struct config *c;
	struct ms_err e;

	put("pw", "s3cret pass\nsecond line\n", 24, p1, sizeof(p1));
	put("pwcrlf", "x y\r\nz\r\n", 8, p2, sizeof(p2));
	put("pwempty", "\nnot this\n", 10, p3, sizeof(p3));
	memset(big, 'p', sizeof(big));
	put("pwbig", big, CONFIG_MAXSECRET + 1, p4, sizeof(p4));
	put("pwmax", big, CONFIG_MAXSECRET, p5, sizeof(p5));

	/* Neither set: NULL and an empty message. */
	c = parse("OTHER=1\n");
	strcpy(e.msg, "junk");
	ck_assert_ptr_null(config_get_secret(c, "MSTEST_PW", &e));
	ck_assert_str_eq(e.msg, "");
	config_free(c);

	/* KEY in the file. */
	c = parse("MSTEST_PW=\"abcd efgh ijkl mnop\"\n");
	ck_assert_ptr_nonnull(s = config_get_secret(c, "MSTEST_PW", &e));
	ck_assert_str_eq(s, "abcd efgh ijkl mnop");
	ms_explicit_bzero(s, strlen(s));
	free(s);
	config_free(c);

	/* KEY_FILE in the file: the first line, without its newline. */
	snprintf(conf, sizeof(conf), "MSTEST_PW_FILE=%s\n", p1);
	c = parse(conf);
	ck_assert_ptr_nonnull(s = config_get_secret(c, "MSTEST_PW", &e));
	ck_assert_str_eq(s, "s3cret pass");
	free(s);
	/* KEY wins over KEY_FILE (both from the environment here). */
	ck_assert_int_eq(setenv("MSTEST_PW", "from env", 1), 0);
	ck_assert_ptr_nonnull(s = config_get_secret(c, "MSTEST_PW", &e));
	ck_assert_str_eq(s, "from env");
	free(s);
	ck_assert_int_eq(unsetenv("MSTEST_PW"), 0);
	/* The environment's KEY_FILE wins over the file's. */
	ck_assert_int_eq(setenv("MSTEST_PW_FILE", p2, 1), 0);
	ck_assert_ptr_nonnull(s = config_get_secret(c, "MSTEST_PW", &e));
	ck_assert_str_eq(s, "x y");
	free(s);
	ck_assert_int_eq(unsetenv("MSTEST_PW_FILE"), 0);
	config_free(c);

	/* The environment's KEY_FILE wins over the file's KEY. */
	c = parse("MSTEST_PW=in file\n");
	ck_assert_int_eq(setenv("MSTEST_PW_FILE", p1, 1), 0);
	ck_assert_ptr_nonnull(s = config_get_secret(c, "MSTEST_PW", &e));
	ck_assert_str_eq(s, "s3cret pass");
	free(s);
	ck_assert_int_eq(unsetenv("MSTEST_PW_FILE"), 0);
	/* An empty KEY in the environment hides the file's KEY. */
	ck_assert_int_eq(setenv("MSTEST_PW", "", 1), 0);
	strcpy(e.msg, "junk");
	ck_assert_ptr_null(config_get_secret(c, "MSTEST_PW", &e));
	ck_assert_str_eq(e.msg, "");
	ck_assert_int_eq(unsetenv("MSTEST_PW"), 0);
	config_free(c);

	/* Bad secret files. */
	c = parse("A=1\n");
	ck_assert_int_eq(setenv("MSTEST_PW_FILE", p3, 1), 0);
	ck_assert_ptr_null(config_get_secret(c, "MSTEST_PW", &e));
	snprintf(conf, sizeof(conf), "MSTEST_PW_FILE: %s: the first line is "
	    "empty", p3);
	ck_assert_str_eq(e.msg, conf);
	ck_assert_int_eq(setenv("MSTEST_PW_FILE", p4, 1), 0);
	ck_assert_ptr_null(config_get_secret(c, "MSTEST_PW", &e));
	snprintf(conf, sizeof(conf), "MSTEST_PW_FILE: %s: first line longer "
	    "than 4096 bytes", p4);
	ck_assert_str_eq(e.msg, conf);
	ck_assert_int_eq(setenv("MSTEST_PW_FILE", p5, 1), 0);
	ck_assert_ptr_nonnull(s = config_get_secret(c, "MSTEST_PW", &e));
	ck_assert_uint_eq(strlen(s), CONFIG_MAXSECRET);
	free(s);
	snprintf(conf, sizeof(conf), "%s/nope", dir);
	ck_assert_int_eq(setenv("MSTEST_PW_FILE", conf, 1), 0);
	ck_assert_ptr_null(config_get_secret(c, "MSTEST_PW", &e));
	snprintf(msg, sizeof(msg), "MSTEST_PW_FILE: %s: No such file or "
	    "directory", conf);
	ck_assert_str_eq(e.msg, msg);
	ck_assert_int_eq(setenv("MSTEST_PW_FILE", dir, 1), 0);
	ck_assert_ptr_null(config_get_secret(c, "MSTEST_PW", &e));
	snprintf(msg, sizeof(msg), "MSTEST_PW_FILE: %s: Is a directory", dir);
	ck_assert_str_eq(e.msg, msg);
	config_free(c);
}
END_TEST

START_TEST(secret_nul)
{
	char p[300];
	char *s;
	struct ms_err e;

	put("pwnul", "ab\0cd\n", 6, p, sizeof(p));
	ck_assert_int_eq(setenv("MSTEST_PW_FILE", p, 1), 0);
	ck_assert_ptr_null(s = config_get_secret(NULL, "MSTEST_PW", &e));
	ck_assert(strstr(e.msg, ": NUL byte in the first line") != NULL);
	/* No newline at the end is fine. */
	put("pwnonl", "abc", 3, p, sizeof(p));
	ck_assert_int_eq(setenv("MSTEST_PW_FILE", p, 1), 0);
	ck_assert_ptr_nonnull(s = config_get_secret(NULL, "MSTEST_PW", &e));
	ck_assert_str_eq(s, "abc");
	free(s);
}
END_TEST

START_TEST(load_files)
{
	char path[300], msg[600];
	struct config *c;
	struct ms_err e;
	const char *text = "# macscan\nSSH_USERNAME=admin\n"
	    "GMAIL_APP_PASSWORD=\"abcd efgh ijkl mnop\"\n";

	put("macscan.conf", text, strlen(text), path, sizeof(path));
	ck_assert_ptr_nonnull(c = config_load(path, 1, &e));
	ck_assert_str_eq(config_path(c), path);
	ck_assert_uint_eq(config_count(c), 2);
	ck_assert_str_eq(config_key(c, 0), "SSH_USERNAME");
	ck_assert_str_eq(config_key(c, 1), "GMAIL_APP_PASSWORD");
	ck_assert_str_eq(config_get(c, "GMAIL_APP_PASSWORD"),
	    "abcd efgh ijkl mnop");
	config_free(c);

	/* path NULL: $MACSCAN_CONF. */
	ck_assert_int_eq(setenv("MACSCAN_CONF", path, 1), 0);
	ck_assert_ptr_nonnull(c = config_load(NULL, 1, &e));
	ck_assert_str_eq(config_path(c), path);
	ck_assert_str_eq(config_get(c, "SSH_USERNAME"), "admin");
	config_free(c);

	/* A missing file: fine unless it must exist. */
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	ck_assert_ptr_nonnull(c = config_load(path, 0, &e));
	ck_assert_uint_eq(config_count(c), 0);
	ck_assert_str_eq(config_path(c), path);
	config_free(c);
	ck_assert_ptr_null(config_load(path, 1, &e));
	snprintf(msg, sizeof(msg), "%s: No such file or directory", path);
	ck_assert_str_eq(e.msg, msg);
	ck_assert_int_eq(setenv("MACSCAN_CONF", path, 1), 0);
	ck_assert_ptr_nonnull(c = config_load(NULL, 0, &e));
	ck_assert_str_eq(config_path(c), path);
	config_free(c);

	/* A directory is an error, must_exist or not. */
	ck_assert_ptr_null(config_load(dir, 0, &e));
	snprintf(msg, sizeof(msg), "%s: Is a directory", dir);
	ck_assert_str_eq(e.msg, msg);

	/* A syntax error names the file and line. */
	put("broken.conf", "A=1\nB=\"open\n", 12, path, sizeof(path));
	ck_assert_ptr_null(config_load(path, 0, &e));
	snprintf(msg, sizeof(msg), "%s:2: unterminated double quote (opened "
	    "at column 3)", path);
	ck_assert_str_eq(e.msg, msg);
}
END_TEST

START_TEST(default_path)
{
	struct config *c;
	struct ms_err e;

	ck_assert_int_eq(unsetenv("MACSCAN_CONF"), 0);
	c = config_load(NULL, 0, &e);
	/* Whatever this machine has there, the path is the default one. */
	if (c != NULL)
		ck_assert_str_eq(config_path(c), "/etc/macscan/macscan.conf");
	config_free(c);
	ck_assert_int_eq(setenv("MACSCAN_CONF", "", 1), 0);
	c = config_load(NULL, 0, &e);
	if (c != NULL)
		ck_assert_str_eq(config_path(c), "/etc/macscan/macscan.conf");
	config_free(c);
}
END_TEST

START_TEST(size_limit)
{
	size_t big = 2u << 20, max = CONFIG_MAXFILE;
	char *s = malloc(big), path[300], msg[600];
	struct config *c;
	struct ms_err e;
	size_t i;

	ck_assert_ptr_nonnull(s);
	/* Comment lines of 64 bytes, then a key at the very end. */
	for (i = 0; i < big; i += 64) {
		memset(s + i, ' ', 63);
		s[i] = '#';
		s[i + 63] = '\n';
	}
	memcpy(s + max - 6, "\nK=v\n", 5);
	s[max - 1] = '\n';
	put("2mib.conf", s, big, path, sizeof(path));
	ck_assert_ptr_null(config_load(path, 1, &e));
	snprintf(msg, sizeof(msg), "%s: file is larger than 1048576 bytes",
	    path);
	ck_assert_str_eq(e.msg, msg);
	ck_assert_ptr_null(config_parse_buf(s, max + 1, "t.conf", &e));
	ck_assert_str_eq(e.msg, "t.conf: file is larger than 1048576 bytes");

	/* Exactly 1 MiB is allowed. */
	put("1mib.conf", s, max, path, sizeof(path));
	ck_assert_ptr_nonnull(c = config_load(path, 1, &e));
	ck_assert_str_eq(config_get(c, "K"), "v");
	config_free(c);
	free(s);
}
END_TEST

START_TEST(too_many_keys)
{
	struct ms_buf b = { 0 };
	struct config *c;
	struct ms_err e;
	int i;

	for (i = 0; i < CONFIG_MAXKEYS; i++)
		ck_assert_int_eq(ms_buf_printf(&b, "K%d=%d\n", i, i), 0);
	ck_assert_ptr_nonnull(c = config_parse_buf(b.data, b.len, "t.conf",
	    &e));
	ck_assert_uint_eq(config_count(c), CONFIG_MAXKEYS);
	ck_assert_str_eq(config_get(c, "K4095"), "4095");
	config_free(c);
	/* Setting a key again is not a new key. */
	ck_assert_int_eq(ms_buf_puts(&b, "K0=again\nONE_MORE=x\n"), 0);
	ck_assert_ptr_null(config_parse_buf(b.data, b.len, "t.conf", &e));
	ck_assert_str_eq(e.msg, "t.conf:4098: more than 4096 keys");
	ms_buf_free(&b);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, values);
	tcase_add_test(tc, duplicates);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, errors_hide_values);
	tcase_add_test(tc, line_length);
	tcase_add_test(tc, crlf_and_bom);
	tcase_add_test(tc, invalid_utf8);
	tcase_add_test(tc, env_wins);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, secrets);
	tcase_add_test(tc, secret_nul);
	tcase_add_test(tc, load_files);
	tcase_add_test(tc, default_path);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, too_many_keys);
	suite_add_tcase(s, tc);
	return s;
}
