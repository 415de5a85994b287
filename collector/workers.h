/*
 * workers.h -- a fixed pool of threads working off a bounded job queue, for
 * the slow read requests (graphs, exports) that must not block the HTTP
 * polling thread.
 */
#ifndef ST_WORKERS_H
#define ST_WORKERS_H

#include <stddef.h>

struct workers;

typedef void (*workers_fn)(void *arg);

/*
 * Start nthreads threads over a queue of at most queue_max waiting jobs.
 * Returns NULL with err filled.
 */
struct workers *workers_create(
    unsigned nthreads, unsigned queue_max, char *err, size_t errlen);

/*
 * Queue fn(arg) to run on a worker thread.  Returns 0, or -1 when the queue
 * is full or the pool is stopping (the caller keeps arg and answers "busy").
 */
int workers_submit(struct workers *w, workers_fn fn, void *arg);

/* Jobs waiting plus running, for /metrics. */
size_t workers_pending(struct workers *w);

/* Run the jobs already queued, stop the threads and free the pool. */
void workers_free(struct workers *w);

#endif
