/*
 * workers.c -- a bounded job queue served by a fixed set of threads.
 *
 * Owns its threads and its queue (a ring of fn/arg pairs under one mutex).
 * It knows nothing of what a job does; jobs own their argument.  Lock order:
 * the queue lock is a leaf; jobs run without it.
 */
#include "workers.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct workers_job {
	workers_fn fn;
	void	  *arg;
};

struct workers {
	pthread_mutex_t	    lock;
	pthread_cond_t	    wake;
	struct workers_job *ring;
	size_t		    cap, head, count, running;
	int		    stopping;
	pthread_t	   *threads;
	unsigned	    nthreads;
};

/* Take jobs off the queue until told to stop and the queue is empty. */
static void *
workers_loop(void *arg)
{
	struct workers	  *w = arg;
	struct workers_job job;

	/* Graphs and exports may wait a little; ingest should not. */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 5);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->count == 0 && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->count == 0)
			break;
		job = w->ring[w->head];
		w->head = (w->head + 1) % w->cap;
		w->count--;
		w->running++;
		pthread_mutex_unlock(&w->lock);
		job.fn(job.arg);
		pthread_mutex_lock(&w->lock);
		w->running--;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Start the pool. */
struct workers *
workers_create(unsigned nthreads, unsigned queue_max, char *err, size_t errlen)
{
	struct workers *w;
	unsigned	i;

	if (nthreads == 0 || queue_max == 0) {
		snprintf(err, errlen,
		    "workers: need at least one thread and "
		    "one queue slot");
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->ring = calloc(queue_max, sizeof(*w->ring))) == NULL ||
	    (w->threads = calloc(nthreads, sizeof(*w->threads))) == NULL) {
		snprintf(err, errlen, "out of memory");
		if (w != NULL) {
			free(w->ring);
			free(w);
		}
		return NULL;
	}
	w->cap = queue_max;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&w->threads[i], NULL, workers_loop, w) !=
		    0) {
			snprintf(err, errlen, "workers: cannot start a thread");
			w->nthreads = i;
			workers_free(w);
			return NULL;
		}
	}
	w->nthreads = nthreads;
	return w;
}

/* Queue one job, or refuse when full. */
int
workers_submit(struct workers *w, workers_fn fn, void *arg)
{
	int ret = -1;

	pthread_mutex_lock(&w->lock);
	if (!w->stopping && w->count < w->cap) {
		w->ring[(w->head + w->count) % w->cap].fn = fn;
		w->ring[(w->head + w->count) % w->cap].arg = arg;
		w->count++;
		pthread_cond_signal(&w->wake);
		ret = 0;
	}
	pthread_mutex_unlock(&w->lock);
	return ret;
}

/* Count jobs waiting or running. */
size_t
workers_pending(struct workers *w)
{
	size_t n;

	pthread_mutex_lock(&w->lock);
	n = w->count + w->running;
	pthread_mutex_unlock(&w->lock);
	return n;
}

/* Drain, stop and free. */
void
workers_free(struct workers *w)
{
	unsigned i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w->threads);
	free(w->ring);
	free(w);
}
