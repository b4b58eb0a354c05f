/*
 * sshs_pool.c - the worker pool of sshs.h: a queue of jobs, threads
 * started as work comes, each running sshs_run and handing the result to
 * the caller's callback, one callback at a time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>

#include "sshs_impl.h"

struct job {
	struct job *next;
	char *host;
	char *cmd;
	const void *in;
	size_t inlen;
	void *udata;
};

struct sshs_pool {
	struct sshs_opts o;
	sshs_done_fn *done;
	void *arg;
	pthread_mutex_t mu;
	pthread_cond_t work;	/* a job was queued, or closing */
	pthread_cond_t space;	/* the queue got shorter */
	pthread_mutex_t done_mu;
	struct job *head, *tail;
	size_t queued;
	unsigned nmax, nthreads, nidle;
	pthread_t *tids;
	int closing;
};

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->host);
	free(j->cmd);
	free(j);
}

static void *
worker(void *v)
{
	struct sshs_pool *p = v;
	struct sshs_result r;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->head == NULL && !p->closing) {
			p->nidle++;
			pthread_cond_wait(&p->work, &p->mu);
			p->nidle--;
		}
		if ((j = p->head) == NULL) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		if ((p->head = j->next) == NULL)
			p->tail = NULL;
		p->queued--;
		pthread_cond_signal(&p->space);
		pthread_mutex_unlock(&p->mu);

		sshs_run(&p->o, j->host, j->cmd, j->in, j->inlen, &r);
		pthread_mutex_lock(&p->done_mu);
		p->done(p->arg, j->udata, j->host, &r);
		pthread_mutex_unlock(&p->done_mu);
		sshs_result_free(&r);
		job_free(j);
	}
}

struct sshs_pool *
sshs_pool_new(const struct sshs_opts *o, unsigned nworkers,
    sshs_done_fn *done, void *arg, struct ms_err *e)
{
	struct sshs_pool *p;

	if (nworkers == 0 || nworkers > SSHS_WORKERS_MAX || done == NULL) {
		ms_err_set(e, "sshs_pool_new: bad arguments");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->tids = calloc(nworkers, sizeof(*p->tids))) == NULL) {
		free(p);
		ms_err_set(e, "out of memory");
		return NULL;
	}
	p->o = *o;
	p->done = done;
	p->arg = arg;
	p->nmax = nworkers;
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->done_mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->space, NULL);
	(void)sshs_lib_init();
	return p;
}

int
sshs_pool_add(struct sshs_pool *p, const char *host, const char *cmd,
    const void *in, size_t inlen, void *job, struct ms_err *e)
{
	struct job *j;
	int rc = 0;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->host = strdup(host)) == NULL ||
	    (cmd != NULL && (j->cmd = strdup(cmd)) == NULL)) {
		job_free(j);
		return ms_err_set(e, "out of memory");
	}
	j->in = in;
	j->inlen = inlen;
	j->udata = job;

	pthread_mutex_lock(&p->mu);
	while (p->queued >= 4 * (size_t)p->nmax)
		pthread_cond_wait(&p->space, &p->mu);
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	if (p->nthreads < p->nmax && p->queued > p->nidle) {
		pthread_attr_t at;
		int err;

		pthread_attr_init(&at);
		pthread_attr_setstacksize(&at, SSHS_STACK);
		err = pthread_create(&p->tids[p->nthreads], &at, worker, p);
		pthread_attr_destroy(&at);
		if (err == 0)
			p->nthreads++;
		else if (p->nthreads == 0) {
			/* Nobody would ever run the job: take it back. */
			p->head = p->tail = NULL;
			p->queued = 0;
			job_free(j);
			errno = err;
			rc = ms_err_set(e, "cannot start a thread:");
		}
	}
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void
sshs_pool_finish(struct sshs_pool *p)
{
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->closing = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->tids[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->done_mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->space);
	free(p->tids);
	free(p);
}
