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

#include "config.h"
#include "embed.h"
#include "log.h"

static const struct {
	const char *key;
	const char *def;
	int secret;
} known[] = {
	{ "MACSCAN_SUBNETS", "(the local subnets)", 0 },
	{ "MACSCAN_DIR", "/var/lib/macscan", 0 },
	{ "MACSCAN_KEEP", "5", 0 },
	{ "SSH_USERNAME", "(the current user)", 0 },
	{ "SSH_KEY", "", 0 },
	{ "SSH_PASSWORD", "", 1 },
	{ "GMAIL_USER", "", 0 },
	{ "GMAIL_APP_PASSWORD", "", 1 },
	{ "SMTP_URL", "", 0 },
	{ "SMTP_USER", "", 0 },
	{ "SMTP_PASSWORD", "", 1 },
	{ "SMTP_CA_FILE", "", 0 },
	{ "SMTP_TLS", "on", 0 },
	{ "MAIL_FROM", "", 0 },
	{ "ALERT_RECIPIENTS", "", 0 },
	{ "ALERT_DISK_CRITICAL_GB", "15", 0 },
	{ "ALERT_DISK_WARN_GB", "30", 0 },
	{ "ALERT_BATTERY_LOW_PERCENT", "30", 0 },
	{ "ALERT_REPEAT_HOURS", "24", 0 },
	{ "ALERT_BACKUP_DAYS", "7", 0 },
	{ "ALERT_UPDATES_DAYS", "14", 0 },
	{ "ALERT_OFFLINE_DAYS", "off", 0 },
	{ "CLEANUP_SCHEDULE_DAY", "friday", 0 },
	{ "CLEANUP_SCHEDULE_TIME", "16:00", 0 },
	{ "MACSCAN_LANG", "fr", 0 },
	{ "MACHTTP_LISTEN", "127.0.0.1:8000", 0 },
	{ "MACHTTP_USER", "", 0 },
	{ "MACHTTP_PASSWORD", "", 1 },
	{ "MACHTTP_TOKEN", "", 1 },
	{ "MACHTTP_INSTALLERS", SHAREDIR "/installers", 0 },
	{ "MACHTTP_HOSTS", "", 0 },
	{ "MACHTTP_ALLOW_OPEN", "no", 0 },
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-c conf] check | get key [default] | "
	    "show | example\n", ms_progname);
	exit(2);
}

static int
is_secret(const char *key)
{
	size_t i, n = strlen(key);

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].secret && strcmp(known[i].key, key) == 0)
			return 1;
	/* Anything that looks like a secret is treated as one. */
	return (n >= 8 && strcmp(key + n - 8, "PASSWORD") == 0) ||
	    (n >= 5 && strcmp(key + n - 5, "TOKEN") == 0);
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
			die(3, "the example configuration is not built in");
		fwrite(s, 1, len, stdout);
		close_stdout();
		return 0;
	}
	if ((c = config_load(path, path != NULL, &e)) == NULL)
		die(3, "%s", e.msg);
	if (strcmp(cmd, "check") == 0) {
		if (argc != 1)
			usage();
		printf("%s: ok, %zu variables\n", config_path(c),
		    config_count(c));
	} else if (strcmp(cmd, "get") == 0) {
		const char *v;

		if (argc < 2 || argc > 3)
			usage();
		if (is_secret(argv[1]))
			die(2, "%s: secrets are not printed", argv[1]);
		v = config_get(c, argv[1]);
		if (v == NULL && argc == 3)
			v = argv[2];
		if (v == NULL) {
			config_free(c);
			return 1;
		}
		printf("%s\n", v);
	} else if (strcmp(cmd, "show") == 0) {
		if (argc != 1)
			usage();
		printf("# %s\n", config_path(c));
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			show_one(c, known[i].key, known[i].def);
		for (i = 0; i < config_count(c); i++) {
			const char *k = config_key(c, i);
			size_t j;

			for (j = 0; j < sizeof(known) / sizeof(known[0]); j++)
				if (strcmp(known[j].key, k) == 0)
					break;
			if (j == sizeof(known) / sizeof(known[0]))
				show_one(c, k, "");
		}
	} else {
		usage();
	}
	config_free(c);
	close_stdout();
	return 0;
}
