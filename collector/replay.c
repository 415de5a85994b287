/*
 * replay.c -- deciding, share by share, what the journal must add back
 * after a restart, and driving the journal's replay into the aggregate.
 *
 * Owns the rules below; the state is checkpoint.c's, the files are
 * rrd/store.c's, the buckets aggregate.c's.
 *
 * A share (a record at journal position P, for file F at step S) is in F
 * when:
 *   1. P and S are within the done cycle (P <= done_pos, S <= done_step);
 *   2. or the first begun cycle that took it (P <= pos, S <= step) wrote it:
 *      - if the parked points were saved after that cycle and hold (F, S),
 *        the share waits there, not in F: skip it too;
 *      - if the cycle patched F at S (S at or before F's last update when
 *        the cycle began), F holds it when its patch generation (in its
 *        header) has grown since: the patched copy was renamed in (inode
 *        numbers are no proof: the file system hands them out again);
 *      - otherwise the cycle appended S to F, and F holds it when its last
 *        update is at or after S.
 * Files of the earlier layout, replayed from a legacy state, hold a share
 * when their last update is at or after S (that version never wrote late
 * counts).
 */
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/strmap.h"
#include "aggregate.h"
#include "journal.h"

/* The first begun cycle that took (pos, step), or NULL. */
static const struct ckpt_cycle *
replay_cycle_of(const struct ckpt_state *s, uint64_t pos, int64_t step)
{
	size_t i;

	for (i = 0; i < s->ncycles; i++)
		if (pos <= s->cycles[i].pos && step <= s->cycles[i].step)
			return &s->cycles[i];
	return NULL;
}

/* 1 when cycle cy wrote (target, step) to the file, judging by the file. */
static int
replay_written_by(const struct ckpt_cycle *cy, const char *target, int64_t step,
    int64_t last, uint64_t gen)
{
	size_t i;

	for (i = 0; i < cy->npatches; i++)
		if (strcmp(cy->patches[i].name, target) == 0 &&
		    step <= cy->patches[i].last)
			return gen > cy->patches[i].gen;
	return step <= last;
}

/* 1 when (target, step) is among the parked points. */
static int
replay_is_parked(const struct ckpt_state *s, const char *target, int64_t step)
{
	size_t i;

	for (i = 0; i < s->nparked; i++)
		if (s->parked[i].pt.step == step &&
		    strcmp(s->parked[i].name, target) == 0)
			return 1;
	return 0;
}

/* Whether a share must not be added again; see replay.h. */
int
replay_skip(const struct ckpt_state *s, uint64_t pos, const char *target,
    int64_t step, int64_t last, uint64_t gen)
{
	const struct ckpt_cycle *cy;

	if (s->legacy)
		return step <= last;
	if (pos <= s->done_pos && step <= s->done_step)
		return 1;
	if ((cy = replay_cycle_of(s, pos, step)) == NULL)
		return 0;
	if (cy->cycle <= s->parked_through && replay_is_parked(s, target, step))
		return 1;
	return replay_written_by(cy, target, step, last, gen);
}

/* Whether a parked point was written by a cycle begun after it was saved. */
int
replay_parked_written(const struct ckpt_state *s, const struct ckpt_parked *p,
    int64_t last, uint64_t gen)
{
	size_t i;

	for (i = 0; i < s->ncycles; i++)
		if (s->cycles[i].cycle > s->parked_through)
			return replay_written_by(
			    &s->cycles[i], p->name, p->pt.step, last, gen);
	return 0;
}

/* What the store says of one file, looked up once per replay. */
struct replay_file {
	int64_t	 last;
	uint64_t gen;
};

struct replay_ctx {
	struct store	  *st;
	struct ckpt_state *s;
	struct aggregate  *agg;
	struct strmap	  *files; /* name -> struct replay_file * */
	void (*each)(void *, const struct journal_record *);
	void		   *arg;
	uint64_t	    pos; /* of the record being replayed */
	volatile const int *stop;
};

/* The file state of name (an unreadable file counts as missing). */
static const struct replay_file *
replay_file(struct replay_ctx *c, const char *name)
{
	struct replay_file *f = strmap_get(c->files, name);
	struct store_file   sf;
	char		    err[256];

	if (f != NULL)
		return f;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		abort();
	if (store_info(c->st, name, &sf, err, sizeof(err)) == 0) {
		f->last = sf.last;
		f->gen = sf.gen;
	}
	strmap_put(c->files, name, f);
	return f;
}

/* aggregate_add filter: add what the file lacks. */
static int
replay_filter(void *arg, const char *target, int to_total, int64_t step)
{
	struct replay_ctx	 *c = arg;
	const struct replay_file *f;

	(void)to_total;
	/*
	 * Within the done cycle: no need to look at the file (after a clean
	 * stop, 100,000 files would each be read for nothing).
	 */
	if (!c->s->legacy && c->pos <= c->s->done_pos &&
	    step <= c->s->done_step)
		return 0;
	f = replay_file(c, target);
	return !replay_skip(c->s, c->pos, target, step, f->last, f->gen);
}

/* Journal callback: one record. */
static int
replay_record(void *arg, const struct journal_record *r, uint64_t pos)
{
	struct replay_ctx *c = arg;

	if (c->stop != NULL && *c->stop)
		return -1;
	c->pos = pos;
	c->each(c->arg, r);
	aggregate_add(c->agg, &r->sub, replay_filter, c);
	return 0;
}

/* Sweep callback freeing one file state. */
static int
replay_free_file(void *arg, const char *key, void *value)
{
	(void)arg;
	(void)key;
	free(value);
	return 1;
}

/* Replay the journal; see replay.h. */
int
replay_run(struct journal *j, struct store *st, struct ckpt_state *s,
    struct aggregate *agg,
    void (*each)(void *arg, const struct journal_record *r), void *arg,
    int recover, volatile const int *stop, char *err, size_t errlen)
{
	struct replay_ctx c;
	size_t		  i, keep = 0;
	int		  rc;

	memset(&c, 0, sizeof(c));
	c.st = st;
	c.s = s;
	c.agg = agg;
	c.files = strmap_create();
	c.each = each;
	c.arg = arg;
	c.stop = stop;
	rc = journal_replay(j, replay_record, &c, recover, err, errlen);
	if (rc == -1 && stop != NULL && *stop)
		snprintf(err, errlen, "stopped during journal replay");
	for (i = 0; rc == 0 && i < s->nparked; i++) {
		const struct replay_file *f =
		    replay_file(&c, s->parked[i].name);

		if (replay_parked_written(s, &s->parked[i], f->last, f->gen))
			continue;
		s->parked[keep++] = s->parked[i];
	}
	if (rc == 0)
		s->nparked = keep;
	strmap_sweep(c.files, replay_free_file, NULL);
	strmap_free(c.files);
	return rc;
}
