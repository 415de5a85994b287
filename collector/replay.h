/*
 * replay.h -- rebuilding, after a stop or a crash, exactly the counts the
 * RRD files do not hold yet: from the journal, the writer's state
 * (checkpoint.h) and what each file is now.
 *
 * Every record of the journal is read again.  Each share it adds to a file
 * at a step is skipped when the file holds it already (or the state keeps
 * it as a parked point), and added back otherwise; late counts are thereby
 * never added twice, and counts of steps not yet written (a stop no longer
 * writes steps that are not due) come back as open buckets.
 */
#ifndef ST_REPLAY_H
#define ST_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"

struct aggregate;
struct journal;
struct journal_record;
struct store;

/*
 * 1 when the share of the record at journal position pos for target at
 * step label step must not be added again: the file holds it (the file's
 * last update and inode are now last and inode) or it is parked.  Pure.
 */
int replay_skip(const struct ckpt_state *s, uint64_t pos, const char *target,
    int64_t step, int64_t last, uint64_t inode);

/*
 * 1 when parked point p of the state is in its file by now (a cycle begun
 * after the state was saved wrote it).  Pure.
 */
int replay_parked_written(const struct ckpt_state *s,
    const struct ckpt_parked *p, int64_t last, uint64_t inode);

/*
 * Replay the journal into agg, skipping what the files hold, and call
 * each(arg, record) for every record (for idempotency keys and the set of
 * known sources).  Parked points still missing from their files are kept in
 * s (the others are dropped from it).  stop, when it becomes non-zero,
 * ends the replay early (-1, err says so).  Returns 0 or -1 with err.
 */
int replay_run(struct journal *j, struct store *st, struct ckpt_state *s,
    struct aggregate *agg,
    void (*each)(void *arg, const struct journal_record *r), void *arg,
    int recover, volatile const int *stop, char *err, size_t errlen);

#endif
