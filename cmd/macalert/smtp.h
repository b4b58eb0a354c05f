/*
 * smtp.h - macalert's mail settings and its libcurl SMTP transport.
 *
 * Ownership: struct smtp_conf owns its strings; smtp_conf_free wipes the
 * password before freeing it.
 */
#ifndef MACALERT_SMTP_H
#define MACALERT_SMTP_H

#include <stddef.h>

#include "config.h"
#include "util.h"

#define SMTP_GMAIL_URL "smtp://smtp.gmail.com:587"
#define SMTP_CONNECT_TIMEOUT 20	/* seconds to connect */
#define SMTP_TIMEOUT 120	/* seconds for the whole exchange */

struct smtp_conf {
	char *url;		/* smtp://host[:port] or smtps://... */
	char *shown;		/* scheme://host:port, for messages */
	char *user;		/* NULL: no AUTH */
	char *password;		/* secret; NULL until smtp_conf_secret */
	const char *pwkey;	/* the variable the password comes from */
	char *from;		/* envelope and From address */
	char **to;		/* recipients */
	size_t nto;
	char *ca_file;		/* SMTP_CA_FILE or NULL */
	int tls;		/* STARTTLS required on smtp:// */
	int implicit_tls;	/* smtps:// */
	long connect_timeout;
	long timeout;
};

/*
 * The settings of DESIGN.md: SMTP_URL (else GMAIL_USER means Gmail),
 * SMTP_USER or GMAIL_USER, SMTP_TLS, SMTP_CA_FILE, MAIL_FROM (else the
 * user), ALERT_RECIPIENTS. The password is not read here. With lenient
 * (for -n), anything missing or wrong gives placeholders instead of an
 * error: From macscan@localhost and no recipients.
 * 0, or -1 and e.
 */
int smtp_conf_load(const struct config *c, int lenient,
    struct smtp_conf *s, struct ms_err *e);

/* Read the password (SMTP_PASSWORD or SMTP_PASSWORD_FILE, or
 * GMAIL_APP_PASSWORD for Gmail) when a user is set. 0 or -1 and e. */
int smtp_conf_secret(const struct config *c, struct smtp_conf *s,
    struct ms_err *e);

void smtp_conf_free(struct smtp_conf *s);

/*
 * Send msg (len bytes, CRLF line ends) to every recipient. 0, or -1 and
 * e: one line that says what failed and what to check.
 */
int smtp_send(const struct smtp_conf *s, const char *msg, size_t len,
    struct ms_err *e);

#endif
