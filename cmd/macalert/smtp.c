/*
 * smtp.c - mail settings and sending through libcurl's SMTP.
 *
 * TLS: smtps:// is TLS from the first byte; smtp:// must upgrade with
 * STARTTLS (CURLUSESSL_ALL: no STARTTLS, no mail) unless SMTP_TLS=off.
 * Certificates are always verified; SMTP_CA_FILE is a CA file trusted
 * besides the system's CA directory. The password goes to libcurl only,
 * never to a message; libcurl's verbose trace, which would show the
 * AUTH exchange, is never turned on: -vv prints the server's replies.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "log.h"
#include "mime.h"
#include "settings.h"
#include "smtp.h"

/* Check the URL: smtp or smtps, a host, no password in it. */
static int
url_check(struct smtp_conf *s, struct ms_err *e)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *pw = NULL;
	CURLU *u;
	int rc = -1;

	if ((u = curl_url()) == NULL)
		return ms_err_set(e, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, s->url, 0) != CURLUE_OK) {
		ms_err_set(e, "SMTP_URL: not a URL (expected "
		    "smtp://host:587 or smtps://host:465)");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK) {
		ms_err_set(e, "SMTP_URL: must not hold a password (use "
		    "SMTP_PASSWORD or SMTP_PASSWORD_FILE)");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0)) {
		ms_err_set(e, "SMTP_URL: the scheme must be smtp:// or "
		    "smtps://");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    *host == '\0') {
		ms_err_set(e, "SMTP_URL: no host");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		ms_err_set(e, "SMTP_URL: bad port");
		goto out;
	}
	s->implicit_tls = strcmp(scheme, "smtps") == 0;
	if ((s->shown = malloc(strlen(scheme) + strlen(host) +
	    strlen(port) + 5)) == NULL) {
		ms_err_set(e, "out of memory");
		goto out;
	}
	sprintf(s->shown, "%s://%s:%s", scheme, host, port);
	rc = 0;
out:
	if (pw != NULL) {
		ms_explicit_bzero(pw, strlen(pw));
		curl_free(pw);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

int
smtp_conf_load(const struct config *c, int lenient, struct smtp_conf *s,
    struct ms_err *e)
{
	const char *url = setting_str(c, "SMTP_URL");
	const char *gmail = setting_str(c, "GMAIL_USER");
	const char *user = setting_str(c, "SMTP_USER");
	const char *from = setting_str(c, "MAIL_FROM");
	const char *rcpt = setting_str(c, "ALERT_RECIPIENTS");
	const char *ca = setting_str(c, "SMTP_CA_FILE");
	struct ms_err e2;

	memset(s, 0, sizeof(*s));
	s->connect_timeout = SMTP_CONNECT_TIMEOUT;
	s->timeout = SMTP_TIMEOUT;
	s->tls = 1;
	if (url == NULL && gmail != NULL) {
		url = SMTP_GMAIL_URL;
		user = gmail;
		s->pwkey = "GMAIL_APP_PASSWORD";
	} else {
		if (user == NULL)
			user = gmail;
		s->pwkey = "SMTP_PASSWORD";
	}
	s->tls = setting_bool(c, "SMTP_TLS");
	if (from == NULL)
		from = user;
	if (from == NULL || !mime_addr_valid(from)) {
		if (!lenient) {
			if (from == NULL)
				return ms_err_set(e, "no sender: set MAIL_FROM "
				    "(or GMAIL_USER, SMTP_USER)");
			return ms_err_set(e, "MAIL_FROM: not a plain address "
			    "(expected user@example.com)");
		}
		from = "macscan@localhost";
	}
	if ((s->from = strdup(from)) == NULL)
		goto oom;
	if (rcpt == NULL) {
		if (!lenient) {
			smtp_conf_free(s);
			return ms_err_set(e, "ALERT_RECIPIENTS is not set: "
			    "nobody to send to");
		}
	} else if (mime_addr_list(rcpt, &s->to, &s->nto, &e2) == -1) {
		if (!lenient) {
			smtp_conf_free(s);
			return ms_err_set(e, "ALERT_RECIPIENTS: %s", e2.msg);
		}
	}
	if (lenient)
		return 0;
	if (url == NULL) {
		smtp_conf_free(s);
		return ms_err_set(e, "no mail server: set GMAIL_USER and "
		    "GMAIL_APP_PASSWORD, or SMTP_URL");
	}
	if ((s->url = strdup(url)) == NULL)
		goto oom;
	if (url_check(s, e) == -1) {
		smtp_conf_free(s);
		return -1;
	}
	if (user != NULL && (s->user = strdup(user)) == NULL)
		goto oom;
	if (ca != NULL && (s->ca_file = strdup(ca)) == NULL)
		goto oom;
	return 0;
oom:
	smtp_conf_free(s);
	return ms_err_set(e, "out of memory");
}

int
smtp_conf_secret(const struct config *c, struct smtp_conf *s,
    struct ms_err *e)
{
	struct ms_err e2;
	char *pw;
	size_t i, j;

	e2.msg[0] = '\0';
	pw = setting_secret(c, s->pwkey, &e2);
	if (pw == NULL && e2.msg[0] != '\0')
		return ms_err_set(e, "%s", e2.msg);
	if (s->user == NULL) {
		if (pw != NULL) {
			ms_explicit_bzero(pw, strlen(pw));
			free(pw);
			return ms_err_set(e, "%s is set but SMTP_USER is not",
			    s->pwkey);
		}
		return 0;
	}
	if (pw == NULL)
		return ms_err_set(e, "%s (or %s_FILE) is not set, and %s "
		    "needs a password", s->pwkey, s->pwkey, s->shown);
	/* Google shows app passwords in groups of four: the blanks are
	 * not part of them. */
	if (strcmp(s->pwkey, "GMAIL_APP_PASSWORD") == 0) {
		for (i = j = 0; pw[i] != '\0'; i++)
			if (pw[i] != ' ' && pw[i] != '\t')
				pw[j++] = pw[i];
		ms_explicit_bzero(pw + j, i - j);
		pw[j] = '\0';
	}
	s->password = pw;
	if (!s->tls && !s->implicit_tls)
		ms_warn("SMTP_TLS=off: the password to %s goes in clear "
		    "text", s->shown);
	return 0;
}

void
smtp_conf_free(struct smtp_conf *s)
{
	if (s->password != NULL) {
		ms_explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->url);
	free(s->shown);
	free(s->user);
	free(s->from);
	free(s->ca_file);
	mime_addrs_free(s->to, s->nto);
	memset(s, 0, sizeof(*s));
}

struct upload {
	const char *p;
	size_t left;
};

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->left)
		n = u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* -vv: the server's replies, never what we send (AUTH). */
static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	(void)h;
	(void)arg;
	if (type == CURLINFO_HEADER_IN || type == CURLINFO_TEXT) {
		while (size > 0 && (data[size - 1] == '\n' ||
		    data[size - 1] == '\r'))
			size--;
		ms_debug("smtp %s %.*s", type == CURLINFO_HEADER_IN ? "<" :
		    "*", (int)size, data);
	}
	return 0;
}

/* One line: what failed, then what libcurl said. */
static int
explain(const struct smtp_conf *s, CURLcode rc, long code,
    const char *errbuf, struct ms_err *e)
{
	const char *why;
	char detail[CURL_ERROR_SIZE + 32];
	size_t i;

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		why = "unknown host";
		break;
	case CURLE_COULDNT_CONNECT:
		why = "cannot connect (is the server up, the port right?)";
		break;
	case CURLE_OPERATION_TIMEDOUT:
		why = "timed out";
		break;
	case CURLE_LOGIN_DENIED:
		why = "the server refused the login (check the user and the "
		    "password)";
		break;
	case CURLE_USE_SSL_FAILED:
		why = "the server does not offer STARTTLS (SMTP_TLS=off "
		    "allows clear text)";
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		why = "the server's certificate is not trusted (SMTP_CA_FILE "
		    "names a CA to trust)";
		break;
	case CURLE_SSL_CONNECT_ERROR:
		why = "the TLS handshake failed";
		break;
	case CURLE_WEIRD_SERVER_REPLY:
		why = code >= 500 ? "the server rejected the message" :
		    code >= 400 ? "the server refused the message for now "
		    "(try again later)" : "unexpected reply from the server";
		break;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		why = "the server closed the connection before the message "
		    "was accepted";
		code = 0;	/* the last code seen, not the cause */
		break;
	default:
		why = curl_easy_strerror(rc);
	}
	detail[0] = '\0';
	if (errbuf[0] != '\0') {
		snprintf(detail, sizeof(detail), ": %s", errbuf);
		/* libcurl's text is ours to show, but keep it one line. */
		for (i = 0; detail[i] != '\0'; i++)
			if (detail[i] == '\n' || detail[i] == '\r')
				detail[i] = ' ';
	}
	if (code > 0)
		return ms_err_set(e, "%s: %s (SMTP %ld)%s", s->shown, why,
		    code, detail);
	return ms_err_set(e, "%s: %s%s", s->shown, why, detail);
}

int
smtp_send(const struct smtp_conf *s, const char *msg, size_t len,
    struct ms_err *e)
{
	struct curl_slist *rcpt = NULL, *tmp;
	char errbuf[CURL_ERROR_SIZE], addr[MIME_ADDR_MAX + 3];
	struct upload up = { msg, len };
	CURLcode rc = CURLE_OK;
	long code = 0;
	CURL *h;
	size_t i;
	int ret = -1;

	errbuf[0] = '\0';
	if (s->nto == 0)
		return ms_err_set(e, "no recipient");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ms_err_set(e, "libcurl cannot start");
	if ((h = curl_easy_init()) == NULL) {
		curl_global_cleanup();
		return ms_err_set(e, "libcurl cannot start");
	}
	for (i = 0; i < s->nto; i++) {
		snprintf(addr, sizeof(addr), "<%s>", s->to[i]);
		if ((tmp = curl_slist_append(rcpt, addr)) == NULL) {
			ms_err_set(e, "out of memory");
			goto out;
		}
		rcpt = tmp;
	}
	snprintf(addr, sizeof(addr), "<%s>", s->from);
#define SET(o, v) do { if ((rc = curl_easy_setopt(h, o, v)) != CURLE_OK) \
	goto failed; } while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, s->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, s->connect_timeout);
	SET(CURLOPT_TIMEOUT, s->timeout);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (!s->implicit_tls)
		SET(CURLOPT_USE_SSL, s->tls ? (long)CURLUSESSL_ALL :
		    (long)CURLUSESSL_NONE);
	if (s->ca_file != NULL)
		SET(CURLOPT_CAINFO, s->ca_file);
	if (s->user != NULL) {
		SET(CURLOPT_USERNAME, s->user);
		if (s->password != NULL)
			SET(CURLOPT_PASSWORD, s->password);
	}
	SET(CURLOPT_MAIL_FROM, addr);
	SET(CURLOPT_MAIL_RCPT, rcpt);
	SET(CURLOPT_READFUNCTION, read_cb);
	SET(CURLOPT_READDATA, &up);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	if (ms_verbosity >= 3) {
		SET(CURLOPT_DEBUGFUNCTION, debug_cb);
		SET(CURLOPT_VERBOSE, 1L);
	}
#undef SET
	ms_info("sending %zu bytes to %zu recipient%s through %s", len,
	    s->nto, s->nto > 1 ? "s" : "", s->shown);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		ret = 0;
		goto out;
	}
failed:
	explain(s, rc, code, errbuf, e);
out:
	/* libcurl keeps its own copy of the password: let it go now. */
	if (s->password != NULL)
		curl_easy_setopt(h, CURLOPT_PASSWORD, "");
	curl_easy_cleanup(h);
	curl_slist_free_all(rcpt);
	curl_global_cleanup();
	return ret;
}
