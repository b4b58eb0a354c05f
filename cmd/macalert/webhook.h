/*
 * webhook.h - macalert's HTTP channels (Slack, Teams, a generic
 * webhook): their settings and one JSON POST through libcurl.
 *
 * HTTPS with the certificate and the host name checked (WEBHOOK_CA_FILE
 * adds a CA to the system's); plain http:// only to this machine
 * (127.0.0.0/8, ::1, localhost), for a local relay or a test receiver.
 * Redirects are not followed. A webhook URL is a secret: it is read like
 * one (NAME or NAME_FILE), never printed, never put in a message or a
 * process list; messages name the channel and the host only, e.g.
 * "slack (hooks.slack.com): HTTP 404: no_service".
 *
 * Ownership: struct webhook owns its strings; webhook_free wipes the
 * URL.
 */
#ifndef MACALERT_WEBHOOK_H
#define MACALERT_WEBHOOK_H

#include <stddef.h>

#include "config.h"
#include "util.h"

#define WEBHOOK_CONNECT_TIMEOUT 10	/* seconds to connect */
#define WEBHOOK_REPLY_MAX 4096		/* bytes of a reply kept */
#define WEBHOOK_REPLY_SHOWN 200		/* bytes of it in a message */

struct webhook {
	const char *channel;	/* "slack", "teams", "webhook" */
	const char *key;	/* its setting, e.g. "SLACK_WEBHOOK_URL" */
	char *url;		/* secret */
	char *host;		/* for messages */
	char *ca_file;		/* WEBHOOK_CA_FILE or NULL */
	int plain;		/* http:// (to loopback) */
	long connect_timeout;
	long timeout;		/* WEBHOOK_TIMEOUT */
};

/*
 * The settings of channel (whose URL is the setting key): 0 and
 * *configured = 1 with w filled, 0 and *configured = 0 when the URL is
 * not set, -1 and e when it is wrong (not https, a bad URL, an
 * unreadable NAME_FILE).
 */
int webhook_load(const struct config *c, const char *channel,
    const char *key, struct webhook *w, int *configured, struct ms_err *e);
void webhook_free(struct webhook *w);

/*
 * POST len bytes of JSON. 0 when the server answered 2xx; -1 and e
 * saying why (the HTTP status and the start of the reply, which is
 * where Slack writes its error: "invalid_payload", "no_service"; or
 * what failed: connecting, TLS, the certificate, a timeout, a reset).
 */
int webhook_post(const struct webhook *w, const char *body, size_t len,
    struct ms_err *e);

#endif
