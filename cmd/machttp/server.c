/*
 * server.c - the event loop: one thread, lib/evloop (epoll on Linux,
 * kqueue on macOS and the BSDs, poll elsewhere), keep-alive and
 * pipelining, bounded in size and time.
 *
 * A connection is a small state machine: READ a head (at most
 * HTTP_MAX_HEAD bytes, within the header timeout), WRITE the answer
 * (header block and body with writev, the body shared with the cache),
 * then READ again or, when the connection is to close, LINGER: shut
 * down our side and drain what the client still sends for a moment, so
 * that unread bytes do not turn the close into a reset that would lose
 * the answer. Each state runs until the socket would block; then the
 * connection says what it waits for (readable in READ and LINGER,
 * writable in WRITE), which costs nothing when it is what it waited for
 * before, the usual case of a keep-alive connection.
 *
 * Timers: every timeout of one kind has the same length, so a FIFO list
 * per kind is sorted by deadline; setting a timer moves the connection
 * to its list's tail, and the next deadline is the earliest head.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "evloop.h"
#include "log.h"
#include "machttp.h"
#include "sys.h"

#define LINGER_S 2		/* draining after our answer, seconds */
#define QUIT_S 5		/* finishing answers on SIGTERM, seconds */
#define RUN_BUDGET 32		/* pipelined requests served in one go */
#define ACCEPT_BURST 64
#define MAXEVENTS 256
#define TAG_LISTENER 0		/* a connection's tag is its address */
/* Bytes one connection may write before the others get their turn: a
 * large answer to a fast reader must not hold up everyone's small one. */
#define WRITE_QUANTUM (64u << 10)

/* Headers every answer carries: nothing may be loaded from elsewhere. */
#define SECURITY_HEADERS \
	"Content-Security-Policy: default-src 'none'; script-src 'self'; " \
	"style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n" \
	"X-Content-Type-Options: nosniff\r\n" \
	"Referrer-Policy: no-referrer\r\n" \
	"X-Frame-Options: DENY\r\n"

enum { C_READ, C_WRITE, C_LINGER };
enum { T_HEADER, T_IDLE, T_WRITE, T_LINGER, T_NKIND, T_NONE = -1 };
enum { R_AGAIN, R_EOF, R_ERR, R_FULL, R_YIELD };

struct conn {
	int fd;
	int state;
	int dead;
	int keep;		/* serve another request after this one */
	int in_again;
	size_t pidx;		/* index in server.conns */
	size_t inlen;		/* bytes in in[] */
	size_t consumed;	/* the head being answered */
	struct http_parser hp;
	struct ms_buf hdr;	/* the answer's header block */
	size_t hdr_off;
	const char *body;
	size_t body_len, body_off;
	struct blob *hold;
	char *own;
	int tkind;
	int64_t deadline;
	struct conn *tprev, *tnext;
	struct conn *rnext;	/* run-again or dead list */
	char peer[64];
	char in[HTTP_MAX_HEAD + 1];
};

struct tlist {
	struct conn *head, *tail;
};

struct server {
	struct app *a;
	int lfd;
	int listening;		/* the listener is being watched */
	int64_t accept_resume;	/* when to listen again, 0: now */
	struct evloop *ev;
	struct conn **conns;
	size_t nconns, hardcap, maxconn;
	struct tlist t[T_NKIND];
	int64_t tdur[T_NKIND];
	struct conn *again, *dead;
	int64_t now;
	time_t date_t;
	char date[40];
	int quitting;
	int64_t quit_deadline;
};

static void conn_run(struct server *s, struct conn *c);

static void
timer_unlink(struct server *s, struct conn *c)
{
	struct tlist *l;

	if (c->tkind == T_NONE)
		return;
	l = &s->t[c->tkind];
	if (c->tprev != NULL)
		c->tprev->tnext = c->tnext;
	else
		l->head = c->tnext;
	if (c->tnext != NULL)
		c->tnext->tprev = c->tprev;
	else
		l->tail = c->tprev;
	c->tprev = c->tnext = NULL;
	c->tkind = T_NONE;
}

static void
timer_set(struct server *s, struct conn *c, int kind)
{
	struct tlist *l = &s->t[kind];

	timer_unlink(s, c);
	c->tkind = kind;
	c->deadline = s->now + s->tdur[kind];
	c->tprev = l->tail;
	c->tnext = NULL;
	if (l->tail != NULL)
		l->tail->tnext = c;
	else
		l->head = c;
	l->tail = c;
}

static void
update_date(struct server *s)
{
	time_t t = time(NULL);
	struct tm tm;

	if (t == s->date_t)
		return;
	s->date_t = t;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(s->date, sizeof(s->date), "%a, %d %b %Y %H:%M:%S GMT",
	    &tm) == 0)
		s->date[0] = '\0';
}

static void
release_body(struct conn *c)
{
	blob_unref(c->hold);
	free(c->own);
	c->hold = NULL;
	c->own = NULL;
	c->body = NULL;
	c->body_len = c->body_off = 0;
}

static void
conn_close(struct server *s, struct conn *c)
{
	struct conn *last;

	if (c->dead)
		return;
	c->dead = 1;
	timer_unlink(s, c);
	evloop_close(s->ev, c->fd);
	c->fd = -1;
	last = s->conns[--s->nconns];
	s->conns[c->pidx] = last;
	last->pidx = c->pidx;
	release_body(c);
	ms_buf_free(&c->hdr);
	/* Freed at the end of the round: an event may still name it. */
	if (!c->in_again) {
		c->rnext = s->dead;
		s->dead = c;
	}
}

/* Write for the log (esc_term): printable ASCII as is, the rest and
 * the quotes as \xHH, bounded, "..." when cut. */
static void
log_escape(char *out, size_t cap, const char *s)
{
	if (s == NULL)
		s = "";
	esc_term_buf(out, cap, s, strlen(s), cap, ESC_TERM_BYTES |
	    ESC_TERM_QUOTES);
}

/*
 * Turn a route's answer into the connection's output. The body is
 * taken over (reference or malloc'ed block); head_only keeps it out.
 */
static void
set_answer(struct server *s, struct conn *c, struct resp *rs, int head_only,
    int minor)
{
	struct ms_buf *h = &c->hdr;
	int rc = 0;

	ms_buf_reset(h);
	rc |= ms_buf_printf(h, "HTTP/1.1 %d %s\r\n", rs->status,
	    http_reason(rs->status));
	if (s->date[0] != '\0')
		rc |= ms_buf_printf(h, "Date: %s\r\n", s->date);
	rc |= ms_buf_puts(h, "Server: machttp\r\n");
	if (rs->ctype != NULL) {
		rc |= ms_buf_printf(h, "Content-Type: %s\r\n"
		    "Content-Length: %zu\r\n", rs->ctype, rs->len);
	}
	if (rs->etag[0] != '\0')
		rc |= ms_buf_printf(h, "ETag: %s\r\n", rs->etag);
	if (rs->cache != NULL)
		rc |= ms_buf_printf(h, "Cache-Control: %s\r\n", rs->cache);
	if (rs->allow != NULL)
		rc |= ms_buf_printf(h, "Allow: %s\r\n", rs->allow);
	if (rs->disposition != NULL)
		rc |= ms_buf_printf(h, "Content-Disposition: %s\r\n",
		    rs->disposition);
	if (rs->auth != NULL)
		rc |= ms_buf_printf(h, "WWW-Authenticate: %s\r\n", rs->auth);
	rc |= ms_buf_puts(h, SECURITY_HEADERS);
	if (!c->keep)
		rc |= ms_buf_puts(h, "Connection: close\r\n");
	else if (minor == 0)
		rc |= ms_buf_puts(h, "Connection: keep-alive\r\n");
	rc |= ms_buf_puts(h, "\r\n");
	c->hdr_off = 0;
	release_body(c);
	if (rc != 0) {
		/* Out of memory: nothing sensible can be sent. */
		resp_release(rs);
		ms_buf_reset(h);
		c->keep = 0;
		return;
	}
	if (!head_only && rs->ctype != NULL) {
		c->body = rs->body;
		c->body_len = rs->len;
		c->hold = rs->hold;
		c->own = rs->own;
		rs->hold = NULL;
		rs->own = NULL;
	} else {
		resp_release(rs);
	}
	c->state = C_WRITE;
}

/* An answer of ours that is no route's: 400, 408, 413, 503... */
static void
answer_error(struct server *s, struct conn *c, int status, const char *why)
{
	struct resp rs;

	memset(&rs, 0, sizeof(rs));
	resp_error(&rs, status, why);
	rs.cache = "no-store";
	c->keep = 0;
	c->consumed = c->inlen;
	set_answer(s, c, &rs, 0, 1);
	if (ms_verbosity >= 2)
		ms_info("%s - %d %s", c->peer, status, why != NULL ? why : "");
}

static void
answer(struct server *s, struct conn *c, struct http_req *req, size_t head)
{
	struct reqinfo ri;
	struct resp rs;
	char t[256];
	int64_t t0 = ms_now_ns();

	ri.meth = req->meth;
	ri.path = req->path;
	ri.path_len = req->path_len;
	ri.if_none_match = req->if_none_match;
	ri.authorization = req->authorization;
	ri.host = http_req_authority(req, &ri.host_len);
	ri.https = http_list_has(http_header(req, "X-Forwarded-Proto"),
	    "https");
	route(s->a, &ri, &rs);
	c->keep = req->keep_alive && !rs.close && !s->quitting;
	if (req->content_length > 0 || req->chunked) {
		/* We never read a body: refuse it, and close, since what
		 * follows on the connection is that body. */
		if (rs.status < 300) {
			resp_error(&rs, 413, "a request body is not accepted "
			    "here");
			rs.cache = "no-store";
		}
		c->keep = 0;
	}
	c->consumed = head;
	if (ms_verbosity >= 2) {
		log_escape(t, sizeof(t), req->target);
		ms_info("%s \"%s %s HTTP/1.%d\" %d %zu %.3fms", c->peer,
		    req->method, t, req->minor, rs.status,
		    rs.ctype != NULL ? rs.len : 0,
		    (double)(ms_now_ns() - t0) / 1e6);
	}
	set_answer(s, c, &rs, req->meth == HTTP_HEAD, req->minor);
}

/* Read what is there, up to the buffer's end. */
static int
fill(struct conn *c)
{
	ssize_t n;

	for (;;) {
		if (c->inlen >= HTTP_MAX_HEAD)
			return R_FULL;
		n = read(c->fd, c->in + c->inlen, HTTP_MAX_HEAD - c->inlen);
		if (n > 0) {
			c->inlen += (size_t)n;
			continue;
		}
		if (n == 0)
			return R_EOF;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return R_AGAIN;
		return R_ERR;
	}
}

/* Send what is left of the answer: R_AGAIN (would block), R_YIELD (its
 * turn is over), R_ERR, or R_EOF (all sent). */
static int
flush(struct server *s, struct conn *c)
{
	struct iovec iov[2];
	ssize_t n;
	size_t hl, bl, sent = 0;
	int progress = 0;

	for (;;) {
		hl = c->hdr.len - c->hdr_off;
		bl = c->body_len - c->body_off;
		if (hl + bl == 0)
			return R_EOF;
		if (sent >= WRITE_QUANTUM) {
			timer_set(s, c, T_WRITE);
			return R_YIELD;
		}
		if (bl > WRITE_QUANTUM)
			bl = WRITE_QUANTUM;
		iov[0].iov_base = c->hdr.data + c->hdr_off;
		iov[0].iov_len = hl;
		iov[1].iov_base = (void *)(c->body + c->body_off);
		iov[1].iov_len = bl;
		n = writev(c->fd, hl > 0 ? iov : iov + 1, hl > 0 ? 2 : 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (progress || c->tkind != T_WRITE)
					timer_set(s, c, T_WRITE);
				return R_AGAIN;
			}
			return R_ERR;
		}
		progress = 1;
		sent += (size_t)n;
		if ((size_t)n >= hl) {
			c->hdr_off += hl;
			c->body_off += (size_t)n - hl;
		} else {
			c->hdr_off += (size_t)n;
		}
	}
}

static void
again(struct server *s, struct conn *c)
{
	if (c->in_again)
		return;
	c->in_again = 1;
	c->rnext = s->again;
	s->again = c;
}

static void
conn_step(struct server *s, struct conn *c)
{
	struct http_req req;
	struct ms_err e = { "" };
	int budget = RUN_BUDGET, r, n;
	char buf[512];

	while (!c->dead) {
		switch (c->state) {
		case C_READ:
			r = fill(c);
			if (c->inlen > 0 && c->tkind == T_IDLE)
				timer_set(s, c, T_HEADER);
			n = http_parse(c->in, c->inlen, &c->hp, &req, &e);
			if (n == 0) {
				if (r == R_EOF || r == R_ERR)
					conn_close(s, c);
				return;
			}
			if (n < 0)
				answer_error(s, c, -n, e.msg);
			else
				answer(s, c, &req, (size_t)n);
			break;
		case C_WRITE:
			r = flush(s, c);
			if (r == R_AGAIN)
				return;
			if (r == R_YIELD) {
				again(s, c);
				return;
			}
			if (r == R_ERR) {
				conn_close(s, c);
				return;
			}
			release_body(c);
			if (!c->keep) {
				shutdown(c->fd, SHUT_WR);
				c->state = C_LINGER;
				timer_set(s, c, T_LINGER);
				break;
			}
			/* Keep what a pipelining client sent after the head. */
			memmove(c->in, c->in + c->consumed,
			    c->inlen - c->consumed);
			c->inlen -= c->consumed;
			c->consumed = 0;
			c->hp = (struct http_parser)HTTP_PARSER_INIT;
			c->state = C_READ;
			timer_set(s, c, c->inlen > 0 ? T_HEADER : T_IDLE);
			if (--budget == 0) {
				/* Let the others have their turn. */
				again(s, c);
				return;
			}
			break;
		case C_LINGER:
			for (;;) {
				ssize_t k = read(c->fd, buf, sizeof(buf));

				if (k > 0)
					continue;
				if (k == -1 && errno == EINTR)
					continue;
				if (k == -1 && (errno == EAGAIN ||
				    errno == EWOULDBLOCK))
					return;
				conn_close(s, c);
				return;
			}
		}
	}
}

/* Run c until it would block, then wait for what it waits for. */
static void
conn_run(struct server *s, struct conn *c)
{
	struct ms_err e;

	conn_step(s, c);
	if (c->dead)
		return;
	if (evloop_set(s->ev, c->fd, c->state == C_WRITE ? EV_OUT : EV_IN,
	    (uint64_t)(uintptr_t)c, &e) == -1) {
		ms_warn("%s: %s", c->peer, e.msg);
		conn_close(s, c);
	}
}

static void
on_timeout(struct server *s, struct conn *c)
{
	switch (c->tkind) {
	case T_HEADER:
		if (c->state == C_READ && c->inlen > 0) {
			timer_unlink(s, c);
			answer_error(s, c, 408,
			    "the request head took too long");
			/* A write timer guards the answer itself. */
			timer_set(s, c, T_WRITE);
			conn_run(s, c);
			return;
		}
		break;
	default:
		break;
	}
	conn_close(s, c);
}

static void
listener_watch(struct server *s, int on)
{
	struct ms_err e;

	if (s->listening == on || s->lfd == -1)
		return;
	if (on && evloop_set(s->ev, s->lfd, EV_IN, TAG_LISTENER, &e) == -1) {
		ms_warn("%s", e.msg);
		return;
	}
	if (!on)
		(void)evloop_del(s->ev, s->lfd);
	s->listening = on;
}

static void
accept_some(struct server *s)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct conn *c;
	struct ms_err e;
	char host[INET6_ADDRSTRLEN];
	int fd, i, one = 1;

	for (i = 0; i < ACCEPT_BURST; i++) {
		if (s->nconns >= s->hardcap) {
			/* Past the hard cap, clients wait in the backlog. */
			listener_watch(s, 0);
			return;
		}
		sl = sizeof(ss);
		fd = sys_accept(s->lfd, (struct sockaddr *)&ss, &sl);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				ms_warn("accept:");
				listener_watch(s, 0);
				s->accept_resume = s->now + 100000000LL;
			}
			return;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->tkind = T_NONE;
		c->state = C_READ;
		c->hp = (struct http_parser)HTTP_PARSER_INIT;
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
			snprintf(c->peer, sizeof(c->peer), "[%s]:%u", host,
			    ntohs(a6->sin6_port));
		} else {
			struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
			snprintf(c->peer, sizeof(c->peer), "%s:%u", host,
			    ntohs(a4->sin_port));
		}
		c->pidx = s->nconns;
		s->conns[s->nconns++] = c;
		if (evloop_set(s->ev, fd, EV_IN, (uint64_t)(uintptr_t)c,
		    &e) == -1) {
			ms_warn("%s", e.msg);
			conn_close(s, c);
			continue;
		}
		timer_set(s, c, T_HEADER);
		if (s->nconns > s->maxconn) {
			/* Over the cap: a clear answer rather than silence. */
			answer_error(s, c, 503, "too many connections");
			conn_run(s, c);
		}
	}
}

/* The milliseconds until the next deadline, at most max_ms. */
static int
next_timeout(struct server *s, int max_ms)
{
	int64_t d = INT64_MAX, ms;
	int k;

	if (s->again != NULL)
		return 0;
	for (k = 0; k < T_NKIND; k++)
		if (s->t[k].head != NULL && s->t[k].head->deadline < d)
			d = s->t[k].head->deadline;
	if (s->accept_resume != 0 && s->accept_resume < d)
		d = s->accept_resume;
	if (d == INT64_MAX)
		return max_ms;
	ms = (d - s->now + 999999) / 1000000;
	if (ms < 0)
		ms = 0;
	return ms < max_ms ? (int)ms : max_ms;
}

static void
expire(struct server *s)
{
	struct conn *c;
	int k;

	for (k = 0; k < T_NKIND; k++)
		while ((c = s->t[k].head) != NULL && c->deadline <= s->now)
			on_timeout(s, c);
}

static void
run_again(struct server *s)
{
	struct conn *c = s->again, *next;

	s->again = NULL;
	for (; c != NULL; c = next) {
		next = c->rnext;
		c->in_again = 0;
		if (c->dead) {
			c->rnext = s->dead;
			s->dead = c;
			continue;
		}
		conn_run(s, c);
	}
}

static void
free_dead(struct server *s)
{
	struct conn *c, *next;

	for (c = s->dead; c != NULL; c = next) {
		next = c->rnext;
		free(c);
	}
	s->dead = NULL;
}

static void
start_quit(struct server *s)
{
	size_t i;

	s->quitting = 1;
	s->quit_deadline = s->now + (int64_t)QUIT_S * 1000000000;
	listener_watch(s, 0);
	close(s->lfd);
	s->lfd = -1;
	/* Idle connections go now; answers under way are finished. */
	for (i = s->nconns; i > 0; i--) {
		struct conn *c = s->conns[i - 1];

		if (c->state == C_READ && c->inlen == 0)
			conn_close(s, c);
		else
			c->keep = 0;
	}
	ms_info("stopping: %zu connection(s) to finish", s->nconns);
}

int
serve(struct app *a, int lfd)
{
	struct server s;
	const struct opts *o = a->o;
	struct ev evs[MAXEVENTS];
	struct ms_err e;
	int n, i, status = 0;

	memset(&s, 0, sizeof(s));
	s.a = a;
	s.lfd = lfd;
	s.maxconn = (size_t)o->maxconn;
	/* A few more for the 503 answers past the cap. */
	s.hardcap = s.maxconn + s.maxconn / 16 + 8;
	s.tdur[T_HEADER] = o->header_timeout * 1000000000LL;
	s.tdur[T_IDLE] = o->idle_timeout * 1000000000LL;
	s.tdur[T_WRITE] = (int64_t)MACHTTP_WRITE_TIMEOUT * 1000000000LL;
	s.tdur[T_LINGER] = (int64_t)LINGER_S * 1000000000LL;
	if ((s.conns = calloc(s.hardcap, sizeof(*s.conns))) == NULL) {
		ms_error("out of memory");
		return 3;
	}
	if ((s.ev = evloop_new(&e)) == NULL) {
		ms_error("%s", e.msg);
		free(s.conns);
		return 3;
	}
	ms_info("event loop: %s", evloop_backend());
	s.now = ms_now_ns();
	update_date(&s);
	listener_watch(&s, 1);

	for (;;) {
		if (machttp_quit && !s.quitting)
			start_quit(&s);
		if (s.quitting && (s.nconns == 0 || s.now >= s.quit_deadline))
			break;
		if (!s.quitting && !s.listening && s.nconns < s.hardcap &&
		    (s.accept_resume == 0 || s.now >= s.accept_resume)) {
			s.accept_resume = 0;
			listener_watch(&s, 1);
		}
		/* At most a second: a signal between the check above and
		 * the wait is seen within that. */
		n = evloop_wait(s.ev, evs, MAXEVENTS, next_timeout(&s, 1000));
		if (n == -1 && errno != EINTR) {
			ms_error("wait:");
			status = 3;
			break;
		}
		s.now = ms_now_ns();
		update_date(&s);
		a->gen++;
		for (i = 0; i < n; i++) {
			struct conn *c;

			if (evs[i].tag == TAG_LISTENER) {
				if (s.listening)
					accept_some(&s);
				continue;
			}
			/* A connection closed in this round is still
			 * allocated (freed below): its flag says so. */
			c = (struct conn *)(uintptr_t)evs[i].tag;
			if (!c->dead)
				conn_run(&s, c);
		}
		run_again(&s);
		expire(&s);
		free_dead(&s);
	}
	while (s.nconns > 0)
		conn_close(&s, s.conns[s.nconns - 1]);
	run_again(&s);
	free_dead(&s);
	if (s.lfd != -1) {
		listener_watch(&s, 0);
		close(s.lfd);
	}
	evloop_free(s.ev);
	free(s.conns);
	return status;
}
