/*
 * webhook.c - see webhook.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "escape.h"
#include "log.h"
#include "settings.h"
#include "webhook.h"

#ifndef VERSION
#define VERSION "0"
#endif

/* Check the URL as libcurl reads it: its host, and plain http only to
 * loopback. */
static int
url_check(struct webhook *w, struct ms_err *e)
{
	char *scheme = NULL, *host = NULL;
	CURLU *u;
	int rc = -1;

	if ((u = curl_url()) == NULL)
		return ms_err_set(e, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, w->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    *host == '\0') {
		ms_err_set(e, "%s: not a URL (expected https://host/...)",
		    w->key);
		goto out;
	}
	w->plain = strcmp(scheme, "http") == 0;
	if (!w->plain && strcmp(scheme, "https") != 0) {
		ms_err_set(e, "%s: the scheme must be https://", w->key);
		goto out;
	}
	if (w->plain && !setting_loopback_host(host, strlen(host))) {
		ms_err_set(e, "%s: plain http:// only to this machine "
		    "(127.0.0.1, ::1, localhost): use https://", w->key);
		goto out;
	}
	if ((w->host = strdup(host)) == NULL) {
		ms_err_set(e, "out of memory");
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

int
webhook_load(const struct config *c, const char *channel, const char *key,
    struct webhook *w, int *configured, struct ms_err *e)
{
	const char *ca = setting_str(c, "WEBHOOK_CA_FILE"), *why;
	char msg[MS_ERRLEN / 2];
	struct ms_err e2;

	memset(w, 0, sizeof(*w));
	*configured = 0;
	w->channel = channel;
	w->key = key;
	w->connect_timeout = WEBHOOK_CONNECT_TIMEOUT;
	w->timeout = setting_int(c, "WEBHOOK_TIMEOUT");
	e2.msg[0] = '\0';
	if ((w->url = setting_secret(c, key, &e2)) == NULL) {
		if (e2.msg[0] != '\0')
			return ms_err_set(e, "%s", e2.msg);
		return 0;
	}
	/* The table's check, also for a URL read from NAME_FILE. */
	if ((why = setting_check_value(key, w->url, msg, sizeof(msg))) !=
	    NULL) {
		ms_err_set(e, "%s: %s", key, why);
		goto bad;
	}
	if (url_check(w, e) == -1)
		goto bad;
	if (ca != NULL && (w->ca_file = strdup(ca)) == NULL) {
		ms_err_set(e, "out of memory");
		goto bad;
	}
	*configured = 1;
	return 0;
bad:
	webhook_free(w);
	return -1;
}

void
webhook_free(struct webhook *w)
{
	if (w->url != NULL) {
		ms_explicit_bzero(w->url, strlen(w->url));
		free(w->url);
	}
	free(w->host);
	free(w->ca_file);
	w->url = w->host = w->ca_file = NULL;
}

static size_t
reply_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct ms_buf *b = arg;
	size_t n = size * nmemb, room;

	room = b->len < WEBHOOK_REPLY_MAX ? WEBHOOK_REPLY_MAX - b->len : 0;
	if (room > 0 && ms_buf_append(b, p, n < room ? n : room) == -1)
		return 0;
	return n;
}

/* Why libcurl failed, in a few words. */
static const char *
why(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return "unknown host";
	case CURLE_COULDNT_RESOLVE_PROXY:
		return "unknown proxy";
	case CURLE_COULDNT_CONNECT:
		return "cannot connect";
	case CURLE_OPERATION_TIMEDOUT:
		return "timed out";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return "the server's certificate is not trusted "
		    "(WEBHOOK_CA_FILE names a CA to trust)";
	case CURLE_SSL_CONNECT_ERROR:
		return "the TLS handshake failed";
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return "the connection was closed or reset before the reply";
	default:
		return curl_easy_strerror(rc);
	}
}

/* libcurl's own words, one line, without the URL's secret parts. */
static void
detail(const struct webhook *w, const char *errbuf, char *out, size_t len)
{
	const char *p = strstr(w->url, "://"), *path;
	struct ms_buf b = { 0 };
	char *at;

	out[0] = '\0';
	if (errbuf[0] == '\0' || ms_buf_puts(&b, errbuf) == -1)
		return;
	path = p != NULL ? strchr(p + 3, '/') : NULL;
	if (path != NULL && strlen(path) > 1)
		while ((at = strstr(b.data, path)) != NULL)
			memset(at, '*', strlen(path));
	snprintf(out, len, ": ");
	esc_term_buf(out + 2, len - 2, b.data, b.len, 160, 0);
	ms_buf_free(&b);
}

int
webhook_post(const struct webhook *w, const char *body, size_t len,
    struct ms_err *e)
{
	char errbuf[CURL_ERROR_SIZE], more[CURL_ERROR_SIZE + 8];
	char shown[WEBHOOK_REPLY_SHOWN + 16];
	struct curl_slist *hdr = NULL, *tmp;
	struct ms_buf reply = { 0 };
	CURLcode rc = CURLE_OK;
	long code = 0;
	CURL *h;
	int ret = -1;

	errbuf[0] = '\0';
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ms_err_set(e, "libcurl cannot start");
	if ((h = curl_easy_init()) == NULL) {
		curl_global_cleanup();
		return ms_err_set(e, "libcurl cannot start");
	}
	if ((tmp = curl_slist_append(hdr, "Content-Type: application/json; "
	    "charset=utf-8")) == NULL)
		goto oom;
	hdr = tmp;
	/* No "100-continue" round trip before a large body. */
	if ((tmp = curl_slist_append(hdr, "Expect:")) == NULL)
		goto oom;
	hdr = tmp;
#define SET(o, v) do { if ((rc = curl_easy_setopt(h, o, v)) != CURLE_OK) \
	goto failed; } while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, w->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, w->plain ? "http" : "https");
#else
	SET(CURLOPT_PROTOCOLS, w->plain ? (long)CURLPROTO_HTTP :
	    (long)CURLPROTO_HTTPS);
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, w->connect_timeout);
	SET(CURLOPT_TIMEOUT, w->timeout);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (w->ca_file != NULL)
		SET(CURLOPT_CAINFO, w->ca_file);
	SET(CURLOPT_USERAGENT, "macscan/" VERSION);
	SET(CURLOPT_HTTPHEADER, hdr);
	SET(CURLOPT_POSTFIELDS, body);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	SET(CURLOPT_WRITEFUNCTION, reply_cb);
	SET(CURLOPT_WRITEDATA, &reply);
#undef SET
	ms_info("%s: posting %zu bytes to %s", w->channel, len, w->host);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK && code >= 200 && code < 300) {
		ret = 0;
		goto out;
	}
	if (rc == CURLE_OK) {
		/* Slack says what is wrong in the reply's text. */
		shown[0] = '\0';
		if (reply.len > 0) {
			size_t n = strcspn(reply.data, "\r\n");

			snprintf(shown, sizeof(shown), ": ");
			esc_term_buf(shown + 2, sizeof(shown) - 2, reply.data,
			    n, WEBHOOK_REPLY_SHOWN, 0);
		}
		ms_err_set(e, "%s (%s): HTTP %ld%s", w->channel, w->host, code,
		    shown);
		goto out;
	}
failed:
	detail(w, errbuf, more, sizeof(more));
	ms_err_set(e, "%s (%s): %s%s", w->channel, w->host, why(rc), more);
	goto out;
oom:
	ms_err_set(e, "out of memory");
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	curl_global_cleanup();
	ms_buf_free(&reply);
	return ret;
}
