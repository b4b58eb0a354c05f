/*
 * sweep.c - the sweep: one event loop (lib/evloop: epoll, kqueue or
 * poll), no thread or process per address.
 *
 * A host is a slot holding one probe per method (an ICMP echo, a TCP
 * connect per port, or a UDP datagram that only makes the kernel resolve
 * the address when ARP is the only method). An attempt sends the host's
 * probes one after the other at the global rate, then waits for the
 * timeout; an attempt without any answer is retried, up to -R times,
 * unless something said the host is unreachable. The first answer makes
 * the host live; its MAC address comes from the next dump of the
 * neighbour table, after which the host is reported. When every address
 * is done, a last dump of the table adds the hosts that answered ARP and
 * nothing else.
 *
 * Time is int64 nanoseconds from CLOCK_MONOTONIC. Since every attempt
 * waits the same timeout after its last probe, the hosts waiting for
 * answers form a FIFO ordered by deadline: no heap is needed. Echo
 * replies are matched by identifier and sequence number through a map
 * from sequence to host slot; a slot's generation tells a late answer
 * from an answer for the host that now uses the slot.
 *
 * Errors: a failure of the system (memory, the event loop) is kept in
 * sw->err, the first one only, and ends the loop at its next turn;
 * sweep_run then frees everything and returns -1 with it. Nothing here
 * exits: macping's main decides.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "log.h"
#include "macping.h"
#include "sys.h"
#include "util.h"

#define NSEC		1000000000LL
#define MSEC		1000000LL
#define BURST_NS	(5 * MSEC)	/* sending may catch up this much */
#define BACKOFF_MIN	MSEC		/* after ENOBUFS or EAGAIN */
#define BACKOFF_MAX	(64 * MSEC)
#define DUMP_GAP_NS	(5 * MSEC)	/* between two neighbour dumps */
#define PROGRESS_NS	(200 * MSEC)
#define CONFIRM_SLACK_NS (50 * MSEC)	/* clock-tick rounding of ages */
#define MAXEVENTS	256
#define ICMP_PAYLOAD	16		/* cookie and padding */
#define ICMP_LEN	(8 + ICMP_PAYLOAD)
#define DISCARD_PORT	9

enum { P_ICMP, P_TCP, P_UDP };
enum { S_IDLE, S_PENDING, S_ANSWERED, S_FAILED, S_TIMEDOUT };
enum { L_NONE, L_SEND, L_WAIT };
enum { SENT, SEND_AGAIN, SEND_NOFD };

/* Tags of the events that are not TCP probes. */
#define TAG_SPECIAL	(1ULL << 63)
#define TAG_ICMP	(TAG_SPECIAL | 1)
#define TAG_NETLINK	(TAG_SPECIAL | 2)

struct probe {
	int fd;			/* TCP socket while connecting or -1 */
	uint8_t kind;		/* P_* */
	uint8_t state;		/* S_* */
	uint16_t port;
	int64_t sent;
};

struct host {
	uint32_t addr;
	uint32_t gen;		/* 31 bits, bumped when the slot frees */
	uint32_t slot;
	int inuse;
	int attempt;		/* 0 for the first */
	int npending;		/* probes sent, not concluded */
	int unreach;		/* something said unreachable */
	int alive;
	uint8_t method;
	uint8_t ssh;
	uint8_t ssh_done;	/* tcp/22 concluded, either way */
	int64_t rtt_ns;
	int64_t deadline;
	int list;		/* L_* */
	struct host *prev, *next;
	struct probe p[];
};

struct list {
	struct host *head, *tail;
	size_t n;
};

struct seqent {
	uint32_t slot, gen;
	int64_t sent;
};

struct sw {
	const struct opts *o;
	struct sweep_io *io;
	found_fn report;
	void *arg;
	struct evloop *ev;
	int failed;		/* err holds the first system failure */
	struct ms_err err;
	int udp_fd;
	int nprobes;
	int p22;		/* index of the tcp/22 probe, or -1 */
	struct host **slots;
	size_t nslots, capslots;
	uint32_t *freeslots;
	size_t nfree;
	size_t inuse, max_inflight;
	struct list sendq, waitq;
	/* the addresses, in order */
	const struct spans *spans;
	size_t si;
	uint64_t snext;
	int exhausted;
	uint64_t total, started, packets;
	/* rate */
	int64_t interval, next_slot, backoff;
	int fd_stalled;
	long fd_cap, fds_open;
	/* icmp */
	uint16_t icmp_id, seq_next;
	struct seqent *seqmap;
	uint8_t cookie[8];
	/* results */
	struct found *found;
	size_t nfound, capfound, resolved, dump_upto;
	size_t nfound_arp;	/* reported by arp_only, not kept */
	int want_dump;
	int64_t dump_last;
	int final;		/* 0 sweeping, 1 final dump wanted, 2 running,
				 * 3 done */
	int64_t start;
	int64_t progress_next;
	int progress_shown;
	int stdout_tty;
};

static void host_check(struct sw *sw, struct host *h);

/* Keep the first system failure; the loop ends at its next turn. */
static void MS_PRINTF(2, 3)
sw_fail(struct sw *sw, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t n;

	if (sw->failed)
		return;
	sw->failed = 1;
	va_start(ap, fmt);
	vsnprintf(sw->err.msg, sizeof(sw->err.msg), fmt, ap);
	va_end(ap);
	n = strlen(fmt);
	if (n > 0 && fmt[n - 1] == ':') {
		size_t len = strlen(sw->err.msg);

		snprintf(sw->err.msg + len, sizeof(sw->err.msg) - len, " %s",
		    strerror(saved));
	}
}

static void
list_push(struct list *l, struct host *h, int which)
{
	h->prev = l->tail;
	h->next = NULL;
	if (l->tail != NULL)
		l->tail->next = h;
	else
		l->head = h;
	l->tail = h;
	l->n++;
	h->list = which;
}

static void
list_remove(struct sw *sw, struct host *h)
{
	struct list *l;

	if (h->list == L_NONE)
		return;
	l = h->list == L_SEND ? &sw->sendq : &sw->waitq;
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		l->head = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	else
		l->tail = h->prev;
	h->prev = h->next = NULL;
	l->n--;
	h->list = L_NONE;
}

/* Before a host line: if stdout is the terminal the progress line is on,
 * clear it (the next tick draws it again). */
static void
progress_clear(struct sw *sw)
{
	if (sw->progress_shown && sw->stdout_tty) {
		fputs("\r\033[K", stderr);
		sw->progress_shown = 0;
	}
}

static void
progress(struct sw *sw, int64_t now, int force)
{
	if (!sw->o->progress || (now < sw->progress_next && !force))
		return;
	sw->progress_next = now + PROGRESS_NS;
	log_progress("%llu/%llu sent, %zu found",
	    (unsigned long long)sw->started, (unsigned long long)sw->total,
	    sw->nfound + sw->nfound_arp);
	sw->progress_shown = 1;
}

static void
report(struct sw *sw, const struct found *f)
{
	struct ms_err e;

	if (sw->failed)
		return;
	progress_clear(sw);
	if (sw->report(f, sw->arg, &e) == -1) {
		sw->failed = 1;
		sw->err = e;
	}
}

/* Remember a live host; it is reported when its MAC address is known. */
static void
add_found(struct sw *sw, const struct found *f)
{
	if (ms_grow(&sw->found, &sw->capfound, sw->nfound + 1,
	    sizeof(*sw->found)) == -1) {
		sw_fail(sw, "out of memory");
		return;
	}
	sw->found[sw->nfound++] = *f;
	if (!sw->io->neigh->open) {
		report(sw, &sw->found[sw->nfound - 1]);
		sw->resolved = sw->nfound;
	} else
		sw->want_dump = 1;
}

/* Close a connected socket with a reset rather than a FIN: no
 * TIME_WAIT, no sshd left waiting for a banner exchange. */
static void
abort_close(struct sw *sw, int fd)
{
	struct linger lg = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	evloop_close(sw->ev, fd);
}

static void
probe_close(struct sw *sw, struct probe *p)
{
	if (p->fd != -1) {
		evloop_close(sw->ev, p->fd);
		p->fd = -1;
		sw->fds_open--;
		sw->fd_stalled = 0;
	}
}

static void
host_free(struct sw *sw, struct host *h)
{
	int i;

	list_remove(sw, h);
	for (i = 0; i < sw->nprobes; i++)
		probe_close(sw, &h->p[i]);
	h->inuse = 0;
	h->gen = (h->gen + 1) & 0x7fffffffu;
	sw->freeslots[sw->nfree++] = h->slot;
	sw->inuse--;
}

static void
finish(struct sw *sw, struct host *h)
{
	if (h->alive) {
		struct found f;

		memset(&f, 0, sizeof(f));
		f.addr = h->addr;
		f.method = h->method;
		f.ssh = h->ssh;
		f.rtt_ns = h->rtt_ns;
		add_found(sw, &f);
	}
	host_free(sw, h);
}

static int
need_ssh(const struct sw *sw, const struct host *h)
{
	return sw->o->apple_only && sw->p22 >= 0 && !h->ssh_done;
}

/* The next probe h should send in this attempt, or -1. */
static int
next_probe(const struct sw *sw, const struct host *h)
{
	int i;

	for (i = 0; i < sw->nprobes; i++) {
		if (h->p[i].state != S_IDLE)
			continue;
		if (h->alive && !(i == sw->p22 && need_ssh(sw, h)))
			continue;
		return i;
	}
	return -1;
}

static void
mark_alive(struct host *h, uint8_t method, int64_t rtt)
{
	if (h->alive)
		return;
	h->alive = 1;
	h->method = method;
	h->rtt_ns = rtt;
}

/* A probe concluded: answered, failed or timed out. */
static void
conclude(struct sw *sw, struct host *h, int i, int state)
{
	struct probe *p = &h->p[i];

	if (p->state != S_PENDING)
		return;
	probe_close(sw, p);
	p->state = (uint8_t)state;
	h->npending--;
	if (i == sw->p22)
		h->ssh_done = 1;
}

static void
start_attempt(struct sw *sw, struct host *h)
{
	int i;

	for (i = 0; i < sw->nprobes; i++) {
		probe_close(sw, &h->p[i]);
		h->p[i].state = S_IDLE;
	}
	h->npending = 0;
	list_remove(sw, h);
	list_push(&sw->sendq, h, L_SEND);
}

/* Decide what happens to h after something changed. */
static void
host_check(struct sw *sw, struct host *h)
{
	if (h->alive) {
		if (sw->p22 >= 0 && need_ssh(sw, h) &&
		    (h->p[sw->p22].state == S_PENDING ||
		    (h->p[sw->p22].state == S_IDLE && h->list == L_SEND)))
			return;
		finish(sw, h);
		return;
	}
	if (h->list == L_SEND || h->npending > 0)
		return;
	if (h->unreach || h->attempt >= sw->o->retries) {
		finish(sw, h);
		return;
	}
	h->attempt++;
	start_attempt(sw, h);
}

static struct host *
host_new(struct sw *sw, uint32_t addr)
{
	struct host *h;
	uint32_t slot;
	int i;

	if (sw->nfree > 0) {
		slot = sw->freeslots[--sw->nfree];
		h = sw->slots[slot];
	} else {
		struct host **v;
		uint32_t *f;

		slot = (uint32_t)sw->nslots;
		if (sw->nslots == sw->capslots) {
			size_t cap = sw->capslots ? sw->capslots * 2 : 256;

			if ((v = realloc(sw->slots, cap * sizeof(*v))) ==
			    NULL) {
				sw_fail(sw, "out of memory");
				return NULL;
			}
			sw->slots = v;
			if ((f = realloc(sw->freeslots, cap *
			    sizeof(*f))) == NULL) {
				sw_fail(sw, "out of memory");
				return NULL;
			}
			sw->freeslots = f;
			sw->capslots = cap;
		}
		h = calloc(1, sizeof(*h) + (size_t)sw->nprobes *
		    sizeof(struct probe));
		if (h == NULL) {
			sw_fail(sw, "out of memory");
			return NULL;
		}
		h->slot = slot;
		sw->slots[sw->nslots++] = h;
	}
	h->addr = addr;
	h->inuse = 1;
	h->attempt = 0;
	h->npending = 0;
	h->unreach = 0;
	h->alive = 0;
	h->method = 0;
	h->ssh = 0;
	h->ssh_done = 0;
	h->rtt_ns = -1;
	h->deadline = 0;
	h->list = L_NONE;
	h->prev = h->next = NULL;
	for (i = 0; i < sw->nprobes; i++) {
		struct probe *p = &h->p[i];

		p->fd = -1;
		p->state = S_IDLE;
	}
	i = 0;
	if (sw->o->methods & M_ICMP && sw->io->icmp_fd != -1)
		h->p[i++].kind = P_ICMP;
	if (sw->o->methods & M_TCP) {
		size_t k;

		for (k = 0; k < sw->o->nports; k++) {
			h->p[i].kind = P_TCP;
			h->p[i++].port = sw->o->ports[k];
		}
	}
	if (i < sw->nprobes)
		h->p[i].kind = P_UDP;
	sw->inuse++;
	list_push(&sw->sendq, h, L_SEND);
	return h;
}

static void
sin_of(struct sockaddr_in *sin, uint32_t addr, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(addr);
}

static uint16_t
cksum(const uint8_t *b, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An error of sendto/connect that says this address cannot be reached
 * from here (as opposed to a full queue or a bug). */
static int
unreachable_errno(int e)
{
	return e == EHOSTUNREACH || e == ENETUNREACH || e == EACCES ||
	    e == EPERM || e == EINVAL || e == EADDRNOTAVAIL ||
	    e == EHOSTDOWN || e == ENETDOWN || e == EMSGSIZE ||
	    e == EAFNOSUPPORT || e == ENONET;
}

static int
send_icmp(struct sw *sw, struct host *h, struct probe *p)
{
	uint8_t pkt[ICMP_LEN];
	struct sockaddr_in sin;
	struct seqent *e;
	uint16_t seq, c;
	int64_t sent;
	ssize_t r;
	size_t tries;

	/* A free sequence number: one that no live host holds. */
	for (tries = 0; tries < 65536; tries++) {
		seq = sw->seq_next++;
		e = &sw->seqmap[seq];
		if (e->slot >= sw->nslots || !sw->slots[e->slot]->inuse ||
		    sw->slots[e->slot]->gen != e->gen)
			break;
	}
	if (tries == 65536)
		return SEND_AGAIN;
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 8;			/* echo request */
	pkt[4] = (uint8_t)(sw->icmp_id >> 8);
	pkt[5] = (uint8_t)sw->icmp_id;
	pkt[6] = (uint8_t)(seq >> 8);
	pkt[7] = (uint8_t)seq;
	memcpy(pkt + 8, sw->cookie, sizeof(sw->cookie));
	c = cksum(pkt, sizeof(pkt));
	pkt[2] = (uint8_t)(c >> 8);
	pkt[3] = (uint8_t)c;
	sin_of(&sin, h->addr, 0);
	/* Before sending: on a veth the answer may be queued before
	 * sendto returns. */
	sent = ms_now_ns();
	do
		r = sendto(sw->io->icmp_fd, pkt, sizeof(pkt), 0,
		    (struct sockaddr *)&sin, sizeof(sin));
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS || errno == ENOMEM)
			return SEND_AGAIN;
		ms_debug("icmp to %u.%u.%u.%u: %s", h->addr >> 24,
		    h->addr >> 16 & 255, h->addr >> 8 & 255, h->addr & 255,
		    strerror(errno));
		p->state = S_FAILED;
		if (unreachable_errno(errno))
			h->unreach = 1;
		return SENT;
	}
	e->slot = h->slot;
	e->gen = h->gen;
	e->sent = p->sent = sent;
	p->state = S_PENDING;
	h->npending++;
	return SENT;
}

static int
send_tcp(struct sw *sw, struct host *h, int i)
{
	struct probe *p = &h->p[i];
	struct sockaddr_in sin;
	struct ms_err e;
	int fd, r;

	if (sw->fds_open >= sw->fd_cap) {
		if (sw->waitq.head != NULL) {
			/* Their timeouts will free descriptors. */
			sw->fd_stalled = 1;
			return SEND_NOFD;
		}
		/* Nothing to wait for: this probe cannot be sent. */
		p->state = S_FAILED;
		if (i == sw->p22)
			h->ssh_done = 1;
		return SENT;
	}
	fd = sys_socket(AF_INET, SOCK_STREAM, 0, 1);
	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			/* The real limit is lower than we thought. */
			sw->fd_cap = sw->fds_open > 1 ? sw->fds_open : 1;
			if (sw->waitq.head != NULL) {
				sw->fd_stalled = 1;
				return SEND_NOFD;
			}
			return SEND_AGAIN;
		}
		if (errno == ENOBUFS || errno == ENOMEM)
			return SEND_AGAIN;
		sw_fail(sw, "socket:");
		p->state = S_FAILED;
		if (i == sw->p22)
			h->ssh_done = 1;
		return SENT;
	}
	sin_of(&sin, h->addr, p->port);
	p->sent = ms_now_ns();
	do
		r = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	while (r == -1 && errno == EINTR);
	if (r == 0 || (r == -1 && errno == ECONNREFUSED)) {
		/* Loopback answers at once. */
		if (r == 0)
			abort_close(sw, fd);
		else
			close(fd);
		p->state = S_ANSWERED;
		if (i == sw->p22) {
			h->ssh_done = 1;
			h->ssh = r == 0;
		}
		mark_alive(h, M_TCP, ms_now_ns() - p->sent);
		return SENT;
	}
	if (errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		if (e == EAGAIN || e == ENOBUFS || e == ENOMEM)
			return SEND_AGAIN;
		ms_debug("tcp to %u.%u.%u.%u:%u: %s", h->addr >> 24,
		    h->addr >> 16 & 255, h->addr >> 8 & 255, h->addr & 255,
		    p->port, strerror(e));
		p->state = S_FAILED;
		if (i == sw->p22)
			h->ssh_done = 1;
		if (unreachable_errno(e))
			h->unreach = 1;
		return SENT;
	}
	if (evloop_set(sw->ev, fd, EV_OUT, (uint64_t)h->gen << 32 |
	    (uint64_t)h->slot << 8 | (uint64_t)i, &e) == -1) {
		close(fd);
		sw_fail(sw, "%s", e.msg);
		p->state = S_FAILED;
		if (i == sw->p22)
			h->ssh_done = 1;
		return SENT;
	}
	p->fd = fd;
	p->state = S_PENDING;
	h->npending++;
	sw->fds_open++;
	return SENT;
}

static int
send_udp(struct sw *sw, struct host *h, struct probe *p)
{
	struct sockaddr_in sin;
	ssize_t r;

	sin_of(&sin, h->addr, DISCARD_PORT);
	do
		r = sendto(sw->udp_fd, "", 0, 0, (struct sockaddr *)&sin,
		    sizeof(sin));
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS || errno == ENOMEM)
			return SEND_AGAIN;
		p->state = S_FAILED;
		if (unreachable_errno(errno))
			h->unreach = 1;
		return SENT;
	}
	/* Nothing answers this: the neighbour table will tell. */
	p->sent = ms_now_ns();
	p->state = S_PENDING;
	h->npending++;
	return SENT;
}

/* The host whose probe goes next, or NULL when there is nothing to send
 * now (or no room for another host). */
static struct host *
next_sender(struct sw *sw)
{
	uint32_t addr;

	if (sw->sendq.head != NULL)
		return sw->sendq.head;
	if (sw->exhausted || sw->inuse >= sw->max_inflight)
		return NULL;
	if (sw->si >= sw->spans->n) {
		sw->exhausted = 1;
		ms_debug("every address started after %.3f s",
		    (double)(ms_now_ns() - sw->start) / NSEC);
		return NULL;
	}
	addr = (uint32_t)sw->snext;
	if (sw->snext >= sw->spans->v[sw->si].last) {
		if (++sw->si < sw->spans->n)
			sw->snext = sw->spans->v[sw->si].first;
	} else
		sw->snext++;
	sw->started++;
	return host_new(sw, addr);
}

static void
send_due(struct sw *sw, int64_t now)
{
	while (now >= sw->next_slot) {
		struct host *h = next_sender(sw);
		int i, r;

		if (h == NULL)
			break;
		if ((i = next_probe(sw, h)) == -1) {
			/* Nothing left to send in this attempt. */
			list_remove(sw, h);
			h->deadline = now + sw->o->timeout_ns;
			list_push(&sw->waitq, h, L_WAIT);
			host_check(sw, h);
			continue;
		}
		if (sw->start == 0)
			sw->start = now;
		switch (h->p[i].kind) {
		case P_ICMP:
			r = send_icmp(sw, h, &h->p[i]);
			break;
		case P_TCP:
			r = send_tcp(sw, h, i);
			break;
		default:
			r = send_udp(sw, h, &h->p[i]);
			break;
		}
		if (r == SEND_NOFD)
			break;
		if (r == SEND_AGAIN) {
			sw->backoff = sw->backoff ? sw->backoff * 2 :
			    BACKOFF_MIN;
			if (sw->backoff > BACKOFF_MAX)
				sw->backoff = BACKOFF_MAX;
			sw->next_slot = now + sw->backoff;
			ms_debug("send queue full: waiting %lld ms",
			    (long long)(sw->backoff / MSEC));
			break;
		}
		sw->backoff = 0;
		sw->packets++;
		if (sw->next_slot < now - BURST_NS)
			sw->next_slot = now - BURST_NS;
		sw->next_slot += sw->interval;
		if (next_probe(sw, h) == -1) {
			list_remove(sw, h);
			h->deadline = now + sw->o->timeout_ns;
			list_push(&sw->waitq, h, L_WAIT);
		}
		host_check(sw, h);
	}
}

static void
expire(struct sw *sw, int64_t now)
{
	struct host *h;
	int i;

	while ((h = sw->waitq.head) != NULL && h->deadline <= now) {
		list_remove(sw, h);
		for (i = 0; i < sw->nprobes; i++)
			conclude(sw, h, i, S_TIMEDOUT);
		host_check(sw, h);
	}
}

/* The live host a sequence number was sent to, or NULL. */
static struct host *
host_of_seq(struct sw *sw, uint16_t seq, uint32_t addr, int64_t *sent)
{
	struct seqent *e = &sw->seqmap[seq];
	struct host *h;

	if (e->slot >= sw->nslots)
		return NULL;
	h = sw->slots[e->slot];
	if (!h->inuse || h->gen != e->gen || h->addr != addr)
		return NULL;
	if (sent != NULL)
		*sent = e->sent;
	return h;
}

static int
icmp_index(const struct host *h)
{
	return h->p[0].kind == P_ICMP ? 0 : -1;
}

static void
on_echo_reply(struct sw *sw, uint16_t seq, uint32_t from, int64_t now)
{
	struct host *h;
	int64_t sent;
	int i;

	if ((h = host_of_seq(sw, seq, from, &sent)) == NULL)
		return;
	mark_alive(h, M_ICMP, now - sent);
	if ((i = icmp_index(h)) != -1)
		conclude(sw, h, i, S_ANSWERED);
	host_check(sw, h);
}

static void
on_icmp_error(void *arg, uint16_t seq, uint32_t dst, int type, int code)
{
	struct sw *sw = arg;
	struct host *h;
	int i;

	if ((h = host_of_seq(sw, seq, dst, NULL)) == NULL)
		return;
	ms_debug("%u.%u.%u.%u: icmp type %d code %d", dst >> 24,
	    dst >> 16 & 255, dst >> 8 & 255, dst & 255, type, code);
	h->unreach = 1;
	if ((i = icmp_index(h)) != -1)
		conclude(sw, h, i, S_FAILED);
	host_check(sw, h);
}

static uint32_t
get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

static uint16_t
get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* An ICMP message of n bytes from src; hdr says it came with its IP
 * header, as errors come as data then. The identifier is ours to check
 * on a raw socket only: a datagram socket may set it itself (Linux
 * does), and the cookie tells our echoes apart anyway. */
static void
icmp_message(struct sw *sw, const uint8_t *m, size_t n, uint32_t src,
    int hdr, int64_t now)
{
	int raw = sw->io->icmp_kind == ICMP_RAW;

	if (n < 8)
		return;
	if (m[0] == 0 && m[1] == 0) {		/* echo reply */
		if (n < 8 + sizeof(sw->cookie) ||
		    memcmp(m + 8, sw->cookie, sizeof(sw->cookie)) != 0)
			return;
		if (raw && get16(m + 4) != sw->icmp_id)
			return;
		on_echo_reply(sw, get16(m + 6), src, now);
	} else if (hdr && (m[0] == 3 || m[0] == 11)) {
		/* Unreachable or time exceeded: the IP header and the first
		 * 8 bytes of our echo request follow. */
		const uint8_t *ip = m + 8;
		size_t ihl;

		if (n < 8 + 20 || (ip[0] >> 4) != 4)
			return;
		ihl = (size_t)(ip[0] & 0x0f) * 4;
		if (ihl < 20 || n < 8 + ihl + 8 || ip[9] != IPPROTO_ICMP)
			return;
		if (ip[ihl] != 8 || (raw && get16(ip + ihl + 4) != sw->icmp_id))
			return;
		on_icmp_error(sw, get16(ip + ihl + 6), get32(ip + 16), m[0],
		    m[1]);
	}
}

/*
 * Raw sockets, and macOS's datagram sockets too, deliver each packet
 * with its IP header; Linux's datagram sockets deliver the ICMP message
 * alone. An echo reply or an ICMP error never starts with 0x4_, an IPv4
 * header always does: the packet says which form it has.
 */
static void
read_icmp(struct sw *sw, int64_t now)
{
	uint8_t buf[2048];
	int k;

	for (k = 0; k < 4096; k++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		size_t ihl;

		n = recvfrom(sw->io->icmp_fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &fl);
		now = ms_now_ns();
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* An error of the datagram socket surfaces here too:
			 * icmp_errors reads it. */
			return;
		}
		if (fl < sizeof(from) || from.sin_family != AF_INET || n < 1)
			continue;
		if ((buf[0] >> 4) != 4) {
			icmp_message(sw, buf, (size_t)n,
			    ntohl(from.sin_addr.s_addr), 0, now);
			continue;
		}
		if (n < 20)
			continue;
		ihl = (size_t)(buf[0] & 0x0f) * 4;
		if (ihl < 20 || (size_t)n < ihl)
			continue;
		icmp_message(sw, buf + ihl, (size_t)n - ihl, get32(buf + 12),
		    1, now);
	}
}

static void
on_tcp(struct sw *sw, uint64_t tag, uint32_t events, int64_t now)
{
	uint32_t gen = (uint32_t)(tag >> 32), slot = (uint32_t)(tag >> 8) &
	    0xffffff;
	int i = (int)(tag & 0xff), err = 0;
	socklen_t el = sizeof(err);
	struct host *h;
	struct probe *p;

	if (slot >= sw->nslots)
		return;
	h = sw->slots[slot];
	if (!h->inuse || h->gen != gen || i >= sw->nprobes)
		return;
	p = &h->p[i];
	if (p->state != S_PENDING || p->fd == -1)
		return;
	if (!(events & (EV_OUT | EV_ERR | EV_HUP)))
		return;
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1)
		err = errno;
	now = ms_now_ns();
	if (err == 0 || err == ECONNREFUSED) {
		/* Connected or refused (RST): either way, alive. */
		if (err == 0) {
			abort_close(sw, p->fd);
			p->fd = -1;
			sw->fds_open--;
			sw->fd_stalled = 0;
		}
		mark_alive(h, M_TCP, now - p->sent);
		if (i == sw->p22 && err == 0)
			h->ssh = 1;
		conclude(sw, h, i, S_ANSWERED);
	} else {
		if (unreachable_errno(err))
			h->unreach = 1;
		conclude(sw, h, i, S_FAILED);
	}
	host_check(sw, h);
}

static int
cmp_addr(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Hosts that answered ARP and nothing else, from the last dump. */
static void
arp_only(struct sw *sw, int64_t now)
{
	const struct neigh *nb = sw->io->neigh;
	uint32_t *seen;
	size_t i, n = sw->nfound;

	if ((seen = malloc((n ? n : 1) * sizeof(*seen))) == NULL) {
		sw_fail(sw, "out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		seen[i] = sw->found[i].addr;
	qsort(seen, n, sizeof(*seen), cmp_addr);
	for (i = 0; i < nb->n; i++) {
		const struct nent *ne = &nb->v[i];
		struct found f;

		if (i > 0 && nb->v[i - 1].addr == ne->addr)
			continue;	/* the best is first */
		if (!neigh_valid(ne) || !spans_has(sw->spans, ne->addr))
			continue;
		if (bsearch(&ne->addr, seen, n, sizeof(*seen), cmp_addr))
			continue;
		/*
		 * Reachable means confirmed within the last reachable_time
		 * (about 30 s). A stale, delayed or probed entry counts only
		 * if it was confirmed during this sweep: an old entry of a
		 * host that left must not make it live.
		 */
		if (ne->state != NE_REACHABLE && ne->state != NE_PERMANENT &&
		    (sw->start == 0 || ne->confirmed_ns >
		    now - sw->start + CONFIRM_SLACK_NS))
			continue;
		memset(&f, 0, sizeof(f));
		f.addr = ne->addr;
		memcpy(f.mac, ne->mac, 6);
		f.has_mac = 1;
		f.method = M_ARP;
		f.rtt_ns = -1;
		sw->nfound_arp++;
		report(sw, &f);
	}
	free(seen);
}

static void
dump_done(struct sw *sw, int64_t now)
{
	size_t i;

	for (i = sw->resolved; i < sw->dump_upto; i++) {
		struct found *f = &sw->found[i];
		const struct nent *ne = neigh_find(sw->io->neigh, f->addr);
		size_t k;

		if (neigh_valid(ne)) {
			memcpy(f->mac, ne->mac, 6);
			f->has_mac = 1;
		}
		/* This machine's own addresses have no neighbour entry. */
		for (k = 0; !f->has_mac && k < sw->io->nlocal; k++) {
			if (sw->io->local[k].addr == f->addr) {
				memcpy(f->mac, sw->io->local[k].mac, 6);
				f->has_mac = 1;
			}
		}
		report(sw, f);
	}
	sw->resolved = sw->dump_upto;
	if (sw->final == 2) {
		if (sw->o->methods & M_ARP)
			arp_only(sw, now);
		sw->final = 3;
	}
}

/* Without the table, report what waits for it as it is. */
static void
neigh_lost(struct sw *sw, const char *msg)
{
	size_t i;

	ms_warn("%s: MAC addresses unknown", msg);
	if (sw->io->neigh->fd != -1)
		(void)evloop_del(sw->ev, sw->io->neigh->fd);
	neigh_close(sw->io->neigh);
	for (i = sw->resolved; i < sw->nfound; i++)
		report(sw, &sw->found[i]);
	sw->resolved = sw->nfound;
	sw->want_dump = 0;
	if (sw->final > 0)
		sw->final = 3;
}

/* Start a dump of the table; a reader that answers at once (the routing
 * sysctl) has it complete on return. */
static void
dump_start(struct sw *sw, int64_t now)
{
	struct ms_err e;
	int r;

	sw->dump_upto = sw->nfound;
	sw->dump_last = now;
	sw->want_dump = 0;
	if ((r = neigh_dump_start(sw->io->neigh, &e)) == -1)
		neigh_lost(sw, e.msg);
	else if (r == 1)
		dump_done(sw, now);
}

static void
maybe_dump(struct sw *sw, int64_t now)
{
	struct neigh *nb = sw->io->neigh;

	if (!nb->open) {
		if (sw->final > 0)
			sw->final = 3;
		return;
	}
	if (nb->busy)
		return;
	if (sw->final == 1) {
		/* After the last timeout: one more dump, for ARP. */
		sw->final = 2;
		ms_debug("last timeout after %.3f s: reading the neighbour "
		    "table", (double)(now - sw->start) / NSEC);
		dump_start(sw, now);
		return;
	}
	if (!sw->want_dump || now < sw->dump_last + DUMP_GAP_NS)
		return;
	dump_start(sw, now);
}

static int
setup(struct sw *sw, struct ms_err *e)
{
	struct rlimit rl;
	uint8_t rnd[10];

	if ((sw->ev = evloop_new(e)) == NULL)
		return -1;
	if (sys_random(rnd, sizeof(rnd)) == -1) {
		uint64_t t = (uint64_t)ms_now_ns() ^ (uint64_t)getpid() << 32;

		memcpy(rnd, &t, 8);
		rnd[8] = (uint8_t)getpid();
		rnd[9] = (uint8_t)(getpid() >> 8);
	}
	memcpy(sw->cookie, rnd, 8);
	sw->icmp_id = (uint16_t)(rnd[8] << 8 | rnd[9]);
	if ((sw->seqmap = malloc(65536 * sizeof(*sw->seqmap))) == NULL)
		return ms_err_set(e, "out of memory");
	memset(sw->seqmap, 0xff, 65536 * sizeof(*sw->seqmap));
	sw->seq_next = (uint16_t)(rnd[0] << 8 | rnd[1]);

	if (sw->io->icmp_fd != -1 && evloop_set(sw->ev, sw->io->icmp_fd,
	    EV_IN, TAG_ICMP, e) == -1)
		return -1;
	if (sw->io->neigh->open && sw->io->neigh->fd != -1 &&
	    evloop_set(sw->ev, sw->io->neigh->fd, EV_IN, TAG_NETLINK,
	    e) == -1)
		return -1;
	if (sw->nprobes > 0 && !(sw->o->methods & M_TCP) &&
	    !(sw->o->methods & M_ICMP && sw->io->icmp_fd != -1)) {
		sw->udp_fd = sys_socket(AF_INET, SOCK_DGRAM, 0, 1);
		if (sw->udp_fd == -1)
			return ms_err_set(e, "socket:");
	}

	/* As many TCP sockets as the descriptor limit allows, less a
	 * reserve for stdio, the registry and the rest. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			if (rl.rlim_cur > 65536)
				rl.rlim_cur = 65536;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
		sw->fd_cap = rl.rlim_cur == RLIM_INFINITY ? 65536 :
		    (long)rl.rlim_cur;
	} else
		sw->fd_cap = 1024;
	sw->fd_cap = sw->fd_cap > 64 + 16 ? sw->fd_cap - 64 : 16;
	ms_debug("up to %ld TCP sockets at once, %s loop", sw->fd_cap,
	    evloop_backend());

	/* Every live host may hold retries + 1 sequence numbers: keep the
	 * map at most half full so a free number is found at once. */
	sw->max_inflight = 32768 / (size_t)(sw->o->retries + 1);
	if (sw->max_inflight < 64)
		sw->max_inflight = 64;
	return 0;
}

static void
on_event(struct sw *sw, const struct ev *ev, int64_t now)
{
	struct ms_err e;
	int r;

	if (ev->tag == TAG_ICMP) {
		if (ev->events & EV_ERR)
			icmp_errors(sw->io->icmp_fd, sw->io->icmp_kind,
			    on_icmp_error, sw);
		if (ev->events & EV_IN)
			read_icmp(sw, now);
	} else if (ev->tag == TAG_NETLINK) {
		if (!sw->io->neigh->open)
			return;
		if ((r = neigh_read(sw->io->neigh, &e)) == 1)
			dump_done(sw, now);
		else if (r == -1)
			neigh_lost(sw, e.msg);
	} else
		on_tcp(sw, ev->tag, ev->events, now);
}

long
sweep_run(const struct opts *o, const struct spans *s, struct sweep_io *io,
    found_fn fn, void *arg, struct ms_err *e)
{
	struct sw sw;
	struct ev evs[MAXEVENTS];
	size_t i;

	memset(&sw, 0, sizeof(sw));
	sw.o = o;
	sw.io = io;
	sw.report = fn;
	sw.arg = arg;
	sw.spans = s;
	sw.udp_fd = -1;
	sw.total = spans_count(s);
	sw.snext = s->n > 0 ? s->v[0].first : 0;
	sw.interval = NSEC / o->rate;
	sw.stdout_tty = isatty(STDOUT_FILENO);
	sw.p22 = -1;
	if (o->methods & M_ICMP && io->icmp_fd != -1)
		sw.nprobes++;
	if (o->methods & M_TCP) {
		for (i = 0; i < o->nports; i++)
			if (o->ports[i] == 22)
				sw.p22 = sw.nprobes + (int)i;
		sw.nprobes += (int)o->nports;
	}
	if (sw.nprobes == 0 && o->methods & M_ARP)
		sw.nprobes = 1;		/* the UDP datagram */
	if (setup(&sw, &sw.err) == -1)
		sw.failed = 1;
	sw.next_slot = ms_now_ns();

	while (!sw.failed) {
		int64_t now = ms_now_ns(), t = INT64_MAX;
		int n, k, timeout;

		send_due(&sw, now);
		expire(&sw, now);
		if (sw.exhausted && sw.inuse == 0 && sw.final == 0)
			sw.final = 1;
		maybe_dump(&sw, now);
		if (sw.final == 3 || sw.failed)
			break;
		progress(&sw, now, 0);

		if (!sw.fd_stalled && (sw.sendq.head != NULL ||
		    (!sw.exhausted && sw.inuse < sw.max_inflight)))
			t = sw.next_slot;
		if (sw.waitq.head != NULL && sw.waitq.head->deadline < t)
			t = sw.waitq.head->deadline;
		if (sw.want_dump && !io->neigh->busy &&
		    sw.dump_last + DUMP_GAP_NS < t)
			t = sw.dump_last + DUMP_GAP_NS;
		if (o->progress && sw.progress_next < t)
			t = sw.progress_next;
		if (t == INT64_MAX)
			timeout = -1;
		else if (t <= now)
			timeout = 0;
		else if (t - now > 60 * NSEC)
			timeout = 60000;
		else
			timeout = (int)((t - now + MSEC - 1) / MSEC);
		if (timeout == -1 && !io->neigh->busy) {
			sw_fail(&sw, "internal error: nothing to wait for");
			break;
		}
		n = evloop_wait(sw.ev, evs, MAXEVENTS, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			sw_fail(&sw, "waiting for events:");
			break;
		}
		now = ms_now_ns();
		for (k = 0; k < n && !sw.failed; k++)
			on_event(&sw, &evs[k], now);
	}
	if (o->progress) {
		/* The last figures stay on the screen. */
		progress(&sw, ms_now_ns(), 1);
		log_progress_end();
	}
	if (!sw.failed)
		ms_info("%llu addresses, %llu packets, %zu live hosts in "
		    "%.3f s", (unsigned long long)sw.total,
		    (unsigned long long)sw.packets, sw.nfound + sw.nfound_arp,
		    sw.start ? (double)(ms_now_ns() - sw.start) / NSEC : 0.0);

	for (i = 0; i < sw.nslots; i++) {
		if (sw.slots[i]->inuse)
			host_free(&sw, sw.slots[i]);
		free(sw.slots[i]);
	}
	free(sw.slots);
	free(sw.freeslots);
	free(sw.seqmap);
	free(sw.found);
	if (sw.udp_fd != -1)
		close(sw.udp_fd);
	evloop_free(sw.ev);
	if (sw.failed) {
		if (e != NULL)
			*e = sw.err;
		return -1;
	}
	return (long)(sw.nfound + sw.nfound_arp);
}
