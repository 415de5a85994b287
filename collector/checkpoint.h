/*
 * checkpoint.h -- the writer's durable state: how far the RRD files are
 * known to hold the journal, the write cycles begun since, and the points
 * of files that could not be written.
 *
 * The writer takes closed steps in cycles.  Cycle K takes every open point
 * of every record up to journal position pos_K for steps up to step_K (late
 * points included), writes them (appending, or patching what a file already
 * holds), and, at the next store sync, becomes "done".  Before a cycle
 * writes anything it records itself here with the files it will patch (each
 * with its patch generation and last update, which is what tells after a
 * crash whether
 * the patch happened); after a sync the done cycle replaces them all.
 * Replay (replay.c) reads this to add back exactly what the files lack.
 *
 * The file is <data-dir>/state, replaced whole (write, fsync, rename).  A
 * state file of the earlier kind ("watermark N") is read as "legacy":
 * replay then trusts each file's last update, as that version did.
 */
#ifndef ST_CHECKPOINT_H
#define ST_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/limits.h"
#include "../rrd/store.h"

/* A file a cycle patches, as it was before. */
struct ckpt_patch {
	char	 name[ST_SOURCE_MAX + 1];
	uint64_t gen; /* its patch generation before the cycle */
	int64_t	 last;
};

/* A cycle begun and not yet known to be on disk. */
struct ckpt_cycle {
	uint64_t	   cycle;
	uint64_t	   pos;	 /* journal position it took records up to */
	int64_t		   step; /* step label it took points up to */
	struct ckpt_patch *patches;
	size_t		   npatches;
};

/* A point of a file that could not be written, kept for a later cycle. */
struct ckpt_parked {
	char		   name[ST_SOURCE_MAX + 1];
	struct store_point pt;
};

struct ckpt_state {
	int		    legacy;    /* read from a "watermark" file */
	uint64_t	    done;      /* the last cycle on disk */
	uint64_t	    done_pos;  /* its journal position */
	int64_t		    done_step; /* its step */
	struct ckpt_cycle  *cycles;    /* begun since, oldest first */
	size_t		    ncycles;
	uint64_t	    parked_through; /* parked points hold cycles <= */
	struct ckpt_parked *parked;
	size_t		    nparked;
};

/* Empty state: nothing done, nothing begun. */
void checkpoint_init(struct ckpt_state *s);
void checkpoint_clear(struct ckpt_state *s);

/*
 * Read path into s (a missing file is the empty state).  ncat categories
 * per parked point.  Returns 0, or -1 with err filled on a file that is
 * there but cannot be read or parsed (the caller refuses to start: replay
 * without it could count twice).
 */
int checkpoint_load(const char *path, unsigned ncat, struct ckpt_state *s,
    char *err, size_t errlen);

/* Write s to path durably (temp file, fsync, rename, fsync directory). */
int checkpoint_save(const char *path, unsigned ncat, const struct ckpt_state *s,
    char *err, size_t errlen);

/* Append a begun cycle (the patches are copied). */
void checkpoint_begin(struct ckpt_state *s, uint64_t cycle, uint64_t pos,
    int64_t step, const struct ckpt_patch *patches, size_t npatches);

/* Forget the newest begun cycle: it was given up before it changed a file. */
void checkpoint_unbegin(struct ckpt_state *s);

/* Mark every begun cycle done: the newest's position and step become done's. */
void checkpoint_done(struct ckpt_state *s);

/* Replace the parked points (copied) and the cycle they hold up to. */
void checkpoint_park(struct ckpt_state *s, const struct ckpt_parked *p,
    size_t n, uint64_t through);

#endif
