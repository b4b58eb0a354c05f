/*
 * settings.c - see settings.h. The table is the one place a variable,
 * its default and its checks are written.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "escape.h"
#include "fmt.h"
#include "mime.h"
#include "settings.h"
#include "target.h"

#ifndef STATEDIR
#define STATEDIR "/var/lib/macscan"
#endif
#ifndef SHAREDIR
#define SHAREDIR "/usr/local/share/macscan"
#endif

#define I(min, max) min, max, NULL
#define NOI 0, 0, NULL

const struct setting settings[] = {
	/* What to scan. */
	{ "MACSCAN_SUBNETS", SET_TARGETS, NULL,
	    "the subnets of this machine's interfaces", NOI, 0,
	    "What macping sweeps: addresses, CIDR subnets, ranges, host "
	    "names." },
	{ "MACSCAN_DIR", SET_PATH, STATEDIR, NULL, NOI, 0,
	    "The store: snapshots, history, SSH host keys, alert state." },
	{ "MACSCAN_KEEP", SET_INT, "5", NULL, I(1, 10000), 0,
	    "Snapshots kept." },
	{ "MACSCAN_INTERVAL", SET_INT, "10", NULL, I(1, 1440), 0,
	    "Minutes between two scans (macscan schedule -w applies it)." },
	{ "USE_SSH", SET_BOOL, "true", NULL, NOI, 0,
	    "false: ping only, no SSH probe." },
	/* SSH. */
	{ "SSH_USERNAME", SET_STRING, NULL, "the current user", NOI, 0,
	    "The account macprobe and macnotify log in with." },
	{ "SSH_KEY", SET_PATH, NULL, "the agent, then ~/.ssh keys", NOI, 0,
	    "A private key file." },
	{ "SSH_PASSWORD", SET_STRING, NULL, NULL, NOI, SET_SECRET,
	    "The password, for password and keyboard-interactive login and "
	    "sudo." },
	{ "SSH_TIMEOUT", SET_INT, "15", NULL, I(1, 3600), 0,
	    "Seconds each Mac's session may take (the default of -t)." },
	{ "SSH_TRUST_NEW_HOSTS", SET_BOOL, "no", NULL, NOI, 0,
	    "yes: pin new hosts' keys at first contact and send them the "
	    "password (weaker)." },
	/* Email. */
	{ "GMAIL_USER", SET_STRING, NULL, NULL, NOI, 0,
	    "A Gmail sender: smtp.gmail.com port 587 with STARTTLS." },
	{ "GMAIL_APP_PASSWORD", SET_STRING, NULL, NULL, NOI, SET_SECRET,
	    "The Gmail app password (blanks are fine)." },
	{ "SMTP_URL", SET_URL, NULL, NULL, 0, 0, "smtp smtps", 0,
	    "Any other mail server: smtp://host:587 or smtps://host:465." },
	{ "SMTP_USER", SET_STRING, NULL, NULL, NOI, 0,
	    "The mail server's login." },
	{ "SMTP_PASSWORD", SET_STRING, NULL, NULL, NOI, SET_SECRET,
	    "The mail server's password." },
	{ "SMTP_CA_FILE", SET_PATH, NULL, NULL, NOI, 0,
	    "A CA certificate to trust besides the system's." },
	{ "SMTP_TLS", SET_BOOL, "on", NULL, NOI, 0,
	    "off only for a server on localhost that cannot do TLS." },
	{ "MAIL_FROM", SET_STRING, NULL, NULL, NOI, 0,
	    "The sender's address." },
	{ "ALERT_RECIPIENTS", SET_EMAILS, NULL, NULL, NOI, 0,
	    "Comma-separated addresses." },
	/* Thresholds. */
	{ "ALERT_DISK_CRITICAL_GB", SET_INT, "15", NULL, I(1, 1000000), 0,
	    "At or below this free space (decimal GB), a disk is critical." },
	{ "ALERT_DISK_WARN_GB", SET_INT, "30", NULL, I(1, 1000000), 0,
	    "At or below this free space, a disk is in the warning list." },
	{ "ALERT_BATTERY_LOW_PERCENT", SET_INT, "30", NULL, I(0, 100), 0,
	    "Below this charge, a battery is low." },
	{ "ALERT_REPEAT_HOURS", SET_INT, "24", NULL, I(1, 8760), 0,
	    "Hours before a machine still at risk is mentioned again." },
	/* Posture rules (lib/rules.h). */
	{ "ALERT_FILEVAULT", SET_BOOL, "yes", NULL, NOI, 0,
	    "Alert when FileVault is off or deferred." },
	{ "ALERT_FIREWALL", SET_BOOL, "no", NULL, NOI, 0,
	    "Alert when the application firewall is off." },
	{ "ALERT_BACKUP_DAYS", SET_INT, "7", NULL, I(0, 3650), 0,
	    "Alert when the last Time Machine backup is older than this many "
	    "days, or there never was one; 0: never." },
	{ "ALERT_SMART", SET_BOOL, "yes", NULL, NOI, 0,
	    "Alert when the internal disk's SMART status is failing." },
	{ "ALERT_BATTERY_CONDITION", SET_BOOL, "yes", NULL, NOI, 0,
	    "Alert when macOS says a battery needs service." },
	{ "ALERT_UPDATES_DAYS", SET_INT, "14", NULL, I(0, 3650), 0,
	    "Alert when updates have waited for a restart more than this "
	    "many days; 0: never." },
	{ "ALERT_IDENTITY_CONFLICT", SET_BOOL, "yes", NULL, NOI, 0,
	    "Alert when two machines claim one serial number." },
	{ "ALERT_OFFLINE_DAYS", SET_INT, "0", NULL, I(0, 3650), 0,
	    "Alert when a Mac has not been seen for more than this many "
	    "days; 0: never." },
	/* Chat and webhooks. */
	{ "SLACK_WEBHOOK_URL", SET_URL, NULL, NULL, 0, 0, "https http",
	    SET_SECRET, "A Slack incoming webhook: alerts as Block Kit "
	    "messages." },
	{ "TEAMS_WEBHOOK_URL", SET_URL, NULL, NULL, 0, 0, "https http",
	    SET_SECRET, "A Microsoft Teams Workflows webhook: alerts as "
	    "Adaptive Cards." },
	{ "WEBHOOK_URL", SET_URL, NULL, NULL, 0, 0, "https http",
	    SET_SECRET, "Any URL: alerts as macscan's JSON payload "
	    "(macalert(1))." },
	{ "WEBHOOK_CA_FILE", SET_PATH, NULL, NULL, NOI, 0,
	    "A CA certificate to trust besides the system's, for the "
	    "webhooks." },
	{ "WEBHOOK_TIMEOUT", SET_INT, "30", NULL, I(1, 600), 0,
	    "Seconds a webhook may take to answer." },
	/* Clean Desk. */
	{ "CLEANUP_SCHEDULE_DAY", SET_ENUM, "friday", NULL, 0, 0,
	    "monday tuesday wednesday thursday friday saturday sunday "
	    "mon tue wed thu fri sat sun", 0,
	    "The day of the Clean Desk reminder." },
	{ "CLEANUP_SCHEDULE_TIME", SET_TIME, "16:00", NULL, NOI, 0,
	    "The time of the Clean Desk reminder, HH:MM (or H:MM)." },
	{ "MACSCAN_LANG", SET_LANG, "fr", NULL, NOI, 0,
	    "The language of the messages and the reminder: fr or en." },
	/* Dashboard. */
	{ "MACHTTP_LISTEN", SET_LISTEN, "127.0.0.1:8000", NULL, NOI, 0,
	    "The dashboard's address and port." },
	{ "MACHTTP_USER", SET_STRING, NULL, NULL, NOI, 0,
	    "The dashboard's Basic auth user." },
	{ "MACHTTP_PASSWORD", SET_STRING, NULL, NULL, NOI, SET_SECRET,
	    "The dashboard's Basic auth password." },
	{ "MACHTTP_TOKEN", SET_STRING, NULL, NULL, NOI, SET_SECRET,
	    "A bearer token for the dashboard and its API." },
	{ "MACHTTP_INSTALLERS", SET_PATH, SHAREDIR "/installers", NULL, NOI,
	    0, "The directory of the scripts served under /installers/." },
	{ "MACHTTP_HOSTS", SET_STRING, NULL, "localhost and the listen address",
	    NOI, 0, "Other names served without auth, comma-separated, no "
	    "port (DNS rebinding)." },
	{ "MACHTTP_ALLOW_OPEN", SET_BOOL, "no", NULL, NOI, 0,
	    "yes: listen beyond loopback without auth." },
};

const size_t settings_count = sizeof(settings) / sizeof(settings[0]);

const struct setting *
setting_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < settings_count; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

/* The value as set (environment or file), NULL when unset or empty. */
static const char *
raw(const struct config *c, const char *name)
{
	const char *v = config_get(c, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Where a value came from, for a message: "PATH:LINE" or "environment". */
static const char *
where(const struct config *c, const char *name, char *buf, size_t len)
{
	if (getenv(name) != NULL || config_line(c, name) == 0)
		snprintf(buf, len, "environment");
	else
		snprintf(buf, len, "%s:%lu", config_path(c),
		    config_line(c, name));
	return buf;
}

int
setting_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* 1 if word (n bytes) is one of the blank-separated words of list. */
static int
in_list(const char *list, const char *word, size_t n)
{
	const char *p = list, *q;

	while (*p != '\0') {
		for (q = p; *q != '\0' && *q != ' '; q++)
			;
		if ((size_t)(q - p) == n && strncasecmp(p, word, n) == 0)
			return 1;
		p = *q == ' ' ? q + 1 : q;
	}
	return 0;
}

/* HH:MM or H:MM, 00:00 to 23:59. */
static int
check_time(const char *v)
{
	int h = 0, i = 0;

	while (i < 2 && v[i] >= '0' && v[i] <= '9')
		h = h * 10 + (v[i++] - '0');
	return i > 0 && h < 24 && v[i] == ':' && v[i + 1] >= '0' &&
	    v[i + 1] <= '5' && v[i + 2] >= '0' && v[i + 2] <= '9' &&
	    v[i + 3] == '\0';
}

/* ADDRESS:PORT, [IPv6]:PORT; the address itself is the listener's to
 * resolve. */
static const char *
check_listen(const char *v)
{
	const char *colon = strrchr(v, ':');
	const char *es;
	long long port;

	if (colon == NULL || colon == v)
		return "expected ADDRESS:PORT";
	if (ms_strtonum(colon + 1, 1, 65535, &port, &es) == -1)
		return "the port is not a number from 1 to 65535";
	return NULL;
}

static const char *
check_targets(const char *v, char *msg, size_t len)
{
	struct ms_err e;
	struct target t;
	char word[512];
	size_t n;

	while (*v != '\0') {
		while (*v == ' ' || *v == '\t')
			v++;
		for (n = 0; v[n] != '\0' && v[n] != ' ' && v[n] != '\t'; n++)
			;
		if (n == 0)
			break;
		if (n >= sizeof(word))
			return "a target is too long";
		memcpy(word, v, n);
		word[n] = '\0';
		if (target_parse(word, &t, &e) == -1) {
			snprintf(msg, len, "%s", e.msg);
			return msg;
		}
		target_free(&t);
		v += n;
	}
	return NULL;
}

static const char *
check_emails(const char *v, char *msg, size_t len)
{
	struct ms_err e;
	char **to;
	size_t n;

	if (mime_addr_list(v, &to, &n, &e) == -1) {
		snprintf(msg, len, "%s", e.msg);
		return msg;
	}
	mime_addrs_free(to, n);
	return NULL;
}

int
setting_loopback_host(const char *host, size_t n)
{
	struct in_addr a4;
	char buf[64];

	if (n > 1 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, host, n);
	buf[n] = '\0';
	if (strcasecmp(buf, "localhost") == 0 || strcmp(buf, "::1") == 0)
		return 1;
	return inet_pton(AF_INET, buf, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127;
}

/*
 * SCHEME://[USER@]HOST[:PORT][/...]: a scheme of the setting's list and a
 * host; plain http only to this machine (a relay or a test receiver on
 * loopback), as anything else would carry the alerts and the URL's
 * secret in clear text.
 */
static const char *
check_url(const struct setting *s, const char *v)
{
	const char *sep = strstr(v, "://"), *auth, *end, *at, *h, *he;

	if (sep == NULL || sep == v)
		return "not a URL";
	if (!in_list(s->values, v, (size_t)(sep - v)))
		return "the scheme is not one of those expected";
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	for (h = auth; (at = memchr(h, '@', (size_t)(end - h))) != NULL; )
		h = at + 1;
	he = h;
	if (*h == '[')
		he = memchr(h, ']', (size_t)(end - h));
	if (he == NULL)
		return "no host in the URL";
	while (he < end && *he != ':')
		he++;
	if (he == h)
		return "no host in the URL";
	if ((size_t)(sep - v) == 4 && strncasecmp(v, "http", 4) == 0 &&
	    in_list(s->values, "https", 5) &&
	    !setting_loopback_host(h, (size_t)(he - h)))
		return "plain http:// only to this machine (127.0.0.1, ::1, "
		    "localhost): use https://";
	return NULL;
}

/* The problem with value v of s, or NULL when it is fine. */
static const char *
check_one(const struct setting *s, const char *v, char *msg, size_t len)
{
	const char *es;
	long long n;
	enum ms_lang lang;
	int b;
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 && s->type != SET_STRING &&
		    s->type != SET_INT)
			return "a control character in the value";
	switch (s->type) {
	case SET_STRING:
	case SET_PATH:
		return NULL;
	case SET_INT:
		return ms_strtonum(v, s->min, s->max, &n, &es) == 0 ? NULL :
		    es;
	case SET_BOOL:
		return setting_parse_bool(v, &b) == 0 ? NULL :
		    "expected true or false (yes/no, on/off, 1/0)";
	case SET_ENUM:
		if (in_list(s->values, v, strlen(v)) && strchr(v, ' ') == NULL)
			return NULL;
		snprintf(msg, len, "expected one of: %s", s->values);
		return msg;
	case SET_LANG:
		return fmt_lang_parse(v, &lang) == 0 ? NULL :
		    "expected fr or en";
	case SET_TIME:
		return check_time(v) ? NULL : "expected HH:MM";
	case SET_LISTEN:
		return check_listen(v);
	case SET_TARGETS:
		return check_targets(v, msg, len);
	case SET_EMAILS:
		return check_emails(v, msg, len);
	case SET_URL:
		return check_url(s, v);
	}
	return NULL;
}

const char *
setting_check_value(const char *name, const char *v, char *msg, size_t len)
{
	const struct setting *s = setting_find(name);
	const char *es;
	long long n;

	if (s == NULL)
		return "not a macscan variable";
	if (s->type == SET_INT)
		return ms_strtonum(v, s->min, s->max, &n, &es) == 0 ? NULL :
		    es;
	return check_one(s, v, msg, len);
}

int
settings_check(const struct config *c, struct ms_err *e)
{
	char msg[MS_ERRLEN], w[MS_ERRLEN / 2], shown[48];
	const struct setting *s;
	const char *v, *why;
	size_t i;

	for (i = 0; i < settings_count; i++) {
		s = &settings[i];
		if ((v = raw(c, s->name)) == NULL)
			continue;
		if (s->type == SET_INT) {
			long long n;

			if (config_get_num(c, s->name, s->min, s->max, 0, &n,
			    e) == -1)
				return -1;
			continue;
		}
		if ((why = check_one(s, v, msg, sizeof(msg))) == NULL)
			continue;
		where(c, s->name, w, sizeof(w));
		if (s->flags & SET_SECRET)
			return ms_err_set(e, "%s: %s: %s", w, s->name, why);
		esc_term_buf(shown, sizeof(shown), v, strlen(v), 32, 0);
		/* These parsers name the item that is wrong. */
		if (s->type == SET_EMAILS || s->type == SET_TARGETS)
			return ms_err_set(e, "%s: %s: %s", w, s->name, why);
		return ms_err_set(e, "%s: %s: %s: '%s'", w, s->name, why,
		    shown);
	}
	if (setting_int(c, "ALERT_DISK_WARN_GB") <
	    setting_int(c, "ALERT_DISK_CRITICAL_GB")) {
		where(c, "ALERT_DISK_WARN_GB", w, sizeof(w));
		return ms_err_set(e, "%s: ALERT_DISK_WARN_GB (%lld) is below "
		    "ALERT_DISK_CRITICAL_GB (%lld)", w,
		    setting_int(c, "ALERT_DISK_WARN_GB"),
		    setting_int(c, "ALERT_DISK_CRITICAL_GB"));
	}
	return 0;
}

struct config *
settings_load(const char *path, int must_exist, struct ms_err *e)
{
	struct config *c;

	if ((c = config_load(path, must_exist, e)) == NULL)
		return NULL;
	if (settings_check(c, e) == -1) {
		config_free(c);
		return NULL;
	}
	return c;
}

const char *
setting_str(const struct config *c, const char *name)
{
	const struct setting *s = setting_find(name);
	const char *v = raw(c, name);

	if (s == NULL)
		return NULL;
	return v != NULL ? v : s->def;
}

long long
setting_int(const struct config *c, const char *name)
{
	const struct setting *s = setting_find(name);
	const char *v = raw(c, name), *es;
	long long n;

	if (s == NULL || s->type != SET_INT)
		return 0;
	if (v != NULL && ms_strtonum(v, s->min, s->max, &n, &es) == 0)
		return n;
	if (s->def != NULL && ms_strtonum(s->def, s->min, s->max, &n,
	    &es) == 0)
		return n;
	return 0;
}

int
setting_bool(const struct config *c, const char *name)
{
	const struct setting *s = setting_find(name);
	const char *v = raw(c, name);
	int b;

	if (s == NULL || s->type != SET_BOOL)
		return 0;
	if (v != NULL && setting_parse_bool(v, &b) == 0)
		return b;
	if (s->def != NULL && setting_parse_bool(s->def, &b) == 0)
		return b;
	return 0;
}

char *
setting_secret(const struct config *c, const char *name, struct ms_err *e)
{
	return config_get_secret(c, name, e);
}

enum ms_lang
setting_lang(const struct config *c)
{
	enum ms_lang lang;

	if (fmt_lang_parse(setting_str(c, "MACSCAN_LANG"), &lang) == -1)
		return MS_LANG_FR;
	return lang;
}

int
setting_is_set(const struct config *c, const char *name)
{
	return raw(c, name) != NULL;
}
