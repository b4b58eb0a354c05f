/*
 * macconf - read the macscan configuration the way every program does:
 * check it, print one value, or show them all with secrets hidden.
 * The macscan driver reads its settings through it instead of sourcing
 * the file, which a shell would run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "config.h"
#include "embed.h"
#include "exitcode.h"
#include "log.h"
#include "settings.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-c conf] check | get key [default] | "
	    "show | list | example\n", ms_progname);
	exit(MS_EXIT_USAGE);
}

static int
is_secret(const char *key)
{
	const struct setting *s = setting_find(key);
	size_t n = strlen(key);

	if (s != NULL)
		return (s->flags & SET_SECRET) != 0;
	/* Anything that looks like a secret is treated as one. */
	return (n >= 8 && strcmp(key + n - 8, "PASSWORD") == 0) ||
	    (n >= 5 && strcmp(key + n - 5, "TOKEN") == 0) ||
	    (n >= 6 && strcmp(key + n - 6, "SECRET") == 0);
}

/* What `show` prints for an unset variable of the table. */
static const char *
default_of(const struct setting *s, char *buf, size_t len)
{
	if (s->def != NULL)
		return s->def;
	if (s->defdoc != NULL) {
		snprintf(buf, len, "(%s)", s->defdoc);
		return buf;
	}
	return "";
}

static const char *
source(const struct config *c, const char *key)
{
	if (getenv(key) != NULL)
		return "environment";
	if (config_line(c, key) != 0)
		return "file";
	return "default";
}

static void
show_one(const struct config *c, const char *key, const char *def)
{
	const char *v = config_get(c, key);
	char fkey[128];

	if (is_secret(key)) {
		snprintf(fkey, sizeof(fkey), "%s_FILE", key);
		if (v != NULL && *v != '\0')
			printf("%s=(secret, %s)\n", key, source(c, key));
		else if (config_get(c, fkey) != NULL)
			printf("%s=(secret in %s)\n", key,
			    config_get(c, fkey));
		else
			printf("%s=(unset)\n", key);
		return;
	}
	if (v != NULL)
		printf("%s=%s (%s)\n", key, v, source(c, key));
	else if (*def != '\0')
		printf("%s=%s (default)\n", key, def);
	else
		printf("%s=(unset)\n", key);
}

/* 1 if the file of path can be read by users other than its owner and
 * group. */
static int
world_readable(const char *path, mode_t *mode)
{
	struct stat sb;

	if (stat(path, &sb) == -1)
		return 0;
	*mode = sb.st_mode & 07777;
	return (sb.st_mode & S_IROTH) != 0;
}

/*
 * The warnings of `check`: a variable of the file macscan does not know
 * (a typo), and secrets that others can read: the file itself when it
 * holds one, and each NAME_FILE. The number of warnings.
 */
static int
check_warnings(const struct config *c)
{
	const char *path = config_path(c), *held = NULL;
	char fkey[128];
	size_t i, n;
	int warned = 0;
	mode_t mode;

	for (i = 0; i < config_count(c); i++) {
		const char *k = config_key(c, i);
		const struct setting *s = setting_find(k);

		n = strlen(k);
		if (s == NULL && n > 5 && strcmp(k + n - 5, "_FILE") == 0) {
			snprintf(fkey, sizeof(fkey), "%.*s", (int)(n - 5), k);
			s = setting_find(fkey);
			if (s != NULL && !(s->flags & SET_SECRET))
				s = NULL;
		} else if (s != NULL && (s->flags & SET_SECRET) &&
		    held == NULL) {
			held = k;
		}
		if (s == NULL) {
			ms_warn("%s:%lu: %s is not a macscan variable",
			    path, config_line(c, k), k);
			warned++;
		}
	}
	if (held != NULL && world_readable(path, &mode)) {
		ms_warn("%s holds %s and others can read it (mode %04o): "
		    "chmod o-r %s", path, held, (unsigned)mode, path);
		warned++;
	}
	for (i = 0; i < settings_count; i++) {
		const char *f;

		if (!(settings[i].flags & SET_SECRET))
			continue;
		snprintf(fkey, sizeof(fkey), "%s_FILE", settings[i].name);
		if ((f = config_get(c, fkey)) != NULL && *f != '\0' &&
		    world_readable(f, &mode)) {
			ms_warn("%s (%s) can be read by others (mode %04o): "
			    "chmod o-r %s", f, fkey, (unsigned)mode, f);
			warned++;
		}
	}
	return warned;
}

static const char *
type_name(enum setting_type t)
{
	static const char *const names[] = { "string", "path", "int",
	    "bool", "enum", "lang", "time", "listen", "targets", "emails",
	    "url" };

	return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

int
main(int argc, char *argv[])
{
	struct config *c;
	struct ms_err e;
	const char *path = NULL, *cmd;
	size_t i;
	int ch;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "c:h")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cmd = argv[0];
	if (strcmp(cmd, "example") == 0) {
		size_t len;
		const char *s = embed_get("macscan.conf.example", &len);

		if (argc != 1)
			usage();
		if (s == NULL)
			die(MS_EXIT_SYSTEM, "the example configuration is not built in");
		fwrite(s, 1, len, stdout);
		close_stdout();
		return 0;
	}
	if (strcmp(cmd, "list") == 0) {
		if (argc != 1)
			usage();
		for (i = 0; i < settings_count; i++) {
			const struct setting *s = &settings[i];

			printf("%s\t%s\t%s\t%s\t%s\n", s->name,
			    type_name(s->type), s->def != NULL ? s->def :
			    "-", (s->flags & SET_SECRET) ? "secret" : "-",
			    s->doc);
		}
		close_stdout();
		return 0;
	}
	if ((c = settings_load(path, path != NULL, &e)) == NULL)
		die(MS_EXIT_USAGE, "%s", e.msg);
	if (strcmp(cmd, "check") == 0) {
		if (argc != 1)
			usage();
		check_warnings(c);
		printf("%s: ok, %zu variables\n", config_path(c),
		    config_count(c));
	} else if (strcmp(cmd, "get") == 0) {
		const char *v;

		if (argc < 2 || argc > 3)
			usage();
		if (is_secret(argv[1]))
			die(MS_EXIT_USAGE, "%s: secrets are not printed",
			    argv[1]);
		v = config_get(c, argv[1]);
		if (v != NULL && *v == '\0' && setting_find(argv[1]) != NULL)
			v = NULL;
		if (v == NULL)
			v = setting_str(c, argv[1]);
		if (v == NULL && argc == 3)
			v = argv[2];
		if (v == NULL) {
			config_free(c);
			return MS_EXIT_SOME;
		}
		printf("%s\n", v);
	} else if (strcmp(cmd, "show") == 0) {
		if (argc != 1)
			usage();
		printf("# %s\n", config_path(c));
		for (i = 0; i < settings_count; i++) {
			char buf[128];

			show_one(c, settings[i].name, default_of(&settings[i],
			    buf, sizeof(buf)));
		}
		for (i = 0; i < config_count(c); i++) {
			const char *k = config_key(c, i);

			if (setting_find(k) == NULL)
				show_one(c, k, "");
		}
	} else {
		usage();
	}
	config_free(c);
	close_stdout();
	return 0;
}
